"""inproc between sockets of one Context, and resource hygiene."""

from __future__ import annotations

import gc
import os
import threading
from types import ModuleType

import pytest

from zmtp_core import DebugCounters

from backends import TrackedContext


@pytest.mark.parametrize("bind_first", [True, False], ids=["bind-first", "connect-first"])
def test_inproc_either_order_moves_frames_by_reference(
    zmtp: ModuleType, bind_first: bool, debug_counters: DebugCounters
) -> None:
    context = TrackedContext(zmtp.Context())
    try:
        router, dealer = context.socket(zmtp.ROUTER), context.socket(zmtp.DEALER)
        dealer.routing_id = b"worker"
        if bind_first:
            router.bind("inproc://work")
            dealer.connect("inproc://work")
        else:
            dealer.connect("inproc://work")
            dealer.send(b"queued before the bind")
            router.bind("inproc://work")
            assert router.recv_multipart() == [b"worker", b"queued before the bind"]
        payload = bytearray(b"x" * 1_000_000)
        debug_counters.reset()
        dealer.send_multipart([b"big", payload], copy=False)
        identity, name, received = router.recv_multipart(copy=False)
        assert identity.bytes == b"worker" and name.bytes == b"big"
        assert received.buffer.obj is payload  # the very same buffer: passed by reference
        assert debug_counters.bytes_copied == 0 and debug_counters.read_bytes_copied == 0
        router.send_multipart([b"worker", b"reply"])
        assert dealer.recv() == b"reply"
    finally:
        context.close()


@pytest.mark.parametrize("linger", [0, -1])
@pytest.mark.parametrize("ending", ["closed", "dropped"])
def test_inproc_messages_of_a_socket_gone_before_the_bind_still_arrive(
    zmtp: ModuleType, linger: int, ending: str
) -> None:
    """libzmq's inproc pipe holds what was sent: the bind after the sender closed
    (or was dropped without close()) still receives it, whatever LINGER said."""
    context = TrackedContext(zmtp.Context())
    try:
        sender = zmtp.Context.socket(context.context, zmtp.PAIR)  # (not tracked: it goes)
        sender.linger = linger
        sender.connect("inproc://later")
        sender.send(b"sent before the bind")
        if ending == "closed":
            sender.close()
        else:
            with pytest.warns(ResourceWarning):  # noqa: PT031 - (__del__ warns, then closes)
                del sender
                gc.collect()
        receiver = context.socket(zmtp.PAIR)
        receiver.bind("inproc://later")
        assert receiver.recv() == b"sent before the bind"
    finally:
        context.close()


def test_inproc_messages_held_at_the_receivers_hwm_outlive_the_senders_close(
    zmtp: ModuleType,
) -> None:
    context = TrackedContext(zmtp.Context())
    try:
        pull, push = context.socket(zmtp.PULL), context.socket(zmtp.PUSH)
        pull.rcvhwm = push.sndhwm = 2
        pull.bind("inproc://full")
        push.connect("inproc://full")
        sent = 0
        while push.poll(0, zmtp.POLLOUT):
            push.send(b"%d" % sent, zmtp.NOBLOCK)
            sent += 1
        assert sent == 4  # (SNDHWM + RCVHWM)
        push.close(linger=0)
        assert [pull.recv() for _ in range(sent)] == [b"%d" % n for n in range(sent)]
    finally:
        context.close()


def test_inproc_pub_sub_and_hwm(zmtp: ModuleType) -> None:
    context = TrackedContext(zmtp.Context())
    try:
        pub, sub = context.socket(zmtp.PUB), context.socket(zmtp.SUB)
        pub.bind("inproc://news")
        sub.rcvhwm = 10
        sub.subscribe(b"a")
        sub.connect("inproc://news")
        pub.send(b"b: not for us")
        for n in range(100):
            pub.send(b"a%d" % n)
        received = []
        while sub.poll(50):
            received.append(sub.recv())
        # The publisher's SNDHWM (1000) and our RCVHWM bound what queued: no drop here.
        assert received == [b"a%d" % n for n in range(100)]
    finally:
        context.close()


def test_inproc_threads_talking_both_ways_do_not_deadlock(zmtp: ModuleType) -> None:
    context = TrackedContext(zmtp.Context())
    try:
        left, right = context.socket(zmtp.PAIR), context.socket(zmtp.PAIR)
        left.bind("inproc://duplex")
        right.connect("inproc://duplex")
        count = 2000  # (all a direction holds: SNDHWM + RCVHWM)
        failures: list[BaseException] = []

        def pump(sock: object, name: bytes) -> None:
            try:
                for n in range(count):
                    sock.send(name + b"%d" % n)  # type: ignore[attr-defined]
                for _ in range(count):
                    sock.recv()  # type: ignore[attr-defined]
            except BaseException as error:
                failures.append(error)

        threads = [
            threading.Thread(target=pump, args=(s, n)) for s, n in ((left, b"L"), (right, b"R"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert not any(t.is_alive() for t in threads) and not failures
    finally:
        context.close()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_two_hundred_sockets_leave_no_fds_and_no_threads(zmtp: ModuleType) -> None:
    gc.collect()
    fds, threads = open_fds(), threading.active_count()
    context = zmtp.Context()
    server = context.socket(zmtp.ROUTER)
    server.linger = 0
    server.bind("tcp://127.0.0.1:*")
    endpoint = server.last_endpoint.decode()
    for n in range(200):
        client = context.socket(zmtp.DEALER)
        client.linger = 0
        client.rcvtimeo = 5000
        client.connect(endpoint)
        client.send(b"%d" % n)
        identity, body = server.recv_multipart()
        server.send_multipart([identity, body])
        assert client.recv() == b"%d" % n
        client.close()
    server.close()
    context.term()
    gc.collect()
    assert open_fds() == fds
    assert threading.active_count() == threads
