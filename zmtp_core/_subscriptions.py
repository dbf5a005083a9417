"""Prefix subscriptions: who wants a message whose first frame is ``topic``.

A message matches a subscription when the subscription is a prefix of its
first frame. Rather than walking a trie byte by byte in Python, the index
keeps one dict entry per prefix and the set of prefix lengths in use: matching
a topic costs one slice and one hash lookup per distinct length, which stays
small even with thousands of topics (they rarely have many lengths).

Memory is what a peer controls (one entry per SUBSCRIBE it sends), so an entry
is as small as it can be: the prefix and its one subscriber, or a dict only
when several subscribers share it. No second index by subscriber: when a
peer leaves, its prefixes are found by a walk over all of them, as libzmq's
trie walks itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar, cast

__all__ = ["SubscriptionIndex"]

K = TypeVar("K", bound=Hashable)


class _Several(dict):  # type: ignore[type-arg]
    """The subscribers of a prefix that more than one holds, in subscription order."""

    __slots__ = ()


_ABSENT = object()


class SubscriptionIndex(Generic[K]):
    """Prefixes and their subscribers; each holds a prefix at most once (libzmq's mtrie)."""

    __slots__ = ("_by_prefix", "_length_uses", "_lengths")

    def __init__(self) -> None:
        #: prefix -> its subscriber, or _Several of them.
        self._by_prefix: dict[bytes, object] = {}
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
        """The prefixes ``subscriber`` holds (a walk over every prefix)."""
        return [
            prefix
            for prefix, held in self._by_prefix.items()
            if (subscriber in held if type(held) is _Several else _same(held, subscriber))
        ]

    def add(self, prefix: bytes, subscriber: K) -> bool:
        """Subscribe; True when ``prefix`` had no subscriber at all before."""
        by_prefix = self._by_prefix
        held = by_prefix.get(prefix, _ABSENT)
        if held is _ABSENT:
            by_prefix[prefix] = subscriber
            self._use_length(len(prefix), +1)
            return True
        if type(held) is _Several:
            held[subscriber] = None
        elif not _same(held, subscriber):
            by_prefix[prefix] = _Several({held: None, subscriber: None})
        return False

    def remove(self, prefix: bytes, subscriber: K) -> bool | None:
        """Unsubscribe; True when nobody holds ``prefix`` any more, None if it was not held."""
        by_prefix = self._by_prefix
        held = by_prefix.get(prefix, _ABSENT)
        if type(held) is _Several:
            if subscriber not in held:
                return None
            del held[subscriber]
            if len(held) == 1:
                by_prefix[prefix] = next(iter(held))  # (one again: no dict)
            return False
        if held is _ABSENT or not _same(held, subscriber):
            return None
        del by_prefix[prefix]
        self._use_length(len(prefix), -1)
        return True

    def remove_subscriber(self, subscriber: K) -> list[bytes]:
        """Drop every prefix of ``subscriber``; return the prefixes nobody holds any more."""
        return [
            prefix for prefix in self.prefixes_of(subscriber) if self.remove(prefix, subscriber)
        ]

    def matching(self, topic: bytes | bytearray | memoryview) -> Iterable[K]:
        """Every subscriber with a prefix of ``topic``, each once, in subscription order."""
        by_prefix = self._by_prefix
        found: Iterable[object] | None = None
        size = len(topic)
        plain = type(topic) is bytes  # (its slices are bytes: no conversion)
        view = topic if plain else memoryview(topic).cast("B")  # (sliced in C, in bytes)
        for length in self._lengths:
            if length > size:
                break
            key = view[:length] if plain else bytes(view[:length])
            held = by_prefix.get(key, _ABSENT)  # type: ignore[arg-type]  # (bytes either way)
            if held is _ABSENT:
                continue
            holders = held if type(held) is _Several else (held,)
            found = holders if found is None else {**dict.fromkeys(found), **dict.fromkeys(holders)}
        return () if found is None else cast("Iterable[K]", found)

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


def _same(held: object, subscriber: object) -> bool:
    return held is subscriber or held == subscriber
