"""pyzmq's Poller over zmtp sockets (and plain file descriptors)."""

from __future__ import annotations

import select
import time
from typing import Any

from zmtp_transport.constants import POLLERR, POLLIN, POLLOUT

from ._socket import Socket

__all__ = ["Poller", "select_sockets"]


class Poller:
    """Wait for several sockets at once: ``dict(poller.poll(timeout_ms))``."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []
        self._map: dict[Any, int] = {}

    def register(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        if not flags:
            self.unregister(socket)
            return
        if socket in self._map:
            self.sockets[self._map[socket]] = (socket, flags)
        else:
            self._map[socket] = len(self.sockets)
            self.sockets.append((socket, flags))

    modify = register

    def unregister(self, socket: Any) -> None:
        index = self._map.pop(socket)
        del self.sockets[index]
        for other, position in self._map.items():
            if position > index:
                self._map[other] = position - 1

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
                return self._poll_fds(remaining)
            has_fds = len(zsockets) < len(self.sockets)
            step = remaining if not has_fds else min(remaining or 0.01, 0.01)
            step_deadline = None if step is None else time.monotonic() + step
            for sock in zsockets:
                with sock._lock:
                    sock._window.flush_all()
            reactor.wait_until(lambda: bool(self._ready(fds=False)), step_deadline)

    def _ready(self, fds: bool = True) -> list[tuple[Any, int]]:
        ready = []
        plain = []
        for sock, flags in self.sockets:
            if isinstance(sock, Socket):
                if sock.closed:
                    continue
                with sock._lock:
                    events = sock._events() & flags
                if events:
                    ready.append((sock, events))
            elif fds:
                plain.append((sock, flags))
        if plain:
            ready.extend(self._poll_plain(plain, 0))
        return ready

    def _poll_fds(self, timeout: float | None) -> list[tuple[Any, int]]:
        return self._poll_plain(list(self.sockets), timeout)

    @staticmethod
    def _poll_plain(items: list[tuple[Any, int]], timeout: float | None) -> list[tuple[Any, int]]:
        poller = select.poll()
        by_fd = {}
        for obj, flags in items:
            fd = obj if isinstance(obj, int) else obj.fileno()
            mask = (select.POLLIN if flags & POLLIN else 0) | (
                select.POLLOUT if flags & POLLOUT else 0
            )
            poller.register(fd, mask)
            by_fd[fd] = obj
        result = []
        for fd, mask in poller.poll(None if timeout is None else timeout * 1000):
            events = (POLLIN if mask & select.POLLIN else 0) | (
                POLLOUT if mask & select.POLLOUT else 0
            )
            if mask & (select.POLLERR | select.POLLHUP):
                events |= POLLERR
            result.append((by_fd[fd], events))
        return result


def select_sockets(
    rlist: list[Any], wlist: list[Any], xlist: list[Any], timeout: float | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """pyzmq's zmq.select(): like select.select, over zmtp sockets; timeout in seconds."""
    poller = Poller()
    for sock in set(rlist) | set(wlist) | set(xlist):
        flags = (POLLIN if sock in rlist else 0) | (POLLOUT if sock in wlist else 0)
        poller.register(sock, flags or POLLERR)
    ready = dict(poller.poll(None if timeout is None else timeout * 1000))
    return (
        [s for s in rlist if ready.get(s, 0) & POLLIN],
        [s for s in wlist if ready.get(s, 0) & POLLOUT],
        [s for s in xlist if ready.get(s, 0) & POLLERR],
    )
