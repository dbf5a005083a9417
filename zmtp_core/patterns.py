"""The socket patterns alone (ROUTER, PUB...), over one :class:`Pipe` per peer.

The engine runs them; code that moves messages between pipes itself (inproc
does) uses them here.
"""

from ._pipe import OutgoingMessage, Pipe, PipeListener, Sink, SubscriptionCommand
from ._socket_types import can_pair
from ._socketbase import SocketBase
from ._sockets import create_socket

__all__ = [
    "OutgoingMessage",
    "Pipe",
    "PipeListener",
    "Sink",
    "SocketBase",
    "SubscriptionCommand",
    "can_pair",
    "create_socket",
]
