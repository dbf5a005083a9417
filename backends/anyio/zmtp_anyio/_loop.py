"""zmtp_transport's Loop for anyio: tasks that wait, the same on trio and asyncio.

anyio has no callbacks on readiness, only ``await wait_readable(sock)``. So a
raw socket is watched by a task per direction, started when first wanted and
parked on an event while not wanted (cancelling and restarting it on every
toggle would leave asyncio's reader registration behind for an iteration).
Timers and end-of-iteration callbacks share one task per Context, the
:class:`Scheduler`. Every task lives in the Context's task group.

A callback that raises is logged and the task goes on: one bad connection must
not take the application's task group down.
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

from zmtp_transport import Timer, TimerQueue

__all__ = ["AnyioLoop", "Scheduler", "Timer"]

log = logging.getLogger("zmtp")

ReadyHandler = Callable[[bool, bool], None]
Spawn = Callable[..., None]


class Scheduler(TimerQueue):
    """One task for a Context's timers and ``call_soon`` callbacks."""

    def __init__(self) -> None:
        super().__init__(self._wake)
        self._kick: anyio.Event | None = None

    def _wake(self) -> None:
        if self._kick is not None:
            self._kick.set()

    async def run(self) -> None:
        """The task's body, until the Context cancels it."""
        while True:
            now = anyio.current_time()
            self.run_due(now)
            if self.due(now):
                await anyio.lowlevel.checkpoint()  # let others run between rounds
                continue
            kick = self._kick = anyio.Event()
            deadline = self.next_deadline
            with anyio.move_on_at(math.inf if deadline is None else deadline):
                await kick.wait()
            self._kick = None


class _Watch:
    """The tasks that wait on one raw socket, for whoever owns it now."""

    __slots__ = ("_idle", "_started", "after", "closed", "handler", "sock", "spawn", "wanted")

    def __init__(self, sock: socket.socket, spawn: Spawn, after: Callable[[], None]) -> None:
        self.sock = sock
        self.spawn = spawn
        self.after = after
        self.handler: ReadyHandler | None = None
        self.wanted = [False, False]  # read, write
        self._started = [False, False]
        self._idle: list[anyio.Event | None] = [None, None]
        self.closed = False

    def want(self, read: bool, write: bool) -> None:
        for direction, on in enumerate((read, write)):
            self.wanted[direction] = on
            if not on:
                continue
            if not self._started[direction]:
                self._started[direction] = True
                self.spawn(self._serve, direction)
            elif (idle := self._idle[direction]) is not None:
                idle.set()

    async def _serve(self, direction: int) -> None:
        wait: Callable[[socket.socket], Awaitable[None]] = (
            anyio.wait_readable if direction == 0 else anyio.wait_writable
        )
        readiness = (direction == 0, direction == 1)
        try:
            while not self.closed:
                if not self.wanted[direction]:
                    idle = self._idle[direction] = anyio.Event()
                    await idle.wait()
                    self._idle[direction] = None
                    continue
                await wait(self.sock)
                if self.wanted[direction] and not self.closed and self.handler is not None:
                    try:
                        self.handler(*readiness)
                        self.after()
                    except Exception:
                        log.exception("zmtp readiness handler failed")
        except anyio.ClosedResourceError:
            pass  # released while waiting

    def close(self) -> None:
        self.closed = True
        for idle in self._idle:
            if idle is not None:
                idle.set()
        anyio.notify_closing(self.sock)  # waiters end with ClosedResourceError
        self.sock.close()


class AnyioLoop:
    """Readiness and timers for one zmtp socket, as tasks of its Context.

    ``after`` runs after every callback, so that tasks waiting on the socket
    look at it again.
    """

    def __init__(self, scheduler: Scheduler, spawn: Spawn, after: Callable[[], None]) -> None:
        self._scheduler = scheduler
        self._spawn = spawn
        self._after = after
        self._watches: dict[socket.socket, _Watch] = {}

    def time(self) -> float:
        return anyio.current_time()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return self._scheduler.call_at(when, lambda: self._run(callback))

    def call_soon(self, callback: Callable[[], None]) -> None:
        self._scheduler.call_soon(lambda: self._run(callback))

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        watch = self._watches.get(sock)
        if watch is None:
            if not (read or write):
                return
            watch = self._watches[sock] = _Watch(sock, self._spawn, self._after)
        watch.handler = handler
        watch.want(read, write)

    def settle(self) -> bool:
        return False  # (release() closes at once)

    def release(self, sock: socket.socket) -> None:
        watch = self._watches.pop(sock, None)
        if watch is not None:
            watch.close()
        else:
            sock.close()

    def _run(self, callback: Callable[[], None]) -> None:
        callback()
        self._after()
