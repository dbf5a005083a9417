"""What every backend's Context shares: its sockets, inproc names, and the end.

A context does not survive ``fork()``: its I/O (a thread, an event loop) stays
in the parent. In the child every context of the parent is marked, so that
using one fails at once with ETERM and a clear reason instead of hanging, and
``Context.instance()`` makes a fresh one (as pyzmq does).

Options, as in pyzmq: context options (``ctx.set``, ``ctx.io_threads``) and
default socket options for the sockets made afterwards (``ctx.setsockopt``,
``ctx.linger = 0``).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, Self, TypeVar, cast, overload
from weakref import WeakSet

from zmtp_core import SocketError, SocketType
from zmtp_core.options import lookup

from ._api import SocketAPI, declared, repr_name
from ._inproc import InprocRegistry
from ._shadow import Shadowable, register
from .constants import ContextOption, SocketOption
from .errors import ContextTerminated

__all__ = ["ContextBase"]

S = TypeVar("S", bound=SocketAPI)
T = TypeVar("T")

#: Context options with libzmq's defaults. With no thread pool here, IO_THREADS
#: and the THREAD_* options are kept for code that reads them back; MAX_SOCKETS
#: and BLOCKY act (BLOCKY=0: new sockets start with LINGER 0), and so does IPV6
#: (the default of new sockets).
_CONTEXT_DEFAULTS: dict[int, int | str] = {
    ContextOption.IO_THREADS: 1,
    ContextOption.MAX_SOCKETS: 1023,
    ContextOption.THREAD_SCHED_POLICY: -1,
    ContextOption.MAX_MSGSZ: 2**31 - 1,
    ContextOption.THREAD_NAME_PREFIX: 0,
    SocketOption.IPV6: 0,
    SocketOption.BLOCKY: 1,
}
#: Read only: SOCKET_LIMIT (3 when read; THREAD_PRIORITY when set) and MSG_T_SIZE.
_READ_ONLY: dict[int, int] = {ContextOption.SOCKET_LIMIT: 65535, ContextOption.MSG_T_SIZE: 64}
#: Set only: THREAD_PRIORITY (3) and the affinity changes.
_WRITE_ONLY = frozenset(
    {
        ContextOption.THREAD_PRIORITY,
        ContextOption.THREAD_AFFINITY_CPU_ADD,
        ContextOption.THREAD_AFFINITY_CPU_REMOVE,
    }
)


def _context_option(option: int | str) -> int:
    if isinstance(option, str):
        name = option.upper()
        for enum in (ContextOption, SocketOption):
            if name in enum.__members__:
                return int(enum[name])
        raise SocketError(errno.EINVAL, f"unknown context option {option!r}")
    return int(option)


_contexts: WeakSet[ContextBase[Any]] = WeakSet()


def _after_fork_in_child() -> None:
    for context in list(_contexts):
        context._forked = True
        context._terminated = True  # (the fast checks see it; _check_open says why)
        context._stop_unlocked_reads()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _at_exit() -> None:
    """The program ends: what its sockets were given still leaves (within LINGER),
    as libzmq's I/O thread sends it for pyzmq."""
    ContextBase._exiting = True
    for context in list(_contexts):
        if not context._terminated and not context._forked:
            with contextlib.suppress(Exception):  # (the exit goes on regardless)
                context._flush_at_exit()


atexit.register(_at_exit)


class ContextBase(Shadowable, Generic[S]):
    """pyzmq's Context, less the waiting: sockets made here, options, term(), destroy().

    A backend names its socket class and says how term() waits; whoever waits
    on a socket is woken through the socket's own ``wake`` callable.
    """

    #: What socket() makes (pyzmq's name).
    _socket_class: ClassVar[type[Any]]
    #: Set once the interpreter runs its exit handlers (pyzmq's flag of that name).
    _exiting: ClassVar[bool] = False
    #: For a shadow: the context it shows (its sockets and inproc names are the view's).
    _original: ContextBase[Any]
    #: instance()'s context, per class, and the lock around making it (a backend
    #: that offers instance() sets the lock: a threading.Lock, say).
    _instance: ClassVar[Any] = None
    _instance_lock: ClassVar[AbstractContextManager[object]]

    def __class_getitem__(cls, item: object) -> type[Self]:
        """``Context[Socket]``, as pyzmq's generic Context is written in annotations."""
        return cls

    @classmethod
    def instance(cls, io_threads: int = 1) -> Self:
        """The process-wide shared context (created on first use)."""
        with cls._instance_lock:
            if cls._instance is None or cls._instance.closed:
                cls._instance = cls(io_threads)
            return cast(Self, cls._instance)

    def __init__(
        self,
        io_threads: int = 1,
        *,
        new_lock: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        if not isinstance(io_threads, int) or isinstance(io_threads, bool):
            raise TypeError(
                "io_threads must be an int (shadowing a libzmq context is not supported)"
            )
        if io_threads < 0:
            raise SocketError(errno.EINVAL, f"io_threads must be >= 0, not {io_threads}")
        self._sockets: WeakSet[S] = WeakSet()
        self._lingering: set[S] = set()
        self._terminated = False
        #: True in a child process forked after this context was made: unusable there.
        self._forked = False
        self._options: dict[int, int | str] = {**_CONTEXT_DEFAULTS}
        self._options[ContextOption.IO_THREADS] = io_threads
        #: Socket options every new socket starts with (pyzmq's name).
        self.sockopts: dict[int, Any] = {}
        _contexts.add(self)
        self._inproc = InprocRegistry(new_lock)
        register(self)

    # -- shadows (pyzmq's; see _shadow.py) ---------------------------------------------

    def _shadows(self, io_threads: Any, shadow: Any) -> bool:
        """The constructor's first step: True if this object is to be a view of
        another context (``Context(ctx)``, ``Context(shadow=ctx.underlying)``)."""
        if shadow is None and not isinstance(io_threads, ContextBase):
            return False
        self._show(io_threads if shadow is None else shadow, ContextBase)
        return True

    @property
    def closed(self) -> bool:
        return self._terminated

    @overload
    def socket(
        self, socket_type: SocketType | int, socket_class: None = None, **kwargs: Any
    ) -> S: ...

    @overload
    def socket(
        self, socket_type: SocketType | int, socket_class: Callable[..., T], **kwargs: Any
    ) -> T: ...

    def socket(
        self,
        socket_type: SocketType | int,
        socket_class: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A new socket; ``socket_class`` and ``kwargs`` as pyzmq takes them.

        A socket class of another backend (``zmq.asyncio.Socket`` here, say) gets a
        view of a socket of this context's own kind: one runtime runs a context.
        """
        wanted: Any = socket_class or type(self)._socket_class
        if "_original" in self.__dict__:
            if self._original._terminated:
                raise SocketError(errno.EFAULT, "the context this shadow shows was terminated")
            return self._original.socket(socket_type, wanted, **kwargs)
        if wanted._backend() != self._socket_class._backend():
            return wanted(shadow=self.socket(socket_type, **kwargs))
        self._check_can_make_sockets()
        if self._terminated:
            raise ContextTerminated()
        if len(self._sockets) >= int(self._options[ContextOption.MAX_SOCKETS]):
            raise SocketError(errno.EMFILE, "too many open sockets (MAX_SOCKETS)")
        sock = wanted(self, socket_type, **kwargs)
        defaults = dict(self.sockopts)
        if not self._options[SocketOption.BLOCKY]:
            defaults.setdefault(SocketOption.LINGER, 0)
        if self._options[SocketOption.IPV6]:
            defaults.setdefault(SocketOption.IPV6, 1)
        for option, value in defaults.items():
            with contextlib.suppress(SocketError):  # (one that does not apply to this type)
                sock.setsockopt(option, value)
        self._sockets.add(sock)
        return sock

    def _check_can_make_sockets(self) -> None:
        """Hook: refuse to make sockets until the context is ready (curio's is entered)."""

    # -- options ------------------------------------------------------------------

    def set(self, option: int | str, optval: int | str) -> None:
        """Set a context option (IO_THREADS, MAX_SOCKETS, BLOCKY, IPV6...)."""
        number = _context_option(option)
        if number not in _CONTEXT_DEFAULTS and number not in _WRITE_ONLY:
            raise SocketError(errno.EINVAL, f"context option {option!r} cannot be set")
        if number != ContextOption.THREAD_NAME_PREFIX and (
            not isinstance(optval, int) or optval < -1
        ):
            raise SocketError(errno.EINVAL, f"bad value for context option {option!r}: {optval!r}")
        if number in _CONTEXT_DEFAULTS:
            self._options[number] = optval

    def get(self, option: int | str) -> int | str:
        """A context option's value."""
        number = _context_option(option)
        if number in _READ_ONLY:
            return _READ_ONLY[number]
        if number not in _CONTEXT_DEFAULTS:
            raise SocketError(errno.EINVAL, f"context option {option!r} cannot be read")
        return self._options[number]

    def setsockopt(self, option: int | str, value: Any) -> None:
        """A default for the sockets made from now on."""
        self.sockopts[int(lookup(option).number)] = value

    def getsockopt(self, option: int | str) -> Any:
        """The default set for new sockets (AttributeError-free: EINVAL if unset)."""
        number = lookup(option).number
        if number not in self.sockopts:
            raise SocketError(errno.EINVAL, f"no default is set for {lookup(option).name}")
        return self.sockopts[number]

    def __setattr__(self, name: str, value: Any) -> None:
        """``ctx.linger = 0`` sets a socket default; ``ctx.io_threads = 2`` an option."""
        if name.startswith("_") or name == "sockopts" or declared(type(self), name, self):
            self._set_own(name, value)
            return
        key = name.upper()
        if key in SocketOption.__members__:
            self.setsockopt(key, value)
        elif key in ContextOption.__members__:
            self.set(key, value)
        else:
            raise AttributeError(f"Context has no such option: {key}")

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_original")
        if original is not None:
            return getattr(original, name)  # (a view reads the original's state)
        if name.startswith("_"):
            raise AttributeError(name)
        key = name.upper()
        if key in SocketOption.__members__ and int(SocketOption[key]) in self.__dict__.get(
            "sockopts", {}
        ):
            return self.sockopts[int(SocketOption[key])]
        if key in ContextOption.__members__:
            try:
                return self.get(key)
            except SocketError as error:  # (write-only: no attribute to read)
                raise AttributeError(f"{name} cannot be read: {error}") from None
        raise AttributeError(key)

    def _wake_all(self) -> None:
        """Something ended: whatever waits on this context's sockets looks again."""
        for sock in list(self._sockets):
            sock._notify()

    def _stop_unlocked_reads(self) -> None:
        """Ended: a message still queued is no longer for the taking (ETERM)."""
        for sock in list(self._sockets):
            sock._stop_unlocked_reads()

    def _socket_closed(self, sock: S) -> None:
        sock._notify()

    def _socket_finished(self, sock: S) -> None:
        sock._notify()
        if not self._lingering:
            self._lingering_over()

    def _lingering_over(self) -> None:
        """Hook: no socket of this context has anything left to send."""

    async def wait_closed(self) -> None:
        """Wait until no socket of this context has anything left to send (coroutine
        backends)."""
        raise NotImplementedError

    async def _close_on_exit(self, failed: bool) -> None:
        """Leaving a coroutine backend's ``async with``: close every socket, and let
        lingering messages leave unless the block failed or is cancelled meanwhile."""
        try:
            self.destroy()
            if not failed:
                await self.wait_closed()
        finally:
            for sock in list(self._lingering):  # (cancelled while waiting: drop the rest)
                sock._finish()

    def _flush_at_exit(self) -> None:
        """Hook: the program ends; send what is left, within LINGER (a backend whose
        I/O runs by itself; an event loop that has stopped sends nothing more)."""

    def _mark_terminated(self) -> bool:
        """term()'s first step: False if it was already done."""
        if self._terminated:
            return False
        self._terminated = True
        self._stop_unlocked_reads()
        self._wake_all()  # calls waiting on open sockets fail with ETERM
        return True

    def term(self) -> None:
        """Terminate: calls waiting on open sockets fail with ETERM."""
        if not self._view_ends():
            self._mark_terminated()

    def _view_ends(self, linger: int | None = None, *, destroy: bool = False) -> bool:
        """term() or destroy() of a view: the context it shows ends (True: done)."""
        if "_original" not in self.__dict__:
            return False
        if destroy:
            self._original.destroy(linger)
        else:
            self._original.term()
        return True

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with ``linger`` if given), then term()."""
        if self._view_ends(linger, destroy=True):
            return
        for sock in list(self._sockets):
            if not sock.closed:
                sock.close(linger=linger)
        self.term()

    def _destroy_left_open(self) -> None:
        """The end of ``with Context() as ctx:``: destroy(), warning first of each
        socket left open (pyzmq's ResourceWarning)."""
        for sock in list(self._sockets):
            if not sock.closed:
                warnings.warn(f"unclosed socket {sock!r}", ResourceWarning, stacklevel=3)
        self.destroy()

    def __del__(self) -> None:
        """Dropped without term(): warned about and destroyed, as pyzmq does (its
        sockets are gone already: each holds its context). A shadow owns nothing."""
        if "_original" in self.__dict__:
            return
        if not getattr(self, "_terminated", True) and not self._forked and not self._exiting:
            warnings.warn(f"unclosed context {self!r}", ResourceWarning, stacklevel=2, source=self)
            with contextlib.suppress(Exception):
                self.destroy()

    def __repr__(self) -> str:
        count = sum(1 for sock in list(self._sockets) if not sock.closed)
        sockets = f"{count} socket{'s' if count != 1 else ''}" if count else ""
        state = " closed" if self._terminated else ""
        return f"<{repr_name(type(self))}({sockets}) at {id(self):#x}{state}>"

    def __dir__(self) -> list[str]:
        """The methods, and the context options as attributes (pyzmq lists them so)."""
        return sorted({*super().__dir__(), *ContextOption.__members__})
