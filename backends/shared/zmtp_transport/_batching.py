"""Write batching for event loops: what one loop iteration queued leaves together."""

from __future__ import annotations

from collections.abc import Callable

from zmtp_core import Pipe, counters

from ._stream import Stream

__all__ = ["IterationBatcher"]


class IterationBatcher:
    """Write what one loop iteration queued with one sendmsg per stream.

    The first message queued in an iteration leaves at once (a request, a
    reply: nothing to wait for) and schedules one callback for the loop's next
    turn (``call_soon``); the messages queued after it in the same iteration
    are held, and that callback writes them together. So a burst leaves in two
    ``sendmsg`` calls and a lone message costs no extra loop turn. A message of
    ``stream.threshold`` bytes or more leaves at once.
    """

    def __init__(self, call_soon: Callable[[Callable[[], None]], object]) -> None:
        self._call_soon = call_soon
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
            if len(pipe.outbound) == 1:
                self._flush(stream, None)  # and, alone in its pipe, it leaves now
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
        if counters.enabled and stream.pipe is not None:
            counters.batch_flush_count += 1
            if reason is not None:
                name = f"batch_{reason}_flush_count"
                setattr(counters, name, getattr(counters, name) + 1)
            counters.batch_messages_total += stream.pipe._out_messages
            counters.batch_bytes_total += stream.batch_bytes
        stream.batch_bytes = 0
        if not stream.closed:
            stream.flush()
