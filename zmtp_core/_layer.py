"""Byte filters under a Connection: what tls://, ws:// and wss:// add to TCP.

A :class:`Layer` sits between the raw socket and a Connection (or another
layer, for wss: TLS under WebSocket under ZMTP). To the backend it looks like a
Connection: the same bytes-in calls (``receive_buffer``/``received``), the same
scatter list out (``buffers_to_send``/``sent``/``bytes_to_send``), the same
clock calls; the message-facing calls are the Connection's own methods. So a
backend supports every layered transport by opening a TCP socket, nothing more.

Bytes going through a layer are transformed, so they are copied: a layer
counts what it takes from above as ``fallback_count``/``bytes_copied``, its
reads as ``read_bytes_copied``, and a socket write that left bytes behind as
``partial_write_count``. (``write_count`` counts each hand-over to the layer
as a write of the Connection above it.)
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable

from ._connection import Connection, ConnectionState
from ._counters import counters
from ._errors import LocalProtocolError
from ._events import Event, Frame, NeedData
from ._face import ConnectionFace
from ._framereader import HANDSHAKE_BUDGET
from ._sendqueue import Buffer

__all__ = ["Layer"]

#: Bytes a layer reads from the socket at most in one ``recv_into``, once the
#: connection is past its handshake (before, HANDSHAKE_BUDGET: the budget of a
#: peer not known yet, as for tcp's greeting).
RECEIVE_SIZE = 65536

_TRAFFIC = ConnectionState.TRAFFIC


class Layer:
    """The common part of a byte filter; subclasses say how bytes are transformed.

    ``_take(data)`` handles raw bytes in (``b""``: the peer closed), and
    ``_produce()`` moves what the upper side wants to send into ``_emit``.
    ``_fail(reason)`` ends the connection, with a reason the application sees.
    """

    next_event: Callable[[], Event | NeedData]
    pull: Callable[[int], tuple[list[list[Frame]], Event | NeedData | None]]
    send_message: Callable[..., None]
    send_subscribe: Callable[[bytes], None]
    send_cancel: Callable[[bytes], None]
    handle_timer: Callable[[float], None]

    def __init__(self, upper: Connection | Layer) -> None:
        self.upper = upper
        self.connection: Connection = upper.connection if isinstance(upper, Layer) else upper
        conn = self.connection
        # The message side is the Connection's, called directly (no indirection).
        self.next_event = conn.next_event
        self.pull = conn.pull
        self.send_message = conn.send_message
        self.send_subscribe = conn.send_subscribe
        self.send_cancel = conn.send_cancel
        self.handle_timer = conn.handle_timer
        self._inbox = bytearray(HANDSHAKE_BUDGET)
        self._outbox: deque[bytes] = deque()
        self._outbox_offset = 0  # bytes of _outbox[0] already written
        self._outbox_size = 0
        self._offered = 0  # bytes in the last buffers_to_send() list
        self._emitted = 0  # bytes ever put in the outbox (its stream position)
        #: True once the upper side's bytes may flow (this layer's handshake is done).
        self.open = False

    # -- bytes in ------------------------------------------------------------------

    def receive_buffer(self) -> memoryview:
        return memoryview(self._inbox)

    def received(self, nbytes: int) -> None:
        if counters.enabled:
            counters.read_bytes_copied += nbytes
        inbox = self._inbox
        self.receive_data(memoryview(inbox)[:nbytes])
        if nbytes == len(inbox) < RECEIVE_SIZE and self.connection.state is _TRAFFIC:
            self._inbox = bytearray(RECEIVE_SIZE)  # past the handshake, bytes flow: read more

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if not self.connection.closed:
            self._take(data)

    def _take(self, data: bytes | bytearray | memoryview) -> None:
        raise NotImplementedError

    def _pass_up(self, data: bytes | bytearray | memoryview) -> None:
        """Plain bytes (or ``b""``, the end) for the side above."""
        self.upper.receive_data(data)

    # -- bytes out ------------------------------------------------------------------

    def _emit(self, data: bytes) -> None:
        if data:
            self._outbox.append(data)
            self._outbox_size += len(data)
            self._emitted += len(data)

    def _pull_upper(self, take: Callable[[list[Buffer]], None]) -> None:
        """Hand everything the side above has to send to ``take``, then mark it sent.

        (``take`` runs first: a tracked body counts as written, and may be
        reused by its owner, only once it has been copied.)
        """
        upper = self.upper
        while upper.bytes_to_send:
            buffers = upper.buffers_to_send()
            size = sum(memoryview(b).nbytes for b in buffers)
            take(buffers)
            upper.sent(size)
            if counters.enabled:
                counters.fallback_count += 1
                counters.bytes_copied += size

    def _produce(self) -> None:
        """Move the upper side's output (once open) into the outbox."""
        raise NotImplementedError

    def buffers_to_send(self) -> list[Buffer]:
        self._produce()
        if not self._outbox:
            return []
        buffers: list[Buffer] = []
        buffers.extend(itertools.islice(self._outbox, 1024))
        if self._outbox_offset:
            buffers[0] = memoryview(buffers[0])[self._outbox_offset :]
        self._offered = sum(map(len, buffers))
        return buffers

    def sent(self, nbytes: int) -> bool:
        """As :meth:`Connection.sent`: False when the kernel took less than offered."""
        offered = self._offered
        if not 0 <= nbytes <= offered:
            raise LocalProtocolError(
                f"wrote {nbytes} bytes but the last buffers_to_send() offered {offered}"
            )
        outbox = self._outbox
        complete = nbytes == offered
        self._offered = 0
        self._outbox_size -= nbytes
        if counters.enabled and nbytes and self._outbox_size:
            counters.partial_write_count += 1
        nbytes += self._outbox_offset
        while outbox and nbytes >= len(outbox[0]):
            nbytes -= len(outbox.popleft())
        self._outbox_offset = nbytes if outbox else 0
        return complete

    @property
    def _written(self) -> int:
        """Stream position of what the socket has taken from the outbox."""
        return self._emitted - self._outbox_size

    @property
    def bytes_to_send(self) -> int:
        pending = self._outbox_size
        if self.open:
            pending += self.upper.bytes_to_send
        return pending

    # -- the rest of the Connection's face ------------------------------------------------

    def settled(self) -> ConnectionFace:
        """What the engine talks to once the handshake is done: this layer, or the
        Connection itself when the layer has nothing left to do (ws after its upgrade)."""
        return self

    @property
    def closed(self) -> bool:
        return self.connection.closed

    @property
    def next_deadline(self) -> float | None:
        return self.connection.next_deadline

    def close(self) -> None:
        self.connection.close()

    def discard_output(self) -> None:
        self.upper.discard_output()
        self._outbox.clear()
        self._outbox_offset = self._outbox_size = 0

    def _fail(self, reason: str) -> None:
        self.connection.fail(reason)
