"""pyzmq's ``zmq.green`` classes: zmtp_selectors' own, on the hub of the calling thread."""

from __future__ import annotations

import functools
import warnings
from typing import Any, ClassVar

import gevent.select

from zmtp_core import SocketError
from zmtp_core.options import lookup
from zmtp_transport import poll_descriptors

from .. import _context, _poll, _socket
from .._reactor import Reactor
from ._hub import HubReactor

__all__ = ["Context", "Poller", "Socket"]


class Socket(_socket.Socket):
    """A zmtp_selectors Socket whose waits block only the calling greenlet."""

    _parks = False  # (a greenlet waits on the hub, never on a lock of its own)

    def setsockopt(self, option: int | str, value: Any) -> None:
        _warn_timeouts(option)
        super().setsockopt(option, value)

    def getsockopt(self, option: int | str) -> Any:
        _warn_timeouts(option)
        return super().getsockopt(option)

    set, get = setsockopt, getsockopt


def _warn_timeouts(option: int | str) -> None:
    """pyzmq's zmq.green warns that it ignores RCVTIMEO and SNDTIMEO; a program
    written for it learns that here they do take effect."""
    try:
        name = lookup(option).name
    except SocketError:
        return  # (the call itself says what is wrong)
    if name in ("RCVTIMEO", "SNDTIMEO"):
        warnings.warn(
            "pyzmq's zmq.green ignores the TIMEO options; zmtp's green sockets honour them",
            UserWarning,
            stacklevel=3,
        )


class Context(_context.Context):
    """A Context whose sockets do their I/O in gevent's hub (see ``_hub``)."""

    _instance: ClassVar[_context.Context | None] = None  # (not the blocking one's)
    _socket_class = Socket
    _reactor_class: ClassVar[type[Reactor]] = HubReactor


class Poller(_poll.Poller):
    """A Poller that waits only in the calling greenlet, on plain descriptors too."""

    _poll_descriptors = staticmethod(functools.partial(poll_descriptors, poll=gevent.select.poll))
