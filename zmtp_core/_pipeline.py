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
        pipe = self._lb.pick()
        if pipe is None:
            raise Again("no worker can take the message (none connected, or all at SNDHWM)")
        pipe.write(frames, tracker)

    @property
    def writable(self) -> bool:
        return self._lb.can_send()


class Pull(SocketBase):
    """Fair-queued from every pusher; never sends."""

    socket_type = SocketType.PULL

    def _recv(self) -> list[Frame]:
        return self._next_message()[1]


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
        if peer is None or not peer.can_write():
            raise Again("the peer is not there or is at SNDHWM")
        peer.write(frames, tracker)

    def _recv(self) -> list[Frame]:
        return self._next_message()[1]

    @property
    def writable(self) -> bool:
        return self._peer is not None and self._peer.can_write()
