"""The connection state machine: handshake, traffic, commands, timers, endings."""

from __future__ import annotations

import itertools

import pytest

from zmtp_core import PENDING, LocalProtocolError, RemoteProtocolError
from zmtp_core._commands import encode_command, encode_properties
from zmtp_core._connection import TRANSITIONS
from zmtp_core.connection import (
    NEED_DATA,
    Cancel,
    Connection,
    ConnectionClosed,
    ConnectionState,
    HandshakeComplete,
    Input,
    Message,
    PeerError,
    Subscribe,
)

from wire import drain, feed, handshake, handshaken_pair, take_output, transfer


def greeting(minor: int = 1, mechanism: bytes = b"NULL") -> bytes:
    return (
        b"\xff"
        + bytes(7)
        + b"\x01\x7f\x03"
        + bytes((minor,))
        + mechanism.ljust(20, b"\0")
        + bytes(32)
    )


def command(body: bytes) -> bytes:
    return bytes((0x04, len(body))) + body


def ready(socket_type: bytes | None, **extra: bytes) -> bytes:
    props = [] if socket_type is None else [("Socket-Type", socket_type)]
    props += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return command(encode_command(b"READY", encode_properties(props)))


def peer(conn: Connection, *handshake: bytes) -> list[object]:
    """Feed a scripted peer's bytes and return the events."""
    take_output(conn)
    return list(feed(conn, b"".join(handshake)))


# -- handshake ----------------------------------------------------------


def test_handshake_reports_the_peer() -> None:
    a = Connection("DEALER", routing_id=b"dealer-1", metadata={"X-App": b"tests"})
    b = Connection("ROUTER")
    (done_a,), (done_b,) = handshake(a, b)
    assert isinstance(done_a, HandshakeComplete) and isinstance(done_b, HandshakeComplete)
    assert (done_a.socket_type, done_a.routing_id, done_a.version) == ("ROUTER", b"", (3, 1))
    assert done_b.socket_type == "DEALER"
    assert done_b.routing_id == b"dealer-1"
    assert done_b.properties["X-App"] == b"tests"
    assert a.state is b.state is ConnectionState.TRAFFIC


@pytest.mark.parametrize(
    "socket_type", ["PUB", "SUB", "PUSH", "PAIR", "REQ", "REP", "DEALER", "ROUTER"]
)
def test_identity_property_only_from_req_dealer_router(socket_type: str) -> None:
    conn = Connection(socket_type)
    peer(conn, greeting())  # once the peer's greeting is in, our READY is queued
    sent_identity = b"\x08Identity\x00\x00\x00\x00" in take_output(conn)
    assert sent_identity == (socket_type in {"REQ", "DEALER", "ROUTER"})


def test_ready_without_socket_type_is_accepted_like_libzmq() -> None:
    conn = Connection("DEALER")
    (done,) = peer(conn, greeting(), ready(None))
    assert isinstance(done, HandshakeComplete) and done.socket_type == ""


@pytest.mark.parametrize("peer_type", [b"PUB", b"dealer", b"SERVER", b""])
def test_incompatible_socket_type_ends_only_that_connection(peer_type: bytes) -> None:
    conn = Connection("DEALER")
    (closed,) = peer(conn, greeting(), ready(peer_type))
    assert isinstance(closed, ConnectionClosed) and isinstance(closed.error, RemoteProtocolError)
    assert "socket type mismatch" in closed.reason and "DEALER" in closed.reason
    assert take_output(conn) == b""  # libzmq closes the TCP connection, no ERROR
    assert conn.next_event() is closed and conn.closed
    other = Connection("DEALER")  # nothing shared: another connection is unaffected
    assert isinstance(peer(other, greeting(), ready(b"ROUTER"))[0], HandshakeComplete)


def test_error_command_during_handshake() -> None:
    conn = Connection("DEALER")
    error, closed = peer(conn, greeting(), command(b"\x05ERROR\x03400"))
    assert error == PeerError("400")
    assert isinstance(closed, ConnectionClosed) and "400" in closed.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x02hi", "data frame is not allowed in state handshake"),
        (command(b"\x05HELLO"), "expected READY"),
        (command(b""), "empty command"),
        (command(b"\x09READY"), "malformed command"),
        (command(b"\x05READY\x0bSocket-Type\x00\x00\x00\x09DEAL"), "malformed metadata"),
    ],
)
def test_handshake_violations(data: bytes, reason: str) -> None:
    conn = Connection("DEALER")
    (closed,) = peer(conn, greeting(), data)
    assert isinstance(closed, ConnectionClosed) and reason in closed.reason


def test_ready_twice_is_dropped_after_the_handshake() -> None:
    conn = Connection("DEALER")
    events = peer(conn, greeting(), ready(b"ROUTER"), ready(b"ROUTER"), b"\x00\x01z")
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == [Message([b"z"])]


def test_recorded_libzmq_router_handshake_byte_by_byte() -> None:
    recorded = (
        greeting()
        + b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x00"
        + b"\x01\x00\x00\x05hello"
    )
    conn = Connection("DEALER")
    take_output(conn)
    events = feed(conn, recorded, [1] * len(recorded))
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == [Message([b"", b"hello"])]


# -- traffic ---------------------------------------------------------------


def test_messages_both_ways() -> None:
    a, b = handshaken_pair()
    a.send_message([b"", b"x" * 300, bytes(20000)])
    assert transfer(a, b) == [Message([b"", b"x" * 300, bytes(20000)])]
    b.send_message([b"reply"])
    assert transfer(b, a) == [Message([b"reply"])]


def test_ping_gets_a_pong_echoing_sixteen_bytes_of_context() -> None:
    _, b = handshaken_pair()
    b.receive_data(command(b"\x04PING\x00\x00" + bytes(range(20))))
    assert drain(b) == []
    assert take_output(b) == command(b"\x04PONG" + bytes(range(16)))


def test_traffic_commands() -> None:
    pub, _ = handshaken_pair("PUB", "SUB")
    pub.receive_data(
        command(b"\x09SUBSCRIBE" + b"news")
        + command(b"\x06CANCELnews")
        + command(b"\x04PONG")
        + command(b"\x07UNKNOWN")  # libzmq drops other commands silently
    )
    assert drain(pub) == [Subscribe(b"news"), Cancel(b"news")]


def test_subscriptions_sent_as_commands_to_31_and_frames_to_30() -> None:
    sub = Connection("SUB")
    peer(sub, greeting(minor=1), ready(b"PUB"))
    take_output(sub)  # our READY
    sub.send_subscribe(b"topic")
    sub.send_cancel(b"topic")
    assert take_output(sub) == command(b"\x09SUBSCRIBEtopic") + command(b"\x06CANCELtopic")
    old = Connection("SUB")
    peer(old, greeting(minor=0), ready(b"PUB"))
    assert old.peer_version == (3, 0)
    take_output(old)
    old.send_subscribe(b"topic")
    old.send_cancel(b"")
    assert take_output(old) == b"\x00\x06\x01topic\x00\x01\x00"


def test_pub_reads_both_subscription_forms_other_types_see_data() -> None:
    pub = Connection("PUB")
    events = peer(pub, greeting(minor=0), ready(b"SUB"), b"\x00\x03\x01ab\x00\x01\x00\x00\x01\x02")
    assert events[1:] == [Subscribe(b"ab"), Cancel(b""), Message([b"\x02"])]
    dealer = Connection("DEALER")
    events = peer(dealer, greeting(), ready(b"DEALER"), b"\x00\x03\x01ab")
    assert events[1:] == [Message([b"\x01ab"])]


def test_commands_between_frames_of_a_multipart() -> None:
    conn = Connection("DEALER")
    events = peer(
        conn,
        greeting(),
        ready(b"ROUTER"),
        b"\x01\x01a" + command(b"\x04PING\x00\x00") + b"\x00\x01b",
    )
    assert events[1:] == [Message([b"a", b"b"])]


def test_max_message_size_closes_the_connection() -> None:
    conn = Connection("DEALER", max_message_size=100)
    events = peer(conn, greeting(), ready(b"ROUTER"), b"\x00\x64" + bytes(100), b"\x00\x65")
    assert events[1] == Message([bytes(100)])
    assert (
        isinstance(events[2], ConnectionClosed) and "maximum message size 100" in events[2].reason
    )


# -- endings ------------------------------------------------------------------


def test_eof_delivers_what_is_complete_then_closes() -> None:
    conn = Connection("DEALER")
    events = peer(conn, greeting(), ready(b"ROUTER"), b"\x00\x01a\x01\x01b")
    assert events[1:] == [Message([b"a"])]
    conn.receive_data(b"")
    (closed,) = drain(conn)
    assert closed == ConnectionClosed("peer closed the connection")
    assert conn.next_event() is closed  # permanent
    conn.receive_data(b"\x00\x01c")  # ignored once closed
    assert conn.next_event() is closed


def test_eof_during_handshake() -> None:
    conn = Connection("DEALER")
    feed(conn, greeting()[:20])
    conn.received(0)
    (closed,) = drain(conn)
    assert isinstance(closed, ConnectionClosed) and "during the handshake" in closed.reason


def test_local_misuse_raises_and_changes_nothing() -> None:
    conn = Connection("DEALER")
    with pytest.raises(LocalProtocolError, match="state greeting"):
        conn.send_message([b"early"])
    with pytest.raises(LocalProtocolError, match="state greeting"):
        conn.send_subscribe(b"early")
    a, _ = handshaken_pair()
    with pytest.raises(LocalProtocolError, match="at least one frame"):
        a.send_message([])
    a.close()
    assert a.next_event() == ConnectionClosed("closed locally")
    with pytest.raises(LocalProtocolError, match="state closed"):
        a.send_message([b"late"])
    a.close()  # closing twice is harmless


def test_local_close_keeps_queued_output_for_linger() -> None:
    a, _ = handshaken_pair()
    a.send_message([b"last words"])
    a.close()
    assert a.bytes_to_send > 0
    a.discard_output()
    assert a.bytes_to_send == 0


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="X-"):
        Connection("DEALER", metadata={"App": b"x"})
    with pytest.raises(ValueError, match="255"):
        Connection("DEALER", routing_id=bytes(256))
    with pytest.raises(KeyError):
        Connection("NOSUCH")


# -- time -----------------------------------------------------------------


def test_handshake_timeout_and_the_pending_deadline() -> None:
    conn = Connection("DEALER", handshake_interval=5.0)
    assert conn.next_deadline == PENDING  # "tell me the time"
    conn.handle_timer(100.0)
    assert conn.next_deadline == 105.0
    conn.handle_timer(104.9)
    assert not conn.closed
    conn.handle_timer(105.0)
    (closed,) = drain(conn)
    assert isinstance(closed, ConnectionClosed) and "handshake not done within 5 s" in closed.reason
    assert conn.next_deadline is None


def test_no_timers_without_intervals() -> None:
    a, _ = handshaken_pair(handshake_interval=0)
    assert a.next_deadline is None


def test_heartbeat_pings_and_survives_a_live_peer() -> None:
    a, b = handshaken_pair(heartbeat_interval=1.0, heartbeat_ttl=3.0, heartbeat_timeout=2.5)
    assert a.next_deadline == PENDING
    a.handle_timer(0.0)
    assert a.next_deadline == 1.0
    a.handle_timer(1.0)
    assert take_output(a) == command(b"\x04PING\x00\x1e")  # TTL 3 s = 30 tenths
    b.handle_timer(0.0)
    b.receive_data(command(b"\x04PING\x00\x1e"))
    drain(b)
    a.receive_data(take_output(b))  # the PONG proves b alive
    assert drain(a) == []
    for now in (2.0, 3.0, 3.5, 4.0):
        a.handle_timer(now)
        a.receive_data(command(b"\x04PONG"))
        drain(a)
    assert not a.closed


def test_heartbeat_timeout_closes_a_silent_peer() -> None:
    a, _ = handshaken_pair(heartbeat_interval=1.0, heartbeat_timeout=2.5)
    for now in (0.0, 1.0, 2.0, 3.0, 3.4):
        a.handle_timer(now)
    assert not a.closed
    a.handle_timer(3.5)
    (closed,) = drain(a)
    assert isinstance(closed, ConnectionClosed) and "heartbeat timeout" in closed.reason


def test_a_late_timer_call_reads_deadlines_an_earlier_timer_moved() -> None:
    """One handle_timer() past both the next PING and the last PING's timeout, with
    the peer heard from meanwhile: the new PING re-arms the timeout, nothing closes."""
    a, b = handshaken_pair(heartbeat_interval=1.0, heartbeat_timeout=3.0)
    a.handle_timer(0.0)
    a.handle_timer(1.0)  # PING; the peer must speak by 4.0
    transfer(a, b)
    transfer(b, a)  # its PONG
    a.handle_timer(4.5)  # late: the next PING (due 2.0) and the old timeout (4.0) at once
    assert not a.closed


def test_peer_ttl_closes_when_the_peer_goes_quiet() -> None:
    _, b = handshaken_pair()
    b.receive_data(command(b"\x04PING\x00\x0a"))  # TTL 1 s
    drain(b)
    b.handle_timer(10.0)
    assert [b.next_deadline] == [11.0]  # (a list: mypy would narrow the property)
    b.receive_data(b"\x00\x01x")  # anything from the peer cancels the expiry
    drain(b)
    b.handle_timer(11.0)
    assert not b.closed
    assert b.next_deadline is None
    b.receive_data(command(b"\x04PING\x00\x0a"))
    drain(b)
    b.handle_timer(20.0)
    b.handle_timer(21.0)
    (closed,) = drain(b)
    assert isinstance(closed, ConnectionClosed) and "TTL of 1 s expired" in closed.reason


# -- the transition table -------------------------------------------------------


@pytest.mark.parametrize(("state", "event"), list(itertools.product(ConnectionState, Input)))
def test_every_state_input_pair_is_defined_or_a_violation(
    state: ConnectionState, event: Input
) -> None:
    conn = Connection("DEALER")
    conn._state = state
    target = TRANSITIONS.get((state, event))
    if target is None:
        with pytest.raises(RemoteProtocolError, match="not allowed"):
            conn._advance(event)
        assert conn.state is state
    else:
        conn._advance(event)
        assert conn.state is target


def test_closed_absorbs_every_ending_and_nothing_leaves_it() -> None:
    for event in Input:
        target = TRANSITIONS.get((ConnectionState.CLOSED, event))
        assert target in (None, ConnectionState.CLOSED)


def test_need_data_repr() -> None:
    assert repr(NEED_DATA) == "NEED_DATA"


def test_pull_decodes_in_bulk_and_stops_at_other_events() -> None:
    pub = Connection("PUB")
    peer(pub, greeting(), ready(b"SUB"))
    take_output(pub)
    pub.receive_data(
        b"\x00\x01a\x01\x01b\x00\x01c"  # two messages
        + command(b"\x04PING\x00\x00")  # answered inside, no event
        + b"\x00\x01d"
        + command(b"\x09SUBSCRIBEx")  # an event: the batch stops before it
        + b"\x00\x01e"
    )
    assert pub.pull(10) == ([[b"a"], [b"b", b"c"], [b"d"]], Subscribe(b"x"))
    assert pub.pull(1) == ([[b"e"]], None)  # the limit: more may be buffered
    assert pub.pull(10) == ([], NEED_DATA)
    assert take_output(pub) == command(b"\x04PONG")
    pub.receive_data(b"\x00\x02")  # a truncated frame, then the peer leaves
    pub.receive_data(b"")
    messages, closed = pub.pull(10)
    assert messages == [] and isinstance(closed, ConnectionClosed)


def test_pull_respects_the_limit_and_violations_close() -> None:
    conn = Connection("DEALER", max_message_size=30)  # (READY is a 28-byte frame)
    peer(conn, greeting(), ready(b"ROUTER"))
    conn.receive_data(b"\x00\x01a" * 5 + b"\x00\x1f" + bytes(31))
    assert conn.pull(3) == ([[b"a"]] * 3, None)
    messages, closed = conn.pull(10)
    assert messages == [[b"a"]] * 2  # the messages before the oversized frame still count
    assert isinstance(closed, ConnectionClosed) and "maximum message size" in closed.reason


def test_a_peer_that_never_completes_its_handshake_costs_a_small_budget() -> None:
    from zmtp_core._framereader import HANDSHAKE_BUDGET  # noqa: PLC0415

    conn = Connection("ROUTER")
    # A greeting, then a frame header announcing 16 MiB: refused, nothing allocated for it.
    events = feed(conn, greeting() + b"\x06" + (16 * 1024 * 1024).to_bytes(8, "big") + b"x" * 100)
    closed = events[-1]
    assert isinstance(closed, ConnectionClosed) and "before its handshake" in closed.reason
    assert conn._reader.memory_size() <= HANDSHAKE_BUDGET


def test_the_full_receive_buffer_comes_with_the_handshake() -> None:
    a, b = Connection("DEALER"), Connection("ROUTER", receive_buffer_size=65536)
    assert b._reader.memory_size() <= 8192
    handshake(a, b)
    assert b.state is ConnectionState.TRAFFIC and b._reader.memory_size() >= 65536
