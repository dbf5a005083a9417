"""pyzmq's ``zmq.green`` classes: zmtp_selectors' own, on the hub of the calling thread."""

from __future__ import annotations

import functools
from typing import ClassVar

import gevent.select

from zmtp_transport._polling import poll_descriptors

from .. import _context, _poll, _socket
from .._reactor import Reactor
from ._hub import HubReactor

__all__ = ["Context", "Poller", "Socket"]


class Socket(_socket.Socket):
    """A zmtp_selectors Socket whose waits block only the calling greenlet."""


class Context(_context.Context):
    """A Context whose sockets do their I/O in gevent's hub (see ``_hub``)."""

    _instance: ClassVar[_context.Context | None] = None  # (not the blocking one's)
    _socket_class = Socket
    _reactor_class: ClassVar[type[Reactor]] = HubReactor


class Poller(_poll.Poller):
    """A Poller that waits only in the calling greenlet, on plain descriptors too."""

    _poll_descriptors = staticmethod(functools.partial(poll_descriptors, poll=gevent.select.poll))
