"""pyzmq's ``zmq.utils``, as ``zmtp_curio.utils``."""
