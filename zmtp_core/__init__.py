"""zmtp_core: ZeroMQ's ZMTP 3.x as a sans-IO state machine.

No sockets, no threads, no clocks: a :class:`Connection` takes bytes and gives
back events and scatter lists of buffers; a socket from :func:`create_socket`
applies a ZeroMQ pattern (routing, fan-out, HWM) over :class:`Pipe` objects,
one per peer. A backend does the I/O and moves messages between the two.
tls://, ws:// and wss:// add a :class:`Layer` (TLS, ZWS 2.0) between the socket
and the Connection, which :func:`layering` builds from an endpoint; it looks like
a Connection to the backend. See the docstrings of ``_connection.py``,
``_pipe.py`` and ``_layer.py`` for the contracts.
"""

from ._connection import PENDING, Connection, ConnectionState, Input
from ._counters import DebugCounters, counters, resolve_toggle
from ._endpoints import Endpoint, parse_endpoint
from ._errors import (
    EFSM,
    ETERM,
    Again,
    LocalProtocolError,
    RemoteProtocolError,
    SocketError,
    ZMTPError,
)
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
from ._layer import Layer
from ._mechanism import Mechanism, NullMechanism
from ._options import OPTIONS, Options, OptionSpec
from ._pipe import Pipe, PipeListener, SubscriptionCommand
from ._sendqueue import IOV_MAX, Buffer, MessageTracker
from ._socket_types import SocketType, can_pair
from ._socketbase import SocketBase
from ._sockets import create_socket
from ._transports import Layering, layering

__all__ = [
    "EFSM",
    "ETERM",
    "IOV_MAX",
    "NEED_DATA",
    "OPTIONS",
    "PENDING",
    "Again",
    "Buffer",
    "Cancel",
    "Connection",
    "ConnectionClosed",
    "ConnectionState",
    "DebugCounters",
    "Endpoint",
    "Event",
    "Frame",
    "HandshakeComplete",
    "Input",
    "Layer",
    "Layering",
    "LocalProtocolError",
    "Mechanism",
    "Message",
    "MessageTracker",
    "NeedData",
    "NullMechanism",
    "OptionSpec",
    "Options",
    "PeerError",
    "Pipe",
    "PipeListener",
    "RemoteProtocolError",
    "SocketBase",
    "SocketError",
    "SocketType",
    "Subscribe",
    "SubscriptionCommand",
    "ZMTPError",
    "can_pair",
    "counters",
    "create_socket",
    "layering",
    "parse_endpoint",
    "resolve_toggle",
]
