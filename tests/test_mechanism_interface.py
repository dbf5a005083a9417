"""A mechanism plugs in without touching the connection: a toy one proves it.

"XOR" is a two-step handshake (HELLO -> WELCOME, then READY both ways) whose
traffic is wrapped in MESSAGE commands: the same shape as PLAIN's handshake
and CURVE's boxing, with none of the cryptography.
"""

from __future__ import annotations

from typing import ClassVar

from zmtp_core import RemoteProtocolError
from zmtp_core._commands import decode_properties, encode_command, split_command
from zmtp_core.connection import (
    Connection,
    ConnectionClosed,
    HandshakeComplete,
    Mechanism,
    Message,
    PeerError,
    Subscribe,
)

from wire import drain, take_output, transfer

KEY = 0x5A


def xor(data: bytes | bytearray | memoryview) -> bytes:
    return bytes(byte ^ KEY for byte in bytes(data))


class XorMechanism(Mechanism):
    name = b"XOR"
    wraps_traffic: ClassVar[bool] = True

    def __init__(self, as_server: bool, password: bytes = b"secret") -> None:
        self.as_server = as_server
        self.password = password
        self._properties = b""
        self._peer: dict[str, bytes] | None = None

    def start(self, properties: bytes) -> list[bytes]:
        self._properties = properties
        return [] if self.as_server else [encode_command(b"HELLO", self.password)]

    def handle_command(self, body: bytes) -> list[bytes]:
        name, data = split_command(body)
        if self.as_server and name == b"HELLO":
            if data != self.password:
                raise RemoteProtocolError("bad password", error_reason=b"400")
            return [encode_command(b"WELCOME")]
        if not self.as_server and name == b"WELCOME":
            return [encode_command(b"READY", self._properties)]
        if name == b"READY":
            self._peer = decode_properties(data)
            return [encode_command(b"READY", self._properties)] if self.as_server else []
        raise RemoteProtocolError(f"unexpected {name!r}")

    @property
    def is_complete(self) -> bool:
        return self._peer is not None

    @property
    def peer_properties(self) -> dict[str, bytes]:
        assert self._peer is not None
        return self._peer

    def encode(self, flags: int, body: bytes | bytearray | memoryview) -> tuple[int, bytes]:
        return 0x04, encode_command(b"MESSAGE", bytes((flags,)) + xor(body))

    def decode(self, flags: int, body: bytes | bytearray) -> tuple[int, bytes | bytearray]:
        name, data = split_command(body)
        if name != b"MESSAGE" or not data:
            raise RemoteProtocolError("expected a MESSAGE command")
        return data[0], xor(data[1:])


def connect(client_password: bytes = b"secret") -> tuple[Connection, Connection, list[object]]:
    client = Connection("DEALER", mechanism=XorMechanism(False, client_password))
    server = Connection("ROUTER", mechanism=XorMechanism(True))
    events: list[object] = []
    for _ in range(4):
        events += transfer(client, server)
        events += transfer(server, client)
    return client, server, events


def test_multi_step_handshake_and_wrapped_traffic() -> None:
    client, server, events = connect()
    assert [type(e) for e in events] == [HandshakeComplete, HandshakeComplete]
    client.send_message([b"hello", b"x" * 20000])
    wire = take_output(client)
    assert b"hello" not in wire  # every frame went through encode()
    server.receive_data(wire)
    assert drain(server) == [Message([b"hello", b"x" * 20000])]


def test_commands_are_wrapped_too() -> None:
    client = Connection("SUB", mechanism=XorMechanism(False))
    server = Connection("PUB", mechanism=XorMechanism(True))
    for _ in range(4):
        transfer(client, server)
        transfer(server, client)
    client.send_subscribe(b"topic")
    wire = take_output(client)
    assert b"SUBSCRIBE" not in wire
    server.receive_data(wire)
    assert drain(server) == [Subscribe(b"topic")]


def test_a_refusal_sends_error_where_the_mechanism_asks() -> None:
    client, server, events = connect(client_password=b"wrong")
    reasons = {e.reason for e in events if isinstance(e, ConnectionClosed)}  # closed repeats
    assert reasons == {"bad password", "peer refused the handshake: 400"}
    assert PeerError("400") in events
    assert server.closed and client.closed
