"""zmq.proxy, proxy_steerable and zmq.devices: each scenario runs on pyzmq and on
zmtp, with pyzmq peers both times, and must give the same results."""

from __future__ import annotations

import importlib
import struct
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import zmtp_selectors

from backends import TrackedContext
from peers import require_pyzmq


@pytest.fixture(params=["pyzmq", "zmtp"])
def lib(request: pytest.FixtureRequest) -> ModuleType:
    """Whose proxy runs: libzmq's (the reference) or ours."""
    pyzmq = require_pyzmq()
    return pyzmq if request.param == "pyzmq" else zmtp_selectors


def devices_of(lib: ModuleType) -> Any:
    return importlib.import_module(f"{lib.__name__}.devices")


def in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_broker_proxy_with_capture_ends_with_its_context(lib: ModuleType) -> None:
    pyzmq = require_pyzmq()
    ctx = lib.Context()
    front, back, capture = ctx.socket(lib.ROUTER), ctx.socket(lib.DEALER), ctx.socket(lib.PUSH)
    ends: list[int] = []

    def run() -> None:
        try:
            lib.proxy(front, back, capture)
        except lib.ZMQError as error:
            ends.append(error.errno)
        finally:
            for sock in (front, back, capture):
                sock.close(linger=0)

    peers = TrackedContext(pyzmq.Context())
    try:
        for sock in (front, back, capture):
            sock.bind("tcp://127.0.0.1:*")
        tap = peers.socket(pyzmq.PULL)
        tap.connect(capture.last_endpoint)
        thread = in_thread(run)
        client, worker = peers.socket(pyzmq.REQ), peers.socket(pyzmq.REP)
        client.connect(front.last_endpoint)
        worker.connect(back.last_endpoint)
        for sock in (client, worker, tap):
            sock.rcvtimeo = 5000
        for n in range(3):
            client.send_multipart([b"job", str(n).encode()])
            assert worker.recv_multipart() == [b"job", str(n).encode()]
            worker.send(b"done " + str(n).encode())
            assert client.recv() == b"done " + str(n).encode()
        captured = [tap.recv_multipart() for _ in range(6)]
        bodies = [body for n in range(3) for body in ([b"job", b"%d" % n], [b"done %d" % n])]
        expected = [[b"", *body] for body in bodies]
        assert [frames[1:] for frames in captured] == expected  # (after the client id)
        ctx.term()  # the proxy's sockets are still open: it must end and close them
        thread.join(5)
        assert ends == [lib.ETERM] and not thread.is_alive()
    finally:
        peers.close()


def test_steering_a_proxy(lib: ModuleType) -> None:
    ctx = TrackedContext(lib.Context())
    try:
        front, back, control = ctx.socket(lib.PULL), ctx.socket(lib.PUSH), ctx.socket(lib.PAIR)
        front.bind("inproc://front")
        back.bind("inproc://back")
        control.bind("inproc://control")
        thread = in_thread(lambda: lib.proxy_steerable(front, back, None, control))
        source, sink, steer = ctx.socket(lib.PUSH), ctx.socket(lib.PULL), ctx.socket(lib.PAIR)
        source.connect("inproc://front")
        sink.connect("inproc://back")
        steer.connect("inproc://control")
        sink.rcvtimeo = steer.rcvtimeo = 5000
        source.send_multipart([b"ab", b"cde"])
        assert sink.recv_multipart() == [b"ab", b"cde"]
        steer.send(b"STATISTICS")
        stats = [struct.unpack("=Q", frame)[0] for frame in steer.recv_multipart()]
        assert stats == [2, 5, 0, 0, 0, 0, 2, 5]
        steer.send(b"TERMINATE")  # (a PAIR gets no reply; a REP would get an empty one)
        thread.join(5)
        assert not thread.is_alive()
    finally:
        ctx.close()


def test_a_paused_proxy_holds_messages_until_resumed() -> None:
    """libzmq 4.3.5 swaps PAUSE and RESUME (fixed after it): ours is the documented one."""
    zmq = zmtp_selectors
    ctx = TrackedContext(zmq.Context())
    try:
        front, back, control = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH), ctx.socket(zmq.REP)
        for sock, name in ((front, "front"), (back, "back"), (control, "control")):
            sock.bind(f"inproc://{name}")
        thread = in_thread(lambda: zmq.proxy_steerable(front, back, None, control))
        source, sink, steer = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL), ctx.socket(zmq.REQ)
        source.connect("inproc://front")
        sink.connect("inproc://back")
        steer.connect("inproc://control")
        steer.rcvtimeo = 5000
        steer.send(b"PAUSE")
        assert steer.recv() == b""  # a REP control socket gets an empty reply
        source.send(b"held")
        assert sink.poll(100) == 0
        steer.send(b"RESUME")
        assert steer.recv() == b""
        assert sink.poll(5000) and sink.recv() == b"held"
        steer.send(b"TERMINATE")
        assert steer.recv() == b""
        thread.join(5)
        assert not thread.is_alive()
    finally:
        ctx.close()


def test_a_thread_device_queue(lib: ModuleType) -> None:
    pyzmq = require_pyzmq()
    devices = devices_of(lib)
    context = lib.Context()
    device = devices.ThreadDevice(lib.QUEUE, lib.ROUTER, lib.DEALER)
    device.context_factory = lambda: context
    front_port = device.bind_in_to_random_port("tcp://127.0.0.1")
    back_port = device.bind_out_to_random_port("tcp://127.0.0.1")
    device.setsockopt_in(lib.RCVHWM, 100)
    device.start()
    peers = TrackedContext(pyzmq.Context())
    try:
        client = peers.socket(pyzmq.REQ)
        client.connect(f"tcp://127.0.0.1:{front_port}")
        client.rcvtimeo = 5000
        worker = peers.socket(pyzmq.REP)
        worker.connect(f"tcp://127.0.0.1:{back_port}")
        worker.rcvtimeo = 5000
        client.send(b"work")
        assert worker.recv() == b"work"
        worker.send(b"result")
        assert client.recv() == b"result"
    finally:
        peers.close()
        context.term()
        device.join(5)
    assert device.done


def test_a_monitored_queue_publishes_both_sides(lib: ModuleType) -> None:
    devices = devices_of(lib)
    context = lib.Context()
    device = devices.ThreadMonitoredQueue(lib.PULL, lib.PUSH, lib.PUB, b"IN", b"OUT")
    device.context_factory = lambda: context
    for role in ("in", "out", "mon"):
        getattr(device, f"bind_{role}")(f"inproc://mq-{role}")
    watcher = context.socket(lib.SUB)
    watcher.subscribe(b"")
    watcher.rcvtimeo = 5000
    device.start()
    try:
        watcher.connect("inproc://mq-mon")
        source, sink = context.socket(lib.PUSH), context.socket(lib.PULL)
        source.connect("inproc://mq-in")
        sink.connect("inproc://mq-out")
        sink.rcvtimeo = 5000
        source.send_multipart([b"a", b"b"])
        assert sink.recv_multipart() == [b"a", b"b"]
        # A late SUB may miss the first copies: send until one arrives.
        while not watcher.poll(10):
            source.send(b"more")
            sink.recv()
        assert watcher.recv_multipart()[0] == b"IN"
    finally:
        for sock in (watcher, source, sink):
            sock.close(linger=0)
        context.term()
        device.join(5)
    assert device.done


def test_a_steerable_thread_proxy_device_reports_and_terminates(lib: ModuleType) -> None:
    devices = devices_of(lib)
    context = lib.Context()
    device = devices.ThreadProxySteerable(lib.PULL, lib.PUSH, lib.PUSH, lib.PAIR)
    device.context_factory = lambda: context
    for role in ("in", "out", "mon", "ctrl"):
        getattr(device, f"bind_{role}")(f"inproc://ps-{role}")
    device.start()
    socks = [context.socket(t) for t in (lib.PUSH, lib.PULL, lib.PULL, lib.PAIR)]
    try:
        for sock, role in zip(socks, ("in", "out", "mon", "ctrl"), strict=True):
            sock.connect(f"inproc://ps-{role}")
            sock.rcvtimeo = 5000
        source, sink, tap, steer = socks
        source.send(b"x")
        assert sink.recv() == b"x" and tap.recv() == b"x"
        steer.send(b"STATISTICS")
        stats = [struct.unpack("=Q", f)[0] for f in steer.recv_multipart()]
        assert stats == [1, 1, 0, 0, 0, 0, 1, 1]
        steer.send(b"TERMINATE")
        device.join(5)
        assert device.done
    finally:
        for sock in socks:
            sock.close(linger=0)
        context.term()


def test_a_process_device_runs_in_a_child_with_its_own_context() -> None:
    from zmtp_selectors.devices import ProcessDevice  # noqa: PLC0415

    zmq = zmtp_selectors
    device = ProcessDevice(zmq.QUEUE, zmq.PULL, zmq.PUSH)
    front = device.bind_in_to_random_port("tcp://127.0.0.1")
    back = device.bind_out_to_random_port("tcp://127.0.0.1")
    ctx = TrackedContext(zmq.Context())
    device.start()
    try:
        source, sink = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
        source.connect(f"tcp://127.0.0.1:{front}")
        sink.connect(f"tcp://127.0.0.1:{back}")
        sink.rcvtimeo = 10_000
        source.send(b"through the child")
        assert sink.recv() == b"through the child"
    finally:
        device.launcher.terminate()
        device.join(10)
        ctx.close()


# -- the coroutine proxy --------------------------------------------------------------


def steered_proxy(zmq: ModuleType, ctx: Any) -> tuple[Any, Any]:
    """A proxy coroutine and a coroutine that uses, measures and stops it."""
    front, back, control = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH), ctx.socket(zmq.PAIR)
    for sock, name in ((front, "front"), (back, "back"), (control, "control")):
        sock.bind(f"inproc://async-{name}")
    source, sink, steer = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL), ctx.socket(zmq.PAIR)
    for sock, name in ((source, "front"), (sink, "back"), (steer, "control")):
        sock.connect(f"inproc://async-{name}")
        sock.rcvtimeo = 5000

    async def use() -> None:
        for n in range(50):
            await source.send(b"%d" % n)
        assert [await sink.recv() for _ in range(50)] == [b"%d" % n for n in range(50)]
        await steer.send(b"STATISTICS")
        stats = [struct.unpack("=Q", frame)[0] for frame in await steer.recv_multipart()]
        assert stats[:2] == [50, 90] and stats[6:] == [50, 90]
        await steer.send(b"TERMINATE")

    async def run_proxy() -> None:
        await zmq.proxy_steerable(front, back, None, control)
        for sock in (front, back, control, source, sink, steer):
            sock.close(linger=0)

    return run_proxy(), use()


def test_the_proxy_as_a_coroutine_on_asyncio() -> None:
    import asyncio  # noqa: PLC0415

    import zmtp_asyncio as zmq  # noqa: PLC0415

    async def main() -> None:
        ctx = zmq.Context()
        try:
            await asyncio.wait_for(asyncio.gather(*steered_proxy(zmq, ctx)), 10)
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


async def awaiting(coroutine: Any) -> None:
    await coroutine


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_the_proxy_as_a_coroutine_on_anyio(runner: str) -> None:
    import anyio  # noqa: PLC0415

    import zmtp_anyio as zmq  # noqa: PLC0415

    async def main() -> None:
        async with zmq.Context() as ctx, anyio.create_task_group() as tasks:
            with anyio.fail_after(10):
                for coroutine in steered_proxy(zmq, ctx):
                    tasks.start_soon(awaiting, coroutine)

    anyio.run(main, backend=runner)


def test_the_proxy_as_a_coroutine_on_curio() -> None:
    curio = pytest.importorskip("curio")
    import zmtp_curio as zmq  # noqa: PLC0415

    async def main() -> None:
        async with zmq.Context() as ctx, curio.timeout_after(10):
            tasks = [await curio.spawn(c) for c in steered_proxy(zmq, ctx)]
            for task in tasks:
                await task.join()

    curio.run(main)
