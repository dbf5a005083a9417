"""Pipeline (RFC 30) and exclusive pair (RFC 31): PUSH, PULL and PAIR."""

from __future__ import annotations

import random
from collections.abc import Sequence

from ._errors import Again
from ._events import Frame
from ._options import Options
from ._pipe import Pipe
from ._routing import LoadBalancer
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._socketbase import SocketBase

__all__ = ["Pair", "Pull", "Push"]


class Push(SocketBase):
    """Round robin to workers; never receives."""

    socket_type = SocketType.PUSH

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._lb = LoadBalancer()

    def _attach(self, pipe: Pipe) -> None:
        self._lb.attach(pipe)

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        self._lb.detach(pipe)

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        pass  # a PUSH ignores anything sent back

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if not self._lb.send(frames, tracker):
            raise Again("no worker can take the message (none connected, or all at SNDHWM)")

    @property
    def writable(self) -> bool:
        return self._lb.can_send()


class Pull(SocketBase):
    """Fair-queued from every pusher; never sends."""

    socket_type = SocketType.PULL

    _recv = SocketBase._fair_recv
    try_recv = SocketBase._fair_try_recv


class Pair(SocketBase):
    """Exactly one peer; a second one is refused while the first is attached."""

    socket_type = SocketType.PAIR

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._peer: Pipe | None = None

    def _attach(self, pipe: Pipe) -> None:
        if self._peer is None:
            self._peer = pipe
        else:
            pipe.ignored = True
            pipe.request_close("PAIR accepts a single peer")

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        if pipe is self._peer:
            self._peer = None

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        peer = self._peer
        if peer is not None:
            sink = peer.sink
            if sink is not None:  # the fast lane
                sink.take(frames, tracker)
                return
            if peer.can_write():
                peer.write(frames, tracker)
                return
        raise Again("the peer is not there or is at SNDHWM")

    _recv = SocketBase._fair_recv
    try_recv = SocketBase._fair_try_recv

    @property
    def writable(self) -> bool:
        return self._peer is not None and self._peer.can_write()
