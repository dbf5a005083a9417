"""PUB, SUB, XPUB and XSUB: prefix filtering, subscription flow, drop policy."""

from __future__ import annotations

import pytest

from zmtp_core import Again, MessageTracker, SocketError
from zmtp_core._pubsub import Pub
from zmtp_core.patterns import create_socket

from pipes import commands, link, outgoing, peer, pump


def subscriber(pub: object, *topics: bytes) -> object:
    from zmtp_core.patterns import SocketBase  # noqa: PLC0415

    assert isinstance(pub, SocketBase)
    pipe = peer(pub, socket_type="SUB")
    for topic in topics:
        pipe.deliver_subscription(True, topic)
    return pipe


def test_prefix_filtering_with_empty_and_overlapping_topics() -> None:
    pub = create_socket("PUB")
    everything = peer(pub)
    everything.deliver_subscription(True, b"")
    overlapping = peer(pub)
    overlapping.deliver_subscription(True, b"a")
    overlapping.deliver_subscription(True, b"ab")
    exact = peer(pub)
    exact.deliver_subscription(True, b"abc")
    nothing = peer(pub)
    for topic in (b"abc", b"ab", b"b", b""):
        pub.send([topic, b"body"])
    assert [m[0] for m in outgoing(everything)] == [b"abc", b"ab", b"b", b""]
    assert [m[0] for m in outgoing(overlapping)] == [b"abc", b"ab"]  # once each, not twice
    assert [m[0] for m in outgoing(exact)] == [b"abc"]
    assert outgoing(nothing) == []


def test_cancel_and_peer_departure_remove_subscriptions() -> None:
    pub = Pub()
    a = peer(pub)
    a.deliver_subscription(True, b"x")
    a.deliver_subscription(False, b"x")
    pub.send([b"x1"])
    assert outgoing(a) == []
    b = peer(pub)
    b.deliver_subscription(True, b"x")
    b.detach()
    assert pub.subscriptions() == []


def test_pub_drops_for_a_subscriber_at_hwm_whole_messages_only() -> None:
    pub = create_socket("PUB")
    pub.setsockopt("SNDHWM", 3)
    slow, fast = peer(pub), peer(pub)
    slow.deliver_subscription(True, b"")
    fast.deliver_subscription(True, b"")
    tracker: MessageTracker | None = None
    for n in range(6):
        if n == 5:
            tracker = MessageTracker()
        pub.send([b"t", b"%d" % n, b"end"], tracker)
        outgoing_fast = outgoing(fast)
        assert outgoing_fast == [[b"t", b"%d" % n, b"end"]]
    received = outgoing(slow)
    assert received == [[b"t", b"%d" % n, b"end"] for n in range(3)]  # a gap, never a torn message
    assert tracker is not None and tracker.done and tracker.dropped


def test_pub_never_blocks_and_cannot_receive() -> None:
    pub = create_socket("PUB")
    assert pub.writable
    pub.send([b"no subscribers at all"])
    with pytest.raises(SocketError, match="cannot receive"):
        pub.recv()


def test_pub_fan_out_tracker_waits_for_every_copy() -> None:
    pub = create_socket("PUB")
    a, b = peer(pub), peer(pub)
    a.deliver_subscription(True, b"")
    b.deliver_subscription(True, b"")
    tracker = MessageTracker()
    pub.send([bytearray(b"shared")], tracker)
    outgoing(a)
    assert (tracker.done, tracker.dropped) == (False, False)
    outgoing(b)
    assert (tracker.done, tracker.dropped) == (True, False)


def test_xpub_nodrop_raises_again() -> None:
    xpub = create_socket("XPUB")
    xpub.setsockopt("SNDHWM", 1)
    xpub.setsockopt("XPUB_NODROP", 1)
    a = peer(xpub)
    a.deliver_subscription(True, b"")
    xpub.send([b"1"])
    with pytest.raises(Again, match="NODROP"):
        xpub.send([b"2"])


def test_xpub_reports_first_subscription_and_last_cancel() -> None:
    xpub = create_socket("XPUB")
    a, b = peer(xpub), peer(xpub)
    a.deliver_subscription(True, b"news")
    b.deliver_subscription(True, b"news")
    b.deliver_subscription(False, b"news")
    assert xpub.recv() == [b"\x01news"]
    with pytest.raises(Again):
        xpub.recv()
    a.deliver_subscription(False, b"news")
    assert xpub.recv() == [b"\x00news"]


def test_xpub_verbose_and_verboser() -> None:
    verbose = create_socket("XPUB")
    verbose.setsockopt("XPUB_VERBOSE", 1)
    a, b = peer(verbose), peer(verbose)
    a.deliver_subscription(True, b"t")
    b.deliver_subscription(True, b"t")
    b.deliver_subscription(False, b"t")
    assert [verbose.recv(), verbose.recv()] == [[b"\x01t"], [b"\x01t"]]
    assert not verbose.readable
    verboser = create_socket("XPUB")
    verboser.setsockopt("XPUB_VERBOSER", 1)
    a, b = peer(verboser), peer(verboser)
    a.deliver_subscription(True, b"t")
    b.deliver_subscription(True, b"t")
    b.deliver_subscription(False, b"t")
    assert [verboser.recv() for _ in range(3)] == [[b"\x01t"], [b"\x01t"], [b"\x00t"]]


def test_xpub_reports_cancellations_when_a_peer_leaves() -> None:
    xpub = create_socket("XPUB")
    a, b = peer(xpub), peer(xpub)
    a.deliver_subscription(True, b"only-a")
    a.deliver_subscription(True, b"shared")
    b.deliver_subscription(True, b"shared")
    assert [xpub.recv(), xpub.recv()] == [[b"\x01only-a"], [b"\x01shared"]]
    a.detach()
    assert xpub.recv() == [b"\x00only-a"]
    assert not xpub.readable


def test_xpub_receives_upstream_messages_from_xsub() -> None:
    xpub, xsub = create_socket("XPUB"), create_socket("XSUB")
    pipes = link(xsub, xpub)
    xsub.send([b"\x01topic"])
    xsub.send([b"hello upstream", b"2"])
    pump(pipes)
    assert xpub.recv() == [b"\x01topic"]
    assert xpub.recv() == [b"hello upstream", b"2"]
    xpub.send([b"topic-1"])
    xpub.send([b"other"])
    pump(pipes)
    assert xsub.recv() == [b"topic-1"]
    with pytest.raises(Again):
        xsub.recv()


def test_xsub_cancel_of_unknown_topic_goes_nowhere() -> None:
    xsub = create_socket("XSUB")
    a = peer(xsub)
    xsub.send([b"\x00never"])
    xsub.send([b"\x01t"])
    xsub.send([b"\x01t"])
    xsub.send([b"\x00t"])  # still one left: not forwarded
    xsub.send([b"\x00t"])
    assert outgoing(a) == [[b"\x01t"], [b"\x01t"], [b"\x00t"]]


def test_sub_sends_every_subscribe_and_only_the_last_cancel() -> None:
    sub = create_socket("SUB")
    a = peer(sub)
    sub.setsockopt("SUBSCRIBE", b"a")
    sub.setsockopt("SUBSCRIBE", b"a")
    sub.setsockopt("UNSUBSCRIBE", b"a")
    sub.setsockopt("UNSUBSCRIBE", b"a")
    sub.setsockopt("UNSUBSCRIBE", b"never")
    assert commands(a) == [(True, b"a"), (True, b"a"), (False, b"a")]


def test_sub_filters_on_arrival_and_on_reading() -> None:
    sub = create_socket("SUB")
    a = peer(sub)
    sub.setsockopt("SUBSCRIBE", b"keep")
    a.deliver([b"drop me"])
    a.deliver([b"keep 1"])
    a.deliver([b"keep 2", b"more"])
    assert len(a.inbound) == 2  # the unwanted one took no room
    assert sub.recv() == [b"keep 1"]
    sub.setsockopt("UNSUBSCRIBE", b"keep")
    with pytest.raises(Again):
        sub.recv()  # queued before the unsubscribe, filtered when read


def test_subscriptions_replayed_to_new_and_reconnected_peers() -> None:
    sub = create_socket("SUB")
    sub.setsockopt("SUBSCRIBE", b"x")
    sub.setsockopt("SUBSCRIBE", b"y")
    late = peer(sub)
    assert commands(late) == [(True, b"x"), (True, b"y")]
    pipe = sub.attach_pipe(locally_initiated=True)
    assert commands(pipe) == [(True, b"x"), (True, b"y")]  # queued before the handshake
    pipe.connected(b"", "PUB")
    pipe.outbound.append(([b"pending"], None))  # something still waiting to be sent
    pipe.disconnected()
    pipe.connected(b"", "PUB")  # the publisher restarted and forgot us
    items = list(pipe.outbound)
    assert [(i.subscribe, i.topic) for i in items[:2]] == [(True, b"x"), (True, b"y")]  # type: ignore[union-attr]
    assert items[2] == ([b"pending"], None)


def test_sub_cannot_send() -> None:
    with pytest.raises(SocketError, match="cannot send"):
        create_socket("SUB").send([b"x"])


def test_invert_matching() -> None:
    pub = create_socket("PUB")
    pub.setsockopt("INVERT_MATCHING", 1)
    a = peer(pub)
    a.deliver_subscription(True, b"skip")
    pub.send([b"skip this"])
    pub.send([b"take this"])
    assert outgoing(a) == [[b"take this"]]
    sub = create_socket("SUB")
    sub.setsockopt("INVERT_MATCHING", 1)
    sub.setsockopt("SUBSCRIBE", b"skip")
    b = peer(sub)
    b.deliver([b"skip this"])
    b.deliver([b"take this"])
    assert sub.recv() == [b"take this"]


def test_pub_sub_end_to_end_with_thousands_of_topics() -> None:
    pub, sub = Pub(), create_socket("SUB")
    pipes = link(sub, pub)
    for n in range(3000):
        sub.setsockopt("SUBSCRIBE", b"topic.%d." % n)
    pump(pipes)
    assert len(pub.subscriptions()) == 3000
    for n in range(0, 6000, 7):
        pub.send([b"topic.%d.data" % n])
    pump(pipes)
    got = []
    while sub.readable:
        got.append(sub.recv()[0])
    assert got == [b"topic.%d.data" % n for n in range(0, 3000, 7)]
