"""pyzmq's ``zmq.utils``: the socket monitor's messages, JSON, Z85, and a
Windows-only helper; each backend offers them as ``zmtp_<backend>.utils``."""
