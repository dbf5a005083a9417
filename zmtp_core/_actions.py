"""What a :class:`~zmtp_core.SocketEngine` asks its backend to do: its :class:`Outbox`.

The engine never touches a socket. When it needs I/O other than reading and
writing bytes (those go through ``receive_buffer``/``received`` and
``buffers_to_send``/``sent``), it appends one of these actions to
``engine.outbox.actions``; the backend carries them out in order after each
call. They are frozen, slotted dataclasses, like the Connection's events.
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

__all__ = ["Action", "Dial", "Drop", "Outbox", "Watch"]


class Outbox:
    """Everything the engine (and each of its connections) asks of the backend,
    until the backend takes it: after each call it empties (or replaces) these.

    ``actions``: :class:`Dial`, :class:`Watch` and :class:`Drop`, in order;
    ``output``: handles with bytes to write (each listed once until the backend
    calls ``buffers_to_send`` for it); ``events``: records for the socket
    monitor; ``zap_requests``: (handle, mechanism, credentials) for the ZAP
    handler, each answered with ``engine.authenticated``.
    """

    __slots__ = ("actions", "events", "output", "zap_requests")

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.output: list[Hashable] = []
        self.events: list[MonitorEvent] = []
        self.zap_requests: list[tuple[Hashable, bytes, tuple[bytes, ...]]] = []

    def __repr__(self) -> str:
        return (
            f"<Outbox actions={len(self.actions)} output={len(self.output)}"
            f" events={len(self.events)} zap_requests={len(self.zap_requests)}>"
        )


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
