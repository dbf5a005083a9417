"""zmtp_curio: ZeroMQ for curio, in pure Python.

    import curio
    import zmtp_curio as zmq

    async def main():
        async with zmq.Context() as ctx, ctx.socket(zmq.DEALER) as sock:
            sock.connect("tcp://127.0.0.1:5555")
            await sock.send_multipart([b"hello", b"world"])
            reply = await curio.timeout_after(5, sock.recv_multipart())

    curio.run(main)

The same calls as zmtp_asyncio and zmtp_anyio. The Context is an async context
manager owning a curio task group: every background task of its sockets
(readiness watchers on curio's own traps, the timer task) lives there and none
outlives the ``async with`` block.

* Sending queues the whole message at once (or, at the high-water mark, waits
  and then queues it whole); the first message of a turn leaves at once, the
  rest of a burst in one ``sendmsg``; a large message leaves at once.
* Timeouts and cancellation are curio's (``timeout_after``, ``ignore_after``,
  a cancelled task) or the RCVTIMEO/SNDTIMEO options. A cancelled receive
  loses no message and no frame; a cancelled send queued its whole message or
  nothing.
* Leaving the Context closes its open sockets, waits for lingering messages
  (bounded by each socket's LINGER), then cancels what is left.

Sockets are used from the Context's curio kernel only.
"""

from __future__ import annotations

from zmtp_transport import namespace as _namespace
from zmtp_transport.constants import *  # noqa: F403 - pyzmq's flat namespace
from zmtp_transport.errors import *  # noqa: F403
from zmtp_transport.namespace import *  # noqa: F403
from zmtp_transport.proxy import awaitable_proxies as _awaitable_proxies

from ._context import Context
from ._poll import Poller
from ._socket import MessageTracker, Socket

proxy, proxy_steerable, device = _awaitable_proxies(Poller)

__all__ = ["Context", "MessageTracker", "Poller", "Socket", "device", "proxy", "proxy_steerable"]
__all__ += _namespace.__all__
