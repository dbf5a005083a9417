"""Trackers one can wait on (pyzmq's MessageTracker), over the reactor."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from zmtp_core import MessageTracker as CoreTracker
from zmtp_transport.errors import NotDone

if TYPE_CHECKING:
    from ._reactor import Reactor

__all__ = ["MessageTracker"]


class MessageTracker(CoreTracker):
    """Done once the kernel has taken every byte of the message, or it was dropped."""

    __slots__ = ("_reactor",)

    def __init__(self, reactor: Reactor | None = None) -> None:
        super().__init__()
        self._reactor = reactor
        if reactor is None:  # pyzmq's MessageTracker(): tracks nothing, so done
            self.release()

    def wait(self, timeout: float = -1) -> None:
        """Block until done; NotDone after ``timeout`` seconds (-1: no limit)."""
        if self.done or self._reactor is None:
            return
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        if not self._reactor.wait_until(lambda: self.done, deadline):
            raise NotDone()
