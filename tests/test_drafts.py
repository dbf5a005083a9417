"""libzmq's draft socket types, whose messages are one frame: CLIENT, SERVER,
PEER, RADIO, DISH, SCATTER, GATHER and CHANNEL, in the core and against a
draft-enabled libzmq.

The reference peer is Debian's libzmq source built with the draft API
(``.ci/build-libzmq-draft``), through ctypes, on loopback: each pair exchanges
messages both ways, ours binding and ours connecting.
"""

from __future__ import annotations

import errno
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import SocketError, SocketType
from zmtp_core.patterns import Pipe, SubscriptionCommand, can_pair, create_socket

from backends import TrackedContext

#: libzmq's numbers for the draft types (zmq.h with ZMQ_BUILD_DRAFT_API).
SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER, PEER, CHANNEL = 12, 13, 14, 15, 16, 17, 19, 20
SIZES = [0, 1, 255, 256, 65536]


def payloads(seed: int) -> list[bytes]:
    return [bytes((seed + i) % 251 for i in range(size)) for size in SIZES]


# -- the core ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["CLIENT", "SCATTER", "CHANNEL"])
def test_a_multipart_send_is_einval_and_queues_nothing(kind: str) -> None:
    socket = create_socket(kind)
    pipe = socket.attach_pipe()
    pipe.connected(b"", {"CLIENT": "SERVER", "SCATTER": "GATHER"}.get(kind, kind))
    with pytest.raises(SocketError) as raised:
        socket.send([b"a", b"b"])
    assert raised.value.errno == errno.EINVAL
    assert not pipe.outbound
    socket.send([b"one"])
    assert pipe.outbound


@given(messages=st.lists(st.lists(st.binary(max_size=8), min_size=1, max_size=3), max_size=12))
def test_a_multipart_message_from_a_peer_is_dropped_whole(messages: list[list[bytes]]) -> None:
    for kind in ("CLIENT", "GATHER", "CHANNEL"):
        socket = create_socket(kind)
        pipe: Pipe = socket.attach_pipe()
        pipe.deliver_many([list(m) for m in messages])
        received = []
        while (frames := socket.try_recv()) is not None:
            received.append(frames)
        assert received == [m for m in messages if len(m) == 1], kind


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["attach", "detach", "send"]), st.integers(0, 7)), max_size=40
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_server_routing_ids_are_unique_nonzero_and_route_to_their_peer(
    steps: list[tuple[str, int]], seed: int
) -> None:
    import random  # noqa: PLC0415

    server = create_socket("SERVER", rng=random.Random(seed))
    cast(Any, server)._next_id = seed  # (from any start, 0 and the wrap included)
    live: list[Pipe] = []
    seen: set[bytes] = set()
    for action, index in steps:
        if action == "attach":
            pipe = server.attach_pipe()
            pipe.connected(b"", "CLIENT")
            assert pipe.routing_id not in seen and pipe.routing_id != bytes(4)
            assert pipe.routing_id is not None and len(pipe.routing_id) == 4
            seen.add(pipe.routing_id)
            live.append(pipe)
        elif action == "detach" and live:
            gone = live.pop(index % len(live))
            gone.detach()
            with pytest.raises(SocketError) as raised:
                server.send([gone.routing_id or b"", b"x"])
            assert raised.value.errno == errno.EHOSTUNREACH
        elif action == "send" and live:
            target = live[index % len(live)]
            before = len(target.outbound)
            server.send([target.routing_id or b"", b"m%d" % index])
            assert len(target.outbound) == before + 1
            target.deliver_many([[b"back"]])
            assert server.try_recv() == [target.routing_id, b"back"]


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["join", "leave", "publish", "read"]),
            st.integers(0, 2),
            st.sampled_from([b"", b"a", b"weather", b"x" * 255]),
        ),
        max_size=40,
    )
)
def test_radio_and_dish_deliver_only_the_groups_joined(
    steps: list[tuple[str, int, bytes]],
) -> None:
    """Three DISH pipes on one RADIO: whatever they join and leave, each gets the
    messages of its groups, once, in order (the JOIN/LEAVE travel as commands)."""
    radio = create_socket("RADIO")
    dishes: list[Any] = [create_socket("DISH") for _ in range(3)]  # (Dish: join, leave)
    links = []
    for dish in dishes:  # (each pair of pipes stands for one connection)
        ours, theirs = radio.attach_pipe(), dish.attach_pipe()
        ours.connected(b"", "DISH")
        theirs.connected(b"", "RADIO")
        links.append((ours, theirs))
    expected: list[list[list[bytes]]] = [[], [], []]
    joined: list[set[bytes]] = [set(), set(), set()]
    published = 0

    def carry() -> None:  # what each DISH wrote (its JOIN/LEAVE) reaches the RADIO
        for ours, theirs in links:
            while theirs.outbound:
                command = theirs.pop_outbound()
                assert isinstance(command, SubscriptionCommand)
                ours.deliver_subscription(command.subscribe, command.topic)
            while ours.outbound:
                item = ours.pop_outbound()
                assert isinstance(item, tuple)
                theirs.deliver_many([[bytes(f) for f in item[0]]])

    def drain() -> None:  # a DISH reads what waits from the groups it is in *now*
        for number, dish in enumerate(dishes):
            received = []
            while (frames := dish.try_recv()) is not None:
                received.append(frames)
            assert received == [m for m in expected[number] if m[0] in joined[number]]
            expected[number].clear()

    for action, index, group in steps:
        if action == "join" and group not in joined[index]:
            dishes[index].join(group)
            joined[index].add(group)
        elif action == "leave" and group in joined[index]:
            dishes[index].leave(group)
            joined[index].discard(group)
        elif action == "publish":
            carry()
            published += 1
            radio.send([group, b"%d" % published])
            for number in range(3):
                if group in joined[number]:
                    expected[number].append([group, b"%d" % published])
        carry()
        if action == "read":
            drain()
    drain()
    with pytest.raises(SocketError):
        dishes[0].join(b"x" * 256)  # a group is at most 255 bytes, as in libzmq


def test_a_dish_joins_again_first_when_its_radio_comes_back() -> None:
    dish: Any = create_socket("DISH")
    dish.join(b"a")
    pipe = dish.attach_pipe(locally_initiated=True)
    dish.join(b"b")
    pipe.connected(b"", "RADIO")
    assert [(c.subscribe, c.topic) for c in pipe.outbound] == [(True, b"a"), (True, b"b")]
    pipe.outbound.clear()  # (written)
    pipe.disconnected()
    pipe.connected(b"", "RADIO")  # the radio restarted and forgot us
    assert sorted((c.subscribe, c.topic) for c in pipe.outbound) == [(True, b"a"), (True, b"b")]


def test_the_draft_types_pair_as_libzmq_pairs_them() -> None:
    assert can_pair(SocketType.RADIO, "DISH") and not can_pair(SocketType.RADIO, "SUB")
    assert can_pair(SocketType.SERVER, "CLIENT") and not can_pair(SocketType.SERVER, "DEALER")
    assert can_pair(SocketType.PEER, "PEER") and not can_pair(SocketType.PEER, "SERVER")
    assert can_pair(SocketType.CLIENT, "SERVER") and not can_pair(SocketType.CLIENT, "DEALER")
    assert can_pair(SocketType.SCATTER, "GATHER") and not can_pair(SocketType.SCATTER, "PULL")
    assert can_pair(SocketType.GATHER, "SCATTER") and not can_pair(SocketType.GATHER, "PUSH")
    assert can_pair(SocketType.CHANNEL, "CHANNEL") and not can_pair(SocketType.CHANNEL, "PAIR")


# -- against libzmq ---------------------------------------------------------------


def _wire(mine: Any, other: Any, ours_bind: bool) -> None:
    if ours_bind:
        mine.bind("tcp://127.0.0.1:*")
        other.connect(mine.last_endpoint.decode())
    else:
        other.bind("tcp://127.0.0.1:*")
        mine.connect(other.last_endpoint)


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
@pytest.mark.parametrize("ours", ["SCATTER", "GATHER"])
def test_scatter_gather_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours: str, ours_bind: bool
) -> None:
    mine = ctx.socket(getattr(zmtp, ours))
    mine.rcvtimeo = 5000
    other = libzmq_draft.socket(GATHER if ours == "SCATTER" else SCATTER)
    _wire(mine, other, ours_bind)
    send = mine.send if ours == "SCATTER" else (lambda data: other.send_multipart([data]))
    recv = (lambda: other.recv_multipart()[0]) if ours == "SCATTER" else mine.recv
    for data in payloads(1):
        send(data)
    assert [recv() for _ in SIZES] == payloads(1)


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
def test_channel_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours_bind: bool
) -> None:
    mine = ctx.socket(zmtp.CHANNEL)
    mine.rcvtimeo = 5000
    other = libzmq_draft.socket(CHANNEL)
    _wire(mine, other, ours_bind)
    for data in payloads(2):
        mine.send(data)
    assert [other.recv_multipart() for _ in SIZES] == [[p] for p in payloads(2)]
    for data in payloads(3):
        other.send_multipart([data])
    assert [mine.recv() for _ in SIZES] == payloads(3)


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
def test_our_client_with_a_libzmq_server(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours_bind: bool
) -> None:
    mine = ctx.socket(zmtp.CLIENT)
    mine.rcvtimeo = 5000
    server = libzmq_draft.socket(SERVER)
    _wire(mine, server, ours_bind)
    for data in payloads(4):
        mine.send(data)
    received = [server.recv_routed() for _ in SIZES]
    assert [data for _, data in received] == payloads(4)
    routing_id = received[0][0]
    assert routing_id and {rid for rid, _ in received} == {routing_id}
    for data in payloads(5):
        server.send_routed(routing_id, data)
    assert [mine.recv() for _ in SIZES] == payloads(5)


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
def test_our_server_with_a_libzmq_client(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours_bind: bool
) -> None:
    server = ctx.socket(zmtp.SERVER)
    server.rcvtimeo = 5000
    client = libzmq_draft.socket(CLIENT)
    _wire(server, client, ours_bind)
    for data in payloads(6):
        client.send_multipart([data])
    frames = [server.recv(copy=False) for _ in SIZES]
    assert [frame.bytes for frame in frames] == payloads(6)
    routing_id = frames[0].routing_id
    assert routing_id and {frame.routing_id for frame in frames} == {routing_id}
    for data in payloads(7):
        server.send(data, routing_id=routing_id)
    assert [client.recv_multipart() for _ in SIZES] == [[p] for p in payloads(7)]


def test_a_server_answers_each_client_by_its_routing_id(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    server = ctx.socket(zmtp.SERVER)
    server.rcvtimeo = 5000
    server.bind("tcp://127.0.0.1:*")
    clients = [ctx.socket(zmtp.CLIENT) for _ in range(3)]
    for number, client in enumerate(clients):
        client.rcvtimeo = 5000
        client.connect(server.last_endpoint.decode())
        client.send(b"%d" % number)
    for _ in clients:
        request = server.recv(copy=False)
        reply = zmtp.Frame(b"to " + request.bytes)
        reply.routing_id = request.routing_id
        server.send(reply)  # (the Frame's own routing id, as pyzmq takes it)
    assert [client.recv() for client in clients] == [b"to 0", b"to 1", b"to 2"]
    clients[0].send(b"again")
    again = server.recv_multipart(copy=False)[0]  # (one Frame, with its routing id)
    server.send_multipart([b"by multipart"], routing_id=again.routing_id)
    assert clients[0].recv() == b"by multipart"
    with pytest.raises(zmtp.ZMQError) as raised:
        server.send_multipart([b"a", b"b"], routing_id=again.routing_id)
    assert raised.value.errno == zmtp.EINVAL
    with pytest.raises(zmtp.ZMQError) as raised:
        server.send(b"nobody", routing_id=12345)
    assert raised.value.errno == zmtp.EHOSTUNREACH
    with pytest.raises(zmtp.ZMQError) as raised:
        server.send(b"a", zmtp.SNDMORE, routing_id=12345)
    assert raised.value.errno == zmtp.EINVAL


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
@pytest.mark.parametrize("ours", ["RADIO", "DISH"])
def test_radio_dish_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours: str, ours_bind: bool
) -> None:
    mine = ctx.socket(getattr(zmtp, ours))
    mine.rcvtimeo = 50
    other = libzmq_draft.socket(DISH if ours == "RADIO" else RADIO, timeout_ms=50)
    _wire(mine, other, ours_bind)
    dish = other if ours == "RADIO" else mine
    dish.join(b"weather")

    def publish(group: bytes, data: bytes) -> None:
        if ours == "RADIO":
            mine.send(data, group=group)
        else:
            other.send_grouped(group, data)

    def receive() -> tuple[bytes, bytes]:
        if ours == "RADIO":
            return cast(tuple[bytes, bytes], other.recv_grouped())
        frame = mine.recv(copy=False)
        return frame.group.encode(), frame.bytes

    for _ in range(200):  # the JOIN travels as a command: wait until it landed
        publish(b"weather", b"probe")
        try:
            if receive() == (b"weather", b"probe"):
                break
        except (OSError, zmtp.ZMQError):  # (a timeout on either side: nothing yet)
            continue
    else:
        pytest.fail("the JOIN never reached the radio")
    while True:  # drain the probes in flight
        try:
            receive()
        except (OSError, zmtp.ZMQError):
            break
    for data in payloads(8):
        publish(b"weather", data)
        publish(b"sport", data)  # not joined: never delivered
    assert [receive() for _ in SIZES] == [(b"weather", p) for p in payloads(8)]


def test_a_dish_leaves_and_joins_on_every_backend(ctx: TrackedContext, zmtp: ModuleType) -> None:
    radio = ctx.socket(zmtp.RADIO)
    dish = ctx.socket(zmtp.DISH)
    dish.rcvtimeo = 50
    radio.bind("tcp://127.0.0.1:*")
    dish.connect(radio.last_endpoint.decode())
    dish.join("news")
    for _ in range(200):
        radio.send(b"probe", group="news")
        try:
            frame = dish.recv(copy=False)
            break
        except zmtp.ZMQError:
            continue
    else:
        pytest.fail("the JOIN never reached the radio")
    assert frame.group == "news" and frame.bytes == b"probe"
    with pytest.raises(zmtp.ZMQError) as raised:
        dish.join("news")
    assert raised.value.errno == zmtp.EINVAL
    with pytest.raises(zmtp.ZMQError) as raised:
        radio.join("news")
    assert raised.value.errno == zmtp.ENOTSUP
    message = zmtp.Frame(b"by frame")
    message.group = "news"
    radio.send(message)
    while (frame := dish.recv(copy=False)).bytes == b"probe":
        pass
    assert frame.bytes == b"by frame"
    dish.leave("news")
    with pytest.raises(zmtp.ZMQError):
        dish.leave("news")


@pytest.mark.parametrize("ours_connect", [True, False], ids=["ours-connect", "theirs-connect"])
def test_peer_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq_draft: Any, ours_connect: bool
) -> None:
    mine = ctx.socket(zmtp.PEER)
    mine.rcvtimeo = 5000
    other = libzmq_draft.socket(PEER)
    if ours_connect:
        other.bind("tcp://127.0.0.1:*")
        theirs_id = mine.connect_peer(other.last_endpoint)
        for data in payloads(9):
            mine.send(data, routing_id=theirs_id)
        received = [other.recv_routed() for _ in SIZES]
        assert [data for _, data in received] == payloads(9)
        ours_id = received[0][0]
    else:
        mine.bind("tcp://127.0.0.1:*")
        ours_id = other.connect_peer(mine.last_endpoint.decode())
        for data in payloads(10):
            other.send_routed(ours_id, data)
        frames = [mine.recv(copy=False) for _ in SIZES]
        assert [frame.bytes for frame in frames] == payloads(10)
        theirs_id = frames[0].routing_id
        mine.send(b"hello", routing_id=theirs_id)
        assert other.recv_routed() == (ours_id, b"hello")
        return
    other.send_routed(ours_id, b"back")
    frame = mine.recv(copy=False)
    assert (frame.routing_id, frame.bytes) == (theirs_id, b"back")


def test_connect_peer_answers_at_once_and_needs_a_peer(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    bound, dialing = ctx.socket(zmtp.PEER), ctx.socket(zmtp.PEER)
    bound.rcvtimeo = 5000
    bound.bind("tcp://127.0.0.1:*")
    first = dialing.connect_peer(bound.last_endpoint.decode())
    second = dialing.connect_peer(bound.last_endpoint.decode())
    assert first and second and first != second
    dialing.send(b"one", routing_id=first)  # (queued before the handshake, as libzmq does)
    dialing.send(b"two", routing_id=second)
    assert sorted(bound.recv() for _ in range(2)) == [b"one", b"two"]
    server = ctx.socket(zmtp.SERVER)
    with pytest.raises(zmtp.ZMQError) as raised:
        server.connect_peer(bound.last_endpoint.decode())
    assert raised.value.errno == zmtp.ENOTSUP
    dialing.immediate = 1
    with pytest.raises(zmtp.ZMQError) as raised:
        dialing.connect_peer(bound.last_endpoint.decode())
    assert raised.value.errno == zmtp.EFAULT
