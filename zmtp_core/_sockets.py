"""One factory for the socket patterns: the twelve standard ones and the drafts we have."""

from __future__ import annotations

import random

from ._drafts import Channel, Client, Dgram, Dish, Gather, Peer, Radio, Scatter, Server
from ._options import Options
from ._pipeline import Pair, Pull, Push
from ._pubsub import Pub, Sub, XPub, XSub
from ._reqrep import Dealer, Rep, Req, Router
from ._socket_types import SocketType
from ._socketbase import SocketBase
from ._stream import Stream

__all__ = ["SOCKET_CLASSES", "create_socket"]

SOCKET_CLASSES: dict[SocketType, type[SocketBase]] = {
    cls.socket_type: cls
    for cls in (
        *(Pair, Pub, Sub, Req, Rep, Dealer, Router, Pull, Push, XPub, XSub, Stream),
        *(Server, Client, Radio, Dish, Gather, Scatter, Dgram, Peer, Channel),
    )
}


def create_socket(
    socket_type: SocketType | str | int,
    options: Options | None = None,
    *,
    rng: random.Random | None = None,
) -> SocketBase:
    """A sans-IO socket pattern of the given type (``"DEALER"``, ``SocketType.DEALER`` or 5)."""
    if isinstance(socket_type, str):
        kind = SocketType[socket_type.upper()]
    else:
        kind = SocketType(socket_type)
    return SOCKET_CLASSES[kind](options, rng)
