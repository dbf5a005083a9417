"""pyzmq's monitored queue: a proxy that also publishes every message it
moves, prefixed by the side it came from; ROUTER on both sides works too."""

from __future__ import annotations

from zmtp_transport.constants import POLLIN, PUB, QUEUE, ROUTER

from .._poll import Poller
from .._socket import Socket
from .proxydevice import ProcessProxy, Proxy, ThreadProxy

__all__ = [
    "MonitoredQueue",
    "ProcessMonitoredQueue",
    "ThreadMonitoredQueue",
    "monitored_queue",
]


def monitored_queue(
    in_socket: Socket,
    out_socket: Socket,
    mon_socket: Socket,
    in_prefix: bytes = b"in",
    out_prefix: bytes = b"out",
) -> None:
    """Move messages both ways, each also sent to ``mon_socket`` after its side's
    prefix, until the context ends (ZMQError ETERM). Between two ROUTERs the
    routing ids swap places, so a reply finds its way back."""
    swap_ids = in_socket.type == ROUTER and out_socket.type == ROUTER
    poller = Poller()
    poller.register(in_socket, POLLIN)
    poller.register(out_socket, POLLIN)
    sides = ((in_socket, out_socket, in_prefix), (out_socket, in_socket, out_prefix))
    while True:
        ready = dict(poller.poll())
        for source, target, prefix in sides:
            if source in ready:
                message = source.recv_multipart()
                if swap_ids:
                    message[:2] = message[1::-1]
                target.send_multipart(message)
                mon_socket.send_multipart([prefix, *message])


class MonitoredQueue(Proxy):
    """A device running :func:`monitored_queue` (its "mon" socket a PUB by default)."""

    def __init__(
        self,
        in_type: int,
        out_type: int,
        mon_type: int = PUB,
        in_prefix: bytes = b"in",
        out_prefix: bytes = b"out",
    ) -> None:
        super().__init__(in_type, out_type, mon_type)
        self.device_type = QUEUE
        self.in_prefix, self.out_prefix = in_prefix, out_prefix

    def run_device(self) -> None:
        ins, outs = self._setup_sockets()
        mon = self._extra_socket("mon")
        monitored_queue(ins, outs, mon, self.in_prefix, self.out_prefix)


class ThreadMonitoredQueue(MonitoredQueue, ThreadProxy):
    """A :class:`MonitoredQueue` in a thread."""


class ProcessMonitoredQueue(MonitoredQueue, ProcessProxy):
    """A :class:`MonitoredQueue` in a child process."""
