"""One ZMTP connection to one peer, without a socket pattern.

For embedders that speak to a single peer (``examples/minimal_loop.py``) or
craft one (a test peer, a fuzzer): the :class:`Connection` state machine, the
events it gives back, the security mechanisms it runs and the layers (TLS,
ZWS 2.0) that can sit under it. A whole socket is :class:`zmtp_core.SocketEngine`.
"""

from ._connection import Connection, ConnectionState, Input
from ._curve import CurveClient, CurveServer
from ._errors import AuthenticationFailed
from ._events import (
    NEED_DATA,
    AuthenticationRequest,
    Cancel,
    ConnectionClosed,
    Event,
    Frame,
    HandshakeComplete,
    Message,
    NeedData,
    PeerError,
    Subscribe,
)
from ._face import ConnectionFace
from ._greeting import encode_greeting
from ._layer import Layer
from ._mechanism import Mechanism, NullMechanism
from ._plain import PlainClient, PlainServer
from ._sendqueue import IOV_MAX
from ._transports import Layering, layering

__all__ = [
    "IOV_MAX",
    "NEED_DATA",
    "AuthenticationFailed",
    "AuthenticationRequest",
    "Cancel",
    "Connection",
    "ConnectionClosed",
    "ConnectionFace",
    "ConnectionState",
    "CurveClient",
    "CurveServer",
    "Event",
    "Frame",
    "HandshakeComplete",
    "Input",
    "Layer",
    "Layering",
    "Mechanism",
    "Message",
    "NeedData",
    "NullMechanism",
    "PeerError",
    "PlainClient",
    "PlainServer",
    "Subscribe",
    "encode_greeting",
    "layering",
]
