"""How one zmtp socket uses the reactor: its Loop (with its lock) and its batching.

:class:`SocketLoop` gives zmtp_transport readiness and timers, running every
callback under the socket's lock. It also keeps the background thread out of
the way of an application thread that is busy receiving: when the reactor
reports a stream readable from the background thread while the application
is receiving (it called recv() within about APP_READ_WINDOW), the read is left to the
application (the background thread stops watching that stream until the
application goes quiet or waits), which avoids a GIL hand-off per batch.

:class:`WindowBatcher` is the seed's write batching: a message after a quiet
spell (or outside a burst of sends) is written at once; messages that follow
it within BATCH_WINDOW gather and leave in one sendmsg at 100 messages, 64 KiB,
the end of the window (a reactor tick), or before the application blocks; a
large message flushes the batch with it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from zmtp_core import counters
from zmtp_transport import Driver, count_flush

from ._reactor import Reactor, Timer

__all__ = ["APP_READ_WINDOW", "SocketLoop", "WindowBatcher"]

#: For this long after a recv() call, the application thread reads its streams.
APP_READ_WINDOW = 0.002
#: The application thread reads inline for sockets with at most this many peers.
INLINE_READ_STREAMS = 8

BATCH_WINDOW = 100e-6  # seconds, as the seed
BATCH_BYTES = 64 * 1024
BATCH_MESSAGES = 100

ReadyHandler = Callable[[bool, bool], None]


class _Watched:
    """One socket watched for a zmtp socket: what for, and who to tell."""

    __slots__ = ("active", "fd", "handler", "loop", "read", "sock", "suppressed", "write")

    def __init__(
        self, loop: SocketLoop, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler
    ) -> None:
        self.loop = loop
        self.sock, self.fd = sock, sock.fileno()
        self.read, self.write, self.handler = read, write, handler
        self.suppressed = False
        self.active = True  # (False once the loop forgot it: a late event is ignored)

    def dispatch(self, events: int) -> None:
        """The reactor's call: run the handler under the socket's lock."""
        loop = self.loop
        reactor = loop.reactor
        with loop.lock:
            if not self.active:
                return  # forgotten meanwhile
            readable = bool(events & reactor.IN) and self.read
            writable = bool(events & reactor.OUT) and self.write
            if (
                readable
                and reactor._background_ident == _get_ident()
                and loop._application_is_reading()
            ):
                self.suppressed = True  # let the application read it
                loop.suppressed += 1
                loop._register(self)
                loop._watch_suppressed()
                readable = False
            if readable or writable:
                self.handler(readable, writable)


class SocketLoop:
    """zmtp_transport's Loop for one zmtp socket, over the context's reactor."""

    def __init__(self, reactor: Reactor, lock: threading.RLock) -> None:
        self.reactor = reactor
        self.lock = lock
        self.streams: set[socket.socket] | None = None  # (set by the socket: its driver's)
        #: Counted up by the application's receives; the background thread keeps out
        #: of the streams' way for APP_READ_WINDOW after it sees the count change.
        self.app_reads = 0
        self._seen_reads = 0
        self._reading_until = 0.0
        self._checking = False
        #: Streams the background thread left to the application for now.
        self.suppressed = 0
        self._watched: dict[int, _Watched] = {}

    def time(self) -> float:
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        lock = self.lock

        def locked() -> None:
            with lock:
                callback()

        return self.reactor.call_at(when, locked)

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        fd = sock.fileno()
        if not read and not write:
            self._forget(fd)
            return
        entry = self._watched.get(fd)
        if entry is None:
            entry = self._watched[fd] = _Watched(self, sock, read, write, handler)
        else:
            entry.read, entry.write, entry.handler = read, write, handler
        self._register(entry)

    def settle(self) -> bool:
        return self.reactor.settle()

    def release(self, sock: socket.socket) -> None:
        self._forget(sock.fileno())
        self.reactor.call_in_loop(sock.close)  # after the round that may still report it

    def _forget(self, fd: int) -> None:
        entry = self._watched.pop(fd, None)
        if entry is not None:
            entry.active = False
            self.reactor.register(fd, False, False, _ignore)

    def _register(self, entry: _Watched) -> None:
        read = entry.read and not entry.suppressed
        self.reactor.register(entry.fd, read, entry.write, entry.dispatch)

    def _application_is_reading(self) -> bool:
        now = time.monotonic()
        if self.app_reads != self._seen_reads:
            self._seen_reads = self.app_reads
            self._reading_until = now + APP_READ_WINDOW
        streams = self.streams
        return (
            self._reading_until > now
            and streams is not None
            and len(streams) <= INLINE_READ_STREAMS
        )

    def _watch_suppressed(self) -> None:
        if not self._checking:
            self._checking = True
            self.reactor.call_at(self._reading_until, self._check_suppressed)

    def _check_suppressed(self) -> None:
        with self.lock:
            self._checking = False
            if self._application_is_reading():
                self._watch_suppressed()
            else:
                self.reclaim_reads()  # the application went quiet: the reactor reads again

    def reclaim_reads(self) -> None:
        """The application is about to wait (and lead): watch every stream again."""
        if not self.suppressed:
            return
        self.suppressed = 0
        for entry in self._watched.values():
            if entry.suppressed:
                entry.suppressed = False
                self._register(entry)


_get_ident = threading.get_ident


def _ignore(events: int) -> None:
    pass


class WindowBatcher:
    """The seed's write batching, for one zmtp socket."""

    def __init__(self, driver: Driver, reactor: Reactor, lock: threading.RLock) -> None:
        self.driver = driver
        self.reactor = reactor
        self.lock = lock
        self.threshold = int(driver.engine.options["ZMTP_ZEROCOPY_THRESHOLD"])
        #: Messages sent since the application last blocked: 2 or more is a burst,
        #: which batching gathers; a request/reply loop never batches.
        self.sends_since_wait = 0
        self.started = 0.0  # when the batch held now began (0: none is held)
        self.messages = 0
        self.bytes = 0
        self.last_flush = 0.0

    def queued(self, size: int) -> None:
        """The application sent a message of ``size`` bytes (the engine has output)."""
        self.messages += 1
        self.bytes += size
        if size >= self.threshold or self.bytes >= BATCH_BYTES:
            self._flush("size")
        elif self.messages >= BATCH_MESSAGES:
            self._flush("count")
        elif not self.started:  # (a held batch waits for its count, size, or tick)
            now = time.monotonic()
            lone = self.sends_since_wait <= 1 or now - self.last_flush >= BATCH_WINDOW
            if self.messages == 1 and lone:
                self._flush(None, now)  # a lone message leaves at once
            else:
                self.started = now
                self.reactor.tick_soon(self)  # the window's end, if no send comes

    def flush_now(self) -> None:
        """The application is about to block: never sleep on a held batch."""
        if self.messages:
            self._flush(None)

    def tick(self, now: float) -> None:
        """The reactor's look at the held batch: flush it once its window is over."""
        if not self.lock.acquire(blocking=False):
            return  # the application is sending right now: it flushes, or we look again
        try:
            if self.started and now - self.started >= BATCH_WINDOW:
                self._flush("timeout", now)
            if not self.started:
                self.reactor.stop_ticking(self)
        finally:
            self.lock.release()

    def _flush(self, reason: str | None, now: float = 0.0) -> None:
        """Write the batch; ``now`` when known (a lone message), else read here."""
        if counters.enabled:
            count_flush(reason, self.messages, self.bytes)
        self.started = 0.0
        self.messages = self.bytes = 0
        self.last_flush = now or time.monotonic()
        self.driver.flush()
