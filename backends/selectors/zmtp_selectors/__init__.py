"""zmtp_selectors: ZeroMQ with pyzmq's blocking API, in pure Python.

    import zmtp_selectors as zmq

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.connect("tcp://127.0.0.1:5555")
    sock.send_multipart([b"hello", b"world"])

The protocol and the socket patterns are ``zmtp_core``; this package moves
bytes with raw non-blocking sockets, ``selectors``, ``socket.sendmsg`` (one
scatter-gather write for many frames, large bodies by reference) and
``socket.recv_into`` (large bodies straight into their final buffer).

Threads (the design the latency path depends on)
-------------------------------------------------
Each Context has one reactor: a selector, timers and a background thread. At
any moment one thread *leads*, waiting in ``select()`` and doing the I/O that
is ready, for every socket of the context:

* **Sending is inline.** ``send()`` runs the pattern, then writes to the kernel
  from the calling thread (``sendmsg``) if the connection can take it. No
  other thread is involved when the socket is idle-writable. Only what the
  kernel refuses (a full buffer) is left to the leader, which writes it when
  the socket becomes writable - no further call from the application.
* **Receiving is inline too.** ``recv()`` takes a queued message if there is
  one (without the socket's lock when nothing else is due), else reads the
  kernel itself (sockets with few peers), else *becomes the leader*: the
  kernel wakes the receiving thread directly when bytes arrive; it decodes
  them and returns. No hand-off on the latency path. A thread waiting on a
  socket whose peers are all inproc parks on that socket's own lock instead,
  which the delivering thread releases.
* **The background thread** leads whenever no application thread is blocked,
  so accepts, connects, reconnects (RECONNECT_IVL, doubling up to
  RECONNECT_IVL_MAX), heartbeats, partial writes and LINGER all progress while
  the application does something else.
* Each socket has a lock; the leader takes it to do that socket's I/O. An
  application thread never holds a socket lock while it waits.

Write batching: a message sent after a quiet spell leaves at once; messages
that follow within 100 us gather and leave in one ``sendmsg`` (at 100
messages, 64 KiB, the end of the window, or before the sender blocks); a large
message flushes the batch with it. ``ZMTP_WRITE_BATCHING=0`` (or the socket
option) turns it off; the ``batch_*`` debug counters show what happened.

Frames: ``recv()`` returns ``bytes``; ``recv(copy=False)`` returns a
:class:`Frame` whose ``.buffer`` is the very buffer the socket read into (for
large frames, a ``bytearray`` filled by ``recv_into``: no copy at all).
``send(buf, copy=False, track=True)`` keeps a mutable ``buf`` by reference and
returns a :class:`MessageTracker`; do not change ``buf`` before
``tracker.done`` (the kernel has taken its last byte, or it was dropped).

Transports: ``tcp://`` (IPv4, IPv6 with the IPV6 option, TCP_NODELAY),
``ipc://`` (a path, ``@name`` in the abstract namespace, ``*`` for a fresh
path; a stale socket file is replaced, a live one refused), ``inproc://``
(sockets of one Context; frames move by reference, nothing is encoded).
"""

from __future__ import annotations

from zmtp_transport import namespace as _namespace
from zmtp_transport.constants import *  # noqa: F403 - pyzmq's flat namespace
from zmtp_transport.errors import *  # noqa: F403
from zmtp_transport.namespace import *  # noqa: F403

from ._context import Context
from ._frame import MessageTracker
from ._poll import Poller, select_sockets, zmq_poll
from ._proxy import device, proxy, proxy_steerable
from ._socket import Socket

select = select_sockets
#: pyzmq's names for its blocking classes (beside zmq.asyncio's).
SyncContext, SyncSocket = Context, Socket

__all__ = [
    "Context",
    "MessageTracker",
    "Poller",
    "Socket",
    "SyncContext",
    "SyncSocket",
    "device",
    "proxy",
    "proxy_steerable",
    "select",
    "zmq_poll",
]
__all__ += _namespace.__all__
