"""Asking ZAP (RFC 27): the client side of a socket's authentication requests.

A socket whose mechanism must authenticate peers (a PLAIN server) sends each
question to the handler bound at ``inproc://zeromq.zap.01`` in its context,
through a DEALER of its own, and hands the status code of each reply back to
its engine. With no handler bound, the answer is "no handler" at once (libzmq
does not wait for one either).
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Callable, Hashable
from typing import Any

from zmtp_core import AskZap, Options

from .constants import DEALER

__all__ = ["ZAP_ENDPOINT", "ZapClient"]

log = logging.getLogger("zmtp.zap")

ZAP_NAME = "zeromq.zap.01"
ZAP_ENDPOINT = "inproc://" + ZAP_NAME
_VERSION = b"1.0"


class ZapClient:
    """One socket's questions to ZAP, and the answers as they arrive."""

    def __init__(
        self,
        context: Any,
        options: Options,
        answer: Callable[[Hashable, str | None, bytes, bytes], None],
    ) -> None:
        """``answer(handle, status_code, user_id, metadata)`` takes each verdict that
        arrives later (called with no lock held)."""
        self._context = context
        self._options = options
        self._answer = answer
        self._dealer: Any = None
        self._ids = itertools.count(1)
        self._waiting: dict[bytes, Hashable] = {}

    def ask(self, questions: list[AskZap]) -> list[tuple[Hashable, str | None]]:
        """Send the questions; returns the answers known at once (None: no handler)."""
        if not self._context._inproc.is_bound(ZAP_NAME):
            return [(question.handle, None) for question in questions]
        dealer = self._dealer or self._open()
        options = self._options
        at_once: list[tuple[Hashable, str | None]] = []
        for question in questions:
            handle = question.handle
            request_id = b"%d" % next(self._ids)
            self._waiting[request_id] = handle
            frames = [
                b"",
                _VERSION,
                request_id,
                options["ZAP_DOMAIN"],
                _peer_address(handle),
                options["ROUTING_ID"],  # (libzmq sends the server socket's own)
                question.mechanism,
                *question.credentials,
            ]
            if not dealer._try_send(frames, None):
                del self._waiting[request_id]
                log.warning("the ZAP handler is not reading: refusing the peer")
                at_once.append((handle, "500"))
        return at_once

    def _open(self) -> Any:
        dealer = self._context.socket(DEALER)
        dealer.linger = 0
        dealer.connect(ZAP_ENDPOINT)
        inproc, wake = dealer._inproc, dealer._inproc.wake

        def wake_and_read() -> None:
            wake()
            self._read_replies()

        inproc.wake = wake_and_read
        inproc.waiting += 1  # (every reply wakes us, whoever sent it)
        self._dealer = dealer
        return dealer

    def _read_replies(self) -> None:
        dealer = self._dealer
        while dealer is not None and not dealer.closed:
            frames = dealer._try_recv()
            if frames is None:
                return
            reply = [bytes(frame) for frame in frames]
            handle = self._waiting.pop(reply[2], None) if len(reply) >= 4 else None
            if handle is None:
                log.warning("ignoring a ZAP reply that answers no request: %r", reply[:4])
                continue
            if len(reply) != 7 or reply[0] != b"" or reply[1] != _VERSION:
                log.warning("malformed ZAP reply: refusing the peer")
                self._answer(handle, "malformed", b"", b"")
                continue
            self._answer(handle, reply[3].decode("latin-1"), reply[5], reply[6])

    def close(self) -> None:
        if self._dealer is not None:
            self._dealer.close(linger=0)
            self._dealer = None


def _peer_address(handle: Hashable) -> bytes:
    """The peer's IP address, as libzmq puts it in a ZAP request ("" for ipc)."""
    if isinstance(handle, socket.socket) and handle.family in (socket.AF_INET, socket.AF_INET6):
        try:
            return str(handle.getpeername()[0]).encode()
        except OSError:
            return b""
    return b""
