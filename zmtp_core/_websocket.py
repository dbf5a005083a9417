"""ws:// and wss://: the HTTP upgrade of ZWS 2.0 (RFC 45), before its framing starts.

ZWS has no ZMTP greeting: the upgrade chooses the mechanism through
Sec-WebSocket-Protocol, ``ZWS2.0/NULL``, ``ZWS2.0/PLAIN`` or ``ZWS2.0/CURVE``
after the socket's mechanism (a NULL client offers ``ZWS2.0/NULL, ZWS2.0`` as
libzmq does). This layer speaks that HTTP exchange (with h11, the sans-IO
HTTP/1.1 library) and nothing else: the Connection above frames ZWS itself
(:meth:`~zmtp_core.connection.Connection.frame_as_websocket`, set up here), so
once the upgrade is done, bytes pass between the socket and the Connection
untouched, and the engine talks to the Connection directly (:meth:`settled`).
What arrived after the upgrade's last byte is handed up once, as the rest will be.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import h11

from ._connection import Connection
from ._face import ConnectionFace
from ._framereader import HANDSHAKE_BUDGET
from ._layer import Layer
from ._sendqueue import Buffer

__all__ = ["OFFERED", "SUBPROTOCOL", "WebSocketLayer", "accept_token"]

#: The ZWS 2.0 flavour of the NULL mechanism.
SUBPROTOCOL = "ZWS2.0/NULL"
#: What a NULL client offers, in libzmq's order.
OFFERED = ["ZWS2.0/NULL", "ZWS2.0"]
#: RFC 6455's constant for Sec-WebSocket-Accept.
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_token(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept a server answers to Sec-WebSocket-Key ``key``."""
    return base64.b64encode(hashlib.sha1(key.strip() + _GUID).digest())  # (RFC 6455 names SHA-1)


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip() for token in value.split(b",") if token.strip()]


class WebSocketLayer(Layer):
    """The upgrade of one ws connection; after it, the Connection's bytes pass through."""

    def __init__(
        self,
        connection: Connection,
        *,
        server_side: bool,
        host: str = "",
        path: str = "/",
        random_bytes: Callable[[int], bytes],
    ) -> None:
        """``random_bytes``: the key of the request, and a client's masking keys."""
        super().__init__(connection)
        connection.frame_as_websocket(random_bytes=None if server_side else random_bytes)
        self._http = h11.Connection(
            h11.SERVER if server_side else h11.CLIENT, max_incomplete_event_size=HANDSHAKE_BUDGET
        )
        self._subprotocol = f"ZWS2.0/{connection.mechanism_name.decode()}"
        self._key = b""
        self._passing = False  # the last buffers_to_send() list was the Connection's
        if not server_side:
            self._key = base64.b64encode(random_bytes(16))
            offered = OFFERED if self._subprotocol == SUBPROTOCOL else [self._subprotocol]
            request = h11.Request(
                method="GET",
                target=path,
                headers=[
                    (b"Host", host.encode("idna")),
                    (b"Upgrade", b"websocket"),
                    (b"Connection", b"Upgrade"),
                    (b"Sec-WebSocket-Key", self._key),
                    (b"Sec-WebSocket-Version", b"13"),
                    (b"Sec-WebSocket-Protocol", ", ".join(offered).encode()),
                ],
            )
            self._emit(self._http.send(request) or b"")

    # -- once open, the Connection's own calls ---------------------------------------

    def settled(self) -> ConnectionFace:
        return self.connection if self.open and not self._outbox else self

    def receive_buffer(self) -> memoryview:
        return self.connection.receive_buffer() if self.open else super().receive_buffer()

    def received(self, nbytes: int) -> None:
        if self.open:
            self.connection.received(nbytes)
        else:
            super().received(nbytes)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if self.open:
            self.connection.receive_data(data)
        else:
            super().receive_data(data)

    def buffers_to_send(self) -> list[Buffer]:
        self._passing = self.open and not self._outbox
        return self.connection.buffers_to_send() if self._passing else super().buffers_to_send()

    def sent(self, nbytes: int) -> bool:
        return self.connection.sent(nbytes) if self._passing else super().sent(nbytes)

    def _produce(self) -> None:
        """Nothing to transform: the upgrade's bytes were emitted as they were made."""

    # -- the upgrade ------------------------------------------------------------------

    def _take(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            self._pass_up(b"")  # the TCP connection ended during the upgrade
            return
        http = self._http
        try:
            http.receive_data(bytes(data))
            while not self.open and not self.connection.closed:
                event = http.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                if isinstance(event, h11.Request):
                    self._answer(event)
                elif isinstance(event, h11.InformationalResponse | h11.Response):
                    self._check_answer(event)
        except h11.ProtocolError as error:
            self._fail(f"WebSocket handshake failed: {error}")
            return
        if self.open:
            rest = http.trailing_data[0]
            if rest:
                self.connection.receive_data(rest)

    def _answer(self, request: h11.Request) -> None:
        """A server checks the client's request, then switches or refuses."""
        headers = {name: value for name, value in request.headers}
        protocols = _tokens(headers.get(b"sec-websocket-protocol", b""))
        offered = [token.decode("latin-1") for token in protocols]
        problem = None
        if request.method != b"GET":
            problem = f"method {request.method.decode('latin-1')}"
        elif headers.get(b"upgrade", b"").lower() != b"websocket":
            problem = "no Upgrade: websocket"
        elif b"upgrade" not in _tokens(headers.get(b"connection", b"").lower()):
            problem = "no Connection: Upgrade"
        elif headers.get(b"sec-websocket-version") != b"13":
            problem = "a Sec-WebSocket-Version other than 13"
        elif b"sec-websocket-key" not in headers:
            problem = "no Sec-WebSocket-Key"
        elif self._subprotocol not in offered:
            problem = f"offered {', '.join(offered) or 'nothing'}, not {self._subprotocol}"
        if problem is not None:
            refusal = h11.Response(status_code=400, headers=[("Content-Length", "0")])
            self._emit(self._http.send(refusal) or b"")
            self._fail(f"WebSocket client {problem}")
            return
        switch = h11.InformationalResponse(
            status_code=101,
            reason="Switching Protocols",
            headers=[
                (b"Upgrade", b"websocket"),
                (b"Connection", b"Upgrade"),
                (b"Sec-WebSocket-Accept", accept_token(headers[b"sec-websocket-key"])),
                (b"Sec-WebSocket-Protocol", self._subprotocol.encode()),
            ],
        )
        self._emit(self._http.send(switch) or b"")
        self.open = True

    def _check_answer(self, response: h11.InformationalResponse | h11.Response) -> None:
        """A client checks the server's answer to its request."""
        if response.status_code != 101:
            self._fail(f"WebSocket upgrade refused with HTTP {response.status_code}")
            return
        headers = {name: value for name, value in response.headers}
        chosen = headers.get(b"sec-websocket-protocol", b"").decode("latin-1")
        if headers.get(b"sec-websocket-accept") != accept_token(self._key):
            self._fail("WebSocket server answered with a wrong Sec-WebSocket-Accept")
        elif headers.get(b"upgrade", b"").lower() != b"websocket":
            self._fail("WebSocket server answered without Upgrade: websocket")
        elif chosen != self._subprotocol:
            self._fail(f"WebSocket server chose {chosen!r}, not {self._subprotocol}")
        else:
            self.open = True
