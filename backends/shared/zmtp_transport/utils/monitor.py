"""Reading a socket monitor's messages (pyzmq's ``zmq.utils.monitor``)."""

from __future__ import annotations

import inspect
import struct
from collections.abc import Awaitable
from typing import Any, TypedDict

from ..constants import Event

__all__ = ["parse_monitor_message", "recv_monitor_message"]

_HEAD = struct.Struct("=hi")


class MonitorMessage(TypedDict):
    event: Event
    value: int
    endpoint: bytes


def parse_monitor_message(msg: list[bytes]) -> MonitorMessage:
    """The event, its value and its endpoint, from a monitor's two frames."""
    if len(msg) != 2 or len(msg[0]) != _HEAD.size:
        raise RuntimeError(f"not a socket monitor message: {msg!r}")
    event, value = _HEAD.unpack(bytes(msg[0]))
    return {"event": Event(event), "value": value, "endpoint": bytes(msg[1])}


def recv_monitor_message(socket: Any, flags: int = 0) -> Any:
    """Receive and parse one event; for a socket whose receive is awaited, an
    awaitable of it (a Future for zmtp_asyncio, as zmq.asyncio gives)."""
    received = socket.recv_multipart(flags)
    if hasattr(received, "add_done_callback"):  # an asyncio Future: chain another
        parsed = received.get_loop().create_future()

        def settle(done: Any) -> None:
            if done.cancelled():
                parsed.cancel()
            elif done.exception() is not None:
                parsed.set_exception(done.exception())
            else:
                parsed.set_result(parse_monitor_message(done.result()))

        received.add_done_callback(settle)
        return parsed
    if inspect.isawaitable(received):
        return _parsed(received)
    return parse_monitor_message(received)


async def _parsed(received: Awaitable[list[bytes]]) -> MonitorMessage:
    return parse_monitor_message(await received)
