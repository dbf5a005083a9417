"""pyzmq's ``zmq.log``, as ``zmtp_selectors.log``."""
