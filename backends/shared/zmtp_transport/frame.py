"""pyzmq's ``Frame``: one frame of a message, as ``recv(copy=False)`` returns it.

Programs hand frames to ``memoryview()``, numpy and ``json.loads``, which need
the buffer protocol; before Python 3.12 a Python class can offer it only by
being a builtin buffer. So a frame that owns its bytes *is* a ``bytearray``
(:class:`OwnFrame`): a small received frame copied into it, a large one read
straight into it by the engine (:class:`BodyFrame`, the socket's body kind: no
copy), and ``Frame(data)`` when it copies ``data`` (below ``copy_threshold``,
or with ``copy=True``, as in pyzmq). A frame over a buffer that is not its
own (``Frame(big, copy=False)``, a buffer passed by reference over inproc)
wraps it without a copy; ``memoryview()`` of those needs Python 3.12.
"""

from __future__ import annotations

import builtins
import errno
import weakref
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from zmtp_core import Body, SocketError
from zmtp_core import MessageTracker as CoreTracker

from .constants import MORE, SHARED

__all__ = ["BodyFrame", "Frame", "OwnFrame", "received_frame"]

_NONE: Mapping[str, builtins.bytes] = MappingProxyType({})

#: pyzmq's default: ``Frame(data)`` copies data smaller than this.
COPY_THRESHOLD = 65536


class Frame:
    """One frame: its buffer (``.buffer``, ``memoryview(frame)``), its bytes
    (``.bytes``), whether more frames follow (``.more``), and the properties of
    the connection it came from (``frame.get("User-Id")``, ``frame["Identity"]``).

    ``Frame(data, track=True)`` carries a tracker that is done once the frame is
    gone (pyzmq's zero-copy frames are done once libzmq lets go of them).
    """

    _data: Any
    more: bool
    tracker: CoreTracker | None
    _properties: Mapping[str, builtins.bytes]
    _view: weakref.ref[memoryview] | None
    _bytes: builtins.bytes | None
    #: The peer a SERVER's frame came from, or goes to (0: none), as in pyzmq.
    routing_id: int
    #: The group a RADIO's frame goes to, or a DISH's came from ("": none).
    group: str

    def __new__(
        cls,
        data: Any = None,
        track: bool = False,
        copy: bool | None = None,
        copy_threshold: int | None = None,
    ) -> Frame:
        if data is None:
            data = b""
        elif isinstance(data, str):
            raise TypeError("str objects not allowed: only bytes and buffer interfaces")
        source = data._data if isinstance(data, Frame) else data
        try:
            view = memoryview(source)
        except TypeError:
            raise TypeError(f"a frame takes bytes or a buffer, not {type(data).__name__}") from None
        if not view.c_contiguous:
            raise BufferError("a frame needs a contiguous buffer")
        threshold = COPY_THRESHOLD if copy_threshold is None else copy_threshold
        frame: Frame
        if cls is Frame and (copy or (copy is None and view.nbytes < threshold)):
            frame = _own_copy(view)
        else:
            frame = object.__new__(cls)
            frame._data = source
        frame._start(False, _NONE)
        if track:
            tracker = frame.tracker = CoreTracker()
            weakref.finalize(frame, tracker.release)  # (done once the frame is gone)
        return frame

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """(All is done in ``__new__``, which may return a frame of a subclass.)"""

    def _start(self, more: bool, properties: Mapping[str, builtins.bytes]) -> None:
        self.more, self._properties, self.tracker = more, properties, None
        self._view = self._bytes = None
        self.routing_id, self.group = 0, ""

    @property
    def buffer(self) -> memoryview:
        """A memoryview of the frame's buffer: the same one while it is in use
        (kept weakly: a frame that held its own view would live until the cycle
        collector ran, and a large received one would not be used again)."""
        view = None if self._view is None else self._view()
        if view is None:
            view = memoryview(self._data)
            self._view = weakref.ref(view)
        return view

    @property
    def bytes(self) -> builtins.bytes:
        """The frame's bytes (copied once, then kept)."""
        data = self._bytes
        if data is None:
            data = self._bytes = builtins.bytes(memoryview(self._data))
        return data

    def get(self, option: int | str | builtins.bytes) -> int | str:
        """``MORE`` (1 if more frames follow), ``SHARED`` (0: never shared with
        libzmq), or a property of the connection the frame came from, as text:
        "Socket-Type", "Identity", ZAP's "User-Id", the peer's "X-" metadata."""
        if isinstance(option, builtins.bytes):
            option = option.decode("utf-8")
        if option == MORE:
            return int(self.more)
        if option == SHARED:
            return 0
        if isinstance(option, str):
            value = self._properties.get(option)
            if value is not None:
                return value.decode("utf-8", "replace")
        raise SocketError(errno.EINVAL, f"frame property {option!r} is not available")

    def __getitem__(self, key: Any) -> Any:
        """``frame["User-Id"]`` is ``frame.get("User-Id")``, as in pyzmq; a slice
        gives those bytes, an index that byte, as a buffer's would (pyzmq takes an
        int for an option: ``frame.get(zmq.MORE)`` says that here)."""
        if isinstance(key, str | builtins.bytes):
            return self.get(key)
        if isinstance(key, slice):
            return builtins.bytes(memoryview(self._data)[key])
        return memoryview(self._data).cast("B")[key]

    def __buffer__(self, flags: int) -> memoryview:  # memoryview(frame), Python >= 3.12
        return memoryview(self._data)

    def __bytes__(self) -> builtins.bytes:
        """A copy (not kept: ``.bytes`` keeps the one it makes)."""
        return builtins.bytes(memoryview(self._data))

    def __len__(self) -> int:
        return memoryview(self._data).nbytes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frame):
            return memoryview(self._data) == memoryview(other._data)
        if isinstance(other, builtins.bytes | bytearray | memoryview):
            return memoryview(self._data) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable underneath

    def __copy__(self) -> Frame:
        """A frame over the same buffer (pyzmq's fast copy)."""
        frame = object.__new__(Frame)
        frame._data = self._data
        frame._start(self.more, self._properties)
        return frame

    def __str__(self) -> str:  # (not bytearray's)
        return self.__repr__()

    def __repr__(self) -> str:
        size = len(self)
        if size <= 16:
            return f"<zmq.Frame({self.bytes!r})>"
        head = builtins.bytes(memoryview(self._data)[:12])
        for unit, at_least, per_unit in _UNITS:
            if size >= at_least:
                return f"<zmq.Frame({head!r}...{size // per_unit}{unit})>"
        return f"<zmq.Frame({head!r}...{size}B)>"


#: How a repr states a frame's size, as pyzmq's does: (unit, from, bytes per unit).
_UNITS = (("GB", 10**9, 10**9), ("MB", 2**20, 10**6), ("kB", 1000, 1000))


class OwnFrame(Frame, bytearray):
    """A frame that owns its bytes: it is the bytearray (see the module docstring).
    Made and measured as a bytearray is, in C: no Python call per frame."""

    __new__ = bytearray.__new__  # type: ignore[assignment]
    __len__ = bytearray.__len__
    __eq__ = bytearray.__eq__
    __hash__ = None  # type: ignore[misc]  # (mutable)

    @property
    def _data(self) -> OwnFrame:
        return self


class BodyFrame(OwnFrame, Body):
    """A large received frame: the engine reads it straight into one (its body
    kind, made with a size), and may reuse it once the application let go of it.
    Its frame attributes are set when it is handed out (received_frame)."""

    __init__ = bytearray.__init__


def _own_copy(data: Any) -> OwnFrame:
    """A new OwnFrame holding a copy of ``data``."""
    frame: OwnFrame = OwnFrame.__new__(OwnFrame)
    bytearray.__init__(frame, data)
    return frame


def received_frame(data: Any, more: bool, properties: Mapping[str, builtins.bytes]) -> Frame:
    """A received frame for ``recv(copy=False)``: the body itself if the engine read
    it into a frame, a copy of a small one, a wrapper of a buffer passed by
    reference over inproc."""
    kind = type(data)
    if kind is BodyFrame:
        frame: Frame = data
    elif kind is builtins.bytes or kind is OwnFrame:  # (small: a copy of its own)
        frame = _own_copy(data)
    else:
        frame = object.__new__(Frame)
        frame._data = data
    frame._start(more, properties)
    return frame
