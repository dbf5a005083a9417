"""ZMQStream on tornado's IOLoop: each scenario on pyzmq's zmq.eventloop and on
ours, with a pyzmq peer, must give the same results."""

from __future__ import annotations

import asyncio
import importlib
import warnings
from types import ModuleType
from typing import Any

import pytest

import zmtp_selectors

from peers import require_pyzmq

pytest.importorskip("tornado")


@pytest.fixture(params=["pyzmq", "zmtp"])
def lib(request: pytest.FixtureRequest) -> ModuleType:
    pyzmq = require_pyzmq()
    return pyzmq if request.param == "pyzmq" else zmtp_selectors


def zmqstream(lib: ModuleType) -> Any:
    return importlib.import_module(f"{lib.__name__}.eventloop.zmqstream")


def test_an_echo_server_on_callbacks(lib: ModuleType) -> None:
    pyzmq = require_pyzmq()
    log: list[Any] = []

    async def main() -> None:
        ctx, peers = lib.Context(), pyzmq.Context()
        try:
            server = zmqstream(lib).ZMQStream(ctx.socket(lib.ROUTER))
            port = server.bind_to_random_port("tcp://127.0.0.1")
            server.on_recv_stream(lambda stream, message: stream.send_multipart(message))
            server.on_send(lambda message, status: log.append(("sent", message[1:])))
            server.set_close_callback(lambda: log.append("closed"))
            client = peers.socket(pyzmq.DEALER)
            client.connect(f"tcp://127.0.0.1:{port}")
            for n in range(100):
                client.send_multipart([b"echo", b"%d" % n])
            replies: list[list[bytes]] = []
            while len(replies) < 100:  # (the client is blocking: poll it without blocking the loop)
                if client.poll(0):
                    replies.append(client.recv_multipart())
                else:
                    await asyncio.sleep(0.001)
            assert replies == [[b"echo", b"%d" % n] for n in range(100)]
            assert server.receiving() and not server.sending()
            server.close(linger=0)
            assert server.closed()
            client.close(linger=0)
        finally:
            ctx.destroy(linger=0)
            peers.destroy(linger=0)

    asyncio.run(asyncio.wait_for(main(), 10))
    assert log[:2] == [("sent", [b"echo", b"0"]), ("sent", [b"echo", b"1"])]
    assert len(log) == 101 and log[-1] == "closed"


def test_waiting_messages_reach_a_late_callback_and_flush_drops_them(lib: ModuleType) -> None:
    async def main() -> None:
        ctx = lib.Context()
        try:
            pull, push = ctx.socket(lib.PULL), ctx.socket(lib.PUSH)
            pull.bind("inproc://late")
            push.connect("inproc://late")
            stream = zmqstream(lib).ZMQStream(pull)
            for n in range(3):
                push.send(b"%d" % n)
            await asyncio.sleep(0)
            got: asyncio.Queue[list[bytes]] = asyncio.Queue()

            async def handler(message: list[bytes]) -> None:  # a coroutine callback runs too
                await got.put(message)

            stream.on_recv(handler)
            assert [await got.get() for _ in range(3)] == [[b"0"], [b"1"], [b"2"]]
            stream.stop_on_recv()
            for _ in range(2):
                push.send(b"dropped")
            while pull.poll(0) == 0:
                await asyncio.sleep(0.001)
            assert stream.flush(lib.POLLIN) == 2 and got.empty()
            stream.close(linger=0)
            push.close(linger=0)
        finally:
            ctx.destroy(linger=0)

    asyncio.run(asyncio.wait_for(main(), 10))


def test_the_deprecated_ioloop_module() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ioloop = importlib.import_module("zmtp_selectors.eventloop.ioloop")
    from tornado.ioloop import IOLoop  # noqa: PLC0415

    assert ioloop.IOLoop is IOLoop and ioloop.ZMQIOLoop is IOLoop
    with pytest.warns(DeprecationWarning, match="not needed"):
        ioloop.install()
