"""A STREAM socket's connection: the bytes themselves, with no ZMTP at all.

It offers the engine what a :class:`Connection` offers, so that links, pipes,
backpressure and LINGER work unchanged: its "handshake" completes at once, each
chunk of bytes that arrives is a one-frame message, and each message sent is
written as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from ._errors import LocalProtocolError
from ._events import NEED_DATA, ConnectionClosed, Event, HandshakeComplete, NeedData, message_event
from ._sendqueue import Buffer, MessageTracker, SendQueue

__all__ = ["RawConnection"]

#: What one receive reads at most (one message per read).
READ_SIZE = 65536


class RawConnection:
    """Raw TCP for STREAM sockets (and the base of udp's endpoints: no handshake,
    a message per read, no end but a local close or the peer's)."""

    next_deadline: float | None = None
    direct_queue: SendQueue | None = None
    mechanism_name = b"NULL"

    def __init__(self, read_size: int = READ_SIZE) -> None:
        self._out = SendQueue()
        self._buffer = bytearray(read_size)
        self._chunks: list[list[bytes | bytearray]] = []
        self._announced = False
        self._eof = False
        self._closed_event: ConnectionClosed | None = None

    # -- bytes in ---------------------------------------------------------------------

    def receive_buffer(self) -> memoryview:
        return memoryview(self._buffer)

    def received(self, nbytes: int) -> None:
        if nbytes == 0:
            self._eof = True
        else:
            self._chunks.append([bytes(self._buffer[:nbytes])])

    def next_event(self) -> Event | NeedData:
        if not self._announced:  # no handshake: the peer is ready as soon as it is there
            self._announced = True
            return HandshakeComplete(
                socket_type="", routing_id=b"", properties=MappingProxyType({}), version=(3, 1)
            )
        if self._chunks:
            return message_event(self._chunks.pop(0))
        return self._ending()

    def pull(self, limit: int) -> tuple[list[list[bytes | bytearray]], Event | NeedData | None]:
        if not self._announced:
            return [], self.next_event()
        messages, self._chunks = self._chunks[:limit], self._chunks[limit:]
        return messages, (None if self._chunks else self._ending())

    def _ending(self) -> Event | NeedData:
        if self._closed_event is not None:
            return self._closed_event
        if self._eof:
            self._closed_event = ConnectionClosed("peer closed the connection")
            return self._closed_event
        return NEED_DATA

    # -- bytes out --------------------------------------------------------------------

    def send_message(
        self, frames: Sequence[Buffer], *, tracker: MessageTracker | None = None
    ) -> None:
        for frame in frames:
            self._out.add_raw(bytes(frame))
        if tracker is not None:
            self._out.track(tracker)

    def send_subscribe(self, topic: bytes) -> None:
        raise LocalProtocolError("a STREAM connection has no subscriptions")

    send_cancel = send_subscribe

    def buffers_to_send(self) -> list[Buffer]:
        return self._out.buffers()

    def sent(self, nbytes: int) -> bool:
        return self._out.advance(nbytes)

    @property
    def bytes_to_send(self) -> int:
        return self._out.size

    def discard_output(self) -> None:
        self._out.discard()

    # -- the rest of a connection's life ------------------------------------------------

    def handle_timer(self, now: float) -> None:
        """No timers: raw TCP has no heartbeats and no handshake to time out."""

    def close(self) -> None:
        if self._closed_event is None:
            self._closed_event = ConnectionClosed("closed locally")

    def authentication_reply(
        self, status_code: str | None, user_id: bytes = b"", metadata: bytes = b""
    ) -> None:
        raise LocalProtocolError(f"a {type(self).__name__} has no handshake")
