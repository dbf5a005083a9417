"""pyzmq's Poller for zmtp_curio sockets and plain file descriptors."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import curio
from curio.sched import SchedBarrier
from curio.traps import _read_wait, _write_wait

from zmtp_transport import READY_STREAK, PollerBase
from zmtp_transport.constants import POLLIN, POLLOUT

from ._socket import Socket

__all__ = ["Poller"]


class Poller(PollerBase):
    """``dict(await poller.poll(timeout_ms))``, over zmtp_curio sockets and file
    descriptors (ints or objects with ``fileno()``)."""

    async def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        """Ready (socket, events) pairs, waiting up to ``timeout`` ms (None or <0: forever)."""
        forever = timeout is None or timeout < 0
        deadline = None if forever else time.monotonic() + timeout / 1000  # type: ignore[operator]
        sockets = [sock for sock, _ in self.sockets if isinstance(sock, Socket)]
        for sock in sockets:
            await sock._deferred.flush()
        if self._streak >= READY_STREAK:  # found ready many times in a row: let others run
            self._streak = 0
            await curio.sleep(0)
        self._streak += 1
        while True:
            ready = self._ready()
            if ready or (deadline is not None and time.monotonic() >= deadline):
                return ready
            barrier = _Latch()  # (woken maybe before _sleep_on starts: it must remember)
            self._streak = 0
            for sock in sockets:
                sock._waiters.append(barrier)
            try:
                async with curio.TaskGroup(wait=any) as watchers:
                    for sock, flags in self.sockets:
                        if not isinstance(sock, Socket):
                            await watchers.spawn(_watch_descriptor, sock, flags)
                    await watchers.spawn(_sleep_on, barrier, deadline)
            finally:
                for sock in sockets:
                    with contextlib.suppress(ValueError):
                        sock._waiters.remove(barrier)


class _Latch(SchedBarrier):  # type: ignore[misc]  # (curio has no types)
    """A barrier that remembers a wake that came before anyone slept on it."""

    def __init__(self) -> None:
        super().__init__()
        self.woken = False

    async def wake(self, n: int | None = None) -> None:
        self.woken = True
        await super().wake(n)

    async def suspend(self, reason: str = "SUSPEND") -> None:
        if not self.woken:
            await super().suspend(reason)


async def _sleep_on(barrier: SchedBarrier, deadline: float | None) -> None:
    if deadline is None:
        await barrier.suspend()
    else:
        async with curio.ignore_after(max(0.0, deadline - time.monotonic())):
            await barrier.suspend()


async def _watch_descriptor(obj: Any, flags: int) -> None:
    fileobj = obj if not isinstance(obj, int) else _FileNumber(obj)
    if flags & POLLIN and flags & POLLOUT:
        async with curio.TaskGroup(wait=any) as both:
            await both.spawn(_read_wait, fileobj)
            await both.spawn(_write_wait, fileobj)
    elif flags & POLLOUT:
        await _write_wait(fileobj)
    else:
        await _read_wait(fileobj)


class _FileNumber:
    """A bare descriptor, as curio wants it: something with fileno()."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd
