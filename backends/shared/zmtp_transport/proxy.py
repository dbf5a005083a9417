"""libzmq's proxy: messages between two sockets, a capture copy, a control socket.

The decisions are here once (:class:`ProxyPlan`); each backend runs them with
its own Poller: blocking (:func:`proxy_steerable`) or awaited
(:func:`proxy_steerable_async`). As in libzmq, a direction moves only while its
target can take a message, so a stalled backend never blocks the control
socket, and a burst of at most :data:`BURST` messages moves at a time.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from typing import Any

from .constants import NOBLOCK, POLLIN, POLLOUT, REP
from .errors import Again

__all__ = ["BURST", "ProxyPlan", "awaitable_proxies", "proxy_steerable", "proxy_steerable_async"]

#: Messages moved in one direction before the proxy looks at everything again.
BURST = 1000

_STATS = struct.Struct("=Q")  # each statistic is a native uint64, as libzmq sends it


class ProxyPlan:
    """What a proxy knows and decides; no I/O.

    ``counters`` are libzmq's STATISTICS: frontend messages and bytes received,
    then sent, then the same for the backend.
    """

    def __init__(self, frontend: Any, backend: Any, capture: Any, control: Any) -> None:
        self.frontend, self.backend, self.capture, self.control = (
            frontend,
            backend,
            capture,
            control,
        )
        self.counters = [0] * 8
        self.paused = False
        self.terminated = False
        self._ready: dict[Any, int] = {}

    def everything(self) -> list[tuple[Any, int]]:
        """The sockets and events to look at without waiting."""
        items: list[tuple[Any, int]] = [(self.frontend, POLLIN | POLLOUT)]
        if self.backend is not self.frontend:
            items.append((self.backend, POLLIN | POLLOUT))
        if self.control is not None:
            items.append((self.control, POLLIN))
        return items

    def note(self, ready: dict[Any, int]) -> None:
        """What the look without waiting found."""
        self._ready = ready

    def moves(self) -> list[tuple[Any, Any, int]]:
        """Directions that can move now: (source, target, first counter index)."""
        if self.paused:
            return []
        ready, front, back = self._ready, self.frontend, self.backend
        moves = []
        if ready.get(front, 0) & POLLIN and (back is front or ready.get(back, 0) & POLLOUT):
            moves.append((front, back, 0))
        if back is not front and ready.get(back, 0) & POLLIN and ready.get(front, 0) & POLLOUT:
            moves.append((back, front, 4))
        return moves

    def wait_for(self) -> list[tuple[Any, int]]:
        """What to wait on when nothing can move: input where it is not already
        waiting, room where input waits for it, and the control socket."""
        items: list[tuple[Any, int]] = []
        if not self.paused:
            ready, front, back = self._ready, self.frontend, self.backend
            front_in, back_in = ready.get(front, 0) & POLLIN, ready.get(back, 0) & POLLIN
            if back is front:
                items.append((front, POLLIN))
            else:
                front_flags = (0 if front_in else POLLIN) | (POLLOUT if back_in else 0)
                back_flags = (0 if back_in else POLLIN) | (POLLOUT if front_in else 0)
                items += [(s, f) for s, f in ((front, front_flags), (back, back_flags)) if f]
        if self.control is not None:
            items.append((self.control, POLLIN))
        return items

    def count(self, index: int, frames: list[Any]) -> None:
        """A message moved: ``index`` is its source's receive counters."""
        size = sum(len(frame) for frame in frames)
        counters = self.counters
        sent = 2 if index == 4 else 6
        counters[index] += len(frames)
        counters[index + 1] += size
        counters[sent] += len(frames)
        counters[sent + 1] += size

    def steer(self, command: bytes) -> list[bytes] | None:
        """A control message: PAUSE, RESUME, TERMINATE or STATISTICS; returns
        the reply to send (statistics, or the empty reply a REP owes)."""
        if command == b"STATISTICS":
            return [_STATS.pack(value) for value in self.counters]
        if command == b"PAUSE":
            self.paused = True
        elif command == b"RESUME":
            self.paused = False
        elif command == b"TERMINATE":
            self.terminated = True
        return [b""] if self.control.type == REP else None


def proxy_steerable(
    frontend: Any,
    backend: Any,
    capture: Any = None,
    control: Any = None,
    *,
    poller: Callable[[], Any],
) -> None:
    """Move messages until a TERMINATE arrives on ``control`` (or the context
    ends: ZMQError ETERM), with ``poller`` the backend's Poller class."""
    plan = ProxyPlan(frontend, backend, capture, control)
    look = _poller(poller, plan.everything())
    while not plan.terminated:
        plan.note(dict(look.poll(0)))
        if control is not None and plan._ready.get(control, 0) & POLLIN:
            reply = plan.steer(control.recv())
            if reply is not None:
                control.send_multipart(reply)
            continue
        moves = plan.moves()
        for source, target, index in moves:
            for _ in range(BURST):
                try:
                    frames = source.recv_multipart(NOBLOCK, copy=False)
                except Again:
                    break
                if capture is not None:
                    capture.send_multipart(frames)
                target.send_multipart(frames)
                plan.count(index, frames)
        if not moves:
            _poller(poller, plan.wait_for()).poll()


async def proxy_steerable_async(
    frontend: Any,
    backend: Any,
    capture: Any = None,
    control: Any = None,
    *,
    poller: Callable[[], Any],
) -> None:
    """:func:`proxy_steerable` for coroutine sockets (every call awaited)."""
    plan = ProxyPlan(frontend, backend, capture, control)
    look = _poller(poller, plan.everything())
    while not plan.terminated:
        plan.note(dict(await look.poll(0)))
        if control is not None and plan._ready.get(control, 0) & POLLIN:
            reply = plan.steer(await control.recv())
            if reply is not None:
                await control.send_multipart(reply)
            continue
        moves = plan.moves()
        for source, target, index in moves:
            for _ in range(BURST):
                try:
                    frames = await source.recv_multipart(NOBLOCK, copy=False)
                except Again:
                    break
                if capture is not None:
                    await capture.send_multipart(frames)
                await target.send_multipart(frames)
                plan.count(index, frames)
        if not moves:
            await _poller(poller, plan.wait_for()).poll()


def awaitable_proxies(
    poller: Callable[[], Any],
) -> tuple[
    Callable[..., Awaitable[None]], Callable[..., Awaitable[None]], Callable[..., Awaitable[None]]
]:
    """``proxy``, ``proxy_steerable`` and ``device`` as coroutines over a coroutine
    backend's Poller (pyzmq has them only blocking: the same loop, awaited)."""

    async def proxy_steerable(
        frontend: Any, backend: Any, capture: Any = None, control: Any = None
    ) -> None:
        """Move messages both ways until TERMINATE on ``control`` (PAUSE, RESUME and
        STATISTICS as in libzmq); ZMQError ETERM once the context ends."""
        await proxy_steerable_async(frontend, backend, capture, control, poller=poller)

    async def proxy(frontend: Any, backend: Any, capture: Any = None) -> None:
        """Move messages both ways until the context ends (ZMQError ETERM)."""
        await proxy_steerable_async(frontend, backend, capture, poller=poller)

    async def device(device_type: int, frontend: Any, backend: Any) -> None:
        """libzmq's older name for ``proxy`` (QUEUE, FORWARDER and STREAMER alike)."""
        await proxy_steerable_async(frontend, backend, poller=poller)

    return proxy, proxy_steerable, device


def _poller(poller: Callable[[], Any], items: list[tuple[Any, int]]) -> Any:
    waiting = poller()
    for sock, flags in items:
        waiting.register(sock, flags)
    return waiting
