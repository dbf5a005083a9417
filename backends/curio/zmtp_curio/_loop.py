"""zmtp_transport's Loop for curio: tasks that wait, and async work asked for synchronously.

Curio wakes tasks only from inside a task, with ``await``; zmtp's I/O
callbacks and the socket API's own steps are synchronous. So what they ask
for (wake the tasks waiting on a socket, wake the timer task) is queued in
:class:`Deferred` and done at the next *flush point*: right after each
callback, in the task that ran it, and right after the synchronous step of
each awaited socket call. A request made anywhere else (``bind``, ``connect``,
``close`` called by the application) nudges the Context's own task through a
socketpair.

Readiness: the Context keeps its raw sockets in an epoll set of its own, which
curio watches as a single file (:class:`Readiness`), so that sockets are
registered and closed synchronously; timers are one task per Context on
curio's clock. A callback that raises is logged and the task goes on.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable

import curio
from curio.sched import SchedBarrier
from curio.traps import _read_wait

from zmtp_transport import Timer, TimerQueue

__all__ = ["CurioLoop", "Deferred", "Readiness", "Scheduler", "Timer"]

log = logging.getLogger("zmtp")

ReadyHandler = Callable[[bool, bool], None]
Work = Callable[[], Awaitable[object]]


class Deferred:
    """Async work that synchronous code asked for, done at the next flush point."""

    def __init__(self) -> None:
        self._work: deque[Work] = deque()
        self._wakes: dict[SchedBarrier, None] = {}
        #: >0 while a flush point is sure to come (inside a callback or an awaited call).
        self.holding = 0
        self._nudge_r, self._nudge_w = socket.socketpair()
        self._nudge_r.setblocking(False)
        self._nudge_w.setblocking(False)
        self._nudged = False

    @property
    def pending(self) -> bool:
        return bool(self._work or self._wakes)

    def wake(self, barrier: SchedBarrier) -> None:
        """Wake every task suspended on ``barrier`` (soon: at the flush point)."""
        self._wakes[barrier] = None
        if not self.holding:
            self._nudge()

    def add(self, work: Work) -> None:
        """Await ``work()`` at the flush point."""
        self._work.append(work)
        if not self.holding:
            self._nudge()

    async def flush(self) -> None:
        """Do everything asked for so far (what it asks for in turn as well)."""
        while self._work or self._wakes:
            if self._wakes:
                wakes, self._wakes = self._wakes, {}
                for barrier in wakes:
                    await barrier.wake()
            while self._work:
                await self._work.popleft()()

    def _nudge(self) -> None:
        if not self._nudged:
            self._nudged = True
            with contextlib.suppress(OSError):
                self._nudge_w.send(b"\0")

    async def serve_nudges(self) -> None:
        """The Context's task: flush whenever something outside a flush point asked."""
        try:
            while True:
                await _read_wait(self._nudge_r)
                with contextlib.suppress(BlockingIOError):
                    while self._nudge_r.recv(4096):
                        pass
                self._nudged = False
                await self.flush()
        finally:
            self._nudge_r.close()
            self._nudge_w.close()


class Scheduler(TimerQueue):
    """One task for a Context's timers and ``call_soon`` callbacks."""

    def __init__(self, deferred: Deferred) -> None:
        self._deferred = deferred
        self._sleeping = SchedBarrier()
        super().__init__(lambda: deferred.wake(self._sleeping))

    async def run(self) -> None:
        """The task's body, until the Context cancels it."""
        deferred = self._deferred
        while True:
            deferred.holding += 1
            try:
                self.run_due(time.monotonic())
            finally:
                deferred.holding -= 1
            await deferred.flush()
            if self.due(time.monotonic()):
                await curio.sleep(0)  # let others run between rounds
                continue
            deadline = self.next_deadline
            if deadline is not None:
                async with curio.ignore_after(max(0.0, deadline - time.monotonic())):
                    await self._sleeping.suspend()
            else:
                await self._sleeping.suspend()


class Readiness:
    """The Context's raw sockets in one epoll set, which curio watches as one file.

    Registering and closing are then synchronous (epoll allows both at any time),
    and one task serves every socket: it wakes when the set is readable, takes
    what is ready and runs the handlers.
    """

    def __init__(self, deferred: Deferred) -> None:
        if not hasattr(select, "epoll"):
            raise RuntimeError("zmtp_curio needs epoll (Linux)")
        self._epoll = select.epoll()
        self._deferred = deferred
        self._handlers: dict[int, ReadyHandler] = {}
        self._masks: dict[int, int] = {}

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        fd = sock.fileno()
        mask = (select.EPOLLIN if read else 0) | (select.EPOLLOUT if write else 0)
        old = self._masks.get(fd)
        if not mask:
            self.forget(fd)
            return
        self._handlers[fd] = handler
        if old is None:
            self._epoll.register(fd, mask)
        elif old != mask:
            self._epoll.modify(fd, mask)
        self._masks[fd] = mask

    def forget(self, fd: int) -> None:
        self._handlers.pop(fd, None)
        if self._masks.pop(fd, None) is not None:
            with contextlib.suppress(OSError):
                self._epoll.unregister(fd)

    async def serve(self) -> None:
        """The task's body, until the Context cancels it."""
        epoll, handlers, deferred = self._epoll, self._handlers, self._deferred
        readable = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP
        writable = select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP
        try:
            while True:
                await _read_wait(epoll)
                deferred.holding += 1
                try:
                    for fd, events in epoll.poll(0):
                        handler = handlers.get(fd)
                        if handler is None:
                            continue
                        try:
                            handler(bool(events & readable), bool(events & writable))
                        except Exception:
                            log.exception("zmtp readiness handler failed")
                finally:
                    deferred.holding -= 1
                await deferred.flush()
        finally:
            epoll.close()


class CurioLoop:
    """Readiness and timers for one zmtp socket, through its Context's tasks.

    ``after`` runs after every callback, so that tasks waiting on the socket
    look at it again.
    """

    def __init__(
        self, scheduler: Scheduler, readiness: Readiness, after: Callable[[], None]
    ) -> None:
        self._scheduler = scheduler
        self._readiness = readiness
        self._after = after

    def time(self) -> float:
        return time.monotonic()  # (curio's clock)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return self._scheduler.call_at(when, lambda: self._run(callback))

    def call_soon(self, callback: Callable[[], None]) -> None:
        self._scheduler.call_soon(lambda: self._run(callback))

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        after = self._after

        def run(readable: bool, writable: bool) -> None:
            handler(readable, writable)
            after()

        self._readiness.watch(sock, read, write, run)

    def settle(self) -> bool:
        return False  # (release() closes at once)

    def release(self, sock: socket.socket) -> None:
        self._readiness.forget(sock.fileno())
        sock.close()

    def _run(self, callback: Callable[[], None]) -> None:
        callback()
        self._after()
