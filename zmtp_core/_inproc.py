"""inproc://: two engines joined by their pipes, in memory.

The moving is here, without I/O; the backend gives each end its lock and its
wake-up call, keeps the registry of bound names, and runs the transfers a
link schedules (``schedule``) from a thread or task that holds no socket lock.
Each engine owns its end (``engine.inproc``) and the links attached to it.

Messages move by reference: nothing is encoded, no frame is copied. The fast
lane: while the receiving pipe is below its RCVHWM and nothing waits in the
sending pipe, a sent message goes straight into the receiver's queue (an
append, and the pipe's activation in its fair queue: no lock, see FairQueue)
and the receiver is woken only if a thread or task waits on it. Otherwise
messages wait in the sending pipe (up to SNDHWM: with RCVHWM that is libzmq's
inproc HWM) and are moved in bulk, once the receiver has read down to its
low-water mark, by whichever thread holds no socket lock; so are subscriptions
(they change the receiving pattern, so they move under its lock). Moving never
holds both ends' socket locks at once, so two threads sending to each other
cannot deadlock.

What a socket sent is the peer's once sent, as in libzmq, whose inproc pipe
holds it: when a socket closes (or is dropped) with messages still waiting in
its pipe - the peer at its RCVHWM, or not bound yet - the link keeps them
(whatever LINGER says) and delivers them once it can, then closes.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ._errors import RemoteProtocolError
from ._pipe import OutgoingMessage, Pipe
from ._pipe import SubscriptionCommand as _Command
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._socketbase import SocketBase

__all__ = ["InprocEnd", "InprocLink"]

_PUBLISHERS = (SocketType.PUB, SocketType.XPUB)


def _nothing() -> None:
    pass


class InprocEnd:
    """One engine, as an inproc link sees it."""

    __slots__ = ("links", "lock", "pattern", "waiting", "wake")

    def __init__(self, pattern: SocketBase) -> None:
        self.pattern = pattern
        #: The lock that serialises calls into the engine (the backend's; none by default).
        self.lock: AbstractContextManager[object] = contextlib.nullcontext()
        #: Wakes whoever waits on this socket, from any thread (set by the backend).
        self.wake: Callable[[], None] = _nothing
        #: How many threads or tasks wait on this socket now (the backend counts them,
        #: before it first looks at what it waits for: a delivery after that wakes it).
        self.waiting = 0
        self.links: list[InprocLink] = []


class _Lane:
    """The fast lane of one direction: the sending pipe's sink."""

    __slots__ = ("link", "receiver", "source", "target")

    def __init__(self, link: InprocLink, source: Pipe, target: Pipe, receiver: InprocEnd) -> None:
        self.link = link
        self.source, self.target, self.receiver = source, target, receiver

    def take(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        """Called by the sender, under its own socket lock: deliver now."""
        target = self.target
        inbound = target.inbound
        # The receiver's own list; the frames themselves are shared (any buffer, by reference).
        message: list[Any] = list(frames)
        inbound.append(message)  # first the message, then the activation (see FairQueue)
        if not target._fq_queued:
            target.pattern._fq.activated(target)
        if tracker is not None:
            tracker.release()  # handed over: nothing is left to write
        hwm = target._rcvhwm
        if hwm and len(inbound) >= hwm:
            self.source.sink = None  # full: what follows waits in the sending pipe
            self.link.stalled = target.sender_held = True
        receiver = self.receiver
        if receiver.waiting:
            receiver.wake()

    def take_command(self, command: _Command) -> None:
        """Subscriptions change the receiving pattern: they go the slow way, in order."""
        source = self.source
        source.sink = None
        source.outbound.append(command)
        self.link.output_ready(source)


class InprocLink:
    """Two ends joined back to back; the connecting end may come before the binding one."""

    def __init__(
        self,
        connecting: InprocEnd,
        schedule: Callable[[InprocLink], None],
        new_lock: Callable[[], AbstractContextManager[object]],
    ) -> None:
        self._schedule = schedule
        self._move_lock = new_lock()
        #: Something waits to move, or a lane is shut (a receiver at RCVHWM).
        self.stalled = True
        self.closed = False
        self._closing = False
        #: The end whose socket closed while its messages waited, and those messages.
        self._departed: InprocEnd | None = None
        self._transit: deque[OutgoingMessage | _Command] = deque()
        self.a = connecting
        self.b: InprocEnd | None = None
        with connecting.lock:
            self.pipe_a = connecting.pattern.attach_pipe(listener=self, locally_initiated=True)
        connecting.links.append(self)
        self.pipe_b: Pipe | None = None
        self._lanes: tuple[_Lane | None, _Lane | None] = (None, None)

    def reading(self) -> None:
        """One end read a message (and the link is stalled): move in bulk once that
        end has read down to its low-water mark."""
        pipe_b = self.pipe_b
        if pipe_b is None:
            return
        lane_ab, lane_ba = self._lanes
        if (
            self._transit
            or (pipe_b.inbound_low and _held(self.pipe_a, lane_ab))
            or (self.pipe_a.inbound_low and _held(pipe_b, lane_ba))
        ):
            self._schedule(self)

    def complete(self, bound: InprocEnd) -> None:
        """The name is bound: attach the other end and let queued messages through."""
        self.b = bound
        bound.links.append(self)
        a_options, b_options = self.a.pattern.options, bound.pattern.options
        with bound.lock:
            self.pipe_b = bound.pattern.attach_pipe(listener=self)
            self.pipe_b.connected(a_options["ROUTING_ID"], self.a.pattern.socket_type.name)
        if self._departed is self.a:  # (closed before the bind: only its messages are left)
            self._schedule(self)
            return
        with self.a.lock:
            self.pipe_a.connected(b_options["ROUTING_ID"], bound.pattern.socket_type.name)
        # A lane only where the receiver takes messages without a hook on arrival.
        pipe_a, pipe_b = self.pipe_a, self.pipe_b
        self._lanes = (
            _Lane(self, pipe_a, pipe_b, bound) if _direct(pipe_b) else None,
            _Lane(self, pipe_b, pipe_a, self.a) if _direct(pipe_a) else None,
        )
        self._schedule(self)  # (what was sent before the bind, then the lanes open)

    def output_ready(self, pipe: Pipe) -> None:
        self.stalled = True
        self._schedule(self)

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        self._closing = True  # closed by the next transfer, outside any socket lock
        self._schedule(self)

    def close_when_sent(self, pipe: Pipe) -> None:
        """(A transfer moves what was sent before it closes.)"""
        self.close_requested(pipe, "closed by the application")

    def transfer(self) -> None:
        """Move whatever can move, both ways (called with no socket lock held)."""
        if self._closing:
            self.close()
            return
        if self.b is None or self.pipe_b is None:
            return
        lane_ab, lane_ba = self._lanes
        a, b, departed = self.a, self.b, self._departed
        with self._move_lock:  # (nothing moves towards an end that departed)
            while (departed is not b and self._move(a, self.pipe_a, b, self.pipe_b, lane_ab)) | (
                departed is not a and self._move(b, self.pipe_b, a, self.pipe_a, lane_ba)
            ):
                pass
            self.pipe_b.sender_held = _held(self.pipe_a, lane_ab) or (
                departed is a and bool(self._transit)
            )
            self.pipe_a.sender_held = _held(self.pipe_b, lane_ba) or (
                departed is b and bool(self._transit)
            )
            self.stalled = bool(self._transit) or self.pipe_a.sender_held or self.pipe_b.sender_held
        if departed is not None and not self._transit:
            self.close()  # everything the closed end sent has arrived

    def _move(
        self, src: InprocEnd, src_pipe: Pipe, dst: InprocEnd, dst_pipe: Pipe, lane: _Lane | None
    ) -> bool:
        with dst.lock:
            room = dst_pipe.room
        if room <= 0:
            return False
        items: list[OutgoingMessage | _Command] = []
        if src is self._departed:
            transit = self._transit
            while len(items) < room and transit:
                items.append(transit.popleft())
            if items:
                self._deliver(items, dst, dst_pipe)
            return bool(items)
        with src.lock:
            was_full = not src_pipe.can_write()
            while len(items) < room and (item := src_pipe.pop_outbound()) is not None:
                items.append(item)
        if items:
            self._deliver(items, dst, dst_pipe)
        if lane is not None and src_pipe.sink is None:
            with src.lock:  # (after the delivery: what the lane takes comes after it)
                if not src_pipe.outbound and not src_pipe.detached and not dst_pipe.inbound_full:
                    src_pipe.sink = lane  # nothing waits any more: the fast lane again
        if was_full:
            src.wake()  # a sender waiting at its high-water mark may go on
        return bool(items)

    def _deliver(
        self, items: list[OutgoingMessage | _Command], dst: InprocEnd, dst_pipe: Pipe
    ) -> None:
        publisher = dst.pattern.socket_type in _PUBLISHERS
        with dst.lock:
            for item in items:
                if isinstance(item, _Command):
                    dst_pipe.deliver_subscription(item.subscribe, item.topic)
                    continue
                frames, tracker = item
                if tracker is not None:
                    tracker.release()
                head = bytes(frames[0][:1])
                if publisher and len(frames) == 1 and head in (b"\x00", b"\x01"):
                    dst_pipe.deliver_subscription(head == b"\x01", bytes(frames[0][1:]))
                    continue
                try:
                    dst_pipe.deliver(list(frames))  # type: ignore[arg-type]  # any buffer, by reference
                except RemoteProtocolError:
                    dst_pipe.request_close("malformed message")  # as a REQ drops a bad peer
                    break
        dst.wake()

    def leave(self, end: InprocEnd) -> None:
        """``end``'s socket closes (call under its lock): what waits in its pipe moves
        into the link, which delivers it before closing (see :meth:`depart`)."""
        pipe = self.pipe_a if end is self.a else self.pipe_b
        if pipe is None or self.closed:
            return
        while (item := pipe.pop_outbound()) is not None:
            self._transit.append(item)
        pipe.detach()

    def depart(self, end: InprocEnd) -> None:
        """After :meth:`leave` (with no socket lock held): close now if nothing is in
        transit, else once the peer has taken it (a peer that closes too drops it)."""
        if self in end.links:
            end.links.remove(self)
        if not self._transit or self._departed is not None:
            self.close()
            return
        self._departed = end
        self.stalled = True
        self._schedule(self)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._transit.clear()
        for end, pipe in ((self.a, self.pipe_a), (self.b, self.pipe_b)):
            if end is not None and pipe is not None:
                with end.lock:
                    pipe.detach()
                if self in end.links:
                    end.links.remove(self)


def _held(sending: Pipe, lane: _Lane | None) -> bool:
    """Messages wait in the sending pipe, or its lane is shut."""
    return bool(sending.outbound) or (lane is not None and sending.sink is None)


def _direct(receiving: Pipe) -> bool:
    socket = receiving.pattern
    return socket.direct_delivery and not receiving.conflate and not receiving.ignored
