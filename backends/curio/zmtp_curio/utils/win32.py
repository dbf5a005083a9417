"""pyzmq's ``zmq.utils.win32``, as ``zmtp_curio.utils.win32``."""

from zmtp_transport.utils.win32 import allow_interrupt

__all__ = ["allow_interrupt"]
