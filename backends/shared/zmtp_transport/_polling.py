"""What every backend's Poller shares: the registered items and the look without waiting."""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import Any

from . import constants
from ._api import SocketAPI

__all__ = ["PollerBase", "poll_descriptors"]

#: Flags as plain ints: an IntFlag in ``flags & NOBLOCK`` builds an enum each time.
POLLERR, POLLIN, POLLOUT = int(constants.POLLERR), int(constants.POLLIN), int(constants.POLLOUT)


class PollerBase:
    """pyzmq's Poller, less the waiting: zmtp sockets and plain file descriptors
    (ints or objects with ``fileno()``), in registration order."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []
        self._map: dict[Any, int] = {}
        #: Async pollers: polls in a row that found something ready (READY_STREAK).
        self._streak = 0

    def __contains__(self, socket: Any) -> bool:
        return socket in self._map

    def register(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        """Watch ``socket`` for ``flags`` (0 unregisters it)."""
        if not flags:
            if socket in self._map:
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

    def _ready(self, fds: bool = True) -> list[tuple[Any, int]]:
        """What is ready now; plain descriptors only if ``fds``."""
        ready: list[tuple[Any, int]] = []
        plain = []
        for sock, flags in self.sockets:
            if isinstance(sock, SocketAPI):
                if sock.closed:
                    continue
                if sock.context._terminated:
                    sock._check_open()  # ETERM: a poll ends with its context, as in libzmq
                with sock._lock:
                    events = sock._events() & flags
                if events:
                    ready.append((sock, events))
            elif fds:
                plain.append((sock, flags))
        if plain:
            ready.extend(poll_descriptors(plain, 0))
        return ready


def poll_descriptors(
    items: list[tuple[Any, int]], timeout: float | None, poll: Callable[[], Any] = select.poll
) -> list[tuple[int, int]]:
    """``select.poll`` (or another ``poll`` of that interface) over plain descriptors;
    ``timeout`` in seconds (None: forever)."""
    poller = poll()
    for obj, flags in items:
        fd = obj if isinstance(obj, int) else obj.fileno()
        mask = (select.POLLIN if flags & POLLIN else 0) | (select.POLLOUT if flags & POLLOUT else 0)
        poller.register(fd, mask)
    result = []
    for fd, mask in poller.poll(None if timeout is None else timeout * 1000):
        events = (POLLIN if mask & select.POLLIN else 0) | (POLLOUT if mask & select.POLLOUT else 0)
        if mask & (select.POLLERR | select.POLLHUP):
            events |= POLLERR
        result.append((fd, events))  # (pyzmq reports a plain descriptor by its number)
    return result
