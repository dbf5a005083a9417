"""zmtp_core: ZeroMQ's ZMTP 3.x as a sans-IO state machine.

No sockets, no threads, no clocks: a :class:`Connection` takes bytes and gives
back events and scatter lists of buffers; a backend does the I/O. See
``Connection``'s module for the contract a backend follows.
"""

from ._connection import PENDING, Connection, ConnectionState, Input
from ._counters import DebugCounters, counters, resolve_toggle
from ._errors import LocalProtocolError, RemoteProtocolError, ZMTPError
from ._events import (
    NEED_DATA,
    Cancel,
    ConnectionClosed,
    Event,
    Frame,
    HandshakeComplete,
    Message,
    NeedData,
    PeerError,
    Subscribe,
)
from ._mechanism import Mechanism, NullMechanism
from ._sendqueue import IOV_MAX, Buffer, MessageTracker
from ._socket_types import SocketType, can_pair

__all__ = [
    "IOV_MAX",
    "NEED_DATA",
    "PENDING",
    "Buffer",
    "Cancel",
    "Connection",
    "ConnectionClosed",
    "ConnectionState",
    "DebugCounters",
    "Event",
    "Frame",
    "HandshakeComplete",
    "Input",
    "LocalProtocolError",
    "Mechanism",
    "Message",
    "MessageTracker",
    "NeedData",
    "NullMechanism",
    "PeerError",
    "RemoteProtocolError",
    "SocketType",
    "Subscribe",
    "ZMTPError",
    "can_pair",
    "counters",
    "resolve_toggle",
]
