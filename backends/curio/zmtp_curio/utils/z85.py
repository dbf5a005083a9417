"""pyzmq's ``zmq.utils.z85``, as ``zmtp_curio.utils.z85``."""

from zmtp_transport.utils.z85 import decode, encode

__all__ = ["decode", "encode"]
