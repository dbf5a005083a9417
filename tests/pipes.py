"""Socket-pattern tests without sockets: peers are bare pipes the test drives."""

from __future__ import annotations

from collections.abc import Sequence

from zmtp_core import Buffer, SocketType
from zmtp_core.patterns import Pipe, SocketBase, SubscriptionCommand

_PUBLISHERS = (SocketType.PUB, SocketType.XPUB)


def _is_subscription(frames: Sequence[Buffer]) -> bool:
    return len(frames) == 1 and bytes(frames[0][:1]) in (b"\x00", b"\x01")


class Recorder:
    """A PipeListener that remembers what the socket asked of the backend."""

    def __init__(self) -> None:
        self.ready: list[Pipe] = []
        self.closes: list[tuple[Pipe, str]] = []

    def output_ready(self, pipe: Pipe) -> None:
        self.ready.append(pipe)

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        self.closes.append((pipe, reason))

    def close_when_sent(self, pipe: Pipe) -> None:
        self.closes.append((pipe, "when sent"))


def peer(
    socket: SocketBase,
    routing_id: bytes = b"",
    socket_type: str = "",
    *,
    listener: Recorder | None = None,
    connect_routing_id: bytes | None = None,
) -> Pipe:
    """A peer whose handshake is done."""
    pipe = socket.attach_pipe(
        listener=listener,
        locally_initiated=connect_routing_id is not None,
        routing_id=connect_routing_id,
    )
    pipe.connected(routing_id, socket_type)
    return pipe


def outgoing(pipe: Pipe) -> list[list[bytes]]:
    """Every message the socket queued for this peer (subscription commands skipped)."""
    messages = []
    while (item := pipe.pop_outbound()) is not None:
        if isinstance(item, tuple):
            frames, tracker = item
            messages.append([bytes(f) for f in frames])
            if tracker is not None:
                tracker.release()
    return messages


def commands(pipe: Pipe) -> list[tuple[bool, bytes]]:
    """The subscription commands queued for this peer, in order (messages skipped)."""
    found = [
        (item.subscribe, item.topic)
        for item in pipe.outbound
        if isinstance(item, SubscriptionCommand)
    ]
    pipe.outbound.clear()
    return found


def link(a: SocketBase, b: SocketBase) -> tuple[Pipe, Pipe]:
    """Two sockets joined back to back (as inproc will be); use pump() to move messages."""
    pa, pb = a.attach_pipe(locally_initiated=True), b.attach_pipe()
    pa.connected(b"", b.socket_type.name)
    pb.connected(a.options["ROUTING_ID"], a.socket_type.name)
    return pa, pb


def pump(*pairs: tuple[Pipe, Pipe]) -> None:
    """Move everything queued between linked pipes, both ways, honouring RCVHWM."""
    moved = True
    while moved:
        moved = False
        for one, other in pairs:
            for src, dst in ((one, other), (other, one)):
                while src.outbound and not dst.inbound_full:
                    item = src.pop_outbound()
                    if isinstance(item, SubscriptionCommand):
                        dst.deliver_subscription(item.subscribe, item.topic)
                    elif item is not None:
                        frames, tracker = item
                        if dst.pattern.socket_type in _PUBLISHERS and _is_subscription(frames):
                            # As the Connection does for a publisher: 0x01/0x00 frames.
                            dst.deliver_subscription(frames[0][0] == 1, bytes(frames[0][1:]))
                        else:
                            dst.deliver([bytes(f) for f in frames])
                        if tracker is not None:
                            tracker.release()
                    moved = True
