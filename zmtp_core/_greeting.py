"""The 64-byte ZMTP 3.x greeting, and the early refusal of older peers.

libzmq sends its greeting in three pieces (10 bytes, the major version, the
rest); :func:`check_greeting_prefix` lets the connection refuse a ZMTP 1.0/2.0
peer as soon as the deciding byte is in, without waiting for 64 bytes that
such a peer will never send.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ._errors import RemoteProtocolError

__all__ = [
    "GREETING_SIZE",
    "MECHANISM_SIZE",
    "Greeting",
    "check_greeting_prefix",
    "decode_greeting",
    "encode_greeting",
]

GREETING_SIZE = 64
MECHANISM_SIZE = 20
_MAJOR, _MINOR = 3, 1


@dataclass(frozen=True, slots=True)
class Greeting:
    """What a peer's greeting says; ``version`` is the framing we speak to it."""

    major: int
    minor: int
    mechanism: bytes

    @property
    def version(self) -> tuple[int, int]:
        # libzmq: 3.0 gets the 3.0 encoder; any other minor or a higher major, 3.1.
        return (3, 0) if (self.major, self.minor) == (3, 0) else (3, 1)


def mechanism_field(name: bytes) -> bytes:
    """The 20-byte, NUL-padded mechanism field for ``name``."""
    if len(name) > MECHANISM_SIZE:
        raise ValueError(f"mechanism name longer than {MECHANISM_SIZE} bytes: {name!r}")
    return name.ljust(MECHANISM_SIZE, b"\0")


def encode_greeting(
    mechanism: bytes, routing_id_size: int = 0, version: tuple[int, int] = (_MAJOR, _MINOR)
) -> bytes:
    """Our greeting, byte for byte as libzmq 4.3 sends it.

    The padding carries routing-id length + 1 (a ZMTP/1.0 relic libzmq keeps)
    and as-server is always 0: roles come from local options, never the wire.
    (``version`` 3.0 is for the greeting the WebSocket layer stands in for.)
    """
    return (
        b"\xff"
        + struct.pack(">Q", routing_id_size + 1)
        + b"\x7f"
        + bytes(version)
        + mechanism_field(mechanism)
        + bytes(32)
    )


def check_greeting_prefix(prefix: bytes | bytearray | memoryview) -> None:
    """Refuse a pre-3.0 peer from the first bytes of its greeting."""
    n = len(prefix)
    if n >= 1 and prefix[0] != 0xFF:
        raise RemoteProtocolError("peer speaks unversioned ZMTP 1.0, which is not supported")
    if n >= 10 and not prefix[9] & 0x01:
        raise RemoteProtocolError("peer speaks ZMTP 1.0, which is not supported")
    if n >= 11 and prefix[10] < 2:
        version = "1.0" if prefix[10] == 0 else "2.0"
        raise RemoteProtocolError(f"peer speaks ZMTP {version}, which is not supported")


def decode_greeting(data: bytes | bytearray | memoryview) -> Greeting:
    """Parse a whole 64-byte greeting (as-server and filler are ignored, as libzmq does)."""
    if len(data) != GREETING_SIZE:
        raise ValueError("a greeting is exactly 64 bytes")
    check_greeting_prefix(data)
    return Greeting(major=data[10], minor=data[11], mechanism=bytes(data[12:32]))
