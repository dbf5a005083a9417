"""Debian's libzmq5 (4.3.4, built with ws) through ctypes: the ws:// reference peer.

pyzmq's wheels leave WebSocket support out; the distribution's libzmq has it.
The same source built with the draft API (``.ci/build-libzmq-draft``, into
build/libzmq-draft/) is the peer of the draft socket types. This wraps the few
calls the tests need, with bounded waits (RCVTIMEO, SNDTIMEO) so that a test
fails instead of hanging.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path
from typing import Any

from peers import missing

__all__ = ["LibZMQ", "require_libzmq5", "require_libzmq_draft"]

#: Where .ci/build-libzmq-draft puts the draft-enabled build.
DRAFT_BUILD = Path(__file__).resolve().parent.parent / "build" / "libzmq-draft" / "libzmq.so.5"

ZMQ_SNDMORE = 2
_LINGER, _RCVTIMEO, _SNDTIMEO, _LAST_ENDPOINT, _SUBSCRIBE = 17, 27, 28, 32, 6
_ROUTING_ID = 5
_MSG_SIZE = 64  # sizeof(zmq_msg_t)


class LibZMQError(OSError):
    pass


class LibZMQ:
    """The library, loaded once."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        for name, restype, argtypes in (
            ("zmq_ctx_new", ctypes.c_void_p, []),
            ("zmq_ctx_term", ctypes.c_int, [ctypes.c_void_p]),
            ("zmq_socket", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int]),
            ("zmq_close", ctypes.c_int, [ctypes.c_void_p]),
            ("zmq_bind", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
            ("zmq_connect", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
            (
                "zmq_setsockopt",
                ctypes.c_int,
                [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t],
            ),
            (
                "zmq_getsockopt",
                ctypes.c_int,
                [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)],
            ),
            (
                "zmq_send",
                ctypes.c_int,
                [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int],
            ),
            ("zmq_msg_init", ctypes.c_int, [ctypes.c_void_p]),
            ("zmq_msg_recv", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]),
            ("zmq_msg_data", ctypes.c_void_p, [ctypes.c_void_p]),
            ("zmq_msg_size", ctypes.c_size_t, [ctypes.c_void_p]),
            ("zmq_msg_more", ctypes.c_int, [ctypes.c_void_p]),
            ("zmq_msg_close", ctypes.c_int, [ctypes.c_void_p]),
            ("zmq_msg_init_size", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t]),
            ("zmq_msg_send", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]),
            ("zmq_errno", ctypes.c_int, []),
            ("zmq_strerror", ctypes.c_char_p, [ctypes.c_int]),
            ("zmq_has", ctypes.c_int, [ctypes.c_char_p]),
        ):
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
        self.lib = lib
        # The draft API's calls, in a build that has them.
        if hasattr(lib, "zmq_msg_routing_id"):
            lib.zmq_msg_routing_id.restype = ctypes.c_uint32
            lib.zmq_msg_routing_id.argtypes = [ctypes.c_void_p]
            lib.zmq_msg_set_routing_id.restype = ctypes.c_int
            lib.zmq_msg_set_routing_id.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
            lib.zmq_msg_group.restype = ctypes.c_char_p
            lib.zmq_msg_group.argtypes = [ctypes.c_void_p]
            lib.zmq_msg_set_group.restype = ctypes.c_int
            lib.zmq_msg_set_group.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.zmq_connect_peer.restype = ctypes.c_uint32
            lib.zmq_connect_peer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            for name in ("zmq_join", "zmq_leave"):
                getattr(lib, name).restype = ctypes.c_int
                getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p]

    def has(self, capability: str) -> bool:
        name = capability.upper() if capability in ("ws", "wss") else capability
        return bool(self.lib.zmq_has(name.encode()))

    def check(self, rc: int, what: str) -> int:
        if rc == -1:
            number = self.lib.zmq_errno()
            raise LibZMQError(number, f"{what}: {self.lib.zmq_strerror(number).decode()}")
        return rc

    def context(self) -> Context:
        return Context(self)


class Context:
    def __init__(self, zmq: LibZMQ) -> None:
        self.zmq = zmq
        self.handle = zmq.lib.zmq_ctx_new()
        self.sockets: list[Socket] = []

    def socket(self, kind: int, timeout_ms: int = 5000) -> Socket:
        sock = Socket(self, kind, timeout_ms)
        self.sockets.append(sock)
        return sock

    def term(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.zmq.lib.zmq_ctx_term(self.handle)


class Socket:
    def __init__(self, context: Context, kind: int, timeout_ms: int) -> None:
        self.zmq = context.zmq
        self.lib = context.zmq.lib
        self.handle = self.lib.zmq_socket(context.handle, kind)
        self.closed = False
        for option in (_LINGER, _RCVTIMEO, _SNDTIMEO):
            self.set_int(option, 0 if option == _LINGER else timeout_ms)

    def set_int(self, option: int, value: int) -> None:
        data = ctypes.c_int(value)
        self.zmq.check(
            self.lib.zmq_setsockopt(self.handle, option, ctypes.byref(data), 4), "setsockopt"
        )

    def set_bytes(self, option: int, value: bytes) -> None:
        self.zmq.check(
            self.lib.zmq_setsockopt(self.handle, option, value, len(value)), "setsockopt"
        )

    def subscribe(self, topic: bytes) -> None:
        self.set_bytes(_SUBSCRIBE, topic)

    def set_routing_id(self, value: bytes) -> None:
        self.set_bytes(_ROUTING_ID, value)

    def bind(self, address: str) -> None:
        self.zmq.check(self.lib.zmq_bind(self.handle, address.encode()), f"bind {address}")

    def connect(self, address: str) -> None:
        self.zmq.check(self.lib.zmq_connect(self.handle, address.encode()), f"connect {address}")

    @property
    def last_endpoint(self) -> str:
        buffer = ctypes.create_string_buffer(256)
        size = ctypes.c_size_t(256)
        self.zmq.check(
            self.lib.zmq_getsockopt(self.handle, _LAST_ENDPOINT, buffer, ctypes.byref(size)),
            "getsockopt",
        )
        return buffer.value.decode()

    def send_multipart(self, frames: list[bytes]) -> None:
        last = len(frames) - 1
        for index, frame in enumerate(frames):
            flags = ZMQ_SNDMORE if index < last else 0
            self.zmq.check(self.lib.zmq_send(self.handle, frame, len(frame), flags), "send")

    def recv_multipart(self) -> list[bytes]:
        frames = []
        while True:
            data, more = self._recv_frame(self.lib.zmq_msg_more)
            frames.append(data)
            if not more:
                return frames

    def recv_routed(self) -> tuple[int, bytes]:
        """A SERVER's receive: (the sender's routing id, the one frame)."""
        data, routing_id = self._recv_frame(self.lib.zmq_msg_routing_id)
        return routing_id, data

    def recv_grouped(self) -> tuple[bytes, bytes]:
        """A DISH's receive: (the group, the one frame)."""
        data, group = self._recv_frame(self.lib.zmq_msg_group)
        return group, data

    def _recv_frame(self, read: Any) -> tuple[bytes, Any]:
        """One frame, and ``read(message)``: a property of it, read before it is closed."""
        message = ctypes.create_string_buffer(_MSG_SIZE)
        self.lib.zmq_msg_init(message)
        try:
            self.zmq.check(self.lib.zmq_msg_recv(message, self.handle, 0), "recv")
            data = ctypes.string_at(self.lib.zmq_msg_data(message), self.lib.zmq_msg_size(message))
            return data, read(message)
        finally:
            self.lib.zmq_msg_close(message)

    def send_routed(self, routing_id: int, data: bytes) -> None:
        """A SERVER's send: ``data`` to the peer with ``routing_id``."""
        self._send_frame(data, lambda m: self.lib.zmq_msg_set_routing_id(m, routing_id))

    def send_grouped(self, group: bytes, data: bytes) -> None:
        """A RADIO's send: ``data`` to the DISHes that joined ``group``."""
        self._send_frame(data, lambda m: self.lib.zmq_msg_set_group(m, group))

    def _send_frame(self, data: bytes, address: Any) -> None:
        """One frame, sent once ``address(message)`` set its routing id or group."""
        message = ctypes.create_string_buffer(_MSG_SIZE)
        self.zmq.check(self.lib.zmq_msg_init_size(message, len(data)), "msg_init_size")
        ctypes.memmove(self.lib.zmq_msg_data(message), data, len(data))
        self.zmq.check(address(message), "set the routing id or group")
        if self.lib.zmq_msg_send(message, self.handle, 0) == -1:
            self.lib.zmq_msg_close(message)
            self.zmq.check(-1, "send")

    def connect_peer(self, address: str) -> int:
        """A PEER's connect: the routing id of the new peer (0: failed)."""
        routing_id = int(self.lib.zmq_connect_peer(self.handle, address.encode()))
        if not routing_id:
            self.zmq.check(-1, f"connect_peer {address}")
        return routing_id

    def join(self, group: bytes) -> None:
        self.zmq.check(self.lib.zmq_join(self.handle, group), "join")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.lib.zmq_close(self.handle)


_loaded: LibZMQ | None = None


def require_libzmq5() -> LibZMQ:
    """Debian's libzmq with ws, or a skip (a failure when peers are required, as in CI)."""
    global _loaded  # noqa: PLW0603 - one library per process
    if _loaded is None:
        path = ctypes.util.find_library("zmq")
        candidates = [p for p in ("libzmq.so.5", path) if p]
        for candidate in candidates:
            try:
                library = LibZMQ(candidate)
            except OSError:
                continue
            if library.has("ws"):
                _loaded = library
                break
    if _loaded is None:
        missing("Debian's libzmq5 with ws support is not installed (apt-get install libzmq5)")
    assert _loaded is not None
    return _loaded


_draft: LibZMQ | None = None


def require_libzmq_draft() -> LibZMQ:
    """libzmq built with the draft API, or a skip (a failure in CI, which builds it)."""
    global _draft  # noqa: PLW0603 - one library per process
    if _draft is None and DRAFT_BUILD.exists():
        library = LibZMQ(str(DRAFT_BUILD))
        if library.has("draft"):
            _draft = library
    if _draft is None:
        missing(f"no draft-enabled libzmq at {DRAFT_BUILD} (run .ci/build-libzmq-draft)")
    assert _draft is not None
    return _draft
