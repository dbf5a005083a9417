"""NULL, PLAIN and CURVE in the core alone: handshakes, ZAP's answers, and
whatever a hostile peer does to a handshake command or a box ends that
connection only."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import RemoteProtocolError
from zmtp_core.connection import (
    AuthenticationRequest,
    Connection,
    ConnectionClosed,
    HandshakeComplete,
    Message,
    NullMechanism,
    PlainClient,
    PlainServer,
)

from wire import drain, feed, handshake, take_output

pytest.importorskip("nacl")

from zmtp_core._curve import CurveClient, CurveServer, curve_keypair

SERVER_KEYS = curve_keypair()
CLIENT_KEYS = curve_keypair()


def null_pair() -> tuple[Connection, Connection]:
    """NULL, with a ZAP domain on the server (the client has none: it asks nothing)."""
    return Connection("DEALER"), Connection("ROUTER", mechanism=NullMechanism(ask_zap=True))


def plain_pair(password: bytes = b"secret") -> tuple[Connection, Connection]:
    return (
        Connection("DEALER", mechanism=PlainClient(b"admin", password)),
        Connection("ROUTER", mechanism=PlainServer()),
    )


def curve_pair(server_key: bytes = SERVER_KEYS[0]) -> tuple[Connection, Connection]:
    return (
        Connection("DEALER", mechanism=CurveClient(*CLIENT_KEYS, server_key)),
        Connection("ROUTER", mechanism=CurveServer(*SERVER_KEYS)),
    )


def converse(
    client: Connection, server: Connection, verdict: str | None = "200", rounds: int = 6
) -> tuple[list[Any], list[Any]]:
    """Move bytes both ways; ZAP requests get ``verdict``. Returns both sides' events."""
    client_events: list[Any] = []
    server_events: list[Any] = []
    for _ in range(rounds):
        data = take_output(client)
        server_events += feed(server, data) if data else drain(server)
        for event in list(server_events):
            if isinstance(event, AuthenticationRequest):
                server_events.remove(event)
                server_events.append(("zap", event.mechanism, event.credentials))
                server.authentication_reply(verdict)
                server_events += drain(server)
        data = take_output(server)
        client_events += feed(client, data) if data else drain(client)
    return client_events, server_events


@pytest.mark.parametrize("pair", [null_pair, plain_pair, curve_pair])
def test_a_handshake_with_zap_then_messages_both_ways(pair: Any) -> None:
    client, server = pair()
    client_events, server_events = converse(client, server)
    assert any(isinstance(e, HandshakeComplete) for e in client_events)
    assert any(isinstance(e, HandshakeComplete) for e in server_events)
    zap = [e for e in server_events if isinstance(e, tuple)]
    expected = {null_pair: (b"",), plain_pair: (b"admin", b"secret")}.get(pair, (CLIENT_KEYS[0],))
    assert zap == [("zap", client.mechanism_name, expected)]
    client.send_message([b"one", b"x" * 10000])
    assert feed(server, take_output(client)) == [Message([b"one", b"x" * 10000])]
    server.send_message([b"reply"])
    assert feed(client, take_output(server)) == [Message([b"reply"])]


@pytest.mark.parametrize("verdict", ["400", "500", "300", None])
@pytest.mark.parametrize("pair", [null_pair, plain_pair, curve_pair])
def test_zap_refusals(pair: Any, verdict: str | None) -> None:
    client, server = pair()
    client_events, server_events = converse(client, server, verdict)
    if pair is not plain_pair and verdict is None:  # no handler: NULL and CURVE go on
        assert any(isinstance(e, HandshakeComplete) for e in server_events)
        return
    closed = [e for e in server_events if isinstance(e, ConnectionClosed)]
    assert closed and not any(isinstance(e, HandshakeComplete) for e in server_events)
    status = getattr(closed[0].error, "status_code", None)
    assert status == (None if verdict is None else int(verdict))
    told = [e for e in client_events if isinstance(e, ConnectionClosed)]
    if verdict in ("400", "500"):  # the client hears why (300 closes in silence)
        assert told and getattr(told[0].error, "status_code", None) == int(verdict)


def test_null_waits_for_zap_before_its_ready_and_can_require_a_handler() -> None:
    client = Connection("DEALER")
    server = Connection("ROUTER", mechanism=NullMechanism(ask_zap=True, enforce_domain=True))
    _, events = handshake(client, server)
    assert events == [AuthenticationRequest(b"NULL", (b"",))]
    assert b"READY" not in take_output(server)  # (only the greeting: ZAP has not answered)
    server.authentication_reply(None)  # (no handler is bound)
    server_events = drain(server)
    closed = [e for e in server_events if isinstance(e, ConnectionClosed)]
    assert closed and "ZAP handler" in closed[0].reason
    assert not any(isinstance(e, HandshakeComplete) for e in server_events)


def test_a_wrong_server_key_fails_at_hello() -> None:
    client, server = curve_pair(server_key=curve_keypair()[0])
    _, server_events = converse(client, server)
    closed = [e for e in server_events if isinstance(e, ConnectionClosed)]
    assert closed and "HELLO" in closed[0].reason


def test_curve_draws_every_random_byte_from_the_source_it_is_given() -> None:
    def replayable() -> Callable[[int], bytes]:
        stream = random.Random(26)
        return stream.randbytes

    def wire(seeded: bool) -> list[bytes]:
        client_random = replayable() if seeded else os.urandom
        server_random = replayable() if seeded else os.urandom
        client_mechanism = CurveClient(*CLIENT_KEYS, SERVER_KEYS[0], random_bytes=client_random)
        client = Connection("DEALER", mechanism=client_mechanism)
        server = Connection(
            "ROUTER", mechanism=CurveServer(*SERVER_KEYS, random_bytes=server_random)
        )
        sent = []
        for _ in range(4):
            sent.append(take_output(client))
            for event in feed(server, sent[-1]):
                if isinstance(event, AuthenticationRequest):
                    server.authentication_reply("200")
            sent.append(take_output(server))
            feed(client, sent[-1])
        return sent

    assert wire(seeded=True) == wire(seeded=True)  # (short-term keys, nonces, cookie)
    assert wire(seeded=False) != wire(seeded=False)


def handshake_commands(pair: Any) -> list[bytes]:
    """What a client sends up to its last handshake command, as wire bytes per step."""
    client, server = pair()
    steps = []
    for _ in range(4):
        data = take_output(client)
        if data:
            steps.append(data)
        for event in feed(server, data) if data else drain(server):
            if isinstance(event, AuthenticationRequest):
                server.authentication_reply("200")
        feed(client, take_output(server))
    return steps


@given(
    pair=st.sampled_from([plain_pair, curve_pair]),
    step=st.integers(0, 2),
    damage=st.sampled_from(["truncate", "flip", "swap"]),
    where=st.floats(0, 1),
)
def test_a_damaged_handshake_closes_that_connection_only(
    pair: Any, step: int, damage: str, where: float
) -> None:
    steps = handshake_commands(pair)
    step = min(step, len(steps) - 1)
    data = bytearray(steps[step])
    if damage == "truncate":
        data = data[: int(len(data) * where)]
    elif damage == "flip":
        data[int((len(data) - 1) * where)] ^= 0x40
    else:  # the same commands, out of order
        steps = steps[::-1]
    sent = b"".join(steps[:step]) + bytes(data) if damage != "swap" else b"".join(steps)
    _, server = pair()
    events = feed(server, sent)
    for event in events:
        if isinstance(event, AuthenticationRequest):
            server.authentication_reply("200")
    events += drain(server)
    ends = [e for e in events if isinstance(e, ConnectionClosed)]
    if ends:  # an ending is the peer's fault, stated as such
        assert isinstance(ends[0].error, RemoteProtocolError) or "closed" in ends[0].reason


@given(position=st.integers(0, 60), bit=st.integers(0, 7))
def test_a_tampered_box_closes_the_connection(position: int, bit: int) -> None:
    client, server = curve_pair()
    converse(client, server)
    client.send_message([b"a message worth protecting"])
    wire = bytearray(take_output(client))
    wire[2 + min(position, len(wire) - 3)] ^= 1 << bit  # (past the frame header)
    events = feed(server, bytes(wire))
    assert not any(isinstance(e, Message) for e in events)
    assert isinstance(events[-1], ConnectionClosed)
    assert isinstance(events[-1].error, RemoteProtocolError)


def test_a_replayed_box_closes_the_connection() -> None:
    client, server = curve_pair()
    converse(client, server)
    client.send_message([b"once"])
    wire = take_output(client)
    assert feed(server, wire) == [Message([b"once"])]
    events = feed(server, wire)
    assert isinstance(events[-1], ConnectionClosed) and "replay" in events[-1].reason
