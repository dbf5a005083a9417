"""The subscription index against a plain model: any adds, removes and departures.

The index keeps one entry per prefix, a lone subscriber or several of them;
whatever the sequence, it must answer as a list of (prefix, subscriber) pairs
would, matching in subscription order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core._subscriptions import SubscriptionIndex

prefixes = st.sampled_from([b"", b"a", b"ab", b"abc", b"b", b"abd"])
subscribers = st.sampled_from(["p", "q", "r"])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), prefixes, subscribers),
        st.tuples(st.just("remove"), prefixes, subscribers),
        st.tuples(st.just("leave"), st.just(b""), subscribers),
    ),
    max_size=60,
)
topics = st.sampled_from([b"", b"a", b"abc", b"abcd", b"abd", b"b", b"c"])


@settings(max_examples=300, deadline=None)
@given(steps, st.lists(topics, min_size=1, max_size=5))
def test_the_index_answers_as_the_model(
    ops: list[tuple[str, bytes, str]], probes: list[bytes]
) -> None:
    index: SubscriptionIndex[str] = SubscriptionIndex()
    model: list[tuple[bytes, str]] = []  # (prefix, subscriber) in subscription order
    for op, prefix, subscriber in ops:
        if op == "add":
            first = not any(p == prefix for p, _ in model)
            assert index.add(prefix, subscriber) is first
            if (prefix, subscriber) not in model:
                model.append((prefix, subscriber))
        elif op == "remove":
            held = (prefix, subscriber) in model
            if held:
                model.remove((prefix, subscriber))
            last = held and not any(p == prefix for p, _ in model)
            assert index.remove(prefix, subscriber) is (last if held else None)
        else:
            mine = [p for p, s in model if s == subscriber]
            model = [(p, s) for p, s in model if s != subscriber]
            gone = [p for p in mine if not any(q == p for q, _ in model)]
            assert sorted(index.remove_subscriber(subscriber)) == sorted(gone)
        assert sorted(index.prefixes()) == sorted({p for p, _ in model})
        for probe in probes:
            # Each once: in the order of the prefixes by length, then of subscription.
            expected = list(
                dict.fromkeys(
                    s
                    for length in sorted({len(p) for p, _ in model})
                    for p, s in model
                    if len(p) == length and probe.startswith(p)
                )
            )
            assert list(index.matching(probe)) == expected
            assert index.matches(probe) is bool(expected)
    for subscriber in ("p", "q", "r"):
        assert sorted(index.prefixes_of(subscriber)) == sorted(
            p for p, s in model if s == subscriber
        )
