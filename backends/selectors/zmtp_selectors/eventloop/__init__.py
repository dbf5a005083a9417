"""pyzmq's ``zmq.eventloop``, as ``zmtp_selectors.eventloop``: ZMQStream on
tornado's IOLoop (install ``zmtp[tornado]``)."""
