"""inproc://: two sockets of one Context joined by their pipes, in memory.

Messages move by reference (never encoded, nothing copied); subscriptions move
as they would on the wire (an XSUB's 0x01 frame becomes a subscription at a
publisher, as the Connection would make it). Moving never holds both ends'
locks at once, so two threads sending to each other cannot deadlock: room is
taken under the receiver's lock, messages under the sender's, and delivered
under the receiver's again.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from contextlib import AbstractContextManager

from zmtp_core import Pipe, RemoteProtocolError, SocketBase, SocketError, SocketType
from zmtp_core import SubscriptionCommand as _Command
from zmtp_core._pipe import OutgoingMessage

__all__ = ["InprocEnd", "InprocLink", "InprocRegistry"]

_PUBLISHERS = (SocketType.PUB, SocketType.XPUB)


class InprocEnd:
    """One zmtp socket, as an inproc link sees it."""

    __slots__ = ("core", "links", "lock", "wake")

    def __init__(
        self, core: SocketBase, lock: AbstractContextManager[object], wake: Callable[[], None]
    ) -> None:
        self.core = core
        self.lock = lock
        #: Called after messages were delivered to this end (from any thread).
        self.wake = wake
        self.links: list[InprocLink] = []


class InprocLink:
    """Two ends joined back to back; the connecting end may come before the binding one."""

    def __init__(
        self,
        connecting: InprocEnd,
        schedule: Callable[[InprocLink], None],
        move_lock: AbstractContextManager[object],
    ) -> None:
        self._schedule = schedule
        self._move_lock = move_lock
        self.closed = False
        self._closing = False
        self.a = connecting
        self.b: InprocEnd | None = None
        with connecting.lock:
            self.pipe_a = connecting.core.attach_pipe(listener=self, locally_initiated=True)
        connecting.links.append(self)
        self.pipe_b: Pipe | None = None

    def reading(self) -> None:
        """One end read a message: room may have opened for what the other end queued."""
        if self.pipe_b is not None and (self.pipe_a.outbound or self.pipe_b.outbound):
            self._schedule(self)

    def complete(self, bound: InprocEnd) -> None:
        """The name is bound: attach the other end and let queued messages through."""
        self.b = bound
        bound.links.append(self)
        a_options, b_options = self.a.core.options, bound.core.options
        with bound.lock:
            self.pipe_b = bound.core.attach_pipe(listener=self)
            self.pipe_b.connected(a_options["ROUTING_ID"], self.a.core.socket_type.name)
        with self.a.lock:
            self.pipe_a.connected(b_options["ROUTING_ID"], bound.core.socket_type.name)
        self._schedule(self)

    def output_ready(self, pipe: Pipe) -> None:
        self._schedule(self)

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        self._closing = True  # closed by the next transfer, outside any socket lock
        self._schedule(self)

    def transfer(self) -> None:
        """Move whatever can move, both ways (called with no socket lock held)."""
        if self._closing:
            self.close()
            return
        if self.b is None or self.pipe_b is None:
            return
        with self._move_lock:
            while self._move(self.a, self.pipe_a, self.b, self.pipe_b) | self._move(
                self.b, self.pipe_b, self.a, self.pipe_a
            ):
                pass

    @staticmethod
    def _move(src: InprocEnd, src_pipe: Pipe, dst: InprocEnd, dst_pipe: Pipe) -> bool:
        with dst.lock:
            room = dst_pipe.room
        if room <= 0:
            return False
        with src.lock:
            was_full = not src_pipe.can_write()
            items: list[OutgoingMessage | _Command] = []
            while len(items) < room and (item := src_pipe.pop_outbound()) is not None:
                items.append(item)
        if not items:
            return False
        if was_full:
            src.wake()  # a sender waiting at its high-water mark may go on
        publisher = dst.core.socket_type in _PUBLISHERS
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
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for end, pipe in ((self.a, self.pipe_a), (self.b, self.pipe_b)):
            if end is not None and pipe is not None:
                with end.lock:
                    pipe.detach()
                if self in end.links:
                    end.links.remove(self)


class InprocRegistry:
    """A Context's inproc names: who is bound, and who connected first and waits."""

    def __init__(self, new_lock: Callable[[], AbstractContextManager[object]]) -> None:
        """``new_lock`` makes the locks the backend needs (``threading.Lock``, or a no-op)."""
        self._new_lock = new_lock
        self._lock = new_lock()
        self._transfer_lock = new_lock()
        self._bound: dict[str, InprocEnd] = {}
        self._waiting: dict[str, list[InprocLink]] = {}
        #: Links with something to move: whoever holds no socket lock runs them.
        self.pending: set[InprocLink] = set()

    def bind(self, name: str, end: InprocEnd) -> None:
        with self._lock:
            if name in self._bound:
                raise SocketError(errno.EADDRINUSE, f"inproc://{name} is already bound")
            self._bound[name] = end
            waiting = self._waiting.pop(name, [])
        for link in waiting:
            link.complete(end)

    def unbind(self, name: str, end: InprocEnd) -> None:
        with self._lock:
            if self._bound.get(name) is not end:
                raise SocketError(errno.ENOENT, f"inproc://{name} is not bound here")
            del self._bound[name]

    def connect(self, name: str, end: InprocEnd) -> InprocLink:
        link = InprocLink(end, self.pending.add, self._new_lock())
        with self._lock:
            bound = self._bound.get(name)
            if bound is None:  # connect before bind: messages wait in the pipe
                self._waiting.setdefault(name, []).append(link)
        if bound is not None:
            link.complete(bound)
        return link

    def forget(self, end: InprocEnd) -> None:
        """A socket closed: its names are free again."""
        with self._lock:
            for name, bound in list(self._bound.items()):
                if bound is end:
                    del self._bound[name]

    def run_transfers(self) -> None:
        """Move inproc messages (call with no socket lock held)."""
        if not self.pending:
            return
        with self._transfer_lock:
            while self.pending:
                self.pending.pop().transfer()
