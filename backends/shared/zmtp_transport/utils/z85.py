"""pyzmq's ``zmq.utils.z85``: Z85 text (ZeroMQ RFC 32), as CURVE keys travel."""

from zmtp_core.curve import z85_decode as decode
from zmtp_core.curve import z85_encode as encode

__all__ = ["decode", "encode"]
