"""Debian's libzmq5 (4.3.4, built with ws) through ctypes, as the benchmark drives a library.

pyzmq's wheels have no ws://, so the only libzmq to measure zmtp's ws against
is the distribution's, loaded with ctypes. This module offers the few calls of
pyzmq's API the benchmark's workers make. Every call goes through ctypes
(about a microsecond each, where pyzmq's Cython costs a tenth of that), so read
its numbers as libzmq's ws *plus* a slow binding: an upper bound on what
libzmq costs a Python program, not libzmq's own speed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
from typing import Any, ClassVar

__all__ = [
    "CLIENT",
    "DEALER",
    "DISH",
    "EHOSTUNREACH",
    "PAIR",
    "PUB",
    "PULL",
    "PUSH",
    "RADIO",
    "REP",
    "REQ",
    "ROUTER",
    "SERVER",
    "SUB",
    "Context",
    "ZMQError",
]

PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH = 0, 1, 2, 3, 4, 5, 6, 7, 8
#: The draft types (only a library built with the draft API has them: _libzmq_draft).
SERVER, CLIENT, RADIO, DISH = 12, 13, 14, 15
#: The library to load; None: the system's libzmq (Debian's libzmq5).
LIBRARY_PATH: str | None = None
EHOSTUNREACH = errno.EHOSTUNREACH
_SNDMORE, _DONTWAIT = 2, 1
_ROUTING_ID, _SUBSCRIBE, _LINGER, _LAST_ENDPOINT = 5, 6, 17, 32
_SNDHWM, _RCVHWM, _ROUTER_MANDATORY = 23, 24, 33
_POLLIN = 1
_MSG_SIZE = 64  # sizeof(zmq_msg_t)

_VOID, _INT, _SIZE = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t


class ZMQError(OSError):
    """An error libzmq reported (``errno`` is its number)."""


class _PollItem(ctypes.Structure):
    _fields_ = [
        ("socket", _VOID),
        ("fd", _INT),
        ("events", ctypes.c_short),
        ("revents", ctypes.c_short),
    ]


@functools.cache
def _lib() -> Any:
    path = LIBRARY_PATH or ctypes.util.find_library("zmq")
    if path is None:
        raise ImportError("libzmq is not installed (apt-get install libzmq5)")
    lib = ctypes.CDLL(path, use_errno=True)
    if LIBRARY_PATH is not None:  # the draft calls: routing ids, groups, join
        drafts: list[tuple[str, Any, list[Any]]] = [
            ("zmq_msg_routing_id", ctypes.c_uint32, [_VOID]),
            ("zmq_msg_set_routing_id", _INT, [_VOID, ctypes.c_uint32]),
            ("zmq_msg_group", ctypes.c_char_p, [_VOID]),
            ("zmq_msg_set_group", _INT, [_VOID, ctypes.c_char_p]),
            ("zmq_join", _INT, [_VOID, ctypes.c_char_p]),
        ]
        for name, result, arguments in drafts:
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
    for name, restype, argtypes in (
        ("zmq_ctx_new", _VOID, []),
        ("zmq_ctx_term", _INT, [_VOID]),
        ("zmq_socket", _VOID, [_VOID, _INT]),
        ("zmq_close", _INT, [_VOID]),
        ("zmq_bind", _INT, [_VOID, ctypes.c_char_p]),
        ("zmq_connect", _INT, [_VOID, ctypes.c_char_p]),
        ("zmq_setsockopt", _INT, [_VOID, _INT, _VOID, _SIZE]),
        ("zmq_getsockopt", _INT, [_VOID, _INT, _VOID, ctypes.POINTER(_SIZE)]),
        ("zmq_send", _INT, [_VOID, ctypes.c_char_p, _SIZE, _INT]),
        ("zmq_msg_init", _INT, [_VOID]),
        ("zmq_msg_recv", _INT, [_VOID, _VOID, _INT]),
        ("zmq_msg_data", _VOID, [_VOID]),
        ("zmq_msg_size", _SIZE, [_VOID]),
        ("zmq_msg_more", _INT, [_VOID]),
        ("zmq_msg_close", _INT, [_VOID]),
        ("zmq_msg_init_size", _INT, [_VOID, _SIZE]),
        ("zmq_msg_send", _INT, [_VOID, _VOID, _INT]),
        ("zmq_poll", _INT, [ctypes.POINTER(_PollItem), _INT, ctypes.c_long]),
        ("zmq_errno", _INT, []),
        ("zmq_strerror", ctypes.c_char_p, [_INT]),
    ):
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def _check(rc: int) -> int:
    if rc == -1:
        number = _lib().zmq_errno()
        raise ZMQError(number, _lib().zmq_strerror(number).decode())
    return rc


class Frame:
    """A received frame, as pyzmq's ``recv(copy=False)`` gives it."""

    def __init__(
        self, data: bytes, more: bool, routing_id: int | None, group: bytes | None
    ) -> None:
        self.bytes, self.more, self.routing_id = data, more, routing_id
        self.group = None if group is None else group.decode()


class Context:
    def __init__(self) -> None:
        self._handle = _lib().zmq_ctx_new()
        self._sockets: list[Socket] = []

    def socket(self, kind: int) -> Socket:
        sock = Socket(self._handle, kind)
        self._sockets.append(sock)
        return sock

    def term(self) -> None:
        _lib().zmq_ctx_term(self._handle)

    def destroy(self, linger: int = 0) -> None:
        for sock in self._sockets:
            sock.close(linger)
        self.term()


class Socket:
    _OPTIONS: ClassVar[dict[str, tuple[int, type]]] = {
        "routing_id": (_ROUTING_ID, bytes),
        "sndhwm": (_SNDHWM, int),
        "rcvhwm": (_RCVHWM, int),
        "router_mandatory": (_ROUTER_MANDATORY, int),
    }

    def __init__(self, context: Any, kind: int) -> None:
        self._handle = _lib().zmq_socket(context, kind)
        self._message = ctypes.create_string_buffer(_MSG_SIZE)
        self.closed = False

    def __setattr__(self, name: str, value: Any) -> None:
        option = self._OPTIONS.get(name)
        if option is None:
            super().__setattr__(name, value)
        elif option[1] is bytes:
            _check(_lib().zmq_setsockopt(self._handle, option[0], value, len(value)))
        else:
            number = ctypes.c_int(value)
            _check(_lib().zmq_setsockopt(self._handle, option[0], ctypes.byref(number), 4))

    def subscribe(self, topic: bytes) -> None:
        _check(_lib().zmq_setsockopt(self._handle, _SUBSCRIBE, topic, len(topic)))

    def bind(self, address: str) -> None:
        _check(_lib().zmq_bind(self._handle, address.encode()))

    def connect(self, address: str) -> None:
        _check(_lib().zmq_connect(self._handle, address.encode()))

    @property
    def last_endpoint(self) -> bytes:
        buffer = ctypes.create_string_buffer(256)
        size = _SIZE(256)
        _check(_lib().zmq_getsockopt(self._handle, _LAST_ENDPOINT, buffer, ctypes.byref(size)))
        return buffer.value

    def send(
        self,
        data: bytes,
        flags: int = 0,
        copy: bool = True,
        *,
        routing_id: int | None = None,
        group: bytes | None = None,
    ) -> None:
        if routing_id is None and group is None:
            _check(_lib().zmq_send(self._handle, data, len(data), flags))
            return
        lib, message = _lib(), self._message  # a SERVER's reply, or a RADIO's message
        _check(lib.zmq_msg_init_size(message, len(data)))
        ctypes.memmove(lib.zmq_msg_data(message), data, len(data))
        if routing_id is not None:
            lib.zmq_msg_set_routing_id(message, routing_id)
        if group is not None:
            lib.zmq_msg_set_group(message, group)
        if lib.zmq_msg_send(message, self._handle, flags) == -1:
            lib.zmq_msg_close(message)
            _check(-1)

    def join(self, group: bytes) -> None:
        _check(_lib().zmq_join(self._handle, group))

    def send_multipart(self, frames: list[bytes], copy: bool = True) -> None:
        send, handle, last = _lib().zmq_send, self._handle, len(frames) - 1
        for index, frame in enumerate(frames):
            _check(send(handle, frame, len(frame), _SNDMORE if index < last else 0))

    def recv(self, copy: bool = True) -> Any:
        if copy:
            return self._recv_frame()[0]
        return Frame(*self._recv_frame(addressed=True))

    def recv_multipart(self, copy: bool = True) -> list[bytes]:
        frames = []
        while True:
            frame, more = self._recv_frame()
            frames.append(frame)
            if not more:
                return frames

    def _recv_frame(self, addressed: bool = False) -> Any:
        """(data, more), or with ``addressed`` (data, more, routing id, group)."""
        lib, message = _lib(), self._message
        lib.zmq_msg_init(message)
        try:
            _check(lib.zmq_msg_recv(message, self._handle, 0))
            frame = ctypes.string_at(lib.zmq_msg_data(message), lib.zmq_msg_size(message))
            more = bool(lib.zmq_msg_more(message))
            if not addressed:
                return frame, more
            if LIBRARY_PATH is None:
                return frame, more, None, None
            return frame, more, lib.zmq_msg_routing_id(message), lib.zmq_msg_group(message)
        finally:
            lib.zmq_msg_close(message)

    def poll(self, timeout: int) -> int:
        item = _PollItem(self._handle, 0, _POLLIN, 0)
        _check(_lib().zmq_poll(ctypes.byref(item), 1, timeout))
        return int(item.revents)

    def close(self, linger: int | None = None) -> None:
        if self.closed:
            return
        if linger is not None:
            number = ctypes.c_int(linger)
            _lib().zmq_setsockopt(self._handle, _LINGER, ctypes.byref(number), 4)
        super().__setattr__("closed", True)
        _lib().zmq_close(self._handle)
