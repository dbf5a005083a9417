"""What a socket tells its monitor: libzmq's events, and the form they travel in.

The engine records a :class:`MonitorEvent` at each step of a connection's life
that libzmq reports (only those its ``monitor_events`` mask asks for); a backend
sends them to the monitor socket as libzmq's two frames (:func:`encode`): the
16-bit event and 32-bit value in native byte order, then the endpoint.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from typing import NamedTuple

from ._errors import RemoteProtocolError

__all__ = [
    "ACCEPTED",
    "ACCEPT_FAILED",
    "ALL",
    "BIND_FAILED",
    "CLOSED",
    "CONNECTED",
    "CONNECT_DELAYED",
    "CONNECT_RETRIED",
    "DISCONNECTED",
    "HANDSHAKE_FAILED_AUTH",
    "HANDSHAKE_FAILED_NO_DETAIL",
    "HANDSHAKE_FAILED_PROTOCOL",
    "HANDSHAKE_SUCCEEDED",
    "LISTENING",
    "MONITOR_STOPPED",
    "MonitorEvent",
    "encode",
    "fd_of",
    "protocol_error_code",
]

# libzmq's event numbers.
CONNECTED = 1
CONNECT_DELAYED = 2
CONNECT_RETRIED = 4
LISTENING = 8
BIND_FAILED = 16
ACCEPTED = 32
ACCEPT_FAILED = 64
CLOSED = 128
DISCONNECTED = 512
MONITOR_STOPPED = 1024
HANDSHAKE_FAILED_NO_DETAIL = 2048
HANDSHAKE_SUCCEEDED = 4096
HANDSHAKE_FAILED_PROTOCOL = 8192
HANDSHAKE_FAILED_AUTH = 16384
#: Every event of libzmq's first event format.
ALL = 0xFFFF

#: libzmq's code for a ZMTP violation it does not name more precisely.
PROTOCOL_ERROR_ZMTP_UNSPECIFIED = 0x10000000

_HEAD = struct.Struct("=HI")


class MonitorEvent(NamedTuple):
    """One event: what happened, its value (a descriptor, an errno, an interval in
    ms, a protocol error code), and the endpoint it concerns."""

    event: int
    value: int
    endpoint: str


def encode(event: MonitorEvent) -> list[bytes]:
    """The two frames libzmq's monitor sends (event format 1)."""
    return [_HEAD.pack(event.event, event.value & 0xFFFFFFFF), event.endpoint.encode()]


def fd_of(handle: Hashable | None) -> int:
    """The descriptor libzmq reports for a connection or listener (-1 if it has none)."""
    fileno = getattr(handle, "fileno", None)
    return fileno() if callable(fileno) else -1


def protocol_error_code(error: RemoteProtocolError | None) -> int:
    """What HANDSHAKE_FAILED_PROTOCOL reports for ``error``."""
    if error is None or error.code is None:
        return PROTOCOL_ERROR_ZMTP_UNSPECIFIED
    return error.code
