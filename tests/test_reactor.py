"""zmtp_selectors' leader/follower reactor on its own: no wake-up is ever lost."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest

from zmtp_selectors._reactor import Reactor
from zmtp_transport._signal import ReadySignal


def test_a_change_between_a_followers_look_and_its_wait_wakes_it() -> None:
    reactor = Reactor()
    stop = threading.Event()
    leading = threading.Event()

    def lead() -> None:
        def ready() -> bool:
            leading.set()
            return stop.is_set()

        reactor.wait_until(ready, time.monotonic() + 10)

    leader = threading.Thread(target=lead)
    leader.start()
    assert leading.wait(5)  # another application thread polls: we can only follow
    looks = []

    def ready() -> bool:
        looks.append(True)
        answer = len(looks) > 1
        if len(looks) == 1:  # it changes right after this look, before we wait (or poll)
            other = threading.Thread(target=reactor.notify)  # (as another thread would)
            other.start()
            other.join()
        return answer

    started = time.monotonic()
    try:
        assert reactor.wait_until(ready, started + 5)
        assert time.monotonic() - started < 1.0  # not the whole timeout
    finally:
        stop.set()
        reactor.notify()
        leader.join(5)
        reactor.close()


def test_a_closed_ready_signal_writes_nothing_and_keeps_its_descriptor() -> None:
    """A thread delivering to a socket as it closes may still raise its FD: that
    must not fail (EBADF), nor write into a descriptor number reused since."""
    signal = ReadySignal()
    fd = signal.fd
    signal.clear()
    signal.close()
    signal.set()  # (no write: the descriptor stays unreadable)
    assert select.select([fd], [], [], 0)[0] == []
    os.fstat(fd)  # still ours while the object lives (closed when it goes)


def test_a_thread_waiting_on_inproc_peers_alone_parks_on_its_socket() -> None:
    """No poll, no wake-up pipe: the reactor is not what brings an inproc message,
    so a receiver blocked on one leaves the reactor alone and a delivery wakes it."""
    import zmtp_selectors as zmq  # noqa: PLC0415 - the backend itself, not a fixture's

    context = zmq.Context()
    pull, push = context.socket(zmq.PULL), context.socket(zmq.PUSH)
    pull.bind("inproc://parked")
    push.connect("inproc://parked")
    received: list[bytes] = []
    receiver = threading.Thread(target=lambda: received.append(pull.recv()))
    receiver.start()
    deadline = time.monotonic() + 5
    while not pull._parking.parked and time.monotonic() < deadline:
        time.sleep(0.001)
    assert pull._parking.parked == 1
    assert context._reactor._app_waiting == 0  # (nobody leads the reactor for it)
    push.send(b"woken")
    receiver.join(5)
    assert received == [b"woken"]
    pull.rcvtimeo = 10  # a deadline on the parked thread's lock
    started = time.monotonic()
    with pytest.raises(zmq.Again):
        pull.recv()
    assert 0.009 <= time.monotonic() - started < 2
    pull.close()
    push.close()
    context.term()
