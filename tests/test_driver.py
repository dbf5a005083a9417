"""zmtp_transport's Driver on its own: a hand-turned fake loop over real socket pairs.

No backend and no thread: the test turns the loop (a zero-timeout ``select``
over the watched sockets, then the timers due on a fake clock), and the peer
is a bare core Connection on the other end of a ``socketpair``.
"""

from __future__ import annotations

import os
import select
import socket
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zmtp_core import SocketEngine, parse_endpoint
from zmtp_core.connection import Connection, Event, HandshakeComplete, Message
from zmtp_transport import Driver

from wire import drain


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """The Loop protocol, turned by hand; time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.watched: dict[socket.socket, tuple[bool, bool, Callable[[bool, bool], None]]] = {}
        self.timers: list[FakeTimer] = []
        self.released: list[socket.socket] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(when, callback)
        self.timers.append(timer)
        return timer

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: Any) -> None:
        if read or write:
            self.watched[sock] = (read, write, handler)
        else:
            self.watched.pop(sock, None)

    def settle(self) -> bool:
        return False

    def release(self, sock: socket.socket) -> None:
        self.watched.pop(sock, None)
        self.released.append(sock)
        sock.close()

    def turn(self) -> None:
        """One loop iteration: readiness now, then the timers that are due."""
        items = list(self.watched.items())
        readers = [s for s, (r, _, _) in items if r]
        writers = [s for s, (_, w, _) in items if w]
        if readers or writers:
            readable, writable, _ = select.select(readers, writers, [], 0)
            for sock in set(readable) | set(writable):
                entry = self.watched.get(sock)
                if entry is not None:
                    entry[2](sock in readable, sock in writable)
        for timer in [t for t in self.timers if t.when <= self.now and not t.cancelled]:
            self.timers.remove(timer)
            timer.callback()
        self.timers = [t for t in self.timers if not t.cancelled]


class Peer:
    """A bare Connection on a blocking socket: the other end, driven by the test."""

    def __init__(self, sock: socket.socket, socket_type: str, **options: Any) -> None:
        self.sock = sock
        self.sock.settimeout(5)
        self.conn = Connection(socket_type, **options)
        self.flush()

    def flush(self) -> None:
        while self.conn.bytes_to_send:
            self.conn.sent(self.sock.sendmsg(self.conn.buffers_to_send()))

    def events(self, loop: FakeLoop, want: Callable[[list[Event]], bool]) -> list[Event]:
        """Turn the loop and read until ``want(events so far)``."""
        events: list[Event] = []
        self.sock.setblocking(False)
        try:
            for _ in range(2000):
                loop.turn()
                try:
                    view = self.conn.receive_buffer()
                    self.conn.received(self.sock.recv_into(view))
                except BlockingIOError:
                    pass
                events += drain(self.conn)
                self.flush()
                if want(events):
                    return events
        finally:
            self.sock.settimeout(5)
        raise AssertionError(f"never got what was wanted: {events}")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    yield ours, theirs
    ours.close()
    theirs.close()


def handshake(peer: Peer, engine: SocketEngine, loop: FakeLoop) -> None:
    """Both ends past their handshake."""
    peer.events(loop, lambda e: any(isinstance(x, HandshakeComplete) for x in e))
    for _ in range(100):
        if engine.links_ready():
            return
        loop.turn()
    raise AssertionError("our side never completed its handshake")


def served(socket_type: str, ours: socket.socket) -> tuple[SocketEngine, Driver, FakeLoop]:
    """An engine whose driver serves ``ours`` as if it had been accepted."""
    engine = SocketEngine(socket_type)
    loop = FakeLoop()
    driver = Driver(engine, loop, lambda: None)
    listener = engine.bind(parse_endpoint("ipc:///fake"), "ipc:///fake")
    engine.accepted(ours, listener)
    driver.service()
    return engine, driver, loop


def test_the_driver_carries_a_whole_exchange(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    engine, driver, loop = served("ROUTER", ours)
    peer = Peer(theirs, "DEALER", routing_id=b"peer")
    events = peer.events(loop, lambda e: any(isinstance(x, HandshakeComplete) for x in e))
    assert any(isinstance(e, HandshakeComplete) and e.socket_type == "ROUTER" for e in events)
    peer.conn.send_message([b"hello", bytes(20_000)])  # a zero-copy body on the way in
    peer.flush()
    for _ in range(100):
        loop.turn()
        frames = engine.try_recv()
        if frames is not None:
            break
    assert frames == [b"peer", b"hello", bytes(20_000)]
    engine.send([b"peer", b"world"])
    driver.flush()
    events = peer.events(loop, lambda e: any(isinstance(x, Message) for x in e))
    assert [e for e in events if isinstance(e, Message)] == [Message([b"world"])]


def test_a_full_kernel_means_write_interest_until_drained(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    engine, driver, loop = served("DEALER", ours)
    peer = Peer(theirs, "ROUTER")
    handshake(peer, engine, loop)
    body = os.urandom(1_000_000)
    engine.send([body])
    driver.flush()
    assert loop.watched[ours][1]  # the kernel took part of it: waiting to write the rest
    events = peer.events(loop, lambda e: any(isinstance(x, Message) for x in e))
    assert [e.frames for e in events if isinstance(e, Message)] == [[body]]
    assert not loop.watched[ours][1]  # drained: no more write interest


def test_a_closed_peer_is_released_and_forgotten(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    engine, _, loop = served("PULL", ours)
    Peer(theirs, "PUSH")
    theirs.close()
    for _ in range(50):
        loop.turn()
        if ours in loop.released:
            break
    assert ours in loop.released and ours.fileno() == -1
    assert not engine.connections
    assert engine.next_deadline is None  # the handshake timer went with it


def test_the_one_timer_follows_the_engines_deadline(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    engine = SocketEngine("DEALER")
    engine.setsockopt("HEARTBEAT_IVL", 1000)
    loop = FakeLoop()
    driver = Driver(engine, loop, lambda: None)
    listener = engine.bind(parse_endpoint("ipc:///fake"), "ipc:///fake")
    engine.accepted(ours, listener)
    driver.service()
    peer = Peer(theirs, "ROUTER")
    handshake(peer, engine, loop)
    live = [t for t in loop.timers if not t.cancelled]
    assert len(live) == 1 and live[0].when == pytest.approx(loop.now + 1.0)
    loop.now += 1.0
    loop.turn()  # the heartbeat is due: a PING goes out
    theirs.setblocking(False)
    data = theirs.recv(100)
    assert b"\x04PING" in data


def test_dials_are_retried_until_someone_listens() -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="zmtp-driver-"), "sock")
    engine = SocketEngine("DEALER")
    engine.setsockopt("RECONNECT_IVL", 100)
    loop = FakeLoop()
    driver = Driver(engine, loop, lambda: None)
    driver.connect(parse_endpoint(f"ipc://{path}"), f"ipc://{path}")
    assert not engine.connections  # refused: nobody listens yet
    (timer,) = [t for t in loop.timers if not t.cancelled]
    assert 0.1 <= timer.when - loop.now < 0.2  # RECONNECT_IVL, plus jitter
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen()
    try:
        loop.now = timer.when
        for _ in range(100):  # (a Unix connect may also complete a moment later)
            loop.turn()
            if engine.connections:
                break
        assert len(engine.connections) == 1  # dialled again, and connected
        accepted, _ = server.accept()
        accepted.close()
    finally:
        server.close()
        os.unlink(path)
    for handle in list(engine.connections):
        assert isinstance(handle, socket.socket)
        handle.close()
