"""pyzmq's ``zmq.auth.base``."""

from zmtp_transport.auth.base import CURVE_ALLOW_ANY, Authenticator

__all__ = ["CURVE_ALLOW_ANY", "Authenticator"]
