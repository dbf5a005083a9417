"""pyzmq's shadows: one socket (or context) behind several Python objects, of one
backend or of two (jupyter_client wraps an asyncio socket in a blocking one to
send, and a blocking one in an asyncio one to wait)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import zmtp_anyio
import zmtp_asyncio
import zmtp_curio
import zmtp_selectors as zmq

from backends import TrackedContext


@pytest.fixture
def ctx() -> Iterator[Any]:
    context = TrackedContext(zmq.Context())
    yield context
    context.close()


def push_pull(ctx: Any) -> tuple[Any, Any]:
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.bind("tcp://127.0.0.1:*")
    push.connect(pull.last_endpoint)
    return push, pull


def test_a_shadow_is_the_same_socket(ctx: Any) -> None:
    push, pull = push_pull(ctx)
    views = [zmq.Socket.shadow(pull.underlying), zmq.Socket(pull), copy.copy(pull)]
    views.append(copy.deepcopy(pull))
    for view in views:
        assert type(view) is zmq.Socket and view._shadow and not pull._shadow
        assert view.underlying == pull.underlying and view.context is ctx.context
    assert views[0]._shadow_obj == pull.underlying and views[1]._shadow_obj is pull
    views[0].rcvhwm = 77  # an option set on a view is the socket's
    assert pull.rcvhwm == 77
    push.send(b"through a view")
    assert views[1].recv() == b"through a view"
    del views[2:]  # dropping a view closes nothing
    assert not pull.closed
    views[0].close()  # closing one closes the socket
    assert pull.closed and views[1].closed


def test_a_shadow_context_makes_sockets_of_the_same_context() -> None:
    ctx = zmq.Context()
    view = zmq.Context.shadow(ctx.underlying)
    assert view.underlying == ctx.underlying and copy.copy(ctx)._shadow
    with view.socket(zmq.PUB) as sock:
        assert sock.context is ctx
    assert sock.closed
    del view
    assert not ctx.closed
    view = zmq.Context(ctx)
    ctx.term()
    with pytest.raises(zmq.ZMQError) as raised:
        view.socket(zmq.PUB)
    assert raised.value.errno == zmq.EFAULT  # (pyzmq's, for a shadow of a context gone)


def test_an_asyncio_view_of_a_blocking_socket_waits_on_the_loop(ctx: Any) -> None:
    push, pull = push_pull(ctx)

    async def main() -> None:
        view = zmtp_asyncio.Socket.shadow(pull.underlying)
        assert isinstance(view, zmtp_asyncio.Socket) and view.type == zmq.PULL
        waiting = asyncio.ensure_future(view.recv_multipart())
        await asyncio.sleep(0.01)
        assert not waiting.done()
        push.send_multipart([b"sent", b"later"])  # (the blocking socket's thread reads it)
        assert await asyncio.wait_for(waiting, 5) == [b"sent", b"later"]
        assert await view.poll(10) == 0
        view.close()
        assert pull.closed

    asyncio.run(main())


def test_a_blocking_view_of_an_asyncio_socket_on_its_loop() -> None:
    """What jupyter_client's Session does: send and receive (NOBLOCK) through
    ``zmq.Socket.shadow(async_socket.underlying)``, on the loop's thread."""

    async def main() -> None:
        async with zmtp_asyncio.Context() as actx:
            router, dealer = actx.socket(zmq.ROUTER), actx.socket(zmq.DEALER)
            router.bind("tcp://127.0.0.1:*")
            dealer.connect(router.last_endpoint)
            blocking_dealer = zmq.Socket.shadow(dealer.underlying)
            blocking_router = zmq.Socket(router)
            blocking_dealer.send_multipart([b"hello", b"world"])
            identity, *message = await asyncio.wait_for(router.recv_multipart(), 5)
            assert message == [b"hello", b"world"]
            await router.send_multipart([identity, b"reply"])
            while True:
                try:
                    assert blocking_dealer.recv(zmq.NOBLOCK) == b"reply"
                    break
                except zmq.Again:
                    await asyncio.sleep(0.001)
            with pytest.raises(zmq.Again):
                blocking_router.recv(zmq.NOBLOCK)
            for sock in (router, dealer):
                sock.close(linger=0)

    asyncio.run(main())


def test_a_socket_class_of_another_backend_gives_a_view(ctx: Any) -> None:
    sock = ctx.context.socket(zmq.PUSH, socket_class=zmtp_asyncio.Socket)
    assert type(sock) is zmtp_asyncio.Socket and sock._shadow
    assert isinstance(sock._original, zmq.Socket)  # (made by the context's own backend)

    async def main() -> None:
        async with zmtp_asyncio.Context() as actx:
            blocking = actx.socket(zmq.PAIR, socket_class=zmq.Socket)
            assert type(blocking) is zmq.Socket and blocking.context is actx
            blocking.close()

    asyncio.run(main())
    sock.close()


@pytest.mark.parametrize("runner", ["asyncio", "trio", "curio"])
def test_anyio_and_curio_views_of_a_blocking_socket(ctx: Any, runner: str) -> None:
    push, pull = push_pull(ctx)
    push.send(b"ready")

    async def receive(view: Any) -> Any:
        data = await view.recv()
        assert await view.poll(0) == 0
        return data

    if runner == "curio":
        curio = pytest.importorskip("curio")

        async def with_curio() -> Any:
            return await curio.timeout_after(5, receive(zmtp_curio.Socket(pull)))

        assert curio.run(with_curio) == b"ready"
    else:
        import anyio  # noqa: PLC0415

        async def with_anyio() -> Any:
            with anyio.fail_after(5):
                return await receive(zmtp_anyio.Socket.shadow(pull.underlying))

        assert anyio.run(with_anyio, backend=runner) == b"ready"


def test_the_thread_authenticator_serves_an_asyncio_context(tmp_path: Path) -> None:
    """pyzmq's own auth tests pass zmq.asyncio contexts to its ThreadAuthenticator."""
    from zmtp_selectors.auth.thread import ThreadAuthenticator  # noqa: PLC0415

    async def main() -> None:
        async with zmtp_asyncio.Context() as actx:
            auth = ThreadAuthenticator(actx)
            auth.start()
            auth.configure_plain(passwords={"admin": "secret"})
            server, client = actx.socket(zmq.PULL), actx.socket(zmq.PUSH)
            server.plain_server = True
            server.bind("tcp://127.0.0.1:*")
            client.plain_username, client.plain_password = b"admin", b"secret"
            client.connect(server.last_endpoint)
            await client.send(b"authenticated")
            assert await asyncio.wait_for(server.recv(), 5) == b"authenticated"
            assert auth.is_alive()
            auth.stop()
            for sock in (server, client):
                sock.close(linger=0)

    asyncio.run(main())
