"""zmtp_selectors.green (pyzmq's zmq.green): what is particular to gevent.

The conformance suite runs on it too ("green" in backends.BACKENDS, each call a
greenlet of a hub in a helper thread). Here the calls are the test's own
greenlet, beside others in the same thread, as in a gevent program.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

import zmtp_selectors.green as zmq

from backends import TrackedContext
from peers import require_pyzmq


@pytest.fixture
def ctx() -> Iterator[TrackedContext]:
    context = TrackedContext(zmq.Context())
    yield context
    context.close()


def ticking() -> tuple[list[int], Any]:
    """A greenlet that counts while it is let to run."""
    ticks: list[int] = []

    def tick() -> None:
        while True:
            ticks.append(1)
            gevent.sleep(0.001)

    return ticks, gevent.spawn(tick)


def pair(ctx: TrackedContext, transport: str = "tcp") -> tuple[Any, Any]:
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    endpoint = "inproc://green" if transport == "inproc" else "tcp://127.0.0.1:*"
    pull.bind(endpoint)
    push.connect(pull.last_endpoint.decode())
    return pull, push


def test_a_green_context_starts_no_thread(ctx: TrackedContext) -> None:
    before = threading.active_count()
    pull, push = pair(ctx)
    push.send(b"x")
    assert pull.recv() == b"x"
    assert threading.active_count() == before


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
def test_a_waiting_recv_lets_other_greenlets_run(ctx: TrackedContext, transport: str) -> None:
    pull, push = pair(ctx, transport)
    ticks, ticker = ticking()
    sender = gevent.spawn_later(0.05, push.send, b"late")
    try:
        assert pull.recv() == b"late"
        assert len(ticks) > 5  # (the ticker ran all the while recv waited)
    finally:
        gevent.killall([ticker, sender])


def test_rcvtimeo_and_a_poll_timeout_leave_the_hub_running(ctx: TrackedContext) -> None:
    pull, _ = pair(ctx)
    pull.rcvtimeo = 50
    ticks, ticker = ticking()
    try:
        with pytest.raises(zmq.Again):
            pull.recv()
        poller = zmq.Poller()
        poller.register(pull, zmq.POLLIN)
        assert poller.poll(50) == []
        assert len(ticks) > 5
    finally:
        ticker.kill()


def test_term_wakes_a_waiting_greenlet_with_eterm() -> None:
    context = zmq.Context()
    sock = context.socket(zmq.PULL)

    def blocked() -> BaseException:
        try:
            sock.recv()
        except zmq.ZMQError as error:
            return error
        finally:
            sock.close()
        raise AssertionError("recv returned")

    waiting = gevent.spawn(blocked)
    gevent.sleep(0)  # (it runs until it waits)
    context.term()
    error = waiting.get(timeout=5)
    assert isinstance(error, zmq.ContextTerminated) and error.errno == zmq.ETERM


def test_a_greenlet_killed_while_waiting_loses_no_message(ctx: TrackedContext) -> None:
    pull, push = pair(ctx)
    waiting = gevent.spawn(pull.recv)
    gevent.sleep(0.01)
    waiting.kill()
    push.send(b"kept")
    assert pull.recv() == b"kept"


def test_a_poller_waits_for_plain_descriptors_in_its_greenlet_only() -> None:
    left, right = socket.socketpair()
    ticks, ticker = ticking()
    writer = gevent.spawn_later(0.05, right.send, b"!")
    try:
        poller = zmq.Poller()
        poller.register(left, zmq.POLLIN)
        assert poller.poll(5000) == [(left.fileno(), zmq.POLLIN)]
        assert len(ticks) > 5
    finally:
        gevent.killall([ticker, writer])
        left.close()
        right.close()


def test_reconnects_and_timers_run_in_the_hub(ctx: TrackedContext) -> None:
    """A connect before the bind: only the reconnect timer brings them together."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    push = ctx.socket(zmq.PUSH)
    push.reconnect_ivl = 10
    push.connect(f"tcp://127.0.0.1:{port}")
    gevent.sleep(0.05)  # (refused at least once)
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    push.send(b"after reconnecting")
    assert pull.recv() == b"after reconnecting"


def test_green_sockets_talk_to_pyzmq_in_another_thread(ctx: TrackedContext) -> None:
    pyzmq = require_pyzmq()
    peer_ctx = pyzmq.Context()
    router = peer_ctx.socket(pyzmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")

    def echo() -> None:
        for _ in range(100):
            router.send_multipart(router.recv_multipart())

    thread = threading.Thread(target=echo)
    thread.start()
    try:
        dealer = ctx.socket(zmq.DEALER)
        dealer.connect(f"tcp://127.0.0.1:{port}")
        for number in range(100):
            dealer.send_multipart([b"", b"%d" % number])
            assert dealer.recv_multipart() == [b"", b"%d" % number]
    finally:
        thread.join(5)
        router.close()
        peer_ctx.term()


EXITING_SENDER = """
import sys
if sys.argv[2] == "patched":
    from gevent import monkey
    monkey.patch_all()
import zmtp_selectors.green as zmq
sock = zmq.Context().socket(zmq.PUSH)
sock.connect(sys.argv[1])
for number in range(20000):
    sock.send(b"%d" % number)
sock.send(b"END")
"""


@pytest.mark.parametrize("mode", ["plain", "patched"])
def test_a_program_that_exits_without_closing_still_sends(tmp_path: Path, mode: str) -> None:
    """At exit, the hub sends what is queued (with or without monkey patching),
    to a pyzmq peer."""
    pyzmq = require_pyzmq()
    program = tmp_path / "sender.py"
    program.write_text(EXITING_SENDER)
    peer_ctx = pyzmq.Context()
    pull = peer_ctx.socket(pyzmq.PULL)
    pull.linger = 0
    pull.rcvtimeo = 10000
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    started = time.monotonic()
    sender = subprocess.Popen([sys.executable, str(program), f"tcp://127.0.0.1:{port}", mode])
    try:
        received = 0
        while pull.recv() != b"END":
            received += 1
        assert received == 20000
        assert sender.wait(30) == 0
        assert time.monotonic() - started < 30
    finally:
        sender.kill()
        sender.wait()
        pull.close()
        peer_ctx.term()


def test_zmq_poll_and_select_over_plain_descriptors_are_green() -> None:
    left, right = socket.socketpair()
    ticks, ticker = ticking()
    writer = gevent.spawn_later(0.05, right.send, b"!")
    try:
        assert zmq.zmq_poll([(left, zmq.POLLIN)], 5000) == [(left.fileno(), zmq.POLLIN)]
        assert zmq.select([left], [], [], 5) == ([left], [], [])
        assert len(ticks) > 5
    finally:
        gevent.killall([ticker, writer])
        left.close()
        right.close()
