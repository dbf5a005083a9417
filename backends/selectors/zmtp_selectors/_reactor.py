"""One selector per Context, run by whichever thread needs it: leader/follower.

The reactor owns a ``selectors`` selector, a timer heap and a background
thread. At any moment at most one thread - the *leader* - waits in
``select()`` and dispatches what is ready. An application thread that must
block (recv with nothing queued, send at the high-water mark, poll, linger)
becomes the leader itself: when data arrives, the kernel wakes that very
thread, which reads, decodes and returns - no hand-off to another thread on
the latency path. While no application thread is blocked, the background
thread leads, so heartbeats, reconnects, accepts and the rest of a partial
write go on without any call from the application.

Only the leader touches the selector. Other threads queue registration
changes and, when it matters, wake the leader through a socketpair.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["READ", "WRITE", "Reactor", "Timer"]

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE

Handler = Callable[[int], None]  # called with the ready mask
T = TypeVar("T")

#: How often the leader looks at clients that asked for ticks (held write batches).
TICK = 100e-6
#: After an application thread stops waiting, the background thread stays parked
#: this long: an application in a request/reply loop then never hands over.
PARKED_AFTER_WAIT = 0.01


class Ticking(Protocol):
    def tick(self, now: float) -> None: ...


log = logging.getLogger("zmtp_selectors")


class Timer:
    """A scheduled callback; cancel() is lazy (the heap entry is skipped)."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def _fire(timer: Timer) -> None:
    timer.callback()


def _call(function: Callable[[], None]) -> None:
    function()


class Reactor:
    """The event loop shared by the sockets of one Context."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._ops_lock = threading.Lock()
        self._ops: list[Callable[[], None]] = []
        self._timers: list[tuple[float, int, Timer]] = []
        self._ticking: set[Ticking] = set()
        self._sequence = itertools.count()
        self._woken = False
        # Leadership: who runs select(); application threads that wait for it to be
        # theirs (followers); the background thread's own parking spot.
        self._lock = threading.Lock()
        self._followers = threading.Condition(self._lock)
        self._parking = threading.Condition(self._lock)
        self._following = 0
        self._leader: int | None = None
        self._app_waiting = 0
        self._app_active_until = 0.0
        self._closing = False
        #: Run by the leader every round, with no lock held (inproc deliveries).
        self.idle_work: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._background, name="zmtp-reactor", daemon=True)
        self._thread.start()

    # -- what other threads ask for ---------------------------------------------

    def call_in_loop(self, operation: Callable[[], None]) -> None:
        """Run ``operation`` in the leader before its next select (selector changes)."""
        if self._leader == threading.get_ident():
            operation()  # we are the leader: nobody is in select() right now
            return
        with self._ops_lock:
            self._ops.append(operation)
        self.wake()

    def register(self, fileobj: Any, events: int, handler: Handler) -> None:
        self.call_in_loop(lambda: self._set_interest(fileobj, events, handler))

    def unregister(self, fileobj: Any) -> None:
        self.call_in_loop(lambda: self._set_interest(fileobj, 0, None))

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` in the leader at ``deadline`` (time.monotonic())."""
        timer = Timer(deadline, callback)
        with self._ops_lock:
            earliest = not self._timers or deadline < self._timers[0][0]
            heapq.heappush(self._timers, (deadline, next(self._sequence), timer))
        if earliest:
            self.wake()
        return timer

    def tick_soon(self, client: Ticking) -> None:
        """Call ``client.tick(now)`` about every TICK until it calls stop_ticking().

        One wake-up starts the ticking; a client that keeps asking while it is
        already ticked costs nothing (a burst of batches, for instance).
        """
        with self._ops_lock:
            first = not self._ticking
            self._ticking.add(client)
        if first:
            self.wake()  # a leader in select() shortens its timeout to the tick
            with self._lock:
                self._app_active_until = 0.0
                self._parking.notify()  # and if nobody leads, the background thread will

    def in_background(self) -> bool:
        """Whether the calling thread is the reactor's own background thread."""
        return threading.get_ident() == self._thread.ident

    def wake(self) -> None:
        """Make the leader return from select() (at most one byte in flight)."""
        if not self._woken:
            self._woken = True
            with contextlib.suppress(OSError):  # full means a wake-up is pending anyway
                self._wake_w.send(b"\0")

    # -- blocking, the leader/follower way ----------------------------------------

    def wait_until(self, ready: Callable[[], bool], deadline: float | None) -> bool:
        """Block until ``ready()`` (True) or ``deadline`` passes (False), leading if we can."""
        me = threading.get_ident()
        with self._lock:
            self._app_waiting += 1
        try:
            while True:
                if ready():
                    return True
                timeout = None if deadline is None else deadline - time.monotonic()
                if timeout is not None and timeout <= 0:
                    return False
                with self._lock:
                    if self._closing:
                        return ready()
                    if self._leader is not None:
                        if self._leader == self._thread.ident:
                            self.wake()  # ask the background thread to step down
                        self._following += 1
                        self._followers.wait(timeout)
                        self._following -= 1
                        continue
                    self._leader = me
                try:
                    self.run_once(timeout)
                finally:
                    self._step_down()
        finally:
            with self._lock:
                self._app_waiting -= 1
                self._app_active_until = time.monotonic() + PARKED_AFTER_WAIT

    def _step_down(self) -> None:
        with self._lock:
            self._leader = None
            if self._following:
                self._followers.notify_all()

    def notify(self) -> None:
        """Something changed for waiters that are not the leader (an inproc delivery)."""
        with self._lock:
            if self._following:
                self._followers.notify_all()
        if self._leader is not None and self._leader != threading.get_ident():
            self.wake()

    def _background(self) -> None:
        while True:
            with self._lock:
                while not self._closing:
                    # Lead only when no application thread waits, and none did a moment
                    # ago: one in a request/reply loop then never has to take over.
                    # (Parked with a timeout, the thread needs no notifications.)
                    if self._app_waiting or self._leader is not None:
                        self._parking.wait(PARKED_AFTER_WAIT)
                        continue
                    idle = self._app_active_until - time.monotonic()
                    if idle <= 0:
                        break
                    self._parking.wait(idle)
                if self._closing:
                    return
                self._leader = self._thread.ident
            try:
                self.run_once(None)
            finally:
                self._step_down()

    def run_once(self, timeout: float | None) -> None:
        """One round as leader: queued operations, select, due timers, handlers."""
        ops: list[Callable[[], None]] = []
        if self._ops:  # (read without the lock: appends happen under it, then wake us)
            with self._ops_lock:
                ops, self._ops = self._ops, []
            for operation in ops:
                operation()
        # An operation may be what a waiter waits for: then only peek, and let
        # the caller look at its condition again before sleeping.
        wait = 0 if ops else self._timer_wait(timeout)
        ready = self._selector.select(wait)
        for key, mask in ready:
            if key.data is None:
                self._drain_wake()
            else:
                self._guarded(key.data, mask)
        self._run_timers()
        if self._ticking:
            self._tick()
        if self.idle_work is not None:
            self._guarded(_call, self.idle_work)

    def _timer_wait(self, timeout: float | None) -> float | None:
        if not (self._ops or self._ticking or self._timers):
            return timeout
        with self._ops_lock:
            if self._ops:
                return 0
            if self._ticking:
                timeout = TICK if timeout is None else min(timeout, TICK)
            if not self._timers:
                return timeout
            until = max(0.0, self._timers[0][0] - time.monotonic())
        return until if timeout is None else min(until, timeout)

    def _tick(self) -> None:
        now = time.monotonic()
        with self._ops_lock:
            clients = list(self._ticking)
        for client in clients:
            self._guarded(client.tick, now)

    def stop_ticking(self, client: Ticking) -> None:
        """The client has nothing to look at (called under its own lock, so that a
        tick_soon() racing with it cannot be lost)."""
        with self._ops_lock:
            self._ticking.discard(client)

    def _run_timers(self) -> None:
        if not self._timers:
            return
        now = time.monotonic()
        while True:
            with self._ops_lock:
                if not self._timers or self._timers[0][0] > now:
                    return
                _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                self._guarded(_fire, timer)

    @staticmethod
    def _guarded(function: Callable[[T], object], argument: T) -> None:
        """A handler's bug must not stop the loop that every socket depends on."""
        try:
            function(argument)
        except Exception:
            log.exception("zmtp_selectors: unexpected error in an I/O handler")

    def _drain_wake(self) -> None:
        # Read first, then clear the flag: a wake() in between finds the flag
        # still set and skips its byte, which is fine - we are awake and will
        # look at operations and timers again before the next select().
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self._woken = False

    def _set_interest(self, fileobj: Any, events: int, handler: Handler | None) -> None:
        try:
            key = self._selector.get_key(fileobj)
        except (KeyError, ValueError):
            key = None
        if events == 0 or handler is None:
            if key is not None:
                self._selector.unregister(fileobj)
        elif key is None:
            self._selector.register(fileobj, events, handler)
        elif key.events != events or key.data is not handler:
            self._selector.modify(fileobj, events, handler)

    # -- the end ------------------------------------------------------------

    def close(self) -> None:
        """Stop the background thread and release the selector."""
        with self._lock:
            self._closing = True
            self._followers.notify_all()
            self._parking.notify_all()
        self.wake()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._ops_lock:
            ops, self._ops = self._ops, []
        for operation in ops:  # the last unregistrations and closes
            operation()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
