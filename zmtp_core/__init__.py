"""zmtp_core: ZeroMQ's ZMTP 3.x as a sans-IO state machine.

No sockets, no threads, no clocks. A :class:`SocketEngine` is one whole
ZeroMQ socket: its pattern, its connections (keyed by handles the backend
picks), its endpoints, reconnects, backpressure and LINGER; the backend moves
bytes, waits for readiness and tells it the time. Inside, a
:class:`Connection` speaks ZMTP to one peer (bytes in, events and scatter
lists out), a pattern from :func:`create_socket` routes messages over
:class:`Pipe` objects, one per peer, and tls://, ws:// and wss:// add a
:class:`Layer` under the Connection. See the docstrings of ``_engine.py``,
``_connection.py``, ``_pipe.py`` and ``_layer.py`` for the contracts.
"""

from ._actions import Action, Dial, Drop, Watch
from ._bindings import Dialer, Listener
from ._bodies import Body
from ._config import EngineConfiguration
from ._connection import PENDING, Connection, ConnectionState, Input
from ._counters import DebugCounters, Toggles, counters
from ._endpoints import Endpoint, parse_endpoint
from ._engine import SocketEngine
from ._errors import (
    EFSM,
    ETERM,
    Again,
    AuthenticationFailed,
    LocalProtocolError,
    RemoteProtocolError,
    SocketError,
    ZMTPError,
)
from ._events import (
    NEED_DATA,
    AuthenticationRequest,
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
from ._monitor import MonitorEvent
from ._options import OPTIONS, Options, OptionSpec
from ._pipe import Pipe, PipeListener, Sink, SubscriptionCommand
from ._plain import PlainClient, PlainServer
from ._sendqueue import IOV_MAX, Buffer, MessageTracker
from ._socket_types import SocketType, can_pair
from ._socketbase import SocketBase
from ._sockets import create_socket
from ._transports import Layering, layering
from ._version import __version__
from ._z85 import z85_decode, z85_encode

__all__ = [
    "EFSM",
    "ETERM",
    "IOV_MAX",
    "NEED_DATA",
    "OPTIONS",
    "PENDING",
    "Action",
    "Again",
    "AuthenticationFailed",
    "AuthenticationRequest",
    "Body",
    "Buffer",
    "Cancel",
    "Connection",
    "ConnectionClosed",
    "ConnectionState",
    "DebugCounters",
    "Dial",
    "Dialer",
    "Drop",
    "Endpoint",
    "EngineConfiguration",
    "Event",
    "Frame",
    "HandshakeComplete",
    "Input",
    "Layer",
    "Layering",
    "Listener",
    "LocalProtocolError",
    "Mechanism",
    "Message",
    "MessageTracker",
    "MonitorEvent",
    "NeedData",
    "NullMechanism",
    "OptionSpec",
    "Options",
    "PeerError",
    "Pipe",
    "PipeListener",
    "PlainClient",
    "PlainServer",
    "RemoteProtocolError",
    "Sink",
    "SocketBase",
    "SocketEngine",
    "SocketError",
    "SocketType",
    "Subscribe",
    "SubscriptionCommand",
    "Toggles",
    "Watch",
    "ZMTPError",
    "__version__",
    "can_pair",
    "counters",
    "create_socket",
    "layering",
    "parse_endpoint",
    "z85_decode",
    "z85_encode",
]
