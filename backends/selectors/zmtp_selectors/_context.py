"""The Context: one reactor (and its background thread) for all its sockets, plus inproc."""

from __future__ import annotations

import errno
import threading
import weakref
from typing import Any, ClassVar

from zmtp_core import SocketError, SocketType

from ._errors import ContextTerminated
from ._inproc import InprocLink
from ._reactor import Reactor
from ._socket import Socket

__all__ = ["Context"]


class Context:
    """pyzmq's ``zmq.Context``: a factory of sockets that share one I/O loop."""

    _instance: ClassVar[Context | None] = None
    _instance_lock = threading.Lock()

    def __init__(self, io_threads: int = 1, **kwargs: Any) -> None:
        self._reactor = Reactor()
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self._lingering: set[Socket] = set()
        self._terminated = False
        self._lock = threading.Lock()
        self._inproc_bound: dict[str, Socket] = {}
        self._inproc_waiting: dict[str, list[InprocLink]] = {}
        self._pending_transfers: set[InprocLink] = set()
        self._transfer_lock = threading.Lock()
        self._reactor.idle_work = self._run_transfers

    @classmethod
    def instance(cls, io_threads: int = 1) -> Context:
        """The process-wide shared context (created on first use)."""
        with cls._instance_lock:
            if cls._instance is None or cls._instance.closed:
                cls._instance = cls(io_threads)
            return cls._instance

    @property
    def closed(self) -> bool:
        return self._terminated

    def socket(self, socket_type: SocketType | int, **kwargs: Any) -> Socket:
        if self._terminated:
            raise ContextTerminated()
        sock = Socket(self, socket_type)
        self._sockets.add(sock)
        return sock

    # -- inproc -------------------------------------------------------------------

    def _inproc_bind(self, name: str, sock: Socket) -> None:
        with self._lock:
            if name in self._inproc_bound:
                raise SocketError(errno.EADDRINUSE, f"inproc://{name} is already bound")
            self._inproc_bound[name] = sock
            waiting = self._inproc_waiting.pop(name, [])
        for link in waiting:
            link.complete(sock)

    def _inproc_unbind(self, name: str, sock: Socket) -> None:
        with self._lock:
            if self._inproc_bound.get(name) is not sock:
                raise SocketError(errno.ENOENT, f"inproc://{name} is not bound here")
            del self._inproc_bound[name]

    def _inproc_connect(self, name: str, sock: Socket) -> InprocLink:
        link = InprocLink(sock, self._schedule_transfer)
        with self._lock:
            bound = self._inproc_bound.get(name)
            if bound is None:  # connect before bind: messages wait in the pipe
                self._inproc_waiting.setdefault(name, []).append(link)
        if bound is not None:
            link.complete(bound)
        return link

    def _schedule_transfer(self, link: InprocLink) -> None:
        self._pending_transfers.add(link)  # run by the caller when it lets go of its lock

    def _run_transfers(self) -> None:
        """Move inproc messages; called by any thread that holds no socket lock."""
        if not self._pending_transfers:
            return
        with self._transfer_lock:
            while self._pending_transfers:
                link = self._pending_transfers.pop()
                link.transfer()

    # -- the end ---------------------------------------------------------------

    def _socket_closed(self, sock: Socket) -> None:
        with self._lock:
            for name, bound in list(self._inproc_bound.items()):
                if bound is sock:
                    del self._inproc_bound[name]
        self._reactor.notify()

    def term(self) -> None:
        """Wait until every socket is closed and done lingering, then stop the I/O thread.

        Blocked calls on sockets still open fail with ETERM, as in libzmq.
        """
        if self._terminated:
            return
        self._terminated = True
        self._reactor.notify()
        self._reactor.wait_until(
            lambda: not self._lingering and all(s.closed for s in list(self._sockets)), None
        )
        self._reactor.close()

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with ``linger`` if given), then term()."""
        for sock in list(self._sockets):
            if not sock.closed:
                sock.close(linger=linger)
        self.term()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()

    def __repr__(self) -> str:
        return f"<zmtp_selectors.Context {'terminated' if self._terminated else 'open'}>"
