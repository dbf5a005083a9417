"""zmtp_asyncio: ZeroMQ with zmq.asyncio's API, in pure Python.

    import zmtp_asyncio as zmq

    async def main():
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.connect("tcp://127.0.0.1:5555")
        await sock.send_multipart([b"hello", b"world"])
        reply = await sock.recv_multipart()

As in zmq.asyncio, the calls that may wait (send, recv, poll and their
variants) return Futures: their work is tried at once, and a Future that could
finish at once is already done (awaiting it costs no trip round the loop).

Everything runs on the event loop's thread: the raw sockets are registered
with ``loop.add_reader``/``add_writer`` (the default loop and uvloop alike),
written with ``sendmsg`` and read with ``recv_into``; timers (heartbeats,
reconnects, LINGER) are ``loop.call_at``. There is no helper thread.

* Sending queues the whole message at once (or, at the high-water mark, waits
  and then queues it whole). The first message of a loop iteration is written
  at once (a request or a reply never waits for the loop); the rest of a burst
  leaves in one ``sendmsg`` at the end of the iteration; a large message leaves
  at once.
* Receiving takes a message in one synchronous step. A receive cancelled
  while it waits holds nothing: no message and no frame is ever lost to a
  cancellation or a timeout (``asyncio.wait_for``), and a waiting receive
  costs one future, released when it returns or is cancelled.
* A call that finds its work ready does not wait, but one in 32 in a row
  yields to the loop first: a task that only sends, receives or polls cannot
  starve the others (nor its own batch's flush).
* ``close()`` returns at once; with LINGER, queued messages keep leaving while
  the loop runs. ``async with ctx:`` (or ``await ctx.wait_closed()``) waits
  for them.

Sockets may be made, bound and connected before the loop runs: they live on
the loop that runs when they are first awaited (or polled).
"""

from __future__ import annotations

import asyncio as _asyncio
import warnings as _warnings

from zmtp_transport import namespace as _namespace
from zmtp_transport.constants import *  # noqa: F403 - pyzmq's flat namespace
from zmtp_transport.errors import *  # noqa: F403
from zmtp_transport.namespace import *  # noqa: F403
from zmtp_transport.proxy import awaitable_proxies as _awaitable_proxies

from ._context import Context
from ._poll import Poller
from ._socket import MessageTracker, Socket

proxy, proxy_steerable, device = _awaitable_proxies(Poller)

#: pyzmq's deprecated names: any asyncio loop will do here.
ZMQEventLoop = _asyncio.SelectorEventLoop
Future = _asyncio.Future


def install() -> None:
    """Deprecated by pyzmq (nothing needs installing): does nothing."""
    _warnings.warn(
        "zmtp_asyncio.install() is not needed: any asyncio loop works",
        DeprecationWarning,
        stacklevel=2,
    )


__all__ = [
    "Context",
    "Future",
    "MessageTracker",
    "Poller",
    "Socket",
    "ZMQEventLoop",
    "device",
    "install",
    "proxy",
    "proxy_steerable",
]
__all__ += _namespace.__all__
