"""pyzmq's ``zmq.utils.jsonapi``, as ``zmtp_curio.utils.jsonapi``."""

from zmtp_transport.utils.jsonapi import dumps, loads

__all__ = ["dumps", "loads"]
