"""The two queueing disciplines every pattern is built from.

Load balancing sends each message to the next pipe, round robin, skipping
pipes at their high-water mark. Fair queueing reads one whole message from
each pipe that has one, in turn, so a chatty peer cannot starve the others.
"""

from __future__ import annotations

from collections import deque

from ._events import Frame
from ._pipe import Pipe

__all__ = ["FairQueue", "LoadBalancer"]


class LoadBalancer:
    """Round robin over pipes with room."""

    __slots__ = ("_next", "pipes")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        self._next = 0

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)

    def detach(self, pipe: Pipe) -> None:
        index = self.pipes.index(pipe)
        del self.pipes[index]
        if index < self._next:
            self._next -= 1

    def pick(self) -> Pipe | None:
        """The next pipe in turn that can take a message, or None (EAGAIN)."""
        pipes = self.pipes
        count = len(pipes)
        if count == 1:  # the common case: one peer
            pipe = pipes[0]
            return pipe if pipe.can_write() else None
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
    """Pipes with messages waiting, served one message each in turn."""

    __slots__ = ("_ready",)

    def __init__(self) -> None:
        self._ready: deque[Pipe] = deque()

    def __bool__(self) -> bool:
        return bool(self._ready)

    def activated(self, pipe: Pipe) -> None:
        """``pipe`` has a message in its inbound queue."""
        if not pipe._fq_queued:
            pipe._fq_queued = True
            self._ready.append(pipe)

    def next(self) -> tuple[Pipe, list[Frame]] | None:
        """The next message and the pipe it came from."""
        ready = self._ready
        while ready:
            pipe = ready.popleft()
            if pipe.inbound:
                frames = pipe.inbound.popleft()
                if pipe.inbound:
                    ready.append(pipe)
                else:
                    pipe._fq_queued = False
                return pipe, frames
            pipe._fq_queued = False
        return None

    def peek_pipe(self) -> Pipe | None:
        """The pipe the next message will come from."""
        return self._ready[0] if self._ready else None

    def remove(self, pipe: Pipe) -> None:
        if pipe._fq_queued:
            self._ready.remove(pipe)
            pipe._fq_queued = False
