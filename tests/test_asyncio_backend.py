"""What only an asyncio backend can show: batching per loop iteration and cancellation."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

import pytest

import zmtp_asyncio as zmq
from zmtp_core import DebugCounters
from zmtp_transport._async_api import READY_STREAK

from peers import require_pyzmq


async def pair(ctx: zmq.Context, kinds: tuple[int, int] = (zmq.PUSH, zmq.PULL)) -> tuple[Any, Any]:
    a, b = ctx.socket(kinds[0]), ctx.socket(kinds[1])
    for sock in (a, b):
        sock.linger = 0
        sock.rcvtimeo = 5000
    b.bind("tcp://127.0.0.1:*")
    a.connect(b.last_endpoint.decode())
    return a, b


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
                    await asyncio.sleep(0)

            task = asyncio.ensure_future(other())
            await asyncio.sleep(0)
            others_ran = 0
            debug_counters.reset()
            for n in range(READY_STREAK - 1):
                await push.send(b"%d" % n)  # never waits: the socket takes them all
            assert debug_counters.write_count == 1  # the first left at once (a request waits)
            assert others_ran == 0
            for n in range(READY_STREAK - 1, 200):
                await push.send(b"%d" % n)
            # Every READY_STREAK sends the sender yielded: the other task ran, and the
            # loop iteration's messages left in two sendmsg (the first at once, the rest).
            turns = 200 // READY_STREAK + 1
            assert others_ran >= turns - 1
            assert turns - 1 <= debug_counters.write_count <= 3 * turns
            task.cancel()
            await asyncio.sleep(0)
            assert debug_counters.batch_messages_total == 200
            assert [await pull.recv() for _ in range(200)] == [b"%d" % n for n in range(200)]
            debug_counters.reset()
            await push.send(b"lone")
            assert debug_counters.write_count == 1  # a lone message leaves at once
            await push.send(bytes(100_000))  # a large one leaves at once
            assert debug_counters.write_count >= 2
            assert debug_counters.batch_size_flush_count == 1

    asyncio.run(main())


def test_ten_thousand_cancelled_receives_lose_nothing() -> None:
    """A peer streams numbered multipart messages; receives are cancelled at random."""
    pyzmq = require_pyzmq()
    total = 20_000

    async def main() -> None:
        async with zmq.Context() as ctx:
            pull = ctx.socket(zmq.PULL)
            pull.linger = 0
            pull.rcvhwm = 100
            pull.bind("tcp://127.0.0.1:*")
            endpoint = pull.last_endpoint.decode()
            theirs = pyzmq.Context()
            push = theirs.socket(pyzmq.PUSH)

            def stream() -> None:
                push.connect(endpoint)
                for n in range(total):
                    push.send_multipart([b"%d" % n, b"middle", b"%d-end" % n])
                push.close(linger=-1)

            sender = threading.Thread(target=stream)
            sender.start()
            rng = random.Random(7)
            received: list[int] = []
            cancelled = 0
            try:
                while len(received) < total:
                    task = asyncio.ensure_future(pull.recv_multipart())
                    for _ in range(rng.randrange(3)):  # cancel after 0, 1 or 2 loop iterations
                        if task.done():
                            break
                        await asyncio.sleep(0)
                    if not task.done():
                        task.cancel()
                        cancelled += 1
                        try:
                            await task
                        except asyncio.CancelledError:
                            continue
                    first, middle, last = task.result()
                    assert middle == b"middle" and last == first + b"-end"  # whole
                    received.append(int(first))
                    if rng.random() < 0.001:  # and asyncio.wait_for, too
                        with pytest.raises(TimeoutError):
                            await asyncio.wait_for(asyncio.Event().wait(), 0)
            finally:
                sender.join(30)
                theirs.term()
            assert received == list(range(total))  # once each, in order
            assert cancelled >= 10_000
            assert pull._waiters == []  # nothing left behind by the cancelled ones

    asyncio.run(main())


def test_wait_for_timeouts_lose_nothing() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)

            async def stream() -> None:
                for n in range(300):
                    await push.send_multipart([b"%d" % n, b"x"])
                    if n % 7 == 0:
                        await asyncio.sleep(0.0005)

            sender = asyncio.ensure_future(stream())
            got: list[list[bytes]] = []
            timeouts = 0
            while len(got) < 300:
                try:
                    got.append(await asyncio.wait_for(pull.recv_multipart(), 0.0002))
                except TimeoutError:
                    timeouts += 1
            await sender
            assert got == [[b"%d" % n, b"x"] for n in range(300)]
            assert timeouts > 0 and pull._waiters == []

    asyncio.run(main())


def test_a_busy_receiver_does_not_grow() -> None:
    """pyzmq#1928: memory grew under a receiver that did not keep up."""

    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            pull.rcvhwm = 50
            push.sndhwm = 50
            sent = 0
            while True:  # the receiver is "busy": nobody reads
                try:
                    await push.send(bytes(1000), zmq.NOBLOCK)
                except zmq.Again:
                    break
                sent += 1
                if sent % 100 == 0:
                    await asyncio.sleep(0.001)  # let the loop move bytes
            inbound = sum(len(p.inbound) for p in pull._engine.pattern.pipes)
            assert inbound <= 50  # RCVHWM bounds what the receiver holds
            assert pull._waiters == [] and push._waiters == []
            for _ in range(sent):
                await pull.recv()

    asyncio.run(main())


def test_a_cancelled_send_is_all_or_nothing() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            push.sndhwm = 1
            pull.rcvhwm = 1
            await push.send(b"first")
            # Fill until send must wait, then cancel the waiting one.
            blocked = None
            for n in range(10_000):
                task = asyncio.ensure_future(push.send_multipart([b"%d" % n, b"a", b"b"]))
                await asyncio.sleep(0)
                if not task.done():
                    blocked = (n, task)
                    break
            assert blocked is not None
            number, task = blocked
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await push.send_multipart([b"last", b"a", b"b"])
            assert await pull.recv() == b"first"
            got = [await pull.recv_multipart() for _ in range(number)]
            assert got == [[b"%d" % n, b"a", b"b"] for n in range(number)]
            assert await pull.recv_multipart() == [b"last", b"a", b"b"]  # not the cancelled one

    asyncio.run(main())


def test_inproc_sender_at_its_hwm_resumes_when_the_receiver_drains() -> None:
    """Two tasks of one loop: the sender waits at its HWM until the receiver makes room."""

    async def main() -> None:
        async with zmq.Context() as ctx:
            pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
            for sock in (pull, push):
                sock.linger = 0
                sock.sndhwm = sock.rcvhwm = 5
            pull.bind("inproc://drain")
            push.connect("inproc://drain")

            async def send_all() -> None:
                for n in range(200):
                    await push.send(b"%d" % n)

            sender = asyncio.ensure_future(send_all())
            received = [await pull.recv() for _ in range(200)]
            await asyncio.wait_for(sender, 5)
            assert received == [b"%d" % n for n in range(200)]

    asyncio.run(asyncio.wait_for(main(), 10))


def test_no_tasks_and_no_descriptors_outlive_the_context() -> None:
    import os  # noqa: PLC0415

    async def main() -> None:
        before_tasks = asyncio.all_tasks()
        fds = len(os.listdir("/proc/self/fd"))
        async with zmq.Context() as ctx:
            for _ in range(50):
                push, pull = await pair(ctx)
                await push.send(b"x")
                assert await pull.recv() == b"x"
                push.close()
                pull.close()
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == before_tasks
        assert len(os.listdir("/proc/self/fd")) == fds

    asyncio.run(main())


def test_sockets_made_before_the_loop_runs_live_on_the_loop_that_first_awaits_them() -> None:
    ctx = zmq.Context()
    with ctx.socket(zmq.PULL) as lone, pytest.raises(RuntimeError, match="running event loop"):
        lone.recv()  # (the first wait needs one)
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.bind("tcp://127.0.0.1:*")  # no loop yet: kept until one runs
    push.connect(pull.last_endpoint)
    loop = asyncio.new_event_loop()  # a loop set but not running changes nothing
    asyncio.set_event_loop(loop)
    try:

        async def main() -> list[bytes]:
            await push.send_multipart([b"made", b"before"])
            return await asyncio.wait_for(pull.recv_multipart(), 10)

        assert loop.run_until_complete(main()) == [b"made", b"before"]
    finally:
        push.close()
        pull.close()
        ctx.term()
        loop.close()
        asyncio.set_event_loop(None)


def test_calls_return_futures_as_zmq_asyncio_does() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            waiting = pull.recv()
            assert isinstance(waiting, asyncio.Future) and not waiting.done()
            seen: list[bytes] = []
            waiting.add_done_callback(lambda future: seen.append(future.result()))
            sent = push.send(b"one")
            assert isinstance(sent, asyncio.Future)
            done, _ = await asyncio.wait([waiting], timeout=10)
            assert done == {waiting} and waiting.result() == b"one"
            await asyncio.sleep(0)
            assert seen == [b"one"]
            cancelled = pull.recv()
            cancelled.cancel()  # waiting, then cancelled: takes nothing
            await push.send(b"two")
            assert await asyncio.wait_for(pull.recv(), 10) == b"two"
            with pytest.raises(zmq.Again):
                await pull.recv(zmq.NOBLOCK)  # an error comes in the Future

    asyncio.run(main())


def test_a_poll_loop_with_work_always_ready_lets_other_tasks_run() -> None:
    """A broker's loop (poll, then recv) on a socket that always has messages must
    not starve the tasks of its own workers."""

    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            for n in range(2000):
                await push.send(b"%d" % n)
            while not pull.poll(0).result():
                await asyncio.sleep(0)
            others_ran = 0

            async def other() -> None:
                nonlocal others_ran
                while True:
                    others_ran += 1
                    await asyncio.sleep(0)

            task = asyncio.ensure_future(other())
            poller = zmq.Poller()
            poller.register(pull, zmq.POLLIN)
            for _ in range(1000):
                assert dict(await poller.poll()) == {pull: zmq.POLLIN}
                await pull.recv()
            task.cancel()
            assert others_ran >= 1000 // 64  # a turn every READY_STREAK (32) polls

    asyncio.run(main())


def test_nonblocking_receives_of_waiting_messages_never_fail() -> None:
    """Past READY_STREAK a receive yields once, and a NOBLOCK one still takes its message."""

    async def main() -> None:
        ctx = zmq.Context()
        try:
            pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
            pull.bind("inproc://nonblocking")
            push.connect("inproc://nonblocking")
            count = 3 * READY_STREAK
            for n in range(count):
                await push.send(b"%d" % n)
            received = [await pull.recv(zmq.NOBLOCK) for _ in range(count)]
            assert received == [b"%d" % n for n in range(count)]
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


def test_a_receive_that_unstalls_an_inproc_peer_loses_nothing() -> None:
    """A receive served from the loop moves the sender's held messages, which wakes
    the receiver again inside that very receive: each message still goes to one
    receive, in order."""

    async def main() -> None:
        ctx = zmq.Context()
        try:
            pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
            pull.rcvhwm = 1  # (the rest wait in the sender's pipe, stalled)
            pull.bind("inproc://unstall")
            push.connect("inproc://unstall")
            count = 3 * READY_STREAK
            for n in range(count):
                await push.send(b"%d" % n, zmq.NOBLOCK)
            received = [await asyncio.wait_for(pull.recv(), 5) for _ in range(count)]
            assert received == [b"%d" % n for n in range(count)]
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


def test_a_socket_moves_to_the_next_event_loop() -> None:
    """pyzmq's sockets outlive ``asyncio.run()``: a program may run another loop."""
    ctx = zmq.Context()
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    for sock in (push, pull):
        sock.linger = 0
    pull.bind("tcp://127.0.0.1:*")  # (made before any loop: both start on the first one)
    push.connect(pull.last_endpoint.decode())

    async def round_trip(n: int) -> bytes:
        await push.send(b"%d" % n)
        return await asyncio.wait_for(pull.recv(), 5)

    for n in range(3):
        loop = asyncio.new_event_loop()
        assert loop.run_until_complete(round_trip(n)) == b"%d" % n
        loop.close()
    ctx.destroy(linger=0)


def test_a_receive_cancelled_before_it_ran_takes_no_message() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            push, pull = await pair(ctx)
            cancelled = pull.recv_json()  # (a task that has not run its first step)
            cancelled.cancel()
            await asyncio.sleep(0)
            await push.send_json({"a": 5})
            assert await pull.poll(5000)
            assert await asyncio.wait_for(pull.recv_json(), 5) == {"a": 5}

    asyncio.run(main())


def test_closing_a_socket_cancels_what_waits_on_it() -> None:
    async def main() -> None:
        async with zmq.Context() as ctx:
            _push, pull = await pair(ctx)
            polling, receiving = pull.poll(5000), pull.recv()
            pull.close()
            for _ in range(5):
                await asyncio.sleep(0)
            assert polling.cancelled() and receiving.cancelled()

    asyncio.run(main())
