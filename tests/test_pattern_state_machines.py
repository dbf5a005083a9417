"""Hypothesis state machines: peers come and go, messages flow at random.

Invariants (checked after every step): nothing is delivered twice, each peer's
messages keep their order, nothing is lost while the high-water mark is not
exceeded on blocking sends, no multipart message is ever torn, and queues
never hold more than their high-water mark.
"""

from __future__ import annotations

import errno
import itertools
from collections import deque
from collections.abc import Sequence

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

from zmtp_core import Again, SocketError
from zmtp_core.connection import Frame
from zmtp_core.patterns import Pipe, create_socket

HWM = 4
ids = itertools.count()


def message(size: int) -> list[bytes]:
    """A multipart message whose frames all carry the same unique number."""
    number = b"%d" % next(ids)
    return [number + b"/%d" % part for part in range(size)]


def whole(frames: Sequence[bytes | bytearray | memoryview]) -> bytes:
    """The message's number, after checking that it is not torn."""
    numbers = {bytes(f).split(b"/")[0] for f in frames}
    parts = [int(bytes(f).split(b"/")[1]) for f in frames]
    assert len(numbers) == 1 and parts == list(range(len(frames))), frames
    return numbers.pop()


class RouterDealer(RuleBasedStateMachine):
    """A ROUTER (mandatory: blocking) and a DEALER, each with changing peers."""

    router_peers = Bundle("router_peers")
    dealer_peers = Bundle("dealer_peers")

    def __init__(self) -> None:
        super().__init__()
        self.router = create_socket("ROUTER")
        self.dealer = create_socket("DEALER")
        for sock in (self.router, self.dealer):
            sock.setsockopt("SNDHWM", HWM)
            sock.setsockopt("RCVHWM", HWM)
        self.router.setsockopt("ROUTER_MANDATORY", 1)
        self.names = itertools.count()
        self.expected_out: dict[Pipe, deque[bytes]] = {}  # what each peer must still get
        self.expected_in: dict[
            Pipe, deque[bytes]
        ] = {}  # what each socket must still read, per peer
        self.seen: set[bytes] = set()

    # -- peers ----------------------------------------------------------------

    @rule(target=router_peers, named=st.booleans())
    def router_peer(self, named: bool) -> Pipe:
        pipe = self.router.attach_pipe()
        pipe.connected(b"peer-%d" % next(self.names) if named else b"", "DEALER")
        self.expected_out[pipe] = deque()
        self.expected_in[pipe] = deque()
        return pipe

    @rule(target=dealer_peers)
    def dealer_peer(self) -> Pipe:
        pipe = self.dealer.attach_pipe()
        pipe.connected(b"", "ROUTER")
        self.expected_out[pipe] = deque()
        self.expected_in[pipe] = deque()
        return pipe

    @rule(pipe=consumes(router_peers) | consumes(dealer_peers))
    def peer_leaves(self, pipe: Pipe) -> None:
        pipe.detach()  # its unsent output is dropped; what it sent stays readable
        self.expected_out[pipe].clear()

    # -- messages out -----------------------------------------------------

    @rule(pipe=router_peers, size=st.integers(1, 3))
    def router_sends(self, pipe: Pipe, size: int) -> None:
        frames = message(size)
        assert pipe.routing_id is not None
        try:
            self.router.send([pipe.routing_id, *frames])
        except Again:
            assert not pipe.detached and pipe._out_messages == HWM
            return
        except SocketError as error:
            unreachable = error.errno == errno.EHOSTUNREACH
            assert unreachable and pipe.detached
            return
        assert not pipe.detached
        self.expected_out[pipe].append(whole(frames))

    @rule(size=st.integers(1, 3))
    def dealer_sends(self, size: int) -> None:
        frames = message(size)
        before = {p: len(p.outbound) for p in self.dealer.pipes}
        try:
            self.dealer.send(frames)
        except Again:
            assert all(not p.can_write() for p in self.dealer.pipes)
            return
        (chosen,) = [p for p in self.dealer.pipes if len(p.outbound) == before[p] + 1]
        self.expected_out[chosen].append(whole(frames))

    @rule(pipe=router_peers | dealer_peers, count=st.integers(1, 5))
    def peer_reads(self, pipe: Pipe, count: int) -> None:
        for _ in range(count):
            item = pipe.pop_outbound()
            if item is None:
                assert not self.expected_out[pipe]
                return
            assert isinstance(item, tuple)
            number = whole(item[0])
            assert number == self.expected_out[pipe].popleft()

    # -- messages in ------------------------------------------------------

    @rule(pipe=router_peers | dealer_peers, size=st.integers(1, 3))
    def peer_sends(self, pipe: Pipe, size: int) -> None:
        if pipe.inbound_full or pipe.detached:
            return  # a backend stops reading this peer
        frames = message(size)
        pipe.deliver(list[Frame](frames))
        self.expected_in[pipe].append(whole(frames))

    @rule()
    def router_reads(self) -> None:
        try:
            routing_id, *frames = self.router.recv()
        except Again:
            waiting = [p for p in self.expected_in if p.pattern is self.router]
            assert not any(self.expected_in[p] for p in waiting)
            return
        self._received(self.router, routing_id, frames)

    @rule()
    def dealer_reads(self) -> None:
        try:
            frames = self.dealer.recv()
        except Again:
            waiting = [p for p in self.expected_in if p.pattern is self.dealer]
            assert not any(self.expected_in[p] for p in waiting)
            return
        self._received(self.dealer, None, frames)

    def _received(
        self, sock: object, routing_id: bytes | bytearray | None, frames: list[bytes | bytearray]
    ) -> None:
        number = whole(frames)
        assert number not in self.seen, "delivered twice"
        self.seen.add(number)
        (pipe,) = [p for p, queue in self.expected_in.items() if queue and queue[0] == number]
        assert pipe.pattern is sock
        if routing_id is not None:
            assert routing_id == pipe.routing_id
        self.expected_in[pipe].popleft()  # the oldest of that peer: order kept

    @invariant()
    def queues_are_bounded(self) -> None:
        for pipe in self.expected_out:
            assert pipe._out_messages <= HWM
            assert len(pipe.inbound) <= HWM


class PubSub(RuleBasedStateMachine):
    """A PUB fanning out to subscribers that come, go and change their topics."""

    subscribers = Bundle("subscribers")
    topics = st.sampled_from([b"", b"a", b"ab", b"abc", b"b"])

    def __init__(self) -> None:
        super().__init__()
        self.pub = create_socket("PUB")
        self.pub.setsockopt("SNDHWM", HWM)
        self.subscribed: dict[Pipe, set[bytes]] = {}
        self.expected: dict[Pipe, deque[bytes]] = {}

    @rule(target=subscribers)
    def subscriber_joins(self) -> Pipe:
        pipe = self.pub.attach_pipe()
        pipe.connected(b"", "SUB")
        self.subscribed[pipe] = set()
        self.expected[pipe] = deque()
        return pipe

    @rule(pipe=consumes(subscribers))
    def subscriber_leaves(self, pipe: Pipe) -> None:
        pipe.detach()
        del self.subscribed[pipe], self.expected[pipe]

    @rule(pipe=subscribers, topic=topics, subscribe=st.booleans())
    def subscription(self, pipe: Pipe, topic: bytes, subscribe: bool) -> None:
        pipe.deliver_subscription(subscribe, topic)
        (self.subscribed[pipe].add if subscribe else self.subscribed[pipe].discard)(topic)

    @rule(topic=topics, size=st.integers(1, 3))
    def publish(self, topic: bytes, size: int) -> None:
        frames = message(size)
        frames[0] = topic + b"|" + frames[0]
        self.pub.send(frames)
        number = frames[0]
        for pipe, prefixes in self.subscribed.items():
            if any(number.startswith(p) for p in prefixes) and len(self.expected[pipe]) < HWM:
                self.expected[pipe].append(number)  # else: dropped at HWM, a gap

    @rule(pipe=subscribers, count=st.integers(1, 5))
    def subscriber_reads(self, pipe: Pipe, count: int) -> None:
        for _ in range(count):
            item = pipe.pop_outbound()
            if item is None:
                assert not self.expected[pipe]
                return
            assert isinstance(item, tuple)
            frames = [bytes(f) for f in item[0]]
            _, _, first = frames[0].partition(b"|")
            whole([first, *frames[1:]])  # not torn
            assert frames[0] == self.expected[pipe].popleft()

    @invariant()
    def queues_are_bounded(self) -> None:
        for pipe in self.expected:
            assert pipe._out_messages <= HWM
            assert pipe._out_messages == len(self.expected[pipe])


TestRouterDealer = RouterDealer.TestCase
TestRouterDealer.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestPubSub = PubSub.TestCase
TestPubSub.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
