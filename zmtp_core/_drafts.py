"""libzmq's draft socket types, whose messages are one frame: CLIENT, SERVER,
PEER, RADIO, DISH, SCATTER, GATHER and CHANNEL.

CLIENT, SCATTER, GATHER and CHANNEL behave as DEALER, PUSH, PULL and PAIR.
SERVER and PEER address their peers by a 32-bit routing id, RADIO and DISH by
group; in the core their messages carry it as a first frame (the routing id in
four bytes, big-endian, or the group), which a backend shows as pyzmq does,
``Frame.routing_id`` and ``Frame.group``. libzmq 4.3's rule for all of them:
a message is one frame. Sending more is EINVAL; a multipart message from a
peer is dropped whole, as libzmq drops it.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Sequence

from ._errors import Again, SocketError
from ._events import Frame
from ._options import Options
from ._pipe import Pipe, SubscriptionCommand
from ._pipeline import Pair, Pull, Push
from ._reqrep import Dealer
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._socketbase import SocketBase, write_to_all

__all__ = [
    "MAX_GROUP",
    "Channel",
    "Client",
    "Dgram",
    "Dish",
    "Gather",
    "Peer",
    "Radio",
    "Scatter",
    "Server",
]


class _OneFrame(SocketBase):
    """What CLIENT, SCATTER and CHANNEL add to the classic type they follow: one frame
    a message, out (EINVAL) and in (a multipart message is dropped)."""

    single_frame = True

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) != 1:
            name = self.socket_type.name
            raise SocketError(errno.EINVAL, f"{name} messages are one frame (no SNDMORE)")
        super()._send(frames, tracker)

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        if len(frames) == 1:
            super()._deliver(pipe, frames)


class Client(_OneFrame, Dealer):
    """DEALER's load balancing and fair queueing, one frame a message; talks to SERVER."""

    socket_type = SocketType.CLIENT


class Scatter(_OneFrame, Push):
    """PUSH, one frame a message; talks to GATHER."""

    socket_type = SocketType.SCATTER


class Gather(Pull):
    """PULL, one frame a message; talks to SCATTER."""

    socket_type = SocketType.GATHER

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        if len(frames) == 1:
            super()._deliver(pipe, frames)


class Channel(_OneFrame, Pair):
    """PAIR, one frame a message; talks to CHANNEL."""

    socket_type = SocketType.CHANNEL


class Server(SocketBase):
    """Addresses each CLIENT by a routing id it picks: a 32-bit number, never 0.

    In the core a SERVER's message is two frames, the routing id (four bytes,
    big-endian) and the one frame of the message: recv() gives them, send()
    takes them. A backend shows them as pyzmq does, as ``Frame.routing_id``.
    """

    socket_type = SocketType.SERVER
    single_frame = True

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._routes: dict[bytes, Pipe] = {}
        self._next_id = self.rng.getrandbits(32)

    def _attach(self, pipe: Pipe) -> None:
        routing_id = self._next_id or 1  # (as libzmq: never 0)
        self._next_id = (routing_id + 1) & 0xFFFFFFFF
        pipe.routing_id = routing_id.to_bytes(4, "big")
        self._routes[pipe.routing_id] = pipe

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        self._routes.pop(pipe.routing_id or b"", None)

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        if len(frames) == 1:
            super()._deliver(pipe, frames)

    _recv = SocketBase._routed_recv
    try_recv = SocketBase._routed_try_recv

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) != 2:
            raise SocketError(errno.EINVAL, "a SERVER message is a routing id and one frame")
        routing_id = bytes(frames[0])
        pipe = self._routes.get(routing_id)
        if pipe is None:
            number = int.from_bytes(routing_id, "big") if len(routing_id) == 4 else routing_id
            raise SocketError(errno.EHOSTUNREACH, f"no peer with routing id {number!r}")
        sink = pipe.sink
        if sink is not None:  # the fast lane
            sink.take(frames[1:], tracker)
        elif pipe.can_write():
            pipe.write(frames[1:], tracker)
        else:
            raise Again(f"peer {int.from_bytes(routing_id, 'big')} is at SNDHWM")

    @property
    def writable(self) -> bool:
        return True  # (as libzmq: whether a send goes depends on its peer)


#: The longest group name libzmq 4.3 takes (ZMQ_GROUP_MAX_LENGTH).
MAX_GROUP = 255


def _group(group: Buffer) -> bytes:
    name = bytes(group)
    if len(name) > MAX_GROUP:
        raise SocketError(errno.EINVAL, f"a group is at most {MAX_GROUP} bytes, not {len(name)}")
    return name


class Radio(SocketBase):
    """Publishes each message to the DISH peers that joined its group.

    In the core a RADIO's message is two frames, the group and the one frame of
    the message, which is also how it travels (the group with MORE set). A
    backend shows the group as pyzmq does, ``Frame.group`` or ``send(group=)``.
    A peer at its SNDHWM misses the message, as a PUB's subscriber does.
    """

    socket_type = SocketType.RADIO
    single_frame = True

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._members: dict[bytes, list[Pipe]] = {}  # group -> the pipes that joined it
        self._all_groups: list[Pipe] = []  # udp:// endpoints, sent everything

    def _subscription(self, pipe: Pipe, subscribe: bool, topic: bytes) -> None:
        """A JOIN (``subscribe``) or a LEAVE from a DISH."""
        members = self._members.setdefault(topic, [])
        if subscribe:
            members.append(pipe)
        elif pipe in members:
            members.remove(pipe)
        if not members:
            del self._members[topic]

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        if pipe.all_groups and pipe not in self._all_groups:
            self._all_groups.append(pipe)

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        if pipe in self._all_groups:
            self._all_groups.remove(pipe)
        for group in [g for g, members in self._members.items() if pipe in members]:
            self._subscription(pipe, False, group)

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        pass  # a RADIO ignores anything else a DISH sends

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) != 2:
            raise SocketError(errno.EINVAL, "a RADIO message is a group and one frame")
        members = self._members.get(_group(frames[0]), [])
        if self._all_groups:
            members = members + self._all_groups
        if members:
            write_to_all(members, frames, tracker)
        elif tracker is not None:
            tracker.release()  # (nobody joined: it went nowhere, which is not a drop)

    @property
    def writable(self) -> bool:
        return True

    def groups(self) -> list[bytes]:
        """The groups some peer joined."""
        return list(self._members)


class Dish(SocketBase):
    """Receives the messages of the groups it joined (``join``/``leave``), from RADIOs.

    In the core its messages are two frames, the group and the one frame.
    """

    socket_type = SocketType.DISH

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._joined: set[bytes] = set()

    def join(self, group: Buffer) -> None:
        """Receive ``group``'s messages; EINVAL if joined already or too long."""
        name = _group(group)
        if name in self._joined:
            raise SocketError(errno.EINVAL, f"group {name!r} is joined already")
        self._joined.add(name)
        for pipe in self.pipes:
            pipe.write_command(SubscriptionCommand(True, name))

    def leave(self, group: Buffer) -> None:
        """Stop receiving ``group``'s messages; EINVAL if it was not joined."""
        name = _group(group)
        if name not in self._joined:
            raise SocketError(errno.EINVAL, f"group {name!r} is not joined")
        self._joined.discard(name)
        for pipe in self.pipes:
            pipe.write_command(SubscriptionCommand(False, name))

    def _attach(self, pipe: Pipe) -> None:
        for name in self._joined:
            pipe.write_command(SubscriptionCommand(True, name))

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        if reconnected:  # the radio forgot us: join again, before anything else
            pipe.resubscribe(self._joined)

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        if len(frames) == 2 and bytes(frames[0]) in self._joined:
            super()._deliver(pipe, frames)

    def _recv(self) -> list[Frame]:
        frames = self.try_recv()
        if frames is None:
            raise Again("no message is waiting")
        return frames

    def try_recv(self) -> list[Frame] | None:
        next_frames = self._fq.next_frames
        while (frames := next_frames()) is not None:
            if bytes(frames[0]) in self._joined:  # (a group left since it arrived: dropped)
                return frames
        return None


class Peer(Server):
    """A SERVER that also connects to PEERs and learns each one's routing id at once
    (``last_routing_id``, what a backend's ``connect_peer`` returns)."""

    socket_type = SocketType.PEER

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        #: The routing id of the peer attached last (a connect's, at once: libzmq's).
        self.last_routing_id = 0

    def _attach(self, pipe: Pipe) -> None:
        super()._attach(pipe)
        self.last_routing_id = int.from_bytes(pipe.routing_id or bytes(4), "big")


class Dgram(Pair):
    """Raw UDP, over a bound udp:// endpoint: each message is two frames, the other
    end's address ("ip:port") and one body, in and out, as libzmq's DGRAM."""

    socket_type = SocketType.DGRAM

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        if len(frames) != 2:
            raise SocketError(errno.EINVAL, "a DGRAM message is an address and one frame")
        super()._send(frames, tracker)
