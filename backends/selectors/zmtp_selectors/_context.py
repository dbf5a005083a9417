"""The Context: one reactor (and its background thread) for all its sockets, plus inproc."""

from __future__ import annotations

import threading
import weakref
from typing import Any, ClassVar

from zmtp_core import SocketType
from zmtp_transport import InprocRegistry
from zmtp_transport.errors import ContextTerminated

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
        self._inproc = InprocRegistry(threading.Lock)
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

    def _run_transfers(self) -> None:
        """Move inproc messages; called by any thread that holds no socket lock."""
        self._inproc.run_transfers()

    # -- the end ---------------------------------------------------------------

    def _socket_closed(self, sock: Socket) -> None:
        self._reactor.notify()

    def _socket_finished(self, sock: Socket) -> None:
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
