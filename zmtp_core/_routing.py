"""The two queueing disciplines every pattern is built from.

Load balancing sends each message to the next pipe, round robin, skipping
pipes at their high-water mark. Fair queueing reads one whole message from
each pipe that has one, in turn, so a chatty peer cannot starve the others.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ._events import Frame
from ._pipe import Pipe
from ._sendqueue import Buffer, MessageTracker

__all__ = ["FairQueue", "LoadBalancer"]


class LoadBalancer:
    """Round robin over pipes with room."""

    __slots__ = ("_next", "only", "pipes")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        #: The pipe, when there is exactly one (the common case, served first).
        self.only: Pipe | None = None
        self._next = 0

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)
        self.only = self.pipes[0] if len(self.pipes) == 1 else None

    def detach(self, pipe: Pipe) -> None:
        index = self.pipes.index(pipe)
        del self.pipes[index]
        if index < self._next:
            self._next -= 1
        self.only = self.pipes[0] if len(self.pipes) == 1 else None

    def send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> bool:
        """Write to the next pipe in turn that has room; False when none has (EAGAIN)."""
        only = self.only
        if only is not None:
            sink = only.sink
            if sink is not None:  # the fast lane: one peer, nothing queued
                sink.take(frames, tracker)
                return True
            if not only.can_write():
                return False
            only.write(frames, tracker)
            return True
        pipe = self.pick()
        if pipe is None:
            return False
        pipe.write(frames, tracker)
        return True

    def pick(self) -> Pipe | None:
        """The next pipe in turn that can take a message, or None (EAGAIN)."""
        pipes = self.pipes
        count = len(pipes)
        start = self._next
        for step in range(count):
            index = (start + step) % count
            pipe = pipes[index]
            if pipe.can_write():
                self._next = index + 1
                return pipe
        return None

    def can_send(self) -> bool:
        return any(pipe.can_write() for pipe in self.pipes)


class FairQueue:
    """Pipes with messages waiting, served one message each in turn.

    Another thread may fill a pipe and activate it (inproc's fast lane) while
    the owner reads: it appends the message, then activates the pipe if it is
    not queued. So the owner, when a pipe runs empty, first leaves the queue
    and then looks at the pipe again. Each step is one atomic deque operation;
    the worst a race can do is queue a pipe twice, and an empty pipe in the
    queue is simply passed over.

    So the owner may also take a message without the socket's lock
    (:meth:`take_unlocked`) where nothing but the taking is due.
    """

    __slots__ = ("last", "ready")

    def __init__(self) -> None:
        #: Pipes with a message waiting, in turn.
        self.ready: deque[Pipe] = deque()
        #: Where the last message taken came from (its properties go with it).
        self.last: Pipe | None = None

    def __bool__(self) -> bool:
        return bool(self.ready)

    def activated(self, pipe: Pipe) -> None:
        """``pipe`` has a message in its inbound queue."""
        if not pipe._fq_queued:
            pipe._fq_queued = True
            self.ready.append(pipe)

    def next(self) -> tuple[Pipe, list[Frame]] | None:
        """The next message and the pipe it came from."""
        ready = self.ready
        while ready:
            pipe = ready[0]  # (other threads only append: the front stays ours)
            inbound = pipe.inbound
            if inbound:
                frames = inbound.popleft()
                if not inbound:
                    self._leave(pipe)
                elif len(ready) > 1:
                    ready.rotate(-1)  # one message each, in turn
                self.last = pipe
                return pipe, frames
            self._leave(pipe)
        return None

    def _leave(self, pipe: Pipe) -> None:
        """The pipe in front ran empty: out of the queue, unless it was just filled."""
        self.ready.popleft()
        pipe._fq_queued = False
        if pipe.inbound:  # (another thread delivered meanwhile)
            self.activated(pipe)

    def take_unlocked(self) -> list[Frame] | None:
        """The next message, if taking it needs no other step, else None: one pipe
        alone is ready, more than one message waits in it (so it stays ready and
        in front), and its sender is not held back at RCVHWM, or will not be let go
        before the queue is down to its low-water mark. Only the owner calls it;
        other threads may deliver meanwhile. (A sender held back just after the
        look goes on at the next take, which goes by try_recv.)"""
        ready = self.ready
        if len(ready) == 1:
            pipe = ready[0]
            inbound = pipe.inbound
            size = len(inbound)
            if size > 1 and (not pipe.sender_held or size > pipe.low_water + 1):
                self.last = pipe
                return inbound.popleft()
        return None

    def next_frames(self) -> list[Frame] | None:
        """The next message alone (what most patterns need), or None."""
        ready = self.ready
        if ready:
            pipe = ready[0]
            inbound = pipe.inbound
            if inbound and len(ready) == 1:  # one peer with messages: no turn to take
                frames = inbound.popleft()
                if not inbound:
                    self._leave(pipe)
                self.last = pipe
                return frames
            item = self.next()
            if item is not None:
                return item[1]
        return None
