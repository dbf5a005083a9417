"""The core's errors, and the error numbers libzmq adds to the system's."""

from ._errors import (
    EFSM,
    EMTHREAD,
    ENOCOMPATPROTO,
    ETERM,
    Again,
    AuthenticationFailed,
    LocalProtocolError,
    RemoteProtocolError,
    SocketError,
    ZMTPError,
    strerror,
)

__all__ = [
    "EFSM",
    "EMTHREAD",
    "ENOCOMPATPROTO",
    "ETERM",
    "Again",
    "AuthenticationFailed",
    "LocalProtocolError",
    "RemoteProtocolError",
    "SocketError",
    "ZMTPError",
    "strerror",
]
