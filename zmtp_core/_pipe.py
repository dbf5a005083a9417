"""A pipe: a socket's link to one peer, with a bounded queue each way.

The socket pattern (load balancing, fan-out, routing...) writes whole messages
into pipes and reads whole messages out of them; the backend moves them
between a pipe and its peer (a :class:`Connection`, or another socket's pipe
for inproc). High-water marks count messages, never frames, so a multipart
message is always all in a queue or not at all.

The backend's side of the contract:

* take outgoing items with :meth:`Pipe.pop_outbound` while its connection has
  room (so that SNDHWM, not an unbounded send buffer, absorbs a slow peer);
* hand incoming messages to :meth:`Pipe.deliver` and subscriptions to
  :meth:`Pipe.deliver_subscription`, and stop reading the peer while
  :attr:`Pipe.inbound_full` (RCVHWM);
* report the handshake with :meth:`Pipe.connected`, a lost connection that will
  be retried with :meth:`Pipe.disconnected`, and the end with :meth:`Pipe.detach`;
* implement :class:`PipeListener` to hear of every message queued (to write it
  at once or batch it) and of the socket wanting the peer dropped;
* optionally set :attr:`Pipe.sink` while its connection can take messages at
  once: a message written to a pipe with nothing queued then goes straight to
  the sink (the fast lane), never through the queue.

The :class:`~zmtp_core.SocketEngine` does all of this for connections.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from ._events import Frame
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType

#: The properties of a pipe with no connection behind it yet (or inproc).
EMPTY_PROPERTIES: Mapping[str, bytes] = MappingProxyType({})

__all__ = [
    "OutgoingMessage",
    "Pipe",
    "PipeListener",
    "PipeOwner",
    "Sink",
    "SubscriptionCommand",
]


@dataclass(frozen=True, slots=True)
class SubscriptionCommand:
    """An outgoing SUBSCRIBE (or CANCEL); never counted against SNDHWM."""

    subscribe: bool
    topic: bytes


#: An outgoing message and the tracker of its buffers (if the sender asked for one).
OutgoingMessage = tuple[Sequence[Buffer], MessageTracker | None]


class Sink(Protocol):
    """Where a pipe's messages go at once while nothing waits in its queue."""

    def take(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None: ...

    def take_command(self, command: SubscriptionCommand) -> None: ...


class ReadyQueue(Protocol):
    """The fair queue of a socket's pipes with messages in."""

    def activated(self, pipe: Pipe) -> None: ...


class PipeOwner(Protocol):
    """What a pipe tells its socket pattern (SocketBase implements it), and what
    the inproc mover reads of it."""

    @property
    def socket_type(self) -> SocketType: ...

    @property
    def direct_delivery(self) -> bool: ...

    @property
    def _fq(self) -> ReadyQueue: ...

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None: ...

    def _deliver_many(self, pipe: Pipe, messages: list[list[Frame]]) -> None: ...

    def _subscription(self, pipe: Pipe, subscribe: bool, topic: bytes) -> None: ...

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None: ...

    def _pipe_disconnected(self, pipe: Pipe) -> None: ...

    def _detach(self, pipe: Pipe) -> None: ...


class PipeListener(Protocol):
    """What a backend hears from a pipe."""

    def output_ready(self, pipe: Pipe) -> None:
        """A message (or subscription) was queued in ``pipe``: send it now or batch it."""

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        """The socket wants this peer dropped (PAIR's second peer, ROUTER handover...)."""

    def close_when_sent(self, pipe: Pipe) -> None:
        """The socket wants this peer's connection closed once its output is written
        (a STREAM socket sent an empty message)."""


class Pipe:
    """One peer of a socket, seen from the socket."""

    __slots__ = (
        "_ever_connected",
        "_fq_queued",
        "_out_messages",
        "_rcvhwm",
        "_sndhwm",
        "all_groups",
        "conflate",
        "detached",
        "ignored",
        "inbound",
        "is_connected",
        "listener",
        "locally_initiated",
        "low_water",
        "outbound",
        "pattern",
        "peer_routing_id",
        "peer_socket_type",
        "properties",
        "routing_id",
        "sender_held",
        "sink",
    )

    def __init__(
        self,
        pattern: PipeOwner,
        *,
        sndhwm: int,
        rcvhwm: int,
        conflate: bool = False,
        locally_initiated: bool = False,
        routing_id: bytes | None = None,
    ) -> None:
        self.pattern = pattern
        self.outbound: deque[OutgoingMessage | SubscriptionCommand] = deque()
        self.inbound: deque[list[Frame]] = deque()
        self.conflate = conflate
        self._sndhwm = self._rcvhwm = self.low_water = 0
        self.set_hwm(sndhwm, rcvhwm)
        self._out_messages = 0
        self._fq_queued = False
        #: How a ROUTER addresses this peer (None until known).
        self.routing_id = routing_id
        self.peer_routing_id = b""
        self.peer_socket_type = ""
        #: A RADIO sends this peer every group (udp://: a DISH there filters for itself).
        self.all_groups = False
        #: The peer's handshake properties, and ZAP's User-Id: what received frames carry.
        self.properties: Mapping[str, bytes] = EMPTY_PROPERTIES
        self.locally_initiated = locally_initiated
        self.is_connected = False
        self._ever_connected = False
        self.detached = False
        #: A ROUTER refused this peer (duplicate routing id): nothing flows.
        self.ignored = False
        self.listener: PipeListener | None = None
        #: The fast lane: set only while ``outbound`` is empty (see the module docstring).
        self.sink: Sink | None = None
        #: The peer's sender waits for the application to read (this pipe reached RCVHWM):
        #: a take must then go by the socket's try_recv, which lets it go on.
        self.sender_held = False

    def __repr__(self) -> str:
        state = "detached" if self.detached else "connected" if self.is_connected else "waiting"
        return f"<Pipe {self.routing_id!r} {state} out={self._out_messages} in={len(self.inbound)}>"

    # -- the backend's side -----------------------------------------------

    def pop_outbound(self) -> OutgoingMessage | SubscriptionCommand | None:
        """The next item to send; a tracker's claim passes to the caller's send queue."""
        if not self.outbound:
            return None
        item = self.outbound.popleft()
        if type(item) is tuple:
            self._out_messages -= 1
        return item

    @property
    def inbound_full(self) -> bool:
        """Stop reading this peer: RCVHWM messages wait for the application."""
        return 0 < self._rcvhwm <= len(self.inbound) and not self.conflate

    def set_hwm(self, sndhwm: int, rcvhwm: int) -> None:
        """The high-water marks (0: none), and the low-water mark that follows.

        libzmq's low-water mark (half the HWM, or HWM - 1024 for large ones) keeps
        a busy peer from flapping between paused and reading on every message.
        """
        self._sndhwm, self._rcvhwm = sndhwm, rcvhwm
        self.low_water = rcvhwm - 1024 if rcvhwm > 2048 else (rcvhwm + 1) // 2

    @property
    def inbound_low(self) -> bool:
        """Start reading again: the queue drained to the low-water mark."""
        return len(self.inbound) <= self.low_water

    def deliver(self, frames: list[Frame]) -> None:
        """A whole message from the peer.

        Raises :class:`RemoteProtocolError` when the message breaks the socket
        pattern on the wire (a REQ's reply without its delimiter): close the
        connection, as libzmq does.
        """
        if not self.detached and not self.ignored:
            self.pattern._deliver(self, frames)

    def deliver_many(self, messages: list[list[Frame]]) -> None:
        """Whole messages from the peer, in order (see :meth:`deliver`)."""
        if not self.detached and not self.ignored:
            self.pattern._deliver_many(self, messages)

    @property
    def room(self) -> int:
        """Messages the inbound queue takes before RCVHWM (a large number when unbounded)."""
        if self._rcvhwm and not self.conflate:
            return self._rcvhwm - len(self.inbound)
        return 1 << 30

    def deliver_subscription(self, subscribe: bool, topic: bytes) -> None:
        """A SUBSCRIBE/CANCEL command (or 0x01/0x00 frame) from the peer."""
        if not self.detached and not self.ignored:
            self.pattern._subscription(self, subscribe, topic)

    def connected(self, peer_routing_id: bytes = b"", peer_socket_type: str = "") -> None:
        """The handshake with the peer completed (again, after a reconnect)."""
        self.peer_routing_id = peer_routing_id
        self.peer_socket_type = peer_socket_type
        reconnected = self._ever_connected
        self.is_connected = self._ever_connected = True
        if not self.detached:
            self.pattern._pipe_connected(self, reconnected)

    def disconnected(self) -> None:
        """The connection is lost and the backend will reconnect; the pipe stays."""
        if self.is_connected:
            self.is_connected = False
            self.pattern._pipe_disconnected(self)

    def detach(self) -> None:
        """The peer is gone for good; queued output is dropped."""
        if not self.detached:
            self.detached = True
            self.sink = None
            self.pattern._detach(self)
            self.drop_outbound()

    def drop_outbound(self) -> None:
        """Discard what waits to be sent (LINGER expired); trackers report dropped."""
        for item in self.outbound:
            if type(item) is tuple and item[1] is not None:
                item[1].release(dropped=True)
        self.outbound.clear()
        self._out_messages = 0

    # -- the socket's side ----------------------------------------------------

    def can_write(self) -> bool:
        """Room for one more message (always, under CONFLATE)."""
        return self._out_messages < self._sndhwm or not self._sndhwm or self.conflate

    def write(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        """Queue a message; the caller checked :meth:`can_write` and gave us a claim."""
        sink = self.sink
        if sink is not None:  # nothing is queued: straight to the connection
            sink.take(frames, tracker)
            return
        if self.conflate and self._out_messages:  # (conflate is rare: tested first)
            self.drop_outbound()
        # The caller's sequence may change once we return (a list reused for the next
        # send): what waits here is our own copy of it (the frames themselves are shared).
        self.outbound.append((frames if type(frames) is tuple else tuple(frames), tracker))
        self._out_messages += 1
        if self.listener is not None:
            self.listener.output_ready(self)

    def write_command(self, command: SubscriptionCommand) -> None:
        if self.sink is not None:
            self.sink.take_command(command)
            return
        self.outbound.append(command)
        if self.listener is not None:
            self.listener.output_ready(self)

    def resubscribe(self, topics: Iterable[bytes]) -> None:
        """After a reconnect the peer forgot us: these subscriptions (a SUB's topics,
        a DISH's groups) go out first, before what waits, instead of any queued."""
        stale = [item for item in self.outbound if type(item) is not SubscriptionCommand]
        self.outbound.clear()
        self.outbound.extend(SubscriptionCommand(True, topic) for topic in topics)
        self.outbound.extend(stale)
        if self.outbound and self.listener is not None:
            self.listener.output_ready(self)

    def request_close(self, reason: str) -> None:
        if self.listener is not None:
            self.listener.close_requested(self, reason)

    def request_close_when_sent(self) -> None:
        if self.listener is not None:
            self.listener.close_when_sent(self)
