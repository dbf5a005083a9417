"""pyzmq's ``zmq.sugar`` for programs that reach its modules by attribute
(``zmq.sugar.socket.Socket``): each of them is zmtp_selectors here."""

import zmtp_selectors

attrsettr = context = frame = poll = socket = stopwatch = tracker = version = zmtp_selectors

__all__ = ["attrsettr", "context", "frame", "poll", "socket", "stopwatch", "tracker", "version"]
