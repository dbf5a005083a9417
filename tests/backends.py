"""The backends under test, behind pyzmq's synchronous API.

The conformance tests are written once against ``zmq``-like modules: pyzmq
itself (the reference peer) and each zmtp backend. A backend whose API is
asynchronous joins through :class:`AsyncFacade`: an event loop runs in a helper
thread and every call is carried out there (coroutines awaited), so the tests
exercise the backend's own async API.
"""

from __future__ import annotations

import asyncio
import importlib
import tempfile
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from types import ModuleType
from typing import Any, ClassVar

BACKENDS = ["selectors", "green", "asyncio", "anyio+asyncio", "anyio+trio", "curio"]

#: How long a facade waits for one call before declaring the backend stuck.
CALL_TIMEOUT = 30.0


def load(name: str) -> Any:
    """A backend by name: "selectors", "asyncio", "asyncio+uvloop", "anyio+trio"..."""
    package, _, flavour = name.partition("+")
    if package == "green":
        return GreenFacade.shared(importlib.import_module("zmtp_selectors.green"))
    module = importlib.import_module(f"zmtp_{package}")
    if package == "asyncio":
        return AsyncioFacade.shared(module, flavour)
    if package == "anyio":
        return AnyioFacade.shared(module, flavour)
    if package == "curio":
        return CurioFacade.shared(module)
    return module


class AsyncFacade:
    """An async backend module, presented with pyzmq's blocking API.

    Subclasses say how a call reaches the event loop's thread.
    """

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.__name__ = module.__name__
        facade = self

        class Context(_Context):
            _facade = facade

        class Poller(_Poller):
            _facade = facade

        self.Context = Context
        self.Poller = Poller

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)  # constants, errors, Frame...

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a plain function on the loop thread."""

        async def run() -> Any:
            return function(*args, **kwargs)

        return self.run(run())

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Await a coroutine on the loop thread."""
        raise NotImplementedError

    def wait_for(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call one of the backend's waiting methods (a coroutine function) on the loop."""

        async def on_the_loop() -> Any:  # (zmq.asyncio's calls start at once)
            return await function(*args, **kwargs)

        return self.run(on_the_loop())

    def terminate(self, context: Any) -> None:
        self.call(context.term)
        self.run(context.wait_closed())

    def open_context(self, io_threads: int = 1) -> tuple[Any, Callable[[], None]]:
        """A new backend Context, and what to call once it is terminated."""
        return self.module.Context(io_threads), lambda: None

    @property
    def MessageTracker(self) -> type:
        return _Tracker


class AsyncioFacade(AsyncFacade):
    """zmtp_asyncio, its loop (asyncio's or uvloop's) running in a helper thread."""

    _shared: ClassVar[dict[str, AsyncioFacade]] = {}

    def __init__(
        self, module: ModuleType, new_loop: Callable[[], asyncio.AbstractEventLoop] | None = None
    ) -> None:
        super().__init__(module)
        self.loop = (new_loop or asyncio.new_event_loop)()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="facade")
        self._thread.start()

    @classmethod
    def shared(cls, module: ModuleType, flavour: str = "") -> AsyncioFacade:
        """One loop thread per flavour for the whole session (a thread per test would count)."""
        key = f"{module.__name__}+{flavour}"
        if key not in cls._shared:
            new_loop = None
            if flavour == "uvloop":
                import uvloop  # noqa: PLC0415 - only where uvloop is asked for

                new_loop = uvloop.new_event_loop
            cls._shared[key] = cls(module, new_loop)
        return cls._shared[key]

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CALL_TIMEOUT)


class AnyioFacade(AsyncFacade):
    """zmtp_anyio on trio or asyncio, through an anyio blocking portal's thread.

    A zmtp_anyio Context lives inside ``async with``: a task of the portal holds
    it open until the test terminates it.
    """

    _shared: ClassVar[dict[str, AnyioFacade]] = {}

    def __init__(self, module: ModuleType, backend: str) -> None:
        super().__init__(module)
        import anyio.from_thread  # noqa: PLC0415 - only for the anyio backend

        self._portal_manager = anyio.from_thread.start_blocking_portal(backend)
        self.portal = self._portal_manager.__enter__()

    @classmethod
    def shared(cls, module: ModuleType, backend: str) -> AnyioFacade:
        if backend not in cls._shared:
            cls._shared[backend] = cls(module, backend)
        return cls._shared[backend]

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        async def awaited() -> Any:
            return await coroutine

        return self.portal.start_task_soon(awaited).result(CALL_TIMEOUT)

    def open_context(self, io_threads: int = 1) -> tuple[Any, Callable[[], None]]:
        import anyio  # noqa: PLC0415

        async def hold(left: anyio.Event, *, task_status: Any) -> None:
            async with self.module.Context(io_threads) as ctx:
                task_status.started(ctx)
                await left.wait()

        left = self.portal.call(anyio.Event)
        held, ctx = self.portal.start_task(hold, left)

        def leave() -> None:
            self.portal.call(left.set)
            held.result(CALL_TIMEOUT)

        return ctx, leave


class CurioFacade(AsyncFacade):
    """zmtp_curio, its kernel running in a helper thread that takes calls from a queue.

    A zmtp_curio Context lives inside ``async with``: a task holds it open until
    the test terminates it.
    """

    _shared: ClassVar[CurioFacade | None] = None

    def __init__(self, module: ModuleType) -> None:
        super().__init__(module)
        import curio  # noqa: PLC0415 - only for the curio backend

        self._curio = curio
        self._requests: Any = curio.UniversalQueue()
        self._thread = threading.Thread(target=curio.run, args=(self._serve,), daemon=True)
        self._thread.start()

    @classmethod
    def shared(cls, module: ModuleType) -> CurioFacade:
        if cls._shared is None:
            cls._shared = cls(module)
        return cls._shared

    async def _serve(self) -> None:
        async with self._curio.TaskGroup(wait=None) as calls:
            while True:
                coroutine, future = await self._requests.get()
                await calls.spawn(self._call, coroutine, future)

    @staticmethod
    async def _call(coroutine: Coroutine[Any, Any, Any], future: Future[Any]) -> None:
        try:
            future.set_result(await coroutine)
        except BaseException as error:  # (the test thread gets it back)
            future.set_exception(error)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        future: Future[Any] = Future()
        self._requests.put((coroutine, future))
        return future.result(CALL_TIMEOUT)

    def open_context(self, io_threads: int = 1) -> tuple[Any, Callable[[], None]]:
        curio = self._curio
        opened: Future[Any] = Future()
        left = curio.UniversalEvent()

        async def hold() -> None:
            try:
                context = self.module.Context(io_threads)
            except Exception as error:
                opened.set_exception(error)
                return
            async with context as ctx:
                opened.set_result(ctx)
                await left.wait()

        done: Future[Any] = Future()
        self._requests.put((hold(), done))
        ctx = opened.result(CALL_TIMEOUT)

        def leave() -> None:
            left.set()
            done.result(CALL_TIMEOUT)

        return ctx, leave


class GreenFacade(AsyncFacade):
    """zmtp_selectors.green, its hub running in a helper thread; each call is a greenlet
    there, so a blocked call blocks that greenlet only (as in a gevent program)."""

    _shared: ClassVar[GreenFacade | None] = None

    def __init__(self, module: ModuleType) -> None:
        super().__init__(module)
        import gevent  # noqa: PLC0415 - only for the green backend

        self._gevent = gevent
        running: Future[Any] = Future()
        self._thread = threading.Thread(target=self._serve, args=(running,), daemon=True)
        self._thread.start()
        self._loop = running.result(CALL_TIMEOUT)

    @classmethod
    def shared(cls, module: ModuleType) -> GreenFacade:
        if cls._shared is None:
            cls._shared = cls(module)
        return cls._shared

    def _serve(self, running: Future[Any]) -> None:
        hub = self._gevent.get_hub()
        alive = hub.loop.async_()  # (an active watcher: the hub never runs out of work)
        alive.start(lambda: None)
        running.set_result(hub.loop)
        hub.join()

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        future: Future[Any] = Future()

        def greenlet() -> None:
            try:
                future.set_result(function(*args, **kwargs))
            except BaseException as error:  # (the test thread gets it back)
                future.set_exception(error)

        self._loop.run_callback_threadsafe(self._gevent.spawn, greenlet)
        return future.result(CALL_TIMEOUT)

    wait_for = call

    def open_context(self, io_threads: int = 1) -> tuple[Any, Callable[[], None]]:
        return self.call(self.module.Context, io_threads), lambda: None  # (on the hub's thread)

    def terminate(self, context: Any) -> None:
        self.call(context.term)  # (which waits until every socket is closed)


class _Tracker:
    def __init__(self, facade: AsyncFacade, tracker: Any) -> None:
        self._facade, self._tracker = facade, tracker

    @property
    def done(self) -> bool:
        return bool(self._tracker.done)

    @property
    def dropped(self) -> bool:
        return bool(self._tracker.dropped)

    def wait(self, timeout: float = -1) -> None:
        self._facade.wait_for(self._tracker.wait, timeout)


class _Context:
    _facade: AsyncFacade
    _instance: _Context | None = None

    def __init__(self, io_threads: int = 1) -> None:
        context, leave = self._facade.open_context(io_threads)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_leave", leave)

    def __getattr__(self, name: str) -> Any:  # set, get, options as attributes...
        value = self._facade.call(getattr, self._context, name)
        if callable(value):
            return lambda *args, **kwargs: self._facade.call(value, *args, **kwargs)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._facade.call(setattr, self._context, name, value)

    @classmethod
    def instance(cls) -> _Context:
        if cls._instance is None or cls._instance.closed:
            cls._instance = cls()
        return cls._instance

    @property
    def closed(self) -> bool:
        return bool(self._context.closed)

    def socket(self, kind: Any, **kwargs: Any) -> _Socket:
        return _Socket(self._facade, self._facade.call(self._context.socket, kind, **kwargs))

    def term(self) -> None:
        self._facade.terminate(self._context)
        self._leave()

    def destroy(self, linger: int | None = None) -> None:
        self._facade.call(self._context.destroy, linger)
        self.term()

    def __enter__(self) -> _Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()


_AWAITED = {
    "send",
    "send_multipart",
    "send_string",
    "send_json",
    "send_pyobj",
    "recv",
    "recv_multipart",
    "recv_string",
    "recv_json",
    "recv_pyobj",
    "recv_into",
    "send_serialized",
    "recv_serialized",
    "poll",
}


class _Socket:
    def __init__(self, facade: AsyncFacade, socket: Any) -> None:
        object.__setattr__(self, "_facade", facade)
        object.__setattr__(self, "_socket", socket)

    def __getattr__(self, name: str) -> Any:
        facade, sock = self._facade, self._socket
        if name in _AWAITED:
            waiting_method = getattr(sock, name)

            def awaited(*args: Any, **kwargs: Any) -> Any:
                result = facade.wait_for(waiting_method, *args, **kwargs)
                is_tracker = isinstance(result, facade.module.MessageTracker)
                return _Tracker(facade, result) if is_tracker else result

            return awaited
        if callable(getattr(type(sock), name, None)):  # a plain method
            method = getattr(sock, name)

            def call(*args: Any, **kwargs: Any) -> Any:
                result = facade.call(method, *args, **kwargs)
                is_socket = isinstance(result, facade.module.Socket)  # get_monitor_socket()
                return _Socket(facade, result) if is_socket else result

            return call
        return facade.call(getattr, sock, name)  # an option or a property

    def __setattr__(self, name: str, value: Any) -> None:
        self._facade.call(setattr, self._socket, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Socket) and other._socket is self._socket

    def __hash__(self) -> int:
        return id(self._socket)

    def __repr__(self) -> str:
        return f"<facade {self._socket!r}>"


class _Poller:
    _facade: AsyncFacade

    def __init__(self) -> None:
        self._poller = self._facade.module.Poller()
        self._wrapped: dict[int, Any] = {}

    def _inner(self, sock: Any) -> Any:
        if isinstance(sock, _Socket):
            self._wrapped[id(sock._socket)] = sock
            return sock._socket
        self._wrapped[id(sock)] = sock
        return sock

    def register(self, sock: Any, flags: int = 3) -> None:
        self._poller.register(self._inner(sock), flags)

    def __contains__(self, sock: Any) -> bool:
        return (sock._socket if isinstance(sock, _Socket) else sock) in self._poller

    def modify(self, sock: Any, flags: int = 3) -> None:
        self._poller.modify(self._inner(sock), flags)

    def unregister(self, sock: Any) -> None:
        self._poller.unregister(self._inner(sock))

    def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        ready = self._facade.wait_for(self._poller.poll, timeout)
        return [(self._wrapped.get(id(sock), sock), events) for sock, events in ready]


def configure(sock: Any, timeout_ms: int = 5000) -> Any:
    """Bounded waits and no lingering: tests must never hang."""
    sock.linger = 0
    sock.rcvtimeo = timeout_ms
    sock.sndtimeo = timeout_ms
    return sock


def endpoint_pair(transport: str, binder: Any) -> str:
    """Bind ``binder`` on a fresh loopback endpoint and return what to connect to."""
    if transport == "tcp":
        binder.bind("tcp://127.0.0.1:*")
        return str(binder.last_endpoint.decode())
    if transport == "tcp6":
        binder.ipv6 = True
        binder.bind("tcp://[::1]:*")
        return str(binder.last_endpoint.decode())
    if transport == "ipc":
        path = tempfile.mktemp(prefix="zmtp-test-", dir="/tmp")
        binder.bind(f"ipc://{path}")
        return f"ipc://{path}"
    raise ValueError(transport)


class TrackedContext:
    """A context whose sockets are all closed at teardown, even when a test fails.

    pyzmq warns (an error under our warning filter) about a socket collected
    unclosed, and a test that fails halfway must not leak sockets either.
    """

    def __init__(self, context: Any) -> None:
        object.__setattr__(self, "context", context)
        object.__setattr__(self, "sockets", [])

    def socket(self, kind: Any) -> Any:
        sock = configure(self.context.socket(kind))
        self.sockets.append(sock)
        return sock

    def __getattr__(self, name: str) -> Any:  # the context's own: set, get, options...
        return getattr(self.context, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.context, name, value)

    def close(self) -> None:
        for sock in self.sockets:
            if not sock.closed:
                sock.close(linger=0)
        self.context.term()
