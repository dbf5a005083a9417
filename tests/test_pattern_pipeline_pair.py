"""PUSH, PULL and PAIR; high-water marks and CONFLATE across types."""

from __future__ import annotations

import pytest

from zmtp_core import Again, MessageTracker, SocketError
from zmtp_core.patterns import create_socket

from pipes import Recorder, outgoing, peer


def test_push_round_robin_and_pull_fair_queue() -> None:
    push = create_socket("PUSH")
    a, b = peer(push), peer(push)
    for n in range(4):
        push.send([b"%d" % n])
    assert outgoing(a) == [[b"0"], [b"2"]] and outgoing(b) == [[b"1"], [b"3"]]
    pull = create_socket("PULL")
    c, d = peer(pull), peer(pull)
    c.deliver([b"c0"])
    c.deliver([b"c1"])
    d.deliver([b"d0"])
    assert [pull.recv(), pull.recv(), pull.recv()] == [[b"c0"], [b"d0"], [b"c1"]]


def test_push_and_pull_are_one_way() -> None:
    with pytest.raises(SocketError, match="PUSH sockets cannot receive"):
        create_socket("PUSH").recv()
    with pytest.raises(SocketError, match="PULL sockets cannot send") as info:
        create_socket("PULL").send([b"x"])
    assert info.value.errno_name == "ENOTSUP"


def test_pair_has_one_peer() -> None:
    pair = create_socket("PAIR")
    with pytest.raises(Again):
        pair.send([b"nobody yet"])
    recorder = Recorder()
    first = peer(pair)
    second = peer(pair, listener=recorder)
    assert recorder.closes == [(second, "PAIR accepts a single peer")]
    pair.send([b"x"])
    assert outgoing(first) == [[b"x"]]
    second.deliver([b"ignored"])
    first.deliver([b"y"])
    assert pair.recv() == [b"y"]
    first.detach()
    third = peer(pair)  # after the first leaves, a new peer is accepted
    pair.send([b"z"])
    assert outgoing(third) == [[b"z"]]


@pytest.mark.parametrize("kind", ["PAIR", "DEALER", "PUSH", "REQ"])
def test_blocking_types_raise_again_at_sndhwm_and_lose_nothing(kind: str) -> None:
    sock = create_socket(kind)
    sock.setsockopt("SNDHWM", 10)
    pipe = peer(sock)
    if kind == "REQ":
        sock.setsockopt("REQ_RELAXED", 1)
    accepted = 0
    for n in range(25):
        try:
            sock.send([b"%d" % n, b"second frame"])
        except Again:
            continue
        accepted += 1
    assert accepted == 10
    messages = outgoing(pipe)
    assert len(messages) == 10
    assert all(len(m) >= 2 for m in messages)  # never torn


def test_rcvhwm_makes_the_backend_stop_reading() -> None:
    pull = create_socket("PULL")
    pull.setsockopt("RCVHWM", 3)
    pipe = peer(pull)
    for n in range(3):
        assert not pipe.inbound_full
        pipe.deliver([b"%d" % n])
    assert pipe.inbound_full
    pull.recv()
    assert not pipe.inbound_full


def test_hwm_zero_is_unlimited_and_changes_apply_to_existing_pipes() -> None:
    dealer = create_socket("DEALER")
    dealer.setsockopt("SNDHWM", 0)
    pipe = peer(dealer)
    for _ in range(5000):
        dealer.send([b"x"])
    assert len(pipe.outbound) == 5000
    dealer.setsockopt("SNDHWM", 1)
    assert not dealer.writable


@pytest.mark.parametrize("kind", ["PUB", "DEALER", "PUSH"])
def test_conflate_keeps_only_the_last_outgoing_message(kind: str) -> None:
    sock = create_socket(kind)
    sock.setsockopt("CONFLATE", 1)
    pipe = peer(sock)
    pipe.deliver_subscription(True, b"")
    trackers = [MessageTracker() for _ in range(3)]
    for n, tracker in enumerate(trackers):
        sock.send([b"%d" % n], tracker)
    assert outgoing(pipe) == [[b"2"]]
    assert [t.dropped for t in trackers] == [True, True, False]


@pytest.mark.parametrize("kind", ["SUB", "PULL", "DEALER"])
def test_conflate_keeps_only_the_last_incoming_message(kind: str) -> None:
    sock = create_socket(kind)
    sock.setsockopt("CONFLATE", 1)
    if kind == "SUB":
        sock.setsockopt("SUBSCRIBE", b"")
    pipe = peer(sock)
    for n in range(5):
        pipe.deliver([b"%d" % n])
        assert not pipe.inbound_full
    assert sock.recv() == [b"4"]
    with pytest.raises(Again):
        sock.recv()


def test_conflate_is_ignored_where_libzmq_ignores_it() -> None:
    req = create_socket("REQ")
    req.setsockopt("CONFLATE", 1)
    assert not peer(req).conflate


def test_empty_message_is_invalid() -> None:
    with pytest.raises(SocketError, match="at least one frame") as info:
        create_socket("DEALER").send([])
    assert info.value.errno_name == "EINVAL"


def test_closed_socket_detaches_everything() -> None:
    dealer = create_socket("DEALER")
    pipe = peer(dealer)
    tracker = MessageTracker()
    dealer.send([b"x"], tracker)
    dealer.close()
    assert pipe.detached and tracker.dropped and tracker.done
    with pytest.raises(SocketError, match="closed"):
        dealer.attach_pipe()


@pytest.mark.parametrize(
    ("kind", "error"), [("PUB", "ENOTSUP"), ("PUSH", "ENOTSUP"), ("REQ", "EFSM")]
)
def test_try_recv_raises_what_recv_raises_but_eagain(kind: str, error: str) -> None:
    sock = create_socket(kind)
    with pytest.raises(SocketError) as info:
        sock.try_recv()
    assert info.value.errno_name == error
    pull = create_socket("PULL")
    assert pull.try_recv() is None
    peer(pull).deliver([b"x"])
    assert pull.try_recv() == [b"x"]


def test_reading_resumes_at_the_low_water_mark() -> None:
    pull = create_socket("PULL")
    pull.setsockopt("RCVHWM", 10)
    pipe = peer(pull)
    for n in range(10):
        pipe.deliver([b"%d" % n])
    assert pipe.inbound_full and not pipe.inbound_low
    for _ in range(4):
        pull.recv()
    assert not pipe.inbound_low  # 6 queued: not yet
    pull.recv()
    assert pipe.inbound_low  # 5 queued: half the HWM
