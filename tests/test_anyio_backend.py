"""What only the anyio backend can show, on both runners: cancel scopes, task
ownership, batching per loop turn, and trio and asyncio programs talking."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import zmtp_anyio as zmq
from zmtp_core import DebugCounters
from zmtp_transport._async_api import READY_STREAK

from peers import require_pyzmq

RUNNERS = ["asyncio", "trio"]
PEER = Path(__file__).with_name("anyio_peer.py")

pytestmark = pytest.mark.parametrize("runner", RUNNERS)


def run(runner: str, main: Callable[[], Awaitable[None]]) -> None:
    anyio.run(main, backend=runner)


async def pair(ctx: zmq.Context, kinds: tuple[int, int] = (zmq.PUSH, zmq.PULL)) -> tuple[Any, Any]:
    a, b = ctx.socket(kinds[0]), ctx.socket(kinds[1])
    for sock in (a, b):
        sock.linger = 0
        sock.rcvtimeo = 5000
    b.bind("tcp://127.0.0.1:*")
    a.connect(b.last_endpoint.decode())
    return a, b


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_sockets_need_an_entered_context(runner: str) -> None:
    async def main() -> None:
        ctx = zmq.Context()
        with pytest.raises(RuntimeError, match="async with Context"):
            ctx.socket(zmq.PULL)
        async with ctx:
            async with ctx.socket(zmq.PULL) as sock:
                sock.bind("tcp://127.0.0.1:*")
            assert sock.closed  # closed by its block
        with pytest.raises(RuntimeError, match="entered once"):
            await ctx.__aenter__()

    run(runner, main)


def test_a_burst_of_sends_leaves_in_batches_and_lets_others_run(
    runner: str, debug_counters: DebugCounters
) -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            await push.send(b"warm-up")
            assert await pull.recv() == b"warm-up"
            others_ran = 0

            async def other() -> None:
                nonlocal others_ran
                while True:
                    others_ran += 1
                    await anyio.lowlevel.checkpoint()

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(other)
                await anyio.lowlevel.checkpoint()
                others_ran = 0
                debug_counters.reset()
                for n in range(200):
                    await push.send(b"%d" % n)  # never waits: the socket takes them all
                tasks.cancel_scope.cancel()
            # Every READY_STREAK sends, the sender yielded: the other task ran, and the
            # turn's messages left in two sendmsg (the first at once, the rest together).
            turns = 200 // READY_STREAK + 1
            assert others_ran >= turns // 2  # (trio may let a turn pass)
            assert turns - 1 <= debug_counters.write_count <= 2 * turns
            assert [await pull.recv() for _ in range(200)] == [b"%d" % n for n in range(200)]

    run(runner, main)


def test_ten_thousand_cancelled_receives_lose_nothing(runner: str) -> None:
    """A pyzmq peer streams numbered multipart messages until 10,000 receives were
    cancelled by cancel scopes while they waited; nothing is lost or repeated."""
    pyzmq = require_pyzmq()
    delays = [0, 0, 0.00001, 0.00005, 0.0002]  # seconds until the scope cancels

    async def main() -> None:
        async with zmq.Context() as ctx:
            pull = ctx.socket(zmq.PULL)
            pull.linger = 0
            pull.rcvhwm = 1  # so receives often find nothing and must wait
            pull.bind("tcp://127.0.0.1:*")
            endpoint = pull.last_endpoint.decode()
            theirs = pyzmq.Context()
            push = theirs.socket(pyzmq.PUSH)
            enough = threading.Event()

            def stream() -> None:
                push.connect(endpoint)
                n = 0
                while not enough.is_set():
                    push.send_multipart([b"%d" % n, b"middle", b"%d-end" % n])
                    n += 1
                push.send_multipart([b"end", b"middle", b"end-end"])
                push.close(linger=-1)

            sender = threading.Thread(target=stream)
            sender.start()
            rng = random.Random(7)
            received: list[bytes] = []
            cancelled = 0

            try:
                while not received or received[-1] != b"end":
                    frames = None
                    with anyio.move_on_after(rng.choice(delays)) as scope:
                        frames = await pull.recv_multipart()
                    if scope.cancelled_caught:  # it was waiting: it must hold nothing
                        assert frames is None
                        cancelled += 1
                        if cancelled == 10_000:
                            enough.set()
                        continue
                    assert frames is not None
                    first, middle, last = frames
                    assert middle == b"middle" and last == first + b"-end"  # whole
                    received.append(first)
            finally:
                enough.set()
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(sender.join, 30)
                theirs.term()
            assert received[:-1] == [b"%d" % n for n in range(len(received) - 1)]  # in order
            assert cancelled >= 10_000
            assert pull._waiters == []  # nothing left behind by the cancelled ones

    run(runner, main)


def test_fail_after_loses_nothing_and_the_socket_goes_on(runner: str) -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            with pytest.raises(TimeoutError):
                with anyio.fail_after(0.01):
                    await pull.recv()
            await push.send_multipart([b"a", b"b"])
            with anyio.fail_after(5):
                assert await pull.recv_multipart() == [b"a", b"b"]
            pull.rcvtimeo = 10  # the option works as well as a cancel scope
            with pytest.raises(zmq.Again):
                await pull.recv()
            assert pull._waiters == []

    run(runner, main)


def test_a_cancelled_send_is_all_or_nothing(runner: str) -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            push.sndhwm = 1
            pull.rcvhwm = 1
            await push.send(b"first")
            sent = 0
            with anyio.move_on_after(0.2) as scope:  # fill until send waits: then cancelled
                while True:
                    await push.send_multipart([b"%d" % sent, b"a", b"b"])
                    sent += 1
            assert scope.cancelled_caught
            await push.send_multipart([b"last", b"a", b"b"])
            with anyio.fail_after(5):
                assert await pull.recv() == b"first"
                got = [await pull.recv_multipart() for _ in range(sent)]
                assert got == [[b"%d" % n, b"a", b"b"] for n in range(sent)]
                assert await pull.recv_multipart() == [b"last", b"a", b"b"]  # not the cancelled

    run(runner, main)


def test_a_cancelled_block_leaves_no_task_and_no_descriptor(runner: str) -> None:
    async def main() -> None:
        fds = open_fds()
        with anyio.move_on_after(0.1) as scope:
            async with zmq.Context() as ctx:
                for _ in range(20):
                    push, pull = await pair(ctx)
                    await push.send(b"x")
                    assert await pull.recv() == b"x"
                    if _ < 19:
                        push.close()
                        pull.close()
                push.linger = -1  # lingering forever is cut short by the cancellation
                await pull.recv()  # never comes
        assert scope.cancelled_caught
        assert open_fds() == fds
        async with zmq.Context() as ctx:  # and a clean exit, with sockets left open
            push, pull = await pair(ctx)
            await push.send(b"y")
            assert await pull.recv() == b"y"
        assert push.closed and pull.closed
        assert open_fds() == fds

    run(runner, main)


def test_inproc_and_poller(runner: str) -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
            a.bind("inproc://anyio-poller")
            b.connect("inproc://anyio-poller")
            poller = zmq.Poller()
            poller.register(a, zmq.POLLIN)
            assert await poller.poll(10) == []
            read_fd, write_fd = os.pipe()
            try:
                poller.register(read_fd, zmq.POLLIN)
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(b.send, b"ping")
                    with anyio.fail_after(5):
                        assert dict(await poller.poll()) == {a: zmq.POLLIN}
                assert await a.recv() == b"ping"
                os.write(write_fd, b"x")
                with anyio.fail_after(5):
                    assert dict(await poller.poll(1000)) == {read_fd: zmq.POLLIN}
            finally:
                os.close(read_fd)
                os.close(write_fd)
            a.close()
            b.close()

    run(runner, main)


def test_trio_and_asyncio_programs_talk_over_tcp(runner: str) -> None:
    """The ROUTER program runs on ``runner``, the DEALER program on the other loop."""
    other = next(r for r in RUNNERS if r != runner)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen(
        [sys.executable, str(PEER), runner, "serve"], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("tcp://127.0.0.1:")
        client = subprocess.run(
            [sys.executable, str(PEER), other, "ask", endpoint],
            capture_output=True,
            env=env,
            text=True,
            timeout=30,
            check=False,
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout.split() == ["200", f"replies-from-{runner}"]
        out, _ = server.communicate(timeout=30)
        assert server.returncode == 0
        assert out.split() == ["200", f"requests-from-{other}"]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
