"""The inproc:// names of one Context, and who runs the transfers.

The moving itself is the core's (:mod:`zmtp_core.inproc`); here a Context
keeps which engine is bound to which name, joins a connecting engine to it
(now, or once it binds), and runs the transfers links ask for from whichever
thread or task holds no socket lock.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from contextlib import AbstractContextManager

from zmtp_core import SocketError
from zmtp_core.inproc import InprocEnd, InprocLink

__all__ = ["InprocRegistry"]


class InprocRegistry:
    """A Context's inproc names: who is bound, and who connected first and waits."""

    def __init__(self, new_lock: Callable[[], AbstractContextManager[object]]) -> None:
        """``new_lock`` makes the locks the backend needs (``threading.Lock``, or a no-op)."""
        self._new_lock = new_lock
        self._lock = new_lock()
        self._transfer_lock = new_lock()
        self._bound: dict[str, InprocEnd] = {}
        self._waiting: dict[str, list[InprocLink]] = {}
        #: Links with something to move: whoever holds no socket lock runs them.
        self.pending: set[InprocLink] = set()

    def bind(self, name: str, end: InprocEnd) -> None:
        with self._lock:
            if name in self._bound:
                raise SocketError(errno.EADDRINUSE, f"inproc://{name} is already bound")
            self._bound[name] = end
            waiting = [link for link in self._waiting.pop(name, []) if not link.closed]
        for link in waiting:
            link.complete(end)

    def unbind(self, name: str, end: InprocEnd) -> None:
        with self._lock:
            if self._bound.get(name) is not end:
                raise SocketError(errno.ENOENT, f"inproc://{name} is not bound here")
            del self._bound[name]

    def is_bound(self, name: str) -> bool:
        return name in self._bound

    def connect(self, name: str, end: InprocEnd) -> InprocLink:
        link = InprocLink(end, self.pending.add, self._new_lock)
        with self._lock:
            bound = self._bound.get(name)
            if bound is None:  # connect before bind: messages wait in the pipe
                waiting = self._waiting.setdefault(name, [])
                waiting[:] = [*(other for other in waiting if not other.closed), link]
        if bound is not None:
            link.complete(bound)
        return link

    def forget(self, end: InprocEnd) -> None:
        """A socket closed: its names are free again."""
        with self._lock:
            for name, bound in list(self._bound.items()):
                if bound is end:
                    del self._bound[name]

    def run_transfers(self) -> None:
        """Move inproc messages (call with no socket lock held)."""
        if not self.pending:
            return
        with self._transfer_lock:
            while self.pending:
                self.pending.pop().transfer()
