"""pyzmq's ``zmq.utils``, as ``zmtp_selectors.utils``."""
