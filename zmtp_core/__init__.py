"""zmtp_core: ZeroMQ's ZMTP 3.x as a sans-IO state machine.

No sockets, no threads, no clocks. A :class:`SocketEngine` is one whole
ZeroMQ socket: its pattern, its connections (keyed by handles the backend
picks), its endpoints, reconnects, backpressure and LINGER; the backend moves
bytes, waits for readiness and tells it the time. The names here are what an
engine's embedder needs (``examples/router_loop.py`` uses nothing else); the
public submodules hold the rest: :mod:`zmtp_core.connection` (one connection,
its events, mechanisms and layers), :mod:`zmtp_core.patterns`,
:mod:`zmtp_core.inproc`, :mod:`zmtp_core.options`, :mod:`zmtp_core.errors`,
:mod:`zmtp_core.monitor` and :mod:`zmtp_core.curve` (with Z85). Modules whose
names start with ``_`` are private.
"""

from ._actions import Action, AskZap, Dial, Drop, Report, Watch, Write
from ._bindings import Dialer, Listener
from ._bodies import Body
from ._config import EngineConfiguration
from ._connection import PENDING
from ._counters import DebugCounters, Toggles, counters
from ._endpoints import IPC_PATH_MAX_LEN, Endpoint, parse_endpoint
from ._engine import SocketEngine
from ._errors import Again, LocalProtocolError, RemoteProtocolError, SocketError, ZMTPError
from ._monitor import MonitorEvent
from ._options import Options
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._version import __version__

__all__ = [
    "IPC_PATH_MAX_LEN",
    "PENDING",
    "Action",
    "Again",
    "AskZap",
    "Body",
    "Buffer",
    "DebugCounters",
    "Dial",
    "Dialer",
    "Drop",
    "Endpoint",
    "EngineConfiguration",
    "Listener",
    "LocalProtocolError",
    "MessageTracker",
    "MonitorEvent",
    "Options",
    "RemoteProtocolError",
    "Report",
    "SocketEngine",
    "SocketError",
    "SocketType",
    "Toggles",
    "Watch",
    "Write",
    "ZMTPError",
    "__version__",
    "counters",
    "parse_endpoint",
]
