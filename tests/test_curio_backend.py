"""What only the curio backend can show: its Context owning its tasks, curio's own
timeouts and cancellation, and batching per turn."""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import curio
import pytest

import zmtp_curio as zmq
from zmtp_core import DebugCounters
from zmtp_transport._async_api import READY_STREAK

from peers import require_pyzmq


def run(main: Callable[[], Awaitable[None]]) -> None:
    curio.run(main)


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


def test_sockets_need_an_entered_context() -> None:
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

    run(main)


def test_a_round_trip_and_no_task_or_descriptor_outlives_the_context() -> None:
    async def main() -> None:
        before = open_fds()
        async with zmq.Context() as ctx:
            req, rep = await pair(ctx, (zmq.REQ, zmq.REP))
            await req.send_multipart([b"hello", b"curio"])
            assert await rep.recv_multipart() == [b"hello", b"curio"]
            await rep.send(b"world")
            assert await req.recv() == b"world"
        assert ctx._group is None  # every background task was cancelled with the block
        assert open_fds() <= before  # and every socket closed

    run(main)


def test_timeout_after_on_a_receive_loses_nothing() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            with pytest.raises(curio.TaskTimeout):
                await curio.timeout_after(0.05, pull.recv())
            await push.send_multipart([b"after", b"the timeout"])
            assert await curio.timeout_after(5, pull.recv_multipart()) == [b"after", b"the timeout"]
            assert await curio.ignore_after(0.05, pull.recv()) is None

    run(main)


def test_a_burst_of_sends_leaves_in_batches_and_lets_others_run(
    debug_counters: DebugCounters,
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
                    await curio.sleep(0)

            task = await curio.spawn(other)
            await curio.sleep(0)
            others_ran = 0
            debug_counters.reset()
            for n in range(READY_STREAK - 1):
                await push.send(b"%d" % n)  # never waits: the socket takes them all
            assert debug_counters.write_count == 1  # the first left at once
            assert others_ran == 0
            for n in range(READY_STREAK - 1, 200):
                await push.send(b"%d" % n)
            turns = 200 // READY_STREAK + 1  # every READY_STREAK sends, the sender yielded
            assert others_ran >= turns // 2
            assert turns // 2 <= debug_counters.write_count <= 3 * turns
            await task.cancel()
            assert [await pull.recv() for _ in range(200)] == [b"%d" % n for n in range(200)]

    run(main)


def test_inproc_between_tasks_and_a_poller() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            server, client = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
            client.routing_id = b"task"
            server.bind("inproc://tasks")
            client.connect("inproc://tasks")

            async def answer() -> None:
                identity, body = await server.recv_multipart()
                await server.send_multipart([identity, body.upper()])

            worker = await curio.spawn(answer)
            await client.send(b"shout")
            poller = zmq.Poller()
            poller.register(client, zmq.POLLIN)
            assert dict(await poller.poll(5000)) == {client: zmq.POLLIN}
            assert await client.recv() == b"SHOUT"
            await worker.join()
            for sock in (server, client):
                sock.close(linger=0)

    run(main)


def test_ten_thousand_cancelled_receives_lose_nothing() -> None:
    """A pyzmq peer streams numbered multipart messages while receives are cancelled
    by timeouts in the middle of their wait: every message arrives, in order, whole."""
    zmq_ref = require_pyzmq()
    count = 3000
    ref_ctx = zmq_ref.Context()
    pusher = ref_ctx.socket(zmq_ref.PUSH)
    port = pusher.bind_to_random_port("tcp://127.0.0.1")
    stop = threading.Event()

    def stream() -> None:
        for n in range(count):
            pusher.send_multipart([b"%d" % n, b"x" * (n % 300)])
            if n % 50 == 0 and stop.wait(0.0005):
                return

    feeder = threading.Thread(target=stream)
    feeder.start()
    got: list[int] = []
    cancelled = 0

    async def main() -> None:
        nonlocal cancelled
        async with zmq.Context() as ctx:
            pull = ctx.socket(zmq.PULL)
            pull.linger = 0
            pull.connect(f"tcp://127.0.0.1:{port}")
            while len(got) < count or cancelled < 10_000:
                try:
                    frames = await curio.timeout_after(0.00001, pull.recv_multipart())
                except curio.TaskTimeout:
                    cancelled += 1
                    continue
                number, body = frames
                assert body == b"x" * (int(number) % 300)
                got.append(int(number))
            pull.close()

    try:
        run(main)
    finally:
        stop.set()
        feeder.join(10)
        pusher.close(linger=0)
        ref_ctx.term()
    assert got == list(range(count))
    assert cancelled >= 10_000
