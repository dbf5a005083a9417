"""inproc in the core: two engines joined pipe to pipe, with no thread and no backend.

The backend's part (locks, wake-ups, who runs the transfers) is played here by
a set of scheduled links that the test runs when it likes, in any order with
sends and receives: whatever the interleaving and the high-water marks, every
message sent arrives once, in order, even when the sender closes first.
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core import Again, SocketEngine
from zmtp_core.inproc import InprocLink


class Pair:
    """A PUSH engine connected to a PULL engine over one inproc link."""

    def __init__(self, sndhwm: int, rcvhwm: int, bind_late: bool) -> None:
        self.push, self.pull = SocketEngine("PUSH"), SocketEngine("PULL")
        self.push.setsockopt("SNDHWM", sndhwm)
        self.pull.setsockopt("RCVHWM", rcvhwm)
        self.scheduled: set[InprocLink] = set()
        self.link = InprocLink(self.push.inproc, self.scheduled.add, contextlib.nullcontext)
        self.bind_late = bind_late
        if not bind_late:
            self.link.complete(self.pull.inproc)
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    def send(self, count: int) -> None:
        for _ in range(count):
            body = b"%d" % len(self.sent)
            try:
                self.push.send([body])
            except Again:
                return  # at the high-water mark: nothing was queued
            self.sent.append(body)

    def recv(self, count: int, *, unlocked: bool = False) -> None:
        """As a backend receives: ``unlocked``, first without its lock where the
        engine allows it (then with no other step), else by try_recv."""
        take = self.pull.unlocked_recv() if unlocked else None
        for _ in range(count):
            frames = take() if take is not None else None
            if frames is not None:
                self.received.append(bytes(frames[0]))
                continue
            frames = self.pull.try_recv()
            if frames is None:
                return
            self.received.append(bytes(frames[0]))
            for link in self.pull.inproc.links:  # (as the backend does after a receive)
                if link.stalled:
                    link.reading()

    def transfer(self) -> None:
        while self.scheduled:
            self.scheduled.pop().transfer()

    def bind(self) -> None:
        if self.bind_late:
            self.bind_late = False
            if not self.link.closed:  # (as the registry: a closed link waits no more)
                self.link.complete(self.pull.inproc)


operations = st.lists(
    st.tuples(
        st.sampled_from(["send", "recv", "recv_unlocked", "transfer", "bind"]), st.integers(1, 40)
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    operations,
    st.integers(1, 20),
    st.integers(1, 20),
    st.booleans(),
    st.sampled_from([0, -1]),
)
def test_every_message_arrives_once_in_order(
    ops: list[tuple[str, int]], sndhwm: int, rcvhwm: int, bind_late: bool, linger: int
) -> None:
    pair = Pair(sndhwm, rcvhwm, bind_late)
    for op, count in ops:
        if op == "send":
            pair.send(count)
        elif op == "recv":
            pair.recv(count)
        elif op == "recv_unlocked":
            pair.recv(count, unlocked=True)
        elif op == "bind":
            pair.bind()
        else:
            pair.transfer()
        assert pair.received == pair.sent[: len(pair.received)]
    # The sender closes with messages still on their way: they are the peer's
    # (whatever LINGER says), and arrive once it binds and reads.
    links = pair.push.inproc.links[:]
    pair.push.close(linger=linger)
    for link in links:
        link.depart(pair.push.inproc)
    pair.bind()
    for _ in range(len(pair.sent) + 2):
        pair.transfer()
        pair.recv(len(pair.sent) + 1, unlocked=True)
    assert pair.received == pair.sent
    assert pair.push.finished or linger != 0
    assert pair.link.closed  # everything the closed end sent has arrived: the link is gone
    assert not pair.pull.inproc.links


def test_a_closed_receiver_drops_what_it_did_not_read() -> None:
    pair = Pair(sndhwm=10, rcvhwm=10, bind_late=False)
    pair.send(5)
    pair.transfer()
    links = pair.pull.inproc.links[:]
    pair.pull.close(linger=0)
    for link in links:
        link.depart(pair.pull.inproc)
    assert pair.link.closed and not pair.push.inproc.links
    pair.send(3)  # a PUSH without peers: nothing to send to
    assert pair.sent == [b"0", b"1", b"2", b"3", b"4"]


def test_an_unlocked_take_leaves_a_held_sender_to_try_recv() -> None:
    pair = Pair(sndhwm=10, rcvhwm=4, bind_late=False)  # (low-water mark: 2)
    pair.transfer()  # (the lanes open)
    pair.send(3)
    take = pair.pull.unlocked_recv()
    assert take is not None
    assert take() == [b"0"]  # one peer, more behind it, nobody held: taken as it is
    pair.send(4)  # the receiving pipe reaches RCVHWM: the sender is held back
    assert take() == [b"1"]  # (above the low-water mark: nobody is due to go on yet)
    assert take() is None  # the take down to the mark is try_recv's: it lets the sender go
    pair.recv(1)
    pair.transfer()
    assert take() == [b"3"]
    pair.recv(10)
    assert pair.received == [b"2", b"4", b"5", b"6"]
    assert take() is None  # (nothing is left: nothing to take)
    assert SocketEngine("REQ").unlocked_recv() is None  # a REQ checks what it receives
