"""The twelve standard socket types, the draft ones we have, and who may talk to whom.

Numbers are libzmq's (and pyzmq's); names are what READY carries in Socket-Type.
"""

from __future__ import annotations

import enum

__all__ = ["SocketType", "can_pair", "sends_identity"]


class SocketType(enum.IntEnum):
    """A ZeroMQ socket type, numbered as in zmq.h."""

    PAIR = 0
    PUB = 1
    SUB = 2
    REQ = 3
    REP = 4
    DEALER = 5
    ROUTER = 6
    PULL = 7
    PUSH = 8
    XPUB = 9
    XSUB = 10
    STREAM = 11  # raw TCP: no ZMTP on its connections (see _stream.py)
    # libzmq's draft API (ZMQ_BUILD_DRAFT_API): one-frame messages (see _drafts.py).
    SERVER = 12
    CLIENT = 13
    RADIO = 14
    DISH = 15
    GATHER = 16
    SCATTER = 17
    DGRAM = 18  # raw UDP: udp:// only, no ZMTP (see _datagram.py)
    PEER = 19
    CHANNEL = 20

    @property
    def wire_name(self) -> bytes:
        """The Socket-Type property value, e.g. ``b"DEALER"``."""
        return self.name.encode("ascii")


_PEERS: dict[SocketType, frozenset[str]] = {
    SocketType.REQ: frozenset({"REP", "ROUTER"}),
    SocketType.REP: frozenset({"REQ", "DEALER"}),
    SocketType.DEALER: frozenset({"REP", "DEALER", "ROUTER"}),
    SocketType.ROUTER: frozenset({"REQ", "DEALER", "ROUTER"}),
    SocketType.PUB: frozenset({"SUB", "XSUB"}),
    SocketType.XPUB: frozenset({"SUB", "XSUB"}),
    SocketType.SUB: frozenset({"PUB", "XPUB"}),
    SocketType.XSUB: frozenset({"PUB", "XPUB"}),
    SocketType.PUSH: frozenset({"PULL"}),
    SocketType.PULL: frozenset({"PUSH"}),
    SocketType.PAIR: frozenset({"PAIR"}),
    SocketType.STREAM: frozenset(),
    SocketType.SERVER: frozenset({"CLIENT"}),
    SocketType.CLIENT: frozenset({"SERVER"}),
    SocketType.RADIO: frozenset({"DISH"}),
    SocketType.DISH: frozenset({"RADIO"}),
    SocketType.GATHER: frozenset({"SCATTER"}),
    SocketType.SCATTER: frozenset({"GATHER"}),
    SocketType.PEER: frozenset({"PEER"}),
    SocketType.CHANNEL: frozenset({"CHANNEL"}),
    SocketType.DGRAM: frozenset(),
}

# libzmq puts an Identity property in READY only for these (even when empty).
_SENDS_IDENTITY = frozenset({SocketType.REQ, SocketType.DEALER, SocketType.ROUTER})


def can_pair(local: SocketType, peer_name: str) -> bool:
    """Whether a peer announcing Socket-Type ``peer_name`` may connect to ``local``.

    The comparison is case-sensitive, as in libzmq (the RFC says otherwise).
    """
    return peer_name in _PEERS[local]


def sends_identity(socket_type: SocketType) -> bool:
    """Whether READY from this socket type carries an Identity property."""
    return socket_type in _SENDS_IDENTITY
