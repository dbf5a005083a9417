"""pyzmq's API, as a pyzmq user expects it: flags, options, errors, poll, trackers."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from types import ModuleType
from typing import Any

import pytest

from backends import TrackedContext


def pair(
    ctx: TrackedContext, zmtp: ModuleType, a: str = "PAIR", b: str = "PAIR"
) -> tuple[Any, Any]:
    first, second = ctx.socket(getattr(zmtp, a)), ctx.socket(getattr(zmtp, b))
    first.bind("tcp://127.0.0.1:*")
    second.connect(first.last_endpoint.decode())
    return first, second


def test_sndmore_rcvmore_and_frame_by_frame(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    a.send(b"one", zmtp.SNDMORE)
    a.send(b"two", zmtp.SNDMORE)
    a.send(b"three")
    assert b.recv() == b"one" and b.rcvmore and b.getsockopt(zmtp.RCVMORE) == 1
    assert b.recv() == b"two" and b.rcvmore
    assert b.recv() == b"three" and not b.rcvmore
    a.send_multipart([b"x", b"y"])
    assert b.recv() == b"x"
    assert b.recv_multipart() == [b"y"]  # the rest of the message


def test_noblock_raises_again(ctx: TrackedContext, zmtp: ModuleType) -> None:
    _, b = pair(ctx, zmtp)
    with pytest.raises(zmtp.Again) as info:
        b.recv(zmtp.NOBLOCK)
    assert info.value.errno == zmtp.EAGAIN and info.value.errno_name == "EAGAIN"
    assert isinstance(info.value, zmtp.ZMQError)


def test_rcvtimeo_and_sndtimeo(ctx: TrackedContext, zmtp: ModuleType) -> None:
    _, b = pair(ctx, zmtp)
    b.rcvtimeo = 100
    started = time.monotonic()
    with pytest.raises(zmtp.Again):
        b.recv()
    assert 0.08 < time.monotonic() - started < 2
    lonely = ctx.socket(zmtp.DEALER)  # no peer: nowhere to send
    lonely.sndtimeo = 100
    with pytest.raises(zmtp.Again):
        lonely.send(b"x")


def test_efsm_and_enotsup_carry_errno_names(ctx: TrackedContext, zmtp: ModuleType) -> None:
    req = ctx.socket(zmtp.REQ)
    with pytest.raises(zmtp.ZMQError) as info:
        req.recv()
    assert info.value.errno == zmtp.EFSM and info.value.errno_name == "EFSM"
    sub = ctx.socket(zmtp.SUB)
    with pytest.raises(zmtp.ZMQError) as info:
        sub.send(b"x")
    assert info.value.errno_name == "ENOTSUP"


def test_router_mandatory_ehostunreach(ctx: TrackedContext, zmtp: ModuleType) -> None:
    router = ctx.socket(zmtp.ROUTER)
    router.router_mandatory = 1
    with pytest.raises(zmtp.ZMQError) as info:
        router.send_multipart([b"nobody", b"x"])
    assert info.value.errno == zmtp.EHOSTUNREACH


def test_options_as_attributes_and_numbers(ctx: TrackedContext, zmtp: ModuleType) -> None:
    sock = ctx.socket(zmtp.DEALER)
    sock.sndhwm = 7
    assert sock.getsockopt(zmtp.SNDHWM) == 7 and sock.get(zmtp.SNDHWM) == 7
    sock.setsockopt(zmtp.RCVHWM, 9)
    assert sock.rcvhwm == 9
    sock.hwm = 11
    assert (sock.sndhwm, sock.rcvhwm) == (11, 11)
    sock.identity = b"me"
    assert sock.routing_id == b"me"
    assert sock.type == zmtp.DEALER
    with pytest.raises(zmtp.ZMQError, match="ROUTER_MANDATORY does not apply to DEALER"):
        sock.router_mandatory = 1
    with pytest.raises(AttributeError):
        _ = sock.no_such_option
    with pytest.raises(AttributeError, match="no such option: MY_OWN_ATTRIBUTE"):
        sock.my_own_attribute = 5  # a typo must not pass silently, as with pyzmq


def test_bind_wildcard_port_last_endpoint_and_unbind(ctx: TrackedContext, zmtp: ModuleType) -> None:
    sock = ctx.socket(zmtp.PULL)
    sock.bind("tcp://127.0.0.1:*")
    endpoint = sock.last_endpoint.decode()
    host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    sock.unbind(endpoint)
    with socket.create_server(("127.0.0.1", int(port))):  # the port is free again
        pass
    with pytest.raises(zmtp.ZMQError) as info:
        sock.unbind(endpoint)
    assert info.value.errno == errno.ENOENT
    port2 = sock.bind_to_random_port("tcp://127.0.0.1")
    assert sock.last_endpoint.decode().endswith(f":{port2}")


def test_bind_in_use_and_bad_endpoints(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = ctx.socket(zmtp.PULL), ctx.socket(zmtp.PULL)
    a.bind("tcp://127.0.0.1:*")
    with pytest.raises(zmtp.ZMQError) as info:
        b.bind(a.last_endpoint.decode())
    assert info.value.errno == zmtp.EADDRINUSE
    with pytest.raises(zmtp.ZMQError) as info:
        b.bind("pgm://127.0.0.1;239.192.1.1:5555")
    assert info.value.errno == zmtp.EPROTONOSUPPORT
    with pytest.raises(zmtp.ZMQError) as info:
        b.connect("tcp://127.0.0.1")
    assert info.value.errno == zmtp.EINVAL


def test_connect_before_bind_then_disconnect(ctx: TrackedContext, zmtp: ModuleType) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    push = ctx.socket(zmtp.PUSH)
    push.reconnect_ivl = 10
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"sent before anyone listened")  # queued in the pipe
    pull = ctx.socket(zmtp.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    assert pull.recv() == b"sent before anyone listened"
    push.disconnect(f"tcp://127.0.0.1:{port}")
    push.sndtimeo = 50
    with pytest.raises(zmtp.Again):  # no peer any more
        push.send(b"x")


def test_ipc_path_abstract_wildcard_and_stale_file(
    ctx: TrackedContext, zmtp: ModuleType, tmp_path: Any
) -> None:
    path = str(tmp_path / "sock")
    stale = socket.socket(socket.AF_UNIX)  # a file left behind by a dead process
    stale.bind(path)
    stale.close()
    assert os.path.exists(path)
    for address in (f"ipc://{path}", f"ipc://@zmtp-test-{os.getpid()}", "ipc://*"):
        a, b = ctx.socket(zmtp.PAIR), ctx.socket(zmtp.PAIR)
        a.bind(address)
        b.connect(a.last_endpoint.decode())
        b.send(b"over " + address.encode())
        assert a.recv() == b"over " + address.encode()
        a.close()
        b.close()
    assert not os.path.exists(path)  # removed when the socket closed
    live = ctx.socket(zmtp.PAIR)
    live.bind(f"ipc://{path}")
    intruder = ctx.socket(zmtp.PAIR)
    with pytest.raises(zmtp.ZMQError) as info:
        intruder.bind(f"ipc://{path}")  # a live socket is not stolen
    assert info.value.errno == zmtp.EADDRINUSE


def test_poller(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    poller = zmtp.Poller()
    poller.register(a, zmtp.POLLIN)
    poller.register(b, zmtp.POLLIN | zmtp.POLLOUT)
    events = dict(poller.poll(1000))
    assert events == {b: zmtp.POLLOUT}
    poller.modify(b, zmtp.POLLIN)
    b.send(b"ping")
    assert dict(poller.poll(1000)) == {a: zmtp.POLLIN}
    started = time.monotonic()
    poller.unregister(b)
    a.recv()
    assert poller.poll(50) == []
    assert time.monotonic() - started < 1
    assert a.poll(10, zmtp.POLLOUT) == zmtp.POLLOUT
    rfd, wfd = os.pipe()
    try:
        poller.register(rfd, zmtp.POLLIN)
        os.write(wfd, b"x")
        assert dict(poller.poll(1000)) == {rfd: zmtp.POLLIN}
    finally:
        os.close(rfd)
        os.close(wfd)


def test_tracker_done_when_the_kernel_has_the_buffer(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    buffer = bytearray(b"a" * 100_000)
    tracker = a.send(buffer, copy=False, track=True)
    assert isinstance(tracker, zmtp.MessageTracker)
    tracker.wait(5)
    assert tracker.done and not tracker.dropped
    buffer[:] = b"b" * 100_000  # safe now
    assert b.recv() == b"a" * 100_000
    copied = bytearray(b"c" * 100)
    a.send(copied)  # copy=True: changing it after send() is always safe
    copied[:] = b"d" * 100
    assert b.recv() == b"c" * 100


def test_recv_copy_false_gives_frames_over_the_receive_buffer(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    a, b = pair(ctx, zmtp)
    a.send_multipart([b"small", bytes(range(256)) * 100])
    small, large = b.recv_multipart(copy=False)
    assert isinstance(small, zmtp.Frame) and small.bytes == b"small" and small.more
    assert isinstance(large.buffer, memoryview) and large.buffer == bytes(range(256)) * 100
    assert not large.more
    a.send(large)  # a Frame can be sent on
    assert b.recv() == bytes(range(256)) * 100


def test_strings_json_and_pickles(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    a.send_string("héllo")
    assert b.recv_string() == "héllo"
    a.send_json({"n": [1, 2]})
    assert b.recv_json() == {"n": [1, 2]}
    a.send_pyobj({1, 2})
    assert b.recv_pyobj() == {1, 2}
    with pytest.raises(TypeError, match="send_string"):
        a.send("text")


def test_closed_socket_raises_enotsock(ctx: TrackedContext, zmtp: ModuleType) -> None:
    sock = ctx.socket(zmtp.DEALER)
    sock.close()
    sock.close()  # twice is fine
    assert sock.closed
    with pytest.raises(zmtp.ZMQError) as info:
        sock.send(b"x")
    assert info.value.errno == zmtp.ENOTSOCK


def _queued(zmtp: ModuleType, context: Any, count: int) -> Any:
    """A PULL with ``count`` messages waiting."""
    receiver, sender = context.socket(zmtp.PULL), context.socket(zmtp.PUSH)
    receiver.bind("inproc://queued")
    sender.connect("inproc://queued")
    for n in range(count):
        sender.send(b"x%d" % n)
    sender.close()
    assert receiver.poll(5000)
    return receiver


def test_queued_messages_are_not_received_after_close_or_term(zmtp: ModuleType) -> None:
    """Taking a waiting message skips the socket's lock, not its checks (ENOTSOCK, ETERM)."""
    context = zmtp.Context()
    receiver = _queued(zmtp, context, 5)
    assert receiver.recv() == b"x0"
    receiver.close()
    with pytest.raises(zmtp.ZMQError) as info:
        receiver.recv()
    assert info.value.errno == zmtp.ENOTSOCK
    receiver = _queued(zmtp, context, 5)
    assert receiver.recv() == b"x0"
    ending = threading.Thread(target=context.term)  # (it waits for the socket's close)
    ending.start()
    deadline = time.monotonic() + 5
    while not context.closed and time.monotonic() < deadline:
        time.sleep(0.001)
    with pytest.raises(zmtp.ZMQError) as info:
        receiver.recv()
    assert info.value.errno in (zmtp.ETERM, zmtp.ENOTSOCK)  # (anyio's term closes it too)
    receiver.close()
    ending.join(5)
    assert not ending.is_alive()


def test_a_sub_filters_what_waits_by_its_subscriptions_now(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    """Messages wait unfiltered while it subscribes to all; read after an
    unsubscribe, they are filtered again (as libzmq's SUB filters on reading)."""
    sub, pub = ctx.socket(zmtp.SUB), ctx.socket(zmtp.PUB)
    sub.subscribe(b"")
    sub.bind("inproc://filtered")
    pub.connect("inproc://filtered")
    deadline = time.monotonic() + 5
    while sub.poll(0) == 0 and time.monotonic() < deadline:  # (the subscription's way)
        pub.send(b"probe")
    sub.recv()
    while sub.poll(0):
        sub.recv()
    for body in (b"x1", b"x2", b"a3", b"x4", b"a5"):
        pub.send(body)
    assert sub.poll(5000) and sub.recv() == b"x1"
    sub.subscribe(b"a")
    sub.unsubscribe(b"")
    assert sub.recv() == b"a3"
    assert sub.recv() == b"a5"
    assert sub.poll(0) == 0


def test_term_wakes_a_blocked_recv_with_eterm(zmtp: ModuleType) -> None:
    context = zmtp.Context()
    sock = context.socket(zmtp.PULL)
    errors: list[BaseException] = []

    def blocked() -> None:
        try:
            sock.recv()
        except BaseException as error:
            errors.append(error)
        sock.close()

    thread = threading.Thread(target=blocked)
    thread.start()
    time.sleep(0.05)  # let it block: there is no event to wait for instead
    context.term()
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(errors[0], zmtp.ContextTerminated) and errors[0].errno == zmtp.ETERM


def test_linger_flushes_on_close(zmtp: ModuleType) -> None:
    context = zmtp.Context()
    pull = context.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    endpoint = pull.last_endpoint.decode()
    push = context.socket(zmtp.PUSH)
    push.linger = 2000
    push.connect(endpoint)
    for n in range(100):
        push.send(b"%d" % n + bytes(50_000))
    push.close()  # returns at once; the messages keep going
    assert [pull.recv()[:3].rstrip(b"\0") for _ in range(100)] == [b"%d" % n for n in range(100)]
    pull.close(linger=0)
    context.term()


def test_linger_zero_drops(zmtp: ModuleType) -> None:
    context = zmtp.Context()
    push = context.socket(zmtp.PUSH)
    push.linger = 0
    push.connect("tcp://127.0.0.1:9")  # nobody there, ever
    push.send(b"lost")
    push.close()
    started = time.monotonic()
    context.term()  # does not wait for the undeliverable message
    assert time.monotonic() - started < 1


def test_context_manager_and_instance(zmtp: ModuleType) -> None:
    context = zmtp.Context()
    with context:
        sock = context.socket(zmtp.PAIR)
        sock.close()
    assert context.closed
    native = getattr(zmtp, "module", zmtp).Context  # (a facade's with is the facade's)
    if hasattr(native, "__exit__"):  # (anyio and curio contexts are async with only)
        with pytest.warns(ResourceWarning, match="unclosed socket"), native() as context:
            sock = context.socket(zmtp.PAIR)  # left open: destroyed, as pyzmq warns
        assert sock.closed and context.closed
    shared = zmtp.Context.instance()
    assert zmtp.Context.instance() is shared
    shared.term()
    assert zmtp.Context.instance() is not shared
    zmtp.Context.instance().term()
