"""One poller per Context, run by whichever thread needs it: leader/follower.

The reactor owns a readiness poller, a timer heap and a background thread. At
any moment at most one thread - the *leader* - waits for readiness and
dispatches what is ready. An application thread that must block (recv with
nothing queued, send at the high-water mark, poll, linger) becomes the
leader itself: when data arrives, the kernel wakes that very thread, which
reads, decodes and returns - no hand-off to another thread on the latency
path. While no application thread is blocked, the background thread leads,
so heartbeats, reconnects, accepts and the rest of a partial write go on
without any call from the application.

On Linux the poller is ``epoll`` itself, whose registrations any thread may
change while the leader waits; elsewhere it is the ``selectors`` module's
default, whose registrations only the leader changes (other threads queue
them and wake it through a socketpair). Either way a descriptor is closed by
the leader, after the round that may still report it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import select
import selectors
import socket
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

__all__ = ["Reactor", "Timer"]

#: Called with the poller's own event bits; test them with Reactor.IN and Reactor.OUT.
Handler = Callable[[int], None]

#: How often the leader looks at clients that asked for ticks (held write batches).
TICK = 100e-6
#: After an application thread stops waiting, the background thread stays parked
#: this long: an application in a request/reply loop then never hands over.
PARKED_AFTER_WAIT = 0.01
#: The longest single poll; a deadline further away is simply looked at again.
MAX_WAIT = 3600.0
#: Cancelled timers tolerated in the heap before it is rebuilt without them.
STALE_TIMERS = 64

_monotonic = time.monotonic
_get_ident = threading.get_ident


def _nothing() -> None:
    pass


class Ticking(Protocol):
    def tick(self, now: float) -> None: ...


log = logging.getLogger("zmtp_selectors")


class Timer:
    """A scheduled callback; cancel() lets go of the callback at once."""

    __slots__ = ("_reactor", "callback", "deadline")

    def __init__(self, reactor: Reactor, deadline: float, callback: Callable[[], None]) -> None:
        self._reactor = reactor
        self.deadline = deadline
        self.callback: Callable[[], None] | None = callback

    @property
    def cancelled(self) -> bool:
        return self.callback is None

    def cancel(self) -> None:
        if self.callback is not None:
            self.callback = None  # (its heap entry is skipped, or compacted away)
            reactor = self._reactor
            with reactor._ops_lock:
                reactor._stale_timers += 1
                reactor._live_timers -= 1


class _Epoll:
    """Readiness through epoll: registration is thread-safe, polling is one call."""

    concurrent_registration = True
    # Errors and hang-ups count as both (the read or write that follows says why).
    IN = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP if hasattr(select, "epoll") else 0
    OUT = select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP if hasattr(select, "epoll") else 0

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._masks: dict[int, int] = {}
        self.poll = self._epoll.poll  # (timeout in seconds, -1 for ever): one C call

    def set(self, fd: int, read: bool, write: bool) -> None:
        events = (select.EPOLLIN if read else 0) | (select.EPOLLOUT if write else 0)
        old = self._masks.get(fd)
        if not events:
            if old is not None:
                del self._masks[fd]
                with contextlib.suppress(OSError):
                    self._epoll.unregister(fd)
        elif old is None:
            self._masks[fd] = events
            self._epoll.register(fd, events)
        elif old != events:
            self._masks[fd] = events
            self._epoll.modify(fd, events)

    def close(self) -> None:
        self._epoll.close()


class _Selector:
    """Readiness through the selectors module (registration by the leader only)."""

    concurrent_registration = False
    IN = selectors.EVENT_READ
    OUT = selectors.EVENT_WRITE

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def set(self, fd: int, read: bool, write: bool) -> None:
        mask = (self.IN if read else 0) | (self.OUT if write else 0)
        try:
            key = self._selector.get_key(fd)
        except (KeyError, ValueError):
            key = None
        if not mask:
            if key is not None:
                self._selector.unregister(fd)
        elif key is None:
            self._selector.register(fd, mask)
        elif key.events != mask:
            self._selector.modify(fd, mask)

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        """Like epoll's: ``timeout`` in seconds, negative for ever."""
        ready = self._selector.select(None if timeout < 0 else timeout)
        return [(key.fd, mask) for key, mask in ready]

    def close(self) -> None:
        self._selector.close()


class Reactor:
    """The event loop shared by the sockets of one Context."""

    def __init__(self) -> None:
        self._demux: _Epoll | _Selector = _Epoll() if hasattr(select, "epoll") else _Selector()
        #: The event bits handlers receive for "readable" and "writable".
        self.IN, self.OUT = self._demux.IN, self._demux.OUT
        self._handlers: dict[int, Handler] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._handlers[self._wake_r.fileno()] = self._drain_wake
        self._demux.set(self._wake_r.fileno(), True, False)
        self._ops_lock = threading.Lock()
        self._ops: list[Callable[[], None]] = []
        self._timers: list[tuple[float, int, Timer]] = []
        self._live_timers = 0  # (the heap may also hold cancelled ones)
        self._stale_timers = 0
        self._ticking: set[Ticking] = set()
        self._sequence = itertools.count()
        self._woken = False
        # Leadership: who runs the poller; application threads that wait for it to be
        # theirs (followers); the background thread's own parking spot.
        self._lock = threading.Lock()
        self._followers = threading.Condition(self._lock)
        self._parking = threading.Condition(self._lock)
        self._following = 0
        self._notified = 0
        self._leader: int | None = None
        self._app_waiting = 0
        self._app_active_until = 0.0
        self._closing = False
        #: Run by the leader after a round, with no lock held, while ``idle_pending``
        #: is not empty (the inproc deliveries waiting).
        self.idle_work: Callable[[], None] = _nothing
        self.idle_pending: Collection[object] = ()
        self._background_ident: int | None = None  # (set by the thread itself)
        self._thread = threading.Thread(target=self._background, name="zmtp-reactor", daemon=True)
        self._thread.start()

    # -- what other threads ask for ---------------------------------------------

    def call_in_loop(self, operation: Callable[[], None]) -> None:
        """Run ``operation`` in the leader before its next poll (closing descriptors)."""
        if self._leader == _get_ident():
            operation()  # we are the leader: nobody is polling right now
            return
        with self._ops_lock:
            self._ops.append(operation)
        self.wake()

    def settle(self, timeout: float = 1.0) -> bool:
        """Wait (at most ``timeout`` s) until the operations queued so far have run: a
        listening socket just closed lets go of its port."""
        done = threading.Event()

        def mark() -> None:
            done.set()
            self.notify()

        self.call_in_loop(mark)
        return self.wait_until(done.is_set, _monotonic() + timeout)

    def register(self, fd: int, read: bool, write: bool, handler: Handler) -> None:
        """Call ``handler(events)`` when ``fd`` is readable or writable, as asked
        (neither: forget it)."""
        if read or write:
            self._handlers[fd] = handler
        else:
            self._handlers.pop(fd, None)
        demux = self._demux
        if demux.concurrent_registration:
            demux.set(fd, read, write)
        else:
            self.call_in_loop(lambda: demux.set(fd, read, write))

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` in the leader at ``deadline`` (time.monotonic())."""
        timer = Timer(self, deadline, callback)
        with self._ops_lock:
            timers = self._timers
            earliest = not timers or deadline < timers[0][0]
            heapq.heappush(timers, (deadline, next(self._sequence), timer))
            self._live_timers += 1
            stale = self._stale_timers
            if stale > STALE_TIMERS and 2 * stale > len(timers):
                self._timers = [entry for entry in timers if entry[2].callback is not None]
                heapq.heapify(self._timers)
                self._stale_timers = 0
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
            self.wake()  # a leader in poll() shortens its timeout to the tick
            with self._lock:
                self._app_active_until = 0.0
                self._parking.notify()  # and if nobody leads, the background thread will

    def wake(self) -> None:
        """Make the leader return from poll() (at most one byte in flight)."""
        if not self._woken:
            self._woken = True
            with contextlib.suppress(OSError):  # full means a wake-up is pending anyway
                self._wake_w.send(b"\0")

    # -- blocking, the leader/follower way ----------------------------------------

    def wait_until(self, ready: Callable[[], bool], deadline: float | None) -> bool:
        """Block until ``ready()`` (True) or ``deadline`` passes (False), leading if we can.

        ``ready()`` is looked at while leading, before and after each poll: whatever
        another thread delivers after that look wakes the poll (see notify()).
        """
        me = _get_ident()
        lock = self._lock
        counted = False  # in _app_waiting (which keeps the background thread parked)
        satisfied = False
        seen: int | None = None  # notify()'s count at our last look at ready()
        try:
            while True:
                timeout = None
                if deadline is not None:
                    timeout = deadline - _monotonic()
                    if timeout <= 0:
                        return ready()
                with lock:
                    if not counted:
                        self._app_waiting += 1
                        counted = True
                    if self._closing:
                        return ready()
                    leader = self._leader
                    if leader is not None:
                        if leader == self._background_ident:
                            self.wake()  # ask the background thread to step down
                        if seen == self._notified:  # (else something changed since we looked)
                            self._following += 1
                            self._followers.wait(timeout)
                            self._following -= 1
                    else:
                        self._leader = me
                if leader is not None:
                    seen = self._notified
                    if ready():
                        return True
                    continue
                try:
                    satisfied = ready()
                    if not satisfied:
                        self.run_once(timeout)
                        satisfied = ready()
                finally:
                    with lock:
                        self._leader = None
                        if self._following:
                            self._followers.notify_all()
                        if satisfied:
                            self._app_waiting -= 1
                            self._app_active_until = _monotonic() + PARKED_AFTER_WAIT
                            counted = False
                if satisfied:
                    return True
        finally:
            if counted:
                with lock:
                    self._app_waiting -= 1
                    self._app_active_until = _monotonic() + PARKED_AFTER_WAIT

    def notify(self) -> None:
        """Something changed for waiters that are not the leader (an inproc delivery)."""
        with self._lock:
            self._notified += 1  # (a follower about to wait sees it and looks again)
            if self._following:
                self._followers.notify_all()
        leader = self._leader
        if leader is not None and leader != _get_ident():
            self.wake()

    def _background(self) -> None:
        self._background_ident = _get_ident()
        while True:
            with self._lock:
                while not self._closing:
                    # Lead only when no application thread waits, and none did a moment
                    # ago: one in a request/reply loop then never has to take over.
                    # (Parked with a timeout, the thread needs no notifications.)
                    if self._app_waiting or self._leader is not None:
                        self._parking.wait(PARKED_AFTER_WAIT)
                        continue
                    idle = self._app_active_until - _monotonic()
                    if idle <= 0:
                        break
                    self._parking.wait(idle)
                if self._closing:
                    return
                self._leader = self._background_ident
            try:
                self.run_once(None)
            except Exception:  # the thread every socket depends on must not die
                log.exception("zmtp_selectors: unexpected error in the reactor")
            finally:
                with self._lock:
                    self._leader = None
                    if self._following:
                        self._followers.notify_all()

    def run_once(self, timeout: float | None) -> None:
        """One round as leader: queued operations, poll, handlers, due timers."""
        ops: list[Callable[[], None]] = []
        if self._ops:  # (read without the lock: appends happen under it, then wake us)
            with self._ops_lock:
                ops, self._ops = self._ops, []
            for operation in ops:
                operation()
        # An operation may be what a waiter waits for: then only peek, and let
        # the caller look at its condition again before sleeping.
        if ops:
            timeout = 0
        elif self._live_timers or self._ticking:
            timeout = self._timer_wait(timeout)
        handlers = self._handlers
        if timeout is None:
            timeout = -1
        elif timeout > MAX_WAIT:
            timeout = MAX_WAIT  # (a far deadline is looked at again later)
        for fd, events in self._demux.poll(timeout):
            try:
                handler = handlers[fd]
            except KeyError:
                continue  # forgotten during this round
            try:
                handler(events)
            except Exception:  # a handler's bug must not stop every socket's loop
                log.exception("zmtp_selectors: unexpected error in an I/O handler")
        if self._live_timers:
            self._run_timers()
        if self._ticking:
            self._tick()
        if self.idle_pending:
            try:
                self.idle_work()
            except Exception:
                log.exception("zmtp_selectors: unexpected error in inproc work")

    def _timer_wait(self, timeout: float | None) -> float | None:
        with self._ops_lock:
            if self._ops:
                return 0
            if self._ticking:
                timeout = TICK if timeout is None else min(timeout, TICK)
            if not self._timers:
                return timeout
            until = self._timers[0][0] - _monotonic()
            until = 0.0 if until < 0 else until
        return until if timeout is None else min(until, timeout)

    def _tick(self) -> None:
        now = _monotonic()
        with self._ops_lock:
            clients = list(self._ticking)
        for client in clients:
            try:
                client.tick(now)
            except Exception:
                log.exception("zmtp_selectors: unexpected error in a batch tick")

    def stop_ticking(self, client: Ticking) -> None:
        """The client has nothing to look at (called under its own lock, so that a
        tick_soon() racing with it cannot be lost)."""
        with self._ops_lock:
            self._ticking.discard(client)

    def _run_timers(self) -> None:
        now = _monotonic()
        timers = self._timers
        while timers and timers[0][0] <= now:
            with self._ops_lock:
                timers = self._timers
                if not timers or timers[0][0] > now:
                    return
                _, _, timer = heapq.heappop(timers)
                callback = timer.callback
                if callback is None:
                    self._stale_timers -= 1
                else:
                    timer.callback = None
                    self._live_timers -= 1
            if callback is not None:
                try:
                    callback()
                except Exception:
                    log.exception("zmtp_selectors: unexpected error in a timer")

    def _drain_wake(self, events: int = 0) -> None:
        # Read first, then clear the flag: a wake() in between finds the flag
        # still set and skips its byte, which is fine - we are awake and will
        # look at operations and timers again before the next poll().
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self._woken = False

    # -- the end ------------------------------------------------------------

    def close(self) -> None:
        """Stop the background thread and release the poller."""
        with self._lock:
            self._closing = True
            self._followers.notify_all()
            self._parking.notify_all()
        self.wake()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._ops_lock:
            ops, self._ops = self._ops, []
        for operation in ops:  # the last closes
            operation()
        self._demux.close()
        self._wake_r.close()
        self._wake_w.close()
