"""Trackers one can wait on (pyzmq's MessageTracker), over the reactor."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from zmtp_core import MessageTracker as CoreTracker
from zmtp_transport.errors import NotDone
from zmtp_transport.frame import Frame

if TYPE_CHECKING:
    from ._reactor import Reactor

__all__ = ["MessageTracker"]

#: How often a tracker of other trackers looks again while waiting (they say
#: nothing when they are done: a frame's is done when the frame is collected).
_LOOK_EVERY = 0.005


class MessageTracker(CoreTracker):
    """Done once the kernel has taken every byte of the message, or it was dropped.

    ``MessageTracker(*towatch)``, as pyzmq's: done once every tracker and every
    tracked ``Frame`` it is given is done (none: done at once).
    """

    __slots__ = ("_peers", "_reactor")

    def __init__(self, *towatch: Any, reactor: Reactor | None = None) -> None:
        super().__init__()
        self._reactor = reactor
        self._peers: list[CoreTracker] = []
        for item in towatch:
            tracker = item.tracker if isinstance(item, Frame) else item
            if not isinstance(tracker, CoreTracker):
                raise ValueError(f"not a tracked message: {item!r}")
            self._peers.append(tracker)
        if reactor is None:  # (it tracks no message of its own)
            self.release()

    @property
    def done(self) -> bool:
        return self._claims <= 0 and all(peer.done for peer in self._peers)

    def wait(self, timeout: float = -1) -> None:
        """Block until done; NotDone after ``timeout`` seconds (-1: no limit)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        if self._reactor is not None and not self._peers:
            if not self._reactor.wait_until(lambda: self.done, deadline):
                raise NotDone()
            return
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise NotDone()
            time.sleep(_LOOK_EVERY)
