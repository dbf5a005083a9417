"""STREAM: raw TCP peers, each addressed by a routing id the socket makes up.

What libzmq's STREAM does: a new connection arrives as ``[id, b""]`` and a lost
one leaves the same way (with STREAM_NOTIFY, on by default); each chunk of bytes
received is ``[id, data]``; sending ``[id, data]`` writes the bytes to that
peer, and ``[id, b""]`` closes its connection once what was sent before has
gone out. The connections themselves are :class:`RawConnection`.
"""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Sequence

from ._errors import Again, SocketError
from ._events import Frame
from ._pipe import Pipe
from ._reqrep import Router, _drop
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType

__all__ = ["Stream"]


class Stream(Router):
    """ROUTER's addressing over raw connections, with connect/disconnect notices."""

    socket_type = SocketType.STREAM

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: Disconnect notices: the pipe (and its route) is already gone.
        self._notices: deque[list[Frame]] = deque()

    def _attach(self, pipe: Pipe) -> None:
        if pipe.routing_id is not None:  # CONNECT_ROUTING_ID names the connection
            routing_id, pipe.routing_id = pipe.routing_id, None
            self._identify(pipe, routing_id)

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        if pipe.routing_id is None:
            self._identify(pipe, self._generated_id())
        if self.options["STREAM_NOTIFY"]:
            self._deliver(pipe, [b""])

    def _lost(self, pipe: Pipe) -> None:
        routing_id = pipe.routing_id
        if routing_id is not None and self._routes.get(routing_id) is pipe:
            del self._routes[routing_id]
            if self.options["STREAM_NOTIFY"]:
                self._notices.append([routing_id, b""])
        pipe.routing_id = None  # (a reconnection is a new peer, with a new id)

    def _pipe_disconnected(self, pipe: Pipe) -> None:
        self._lost(pipe)

    def _detach(self, pipe: Pipe) -> None:
        self._lost(pipe)
        super()._detach(pipe)

    def try_recv(self) -> list[Frame] | None:
        frames = super().try_recv()
        if frames is None and self._notices:
            return self._notices.popleft()
        return frames

    def _recv(self) -> list[Frame]:
        frames = self.try_recv()
        if frames is None:
            raise Again("no message is waiting")
        return frames

    @property
    def readable(self) -> bool:
        return bool(self._fq.ready) or bool(self._notices)

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) < 2:
            _drop(tracker)
            return
        first = frames[0]
        routing_id = first if type(first) is bytes else bytes(first)
        pipe = self._routes.get(routing_id)
        if pipe is None:
            _drop(tracker)
            raise SocketError(errno.EHOSTUNREACH, f"no connection with id {routing_id!r}")
        data = frames[1:]
        if all(memoryview(frame).nbytes == 0 for frame in data):
            _drop(tracker)
            pipe.request_close_when_sent()
            return
        if not pipe.can_write():
            _drop(tracker)
            raise Again(f"connection {routing_id!r} is at SNDHWM")
        pipe.write(data, tracker)
