"""Received frames without a copy: pyzmq's ``copy=False`` Frame."""

from __future__ import annotations

import builtins

__all__ = ["Frame"]


class Frame:
    """A frame as it arrived: ``bytes`` when small, the receive ``bytearray`` when large.

    ``recv(copy=False)`` returns these; ``.buffer`` is a memoryview of the very
    buffer the socket read into, ``.bytes`` a bytes copy (free for small frames).
    """

    __slots__ = ("_data", "more")

    def __init__(
        self, data: builtins.bytes | bytearray | memoryview = b"", more: bool = False
    ) -> None:
        self._data = data
        self.more = more

    @property
    def buffer(self) -> memoryview:
        return memoryview(self._data)

    @property
    def bytes(self) -> builtins.bytes:
        data = self._data
        return data if type(data) is builtins.bytes else builtins.bytes(data)

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

    def __repr__(self) -> str:
        return f"<Frame {len(self)} bytes{' more' if self.more else ''}>"
