"""pyzmq's Poller over zmtp sockets (and plain file descriptors)."""

from __future__ import annotations

import time
from typing import Any

from zmtp_transport import PollerBase, poll_descriptors
from zmtp_transport.constants import POLLERR, POLLIN, POLLOUT

from ._socket import Socket

__all__ = ["Poller", "select_sockets", "zmq_poll"]


class Poller(PollerBase):
    """Wait for several sockets at once: ``dict(poller.poll(timeout_ms))``."""

    #: How plain descriptors alone are waited for (zmtp_selectors.green: gevent's).
    _poll_descriptors = staticmethod(poll_descriptors)

    def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        """Ready (socket, events) pairs, waiting up to ``timeout`` ms (None or <0: forever)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout / 1000
        zsockets = [s for s, _ in self.sockets if isinstance(s, Socket)]
        reactor = zsockets[0]._reactor if zsockets else None
        while True:
            ready = self._ready()
            if ready:
                return ready
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return []
            if reactor is None:
                return self._poll_descriptors(list(self.sockets), remaining)
            has_fds = len(zsockets) < len(self.sockets)
            step = remaining if not has_fds else min(remaining or 0.01, 0.01)
            step_deadline = None if step is None else time.monotonic() + step
            for sock in zsockets:
                with sock._lock:
                    sock._window.flush_now()
                sock._inproc.waiting += 1
            try:
                reactor.wait_until(lambda: bool(self._ready(fds=False)), step_deadline)
            finally:
                for sock in zsockets:
                    sock._inproc.waiting -= 1


def zmq_poll(
    sockets: list[tuple[Any, int]],
    timeout: float | None = -1,
    *,
    poller_class: type[Poller] = Poller,
) -> list[tuple[Any, int]]:
    """pyzmq's zmq_poll(): ``sockets`` as (socket, events) pairs; timeout in ms."""
    poller = poller_class()
    for sock, flags in sockets:
        poller.register(sock, flags)
    return poller.poll(timeout)


def select_sockets(
    rlist: list[Any],
    wlist: list[Any],
    xlist: list[Any],
    timeout: float | None = None,
    *,
    poller_class: type[Poller] = Poller,
) -> tuple[list[Any], list[Any], list[Any]]:
    """pyzmq's zmq.select(): like select.select, over zmtp sockets; timeout in seconds."""
    poller = poller_class()
    for sock in set(rlist) | set(wlist) | set(xlist):
        flags = (POLLIN if sock in rlist else 0) | (POLLOUT if sock in wlist else 0)
        poller.register(sock, flags or POLLERR)
    ready = dict(poller.poll(None if timeout is None else timeout * 1000))

    def events(sock: Any) -> int:  # (the poller reports a plain descriptor by its number)
        key = sock if isinstance(sock, Socket | int) else sock.fileno()
        return int(ready.get(key, 0))

    return (
        [s for s in rlist if events(s) & POLLIN],
        [s for s in wlist if events(s) & POLLOUT],
        [s for s in xlist if events(s) & POLLERR],
    )
