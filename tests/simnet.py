"""Socket engines wired together in memory: a network without sockets, for the core alone.

Each :class:`SimEngine` wraps a :class:`~zmtp_core.SocketEngine` and plays its
backend: it carries out the engine's actions, moves bytes between connection
ends held in memory, and keeps a simulated clock. How much each read takes and
each write hands over is chosen by a ``chooser`` (hypothesis draws it in the
property tests), so every chunking and every partial write can happen.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from typing import Any

from zmtp_core import (
    Dial,
    Dialer,
    Drop,
    EngineConfiguration,
    Listener,
    SocketEngine,
    Watch,
    parse_endpoint,
)

#: Picks a count in [low, high] (hypothesis' draw, or a seeded Random's).
Chooser = Callable[[int, int], int]


class End:
    """One end of an in-memory connection: bytes the peer wrote wait in ``inbox``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inbox = bytearray()
        self.peer: End | None = None
        self.peer_closed = False  # the other side closed: EOF after the inbox
        self.closed = False
        self.read = True  # the engine's interest
        self.write = False

    def __repr__(self) -> str:
        return f"<End {self.name}>"


class Network:
    """Engines, their listeners by endpoint, and a clock."""

    def __init__(self, chooser: Chooser | None = None, *, max_chunk: int = 70_000) -> None:
        self.choose: Chooser = chooser or random.Random(0).randint
        self.max_chunk = max_chunk
        self.now = 1000.0
        self.engines: list[SimEngine] = []
        self.listeners: dict[str, tuple[SimEngine, Listener]] = {}
        self._names = 0

    def engine(self, socket_type: str, **options: Any) -> SimEngine:
        sim = SimEngine(
            self,
            SocketEngine(
                socket_type, config=EngineConfiguration(rng=random.Random(len(self.engines)))
            ),
        )
        for name, value in options.items():
            sim.engine.setsockopt(name, value)
        self.engines.append(sim)
        return sim

    def name(self) -> str:
        self._names += 1
        return f"c{self._names}"

    def run(self, rounds: int = 200, *, until: Callable[[], bool] | None = None) -> None:
        """Move bytes and serve timers until nothing moves (or ``until()``)."""
        for _ in range(rounds):
            if until is not None and until():
                return
            moved = False
            for sim in list(self.engines):
                moved |= sim.step()
            if not moved:
                deadlines = [
                    d for sim in self.engines if (d := sim.engine.next_deadline) is not None
                ]
                if not deadlines:
                    return
                self.now = max(self.now, min(deadlines))
                for sim in self.engines:
                    sim.timers()

    def cut(self, end: End) -> None:
        """Break a connection abruptly (both ends see it end)."""
        for side in (end, end.peer):
            if side is not None:
                side.peer_closed = True


class SimEngine:
    """The backend of one engine, over in-memory ends."""

    def __init__(self, network: Network, engine: SocketEngine) -> None:
        self.net = network
        self.engine = engine
        self.ends: dict[Hashable, End] = {}
        self.received: list[list[bytes]] = []

    def bind(self, url: str) -> Listener:
        endpoint = parse_endpoint(url)
        listener = self.engine.bind(endpoint, url)
        self.net.listeners[url] = (self, listener)
        return listener

    def connect(self, url: str) -> Dialer:
        dialer = self.engine.connect(parse_endpoint(url), url)
        self.service()
        return dialer

    def send(self, frames: list[bytes]) -> None:
        self.engine.send(frames)
        self.service()

    def recv_all(self) -> list[list[bytes]]:
        """Everything the application can receive now."""
        got = []
        while (frames := self.engine.try_recv()) is not None:
            got.append([bytes(f) for f in frames])
        self.service()
        self.received.extend(got)
        return got

    # -- the backend's part ---------------------------------------------------------

    def service(self) -> None:
        engine = self.engine
        while engine.outbox.pending:
            for action in engine.take_actions():  # (step writes every connection: no Write)
                if isinstance(action, Watch):
                    end = self.ends.get(action.handle)
                    if end is not None:
                        end.read, end.write = action.read, action.write
                elif isinstance(action, Drop):
                    end = self.ends.pop(action.handle, None)
                    if end is not None:
                        end.closed = True
                        if end.peer is not None:
                            if action.farewell:
                                end.peer.inbox += b"".join(bytes(b) for b in action.farewell)
                            end.peer.peer_closed = True
                elif isinstance(action, Dial):
                    self._dial(action)

    def _dial(self, action: Dial) -> None:
        url = action.dialer.text
        target = self.net.listeners.get(url)
        if target is None or target[1].closed:
            self.engine.dial_failed(action.dialer, "connection refused")
            return
        other, listener = target
        mine, theirs = End(self.net.name()), End(self.net.name())
        mine.peer, theirs.peer = theirs, mine
        self.ends[mine] = mine
        other.ends[theirs] = theirs
        self.engine.dialed(mine, action.dialer)
        other.engine.accepted(theirs, listener)
        other.service()

    def step(self) -> bool:
        """Write and read every connection once, in pieces the chooser picks."""
        engine, choose = self.engine, self.net.choose
        moved = False
        self.service()
        for end in list(self.ends.values()):
            if end.closed or end not in engine.connections:
                continue
            buffers = engine.buffers_to_send(end)
            if buffers:
                data = b"".join(bytes(b) for b in buffers)
                count = choose(0, len(data))  # a partial write, any size
                if end.peer is not None and not end.peer.closed and not end.peer_closed:
                    end.peer.inbox += data[:count]
                engine.sent(end, count)
                moved = True  # (even a write of nothing: something waits to move)
            self.service()
            if end.read and end in engine.connections and (end.inbox or end.peer_closed):
                view = engine.receive_buffer(end)
                count = min(len(view), len(end.inbox), choose(1, self.net.max_chunk))
                if count == 0 and not end.inbox:  # EOF
                    engine.received(end, 0)
                    moved = True
                elif count:
                    view[:count] = end.inbox[:count]
                    del end.inbox[:count]
                    engine.received(end, count)
                    moved = True
            self.service()
        return moved

    def timers(self) -> None:
        deadline = self.engine.next_deadline
        if deadline is not None and deadline <= self.net.now:
            self.engine.handle_timer(self.net.now)
            self.service()
