"""How one zmtp socket uses the reactor: its Loop (with its lock) and its batching.

:class:`SocketLoop` gives zmtp_transport readiness and timers, running every
callback under the socket's lock. It also keeps the background thread out of
the way of an application thread that is busy receiving: when the reactor
reports a stream readable from the background thread while the application
called recv() within the last APP_READ_WINDOW, the read is left to the
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

from zmtp_transport import Driver, count_flush

from ._reactor import READ, WRITE, Reactor, Timer

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
    __slots__ = ("handler", "read", "sock", "suppressed", "write")

    def __init__(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        self.sock, self.read, self.write, self.handler = sock, read, write, handler
        self.suppressed = False


class SocketLoop:
    """zmtp_transport's Loop for one zmtp socket, over the context's reactor."""

    def __init__(self, reactor: Reactor, lock: threading.RLock) -> None:
        self.reactor = reactor
        self.lock = lock
        self.streams: set[socket.socket] | None = None  # (set by the socket: its driver's)
        #: Until then the application reads inline: the background thread keeps out.
        self.receiving_until = 0.0
        self._watched: dict[int, _Watched] = {}

    def time(self) -> float:
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        def locked() -> None:
            with self.lock:
                callback()

        return self.reactor.call_at(when, locked)

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        fd = sock.fileno()
        if not read and not write:
            if self._watched.pop(fd, None) is not None:
                self.reactor.unregister(sock)
            return
        entry = self._watched.get(fd)
        if entry is None:
            entry = self._watched[fd] = _Watched(sock, read, write, handler)
        else:
            entry.read, entry.write, entry.handler = read, write, handler
        self._register(entry)

    def release(self, sock: socket.socket) -> None:
        self._watched.pop(sock.fileno(), None)
        self.reactor.unregister(sock)
        self.reactor.call_in_loop(sock.close)  # after the selector forgot it

    def _register(self, entry: _Watched) -> None:
        mask = (READ if entry.read and not entry.suppressed else 0) | (WRITE if entry.write else 0)
        if mask:
            self.reactor.register(entry.sock, mask, lambda ready: self._dispatch(entry, ready))
        else:
            self.reactor.unregister(entry.sock)

    def _dispatch(self, entry: _Watched, ready: int) -> None:
        with self.lock:
            if self._watched.get(entry.sock.fileno()) is not entry:
                return  # forgotten meanwhile
            readable = bool(ready & READ)
            if readable and self.reactor.in_background() and self._application_is_reading():
                entry.suppressed = True  # let the application read it
                self._register(entry)
                self.reactor.call_at(self.receiving_until, self._check_suppressed)
                readable = False
            if readable or ready & WRITE:
                entry.handler(readable, bool(ready & WRITE))

    def _application_is_reading(self) -> bool:
        streams = self.streams
        return (
            self.receiving_until > time.monotonic()
            and streams is not None
            and len(streams) <= INLINE_READ_STREAMS
        )

    def _check_suppressed(self) -> None:
        with self.lock:
            if self._application_is_reading():
                self.reactor.call_at(self.receiving_until, self._check_suppressed)
            else:
                self.reclaim_reads()  # the application went quiet: the reactor reads again

    def reclaim_reads(self) -> None:
        """The application is about to wait (and lead): watch every stream again."""
        for entry in self._watched.values():
            if entry.suppressed:
                entry.suppressed = False
                self._register(entry)


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
        now = time.monotonic()
        self.messages += 1
        self.bytes += size
        if size >= self.threshold or self.bytes >= BATCH_BYTES:
            self._flush(now, "size")
        elif self.messages >= BATCH_MESSAGES:
            self._flush(now, "count")
        elif not self.started:
            lone = self.sends_since_wait <= 1 or now - self.last_flush >= BATCH_WINDOW
            if self.messages == 1 and lone:
                self._flush(now, None)  # a lone message leaves at once
            else:
                self.started = now
                self.reactor.tick_soon(self)  # the window's end, if no send comes
        elif now - self.started >= BATCH_WINDOW:
            self._flush(now, "timeout")

    def flush_now(self) -> None:
        """The application is about to block: never sleep on a held batch."""
        if self.messages:
            self._flush(time.monotonic(), None)

    def tick(self, now: float) -> None:
        """The reactor's look at the held batch: flush it once its window is over."""
        if not self.lock.acquire(blocking=False):
            return  # the application is sending right now: it flushes, or we look again
        try:
            if self.started and now - self.started >= BATCH_WINDOW:
                self._flush(now, "timeout")
            if not self.started:
                self.reactor.stop_ticking(self)
        finally:
            self.lock.release()

    def _flush(self, now: float, reason: str | None) -> None:
        count_flush(reason, self.messages, self.bytes)
        self.started = 0.0
        self.messages = self.bytes = 0
        self.last_flush = now
        self.driver.flush()
