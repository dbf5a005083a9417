"""zmtp_selectors' leader/follower reactor on its own: no wake-up is ever lost."""

from __future__ import annotations

import os
import select
import threading
import time

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
