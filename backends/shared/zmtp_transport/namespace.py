"""pyzmq's flat namespace, less what each backend defines itself.

Every backend package re-exports this (constants, errors, Frame, counters) next
to its own Context, Socket, Poller and MessageTracker, so that code written
as ``import zmq`` reads the same with ``import zmtp_<backend> as zmq``.
"""

from __future__ import annotations

from zmtp_core import counters

from . import constants as _constants
from .constants import *  # noqa: F403 - pyzmq's flat namespace
from .errors import Again, ContextTerminated, NotDone, ZMQBindError, ZMQError
from .frame import Frame

Message = Frame

__all__ = [  # noqa: PLE0604 - the constants' names come from their module
    "Again",
    "ContextTerminated",
    "Frame",
    "Message",
    "NotDone",
    "ZMQBindError",
    "ZMQError",
    "counters",
    *_constants.__all__,
]


def __getattr__(name: str) -> int:
    """Option constants (``SNDHWM``...) come from the core's table."""
    return _constants.__getattr__(name)
