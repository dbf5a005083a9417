"""Many owners' deadlines in one heap, as the engine's single clock needs them.

Each owner (a connection, a dialer, the socket's linger) has at most one
deadline, keyed by a small integer. Changing or clearing a deadline leaves the
old heap entry behind, to be skipped when it surfaces; the heap is rebuilt
when such stale entries outnumber the live ones. Entries hold keys, never
owners, so a closed connection is not kept alive by its timer.
"""

from __future__ import annotations

import heapq

__all__ = ["Deadlines"]

#: Stale entries tolerated beyond twice the live ones before the heap is rebuilt.
_SLACK = 64


class Deadlines:
    """``set``/``clear`` per key; ``next`` and ``pop_due`` over all of them."""

    __slots__ = ("_current", "_heap", "changes")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._current: dict[int, float] = {}
        #: Counts every change: a caller that saw the same count knows ``next`` is unchanged.
        self.changes = 0

    def __len__(self) -> int:
        return len(self._current)

    def set(self, key: int, deadline: float | None) -> None:
        """Give ``key`` a new deadline (None clears it)."""
        if deadline is None:
            self.clear(key)
            return
        if self._current.get(key) == deadline:
            return
        self.changes += 1
        self._current[key] = deadline
        heapq.heappush(self._heap, (deadline, key))
        if len(self._heap) > 2 * len(self._current) + _SLACK:
            self._rebuild()

    def clear(self, key: int) -> None:
        if self._current.pop(key, None) is None:
            return
        self.changes += 1
        if len(self._heap) > 2 * len(self._current) + _SLACK:
            self._rebuild()

    def get(self, key: int) -> float | None:
        return self._current.get(key)

    @property
    def next(self) -> float | None:
        """The earliest live deadline, or None."""
        heap, current = self._heap, self._current
        while heap:
            deadline, key = heap[0]
            if current.get(key) == deadline:
                return deadline
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> list[int]:
        """The keys whose deadline is at or before ``now``, earliest first; they are cleared."""
        heap, current = self._heap, self._current
        due: list[int] = []
        while heap and heap[0][0] <= now:
            deadline, key = heapq.heappop(heap)
            if current.get(key) == deadline:
                del current[key]
                due.append(key)
        if due:
            self.changes += 1
        return due

    def _rebuild(self) -> None:
        self._heap = [(deadline, key) for key, deadline in self._current.items()]
        heapq.heapify(self._heap)
