"""Write batching for event loops: what one loop iteration queued leaves together."""

from __future__ import annotations

from collections.abc import Callable

from zmtp_core import counters

from ._driver import Driver

__all__ = ["IterationBatcher", "count_flush"]


def count_flush(reason: str | None, messages: int, size: int) -> None:
    """The ``batch_*`` counters for one batch leaving (reason: size, count, timeout)."""
    if counters.enabled:
        counters.batch_flush_count += 1
        if reason is not None:
            name = f"batch_{reason}_flush_count"
            setattr(counters, name, getattr(counters, name) + 1)
        counters.batch_messages_total += messages
        counters.batch_bytes_total += size


class IterationBatcher:
    """Write what one loop iteration sent with one sendmsg per connection.

    The first message sent in an iteration schedules one callback for the
    loop's next turn (``call_soon``), which writes everything sent meanwhile.
    So a burst leaves in one ``sendmsg`` and a lone message is not delayed past
    the current iteration. A message of ``threshold`` bytes or more leaves at
    once.

    With ``lone_leaves_at_once`` the iteration's first message is written at
    once instead (the rest of a burst still leaves together): for loops where
    the next turn costs a task switch (anyio), a request or a reply must not
    wait for it.
    """

    def __init__(
        self,
        driver: Driver,
        call_soon: Callable[[Callable[[], None]], object],
        *,
        threshold: int,
        lone_leaves_at_once: bool = False,
    ) -> None:
        self._driver = driver
        self._call_soon = call_soon
        self._threshold = threshold
        self._lone_leaves_at_once = lone_leaves_at_once
        self._scheduled = False
        self._messages = 0
        self._bytes = 0

    def queued(self, size: int) -> None:
        self._messages += 1
        self._bytes += size
        if size >= self._threshold:
            self._flush("size")  # a large message is not held back
            return
        if not self._scheduled:
            self._scheduled = True  # the iteration's first message: the turn is marked
            self._call_soon(self._end_of_turn)
            if self._lone_leaves_at_once:
                self._flush(None)

    def flush_now(self) -> None:
        if self._messages:
            self._flush(None)

    def _end_of_turn(self) -> None:
        self._scheduled = False
        if self._messages:
            self._flush("timeout")

    def _flush(self, reason: str | None) -> None:
        count_flush(reason, self._messages, self._bytes)
        self._messages = self._bytes = 0
        self._driver.flush()
