"""pyzmq's ``zmq.utils``, as ``zmtp_anyio.utils``."""
