"""The reactor on gevent's hub: what makes zmtp_selectors' sockets green.

zmq.green's promise is that a call that would block the thread blocks only the
calling greenlet. pyzmq keeps it by polling libzmq's descriptor; here there is
no I/O thread to poll, so the hub itself does the I/O. Descriptors become hub
io watchers and timers hub timers. Each handler runs in the hub like any gevent
callback and never blocks. A greenlet that must wait (recv with nothing
queued, send at the high-water mark, poll, linger) sleeps on an event that
every round of handlers sets, then looks at its condition again.

Nothing here starts a thread, and nothing needs monkey patching. The sockets
of a green Context belong to the thread whose hub runs them, as libev's
watchers do; a wake-up from another thread goes through the hub's thread-safe
callback queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.monkey

from .._reactor import TICK, Handler, Reactor, Ticking, Timer

__all__ = ["HubReactor"]

log = logging.getLogger("zmtp_selectors")

#: libev's event bits for readable and writable.
READ, WRITE = 1, 2

_monotonic = time.monotonic
#: The OS thread's identity, also when threading is monkey patched.
_thread_ident = gevent.monkey.get_original("_thread", "get_ident")


class HubTimer(Timer):
    """A Timer that is a hub timer watcher; cancel() stops the watcher at once."""

    __slots__ = ("watcher",)

    def __init__(self, reactor: Reactor, deadline: float, callback: Callable[[], None]) -> None:
        super().__init__(reactor, deadline, callback)
        self.watcher: Any = None

    def cancel(self) -> None:
        if self.callback is not None:
            self.callback = None
            self.watcher.close()


class HubReactor(Reactor):
    """The Reactor's interface over the hub of the calling thread (no leader, no thread)."""

    def __init__(self) -> None:  # (not the threaded Reactor's: no poller, no thread)
        hub = gevent.get_hub()
        self._loop: Any = hub.loop
        self._hub_thread: int = hub.thread_ident
        self.IN, self.OUT = READ, WRITE
        #: fd -> (its io watcher, read, write, handler)
        self._watchers: dict[int, tuple[Any, bool, bool, Handler]] = {}
        self._ops: list[Callable[[], None]] = []
        self._round_queued = False
        self._waiters: gevent.event.Event | None = None
        self._ticking: set[Ticking] = set()
        self._tick_timer: Any = None
        self._closing = False
        self.idle_work: Callable[[], None] = _nothing
        self.idle_pending: Any = ()
        self._background_ident = None  # (no background thread leaves reads to anyone)

    # -- what sockets ask for -----------------------------------------------------

    def register(self, fd: int, read: bool, write: bool, handler: Handler) -> None:
        current = self._watchers.get(fd)
        if current is not None:
            if current[1:] == (read, write, handler):
                return
            del self._watchers[fd]
            current[0].close()
        if (read or write) and not self._closing:
            watcher = self._loop.io(fd, (READ if read else 0) | (WRITE if write else 0))
            watcher.start(self._dispatch, handler, pass_events=True)
            self._watchers[fd] = (watcher, read, write, handler)

    def call_in_loop(self, operation: Callable[[], None]) -> None:
        """Run ``operation`` from the hub, after the handlers now running (closing a
        descriptor whose watcher has just been stopped)."""
        self._ops.append(operation)
        self._queue_round()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        timer = HubTimer(self, deadline, callback)
        self._loop.update_now()  # (libev counts from the time its last round began)
        timer.watcher = self._loop.timer(max(0.0, deadline - _monotonic()))
        timer.watcher.start(self._fire, timer)
        return timer

    def tick_soon(self, client: Ticking) -> None:
        self._ticking.add(client)
        if self._tick_timer is None and not self._closing:
            self._tick_timer = self._loop.timer(TICK, TICK)
            self._tick_timer.start(self._tick)

    def stop_ticking(self, client: Ticking) -> None:
        self._ticking.discard(client)

    def wake(self) -> None:
        """Nothing polls apart from the hub, which is never asleep while a greenlet runs."""

    def notify(self) -> None:
        """Something changed for waiting greenlets (an inproc delivery)."""
        self._queue_round()

    # -- waiting --------------------------------------------------------------------

    def wait_until(self, ready: Callable[[], bool], deadline: float | None) -> bool:
        """Block this greenlet until ``ready()`` (True) or ``deadline`` passes (False).

        Between the look and the sleep no other greenlet runs, so whatever
        changes after the look sets the event slept on.
        """
        while True:
            if ready():
                return True
            if self._closing:
                return ready()
            timeout = None
            if deadline is not None:
                timeout = deadline - _monotonic()
                if timeout <= 0:
                    return ready()
            waiters = self._waiters
            if waiters is None:
                waiters = self._waiters = gevent.event.Event()
            waiters.wait(timeout)

    # -- the hub's side ---------------------------------------------------------------

    def _queue_round(self) -> None:
        if self._round_queued:
            return
        self._round_queued = True
        if _thread_ident() == self._hub_thread:
            self._loop.run_callback(self._round)
        else:
            self._loop.run_callback_threadsafe(self._round)

    def _round(self) -> None:
        """After handlers ran or something was queued: operations, inproc, waiters."""
        self._round_queued = False
        if self._ops:
            ops, self._ops = self._ops, []
            for operation in ops:
                _guarded(operation)
        if self.idle_pending:
            _guarded(self.idle_work)
        waiters, self._waiters = self._waiters, None
        if waiters is not None:
            waiters.set()

    def _dispatch(self, events: int, handler: Handler) -> None:
        _guarded(handler, events)
        self._round()

    def _fire(self, timer: HubTimer) -> None:
        callback = timer.callback
        timer.cancel()  # (a one-shot: its watcher is done)
        if callback is not None:
            _guarded(callback)
            self._round()

    def _tick(self) -> None:
        now = _monotonic()
        for client in list(self._ticking):
            _guarded(client.tick, now)
        if not self._ticking and self._tick_timer is not None:
            self._tick_timer.close()
            self._tick_timer = None
        self._round()

    # -- the end ----------------------------------------------------------------------

    def close(self) -> None:
        """Stop every watcher, run what was queued (the last closes), wake every waiter."""
        self._closing = True
        for watcher, *_ in self._watchers.values():
            watcher.close()
        self._watchers.clear()
        self._ticking.clear()
        if self._tick_timer is not None:
            self._tick_timer.close()
            self._tick_timer = None
        self._round()


def _nothing() -> None:
    pass


def _guarded(function: Callable[..., None], *args: Any) -> None:
    """Run a handler, timer or queued operation: one's bug must not stop the others."""
    try:
        function(*args)
    except Exception:
        log.exception("zmtp_selectors.green: unexpected error in %r", function)
