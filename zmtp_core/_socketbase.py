"""What every socket type shares: options, pipes, and the send/recv entry points.

A socket pattern is a subclass that overrides a few hooks: ``_send`` and
``_recv`` for the application's side, ``_deliver`` and ``_subscription`` for
what peers send, and ``_attach``/``_detach``/``_pipe_connected`` for peers
coming and going. Everything is synchronous and I/O-free: a backend calls in,
and learns what to do from the pipes (see :mod:`zmtp_core._pipe`).

Errors follow libzmq: :class:`Again` (EAGAIN) when a message cannot be queued
or none is waiting, :class:`SocketError` with EFSM, ENOTSUP, EHOSTUNREACH or
EINVAL otherwise. A send either queues the whole message or raises and queues
nothing.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Sequence
from typing import ClassVar

from ._errors import Again, SocketError
from ._events import Frame
from ._options import Options, OptionValue
from ._pipe import Pipe, PipeListener
from ._routing import FairQueue
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType

__all__ = ["SocketBase"]

# libzmq honours CONFLATE only on these (socket_base.cpp).
_CONFLATING = frozenset(
    {SocketType.DEALER, SocketType.PULL, SocketType.PUSH, SocketType.PUB, SocketType.SUB}
)


class SocketBase:
    """The pattern-independent half of a sans-IO socket."""

    socket_type: ClassVar[SocketType]
    #: The pattern looks at messages again when they are read (SUB's filter), so a
    #: message may reach the queue without its arrival hook (inproc's fast lane).
    filters_on_read: ClassVar[bool] = False
    #: A message is one frame (libzmq's draft types): SNDMORE is EINVAL.
    single_frame: ClassVar[bool] = False

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        """``rng`` draws what a pattern picks at random (generated routing ids,
        REQ's request ids): seed it for repeatable tests."""
        self.options = options if options is not None else Options(self.socket_type)
        self.rng = rng if rng is not None else random.Random()
        self.pipes: list[Pipe] = []
        #: Messages from peers just queue for fair-queued reading (no pattern hook).
        self._plain_delivery = type(self)._deliver is SocketBase._deliver
        #: A sender of this process may put messages straight into our pipes' queues.
        self.direct_delivery = self._plain_delivery or self.filters_on_read
        self._fq = FairQueue()
        if type(self).try_recv is SocketBase._fair_try_recv:
            self.try_recv = self._fq.next_frames  # type: ignore[method-assign]  # (one call less)
        self.closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pipes={len(self.pipes)}>"

    # -- options --------------------------------------------------------------

    def setsockopt(self, option: str | int, value: object) -> None:
        """Set an option by name or number; EINVAL (naming it) when unknown or invalid."""
        spec, normalised = self.options.set(option, value)
        if spec.name in ("SNDHWM", "RCVHWM"):
            for pipe in self.pipes:
                pipe.set_hwm(self.options["SNDHWM"], self.options["RCVHWM"])
        self._option_changed(spec.name, normalised)

    def getsockopt(self, option: str | int) -> OptionValue:
        return self.options.get(option)

    def _option_changed(self, name: str, value: object) -> None:
        """A hook for options that act at once (SUBSCRIBE...)."""

    # -- peers --------------------------------------------------------------

    def attach_pipe(
        self,
        *,
        listener: PipeListener | None = None,
        locally_initiated: bool = False,
        routing_id: bytes | None = None,
    ) -> Pipe:
        """A new peer: at connect() time (messages may queue before the handshake) or
        when an accepted connection completes its handshake.

        ``listener`` hears from the pipe from the start (a PAIR may refuse it at
        once); ``routing_id`` is CONNECT_ROUTING_ID for a ROUTER's connect side.
        """
        if self.closed:
            raise SocketError(errno.ENOTSOCK, "the socket is closed")
        pipe = Pipe(
            self,
            sndhwm=self.options["SNDHWM"],
            rcvhwm=self.options["RCVHWM"],
            conflate=bool(self.options["CONFLATE"]) and self.socket_type in _CONFLATING,
            locally_initiated=locally_initiated,
            routing_id=routing_id,
        )
        pipe.listener = listener
        self.pipes.append(pipe)
        self._attach(pipe)
        return pipe

    def close(self) -> None:
        """Detach every pipe; the socket takes no more calls."""
        for pipe in list(self.pipes):
            pipe.detach()
        self.closed = True

    def _attach(self, pipe: Pipe) -> None:
        """Hook: a pipe joined."""

    def _detach(self, pipe: Pipe) -> None:
        """A pipe left for good; its queued inbound messages stay readable."""
        self.pipes.remove(pipe)

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        """Hook: the pipe's handshake completed (``reconnected`` after a loss)."""

    def _pipe_disconnected(self, pipe: Pipe) -> None:
        """Hook: the pipe's connection was lost; it will be retried."""

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        """A message from a peer: queue it for fair-queued reading."""
        if pipe.conflate:
            pipe.inbound.clear()
        pipe.inbound.append(frames)
        self._fq.activated(pipe)

    def _deliver_many(self, pipe: Pipe, messages: list[list[Frame]]) -> None:
        """Many messages at once: one queue extension where the pattern allows."""
        if self._plain_delivery and not pipe.conflate:
            self._queue_many(pipe, messages)
        else:
            for frames in messages:
                self._deliver(pipe, frames)

    def _queue_many(self, pipe: Pipe, messages: list[list[Frame]]) -> None:
        pipe.inbound.extend(messages)
        if not pipe._fq_queued:  # (FairQueue.activated, inline: this is the hot path)
            pipe._fq_queued = True
            self._fq.ready.append(pipe)

    def _subscription(self, pipe: Pipe, subscribe: bool, topic: bytes) -> None:
        """Hook: a peer (un)subscribed; only publishers care."""

    # -- the application's side -------------------------------------------------

    def send(self, frames: Sequence[Buffer], tracker: MessageTracker | None = None) -> None:
        """Queue one whole message, or raise and queue nothing.

        The socket keeps ``frames`` by reference: hand over a sequence you will
        not change. A tracker gives its claim to the socket (see MessageTracker).
        """
        if not frames:
            raise SocketError(errno.EINVAL, "a message has at least one frame")
        self._send(frames, tracker)

    def recv(self) -> list[Frame]:
        """The next whole message, or Again."""
        return self._recv()

    def try_recv(self) -> list[Frame] | None:
        """The next message, or None when none waits (an exception costs more).

        Errors other than EAGAIN (EFSM, ENOTSUP) are raised as recv() would.
        """
        if not self.readable:
            self._check_recv()
            return None
        try:
            return self._recv()
        except Again:
            return None

    def _check_recv(self) -> None:
        """Raise what recv() would raise for a reason other than an empty queue."""
        if type(self)._recv is SocketBase._recv:
            self._recv()

    @property
    def reads_plainly(self) -> bool:
        """recv() is the fair queue's next message as it is (no pattern state, no
        filter): a backend may then take it without its lock (see FairQueue)."""
        return self.try_recv == self._fq.next_frames

    @property
    def readable(self) -> bool:
        """recv() would return a message now (POLLIN)."""
        return bool(self._fq.ready)

    @property
    def writable(self) -> bool:
        """send() would queue a message now (POLLOUT)."""
        return False

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        raise SocketError(errno.ENOTSUP, f"{self.socket_type.name} sockets cannot send")

    def _recv(self) -> list[Frame]:
        raise SocketError(errno.ENOTSUP, f"{self.socket_type.name} sockets cannot receive")

    def _next_message(self) -> tuple[Pipe, list[Frame]]:
        item = self._fq.next()
        if item is None:
            raise Again("no message is waiting")
        return item

    # Patterns that just fair-queue their peers' messages take these two as theirs.
    def _fair_recv(self) -> list[Frame]:
        frames = self._fq.next_frames()
        if frames is None:
            raise Again("no message is waiting")
        return frames

    def _fair_try_recv(self) -> list[Frame] | None:
        return self._fq.next_frames()

    # Patterns that put the sender's routing id before its message (ROUTER, SERVER)
    # take these two.
    def _routed_recv(self) -> list[Frame]:
        pipe, frames = self._next_message()
        return [pipe.routing_id, *frames]  # type: ignore[list-item]  # (set once attached)

    def _routed_try_recv(self) -> list[Frame] | None:
        item = self._fq.next()
        if item is None:
            return None
        return [item[0].routing_id, *item[1]]  # type: ignore[list-item]


def write_to_all(
    pipes: Sequence[Pipe], frames: Sequence[Buffer], tracker: MessageTracker | None
) -> int:
    """Fan a message out to every pipe with room (the others drop it); returns the copies made."""
    copies = 0
    dropped = False
    for pipe in pipes:
        if pipe.can_write():
            if tracker is not None and copies:
                tracker.add_copies(1)
            pipe.write(frames, tracker)
            copies += 1
        else:
            dropped = True
    if tracker is not None:
        if dropped:
            tracker.dropped = True
        if not copies:
            tracker.release()
    return copies
