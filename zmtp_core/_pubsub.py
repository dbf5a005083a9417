"""Publish-subscribe (RFC 29): PUB, XPUB, SUB and XSUB, as libzmq 4.3 does them.

Filtering happens at the publisher, per peer, by prefix of the first frame; a
SUB filters again on arrival, as libzmq's does. A publisher never blocks: a
subscriber at its high-water mark misses the message (XPUB_NODROP turns that
into EAGAIN). XPUB hands subscriptions to the application as 0x01/0x00 + topic
messages: only the first subscription to a topic and the last cancellation,
unless XPUB_VERBOSE / XPUB_VERBOSER. Subscribers replay their subscriptions to
every new (or reconnected) peer.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence

from ._errors import Again
from ._events import Frame
from ._options import Options
from ._pipe import Pipe, SubscriptionCommand
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType
from ._socketbase import SocketBase, write_to_all
from ._subscriptions import SubscriptionIndex

__all__ = ["Pub", "Sub", "XPub", "XSub"]


class XPub(SocketBase):
    """Fan-out by subscription; subscriptions readable by the application."""

    socket_type = SocketType.XPUB

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._index: SubscriptionIndex[Pipe] = SubscriptionIndex()
        self._notifications: deque[list[Frame]] = deque()
        self._invert = False  # INVERT_MATCHING and XPUB_NODROP, read on every send
        self._nodrop = False
        #: Called (by the backend's choice) before a message no subscriber wants is
        #: dropped: it may read subscriptions already on their way; True if it read.
        self.before_dropping: Callable[[], bool] | None = None

    def _option_changed(self, name: str, value: object) -> None:
        if name == "INVERT_MATCHING":
            self._invert = bool(value)
        elif name == "XPUB_NODROP":
            self._nodrop = bool(value)

    def _subscription(self, pipe: Pipe, subscribe: bool, topic: bytes) -> None:
        if subscribe:
            notify = self._index.add(topic, pipe) or self.options["XPUB_VERBOSE"]
            notify = notify or self.options["XPUB_VERBOSER"]
        else:
            # As libzmq: tell when the last holder left, or the topic was unknown.
            notify = self._index.remove(topic, pipe) is not False or self.options["XPUB_VERBOSER"]
        if notify:
            self._notify(b"\x01" if subscribe else b"\x00", topic)

    def _notify(self, kind: bytes, topic: bytes) -> None:
        self._notifications.append([kind + topic])

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        self._notifications.append(frames)  # a message an XSUB sent upstream

    def _detach(self, pipe: Pipe) -> None:
        super()._detach(pipe)
        if self.options["XPUB_VERBOSER"]:
            gone = self._index.prefixes_of(pipe)
            self._index.remove_subscriber(pipe)
        else:
            gone = self._index.remove_subscriber(pipe)
        for topic in gone:
            self._notify(b"\x00", topic)

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        # A snapshot: writing may run backend code that changes subscriptions. The
        # frames are shared by every subscriber's pipe, never copied per subscriber.
        targets = tuple(self._index.matching(frames[0]))
        if self._invert:
            targets = tuple(pipe for pipe in self.pipes if pipe not in targets)
        if not targets and self.before_dropping is not None and self.before_dropping():
            targets = self._targets(frames[0])  # (with the subscriptions just read)
        if self._nodrop and not all(pipe.can_write() for pipe in targets):
            raise Again("a subscriber is at SNDHWM (XPUB_NODROP)")
        if tracker is None:  # (the common case, without a tracker's claims)
            for pipe in targets:
                sink = pipe.sink
                if sink is not None:
                    sink.take(frames, None)
                elif pipe.can_write():
                    pipe.write(frames, None)  # (a subscriber at SNDHWM misses it)
            return
        write_to_all(targets, frames, tracker)

    def _targets(self, topic: Buffer) -> tuple[Pipe, ...]:
        """The pipes a message with ``topic`` goes to (as _send computes it inline)."""
        targets = tuple(self._index.matching(topic))
        if self._invert:
            return tuple(pipe for pipe in self.pipes if pipe not in targets)
        return targets

    def _recv(self) -> list[Frame]:
        if not self._notifications:
            raise Again("no subscription message is waiting")
        return self._notifications.popleft()

    @property
    def readable(self) -> bool:
        return bool(self._notifications)

    @property
    def writable(self) -> bool:
        return True

    def subscriptions(self) -> list[bytes]:
        """Every topic some peer is subscribed to."""
        return self._index.prefixes()


class Pub(XPub):
    """XPUB without the application-facing half: subscriptions are only used to filter."""

    socket_type = SocketType.PUB

    def _notify(self, kind: bytes, topic: bytes) -> None:
        pass

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        pass  # a PUB ignores messages from below

    def _recv(self) -> list[Frame]:
        return SocketBase._recv(self)

    def _check_recv(self) -> None:
        SocketBase._recv(self)

    @property
    def readable(self) -> bool:
        return False


class XSub(SocketBase):
    """Fair-queued in; subscriptions (and any other message) sent up to every publisher."""

    socket_type = SocketType.XSUB

    def __init__(self, options: Options | None = None, rng: random.Random | None = None) -> None:
        super().__init__(options, rng)
        self._counts: dict[bytes, int] = {}
        self._index: SubscriptionIndex[None] = SubscriptionIndex()

    def _add(self, topic: bytes) -> None:
        count = self._counts.get(topic, 0)
        self._counts[topic] = count + 1
        if not count:
            self._index.add(topic, None)

    def _remove(self, topic: bytes) -> bool:
        """Drop one subscription to ``topic``; True when it was the last one."""
        count = self._counts.get(topic)
        if count is None:
            return False
        if count > 1:
            self._counts[topic] = count - 1
            return False
        del self._counts[topic]
        self._index.remove(topic, None)
        return True

    def _attach(self, pipe: Pipe) -> None:
        for topic in self._counts:
            pipe.write_command(SubscriptionCommand(True, topic))

    def _pipe_connected(self, pipe: Pipe, reconnected: bool) -> None:
        if reconnected:  # the publisher forgot us: tell it again, before anything else
            pipe.resubscribe(self._counts)

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        first = bytes(frames[0])
        if first[:1] == b"\x01":
            self._add(first[1:])
        elif first[:1] == b"\x00" and not self._remove(first[1:]):
            if tracker is not None:
                tracker.release(dropped=True)
            return  # cancelling what was never subscribed goes nowhere
        write_to_all(self.pipes, frames, tracker)

    _recv = SocketBase._fair_recv
    try_recv = SocketBase._fair_try_recv

    @property
    def writable(self) -> bool:
        return True

    def subscriptions(self) -> list[bytes]:
        return list(self._counts)


class Sub(XSub):
    """Subscribes through options; receives only what matches."""

    socket_type = SocketType.SUB
    filters_on_read = True

    _invert = False  # INVERT_MATCHING, read for every message
    _pass_all = False  # subscribed to everything (b""), not inverted: nothing to filter

    def _option_changed(self, name: str, value: object) -> None:
        if name == "INVERT_MATCHING":
            self._invert = bool(value)
        elif name == "SUBSCRIBE":
            assert isinstance(value, bytes)
            self._add(value)
            self._broadcast(SubscriptionCommand(True, value))  # libzmq forwards every one
        elif name == "UNSUBSCRIBE":
            assert isinstance(value, bytes)
            if self._remove(value):
                self._broadcast(SubscriptionCommand(False, value))
        self._pass_all = b"" in self._counts and not self._invert

    def _broadcast(self, command: SubscriptionCommand) -> None:
        for pipe in self.pipes:
            pipe.write_command(command)

    def _wanted(self, frames: list[Frame]) -> bool:
        return self._index.matches(frames[0]) != self._invert

    def _deliver(self, pipe: Pipe, frames: list[Frame]) -> None:
        if self._wanted(frames):  # filtered on arrival: unwanted messages take no room
            super()._deliver(pipe, frames)

    def _deliver_many(self, pipe: Pipe, messages: list[list[Frame]]) -> None:
        if pipe.conflate:
            super()._deliver_many(pipe, messages)
            return
        if not self._pass_all:
            matches, invert = self._index.matches, self._invert
            messages = [frames for frames in messages if matches(frames[0]) != invert]
        if messages:
            self._queue_many(pipe, messages)

    def _recv(self) -> list[Frame]:
        frames = self.try_recv()
        if frames is None:
            raise Again("no message is waiting")
        return frames

    @property
    def reads_plainly(self) -> bool:
        return self._pass_all

    def try_recv(self) -> list[Frame] | None:
        if self._pass_all:
            return self._fq.next_frames()
        next_frames, matches = self._fq.next_frames, self._index.matches
        while (frames := next_frames()) is not None:
            # Filtered again on reading: subscriptions may have been dropped since.
            if matches(frames[0]) != self._invert:
                return frames
        return None

    def _send(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        SocketBase._send(self, frames, tracker)

    @property
    def writable(self) -> bool:
        return False
