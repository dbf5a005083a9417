"""pyzmq's constants, from the core's tables, so ``zmq.DEALER`` code reads the same.

Every backend re-exports these at its top level."""

from __future__ import annotations

import errno as _errno

from zmtp_core import EFSM, ETERM, OPTIONS, SocketType
from zmtp_core._endpoints import IPC_PATH_MAX_LEN as _IPC_PATH_MAX_LEN
from zmtp_core._errors import EMTHREAD, ENOCOMPATPROTO

# Socket types.
PAIR = SocketType.PAIR
PUB = SocketType.PUB
SUB = SocketType.SUB
REQ = SocketType.REQ
REP = SocketType.REP
DEALER = SocketType.DEALER
ROUTER = SocketType.ROUTER
PULL = SocketType.PULL
PUSH = SocketType.PUSH
XPUB = SocketType.XPUB
XSUB = SocketType.XSUB
XREQ = DEALER
XREP = ROUTER

# send/recv flags and poll events (libzmq's values).
NOBLOCK = DONTWAIT = 1
SNDMORE = 2
POLLIN = 1
POLLOUT = 2
POLLERR = 4

# Error numbers.
EAGAIN = _errno.EAGAIN
EINVAL = _errno.EINVAL
ENOTSUP = _errno.ENOTSUP
EHOSTUNREACH = _errno.EHOSTUNREACH
EADDRINUSE = _errno.EADDRINUSE
ENOTSOCK = _errno.ENOTSOCK
EPROTONOSUPPORT = _errno.EPROTONOSUPPORT
ECONNREFUSED = _errno.ECONNREFUSED
ENOENT = _errno.ENOENT
EMSGSIZE = _errno.EMSGSIZE
ENAMETOOLONG = _errno.ENAMETOOLONG

#: The longest ipc:// path (sockaddr_un.sun_path); longer ones are ENAMETOOLONG.
IPC_PATH_MAX_LEN = _IPC_PATH_MAX_LEN

#: Every option in the core's table, by its pyzmq name (SNDHWM = 23...).
OPTION_NUMBERS: dict[str, int] = {spec.name: spec.number for spec in OPTIONS}
OPTION_NUMBERS["IDENTITY"] = OPTION_NUMBERS["ROUTING_ID"]


def __getattr__(name: str) -> int:
    """Option constants (``SNDHWM``, ``LINGER``...) come from the core's table."""
    try:
        return OPTION_NUMBERS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


__all__ = [
    "DEALER",
    "DONTWAIT",
    "EADDRINUSE",
    "EAGAIN",
    "ECONNREFUSED",
    "EFSM",
    "EHOSTUNREACH",
    "EINVAL",
    "EMSGSIZE",
    "EMTHREAD",
    "ENAMETOOLONG",
    "ENOCOMPATPROTO",
    "ENOENT",
    "ENOTSOCK",
    "ENOTSUP",
    "EPROTONOSUPPORT",
    "ETERM",
    "IPC_PATH_MAX_LEN",
    "NOBLOCK",
    "OPTION_NUMBERS",
    "PAIR",
    "POLLERR",
    "POLLIN",
    "POLLOUT",
    "PUB",
    "PULL",
    "PUSH",
    "REP",
    "REQ",
    "ROUTER",
    "SNDMORE",
    "SUB",
    "XPUB",
    "XREP",
    "XREQ",
    "XSUB",
]
