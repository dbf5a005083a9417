"""pyzmq's ``zmq.auth.thread``: the ZAP handler in a thread of its own."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from typing import Any

from zmtp_transport.auth import Authenticator
from zmtp_transport.constants import ETERM, PAIR, POLLIN
from zmtp_transport.errors import ZMQError

from .._context import Context
from .._poll import Poller

__all__ = ["ThreadAuthenticator"]

_pipes = itertools.count()


class ThreadAuthenticator(Authenticator):
    """Answers ZAP requests in a background thread, from ``start()`` to ``stop()``
    (or until its context ends). Configure it at any time."""

    def __init__(
        self,
        context: Any = None,
        encoding: str = "utf-8",
        log: logging.Logger | None = None,
    ) -> None:
        super().__init__(context or Context.instance(), encoding, log)
        self.thread: threading.Thread | None = None
        self._stop_pipe: Any = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Bind ``inproc://zeromq.zap.01`` and serve it in a new thread.

        A context of an asyncio backend (``zmq.asyncio.Context``, as pyzmq's own
        tests pass) runs its sockets on its event loop: there the ZAP socket is
        served by a task of the running loop instead, which answers as soon as
        the sockets that ask could go on anyway.
        """
        context = self.context
        zap = self._open_zap_socket()
        if not isinstance(context, Context):
            self._task = asyncio.get_running_loop().create_task(self.serve(zap))
            return
        name = f"inproc://zmtp-auth-stop-{id(self)}-{next(_pipes)}"
        listener, self._stop_pipe = context.socket(PAIR), context.socket(PAIR)
        listener.bind(name)
        self._stop_pipe.connect(name)
        self.thread = threading.Thread(
            target=self._serve, args=(zap, listener), name="zmtp-auth", daemon=True
        )
        self.thread.start()

    def _serve(self, zap: Any, stop: Any) -> None:
        answers = asyncio.new_event_loop()  # (for credentials providers that are coroutines)
        try:
            self._serve_until_stopped(zap, stop, answers)
        finally:
            answers.close()

    def _serve_until_stopped(self, zap: Any, stop: Any, answers: asyncio.AbstractEventLoop) -> None:
        poller = Poller()
        poller.register(zap, POLLIN)
        poller.register(stop, POLLIN)
        try:
            while True:
                ready = dict(poller.poll())
                if stop in ready:
                    return
                if zap in ready:
                    reply = answers.run_until_complete(self.reply_to(zap.recv_multipart()))
                    zap.send_multipart(reply)
        except ZMQError as error:
            if error.errno != ETERM:
                raise
        finally:
            zap.close()
            stop.close()

    def stop(self) -> None:
        """Stop serving (the ZAP endpoint is free again once this returns)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._close_zap_socket()
        if self.thread is not None:
            self._stop_pipe.send(b"TERMINATE")
            self.thread.join()
            self.thread = None
        if self._stop_pipe is not None:
            self._stop_pipe.close()
            self._stop_pipe = None

    def is_alive(self) -> bool:
        if self._task is not None:
            return not self._task.done()
        return self.thread is not None and self.thread.is_alive()
