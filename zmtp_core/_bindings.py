"""The endpoints a socket bound and connected, as its engine keeps them.

A :class:`Listener` is a bound endpoint: every connection accepted on it gets
the endpoint's layers, and its pipe once its handshake completes, as in libzmq.

A :class:`Dialer` is a connected endpoint. Unless IMMEDIATE, it attaches its
pipe at once, so messages queue before the peer exists, and keeps that pipe
across reconnects. After a failed or lost connection it dials again after
RECONNECT_IVL plus up to one interval of jitter, the interval doubling up to
RECONNECT_IVL_MAX; a handshake that succeeds resets it (libzmq's policy).
"""

from __future__ import annotations

from collections.abc import Hashable
from random import Random

from ._endpoints import Endpoint
from ._options import Options
from ._pipe import Pipe
from ._transports import Layering

__all__ = ["Dialer", "Listener"]


class Listener:
    """A bound endpoint; ``text`` is what LAST_ENDPOINT reports for it."""

    __slots__ = ("closed", "endpoint", "handle", "layering", "text")

    def __init__(
        self,
        endpoint: Endpoint,
        text: str,
        layering: Layering | None,
        handle: Hashable | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.text = text
        self.layering = layering
        #: The backend's listening socket (for the monitor's events), if it said.
        self.handle = handle
        self.closed = False

    def __repr__(self) -> str:
        return f"<Listener {self.text}{' closed' if self.closed else ''}>"


class Dialer:
    """A connected endpoint: its pipe, its connection (if any) and its backoff."""

    __slots__ = (
        "closed",
        "delay",
        "endpoint",
        "handle",
        "immediate",
        "interval",
        "key",
        "layering",
        "lingering",
        "pipe",
        "routing_id",
        "text",
    )

    def __init__(
        self,
        options: Options,
        key: int,
        endpoint: Endpoint,
        text: str,
        layering: Layering | None,
    ) -> None:
        self.key = key
        self.endpoint = endpoint
        self.text = text
        self.layering = layering
        self.immediate = bool(options["IMMEDIATE"])
        self.routing_id: bytes | None = options["CONNECT_ROUTING_ID"] or None
        self.interval: int = options["RECONNECT_IVL"]
        #: Seconds to wait before the next attempt, until the clock is known.
        self.delay: float | None = None
        #: The backend's handle of its connection, while it has one.
        self.handle: Hashable | None = None
        self.closed = False
        self.lingering = False
        #: Unless IMMEDIATE, attached at once by the engine and kept across reconnects.
        self.pipe: Pipe | None = None

    def __repr__(self) -> str:
        return f"<Dialer {self.text}{' closed' if self.closed else ''}>"

    def backoff(self, options: Options, rng: Random) -> float | None:
        """Seconds until the next attempt; None when RECONNECT_IVL is -1 (never)."""
        base: int = options["RECONNECT_IVL"]
        if base < 0:
            return None
        delay = self.interval + (rng.randrange(base) if base > 0 else 0)
        maximum: int = options["RECONNECT_IVL_MAX"]
        if maximum > base:
            self.interval = min(self.interval * 2, maximum)
        return delay / 1000

    @property
    def drained(self) -> bool:
        """Nothing waits in the pipe for a connection."""
        return self.pipe is None or not self.pipe.outbound
