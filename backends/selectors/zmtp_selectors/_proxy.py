"""pyzmq's ``zmq.proxy``, ``proxy_steerable`` and ``device``: blocking calls."""

from __future__ import annotations

from zmtp_transport import proxy as _proxy

from ._poll import Poller
from ._socket import Socket

__all__ = ["device", "proxy", "proxy_steerable"]


def proxy_steerable(
    frontend: Socket,
    backend: Socket,
    capture: Socket | None = None,
    control: Socket | None = None,
) -> None:
    """Move messages both ways until TERMINATE on ``control`` (PAUSE, RESUME and
    STATISTICS as in libzmq); ZMQError ETERM once the context ends."""
    _proxy.proxy_steerable(frontend, backend, capture, control, poller=Poller)


def proxy(frontend: Socket, backend: Socket, capture: Socket | None = None) -> None:
    """Move messages both ways until the context ends (ZMQError ETERM)."""
    _proxy.proxy_steerable(frontend, backend, capture, poller=Poller)


def device(device_type: int, frontend: Socket, backend: Socket) -> None:
    """libzmq's older name for :func:`proxy` (QUEUE, FORWARDER and STREAMER alike)."""
    _proxy.proxy_steerable(frontend, backend, poller=Poller)
