"""RADIO, DISH and DGRAM over udp://: datagrams in libzmq's formats, unicast and
multicast, on loopback only (multicast groups joined and sent on 127.0.0.1).

Against the draft-enabled libzmq both ways on every backend; the datagram
codec and a DISH's socket against garbage datagrams.
"""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import SocketType
from zmtp_core._datagram import (
    MAX_DATAGRAM,
    DatagramConnection,
    decode_datagram,
    encode_datagram,
    parse_address,
)
from zmtp_core.connection import HandshakeComplete, Message

from backends import TrackedContext

RADIO, DISH, DGRAM = 14, 15, 18
GROUP = b"weather"
#: Bodies up to the largest a datagram holds with this group.
SIZES = [0, 1, 255, 256, 4096, MAX_DATAGRAM - 1 - len(GROUP)]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def address(multicast: bool) -> str:
    port = free_udp_port()
    return (
        f"udp://127.0.0.1;239.255.0.{port % 250 + 1}:{port}"
        if multicast
        else (f"udp://127.0.0.1:{port}")
    )


def payloads(seed: int) -> list[bytes]:
    return [bytes((seed + i) % 251 for i in range(size)) for size in SIZES]


# -- the core ---------------------------------------------------------------------


@given(group=st.binary(max_size=255), body=st.binary(max_size=9000))
def test_a_datagram_is_group_length_group_body(group: bytes, body: bytes) -> None:
    datagram = encode_datagram(group, body)
    assert datagram == bytes((len(group),)) + group + body
    assert decode_datagram(datagram) == [group, body]


@given(st.binary(max_size=300))
def test_any_datagram_decodes_or_is_ignored(data: bytes) -> None:
    message = decode_datagram(data)
    if message is not None:
        assert encode_datagram(*message) == data
    else:
        assert not data or data[0] >= len(data)


def test_a_dish_endpoint_takes_datagrams_and_never_ends() -> None:
    conn = DatagramConnection(SocketType.DISH)
    assert isinstance(conn.next_event(), HandshakeComplete)
    for datagram in (b"", b"\x09short", encode_datagram(b"g", b"one")):
        view = conn.receive_buffer()
        view[: len(datagram)] = datagram
        conn.received(len(datagram))  # (0 bytes: an empty datagram, not an end)
    assert conn.next_event() == Message([b"g", b"one"])
    assert conn.dropped == 2
    assert conn.pull(10) == ([], conn.next_event())


def test_a_radio_endpoint_writes_one_datagram_per_list_and_drops_the_oversized() -> None:
    conn = DatagramConnection(SocketType.RADIO)
    conn.send_message([b"g", b"a"])
    conn.send_message([b"g", bytes(MAX_DATAGRAM)])  # cannot fit: dropped, as libzmq cannot
    conn.send_message([b"g", b"b"])
    assert conn.dropped == 1
    assert conn.buffers_to_send() == [b"\x01ga"]
    assert conn.sent(0) is False  # the kernel had no room: the same datagram again
    assert conn.sent(3) is True
    assert conn.buffers_to_send() == [b"\x01gb"]


def test_a_dgram_endpoint_names_each_datagrams_address() -> None:
    conn = DatagramConnection(SocketType.DGRAM)
    assert isinstance(conn.next_event(), HandshakeComplete)
    conn.receive_buffer()[:5] = b"hello"
    conn.received_from(5, ("127.0.0.1", 5555))
    assert conn.next_event() == Message([b"127.0.0.1:5555\0", b"hello"])  # (libzmq's form)
    conn.send_message([b"127.0.0.1:5555\0", b"back"])  # (the address as received)
    conn.send_message([b"no address", b"dropped"])
    conn.send_message([b"10.1.2.3:7", b""])
    assert (conn.buffers_to_send(), conn.destination) == ([b"back"], ("127.0.0.1", 5555))
    assert conn.sent(4)
    assert (conn.buffers_to_send(), conn.destination) == ([b""], ("10.1.2.3", 7))
    assert conn.sent(0)  # (an empty datagram is all sent at 0 bytes)
    assert conn.dropped == 1


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (b"127.0.0.1:5555", ("127.0.0.1", 5555)),
        (b"127.0.0.1:5555\0", ("127.0.0.1", 5555)),
        (b"127.0.0.1:0", None),  # (0 is not a port, for libzmq)
        (b"127.0.0.1", None),
        (b"localhost:5555", None),  # (an IPv4 address, not a name, as libzmq's inet_addr)
        (b"1.2.3:5555", None),
        (b"127.0.0.1:70000", None),
        (b"\xff:1", None),
    ],
)
def test_dgram_addresses_as_libzmq_reads_them(text: bytes, parsed: tuple[str, int] | None) -> None:
    assert parse_address(text) == parsed


# -- sockets ----------------------------------------------------------------------


@pytest.mark.parametrize("multicast", [False, True], ids=["unicast", "multicast"])
@pytest.mark.parametrize("ours", ["RADIO", "DISH"])
def test_radio_dish_over_udp_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours: str, multicast: bool
) -> None:
    endpoint = address(multicast)
    if ours == "RADIO":
        dish = libzmq_draft.socket(DISH, timeout_ms=50)
        dish.bind(endpoint)
        dish.join(GROUP)
        radio = ctx.socket(zmtp.RADIO)
        radio.connect(endpoint)
    else:
        dish = ctx.socket(zmtp.DISH)
        dish.rcvtimeo = 50
        dish.bind(endpoint)
        dish.join(GROUP)
        radio = libzmq_draft.socket(RADIO)
        radio.connect(endpoint)

    def publish(data: bytes, group: bytes = GROUP) -> None:
        if ours == "RADIO":
            radio.send(data, group=group)
        else:
            radio.send_grouped(group, data)

    def receive() -> tuple[bytes, bytes]:
        if ours == "RADIO":
            return cast(tuple[bytes, bytes], dish.recv_grouped())
        frame = dish.recv(copy=False)
        return frame.group.encode(), frame.bytes

    for _ in range(200):  # libzmq opens its UDP socket in its I/O thread: probe until it is
        publish(b"probe")
        try:
            if receive() == (GROUP, b"probe"):
                break
        except (OSError, zmtp.ZMQError):  # (a timeout: nothing yet)
            continue
    else:
        pytest.fail("no datagram crossed")
    while True:  # drain the probes in flight
        try:
            receive()
        except (OSError, zmtp.ZMQError):
            break
    for data in payloads(3):
        publish(data, b"sport")  # not joined: the DISH drops it
        publish(data)
    assert [receive() for _ in SIZES] == [(GROUP, data) for data in payloads(3)]


def test_groups_as_a_dish_joins_and_leaves_them(ctx: TrackedContext, zmtp: ModuleType) -> None:
    endpoint = address(multicast=False)
    dish = ctx.socket(zmtp.DISH)
    dish.bind(endpoint)
    radio = ctx.socket(zmtp.RADIO)
    radio.connect(endpoint)
    dish.join("a")
    dish.join("b")
    for group in ("a", "b", "c"):
        radio.send(group.encode(), group=group)
    assert [dish.recv() for _ in range(2)] == [b"a", b"b"]
    dish.leave("a")
    radio.send(b"a again", group="a")
    radio.send(b"b again", group="b")
    assert dish.recv() == b"b again"


def test_unbind_lets_the_port_go_and_a_radio_connects_again(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    endpoint = address(multicast=False)
    dish = ctx.socket(zmtp.DISH)
    dish.bind(endpoint)
    dish.unbind(endpoint)
    dish.bind(endpoint)  # (the first socket is closed: the port is free again)
    dish.join("g")
    radio = ctx.socket(zmtp.RADIO)
    radio.connect(endpoint)
    radio.send(b"one", group="g")
    assert dish.recv() == b"one"
    radio.disconnect(endpoint)
    radio.connect(endpoint)
    radio.send(b"two", group="g")
    assert dish.recv() == b"two"


def test_garbage_datagrams_cost_a_dish_nothing(ctx: TrackedContext, zmtp: ModuleType) -> None:
    endpoint = address(multicast=False)
    dish = ctx.socket(zmtp.DISH)
    dish.bind(endpoint)
    dish.join("g")
    port = int(endpoint.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        for garbage in (b"", b"\xff", b"\x05g", b"\x01", bytes(9000), b"\x02hg" * 5000):
            attacker.sendto(garbage, ("127.0.0.1", port))
        attacker.sendto(encode_datagram(b"g", b"still here"), ("127.0.0.1", port))
    assert dish.recv() == b"still here"


def test_dgram_with_libzmq_both_ways(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any
) -> None:
    """Each end binds; ours writes first to theirs, and each answers the address
    the other's datagram came from, as a DGRAM application does."""
    ours_at, theirs_at = address(multicast=False), address(multicast=False)
    ours = ctx.socket(zmtp.DGRAM)
    ours.bind(ours_at)
    theirs = libzmq_draft.socket(DGRAM, timeout_ms=50)
    theirs.bind(theirs_at)
    target = theirs_at.removeprefix("udp://").encode()
    for _ in range(200):  # libzmq opens its UDP socket in its I/O thread: probe until it is
        ours.send_multipart([target, b"probe"])
        try:
            their_view = theirs.recv_multipart()
            break
        except OSError:
            continue
    else:
        pytest.fail("no datagram crossed")
    while True:  # drain the probes in flight
        try:
            theirs.recv_multipart()
        except OSError:
            break
    port = ours_at.rsplit(":", 1)[1]
    assert their_view == [f"127.0.0.1:{port}".encode() + b"\0", b"probe"]  # (libzmq's form)
    for data in payloads(5):
        theirs.send_multipart([their_view[0], data])
        sender, body = ours.recv_multipart()
        assert body == data
        assert sender == f"127.0.0.1:{theirs_at.rsplit(':', 1)[1]}".encode() + b"\0"
        ours.send(sender, zmtp.SNDMORE)
        ours.send(body[::-1])
        assert theirs.recv_multipart() == [their_view[0], data[::-1]]


def test_a_dgram_message_is_an_address_and_one_frame(ctx: TrackedContext, zmtp: ModuleType) -> None:
    sock = ctx.socket(zmtp.DGRAM)
    sock.bind(address(multicast=False))
    for message in ([b"127.0.0.1:9"], [b"127.0.0.1:9", b"a", b"b"]):
        with pytest.raises(zmtp.ZMQError) as raised:
            sock.send_multipart(message)
        assert raised.value.errno == zmtp.EINVAL
    sock.send_multipart([b"no address", b"dropped, as libzmq drops it"])
    assert sock.get(zmtp.THREAD_SAFE) == 0  # (libzmq's DGRAM is not thread-safe)


@pytest.mark.parametrize(
    ("kind", "verb", "transport"),
    [
        ("SUB", "bind", "udp"),
        ("RADIO", "bind", "udp"),
        ("DISH", "connect", "udp"),
        ("PUB", "connect", "udp"),
        ("DGRAM", "connect", "udp"),
        ("DGRAM", "bind", "tcp"),
    ],
)
def test_udp_is_for_a_dish_or_dgram_to_bind_and_a_radio_to_connect(
    ctx: TrackedContext, zmtp: ModuleType, kind: str, verb: str, transport: str
) -> None:
    sock = ctx.socket(getattr(zmtp, kind))
    with pytest.raises(zmtp.ZMQError) as raised:
        getattr(sock, verb)(address(multicast=False).replace("udp", transport))
    assert raised.value.errno == zmtp.ENOCOMPATPROTO
