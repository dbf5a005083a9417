"""Timers and end-of-turn callbacks for a coroutine backend's Context, without
the waiting: one heap and one queue, written once.

The backend's scheduler task runs :meth:`TimerQueue.run_due`, then sleeps in
its framework's way until :attr:`TimerQueue.next_deadline` or until the queue
calls the ``wake`` it was given (a new earliest timer, a new callback).
A callback that raises is logged: one bad connection must not end the task.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable

__all__ = ["Timer", "TimerQueue"]

log = logging.getLogger("zmtp")

#: Cancelled timers tolerated in the heap before it is rebuilt without them.
STALE_TIMERS = 64


class Timer:
    """A pending :meth:`TimerQueue.call_at`; ``cancel()`` calls it off (and lets go
    of the callback at once: a cancelled timer keeps nothing alive)."""

    __slots__ = ("_queue", "callback", "cancelled")

    def __init__(self, queue: TimerQueue, callback: Callable[[], None]) -> None:
        self._queue = queue
        self.callback: Callable[[], None] = callback
        self.cancelled = False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.callback = _nothing
            self._queue._stale += 1


def _nothing() -> None:
    pass


class TimerQueue:
    """A Context's timers (a heap) and ``call_soon`` callbacks (a queue)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._timers: list[tuple[float, int, Timer]] = []
        self._soon: deque[Callable[[], None]] = deque()
        self._order = itertools.count()
        self._stale = 0

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self, callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        if self._timers[0][2] is timer:
            self._wake()
        if self._stale > STALE_TIMERS and self._stale * 2 > len(self._timers):
            self._timers = [entry for entry in self._timers if not entry[2].cancelled]
            heapq.heapify(self._timers)
            self._stale = 0
        return timer

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current task yields (the next turn)."""
        self._soon.append(callback)
        self._wake()

    def run_due(self, now: float) -> None:
        """Run the callbacks asked for so far, then the timers due at ``now``."""
        soon = self._soon
        while soon:
            _guarded(soon.popleft())
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, timer = heapq.heappop(timers)
            if timer.cancelled:
                self._stale -= 1
            else:
                timer.cancelled = True
                _guarded(timer.callback)

    def due(self, now: float) -> bool:
        """Something is to run already (a callback, or a timer due at ``now``)."""
        return bool(self._soon) or bool(self._timers and self._timers[0][0] <= now)

    @property
    def next_deadline(self) -> float | None:
        """When the earliest timer is due (None: no timer)."""
        return self._timers[0][0] if self._timers else None


def _guarded(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        log.exception("zmtp callback failed")
