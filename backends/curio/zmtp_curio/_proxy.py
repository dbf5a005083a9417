"""The proxy as a coroutine: ``await proxy(frontend, backend)`` (pyzmq has it only
blocking; this is the same loop, awaited)."""

from __future__ import annotations

from zmtp_transport import proxy as _proxy

from ._poll import Poller
from ._socket import Socket

__all__ = ["device", "proxy", "proxy_steerable"]


async def proxy_steerable(
    frontend: Socket,
    backend: Socket,
    capture: Socket | None = None,
    control: Socket | None = None,
) -> None:
    """Move messages both ways until TERMINATE on ``control`` (PAUSE, RESUME and
    STATISTICS as in libzmq); ZMQError ETERM once the context ends."""
    await _proxy.proxy_steerable_async(frontend, backend, capture, control, poller=Poller)


async def proxy(frontend: Socket, backend: Socket, capture: Socket | None = None) -> None:
    """Move messages both ways until the context ends (ZMQError ETERM)."""
    await _proxy.proxy_steerable_async(frontend, backend, capture, poller=Poller)


async def device(device_type: int, frontend: Socket, backend: Socket) -> None:
    """libzmq's older name for :func:`proxy` (QUEUE, FORWARDER and STREAMER alike)."""
    await _proxy.proxy_steerable_async(frontend, backend, poller=Poller)
