"""pyzmq's ``zmq.utils``, as ``zmtp_asyncio.utils``."""
