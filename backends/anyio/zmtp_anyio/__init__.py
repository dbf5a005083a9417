"""zmtp_anyio: ZeroMQ for anyio, on trio and on asyncio alike, in pure Python::

    import anyio
    import zmtp_anyio as zmq

    async def main():
        async with zmq.Context() as ctx, ctx.socket(zmq.DEALER) as sock:
            sock.connect("tcp://127.0.0.1:5555")
            await sock.send_multipart([b"hello", b"world"])
            with anyio.fail_after(5):
                reply = await sock.recv_multipart()

    anyio.run(main)                   # or anyio.run(main, backend="trio")

The Context is an async context manager owning a task group: every background
task of its sockets lives there and none outlives the ``async with`` block.
Raw sockets are owned here, waited on with ``anyio.wait_readable`` and
``wait_writable``, written with ``sendmsg`` and read with ``recv_into``; on
release, ``anyio.notify_closing`` wakes whatever still waits on them.

* Sending queues the whole message at once (or, at the high-water mark, waits
  and then queues it whole); what one loop turn queued leaves in one
  ``sendmsg``; a large message leaves at once.
* Timeouts and cancellation are anyio's cancel scopes (``fail_after``,
  ``move_on_after``, a cancelled task group) or the RCVTIMEO/SNDTIMEO options.
  A cancelled receive loses no message and no frame; a cancelled send queued
  its whole message or nothing.
* Leaving the Context closes its open sockets, waits for lingering messages
  (bounded by each socket's LINGER), then cancels what is left.

Sockets are used from the task group's event loop thread only.
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
