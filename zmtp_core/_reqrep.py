"""Request-reply (RFC 28): DEALER, ROUTER, REQ and REP, as libzmq 4.3 does them.

DEALER load-balances out and fair-queues in, with no envelope. ROUTER prefixes
each incoming message with the sender's routing id and routes outgoing ones by
their first frame. REQ adds an empty delimiter (and, with REQ_CORRELATE, a
request id), enforces send/recv alternation and accepts the reply only from the
peer it asked. REP strips the envelope up to the delimiter and puts it back on
the reply.
"""

from __future__ import annotations

import errno
import random
import struct
from collections.abc import Sequence

from ._errors import EFSM, Again, RemoteProtocolError, SocketError
from ._events import Frame
from ._options import Options
from ._pipe import Pipe
from ._routing import LoadBalancer
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._socketbase import SocketBase

__all__ = ["Dealer", "Rep", "Req", "Router"]


def _probe(socket: SocketBase, pipe: Pipe) -> None:
    """PROBE_ROUTER: greet every new peer with an empty message."""
    if socket.options["PROBE_ROUTER"]:
        pipe.write([b""], None)


def _drop(tracker: MessageTracker | None) -> None:
    if tracker is not None:
        tracker.release(dropped=True)


class Dealer(SocketBase):
    """Round-robin out, fair-queued in."""

    socket_type = SocketType.DEALER

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._lb = LoadBalancer()

    def _attach(self, pipe: Pipe) -> None:
        self._lb.attach(pipe)
        _probe(self, pipe)

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        self._lb.detach(pipe)

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if not self._lb.send(frames, tracker):
            raise Again("no peer can take the message (none connected, or all at SNDHWM)")

    _recv = SocketBase._fair_recv
    try_recv = SocketBase._fair_try_recv

    @property
    def writable(self) -> bool:
        return self._lb.can_send()


class Req(Dealer):
    """Strict request-reply: one request out, then its reply in."""

    socket_type = SocketType.REQ
    try_recv = SocketBase.try_recv  # (not DEALER's: a REQ checks what it receives)

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._receiving_reply = False
        self._reply_pipe: Pipe | None = None
        self._request_id = self.rng.getrandbits(32)

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if self._receiving_reply and not self.options["REQ_RELAXED"]:
            raise SocketError(EFSM, "REQ must receive the reply before sending again")
        pipe = self._lb.pick()
        if pipe is None:
            raise Again("no peer can take the request")
        # Replies to earlier requests must not pass for the answer to this one.
        while self._fq.next() is not None:
            pass
        envelope: list[Buffer] = [b""]
        if self.options["REQ_CORRELATE"]:
            self._request_id = (self._request_id + 1) & 0xFFFFFFFF
            envelope.insert(0, struct.pack("=I", self._request_id))
        pipe.write([*envelope, *frames], tracker)
        self._reply_pipe = pipe
        self._receiving_reply = True

    def _check_recv(self) -> None:
        if not self._receiving_reply:
            raise SocketError(EFSM, "REQ must send a request before receiving")

    def _recv(self) -> list[Frame]:
        self._check_recv()
        correlate = self.options["REQ_CORRELATE"]
        while True:
            pipe, frames = self._next_message()
            if self._reply_pipe is not None and pipe is not self._reply_pipe:
                continue  # an answer from a peer we did not ask
            if correlate:
                if frames[0] != struct.pack("=I", self._request_id) or frames[1] != b"":
                    continue  # a stale reply
                body = frames[2:]
            elif frames[0] == b"":
                body = frames[1:]
            else:
                continue
            self._receiving_reply = False
            self._reply_pipe = None
            return body

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        # libzmq's REQ session drops the connection on a reply that does not
        # start with the delimiter (optionally after a 4-byte request id).
        start = 1 if len(frames[0]) == 4 and len(frames) > 2 else 0
        if len(frames) < start + 2 or frames[start] != b"":
            raise RemoteProtocolError("REQ: a reply must start with an empty delimiter frame")
        super()._deliver(pipe, frames)

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        if pipe is self._reply_pipe:
            self._reply_pipe = None

    @property
    def readable(self) -> bool:
        return self._receiving_reply and bool(self._fq.ready)

    @property
    def writable(self) -> bool:
        if self._receiving_reply and not self.options["REQ_RELAXED"]:
            return False
        return self._lb.can_send()


class Router(SocketBase):
    """Addresses peers by routing id: prefixed on receive, consumed on send."""

    socket_type = SocketType.ROUTER

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._routes: dict[bytes, Pipe] = {}
        self._next_id = self.rng.getrandbits(32)

    def _generated_id(self) -> bytes:
        """libzmq's id for a peer without one: 0x00 and a big-endian counter."""
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        return b"\x00" + struct.pack(">I", self._next_id)

    def _attach(self, pipe: Pipe) -> None:
        if pipe.routing_id is not None:  # CONNECT_ROUTING_ID: routable before the handshake
            rid, pipe.routing_id = pipe.routing_id, None
            self._identify(pipe, rid)
        _probe(self, pipe)

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        if pipe.routing_id is None and not pipe.ignored:
            self._identify(pipe, pipe.peer_routing_id or self._generated_id())

    def _identify(self, pipe: Pipe, routing_id: bytes) -> None:
        old = self._routes.get(routing_id)
        if old is not None:
            if not self.options["ROUTER_HANDOVER"]:
                pipe.ignored = True  # libzmq ignores a peer whose routing id is taken
                return
            # The new peer takes the id; the old one is renamed and dropped.
            del self._routes[routing_id]
            old.routing_id = self._generated_id()
            self._routes[old.routing_id] = old
            old.request_close("ROUTER_HANDOVER: a new peer took over its routing id")
        pipe.routing_id = routing_id
        self._routes[routing_id] = pipe

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        if pipe.routing_id is not None and self._routes.get(pipe.routing_id) is pipe:
            del self._routes[pipe.routing_id]

    _recv = SocketBase._routed_recv
    try_recv = SocketBase._routed_try_recv

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) < 2:
            _drop(tracker)  # libzmq drops a message that is only a routing id
            return
        first = frames[0]
        pipe = self._routes.get(first if type(first) is bytes else bytes(first))
        if pipe is not None:
            sink = pipe.sink
            if sink is not None:  # the fast lane (never set for an ignored peer)
                sink.take(frames[1:], tracker)
                return
        mandatory = self.options["ROUTER_MANDATORY"]
        routing_id = bytes(first)
        if pipe is None or pipe.ignored:
            if mandatory:
                raise SocketError(errno.EHOSTUNREACH, f"no peer with routing id {routing_id!r}")
            _drop(tracker)
            return
        if not pipe.can_write():
            if mandatory:
                raise Again(f"peer {routing_id!r} is at SNDHWM")
            _drop(tracker)
            return
        pipe.write(frames[1:], tracker)

    @property
    def writable(self) -> bool:
        if not self.options["ROUTER_MANDATORY"]:
            return True
        return any(pipe.can_write() for pipe in self._routes.values())


class Rep(SocketBase):
    """Receives a request, then must send its reply; the envelope is kept in between."""

    socket_type = SocketType.REP

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._reply_to: tuple[Pipe, list[Frame]] | None = None

    def _check_recv(self) -> None:
        if self._reply_to is not None:
            raise SocketError(EFSM, "REP must send the reply before receiving again")

    def _recv(self) -> list[Frame]:
        self._check_recv()
        while True:
            pipe, frames = self._next_message()
            index = next((i for i, frame in enumerate(frames) if not frame), len(frames))
            if index + 1 >= len(frames):
                continue  # no delimiter, or nothing after it: libzmq discards it
            self._reply_to = (pipe, frames[: index + 1])
            return frames[index + 1 :]

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if self._reply_to is None:
            raise SocketError(EFSM, "REP must receive a request before sending")
        pipe, envelope = self._reply_to
        self._reply_to = None
        if pipe.detached or not pipe.can_write():
            _drop(tracker)  # the requester is gone or stuck: the reply is lost, as in libzmq
            return
        pipe.write([*envelope, *frames], tracker)

    @property
    def readable(self) -> bool:
        return self._reply_to is None and bool(self._fq.ready)

    @property
    def writable(self) -> bool:
        return self._reply_to is not None
