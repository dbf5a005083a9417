"""The security-mechanism interface, and NULL.

A mechanism owns the commands between the greeting and traffic (HELLO, WELCOME,
READY...) and, for mechanisms that encrypt, the wrapping of every frame after.
The connection state machine only asks it three things: what to send first,
what to answer to a handshake command, and whether it is done. PLAIN and CURVE
plug in here without touching the connection.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from ._commands import READY, decode_properties, encode_command, split_command
from ._errors import (
    PROTOCOL_ERROR_UNEXPECTED_COMMAND,
    AuthenticationFailed,
    AuthenticationUnavailable,
    RemoteProtocolError,
)

__all__ = ["Mechanism", "NullMechanism", "zap_refusal"]


class Mechanism(abc.ABC):
    """One side of a ZMTP security handshake; a fresh instance per connection."""

    #: The name in the greeting's mechanism field, e.g. ``b"NULL"``.
    name: ClassVar[bytes]
    #: True when traffic frames must pass through :meth:`encode`/:meth:`decode`.
    wraps_traffic: ClassVar[bool] = False

    @abc.abstractmethod
    def start(self, properties: bytes) -> list[bytes]:
        """Command bodies to send once the peer's greeting is accepted.

        ``properties`` is our encoded metadata (Socket-Type, Identity, X-...),
        for the mechanism to place in READY or INITIATE.
        """

    @abc.abstractmethod
    def handle_command(self, body: bytes) -> list[bytes]:
        """Take one handshake command from the peer; return command bodies to send.

        ERROR commands never reach here: the connection handles them. Raise
        :class:`RemoteProtocolError` to refuse the peer.
        """

    #: libzmq's zap_enabled: every mechanism but NULL asks ZAP (and so refuses a
    #: ZMTP 1.0/2.0 peer, which cannot be asked about).
    zap_enabled = True

    #: The metadata the peer sent: set by the mechanism when its handshake succeeds.
    _peer: dict[str, bytes] | None = None

    @property
    def is_complete(self) -> bool:
        """The handshake succeeded and traffic may start."""
        return self._peer is not None

    @property
    def peer_properties(self) -> dict[str, bytes]:
        """The metadata the peer sent, valid once complete."""
        if self._peer is None:
            raise RuntimeError("the handshake is not complete")
        return self._peer

    #: How an ERROR command starts on the wire (the first is what we send).
    error_prefixes: ClassVar[tuple[bytes, ...]] = (b"\x05ERROR",)

    #: Set by :meth:`handle_command` when a server must ask ZAP before it can
    #: answer: the credentials for the request. The connection takes it (and
    #: sets it back to None), then waits for :meth:`zap_reply`.
    zap_credentials: tuple[bytes, ...] | None = None

    def zap_reply(self, status_code: str | None) -> list[bytes]:
        """ZAP's verdict ("200", "300", "400", "500"; None: no handler is bound):
        the command bodies to send, or a RemoteProtocolError to refuse the peer."""
        raise NotImplementedError

    def encode(
        self, flags: int, body: bytes | bytearray | memoryview
    ) -> tuple[int, bytes | bytearray]:
        """Wrap one outgoing traffic frame (only called when ``wraps_traffic``)."""
        raise NotImplementedError

    def decode(self, flags: int, body: bytes | bytearray) -> tuple[int, bytes | bytearray]:
        """Unwrap one incoming traffic frame (only called when ``wraps_traffic``)."""
        raise NotImplementedError


def zap_refusal(status_code: str | None, mechanism: str) -> RemoteProtocolError:
    """How a handshake ZAP did not approve ends, as libzmq ends it: 300 closes,
    400 and 500 send ERROR with the code first; no handler at all (where one is
    required) is EFAULT, and anything else a malformed reply."""
    if status_code is None:
        return AuthenticationUnavailable(
            f"{mechanism} needs a ZAP handler at inproc://zeromq.zap.01 and none is bound"
        )
    if status_code in ("300", "400", "500"):
        return AuthenticationFailed(
            f"ZAP refused the peer ({status_code})",
            int(status_code),
            error_reason=None if status_code == "300" else status_code.encode(),
        )
    return RemoteProtocolError(f"ZAP replied with status code {status_code!r}")


class NullMechanism(Mechanism):
    """ZMTP NULL: both sides send READY at once, no security at all.

    Except that a socket with a ZAP domain asks ZAP about every peer first (on
    both sides, as libzmq does: RFC 27 lets a handler refuse by address), and
    sends READY only once ZAP approves. With no handler bound it goes on, unless
    ZAP_ENFORCE_DOMAIN is set.
    """

    name = b"NULL"

    def __init__(self, *, ask_zap: bool = False, enforce_domain: bool = False) -> None:
        self._ask_zap = self.zap_enabled = ask_zap
        self._enforce_domain = enforce_domain
        self._ready = b""

    def start(self, properties: bytes) -> list[bytes]:
        ready = encode_command(READY, properties)
        if not self._ask_zap:
            return [ready]
        self._ready = ready
        self.zap_credentials = (b"",)  # (libzmq sends one empty credentials frame)
        return []

    def zap_reply(self, status_code: str | None) -> list[bytes]:
        if status_code == "200" or (status_code is None and not self._enforce_domain):
            return [self._ready]
        raise zap_refusal(status_code, "NULL")

    def handle_command(self, body: bytes) -> list[bytes]:
        name, data = split_command(body)
        if name != READY:
            raise RemoteProtocolError(
                f"NULL handshake expected READY, got {name!r}",
                code=PROTOCOL_ERROR_UNEXPECTED_COMMAND,
            )
        if self._peer is not None:
            raise RemoteProtocolError(
                "NULL handshake: READY received twice", code=PROTOCOL_ERROR_UNEXPECTED_COMMAND
            )
        self._peer = decode_properties(data)
        return []
