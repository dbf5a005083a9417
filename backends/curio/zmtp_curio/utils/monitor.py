"""pyzmq's ``zmq.utils.monitor``, as ``zmtp_curio.utils.monitor``."""

from zmtp_transport.utils.monitor import parse_monitor_message, recv_monitor_message

__all__ = ["parse_monitor_message", "recv_monitor_message"]
