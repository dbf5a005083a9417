"""zmtp_transport: what every zmtp backend does with a raw socket, written once.

Backends differ in how they wait (a selector and threads, asyncio's loop,
anyio's tasks); they do not differ in what they do once a socket is ready:
open and tune it, read into the core with ``recv_into``, write its scatter lists
with ``sendmsg``, decode in bulk into pipes, reconnect with backoff. This
package holds that part. It imports ``socket`` and the core, and no framework:
a backend hands it a :class:`Loop` (readiness, timers, a clock) and an
:class:`Owner` per zmtp socket.
"""

from ._async_api import AsyncMessageTracker, AsyncSocketAPI
from ._batching import IterationBatcher, count_flush
from ._connecting import Connecter, Listener
from ._context import ContextBase
from ._inproc import InprocEnd, InprocLink, InprocRegistry
from ._loop import Batcher, Handle, Loop, Owner
from ._sockets import describe, open_listener, tcp_address, tune
from ._stream import CONNECTION_BACKLOG, Stream

__all__ = [
    "CONNECTION_BACKLOG",
    "AsyncMessageTracker",
    "AsyncSocketAPI",
    "Batcher",
    "Connecter",
    "ContextBase",
    "Handle",
    "InprocEnd",
    "InprocLink",
    "InprocRegistry",
    "IterationBatcher",
    "Listener",
    "Loop",
    "Owner",
    "Stream",
    "count_flush",
    "describe",
    "open_listener",
    "tcp_address",
    "tune",
]
