"""The half of pyzmq's Socket API that does not block: shared by every backend.

Options (``setsockopt``, attributes such as ``sock.sndhwm``), bind/connect and
their undoing, SNDMORE accumulation, frame-by-frame receiving, ``copy=False``
frames, and closing with LINGER. A backend subclasses :class:`SocketAPI` and
adds the calls that wait - plain ones, or coroutines - using ``_try_send``,
``_try_recv`` and ``_events``.

The socket itself is a :class:`~zmtp_core.SocketEngine`; a :class:`Driver`
does its I/O with the backend's :class:`Loop`, and inproc links join its
pattern to other sockets of the context.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import random
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, Self, TypeVar, cast

from zmtp_core import (
    Again,
    AskZap,
    Buffer,
    Dialer,
    EngineConfiguration,
    Listener,
    MonitorEvent,
    SocketEngine,
    SocketError,
    SocketType,
    Toggles,
    parse_endpoint,
)
from zmtp_core.inproc import InprocLink
from zmtp_core.monitor import ALL as MONITOR_ALL
from zmtp_core.monitor import MONITOR_STOPPED
from zmtp_core.monitor import encode as encode_event
from zmtp_core.options import lookup

from . import constants
from ._driver import Driver
from ._inproc import InprocRegistry
from ._loop import Batcher, Loop
from ._shadow import Shadowable, register
from ._signal import ReadySignal
from ._zap import ZapClient
from .constants import PAIR
from .constants import SocketType as PyzmqSocketType
from .errors import ContextTerminated, ZMQBindError
from .frame import BodyFrame, Frame, received_frame

__all__ = ["ContextAPI", "EndpointContext", "SocketAPI", "declared", "repr_name", "weakly"]

#: Flags as plain ints: an IntFlag in ``flags & NOBLOCK`` builds an enum each time.
NOBLOCK, POLLIN, POLLOUT, SNDMORE = (
    int(constants.NOBLOCK),
    int(constants.POLLIN),
    int(constants.POLLOUT),
    int(constants.SNDMORE),
)

Endpoints = Listener | Dialer | InprocLink

#: A publisher reads its connections for late subscriptions at most this often
#: (seconds), and only when a message found no subscriber; and at most so many.
LATE_LOOK = 0.001
INLINE_READS = 8
_T = TypeVar("_T")


def weakly(method: Callable[..., None]) -> Callable[..., None]:
    """``method`` (bound), called only while its object lives.

    What the I/O machinery calls back must not keep a socket alive: a socket
    the application drops without close() is then freed at once, as pyzmq's is,
    and its ``__del__`` closes it.
    """
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)

    return call


def _core_type(socket_type: SocketType | int) -> SocketType:
    try:
        return SocketType(socket_type)  # (every type libzmq has, drafts included)
    except ValueError:
        raise SocketError(errno.EINVAL, f"{socket_type!r} is not a socket type") from None


#: The socket types whose core messages start with an envelope frame, and what pyzmq
#: calls it on a Frame.
_ENVELOPES = {
    SocketType.SERVER: "routing_id",
    SocketType.PEER: "routing_id",
    SocketType.RADIO: "group",
    SocketType.DISH: "group",
}


def _none() -> None:
    """A socket that may not take messages without its lock takes none that way."""
    return None


def _report_events(monitor: SocketAPI, events: list[MonitorEvent]) -> None:
    """Queue events on the monitor socket, without waiting: an event that finds it
    full is dropped, as libzmq's monitor drops what it cannot send."""
    with monitor._lock:
        if monitor._closed:
            return
        for event in events:
            with contextlib.suppress(SocketError):
                monitor._engine.send(encode_event(event), None)
        monitor._driver.service()


def _looking_for_subscriptions(sock: SocketAPI) -> Callable[[], bool]:
    """A publisher's ``before_dropping``: a message no subscriber wants may be for
    one whose SUBSCRIBE is already in the kernel, unread (another thread of ours
    holding the GIL keeps the reactor from reading it; libzmq's I/O thread needs
    no GIL). Read the connections now, at most every LATE_LOOK seconds."""
    ref = weakref.ref(sock)

    def look() -> bool:
        sock = ref()
        if sock is None:
            return False
        now = time.monotonic()
        if now - sock._last_look < LATE_LOOK:
            return False
        sock._last_look = now
        return sock._driver.read_inline(INLINE_READS)

    return look


def declared(cls: type, name: str, obj: object) -> bool:
    """``obj.name = value`` sets a plain attribute, not an option: ``name`` is
    already ``obj``'s, or a class defines or annotates it (a subclass's
    ``custom_attr: int``), as pyzmq decides."""
    if name in obj.__dict__:
        return True
    return any(
        name in klass.__dict__ or name in getattr(klass, "__annotations__", {})
        for klass in cls.__mro__
    )


def repr_name(cls: type) -> str:
    """How a repr names a socket or context class: its ``_repr_cls`` (pyzmq's
    attribute), else its public path; under the launcher (``zmq`` is zmtp), the
    path of pyzmq's class it stands for: programs and tests look for that."""
    named = cls.__dict__.get("_repr_cls")
    if named is not None:
        return str(named)
    module = ".".join(part for part in cls.__module__.split(".") if not part.startswith("_"))
    zmq = sys.modules.get("zmq")
    if zmq is not None and zmq.__name__ == "zmtp_selectors":
        module = _PYZMQ_MODULES.get(module, module)
    return f"{module}.{cls.__name__}"


#: Our packages with pyzmq's API, by the pyzmq module each stands for.
_PYZMQ_MODULES = {
    "zmtp_selectors": "zmq",
    "zmtp_selectors.green": "zmq.green",
    "zmtp_asyncio": "zmq.asyncio",
    "zmtp_asyncio.future": "zmq.eventloop.future",
}


def _parse(addr: str) -> Any:
    """The endpoint ``addr`` names; a bad one's error names it, as pyzmq's does."""
    try:
        return parse_endpoint(addr)
    except SocketError as error:
        if addr not in str(error):
            raise SocketError(error.errno, f"{error} (addr={addr!r})") from None
        raise


def _check_value_type(option: int | str, value: Any) -> None:
    """pyzmq's TypeErrors: text for a bytes option, a non-int for an int option or
    an unknown number."""
    try:
        spec = lookup(option)
    except SocketError:
        if isinstance(option, int) and not isinstance(value, int):
            raise TypeError(f"option {option} is unknown: only an int value may pass") from None
        raise
    if spec.kind is int and not isinstance(value, int):
        raise TypeError(f"{spec.name} takes an int, not {type(value).__name__}")
    if spec.kind is bytes and isinstance(value, str):
        raise TypeError(f"{spec.name} takes bytes: encode text, or use setsockopt_string")


def _text(addr: str | bytes) -> str:
    """An endpoint as text (pyzmq takes last_endpoint's bytes as they are)."""
    return addr.decode() if isinstance(addr, bytes | bytearray) else addr


class ContextAPI(Protocol):
    """What a socket needs from its backend's Context."""

    _terminated: bool
    _forked: bool
    _inproc: InprocRegistry
    _lingering: set[Any]

    def _socket_closed(self, sock: Any) -> None:
        """close() was called (wake what waits on the socket)."""
        ...

    def _socket_finished(self, sock: Any) -> None:
        """The socket is done for good: nothing lingers any more."""
        ...


class EndpointContext:
    """What bind()/connect() return: ``with sock.bind(url):`` unbinds at the end."""

    def __init__(self, socket: SocketAPI, kind: str, endpoint: str) -> None:
        self.socket, self.kind, self.endpoint = socket, kind, endpoint

    def __enter__(self) -> EndpointContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.socket.closed:
            return
        if self.kind == "bind":
            self.socket.unbind(self.endpoint)
        else:
            self.socket.disconnect(self.endpoint)

    def __repr__(self) -> str:
        return f"<SocketContext({self.kind}={self.endpoint!r})>"


class SocketAPI(Shadowable):
    """pyzmq's Socket, less the waiting (closing a shadow of it closes it)."""

    def __class_getitem__(cls, item: object) -> type[Self]:
        """``Socket[bytes]``, as pyzmq's generic Socket is written in annotations."""
        return cls

    #: pyzmq's: frames smaller than this are copied even with copy=False (kept for
    #: code that sets it; large frames go by reference here from 8 KiB on).
    copy_threshold = 65536
    #: For a shadow (see ``_shadow.py``): the socket it shows (set in views only).
    _original: SocketAPI

    def __init__(
        self,
        context: Any = None,
        socket_type: SocketType | int = 0,
        copy_threshold: int | None = None,
        *,
        shadow: Any = None,
    ) -> None:
        """pyzmq's signature: ``Socket(context, type)``, or a shadow of another
        socket: ``Socket(sock)``, ``Socket(shadow=sock.underlying)``."""
        if self._shadows(context, socket_type, shadow):
            return
        self._open(context, socket_type)
        if copy_threshold is not None:
            self.copy_threshold = copy_threshold

    def _open(self, context: Any, socket_type: SocketType | int) -> None:
        """Hook: the backend sets the socket up, with :meth:`_setup` (its lock, loop,
        write batching and wake-up) and then its own state."""
        raise NotImplementedError

    def _setup(
        self,
        context: ContextAPI,
        socket_type: SocketType | int,
        *,
        lock: AbstractContextManager[object],
        loop: Loop,
        batcher: Callable[[Driver], Batcher],
        wake: Callable[[], None],
    ) -> None:
        """``batcher`` makes the write-batching policy for this socket's driver."""
        self.context = context
        config = EngineConfiguration(toggles=Toggles.from_environment(os.environ))
        self._engine = engine = SocketEngine(
            _core_type(socket_type), config=config, body_kind=BodyFrame
        )
        self._lock = lock
        self._loop = loop
        self._driver = Driver(engine, loop, weakly(self._finished))
        self._zap = ZapClient(context, engine.options, weakly(self._zap_answered))
        self._driver.on_zap = weakly(self._ask_zap)
        self._batcher = batcher(self._driver)
        self._batching = self._batching_wanted()
        self._rcvtimeo: int = engine.options["RCVTIMEO"]  # (read on every wait: kept here)
        self._sndtimeo: int = engine.options["SNDTIMEO"]
        #: Wakes whatever waits on this socket (after a delivery, a close, term()).
        self._notify = wake
        self._inproc = inproc = engine.inproc
        self._transfers = context._inproc  # (the inproc moves any call may have to run)
        inproc.lock, inproc.wake = lock, wake
        self._endpoints: dict[str, list[Endpoints]] = {}
        self._closed = False
        self._outgoing: list[Buffer] = []  # frames of a message sent with SNDMORE so far
        self._incoming: list[Any] = []  # the rest of a message read frame by frame
        self._monitor: SocketAPI | None = None  # the PAIR socket monitor() bound
        self._monitor_peer: Any = None  # the PAIR get_monitor_socket() gave (pyzmq's)
        self._signal: ReadySignal | None = None  # Socket.FD's, once asked for
        self._take_unlocked = self._lock_free_reads()
        #: SERVER, RADIO, DISH: the core's first frame is the routing id or the group,
        #: which pyzmq shows as an attribute of the Frame ("routing_id", "group").
        self._envelope = _ENVELOPES.get(engine.socket_type)
        self._routed = self._envelope is not None
        register(self)
        if engine.socket_type in (SocketType.PUB, SocketType.XPUB):
            self._last_look = 0.0
            cast(Any, engine.pattern).before_dropping = _looking_for_subscriptions(self)

    # -- shadows (pyzmq's; see _shadow.py) ---------------------------------------------

    def _shadows(self, target: Any, socket_type: Any, shadow: Any) -> bool:
        """The constructor's first step: True if this object is to be a view of
        another socket (``Socket(sock)``, ``Socket(shadow=sock.underlying)``)."""
        if shadow is None and not isinstance(target, SocketAPI):
            return False
        original = self._show(target if shadow is None else shadow, SocketAPI)
        if type(original)._backend() != type(self)._backend():
            self._adopt(original)
        return True

    def _adopt(self, original: SocketAPI) -> None:
        """Hook: this view shows a socket of another backend (whose I/O that backend
        keeps doing): set up this backend's own way of waiting, in this view."""
        raise SocketError(
            errno.ENOTSUP,
            f"a {type(self).__name__} cannot show a socket of {type(original)._backend()}",
        )

    @classmethod
    def _backend(cls) -> str:
        """The zmtp package this class belongs to (a user's subclass included)."""
        for klass in cls.__mro__:
            package = klass.__module__.partition(".")[0]
            if package.startswith("zmtp_") and package != "zmtp_transport":
                return package
        return ""

    # -- options ------------------------------------------------------------

    def setsockopt(self, option: int | str, value: Any) -> None:
        """Set an option; as in pyzmq, text for a bytes option is a TypeError (use
        ``setsockopt_string``), and so is anything but an int for an unknown number."""
        with self._lock:
            self._check_open()
            if not isinstance(value, int):
                _check_value_type(option, value)
            self._engine.setsockopt(option, value)
            self._batching = self._batching_wanted()
            self._rcvtimeo = self._engine.options["RCVTIMEO"]
            self._sndtimeo = self._engine.options["SNDTIMEO"]
            self._take_unlocked = self._lock_free_reads()  # (SUB: subscribed to all, or not)
            self._driver.service()  # a SUBSCRIBE goes out to every peer
        self._after_call()  # ... and to inproc publishers

    def _batching_wanted(self) -> bool:
        engine = self._engine
        return Toggles.pick(
            engine.toggles.write_batching, bool(engine.options["ZMTP_WRITE_BATCHING"])
        )

    def getsockopt(self, option: int | str) -> Any:
        spec = lookup(option)
        with self._lock:
            self._check_open()
            if spec.name == "RCVMORE":
                return int(bool(self._incoming))
            if spec.name == "EVENTS":
                if self._signal is not None:
                    self._signal.clear()  # (before the look: a change after it raises it again)
                return self._events()
            if spec.name == "FD":
                return self._ready_signal().fd
            return self._engine.getsockopt(option)

    set = setsockopt
    get = getsockopt

    def setsockopt_string(self, option: int | str, optval: str, encoding: str = "utf-8") -> None:
        """Set a bytes option from text."""
        if not isinstance(optval, str):
            raise TypeError(f"expected str, got {type(optval).__name__}")
        self.setsockopt(option, optval.encode(encoding))

    def getsockopt_string(self, option: int | str, encoding: str = "utf-8") -> str:
        """A bytes option as text."""
        spec = lookup(option)
        if spec.kind is not bytes:
            raise TypeError(f"option {spec.name} will not return a string to be decoded")
        return bytes(self.getsockopt(option)).decode(encoding)

    set_string = setsockopt_unicode = setsockopt_string
    get_string = getsockopt_unicode = getsockopt_string

    def __getattr__(self, name: str) -> Any:
        """Options read as attributes: ``sock.sndhwm``, ``sock.FD`` (and, in a view,
        whatever it does not hold itself: the original's)."""
        original = self.__dict__.get("_original")
        if original is not None:
            return getattr(original, name)
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            lookup(name)
        except SocketError:
            raise AttributeError(f"Socket has no such option: {name.upper()}") from None
        try:
            return self.getsockopt(name)
        except SocketError as error:  # (write-only: no attribute to read, as mock.Mock expects)
            if error.errno in (errno.EINVAL, errno.EFAULT):
                raise AttributeError(f"{name} cannot be read: {error}") from None
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        """Options set as attributes; any other unknown name is refused, as by pyzmq
        (a typo such as ``sock.lingr = 0`` must not pass silently). ``sock.subscribe =
        topic`` subscribes, as in pyzmq, although ``subscribe`` is also a method."""
        if name in ("subscribe", "unsubscribe"):
            getattr(self, name)(value)
            return
        if name.startswith("_") or name == "context" or declared(type(self), name, self):
            self._set_own(name, value)
            return
        try:
            lookup(name)
        except SocketError:
            raise AttributeError(f"Socket has no such option: {name.upper()}") from None
        self.setsockopt(name, value)

    def __dir__(self) -> list[str]:
        """The methods, and the options as attributes (pyzmq lists them so)."""
        return sorted({*super().__dir__(), *constants.SocketOption.__members__})

    @property
    def hwm(self) -> int:
        return int(self.getsockopt("SNDHWM"))

    @hwm.setter
    def hwm(self, value: int) -> None:
        self.setsockopt("SNDHWM", value)
        self.setsockopt("RCVHWM", value)

    def get_hwm(self) -> int:
        return self.hwm

    def set_hwm(self, value: int) -> None:
        self.hwm = value

    @property
    def type(self) -> PyzmqSocketType:
        return PyzmqSocketType(self._engine.socket_type)

    @property
    def socket_type(self) -> PyzmqSocketType:
        """Deprecated by pyzmq: ``type``."""
        warnings.warn(
            "Socket.socket_type is deprecated, use Socket.type", DeprecationWarning, stacklevel=2
        )
        return self.type

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def rcvmore(self) -> bool:
        return bool(self._incoming)

    def subscribe(self, topic: str | bytes) -> None:
        """Subscribe to ``topic`` (text is encoded as UTF-8)."""
        self.setsockopt("SUBSCRIBE", topic.encode() if isinstance(topic, str) else topic)

    def unsubscribe(self, topic: str | bytes) -> None:
        self.setsockopt("UNSUBSCRIBE", topic.encode() if isinstance(topic, str) else topic)

    # -- endpoints ----------------------------------------------------------

    def bind(self, addr: str | bytes) -> EndpointContext:
        """Bind; ``tcp://host:*`` and ``ipc://*`` pick a free port or path (see last_endpoint)."""
        addr, endpoint = self._endpoint(addr)
        with self._lock:
            self._check_open()
            if endpoint.transport == "inproc":
                self.context._inproc.bind(endpoint.path, self._inproc)
                bound: Endpoints | None = None
                last = addr
            else:
                bound = self._driver.bind(endpoint, addr)
                last = bound.text
            self._engine.options.set_by_backend("LAST_ENDPOINT", last.encode())
        if bound is not None:
            for name in {addr, last}:
                self._endpoints.setdefault(name, []).append(bound)
        self._after_call()  # inproc peers that connected first may have messages waiting
        return EndpointContext(self, "bind", last)

    def _endpoint(self, addr: str | bytes) -> tuple[str, Any]:
        """``addr`` as text and the endpoint it names (the socket must be open)."""
        text = _text(addr)
        self._check_open()
        return text, _parse(text)

    def bind_to_random_port(
        self, addr: str, min_port: int = 49152, max_port: int = 65536, max_tries: int = 100
    ) -> int:
        """pyzmq's helper: bind to a free port and return it."""
        if min_port == 49152 and max_port == 65536:
            self.bind(f"{addr}:*")
            return int(self.getsockopt("LAST_ENDPOINT").decode().rpartition(":")[2])
        candidates = random.sample(range(min_port, max_port), min(max_tries, max_port - min_port))
        for port in candidates:
            try:
                self.bind(f"{addr}:{port}")
            except SocketError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
            else:
                return port
        raise ZMQBindError("could not bind socket to random port")

    def connect(self, addr: str | bytes) -> EndpointContext:
        """Connect; the peer may come later (messages wait in the pipe, IMMEDIATE=0)."""
        addr, endpoint = self._endpoint(addr)
        with self._lock:
            self._check_open()
            if endpoint.transport == "inproc":
                link: Endpoints = self.context._inproc.connect(endpoint.path, self._inproc)
            else:
                link = self._driver.connect(endpoint, addr)
            self._endpoints.setdefault(addr, []).append(link)
            self._engine.options.set_by_backend("LAST_ENDPOINT", addr.encode())
        self._after_call()
        return EndpointContext(self, "connect", addr)

    def unbind(self, addr: str | bytes) -> None:
        """Stop listening; when this returns the port (or path) can be bound again."""
        self._wait_released(self._forget(_text(addr), Listener, "bound"))

    def disconnect(self, addr: str | bytes) -> None:
        self._forget(_text(addr), (Dialer, InprocLink), "connected")

    def _wait_released(self, sockets: list[Any]) -> None:
        """Hook: return once these listening sockets are really closed."""

    def _forget(self, addr: str, kinds: Any, what: str) -> list[Any]:
        """Undo a bind or connect; returns the listening sockets to wait for."""
        released = []
        with self._lock:
            self._check_open()
            if addr.startswith("inproc://") and kinds is Listener:
                self.context._inproc.unbind(parse_endpoint(addr).path, self._inproc)
                return []
            found = [e for e in self._endpoints.get(addr, ()) if isinstance(e, kinds)]
            if not found:
                raise SocketError(errno.ENOENT, f"{addr} is not {what}")
            for endpoint in found:
                for name, items in list(self._endpoints.items()):
                    if endpoint in items:
                        items.remove(endpoint)
                        if not items:
                            del self._endpoints[name]
                if isinstance(endpoint, Listener):
                    released.append(self._driver.unbind(endpoint))
                elif isinstance(endpoint, Dialer):
                    self._driver.disconnect(endpoint)
        for endpoint in found:
            if isinstance(endpoint, InprocLink):
                endpoint.close()  # (takes both ends' locks: outside ours)
        return released

    # -- sending ------------------------------------------------------------------

    def _frames_to_send(self, data: Any, flags: int, copy: bool) -> list[Buffer] | None:
        """The whole message once its last frame comes (SNDMORE frames wait here)."""
        frame = data if type(data) is bytes else self._frame_buffer(data, copy)
        outgoing = self._outgoing
        if flags & SNDMORE:
            if self._engine.pattern.single_frame:
                raise SocketError(errno.EINVAL, "this socket type sends one-frame messages")
            with self._lock:
                self._check_open()
                if not outgoing and not self._engine.writable and flags & NOBLOCK:
                    raise Again()
                outgoing.append(frame)
            return None
        if not outgoing:
            return [frame]
        frames = [*outgoing, frame]
        outgoing.clear()
        return frames

    def _addressed(
        self, data: Any, flags: int, routing_id: int | None, group: Any, copy: bool
    ) -> list[Buffer]:
        """A SERVER's or RADIO's message as the core takes it: the routing id in four
        bytes, big-endian, or the group, then the frame (``routing_id=``/``group=``,
        or the Frame's own, as in pyzmq)."""
        if flags & SNDMORE:
            raise SocketError(errno.EINVAL, "this socket type sends one-frame messages")
        frame = self._frame_buffer(data, copy)
        if self._envelope == "group":
            if group is None:
                group = getattr(data, "group", "")
            return [group.encode() if isinstance(group, str) else bytes(group), frame]
        if routing_id is None:
            routing_id = getattr(data, "routing_id", 0)
        if not routing_id:
            raise SocketError(errno.EHOSTUNREACH, "a SERVER sends to a routing_id (none given)")
        return [int(routing_id).to_bytes(4, "big"), frame]

    @staticmethod
    def _only_part(parts: Sequence[Any]) -> Any:
        """send_multipart() on a SERVER, PEER or RADIO: its one part (more is EINVAL)."""
        if len(parts) != 1:
            raise SocketError(errno.EINVAL, "this socket type sends one-frame messages")
        return parts[0]

    def _unaddressed(self, frames: list[Any], copy: bool) -> Any:
        """A SERVER's or DISH's received message as pyzmq gives it: the frame, and
        with ``copy=False`` a Frame whose ``routing_id`` or ``group`` is set."""
        if copy:
            return self._copied(frames[1])
        self._engine.lend(frames[1])
        frame = received_frame(frames[1], False, self._engine.received_properties)
        if self._envelope == "group":
            frame.group = bytes(frames[0]).decode("utf-8", "replace")
        else:
            frame.routing_id = int.from_bytes(frames[0], "big")
        return frame

    def connect_peer(self, addr: str | bytes) -> int:
        """A PEER connects to ``addr`` and returns the routing id its messages to that
        peer take (libzmq's ``zmq_connect_peer``; EFAULT with IMMEDIATE set)."""
        pattern = self._engine.pattern
        if self._engine.socket_type is not SocketType.PEER:
            raise SocketError(errno.ENOTSUP, "only a PEER connects to a peer")
        if self._engine.options["IMMEDIATE"]:
            raise SocketError(errno.EFAULT, "connect_peer does not work with IMMEDIATE")
        self.connect(addr)
        return int(getattr(pattern, "last_routing_id", 0))

    def join(self, group: str | bytes) -> None:
        """A DISH receives ``group``'s messages from now on (text is UTF-8)."""
        self._membership(group, join=True)

    def leave(self, group: str | bytes) -> None:
        """A DISH no longer receives ``group``'s messages."""
        self._membership(group, join=False)

    def _membership(self, group: str | bytes, *, join: bool) -> None:
        name = group.encode() if isinstance(group, str) else bytes(group)
        with self._lock:
            self._check_open()
            change = getattr(self._engine.pattern, "join" if join else "leave", None)
            if change is None:
                raise SocketError(errno.ENOTSUP, "only a DISH joins and leaves groups")
            change(name)
            self._driver.service()  # the JOIN or LEAVE goes out to every peer
        self._after_call()  # ... and to inproc radios

    def _continue(self, parts: Sequence[Any], copy: bool) -> None:
        """``send_multipart(parts, SNDMORE)``: the frames wait for the rest of the
        message (pyzmq sends every part with SNDMORE, the last one too)."""
        for part in parts:
            self._frames_to_send(part, SNDMORE, copy)

    def _message_of(self, parts: Sequence[Any], copy: bool) -> Sequence[Buffer]:
        """send_multipart()'s frames: the parts themselves when all are bytes (the
        engine copies the sequence if it has to keep it), converted otherwise."""
        for part in parts:
            if type(part) is not bytes:
                return [self._frame_buffer(part, copy) for part in parts]
        return parts

    def _unsent(self, frames: list[Buffer]) -> None:
        """A message could not be queued: retrying its last frame completes it again."""
        if len(frames) > 1:
            self._outgoing.extend(frames[:-1])

    @staticmethod
    def _frame_buffer(data: Any, copy: bool) -> Buffer:
        if isinstance(data, bytes):
            return data  # immutable: never needs a copy
        if isinstance(data, Frame):
            data = data._data  # (the frame itself, for one that owns its bytes)
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"a frame must be bytes-like, not {type(data).__name__}") from None
        # A mutable buffer sent with copy=True must not change under us.
        return view.tobytes() if copy else data

    def _try_send(self, frames: Sequence[Buffer], tracker: Any) -> bool:
        """Queue the whole message (True), or nothing (False: at the high-water mark)."""
        with self._lock:
            if self._closed or self.context._terminated:
                self._check_open()
            engine = self._engine
            try:
                engine.send(frames, tracker)
            except Again:
                return False
            if engine.outbox.pending:
                if self._batching:
                    self._batcher.queued(
                        len(frames[0]) if len(frames) == 1 else sum(map(len, frames))
                    )
                else:
                    self._driver.flush()
        if self._transfers.pending:
            self._transfers.run_transfers()
        return True

    # -- receiving --------------------------------------------------------------------

    def _lock_free_reads(self) -> Callable[[], list[Any] | None]:
        """What takes a message without the lock, while the socket may (open, and
        of a pattern that reads its queue plainly): see SocketEngine.unlocked_recv."""
        if self._closed or self.context._terminated:
            return _none
        return self._engine.unlocked_recv() or _none

    def _stop_unlocked_reads(self) -> None:
        """Closed, or its context ended: every take goes by the checks under the lock."""
        self._take_unlocked = _none

    def _try_recv(self) -> list[Any] | None:
        """The next whole message, or None; EFSM and the like raise."""
        frames = self._take_unlocked()
        if frames is not None:
            return frames
        with self._lock:
            if self._closed or self.context._terminated:
                self._check_open()
            engine = self._engine
            frames = engine.try_recv()
            if frames is None:
                return None
            if engine.outbox.pending:  # reading resumes: a paused connection is watched again
                self._driver.service()
            for link in self._inproc.links:
                if link.stalled:
                    link.reading()
        if self._transfers.pending:
            self._transfers.run_transfers()
        return frames

    def _read_inline(self, limit: int = 8) -> bool:
        """Read the kernel now (sockets with few peers); True if a message is ready."""
        with self._lock:
            return self._driver.read_inline(limit) and self._engine.readable

    def _next_frame(self, frames: list[Any] | None, copy: bool) -> Any:
        """recv(): one frame of the current message (``frames`` starts a new one)."""
        incoming = self._incoming
        if frames is not None:
            incoming.extend(frames)
        frame = incoming.pop(0)
        if copy:
            return self._copied(frame)
        self._engine.lend(frame)
        return received_frame(frame, bool(incoming), self._engine.received_properties)

    @staticmethod
    def _target(buffer: Any, nbytes: int) -> memoryview:
        """recv_into()'s buffer, checked before anything is received (pyzmq's errors)."""
        view = memoryview(buffer)
        if view.readonly or not view.c_contiguous:
            raise BufferError("recv_into needs a writable, contiguous buffer")
        view = view.cast("B")
        if nbytes < 0 or nbytes > view.nbytes:
            raise ValueError(f"nbytes={nbytes} does not fit a buffer of {view.nbytes} bytes")
        return view

    def _frame_into(self, frames: list[Any] | None, view: memoryview, nbytes: int) -> int:
        """recv_into(): the next frame copied into ``view`` (at most ``nbytes``
        bytes, 0: all it holds); returns the frame's whole size, as pyzmq does."""
        incoming = self._incoming
        if frames is not None:
            incoming.extend(frames[1:] if self._routed else frames)  # (a SERVER's: no id)
        frame = incoming.pop(0)
        size = len(frame)
        count = min(size, nbytes or view.nbytes)
        view[:count] = memoryview(frame)[:count]
        self._engine.recycle(frame)
        return size

    def _rest_of_message(self) -> list[Any] | None:
        """recv_multipart() after recv(): what is left of the current message."""
        if not self._incoming:
            return None
        frames = self._incoming[:]
        self._incoming.clear()
        return frames

    def _deliverable(self, frames: list[Any], copy: bool) -> list[Any]:
        """What recv_multipart() returns: bytes (``copy``), or Frames over the buffers."""
        if copy:
            for frame in frames:
                if type(frame) is not bytes:
                    return [self._copied(frame) for frame in frames]
            return frames
        last, lend = len(frames) - 1, self._engine.lend
        properties = self._engine.received_properties
        delivered = []
        for index, frame in enumerate(frames):
            lend(frame)
            delivered.append(received_frame(frame, index < last, properties))
        return delivered

    def _copied(self, frame: Any) -> bytes:
        """``frame`` as bytes; a large body the engine allocated goes back to it for reuse
        (the copy is all the application gets)."""
        if type(frame) is bytes:
            return frame
        data = bytes(memoryview(frame))  # (not bytes(frame): a Frame would keep that copy)
        self._engine.recycle(frame)
        return data

    # -- state ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise SocketError(errno.ENOTSOCK, "the socket is closed")
        if self.context._forked:
            raise ContextTerminated(
                "this socket's context was made before fork(): it works only in the "
                "parent process; make a new Context in the child"
            )
        if self.context._terminated:
            raise ContextTerminated()

    def _after_call(self) -> None:
        """Work that must happen outside the lock: inproc deliveries."""
        if self._transfers.pending:
            self._transfers.run_transfers()

    def _events(self) -> int:
        events = 0
        if self._incoming or self._engine.readable:
            events |= POLLIN
        if self._engine.writable:
            events |= POLLOUT
        return events

    # -- the socket monitor -----------------------------------------------------------

    def monitor(self, addr: str | bytes | None, events: int = MONITOR_ALL) -> None:
        """Report ``events`` (libzmq's mask) to a PAIR socket bound at ``addr``
        (inproc only), in libzmq's two-frame form; ``None`` stops (MONITOR_STOPPED)."""
        self._check_open()
        if addr is None:
            self._stop_monitor()
            return
        addr = _text(addr)
        if not addr.startswith("inproc://"):
            raise SocketError(errno.EPROTONOSUPPORT, "a monitor is bound on inproc:// only")
        if events >> 16:
            raise SocketError(errno.EINVAL, "the first event format has 16 bits of events")
        self._stop_monitor()
        monitor = self.context.socket(PAIR)  # type: ignore[attr-defined]
        monitor.linger = 0  # (never holds up the end of the context)
        try:
            monitor.bind(addr)
        except BaseException:
            monitor.close()
            raise
        self._monitor = monitor
        with self._lock:
            self._driver.on_events = functools.partial(_report_events, monitor)
            self._engine.monitor_events = events

    def get_monitor_socket(self, events: int | None = None, addr: str | None = None) -> Any:
        """pyzmq's helper: start a monitor and return a PAIR socket connected to it
        (the same one again while it is open, as pyzmq's)."""
        peer = self._monitor_peer
        if peer is not None and not peer.closed:
            return peer
        if addr is None:
            addr = f"inproc://monitor.s-{id(self):x}"
        self.monitor(addr, MONITOR_ALL if events is None else events)
        peer = self._monitor_peer = self.context.socket(PAIR)  # type: ignore[attr-defined]
        peer.connect(addr)
        return peer

    def disable_monitor(self) -> None:
        """Stop the monitor (it says MONITOR_STOPPED first)."""
        self._monitor_peer = None
        self._stop_monitor()

    def _stop_monitor(self) -> None:
        monitor = self._monitor
        if monitor is None:
            return
        self._monitor = None
        with self._lock:
            mask, self._engine.monitor_events = self._engine.monitor_events, 0
            self._driver.on_events = None
        if mask & MONITOR_STOPPED:
            _report_events(monitor, [MonitorEvent(MONITOR_STOPPED, 0, "")])
        monitor.close()

    # -- ZAP ----------------------------------------------------------------------------

    def _ask_zap(self, question: AskZap) -> None:
        """The driver's call (under our lock): the engine has a question for ZAP."""
        for handle, status_code in self._zap.ask([question]):
            self._engine.authenticated(handle, status_code)

    def _zap_answered(
        self, handle: Any, status_code: str | None, user_id: bytes, metadata: bytes
    ) -> None:
        """ZAP replied (from whichever thread or task its handler runs in)."""
        with self._lock:
            if self._closed:
                return
            self._engine.authenticated(handle, status_code, user_id, metadata)
            self._driver.service()

    # -- a descriptor for other event loops ----------------------------------------------

    def fileno(self) -> int:
        """The FD option: readable when EVENTS may have changed (edge-triggered)."""
        return int(self.getsockopt("FD"))

    def _ready_signal(self) -> ReadySignal:
        """The FD's signal, made at first use; from then on every service of the
        socket and every inproc delivery to it raises it."""
        signal = self._signal
        if signal is None:
            signal = self._signal = ReadySignal()
            self._driver.on_service = signal.set
            inproc, wake = self._inproc, self._inproc.wake

            def wake_and_signal() -> None:
                wake()
                signal.set()

            inproc.wake = wake_and_signal
            inproc.waiting += 1  # (every delivery wakes: the FD's reader may be anywhere)
        return signal

    # -- the end ------------------------------------------------------------------

    def close(self, linger: int | None = None) -> None:
        """Close; with LINGER != 0 queued messages keep flowing in the background."""
        if "_original" in self.__dict__:  # a view: the socket it shows closes
            self._release_view()
            self._original.close(linger)
            return
        if self.context._forked:
            self._closed = True  # (the parent's socket: nothing of it runs here)
            return
        if self._monitor is not None and not self._closed:
            with contextlib.suppress(SocketError):
                self._stop_monitor()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop_unlocked_reads()
            self._endpoints.clear()
            links = self._inproc.links[:]  # (the engine's close takes what waits in them)
            self.context._lingering.add(self)  # (until the driver says finished)
            self._driver.close(linger)
        for link in links:
            link.depart(self._inproc)
        self._check_linger()
        self._zap.close()
        self.context._inproc.forget(self._inproc)
        self._after_call()  # (messages the inproc links took over may move now)
        self.context._socket_closed(self)
        if self._signal is not None:
            self._driver.on_service = None
            self._signal.close()

    def _release_view(self) -> None:
        """Hook: a view of another backend's socket stops waiting its own way."""

    def _check_linger(self) -> None:
        """inproc messages moved (or were dropped): a lingering socket may be done."""
        with self._lock:
            self._engine.check_linger()
            self._driver.service()

    def _finish(self) -> None:
        """Drop everything that is left now, LINGER or not."""
        with self._lock:
            self._engine.finish()
            self._driver.service()

    def _finished(self) -> None:
        """The driver's call: the engine has nothing left to send."""
        self.context._lingering.discard(self)
        self.context._socket_finished(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        """Dropped without close(): warned about and closed, as pyzmq does, with its
        LINGER (what it was given still leaves; the context keeps it until then).
        A shadow owns nothing: dropping it closes nothing."""
        if "_original" in self.__dict__:
            self._release_view()
            return
        if not getattr(self, "_closed", True):
            warnings.warn(f"unclosed socket {self!r}", ResourceWarning, stacklevel=1, source=self)
            with contextlib.suppress(Exception):  # best effort, possibly at interpreter exit
                self.close()

    def __repr__(self) -> str:
        name = repr_name(type(self))
        kind = f"{name.partition('.')[0]}.{self._engine.socket_type.name}"
        return f"<{name}({kind}) at {id(self):#x}{' closed' if self._closed else ''}>"
