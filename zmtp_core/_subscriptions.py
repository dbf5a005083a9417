"""Prefix subscriptions: who wants a message whose first frame is ``topic``.

A message matches a subscription when the subscription is a prefix of its
first frame. Rather than walking a trie byte by byte in Python, the index
keeps one dict per prefix and the set of prefix lengths in use: matching a
topic costs one slice and one hash lookup per distinct length, which stays
small even with thousands of topics (they rarely have many lengths).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

__all__ = ["SubscriptionIndex"]

K = TypeVar("K", bound=Hashable)


class SubscriptionIndex(Generic[K]):
    """Prefixes and their subscribers; each holds a prefix at most once (libzmq's mtrie)."""

    __slots__ = ("_by_prefix", "_by_subscriber", "_length_uses", "_lengths")

    def __init__(self) -> None:
        self._by_prefix: dict[bytes, dict[K, None]] = {}
        self._by_subscriber: dict[K, dict[bytes, None]] = {}
        self._length_uses: dict[int, int] = {}
        self._lengths: tuple[int, ...] = ()

    def __len__(self) -> int:
        """Distinct prefixes with at least one subscriber."""
        return len(self._by_prefix)

    def __contains__(self, prefix: bytes) -> bool:
        return prefix in self._by_prefix

    def prefixes(self) -> list[bytes]:
        return list(self._by_prefix)

    def prefixes_of(self, subscriber: K) -> list[bytes]:
        return list(self._by_subscriber.get(subscriber, ()))

    def add(self, prefix: bytes, subscriber: K) -> bool:
        """Subscribe; True when ``prefix`` had no subscriber at all before."""
        holders = self._by_prefix.get(prefix)
        first = holders is None
        if holders is None:
            holders = self._by_prefix[prefix] = {}
            self._use_length(len(prefix), +1)
        holders[subscriber] = None
        self._by_subscriber.setdefault(subscriber, {})[prefix] = None
        return first

    def remove(self, prefix: bytes, subscriber: K) -> bool | None:
        """Unsubscribe; True when nobody holds ``prefix`` any more, None if it was not held."""
        holders = self._by_prefix.get(prefix)
        if holders is None or subscriber not in holders:
            return None
        del holders[subscriber]
        mine = self._by_subscriber[subscriber]
        del mine[prefix]
        if not mine:
            del self._by_subscriber[subscriber]
        if holders:
            return False
        del self._by_prefix[prefix]
        self._use_length(len(prefix), -1)
        return True

    def remove_subscriber(self, subscriber: K) -> list[bytes]:
        """Drop every prefix of ``subscriber``; return the prefixes nobody holds any more."""
        held = list(self._by_subscriber.get(subscriber, ()))
        return [prefix for prefix in held if self.remove(prefix, subscriber)]

    def matching(self, topic: bytes | bytearray | memoryview) -> Iterable[K]:
        """Every subscriber with a prefix of ``topic``, each once, in subscription order."""
        by_prefix = self._by_prefix
        found: dict[K, None] | None = None
        size = len(topic)
        plain = type(topic) is bytes  # (its slices are bytes: no conversion)
        view = topic if plain else memoryview(topic).cast("B")  # (sliced in C, in bytes)
        for length in self._lengths:
            if length > size:
                break
            key = view[:length] if plain else bytes(view[:length])
            holders = by_prefix.get(key)  # type: ignore[arg-type]  # (bytes either way)
            if holders:
                if found is None:
                    found = holders
                elif found is not holders:
                    found = {**found, **holders}
        return () if found is None else found

    def matches(self, topic: bytes | bytearray | memoryview) -> bool:
        """Whether any prefix of ``topic`` has a subscriber."""
        by_prefix = self._by_prefix
        size = len(topic)
        plain = type(topic) is bytes
        view = topic if plain else memoryview(topic).cast("B")
        for length in self._lengths:
            if length > size:
                return False
            if (view[:length] if plain else bytes(view[:length])) in by_prefix:
                return True
        return False

    def _use_length(self, length: int, delta: int) -> None:
        uses = self._length_uses.get(length, 0) + delta
        if uses:
            self._length_uses[length] = uses
        else:
            del self._length_uses[length]
        self._lengths = tuple(sorted(self._length_uses))
