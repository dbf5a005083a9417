"""The Context: one reactor (and its background thread) for all its sockets, plus inproc."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from zmtp_transport import ContextBase

from ._reactor import Reactor
from ._socket import Socket

__all__ = ["AT_EXIT_LINGER_CAP", "Context"]

#: At exit, seconds a socket with LINGER = -1 (forever) may still spend sending:
#: a peer that is gone must not hang the end of the program.
AT_EXIT_LINGER_CAP = 5.0


class Context(ContextBase[Socket]):
    """pyzmq's ``zmq.Context``: a factory of sockets that share one I/O loop."""

    _instance_lock = threading.Lock()
    _socket_class = Socket
    #: The loop the sockets share (zmtp_selectors.green puts gevent's hub here).
    _reactor_class: ClassVar[type[Reactor]] = Reactor

    def __init__(self, io_threads: Any = 1, *, shadow: Any = None, **kwargs: Any) -> None:
        if self._shadows(io_threads, shadow):
            return
        super().__init__(io_threads, new_lock=threading.Lock)
        self._reactor = self._reactor_class()
        # inproc messages move from whichever thread holds no socket lock
        self._reactor.idle_work = self._inproc.run_transfers
        self._reactor.idle_pending = self._inproc.pending

    def term(self) -> None:
        """Wait until every socket is closed and done lingering, then stop the I/O thread.

        Blocked calls on sockets still open fail with ETERM, as in libzmq.
        """
        if self._view_ends() or not self._mark_terminated():
            return
        self._reactor.wait_until(
            lambda: not self._lingering and all(s.closed for s in list(self._sockets)), None
        )
        self._reactor.close()

    def _flush_at_exit(self) -> None:
        """Close what is open (each with its LINGER) and wait for it to be sent."""
        for sock in list(self._sockets):
            if not sock.closed:
                sock.close()
        deadline = time.monotonic() + AT_EXIT_LINGER_CAP
        self._reactor.wait_until(lambda: not self._lingering, deadline)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._destroy_left_open()
