"""The backends under test, behind pyzmq's synchronous API.

The conformance tests are written once against ``zmq``-like modules: pyzmq
itself (the reference peer) and each zmtp backend. A backend whose API is not
synchronous joins through a facade with the same names.
"""

from __future__ import annotations

import importlib
import tempfile
from types import ModuleType
from typing import Any

BACKENDS = ["selectors"]


def load(name: str) -> ModuleType:
    return importlib.import_module(f"zmtp_{name}")


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
        self.context = context
        self.sockets: list[Any] = []

    def socket(self, kind: Any) -> Any:
        sock = configure(self.context.socket(kind))
        self.sockets.append(sock)
        return sock

    def close(self) -> None:
        for sock in self.sockets:
            if not sock.closed:
                sock.close(linger=0)
        self.context.term()
