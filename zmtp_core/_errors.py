"""The two ways a connection can go wrong, kept apart as h11 does.

A :class:`LocalProtocolError` is our own caller's mistake (sending before the
handshake, reporting more bytes written than were offered): it is raised at
once and leaves the connection as it was. A :class:`RemoteProtocolError` is the
peer's fault: it never escapes :meth:`Connection.next_event`; it ends that one
connection and travels inside the :class:`ConnectionClosed` event.
"""

from __future__ import annotations

import errno as _errno
import os

__all__ = [
    "EFSM",
    "EMTHREAD",
    "ENOCOMPATPROTO",
    "ETERM",
    "Again",
    "LocalProtocolError",
    "RemoteProtocolError",
    "SocketError",
    "ZMTPError",
    "strerror",
]


class ZMTPError(Exception):
    """Base class of every error the core raises."""


class LocalProtocolError(ZMTPError):
    """The application (or backend) used the connection in a way ZMTP forbids."""


class RemoteProtocolError(ZMTPError):
    """The peer broke the protocol; the connection is closed.

    ``error_reason`` is set when ZMTP wants the peer told why, with an ERROR
    command (libzmq does that only for rejected authentication). ``code`` is
    libzmq's ZMQ_PROTOCOL_ERROR_* number for it, when it has a precise one
    (the socket monitor reports it).
    """

    def __init__(
        self, message: str, *, error_reason: bytes | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.error_reason = error_reason
        self.code = code


class AuthenticationFailed(RemoteProtocolError):
    """The handshake was refused for authentication: the peer's ERROR carried a
    ZAP status code (300, 400, 500), or our ZAP handler denied the peer."""

    def __init__(
        self, message: str, status_code: int, *, error_reason: bytes | None = None
    ) -> None:
        super().__init__(message, error_reason=error_reason)
        self.status_code = status_code


class AuthenticationUnavailable(RemoteProtocolError):
    """The mechanism must ask ZAP and no handler is bound (libzmq's PLAIN server
    then fails the handshake; the monitor says HANDSHAKE_FAILED_NO_DETAIL, EFAULT)."""


#: libzmq's protocol error codes (ZMQ_PROTOCOL_ERROR_ZMTP_*), for the monitor.
PROTOCOL_ERROR_UNEXPECTED_COMMAND = 0x10000001
PROTOCOL_ERROR_MALFORMED_COMMAND = 0x10000011
PROTOCOL_ERROR_MECHANISM_MISMATCH = 0x11000002
PROTOCOL_ERROR_MALFORMED_HELLO = 0x10000013
PROTOCOL_ERROR_MALFORMED_INITIATE = 0x10000014
PROTOCOL_ERROR_MALFORMED_READY = 0x10000016
PROTOCOL_ERROR_MALFORMED_WELCOME = 0x10000017
PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = 0x20000001
PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = 0x20000004
#: A violation libzmq reports with no handshake event (a socket type mismatch):
#: the monitor hears only DISCONNECTED.
PROTOCOL_ERROR_UNREPORTED = 0


# libzmq's own error numbers (ZMQ_HAUSNUMERO + n); the others are the system's.
EFSM = 156384763
ENOCOMPATPROTO = 156384764
ETERM = 156384765
EMTHREAD = 156384766

_ERRNO_NAMES = {
    EFSM: ("EFSM", "Operation cannot be accomplished in current state"),
    ENOCOMPATPROTO: ("ENOCOMPATPROTO", "The protocol is not compatible with the socket type"),
    ETERM: ("ETERM", "Context was terminated"),
    EMTHREAD: ("EMTHREAD", "No thread available"),
}


class SocketError(ZMTPError):
    """A socket operation failed as the libzmq call would: with an errno.

    ``errno`` uses libzmq's numbers (EFSM, ETERM...) and the system's for the
    rest (EAGAIN, EINVAL, EHOSTUNREACH...), so pyzmq-style code can compare.
    """

    def __init__(self, errno: int, message: str | None = None) -> None:
        self.errno = errno
        self.strerror = message or strerror(errno)
        super().__init__(self.strerror)

    @property
    def errno_name(self) -> str:
        """The symbolic name, e.g. ``"EAGAIN"``."""
        if self.errno in _ERRNO_NAMES:
            return _ERRNO_NAMES[self.errno][0]
        return _errno.errorcode.get(self.errno, str(self.errno))


class Again(SocketError):
    """The operation would block: EAGAIN (HWM reached, nothing to receive...)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(_errno.EAGAIN, message)


def strerror(errno: int) -> str:
    """The message for an error number, libzmq's own ones (EFSM...) included."""
    if errno in _ERRNO_NAMES:
        return _ERRNO_NAMES[errno][1]
    return os.strerror(errno)
