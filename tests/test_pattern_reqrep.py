"""DEALER, ROUTER, REQ and REP, checked the way libzmq's own tests check them."""

from __future__ import annotations

import errno

import pytest

from zmtp_core import Again, RemoteProtocolError, SocketError
from zmtp_core.connection import Frame
from zmtp_core.errors import EFSM
from zmtp_core.patterns import SocketBase, create_socket

from pipes import Recorder, link, outgoing, peer, pump


def test_dealer_round_robin() -> None:
    dealer = create_socket("DEALER")
    a, b, c = peer(dealer), peer(dealer), peer(dealer)
    for n in range(6):
        dealer.send([b"%d" % n])
    assert outgoing(a) == [[b"0"], [b"3"]]
    assert outgoing(b) == [[b"1"], [b"4"]]
    assert outgoing(c) == [[b"2"], [b"5"]]


def test_dealer_fair_queue() -> None:
    dealer = create_socket("DEALER")
    a, b = peer(dealer), peer(dealer)
    for n in range(3):
        a.deliver([b"a%d" % n])
    b.deliver([b"b0"])
    received = [dealer.recv()[0] for _ in range(4)]
    assert received == [b"a0", b"b0", b"a1", b"a2"]
    with pytest.raises(Again):
        dealer.recv()


def test_dealer_skips_full_peers_and_blocks_when_all_are_full() -> None:
    dealer = create_socket("DEALER")
    dealer.setsockopt("SNDHWM", 2)
    a, b = peer(dealer), peer(dealer)  # a will drain, b never does
    for _ in range(4):
        dealer.send([b"x"])
    assert not dealer.writable
    with pytest.raises(Again):
        dealer.send([b"x"])
    assert len(outgoing(a)) == 2
    assert writable(dealer)  # (a call: mypy would keep the narrowing of the property)
    dealer.send([b"y"])
    assert outgoing(a) == [[b"y"]]
    assert len(b.outbound) == 2


def writable(sock: SocketBase) -> bool:
    return sock.writable


def test_dealer_without_peers_cannot_send() -> None:
    with pytest.raises(Again, match="none connected"):
        create_socket("DEALER").send([b"x"])


def test_messages_queue_on_a_peer_before_its_handshake() -> None:
    """libzmq's IMMEDIATE=0: connect() attaches a pipe at once."""
    dealer = create_socket("DEALER")
    pipe = dealer.attach_pipe(locally_initiated=True)
    dealer.send([b"early"])
    pipe.connected(b"", "ROUTER")
    assert outgoing(pipe) == [[b"early"]]


def test_router_prefixes_identity_or_a_generated_id() -> None:
    router = create_socket("ROUTER")
    named = peer(router, b"worker-1")
    anonymous = peer(router)
    other = peer(router)
    named.deliver([b"hi"])
    anonymous.deliver([b"", b"hello"])
    other.deliver([b"!"])
    first, second, third = router.recv(), router.recv(), router.recv()
    assert first == [b"worker-1", b"hi"]
    assert second[1:] == [b"", b"hello"]
    generated = second[0]
    assert len(generated) == 5 and generated[0] == 0
    assert third[0] != generated and third[0][0] == 0
    assert int.from_bytes(third[0][1:], "big") == (int.from_bytes(generated[1:], "big") + 1) % 2**32


def test_router_routes_by_first_frame_and_drops_the_unroutable() -> None:
    router = create_socket("ROUTER")
    a, b = peer(router, b"A"), peer(router, b"B")
    router.send([b"B", b"for b"])
    router.send([b"A", b"", b"for a"])
    router.send([b"nobody", b"lost"])  # silently dropped
    router.send([b"A"])  # a routing id alone goes nowhere
    assert outgoing(a) == [[b"", b"for a"]]
    assert outgoing(b) == [[b"for b"]]


def test_router_mandatory() -> None:
    router = create_socket("ROUTER")
    router.setsockopt("ROUTER_MANDATORY", 1)
    router.setsockopt("SNDHWM", 1)
    a = peer(router, b"A")
    with pytest.raises(SocketError, match="no peer with routing id b'nobody'") as info:
        router.send([b"nobody", b"x"])
    assert info.value.errno == errno.EHOSTUNREACH and info.value.errno_name == "EHOSTUNREACH"
    router.send([b"A", b"1"])
    with pytest.raises(Again):
        router.send([b"A", b"2"])
    assert outgoing(a) == [[b"1"]]


def test_router_without_mandatory_drops_at_hwm() -> None:
    router = create_socket("ROUTER")
    router.setsockopt("SNDHWM", 1)
    a = peer(router, b"A")
    router.send([b"A", b"1"])
    router.send([b"A", b"2"])  # dropped, no error
    assert outgoing(a) == [[b"1"]]


def test_router_ignores_a_duplicate_routing_id() -> None:
    router = create_socket("ROUTER")
    first = peer(router, b"same")
    second = peer(router, b"same")
    assert second.ignored
    second.deliver([b"ignored"])
    with pytest.raises(Again):
        router.recv()
    router.send([b"same", b"x"])
    assert outgoing(first) == [[b"x"]]


def test_router_handover() -> None:
    router = create_socket("ROUTER")
    router.setsockopt("ROUTER_HANDOVER", 1)
    recorder = Recorder()
    old = peer(router, b"same", listener=recorder)
    new = peer(router, b"same")
    assert recorder.closes and recorder.closes[0][0] is old
    assert "ROUTER_HANDOVER" in recorder.closes[0][1]
    router.send([b"same", b"x"])
    assert outgoing(new) == [[b"x"]]
    assert outgoing(old) == []


def test_connect_routing_id_makes_a_peer_routable_before_its_handshake() -> None:
    router = create_socket("ROUTER")
    pipe = router.attach_pipe(locally_initiated=True, routing_id=b"server")
    router.send([b"server", b"early"])
    pipe.connected(b"what-it-calls-itself", "ROUTER")
    assert outgoing(pipe) == [[b"early"]]
    pipe.deliver([b"reply"])
    assert router.recv() == [b"server", b"reply"]


def test_probe_router_greets_every_peer() -> None:
    for kind in ("ROUTER", "DEALER"):
        sock = create_socket(kind)
        sock.setsockopt("PROBE_ROUTER", 1)
        assert outgoing(peer(sock, b"p")) == [[b""]]


def test_detached_peer_is_unroutable_but_its_messages_remain() -> None:
    router = create_socket("ROUTER")
    router.setsockopt("ROUTER_MANDATORY", 1)
    a = peer(router, b"A")
    a.deliver([b"last words"])
    a.detach()
    assert router.recv() == [b"A", b"last words"]
    with pytest.raises(SocketError):
        router.send([b"A", b"x"])


def test_req_rep_round_trip_with_envelopes() -> None:
    req, rep = create_socket("REQ"), create_socket("REP")
    pipes = link(req, rep)
    req.send([b"question"])
    assert outgoing_peek(pipes[0]) == [[b"", b"question"]]
    pump(pipes)
    assert rep.recv() == [b"question"]
    rep.send([b"answer"])
    pump(pipes)
    assert req.recv() == [b"answer"]


def outgoing_peek(pipe: object) -> list[list[bytes]]:
    from zmtp_core.patterns import Pipe  # noqa: PLC0415

    assert isinstance(pipe, Pipe)
    return [[bytes(f) for f in item[0]] for item in pipe.outbound if isinstance(item, tuple)]


def test_req_strict_alternation() -> None:
    req = create_socket("REQ")
    peer(req, socket_type="REP")
    with pytest.raises(SocketError) as info:
        req.recv()
    assert info.value.errno == EFSM and info.value.errno_name == "EFSM"
    req.send([b"1"])
    assert not req.writable
    with pytest.raises(SocketError, match="receive the reply"):
        req.send([b"2"])


def test_req_takes_the_reply_only_from_the_peer_it_asked() -> None:
    req = create_socket("REQ")
    a, b = peer(req), peer(req)
    req.send([b"to a"])
    assert outgoing(a) == [[b"", b"to a"]]
    b.deliver([b"", b"from b"])
    a.deliver([b"", b"from a"])
    assert req.recv() == [b"from a"]


def test_req_drops_the_connection_on_a_reply_without_delimiter() -> None:
    req = create_socket("REQ")
    a = peer(req)
    req.send([b"q"])
    bad_replies: list[list[Frame]] = [
        [b"no delimiter"],
        [b""],
        [b"abcd", b""],
        [b"abcd", b"x", b"y"],
    ]
    for bad in bad_replies:
        with pytest.raises(RemoteProtocolError, match="empty delimiter"):
            a.deliver(bad)
    a.deliver(
        [b"\x01\x02\x03\x04", b"", b"id-prefixed"]
    )  # a correlated reply passes the wire check
    a.deliver([b"", b"fine"])
    assert req.recv() == [b"fine"]  # the id-prefixed one is not ours: skipped


def test_req_relaxed_allows_a_new_request_and_drops_old_replies() -> None:
    req = create_socket("REQ")
    req.setsockopt("REQ_RELAXED", 1)
    a, b = peer(req), peer(req)
    req.send([b"first"])
    req.send([b"second"])  # no EFSM
    a.deliver([b"", b"late reply to first"])
    assert outgoing(b) == [[b"", b"second"]]
    with pytest.raises(Again):
        req.recv()  # a's reply is not from the peer we asked last
    b.deliver([b"", b"reply to second"])
    assert req.recv() == [b"reply to second"]


def test_req_correlate_drops_stale_replies() -> None:
    req = create_socket("REQ")
    req.setsockopt("REQ_RELAXED", 1)
    req.setsockopt("REQ_CORRELATE", 1)
    a = peer(req)
    req.send([b"one"])
    (first,) = outgoing(a)
    req.send([b"two"])
    (second,) = outgoing(a)
    assert len(first[0]) == 4 and first[1:] == [b"", b"one"]
    assert second[1:] == [b"", b"two"] and second[0] != first[0]
    a.deliver([first[0], b"", b"stale"])
    a.deliver([second[0], b"", b"fresh"])
    assert req.recv() == [b"fresh"]


def test_req_new_request_discards_replies_still_queued() -> None:
    req = create_socket("REQ")
    req.setsockopt("REQ_RELAXED", 1)
    a = peer(req)
    req.send([b"q1"])
    a.deliver([b"", b"r1"])
    req.send([b"q2"])  # r1 was never read: it must not answer q2
    with pytest.raises(Again):
        req.recv()


def test_rep_restores_the_whole_envelope() -> None:
    rep = create_socket("REP")
    a = peer(rep)
    a.deliver([b"hop-1", b"hop-2", b"", b"request", b"part 2"])
    assert rep.recv() == [b"request", b"part 2"]
    assert not rep.readable and rep.writable
    rep.send([b"reply"])
    assert outgoing(a) == [[b"hop-1", b"hop-2", b"", b"reply"]]


def test_rep_alternation_and_malformed_requests() -> None:
    rep = create_socket("REP")
    a = peer(rep)
    with pytest.raises(SocketError, match="receive a request"):
        rep.send([b"x"])
    a.deliver([b"no envelope"])
    a.deliver([b"id", b""])  # delimiter with nothing after it
    a.deliver([b"", b"good"])
    assert rep.recv() == [b"good"]
    with pytest.raises(SocketError, match="send the reply"):
        rep.recv()


def test_rep_reply_to_a_vanished_peer_is_dropped() -> None:
    rep = create_socket("REP")
    a = peer(rep)
    a.deliver([b"", b"q"])
    rep.recv()
    a.detach()
    rep.send([b"nobody listens"])  # no error, as libzmq
    assert rep.writable is False


def test_req_reply_through_router_dealer_proxy() -> None:
    req, router, dealer, rep = (create_socket(k) for k in ("REQ", "ROUTER", "DEALER", "REP"))
    front, back = link(req, router), link(dealer, rep)
    req.send([b"ping"])
    pump(front)
    dealer.send(router.recv())
    pump(back)
    assert rep.recv() == [b"ping"]
    rep.send([b"pong"])
    pump(back)
    router.send(dealer.recv())
    pump(front)
    assert req.recv() == [b"pong"]
