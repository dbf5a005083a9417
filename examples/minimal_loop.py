"""The smallest complete embedding of zmtp_core: one Connection over one socket.

This is not a backend (one peer, no reconnect, no socket-type routing); the
real backends live in ``backends/``. It shows the whole sans-IO contract in a
page, and the test suite uses it to talk to pyzmq:

* reads go through ``receive_buffer()``/``received(n)`` with ``recv_into``;
* writes go through ``buffers_to_send()``/``sent(n)`` with one ``sendmsg``;
* the core's deadlines are served with ``handle_timer(time.monotonic())``.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Sequence
from typing import Any

from zmtp_core import Buffer
from zmtp_core.connection import NEED_DATA, Connection, Event, Frame, HandshakeComplete, Message


class BlockingPeer:
    """A Connection driven over a non-blocking socket by blocking calls."""

    def __init__(self, sock: socket.socket, connection: Connection, timeout: float = 10.0) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.connection = connection
        self.timeout = timeout
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)

    @classmethod
    def connect(
        cls, endpoint: str, socket_type: str, timeout: float = 10.0, **options: Any
    ) -> BlockingPeer:
        """Connect to ``tcp://host:port`` or ``ipc:///path`` and start the greeting."""
        scheme, _, address = endpoint.partition("://")
        if scheme == "tcp":
            host, _, port = address.rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elif scheme == "ipc":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address)
        else:
            raise ValueError(f"unsupported endpoint {endpoint!r}")
        return cls(sock, Connection(socket_type, **options), timeout)

    def handshake(self) -> HandshakeComplete:
        event = self.next_event()
        if not isinstance(event, HandshakeComplete):
            raise ConnectionError(f"handshake failed: {event}")
        return event

    def send(self, frames: Sequence[Buffer]) -> None:
        """Queue a message and wait until the kernel has taken every byte of it."""
        self.connection.send_message(frames)
        self.flush()

    def flush(self) -> None:
        """Wait until the kernel has taken everything queued (messages, commands)."""
        deadline = time.monotonic() + self.timeout
        self._write()
        while self.connection.bytes_to_send:
            self._wait(deadline)

    def recv(self) -> list[Frame]:
        event = self.next_event()
        if not isinstance(event, Message):
            raise ConnectionError(f"expected a message, got {event}")
        return event.frames

    def next_event(self) -> Event:
        """Block until the core has something to say; TimeoutError after ``timeout``."""
        event = self.poll(self.timeout)
        if event is None:
            raise TimeoutError("peer did not answer in time")
        return event

    def poll(self, timeout: float) -> Event | None:
        """The next event within ``timeout`` seconds, else None (I/O and timers keep running)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.connection.next_event()
            if event is not NEED_DATA:
                assert isinstance(event, Event)
                return event
            self._write()  # answers such as PONG go out before we sleep
            if time.monotonic() >= deadline:
                return None
            self._wait(deadline)

    def close(self) -> None:
        self._selector.close()
        self.sock.close()

    def __enter__(self) -> BlockingPeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the I/O the core never does --------------------------------------

    def _wait(self, deadline: float) -> None:
        """Wait for the socket or the core's next timer, then do the I/O that is ready."""
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError("peer did not answer in time")
        wait = deadline - now
        core_deadline = self.connection.next_deadline
        if core_deadline is not None:
            wait = max(0.0, min(wait, core_deadline - now))
        mask = selectors.EVENT_READ
        if self.connection.bytes_to_send:
            mask |= selectors.EVENT_WRITE
        self._selector.modify(self.sock, mask)
        for _, ready in self._selector.select(wait):
            if ready & selectors.EVENT_READ:
                self._read()
            if ready & selectors.EVENT_WRITE:
                self._write()
        if core_deadline is not None and core_deadline <= time.monotonic():
            self.connection.handle_timer(time.monotonic())

    def _read(self) -> None:
        try:
            count = self.sock.recv_into(self.connection.receive_buffer())
        except BlockingIOError:
            return
        except ConnectionError:
            count = 0  # a reset is an end of input like any other
        self.connection.received(count)

    def _write(self) -> None:
        if not self.connection.bytes_to_send:
            return
        try:
            count = self.sock.sendmsg(self.connection.buffers_to_send())
        except BlockingIOError:
            count = 0
        except ConnectionError:
            self.connection.discard_output()  # the read side will see the end
            return
        self.connection.sent(count)
