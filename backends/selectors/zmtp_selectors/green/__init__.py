"""zmtp_selectors.green: pyzmq's ``zmq.green``, ZeroMQ for gevent programs.

    import zmtp_selectors.green as zmq

Everything ``zmtp_selectors`` has, with Context, Socket and Poller whose
blocking calls block only the calling greenlet: the sockets' I/O, timers and
reconnects run in gevent's hub (no thread, no monkey patching needed). proxy,
proxy_steerable and device wait through the Poller, so they are green too.
A green Context's sockets belong to the thread whose hub runs them.
"""

from __future__ import annotations

import functools

import zmtp_selectors as _selectors
from zmtp_transport.constants import *  # noqa: F403 - pyzmq's flat namespace
from zmtp_transport.errors import *  # noqa: F403
from zmtp_transport.namespace import *  # noqa: F403

from .. import _poll
from .._frame import MessageTracker as MessageTracker
from .._proxy import device as device
from .._proxy import proxy as proxy
from .._proxy import proxy_steerable as proxy_steerable
from ._sockets import Context as Context
from ._sockets import Poller as Poller
from ._sockets import Socket as Socket

#: zmq_poll() and select() with the green Poller.
zmq_poll = functools.partial(_poll.zmq_poll, poller_class=Poller)
select = functools.partial(_poll.select_sockets, poller_class=Poller)
SyncContext, SyncSocket = Context, Socket

__all__: list[str] = []
__all__ += _selectors.__all__  # the same names, green
