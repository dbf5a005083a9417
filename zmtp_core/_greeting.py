"""The ZMTP greeting, sent in libzmq's three steps, and what the peer's says.

libzmq 4.3 does not send its 64 bytes at once. It sends the 10-byte
signature, the major version once the peer's signature has shown a versioned
peer, and the rest once the peer's revision byte is in: the socket type for a
ZMTP 1.0 or 2.0 peer (RFC 13/15, a 12-byte greeting), or minor version,
mechanism and filler for ZMTP 3.x. A peer whose first bytes are not a
signature speaks unversioned ZMTP 1.0: it has sent its identity message, and
our signature doubles as the header of ours. :class:`GreetingExchange` makes
the same steps, so an old peer gets the same bytes from us as from libzmq.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "GREETING_SIZE",
    "MECHANISM_SIZE",
    "Greeting",
    "GreetingExchange",
    "decode_greeting",
    "encode_greeting",
]

GREETING_SIZE = 64
MECHANISM_SIZE = 20
SIGNATURE_SIZE = 10
#: A ZMTP 1.0 (revision 0) or 2.0 (revision 1) greeting: signature, revision, socket type.
LEGACY_GREETING_SIZE = 12
_MAJOR, _MINOR = 3, 1
_UNVERSIONED = -1  # (a Greeting's revision when the peer sent no signature)


@dataclass(frozen=True, slots=True)
class Greeting:
    """What a peer's greeting says; ``version`` is the framing we speak to it.

    ``minor`` is the ZMTP 3 minor version, or a ZMTP 1.0/2.0 peer's socket type;
    ``size`` is how many bytes the greeting took (0: unversioned, none to consume).
    """

    major: int
    minor: int
    mechanism: bytes = b""
    size: int = GREETING_SIZE

    @property
    def version(self) -> tuple[int, int]:
        # libzmq: revision 0 and unversioned get ZMTP 1.0, 1 gets 2.0, 3.0 gets 3.0;
        # any other 3.x, or an unknown revision, 3.1.
        if self.major < 2:
            return (1, 0) if self.major < 1 else (2, 0)
        return (3, 0) if (self.major, self.minor) == (3, 0) else (3, 1)

    @property
    def unversioned(self) -> bool:
        """The peer sent its ZMTP 1.0 identity message instead of a signature."""
        return self.major == _UNVERSIONED


def mechanism_field(name: bytes) -> bytes:
    """The 20-byte, NUL-padded mechanism field for ``name``."""
    if len(name) > MECHANISM_SIZE:
        raise ValueError(f"mechanism name longer than {MECHANISM_SIZE} bytes: {name!r}")
    return name.ljust(MECHANISM_SIZE, b"\0")


def encode_signature(routing_id_size: int = 0) -> bytes:
    """The first 10 bytes: 0xFF, routing-id length + 1 as 64 bits, 0x7F.

    The length is a ZMTP 1.0 relic libzmq keeps: to an unversioned peer these
    bytes are the long header of our identity message.
    """
    return b"\xff" + struct.pack(">Q", routing_id_size + 1) + b"\x7f"


def encode_greeting(mechanism: bytes, routing_id_size: int = 0) -> bytes:
    """Our whole ZMTP 3.1 greeting, byte for byte as libzmq 4.3 sends it to a 3.x peer.

    As-server is always 0: roles come from local options, never the wire.
    """
    return encode_signature(routing_id_size) + bytes((_MAJOR, _MINOR)) + _rest(mechanism)


def _rest(mechanism: bytes) -> bytes:
    return mechanism_field(mechanism) + bytes(32)


def decode_greeting(data: bytes | bytearray | memoryview) -> Greeting:
    """Parse a whole 64-byte ZMTP 3 greeting (as-server and filler are ignored, as
    libzmq does)."""
    if len(data) != GREETING_SIZE:
        raise ValueError("a greeting is exactly 64 bytes")
    return Greeting(major=data[10], minor=data[11], mechanism=bytes(data[12:32]))


class GreetingExchange:
    """Our greeting, step by step as the peer's arrives; see the module docstring."""

    __slots__ = ("_mechanism", "_sent", "_socket_type")

    def __init__(self, mechanism: bytes, socket_type: int) -> None:
        self._mechanism = mechanism
        self._socket_type = socket_type
        self._sent = 1  # steps queued: the signature (queued by whoever made us)

    def advance(self, received: bytes | bytearray | memoryview) -> tuple[bytes, Greeting | None]:
        """Given what the peer sent so far: our next bytes to send (maybe none),
        and its greeting once it is whole (None until then)."""
        n = len(received)
        if n and (received[0] != 0xFF or (n >= SIGNATURE_SIZE and not received[9] & 0x01)):
            return b"", Greeting(major=_UNVERSIONED, minor=0, size=0)
        if n < SIGNATURE_SIZE:
            return b"", None
        out = b""
        if self._sent == 1:
            out, self._sent = bytes((_MAJOR,)), 2
        if n <= SIGNATURE_SIZE:
            return out, None
        revision = received[SIGNATURE_SIZE]
        legacy = revision < 2
        if self._sent == 2:
            out += (
                bytes((self._socket_type,)) if legacy else bytes((_MINOR,)) + _rest(self._mechanism)
            )
            self._sent = 3
        if legacy:
            if n < LEGACY_GREETING_SIZE:
                return out, None
            return out, Greeting(major=revision, minor=received[11], size=LEGACY_GREETING_SIZE)
        if n < GREETING_SIZE:
            return out, None
        return out, decode_greeting(received[:GREETING_SIZE])
