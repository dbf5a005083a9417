"""ws:// and wss://: ZWS 2.0 (RFC 45) as libzmq 4.3 speaks it, over wsproto.

ZWS has no ZMTP greeting: the HTTP upgrade chooses the mechanism through
Sec-WebSocket-Protocol: ``ZWS2.0/NULL``, ``ZWS2.0/PLAIN`` or ``ZWS2.0/CURVE``
after the socket's mechanism (a NULL client offers ``ZWS2.0/NULL,ZWS2.0`` as
libzmq does). Each ZMTP frame is one binary
WebSocket message whose first byte is the flags (0x00 last, 0x01 more, 0x02
command). Heartbeats are WebSocket pings and pongs, not ZMTP PING commands.

The Connection above still speaks ZMTP 3.x: once the upgrade is done this
layer hands it the greeting of a ZMTP 3.0 peer (so that subscriptions travel
as 0x01/0x00 data frames, as they must over ws), drops the Connection's own
greeting, and translates frames both ways: ZMTP frame <-> WebSocket message,
ZMTP PING -> WebSocket ping, WebSocket pong -> ZMTP PONG (the peer is alive).

Like libzmq, it refuses text messages, fragmented messages and (as a server)
unmasked frames: the connection ends with the reason.
"""

from __future__ import annotations

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import ProtocolError

from . import _commands as cmd
from ._codec import COMMAND, MORE, encode_header, parse_header
from ._connection import Connection
from ._greeting import GREETING_SIZE, encode_greeting
from ._layer import Layer
from ._sendqueue import Buffer

__all__ = ["SUBPROTOCOL", "WebSocketLayer"]

#: The ZWS 2.0 flavour we speak: ZMTP's NULL mechanism.
SUBPROTOCOL = "ZWS2.0/NULL"
#: What a client offers, in libzmq's order.
OFFERED = ["ZWS2.0/NULL", "ZWS2.0"]

_ZWS_MORE, _ZWS_COMMAND = 0x01, 0x02
_PING_PREFIX = bytes((len(cmd.PING),)) + cmd.PING
_PONG_FRAME = encode_header(COMMAND, len(cmd.PONG) + 1) + cmd.encode_command(cmd.PONG)
#: Close codes that are an orderly end rather than a failure.
_ORDERLY = (1000, 1001, 1005)


class WebSocketLayer(Layer):
    """ZWS 2.0 between the socket (or TLS, for wss) and a Connection."""

    def __init__(
        self,
        connection: Connection,
        *,
        server_side: bool,
        host: str = "",
        path: str = "/",
        max_message_size: int = -1,
    ) -> None:
        super().__init__(connection)
        self._max_message_size = max_message_size
        self._ws = WSConnection(ConnectionType.SERVER if server_side else ConnectionType.CLIENT)
        self._zmtp_out = bytearray()  # the Connection's output, cut into frames here
        self._greeting_left = GREETING_SIZE  # ours: never sent over ws
        self._parts: list[bytes | bytearray] = []  # a WebSocket message arriving in pieces
        self._pong_end = 0  # where our last pong ends in the output stream
        self._size = 0
        # The mechanism rides in the subprotocol: ZWS2.0/NULL, /PLAIN or /CURVE.
        self._mechanism = connection.mechanism_name
        self._subprotocol = f"ZWS2.0/{self._mechanism.decode()}"
        if not server_side:
            offered = OFFERED if self._subprotocol == SUBPROTOCOL else [self._subprotocol]
            self._emit(self._ws.send(Request(host=host, target=path, subprotocols=offered)))

    # -- bytes in ------------------------------------------------------------------

    def _take(self, data: bytes | bytearray | memoryview) -> None:
        ws = self._ws
        if ws.state is ConnectionState.CLOSED:
            return
        try:
            ws.receive_data(bytes(data) if data else None)
            for event in ws.events():
                self._handle(event)
                if self.connection.closed:
                    return
        except ProtocolError as error:
            self._fail(f"WebSocket handshake failed: {error}")
            return
        if not data and not self.connection.closed:
            self._pass_up(b"")  # the TCP connection ended

    def _handle(self, event: object) -> None:
        if isinstance(event, BytesMessage):
            self._message_part(event)
        elif isinstance(event, Ping):
            # At most one pong waits to be written: a peer flooding pings while it reads
            # nothing cannot make the outbox grow.
            if self._written >= self._pong_end:
                self._emit(self._ws.send(event.response()))
                self._pong_end = self._emitted
        elif isinstance(event, Pong):
            self._pass_up(_PONG_FRAME)  # a heartbeat answered: the peer is alive
        elif isinstance(event, Request):
            self._accept(event)
        elif isinstance(event, AcceptConnection):
            if event.subprotocol != self._subprotocol:
                chosen = event.subprotocol
                self._fail(f"WebSocket server chose {chosen!r}, not {self._subprotocol}")
            else:
                self._opened()
        elif isinstance(event, RejectConnection):
            self._fail(f"WebSocket upgrade refused with HTTP {event.status_code}")
        elif isinstance(event, TextMessage):
            self._fail("WebSocket text message: ZWS carries binary messages only")
        elif isinstance(event, CloseConnection):
            self._closed_by_peer(event)

    def _accept(self, request: Request) -> None:
        if self._subprotocol in request.subprotocols:
            self._emit(self._ws.send(AcceptConnection(subprotocol=self._subprotocol)))
            self._opened()
        else:
            self._emit(self._ws.send(RejectConnection(status_code=400)))
            offered = ", ".join(request.subprotocols) or "nothing"
            self._fail(f"WebSocket client offered {offered}, not {self._subprotocol}")

    def _opened(self) -> None:
        self.open = True
        # The Connection waits for a greeting: that of a ZMTP 3.0 peer with our mechanism.
        self._pass_up(encode_greeting(self._mechanism, version=(3, 0)))

    def _message_part(self, event: BytesMessage) -> None:
        self._parts.append(event.data)
        self._size += len(event.data)
        if 0 <= self._max_message_size < self._size - 1:
            self._fail(f"WebSocket message over MAXMSGSIZE ({self._max_message_size})")
        elif event.frame_finished and not event.message_finished:
            self._fail("fragmented WebSocket message: ZWS sends one frame per message")
        elif event.message_finished:
            payload = b"".join(self._parts) if len(self._parts) > 1 else self._parts[0]
            self._parts = []
            self._size = 0
            self._zmtp_frame_in(payload)

    def _zmtp_frame_in(self, payload: bytes | bytearray) -> None:
        if not payload:
            self._fail("empty WebSocket message: a ZWS frame starts with its flags")
            return
        flags = payload[0]
        if flags & ~(_ZWS_MORE | _ZWS_COMMAND) or flags == _ZWS_MORE | _ZWS_COMMAND:
            self._fail(f"invalid ZWS frame flags {flags:#04x}")
            return
        zmtp_flags = COMMAND if flags & _ZWS_COMMAND else flags & _ZWS_MORE
        size = len(payload) - 1
        self._pass_up(encode_header(zmtp_flags, size))
        if size:  # (an empty pass-up would mean the end)
            self._pass_up(memoryview(payload)[1:])

    def _closed_by_peer(self, event: CloseConnection) -> None:
        if self._ws.state is ConnectionState.REMOTE_CLOSING:
            self._emit(self._ws.send(event.response()))  # the close handshake
        if event.code in _ORDERLY:
            self._pass_up(b"")
        else:
            reason = f": {event.reason}" if event.reason else ""
            self._fail(f"WebSocket closed with code {event.code}{reason}")

    # -- bytes out ------------------------------------------------------------------

    def _collect_zmtp(self, buffers: list[Buffer]) -> None:
        for buffer in buffers:
            self._zmtp_out += buffer

    def _produce(self) -> None:
        if not self.open or self.connection.closed:
            return
        self._pull_upper(self._collect_zmtp)
        out = self._zmtp_out
        position = 0
        if self._greeting_left:
            position = min(self._greeting_left, len(out))
            self._greeting_left -= position
        end = len(out)
        send = self._ws.send
        while (header := parse_header(out, position, end)) is not None:
            flags, size, start = header
            if end - start < size:
                break
            position = start + size
            if flags & COMMAND:
                if out.startswith(_PING_PREFIX, start, position):
                    self._emit(send(Ping()))  # our heartbeat, the ws way
                    continue
                head = bytes((_ZWS_COMMAND,))
            else:
                head = bytes((flags & MORE,))
            self._emit(send(BytesMessage(data=head + out[start:position])))
        del out[:position]
