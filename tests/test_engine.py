"""The socket engine alone: engines wired in memory, any chunking, any partial write.

No socket, no thread, no real clock: :mod:`simnet` plays every backend. These
are the properties a custom event loop embedding ``SocketEngine`` relies on.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core import (
    PENDING,
    Again,
    Dial,
    Drop,
    EngineConfiguration,
    SocketEngine,
    SocketError,
    Watch,
    Write,
    parse_endpoint,
)
from zmtp_core._link import LinkInput, LinkState

from simnet import End, Network

URL = "tcp://sim:1"

# Bodies around the edges that matter: short/long header (255/256) and zero-copy (8192).
bodies = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"x" * 255, b"y" * 256, b"z" * 8191, b"w" * 8192, b"v" * 70_000]),
)
messages = st.lists(bodies, min_size=1, max_size=4)


network_settings = settings(max_examples=100, deadline=None)


def chooser(data: st.DataObject) -> object:
    """Sizes of reads and partial writes: a seeded generator per example (one draw
    instead of thousands), biased to the edges: nothing, one byte, everything."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))

    def choose(low: int, high: int) -> int:
        pick = rng.random()
        if pick < 0.2:
            return low
        if pick < 0.3:
            return min(high, low + 1)
        if pick < 0.6:
            return high
        return rng.randint(low, high)

    return choose


def tagged(sender: int, n: int, body: list[bytes]) -> list[bytes]:
    """A message that says who sent it and its number, so tears and swaps show."""
    return [b"%d:%d" % (sender, n), *body, b"end %d:%d" % (sender, n)]


@network_settings
@given(data=st.data(), batches=st.lists(st.lists(messages, max_size=5), min_size=3, max_size=3))
def test_router_routes_exactly_whatever_the_chunking(
    data: st.DataObject, batches: list[list[list[bytes]]]
) -> None:
    net = Network(chooser(data))  # type: ignore[arg-type]
    router = net.engine("ROUTER")
    router.bind(URL)
    dealers = [net.engine("DEALER", ROUTING_ID=b"d%d" % i) for i in range(3)]
    for dealer in dealers:
        dealer.connect(URL)
    for i, (dealer, batch) in enumerate(zip(dealers, batches, strict=True)):
        for n, body in enumerate(batch):
            dealer.send(tagged(i, n, body))
    expected = sum(len(batch) for batch in batches)
    net.run(2000, until=lambda: len(router.recv_all()) == 0 and len(router.received) >= expected)
    got = router.received
    assert len(got) == expected
    for i, batch in enumerate(batches):
        mine = [m[1:] for m in got if m[0] == b"d%d" % i]
        assert mine == [tagged(i, n, body) for n, body in enumerate(batch)]
        for message in mine:  # the replies go back to exactly that peer
            router.send([b"d%d" % i, b"re", *message])
    net.run(2000)
    for i, (dealer, batch) in enumerate(zip(dealers, batches, strict=True)):
        replies = dealer.recv_all()
        assert replies == [[b"re", *tagged(i, n, body)] for n, body in enumerate(batch)]


@network_settings
@given(data=st.data(), count=st.integers(1, 120), hwm=st.integers(1, 8))
def test_blocking_types_lose_nothing_at_their_high_water_marks(
    data: st.DataObject, count: int, hwm: int
) -> None:
    net = Network(chooser(data), max_chunk=300)  # type: ignore[arg-type]
    pull = net.engine("PULL", RCVHWM=hwm)
    pull.bind(URL)
    push = net.engine("PUSH", SNDHWM=hwm)
    push.connect(URL)
    sent = 0
    for turn in range(count * 20):
        if len(pull.received) == count:
            break
        while sent < count:
            try:
                push.send([b"%d" % sent, bytes(sent % 300)])
            except Again:
                break  # the high-water mark: nothing was queued
            sent += 1
        net.run(3)
        if turn % 8 == 7 or data.draw(st.booleans(), label="receive now"):
            pull.recv_all()
    assert pull.received == [[b"%d" % n, bytes(n % 300)] for n in range(count)]


@network_settings
@given(data=st.data(), count=st.integers(5, 60))
def test_random_disconnects_never_tear_or_duplicate_a_message(
    data: st.DataObject, count: int
) -> None:
    net = Network(chooser(data), max_chunk=200)  # type: ignore[arg-type]
    router = net.engine("ROUTER")
    router.bind(URL)
    dealer = net.engine("DEALER", ROUTING_ID=b"d", RECONNECT_IVL=10)
    dealer.connect(URL)
    for n in range(count):
        dealer.send(tagged(0, n, [bytes(n * 37 % 9000)]))
        net.run(data.draw(st.integers(0, 3), label="rounds"))
        if dealer.ends and data.draw(st.integers(0, 9), label="cut?") == 0:
            net.cut(next(iter(dealer.ends.values())))
        router.recv_all()
    net.run(3000)
    router.recv_all()
    numbers = []
    for message in router.received:
        identity, head, body, tail = message
        number = int(head.split(b":")[1])
        assert identity == b"d" and tail == b"end " + head  # never torn
        assert body == bytes(number * 37 % 9000)
        numbers.append(number)
    # Never twice. (Not always in order: the ROUTER fair-queues what the old connection
    # still holds with what the new one brings, as libzmq's does.)
    assert len(numbers) == len(set(numbers))


def test_dealer_round_robins_over_its_peers() -> None:
    net = Network()
    pulls = [net.engine("PULL") for _ in range(3)]
    for i, pull in enumerate(pulls):
        pull.bind(f"tcp://sim:{i}")
    dealer = net.engine("PUSH")
    for i in range(3):
        dealer.connect(f"tcp://sim:{i}")
    net.run()
    assert dealer.engine.links_ready() == 3
    for n in range(30):
        dealer.send([b"%d" % n])
    net.run()
    got = [[int(m[0]) for m in pull.recv_all()] for pull in pulls]
    assert sorted(len(g) for g in got) == [10, 10, 10]
    for numbers in got:  # each peer every third message
        assert {b - a for a, b in itertools.pairwise(numbers)} == {3}


@network_settings
@given(
    data=st.data(),
    subscriptions=st.lists(st.binary(max_size=3), max_size=4),
    topics=st.lists(st.binary(max_size=4), max_size=30),
)
def test_sub_receives_only_what_it_subscribed_to(
    data: st.DataObject, subscriptions: list[bytes], topics: list[bytes]
) -> None:
    net = Network(chooser(data))  # type: ignore[arg-type]
    pub = net.engine("PUB")
    pub.bind(URL)
    sub = net.engine("SUB")
    for topic in subscriptions:
        sub.engine.setsockopt("SUBSCRIBE", topic)
    sub.connect(URL)
    net.run(500)
    for topic in topics:
        pub.send([topic, b"payload"])
    net.run(500)
    got = [m[0] for m in sub.recv_all()]
    assert got == [t for t in topics if any(t.startswith(s) for s in subscriptions)]


def test_a_pair_refuses_further_peers_and_keeps_nothing_of_them() -> None:
    net = Network()
    pair = net.engine("PAIR")
    pair.bind(URL)
    first = net.engine("PAIR")
    first.connect(URL)
    net.run(300)
    for _ in range(5):  # each is refused at its handshake
        net.engine("PAIR").connect(URL)
        net.run(300)
    assert len(pair.engine.pattern.pipes) == 1
    assert len(pair.engine._owners) == 1
    first.send([b"still the peer"])
    net.run(300)
    assert pair.recv_all() == [[b"still the peer"]]


def test_reconnect_waits_libzmqs_backoff() -> None:
    engine = SocketEngine("DEALER", config=EngineConfiguration(rng=random.Random(7)))
    engine.setsockopt("RECONNECT_IVL", 100)
    engine.setsockopt("RECONNECT_IVL_MAX", 400)
    dialer = engine.connect(parse_endpoint("tcp://127.0.0.1:9"), "tcp://127.0.0.1:9")
    now = 50.0
    waits = []
    for _ in range(5):
        (action,) = engine.take_actions()
        assert isinstance(action, Dial) and action.dialer is dialer
        engine.dial_failed(dialer, "connection refused")
        assert engine.next_deadline == PENDING  # the engine needs the time first
        engine.handle_timer(now)
        deadline = engine.next_deadline
        assert deadline is not None and not engine.take_actions()
        waits.append(deadline - now)
        engine.handle_timer(deadline)
        now = deadline
    # RECONNECT_IVL plus up to one interval of jitter, the interval doubling to the maximum.
    for wait, interval in zip(waits, [0.1, 0.2, 0.4, 0.4, 0.4], strict=True):
        assert interval <= wait < interval + 0.1


def test_a_successful_handshake_resets_the_backoff() -> None:
    net = Network()
    dealer = net.engine("DEALER", RECONNECT_IVL=100, RECONNECT_IVL_MAX=1000)
    dialer = dealer.connect(URL)
    for _ in range(3):  # nobody listens: the interval doubles
        net.run(5)
    assert dialer.interval > 100
    router = net.engine("ROUTER")
    router.bind(URL)
    net.run(50, until=lambda: dealer.engine.links_ready() == 1)
    net.run(5)
    assert dealer.engine.links_ready() == 1
    assert dialer.interval == 100


def test_rcvhwm_pauses_reading_and_receiving_resumes_it() -> None:
    net = Network()
    pull = net.engine("PULL", RCVHWM=4)
    pull.bind(URL)
    push = net.engine("PUSH", SNDHWM=1000)
    push.connect(URL)
    net.run()
    for n in range(50):
        push.send([b"%d" % n])
    net.run()
    (end,) = pull.ends.values()
    assert not end.read  # paused: the pipe is at RCVHWM
    queued = sum(len(p.inbound) for p in pull.engine.pattern.pipes)
    assert queued == 4
    got = pull.recv_all()
    net.run()
    got += pull.recv_all()
    while len(got) < 50:
        net.run()
        got += pull.recv_all()
    assert [int(m[0]) for m in got] == list(range(50))
    assert end.read


def test_linger_delivers_then_finishes_and_linger_zero_drops() -> None:
    net = Network()
    pull = net.engine("PULL")
    pull.bind(URL)
    push = net.engine("PUSH", LINGER=-1)
    push.connect(URL)
    for n in range(5):
        push.send([b"%d" % n])  # queued before the handshake
    push.engine.close()
    lingering = not push.engine.finished
    net.run()
    assert lingering and push.engine.finished
    assert [m[0] for m in pull.recv_all()] == [b"%d" % n for n in range(5)]
    assert not push.ends  # every connection dropped

    quiet = net.engine("PUSH")
    quiet.connect("tcp://sim:99")  # (nobody listens)
    quiet.send([b"lost"])
    quiet.engine.close(linger=0)
    assert quiet.engine.finished


def test_linger_runs_out() -> None:
    engine = SocketEngine("PUSH")
    engine.connect(parse_endpoint("tcp://127.0.0.1:9"), "tcp://127.0.0.1:9")
    engine.send([b"never delivered"])
    engine.close(linger=200)
    assert not engine.finished
    engine.handle_timer(10.0)  # the linger starts when the engine learns the time
    assert engine.next_deadline is not None and engine.next_deadline <= 10.2
    engine.handle_timer(10.2)
    assert engine.finished


@settings(max_examples=60)
@given(garbage=st.binary(min_size=1, max_size=400))
def test_a_garbage_peer_loses_only_its_own_connection(garbage: bytes) -> None:
    net = Network()
    router = net.engine("ROUTER")
    listener = router.bind(URL)
    dealer = net.engine("DEALER", ROUTING_ID=b"good")
    dealer.connect(URL)
    net.run()
    bad = End("bad")
    router.ends[bad] = bad
    router.engine.accepted(bad, listener)
    router.service()
    bad.inbox += garbage
    bad.peer_closed = True  # and then it hangs up
    net.run()
    assert bad.closed  # dropped, whatever the garbage was
    dealer.send([b"still", b"works"])
    net.run()
    assert router.recv_all() == [[b"good", b"still", b"works"]]


def test_the_backend_hears_watch_and_drop_and_engine_forgets_at_once() -> None:
    engine = SocketEngine("ROUTER")
    listener = engine.bind(parse_endpoint(URL), URL)
    handle = object()
    engine.accepted(handle, listener)
    # Watched for reading, and our greeting's signature waits to be written:
    assert engine.take_actions() == [Watch(handle, True, False), Write(handle)]
    assert not engine.outbox.pending
    greeting = b"".join(bytes(b) for b in engine.buffers_to_send(handle))
    assert greeting[:1] == b"\xff" and len(greeting) == 10
    assert engine.sent(handle, 4) is False  # a partial write: wait for writability
    assert engine.take_actions() == [Watch(handle, True, True)]
    view = engine.receive_buffer(handle)
    view[:4] = bytes(4)  # unversioned ZMTP 1.0 whose first frame lacks even its flags
    assert engine.received(handle, 4) is False
    (drop,) = engine.take_actions()
    assert isinstance(drop, Drop) and drop.handle is handle and drop.handshake_failed
    assert handle not in engine.connections
    assert engine.next_deadline is None  # its handshake timer went with it


def test_tls_needs_a_context_from_the_backend() -> None:
    engine = SocketEngine("DEALER")
    with pytest.raises(SocketError, match="TLS context"):
        engine.connect(parse_endpoint("tls://127.0.0.1:5555"), "tls://127.0.0.1:5555")
    assert not engine.pattern.pipes  # nothing attached after the failure


def test_closed_engine_refuses_endpoints_and_drops_late_connections() -> None:
    engine = SocketEngine("PULL")
    listener = engine.bind(parse_endpoint(URL), URL)
    engine.close(linger=0)
    with pytest.raises(SocketError):
        engine.bind(parse_endpoint(URL), URL)
    late = object()
    engine.accepted(late, listener)
    drop = engine.take_actions()[-1]
    assert isinstance(drop, Drop) and drop.handle is late


def test_a_connection_moves_through_its_states_by_the_table_only() -> None:
    engine = SocketEngine("ROUTER")
    listener = engine.bind(parse_endpoint(URL), URL)
    handle = object()
    engine.accepted(handle, listener)
    link = engine.connections[handle]
    assert link.state.name == "HANDSHAKING"
    assert link.move(LinkInput.LINGER) is LinkState.HANDSHAKING_TO_LINGER
    assert link.move(LinkInput.HANDSHAKE_DONE) is LinkState.LINGERING
    assert link.state.ready and link.state.lingering
    with pytest.raises(RuntimeError, match="cannot HANDSHAKE_DONE when LINGERING"):
        link.move(LinkInput.HANDSHAKE_DONE)
    engine.close(linger=0)
    assert link.state is LinkState.CLOSED and link.closed
    with pytest.raises(RuntimeError):
        link.move(LinkInput.DROP)
