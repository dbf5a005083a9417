"""Frames without a copy: pyzmq's ``Frame`` (what ``recv(copy=False)`` returns)."""

from __future__ import annotations

import builtins
import errno
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from zmtp_core import SocketError

from .constants import MORE, SHARED

__all__ = ["Frame"]

_NONE: Mapping[str, builtins.bytes] = MappingProxyType({})


class Frame:
    """One frame: ``bytes`` when small, the receive ``bytearray`` when large.

    ``.buffer`` is a memoryview of the very buffer the socket read into,
    ``.bytes`` a bytes copy (free for small frames). Built by hand, as pyzmq's
    ``Frame(data)``, it wraps any bytes-like object to send without a copy.
    """

    __slots__ = ("_data", "_properties", "more", "tracker")

    _data: builtins.bytes | bytearray | Any

    def __init__(
        self,
        data: Any = None,
        track: bool = False,
        copy: bool | None = None,
        copy_threshold: int | None = None,
    ) -> None:
        if data is None:
            data = b""
        elif isinstance(data, str):
            raise TypeError("str objects not allowed: only bytes and buffer interfaces")
        elif isinstance(data, Frame):
            data = data._data
        else:
            try:
                view = memoryview(data)
            except TypeError:
                raise TypeError(
                    f"a frame takes bytes or a buffer, not {type(data).__name__}"
                ) from None
            if copy:
                data = view.tobytes()
        self._data = data
        self._properties: Mapping[str, bytes] = _NONE
        self.more = False
        #: pyzmq's tracker is set by ``send(..., track=True)``; ours are returned by it.
        self.tracker = None

    @classmethod
    def _received(
        cls, data: builtins.bytes | bytearray, more: bool, properties: Mapping[str, builtins.bytes]
    ) -> Frame:
        """A frame as it arrived (no checks: the hot path of ``recv(copy=False)``)."""
        frame = cls.__new__(cls)
        frame._data, frame.more, frame.tracker, frame._properties = data, more, None, properties
        return frame

    @property
    def buffer(self) -> memoryview:
        return memoryview(self._data)

    @property
    def bytes(self) -> builtins.bytes:
        data = self._data
        return data if type(data) is builtins.bytes else builtins.bytes(data)

    def get(self, option: int | str) -> int | str:
        """``MORE`` (1 if more frames follow), ``SHARED`` (0: never shared with
        libzmq), or a property of the connection the frame came from, as text:
        "Socket-Type", "Identity", ZAP's "User-Id", the peer's "X-" metadata."""
        if option == MORE:
            return int(self.more)
        if option == SHARED:
            return 0
        if isinstance(option, str):
            value = self._properties.get(option)
            if value is not None:
                return value.decode("utf-8", "replace")
        raise SocketError(errno.EINVAL, f"frame property {option!r} is not available")

    def __buffer__(self, flags: int) -> memoryview:  # memoryview(frame), Python >= 3.12
        return memoryview(self._data)

    def __bytes__(self) -> builtins.bytes:
        return self.bytes

    def __len__(self) -> int:
        return memoryview(self._data).nbytes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frame):
            return self.bytes == other.bytes
        if isinstance(other, builtins.bytes | bytearray | memoryview):
            return self.bytes == builtins.bytes(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable underneath

    def __copy__(self) -> Frame:
        """A frame over the same buffer (pyzmq's fast copy)."""
        return Frame._received(self._data, self.more, self._properties)

    def __repr__(self) -> str:
        size = len(self)
        if size <= 16:
            return f"<zmq.Frame({self.bytes!r})>"
        return f"<zmq.Frame({builtins.bytes(self.buffer[:12])!r}...{size}B)>"
