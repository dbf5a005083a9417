r"""What a :class:`~zmtp_core.SocketEngine` asks its backend to do: :class:`Action`\ s.

The engine never touches a socket. Reading and writing bytes go through
``receive_buffer``/``received`` and ``buffers_to_send``/``sent``; everything
else it needs from the outside it asks for with an action, in the order it
arises. After each call the backend looks at ``engine.outbox.pending`` (a
list: empty or not) and takes them all with ``engine.take_actions()``. They
are frozen, slotted dataclasses, like the Connection's events.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._endpoints import Endpoint
from ._sendqueue import Buffer

if TYPE_CHECKING:
    from ._bindings import Dialer
    from ._monitor import MonitorEvent

__all__ = ["Action", "AskZap", "Dial", "Drop", "Outbox", "Report", "Watch", "Write"]


class Outbox:
    """The actions the engine (and each of its connections) has asked for and the
    backend has not taken yet."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        #: Read it to see whether there is work; only :meth:`take` empties it.
        self.pending: list[Action] = []

    def __repr__(self) -> str:
        return f"<Outbox pending={len(self.pending)}>"

    def take(self) -> list[Action]:
        """Everything asked for so far, oldest first; the outbox is empty after."""
        pending = self.pending
        if pending:
            self.pending = []
        return pending


class Action:
    """Base class of the engine's requests to its backend."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Dial(Action):
    """Open a connection to ``endpoint``; then call ``engine.dialed(handle, dialer)``,
    or ``engine.dial_failed(dialer, reason)`` if it cannot be made."""

    dialer: Dialer
    endpoint: Endpoint


@dataclass(frozen=True, slots=True)
class Watch(Action):
    """Wait for ``handle`` to be readable and/or writable (what changed: both are given)."""

    handle: Hashable
    read: bool
    write: bool


@dataclass(frozen=True, slots=True)
class Drop(Action):
    """Close ``handle`` now, after trying one non-blocking write of ``farewell``.

    The engine has forgotten the connection already. ``farewell`` is what a
    peer must still be told (libzmq's ERROR command); ``endpoint`` is the
    bound or connected address it belonged to, and ``handshake_failed`` says
    whether it ended before its handshake completed (worth logging: a refused
    certificate, a peer of the wrong type).
    """

    handle: Hashable
    reason: str
    farewell: list[Buffer]
    endpoint: str
    handshake_failed: bool


@dataclass(frozen=True, slots=True)
class Write(Action):
    """``handle`` has bytes to write: call ``buffers_to_send``/``sent`` for it, now or
    a little later (when is the backend's batching policy). Asked once until then."""

    handle: Hashable


@dataclass(frozen=True, slots=True)
class AskZap(Action):
    """Ask the ZAP handler about ``handle``'s peer, then answer with
    ``engine.authenticated(handle, ...)`` (status None: there is no handler)."""

    handle: Hashable
    mechanism: bytes
    credentials: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Report(Action):
    """Tell the socket monitor ``event`` (only the events ``engine.monitor_events`` asks for)."""

    event: MonitorEvent
