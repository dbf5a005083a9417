"""inproc://: two sockets of one Context joined by their pipes, in memory.

Messages move by reference (never encoded, nothing copied); subscriptions move
as they would on the wire (an XSUB's 0x01 frame becomes a subscription at a
publisher, as the Connection would make it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from zmtp_core import Pipe, RemoteProtocolError, SocketType
from zmtp_core import SubscriptionCommand as _Command
from zmtp_core._pipe import OutgoingMessage

if TYPE_CHECKING:
    from ._socket import Socket

__all__ = ["InprocLink"]

_PUBLISHERS = (SocketType.PUB, SocketType.XPUB)


class InprocLink:
    """Two sockets of one Context joined back to back; frames move by reference.

    Moving never holds both sockets' locks at once (so two threads sending to
    each other cannot deadlock): take room under the receiver's lock, messages
    under the sender's, deliver under the receiver's again.
    """

    def __init__(self, connecting: Socket, schedule: Callable[[InprocLink], None]) -> None:
        self._schedule = schedule
        self._move_lock = threading.Lock()
        self.closed = False
        self._closing = False
        self.a = connecting
        self.b: Socket | None = None
        with connecting._lock:
            self.pipe_a = connecting._core.attach_pipe(listener=self, locally_initiated=True)
        connecting._links.append(self)
        self.pipe_b: Pipe | None = None

    def reading(self) -> None:
        """One end read a message: room may have opened for what the other end queued."""
        if self.pipe_b is not None and (self.pipe_a.outbound or self.pipe_b.outbound):
            self._schedule(self)

    def complete(self, bound: Socket) -> None:
        """The name is bound: attach the other end and let queued messages through."""
        self.b = bound
        bound._links.append(self)
        with bound._lock:
            self.pipe_b = bound._core.attach_pipe(listener=self)
            self.pipe_b.connected(self.a._core.options["ROUTING_ID"], self.a._core.socket_type.name)
        with self.a._lock:
            self.pipe_a.connected(bound._core.options["ROUTING_ID"], bound._core.socket_type.name)
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
    def _move(src: Socket, src_pipe: Pipe, dst: Socket, dst_pipe: Pipe) -> bool:
        with dst._lock:
            hwm = dst_pipe._rcvhwm
            room = hwm - len(dst_pipe.inbound) if hwm and not dst_pipe.conflate else 1 << 30
        if room <= 0:
            return False
        with src._lock:
            items: list[OutgoingMessage | _Command] = []
            while len(items) < room and (item := src_pipe.pop_outbound()) is not None:
                items.append(item)
        if not items:
            return False
        publisher = dst._core.socket_type in _PUBLISHERS
        with dst._lock:
            for item in items:
                if isinstance(item, _Command):
                    dst_pipe.deliver_subscription(item.subscribe, item.topic)
                    continue
                frames, tracker = item
                if tracker is not None:
                    tracker.release()
                if publisher and len(frames) == 1 and bytes(frames[0][:1]) in (b"\x00", b"\x01"):
                    dst_pipe.deliver_subscription(
                        bytes(frames[0][:1]) == b"\x01", bytes(frames[0][1:])
                    )
                    continue
                try:
                    dst_pipe.deliver(list(frames))  # type: ignore[arg-type]  # any buffer, by reference
                except RemoteProtocolError:
                    dst_pipe.request_close("malformed message")  # as a REQ drops a bad peer
                    break
        dst._reactor.notify()
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock, pipe in ((self.a, self.pipe_a), (self.b, self.pipe_b)):
            if sock is not None and pipe is not None:
                with sock._lock:
                    pipe.detach()
                if self in sock._links:
                    sock._links.remove(self)
