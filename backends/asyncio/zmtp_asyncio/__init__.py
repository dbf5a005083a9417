"""zmtp_asyncio: ZeroMQ with zmq.asyncio's API, in pure Python.

    import zmtp_asyncio as zmq

    async def main():
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.connect("tcp://127.0.0.1:5555")
        await sock.send_multipart([b"hello", b"world"])
        reply = await sock.recv_multipart()

Everything runs on the event loop's thread: the raw sockets are registered
with ``loop.add_reader``/``add_writer`` (the default loop and uvloop alike),
written with ``sendmsg`` and read with ``recv_into``; timers (heartbeats,
reconnects, LINGER) are ``loop.call_at``. There is no helper thread.

* Sending queues the whole message at once (or, at the high-water mark, waits
  and then queues it whole). The first message of a loop iteration is written
  at once (a request or a reply never waits for the loop); the rest of a burst
  leaves in one ``sendmsg`` at the end of the iteration; a large message leaves
  at once.
* Receiving takes a message in one synchronous step. A coroutine cancelled
  while it waits holds nothing: no message and no frame is ever lost to a
  cancellation or a timeout (``asyncio.wait_for``), and a waiting coroutine
  costs one future, released when it returns or is cancelled.
* ``close()`` returns at once; with LINGER, queued messages keep leaving while
  the loop runs. ``async with ctx:`` (or ``await ctx.wait_closed()``) waits
  for them.

Sockets must be bound, connected and used while their event loop runs.
"""

from __future__ import annotations

from zmtp_transport import namespace as _namespace
from zmtp_transport.namespace import *  # noqa: F403 - pyzmq's flat namespace

from ._context import Context
from ._poll import Poller
from ._socket import MessageTracker, Socket

__all__ = [  # noqa: PLE0604 - the shared names come from zmtp_transport.namespace
    "Context",
    "MessageTracker",
    "Poller",
    "Socket",
    *_namespace.__all__,
]

__getattr__ = _namespace.__getattr__  # option constants, from the core's table
