"""zmtp_transport: what every zmtp backend does with a raw socket, written once.

Backends differ in how they wait (a selector and threads, asyncio's loop,
anyio's tasks); they do not differ in what they do once a socket is ready.
The core's :class:`~zmtp_core.SocketEngine` decides everything a ZeroMQ
socket decides; this package carries it out with real sockets (the
:class:`Driver`: open and tune, ``recv_into``, ``sendmsg``, dial, accept) and
puts pyzmq's API in front of it. It imports ``socket`` and the core, and no
framework: a backend hands it a :class:`Loop` (readiness, timers, a clock).
"""

import os

from zmtp_core import counters

from ._api import SocketAPI, weakly
from ._async_api import READY_STREAK, AsyncMessageTracker, AsyncSocketAPI, Pace
from ._batching import IterationBatcher, count_flush
from ._context import ContextBase
from ._driver import Driver
from ._inproc import InprocRegistry
from ._loop import Batcher, Handle, Loop, ReadyHandler
from ._polling import PollerBase, poll_descriptors
from ._sockets import describe, open_listener, tcp_address, tune
from ._timers import Timer, TimerQueue
from ._tls_files import tls_context, tls_context_for

counters.enable_from(os.environ)  # ZMTP_DEBUG_COUNTERS, read once for every backend

__all__ = [
    "READY_STREAK",
    "AsyncMessageTracker",
    "AsyncSocketAPI",
    "Batcher",
    "ContextBase",
    "Driver",
    "Handle",
    "InprocRegistry",
    "IterationBatcher",
    "Loop",
    "Pace",
    "PollerBase",
    "ReadyHandler",
    "SocketAPI",
    "Timer",
    "TimerQueue",
    "count_flush",
    "describe",
    "open_listener",
    "poll_descriptors",
    "tcp_address",
    "tls_context",
    "tls_context_for",
    "tune",
    "weakly",
]
