"""Write batching for event loops: what one loop iteration queued leaves together."""

from __future__ import annotations

from collections.abc import Callable

from zmtp_core import Pipe, counters

from ._stream import Stream

__all__ = ["IterationBatcher", "count_flush"]


def count_flush(stream: Stream, reason: str | None) -> None:
    """The ``batch_*`` counters for one batch leaving (reason: size, count, timeout)."""
    if counters.enabled and stream.pipe is not None:
        counters.batch_flush_count += 1
        if reason is not None:
            name = f"batch_{reason}_flush_count"
            setattr(counters, name, getattr(counters, name) + 1)
        counters.batch_messages_total += stream.pipe._out_messages
        counters.batch_bytes_total += stream.batch_bytes


class IterationBatcher:
    """Write what one loop iteration queued with one sendmsg per stream.

    The first message queued in an iteration schedules one callback for the
    loop's next turn (``call_soon``); it writes every stream held meanwhile. So
    a burst leaves in one ``sendmsg`` and a lone message is not delayed past the
    current iteration. A message of ``stream.threshold`` bytes or more leaves
    at once.

    With ``lone_leaves_at_once`` the iteration's first message, when alone in
    its pipe, is written at once instead (the rest of a burst still leaves
    together): for loops where the next turn costs a task switch (anyio), a
    request or a reply must not wait for it.
    """

    def __init__(
        self,
        call_soon: Callable[[Callable[[], None]], object],
        *,
        lone_leaves_at_once: bool = False,
    ) -> None:
        self._call_soon = call_soon
        self._lone_leaves_at_once = lone_leaves_at_once
        self._held: set[Stream] = set()
        self._scheduled = False

    def queued(self, stream: Stream, pipe: Pipe, size: int) -> None:
        stream.batch_bytes += size
        if size >= stream.threshold:
            self._flush(stream, "size")  # a large message is not held back
            return
        if not self._scheduled:
            self._scheduled = True  # the iteration's first message: the turn is marked
            self._call_soon(self._flush_held)
            if self._lone_leaves_at_once and len(pipe.outbound) == 1:
                self._flush(stream, None)
                return
        self._held.add(stream)

    def flush_now(self, stream: Stream) -> None:
        if stream in self._held:
            self._flush(stream, None)

    def _flush_held(self) -> None:
        self._scheduled = False
        while self._held:
            self._flush(self._held.pop(), "timeout")

    def _flush(self, stream: Stream, reason: str | None) -> None:
        self._held.discard(stream)
        count_flush(stream, reason)
        stream.batch_bytes = 0
        if not stream.closed:
            stream.flush()
