"""pyzmq's API beyond sending and receiving, on every backend: names, enums,
versions, options by every spelling, the calls pyzmq programs use, and what
happens to sockets and contexts that are dropped."""

from __future__ import annotations

import errno
import gc
import importlib
import json
import select
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import zmtp_selectors
from zmtp_core import DebugCounters

from backends import TrackedContext
from peers import require_pyzmq


def pair(ctx: TrackedContext, zmtp: ModuleType, kind: str = "PAIR") -> tuple[Any, Any]:
    a, b = ctx.socket(getattr(zmtp, kind)), ctx.socket(getattr(zmtp, kind))
    a.bind("tcp://127.0.0.1:*")
    b.connect(a.last_endpoint)  # (bytes, as pyzmq takes them)
    return a, b


# -- the namespace ----------------------------------------------------------------------


def test_every_pyzmq_constant_and_enum_has_pyzmqs_value() -> None:
    zmq = require_pyzmq()
    for name in dir(zmq):
        value = getattr(zmq, name)
        if name.isupper() and isinstance(value, int) and name not in ("COPY_THRESHOLD",):
            if name in ("DRAFT_API", "PYZMQ_DRAFT_API"):
                continue
            assert getattr(zmtp_selectors, name) == value, name
    for enum in ("SocketType", "SocketOption", "ContextOption", "Event", "Errno", "Flag"):
        ours, theirs = getattr(zmtp_selectors, enum), getattr(zmq, enum)
        assert {k: int(v) for k, v in ours.__members__.items()} == {
            k: int(v) for k, v in theirs.__members__.items()
        }
    assert zmtp_selectors.EVENT_ALL == 0xFFFF and zmtp_selectors.EVENT_MONITOR_STOPPED == 1024


def test_versions_capabilities_and_errors_as_pyzmq_reports_them() -> None:
    zmq = zmtp_selectors
    assert zmq.zmq_version_info() >= (4, 3) and zmq.zmq_version() == ".".join(
        map(str, zmq.zmq_version_info())
    )
    assert zmq.pyzmq_version_info() >= (26,) and isinstance(zmq.pyzmq_version(), str)
    assert zmq.has("ipc") and not zmq.has("pgm") and zmq.has("draft") and zmq.DRAFT_API
    assert all(map(zmq.has, ["ws", "wss", "WS", "WSS"]))  # (libzmq 4.3 said "WS")
    assert zmq.strerror(zmq.EFSM) == "Operation cannot be accomplished in current state"
    assert zmq.strerror(zmq.EAGAIN) == "Resource temporarily unavailable"
    assert issubclass(zmq.ZMQError, zmq.ZMQBaseError) and issubclass(zmq.Again, zmq.ZMQError)
    assert issubclass(zmq.InterruptedSystemCall, InterruptedError)
    assert zmq.IPC_PATH_MAX_LEN == 107


# -- sockets ------------------------------------------------------------------------


def test_string_options_types_and_unknown_attributes(ctx: TrackedContext, zmtp: ModuleType) -> None:
    sock = ctx.socket(zmtp.SUB)
    sock.setsockopt_string(zmtp.SUBSCRIBE, "topic")
    sock.setsockopt_string(zmtp.ROUTING_ID, "me")
    assert sock.getsockopt_string(zmtp.ROUTING_ID) == "me" == sock.get_string(zmtp.IDENTITY)
    with pytest.raises(TypeError, match="will not return a string"):
        sock.getsockopt_string(zmtp.LINGER)
    assert sock.type == zmtp.SUB and repr(sock.type) == "<SocketType.SUB: 2>"
    with pytest.raises(AttributeError, match="no such option: LINGR"):
        sock.lingr = 0  # a typo is refused, not kept
    sock.delay_attach_on_connect = 1  # pyzmq's other names for options
    assert sock.immediate == 1
    sock.set_hwm(7)
    assert sock.get_hwm() == sock.sndhwm == sock.rcvhwm == 7
    with pytest.raises(zmtp.ZMQError) as info:
        ctx.socket(99)  # no such type
    assert info.value.errno == zmtp.EINVAL


def test_socket_type_is_deprecated_as_in_pyzmq() -> None:
    with (
        zmtp_selectors.Context() as ctx,
        ctx.socket(zmtp_selectors.PUSH) as sock,
        pytest.warns(DeprecationWarning, match="use Socket.type"),
    ):
        assert sock.socket_type == zmtp_selectors.PUSH


def test_a_message_begun_with_sndmore_goes_on_in_send_multipart(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    a, b = pair(ctx, zmtp)
    a.send(b"1", zmtp.SNDMORE)
    a.send_multipart([b"2", b"3"])
    assert b.recv_multipart() == [b"1", b"2", b"3"]


def test_recv_into_and_serialized(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    a.send(b"hello world")
    buffer = bytearray(5)
    assert b.recv_into(buffer) == 11 and buffer == b"hello"  # the whole size, truncated
    a.send_multipart([b"q", b"rest"])
    small = bytearray(10)
    assert b.recv_into(small, nbytes=1) == 1 and b.rcvmore
    assert b.recv() == b"rest"
    a.send_serialized({"k": 1}, lambda obj: [repr(obj).encode()])
    assert b.recv_serialized(lambda frames: frames[0].decode()) == "{'k': 1}"


def test_context_options_and_socket_defaults(zmtp: ModuleType) -> None:
    with pytest.raises(zmtp.ZMQError):
        zmtp.Context(-1)
    context = TrackedContext(zmtp.Context())
    try:
        assert context.get(zmtp.IO_THREADS) == 1 and context.get(zmtp.SOCKET_LIMIT) == 65535
        context.set(zmtp.MAX_SOCKETS, 2)
        assert context.get(zmtp.MAX_SOCKETS) == 2
        context.setsockopt(zmtp.LINGER, 7)
        context.sndhwm = 5
        first = context.context.socket(zmtp.PUSH)  # (TrackedContext.socket sets LINGER 0)
        context.sockets.append(first)
        assert first.linger == 7 and first.sndhwm == 5  # inherited
        context.socket(zmtp.PULL)
        with pytest.raises(zmtp.ZMQError) as info:
            context.socket(zmtp.PULL)  # MAX_SOCKETS
        assert info.value.errno == errno.EMFILE
        with pytest.raises(AttributeError, match="no such option: BOGUS"):
            context.bogus = 1
    finally:
        context.close()


def test_a_socket_class_and_its_arguments() -> None:
    class Counted(zmtp_selectors.Socket):
        made = 0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            Counted.made += 1

    with zmtp_selectors.Context() as ctx:
        sock = ctx.socket(zmtp_selectors.PAIR, socket_class=Counted, copy_threshold=10)
        assert isinstance(sock, Counted) and Counted.made == 1 and sock.copy_threshold == 10
        sock.close()


def test_poller_membership_and_plain_descriptors_by_number(zmtp: ModuleType) -> None:
    import socket  # noqa: PLC0415

    context = TrackedContext(zmtp.Context())
    reader, writer = socket.socketpair()
    try:
        sock = context.socket(zmtp.PAIR)
        poller = zmtp.Poller()
        poller.register(sock, zmtp.POLLIN)
        poller.register(reader, zmtp.POLLIN)
        writer.send(b"x")
        assert sock in poller and reader in poller and writer not in poller
        assert dict(poller.poll(1000)) == {reader.fileno(): zmtp.POLLIN}  # pyzmq: the fd
    finally:
        reader.close()
        writer.close()
        context.close()


def test_frames_built_by_hand_as_pyzmqs() -> None:
    zmq = require_pyzmq()
    for lib in (zmq, zmtp_selectors):
        assert lib.Frame().bytes == b"" and lib.Frame(bytearray(b"ab")).bytes == b"ab"
        assert lib.Frame(b"x", copy=True, track=False).get(lib.MORE) == 0
        for bad in ("text", 5, object()):
            with pytest.raises(TypeError):
                lib.Frame(bad)
        with pytest.raises(lib.ZMQError):
            lib.Frame(b"x").get("No-Such-Property")
        for size in (3, 16, 17, 100):
            assert repr(zmtp_selectors.Frame(b"y" * size)) == repr(zmq.Frame(b"y" * size))
    for lib in (zmq, zmtp_selectors):  # pyzmq's rule: a copy below copy_threshold (64 KiB)
        small, large = bytearray(b"shared"), bytearray(b"z" * 70000)
        frames = lib.Frame(small), lib.Frame(large), lib.Frame(small, copy=False)
        small[0:1] = large[0:1] = b"S"
        assert [bytes(frame.buffer[:1]) for frame in frames] == [b"s", b"S", b"S"]
        assert not lib.Frame(b"x", copy=True).buffer.readonly


def test_received_frames_say_more(ctx: TrackedContext, zmtp: ModuleType) -> None:
    a, b = pair(ctx, zmtp)
    a.send_multipart([b"one", zmtp.Frame(b"two")])
    first, second = b.recv_multipart(copy=False)
    assert (first.more, first.get(zmtp.MORE), second.get(zmtp.MORE)) == (True, 1, 0)
    assert memoryview(second).tobytes() == b"two"  # (Python 3.11 too: the frame is a buffer)


def test_a_large_received_frame_is_the_buffer_it_was_read_into(
    ctx: TrackedContext, zmtp: ModuleType, debug_counters: DebugCounters
) -> None:
    a, b = pair(ctx, zmtp)
    a.send(b"x" * 8)  # (connected: the next one arrives whole)
    assert b.recv() == b"x" * 8
    payload = bytes(range(256)) * 1024
    debug_counters.reset()
    a.send(payload, copy=False)
    frame = b.recv(copy=False)
    assert isinstance(frame, zmtp.Frame) and not memoryview(frame).readonly
    assert memoryview(frame) == payload and frame.buffer is frame.buffer  # (3.11 too)
    assert frame["Socket-Type"] == "PAIR"  # pyzmq's frame[property]
    assert debug_counters.read_bytes_copied < 64 * 1024  # (what preceded the body only)


def test_frame_trackers_as_pyzmqs() -> None:
    zmq = require_pyzmq()
    for lib in (zmq, zmtp_selectors):
        tracked = lib.Frame(b"asdf", copy=False, track=True)
        other = lib.Frame(b"whoda", copy=False, track=True)
        both = lib.MessageTracker(tracked, other)
        assert not tracked.tracker.done and not both.done
        with pytest.raises(lib.NotDone):
            both.wait(0.01)
        with pytest.raises(ValueError, match="racked"):
            lib.MessageTracker(lib.Frame(b"untracked"))
        del tracked, other  # a frame's tracker is done once the frame is gone
        gc.collect()
        both.wait(5)
        assert both.done


def test_reprs_say_what_pyzmqs_say() -> None:
    ctx = zmtp_selectors.Context()
    sock = ctx.socket(zmtp_selectors.PUSH)
    assert repr(sock).startswith("<zmtp_selectors.Socket(zmtp_selectors.PUSH) at 0x")
    assert repr(ctx).startswith("<zmtp_selectors.Context(1 socket) at 0x")
    sock.close()
    assert repr(sock).endswith(" closed>")
    ctx.term()
    assert repr(ctx).endswith(" closed>")


# -- what is dropped ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["selectors", "asyncio"])
def test_a_dropped_socket_is_freed_closed_and_its_messages_still_leave(backend: str) -> None:
    """No reference cycle keeps a dropped socket: it is warned about and closed
    with its LINGER at once, its messages are delivered, then it is freed."""
    program = {
        "selectors": """
            import weakref, warnings
            import zmtp_selectors as zmq
            ctx = zmq.Context()
            pull = ctx.socket(zmq.PULL)
            pull.bind("tcp://127.0.0.1:*")
            push = ctx.socket(zmq.PUSH)
            push.connect(pull.last_endpoint)
            for n in range(2000):
                push.send(b"%d." % n + bytes(10_000))  # (more than the kernel holds)
            dropped = weakref.ref(push)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                del push
            assert any("unclosed socket" in str(w.message) for w in caught)
            del caught  # (a warning holds its source)
            assert dropped().closed  # (kept by its context while its messages leave)
            got = [pull.recv().split(b".")[0] for _ in range(2000)]
            assert got == [b"%d" % n for n in range(2000)]
            pull.close()
            ctx.term()  # (waits until nothing lingers, and for the I/O thread to end)
            assert dropped() is None  # then freed
            print("ok")
        """,
        "asyncio": """
            import asyncio, weakref, warnings
            import zmtp_asyncio as zmq
            async def main():
                ctx = zmq.Context()
                pull = ctx.socket(zmq.PULL)
                pull.bind("tcp://127.0.0.1:*")
                push = ctx.socket(zmq.PUSH)
                push.connect(pull.last_endpoint)
                for n in range(2000):
                    await push.send(b"%d." % n + bytes(10_000))  # (more than the kernel holds)
                dropped = weakref.ref(push)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    del push
                assert any("unclosed socket" in str(w.message) for w in caught)
                del caught  # (a warning holds its source)
                assert dropped().closed  # (kept by its context while its messages leave)
                got = [await asyncio.wait_for(pull.recv(), 10) for _ in range(2000)]
                got = [message.split(b".")[0] for message in got]
                assert got == [b"%d" % n for n in range(2000)]
                await asyncio.wait_for(ctx.wait_closed(), 10)
                assert dropped() is None  # then freed
                pull.close()
                ctx.term()
            asyncio.run(main())
            print("ok")
        """,
    }[backend]
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_program_that_ends_without_closing_still_delivers() -> None:
    """20,000 messages then END, and the program ends without close() or term()."""
    receiver = zmtp_selectors.Context()
    pull = receiver.socket(zmtp_selectors.PULL)
    pull.bind("tcp://127.0.0.1:*")
    program = f"""
        import zmtp_selectors as zmq
        push = zmq.Context().socket(zmq.PUSH)
        push.connect({pull.last_endpoint.decode()!r})
        for n in range(20000):
            push.send(b"%d" % n)
        push.send(b"END")
    """
    try:
        sender = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(program)],
            check=False,
            capture_output=True,
            timeout=60,
        )
        assert sender.returncode == 0, sender.stderr
        pull.rcvtimeo = 10_000
        received = [pull.recv() for _ in range(20001)]
        assert received[-1] == b"END" and len(set(received)) == 20001
    finally:
        pull.close()
        receiver.term()


def test_a_dropped_context_is_warned_about_and_destroyed() -> None:
    ctx = zmtp_selectors.Context()
    reactor = ctx._reactor
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del ctx
        gc.collect()
    assert any("unclosed context" in str(w.message) for w in caught)
    assert reactor._closing  # destroyed: its I/O thread is gone


# -- zmq.utils ----------------------------------------------------------------------------


@given(st.binary(max_size=64).map(lambda data: data[: len(data) // 4 * 4]))
def test_z85_round_trips_as_pyzmqs(data: bytes) -> None:
    from zmtp_selectors.utils import z85  # noqa: PLC0415

    zmq = require_pyzmq()
    text = z85.encode(data)
    assert text == importlib.import_module(f"{zmq.__name__}.utils.z85").encode(data)
    assert z85.decode(text) == data


def test_z85_refuses_what_it_cannot_stand_for() -> None:
    from zmtp_selectors.utils import z85  # noqa: PLC0415

    assert z85.encode(bytes.fromhex("864FD26FB559F75B")) == b"HelloWorld"  # RFC 32's vector
    assert z85.decode("HelloWorld") == bytes.fromhex("864FD26FB559F75B")
    for bad, why in ((b"abc", "5-character"), (b"Hello~orld", "not a Z85"), (b"#####", "32 bits")):
        with pytest.raises(ValueError, match=why):
            z85.decode(bad)
    with pytest.raises(ValueError, match="4-byte"):
        z85.encode(b"odd")


def test_the_utils_modules_are_under_every_backend() -> None:
    for backend in ("selectors", "asyncio", "anyio", "curio"):
        package = f"zmtp_{backend}.utils"
        jsonapi = importlib.import_module(f"{package}.jsonapi")
        assert jsonapi.loads(jsonapi.dumps({"a": [1, "é"]})) == {"a": [1, "é"]}
        assert jsonapi.dumps("é") == b'"\\u00e9"'
        with importlib.import_module(f"{package}.win32").allow_interrupt(lambda: None):
            pass
        assert importlib.import_module(f"{package}.z85").encode(b"\0" * 4) == b"00000"
        assert callable(importlib.import_module(f"{package}.monitor").recv_monitor_message)


# -- Socket.FD ----------------------------------------------------------------------------


def wait_for_events(sock: Any, wanted: int, timeout: float = 5.0) -> int:
    """How an event loop uses FD: wait for it, read EVENTS, until ``wanted`` shows."""
    deadline = time.monotonic() + timeout
    watcher = select.poll()
    watcher.register(sock.FD, select.POLLIN)
    while time.monotonic() < deadline:
        events = sock.EVENTS
        if events & wanted:
            return int(events)
        watcher.poll(max(0, deadline - time.monotonic()) * 1000)
    raise AssertionError("FD never announced the event")


@pytest.mark.parametrize("transport", ["tcp", "ipc", "inproc"])
def test_fd_is_an_edge_triggered_descriptor_another_loop_can_poll(
    transport: str, tmp_path: Any
) -> None:
    zmq = zmtp_selectors
    ctx = TrackedContext(zmq.Context())
    try:
        pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
        address = {
            "tcp": "tcp://127.0.0.1:*",
            "ipc": f"ipc://{tmp_path}/fd",
            "inproc": "inproc://fd",
        }
        pull.bind(address[transport])
        push.connect(pull.last_endpoint)
        assert pull.fileno() == pull.FD == pull.getsockopt(zmq.FD) and hasattr(pull, "FD")
        assert wait_for_events(push, zmq.POLLOUT) & zmq.POLLOUT
        assert pull.EVENTS == 0
        watcher = select.poll()
        watcher.register(pull.FD, select.POLLIN)
        assert watcher.poll(0) == []  # cleared by reading EVENTS
        sender = threading.Timer(0.05, push.send_multipart, ([b"a", b"b"],))
        sender.start()
        assert wait_for_events(pull, zmq.POLLIN) == zmq.POLLIN
        assert pull.recv_multipart(zmq.NOBLOCK) == [b"a", b"b"]
        assert pull.EVENTS == 0 and watcher.poll(0) == []
        sender.join()
    finally:
        ctx.close()


def test_fd_on_an_asyncio_loop() -> None:
    import asyncio  # noqa: PLC0415

    import zmtp_asyncio as zmq  # noqa: PLC0415

    async def main() -> None:
        ctx = zmq.Context()
        try:
            pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
            pull.bind("tcp://127.0.0.1:*")
            push.connect(pull.last_endpoint)
            loop = asyncio.get_running_loop()
            arrived = asyncio.Event()

            def on_fd() -> None:
                if pull.EVENTS & zmq.POLLIN:
                    arrived.set()

            loop.add_reader(pull.FD, on_fd)
            try:
                await push.send(b"over the fd")
                await asyncio.wait_for(arrived.wait(), 5)
            finally:
                loop.remove_reader(pull.FD)
            assert await pull.recv(zmq.NOBLOCK) == b"over the fd"
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


def test_a_closed_listeners_port_can_be_bound_again_at_once(
    ctx: TrackedContext, zmtp: ModuleType
) -> None:
    for _ in range(20):  # (the close and the bind race: try it often)
        first = ctx.socket(zmtp.REP)
        first.bind("tcp://127.0.0.1:*")
        endpoint = first.last_endpoint
        first.close(linger=0)
        again = ctx.socket(zmtp.REP)
        again.bind(endpoint)
        again.close(linger=0)


def test_the_rest_of_pyzmqs_top_level_names() -> None:
    zmq = zmtp_selectors
    assert (zmq.SyncContext, zmq.SyncSocket) == (zmq.Context, zmq.Socket)
    with pytest.warns(DeprecationWarning, match="Stopwatch"):
        watch = zmq.Stopwatch()
    watch.start()
    assert watch.stop() >= 0


def test_log_records_published_as_pyzmqs_pubhandler_does() -> None:
    import logging  # noqa: PLC0415

    zmq = require_pyzmq()
    seen = []
    for lib in (zmq, zmtp_selectors):
        handlers = importlib.import_module(f"{lib.__name__}.log.handlers")
        ctx = TrackedContext(lib.Context())
        try:
            publisher = ctx.socket(lib.PUB)
            publisher.bind("inproc://log")
            handler = handlers.PUBHandler(publisher, root_topic="app")
            handler.setFormatter(logging.Formatter("%(levelname)s|%(message)s"), logging.WARNING)
            logger = logging.getLogger(f"pubhandler-test-{lib.__name__}")
            logger.propagate = False
            logger.addHandler(handler)
            listener = ctx.socket(lib.SUB)
            listener.subscribe(b"app")
            listener.connect("inproc://log")
            listener.rcvtimeo = 5000
            while not listener.poll(10):  # (a SUB joins late: log until it hears)
                logger.warning("db.pool::connection lost")
            seen.append(listener.recv_multipart())
            logger.removeHandler(handler)
        finally:
            ctx.close()
    assert seen[0] == seen[1] == [b"app.WARNING.db.pool", b"WARNING|connection lost"]


def test_a_tracker_made_by_hand_is_done() -> None:
    import asyncio  # noqa: PLC0415

    zmtp_selectors.MessageTracker().wait(0)  # (at once: it tracks nothing)
    assert zmtp_selectors.MessageTracker().done
    for backend in ("zmtp_asyncio", "zmtp_anyio", "zmtp_curio"):
        tracker = importlib.import_module(backend).MessageTracker()
        assert tracker.done
        asyncio.run(tracker.wait())


def test_a_message_published_right_after_a_subscription_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pyzmq's test_log publishes at once after subscribing, in one thread: the
    SUBSCRIBE is in the kernel, and the publisher reads it before it drops (here
    each time: the look is not rate-limited)."""
    monkeypatch.setattr("zmtp_transport._api.LATE_LOOK", 0.0)
    ctx = TrackedContext(zmtp_selectors.Context())
    try:
        pub, sub = ctx.socket(zmtp_selectors.PUB), ctx.socket(zmtp_selectors.SUB)
        pub.bind("tcp://127.0.0.1:*")
        sub.connect(pub.last_endpoint)
        sub.subscribe(b"warm")
        while not sub.poll(10):  # (until the connection and the first subscription are up)
            pub.send(b"warm-up")
        sub.recv()
        for n in range(20):
            sub.subscribe(b"late %d" % n)
            pub.send(b"late %d" % n)
            assert sub.recv() == b"late %d" % n
    finally:
        ctx.close()


def test_curve_keygen_takes_a_secret_that_starts_with_a_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One Z85 secret in 85 starts with "-", which argparse would read as an option
    (pyzmq's own keygen fails then: its test of --secret is flaky for it)."""
    from zmtp_core.curve import z85_encode  # noqa: PLC0415
    from zmtp_selectors.curve_keygen import main  # noqa: PLC0415

    secret = z85_encode((63 * 85**4).to_bytes(4, "big") + bytes(range(28)))  # (63: "-")
    assert secret.startswith(b"-")
    assert main(["--secret", secret.decode(), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    public = zmtp_selectors.curve_public(secret).decode()
    assert printed == {"public": public, "secret": secret.decode()}
