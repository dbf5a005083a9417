"""What every backend's Context shares: its sockets, inproc names, and the end.

A context does not survive ``fork()``: its I/O (a thread, an event loop) stays
in the parent. In the child every context of the parent is marked, so that
using one fails at once with ETERM and a clear reason instead of hanging, and
``Context.instance()`` makes a fresh one (as pyzmq does).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar
from weakref import WeakSet

from zmtp_core import SocketType

from ._api import SocketAPI
from ._inproc import InprocRegistry
from .errors import ContextTerminated

__all__ = ["ContextBase"]

S = TypeVar("S", bound=SocketAPI)

_contexts: WeakSet[ContextBase[Any]] = WeakSet()


def _after_fork_in_child() -> None:
    for context in list(_contexts):
        context._forked = True
        context._terminated = True  # (the fast checks see it; _check_open says why)


os.register_at_fork(after_in_child=_after_fork_in_child)


class ContextBase(Generic[S]):
    """pyzmq's Context, less the waiting: sockets made here, term(), destroy().

    A backend makes its sockets (:meth:`_new_socket`) and says how term()
    waits; whoever waits on a socket is woken through the socket's own
    ``wake`` callable.
    """

    def __init__(
        self, new_lock: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
    ) -> None:
        self._sockets: WeakSet[S] = WeakSet()
        self._lingering: set[S] = set()
        self._terminated = False
        #: True in a child process forked after this context was made: unusable there.
        self._forked = False
        _contexts.add(self)
        self._inproc = InprocRegistry(new_lock)

    @property
    def closed(self) -> bool:
        return self._terminated

    def socket(self, socket_type: SocketType | int, **kwargs: Any) -> S:
        if self._terminated:
            raise ContextTerminated()
        sock = self._new_socket(socket_type)
        self._sockets.add(sock)
        return sock

    def _new_socket(self, socket_type: SocketType | int) -> S:
        raise NotImplementedError

    def _wake_all(self) -> None:
        """Something ended: whatever waits on this context's sockets looks again."""
        for sock in list(self._sockets):
            sock._notify()

    def _socket_closed(self, sock: S) -> None:
        sock._notify()

    def _socket_finished(self, sock: S) -> None:
        sock._notify()
        if not self._lingering:
            self._lingering_over()

    def _lingering_over(self) -> None:
        """Hook: no socket of this context has anything left to send."""

    def _mark_terminated(self) -> bool:
        """term()'s first step: False if it was already done."""
        if self._terminated:
            return False
        self._terminated = True
        self._wake_all()  # calls waiting on open sockets fail with ETERM
        return True

    def term(self) -> None:
        """Terminate: calls waiting on open sockets fail with ETERM."""
        self._mark_terminated()

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with ``linger`` if given), then term()."""
        for sock in list(self._sockets):
            if not sock.closed:
                sock.close(linger=linger)
        self.term()

    def __repr__(self) -> str:
        package = type(self).__module__.split(".")[0]
        return f"<{package}.Context {'terminated' if self._terminated else 'open'}>"
