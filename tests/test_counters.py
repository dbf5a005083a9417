"""Debug counters and runtime toggles, mirroring the seed's tests with real values."""

from __future__ import annotations

import os

import pytest

from zmtp_core import DebugCounters, MessageTracker, Options, SocketType, Toggles, counters
from zmtp_core.connection import Connection, Message

from wire import feed, handshake, handshaken_pair, take_output, transfer

LONG_HEADER = 9


def test_large_body_goes_zero_copy(debug_counters: DebugCounters) -> None:
    a, b = handshaken_pair()
    debug_counters.reset()
    body = bytes(16 * 1024)
    a.send_message([body])
    assert debug_counters.zerocopy_count == 1
    assert debug_counters.fallback_count == 0
    assert debug_counters.bytes_copied <= LONG_HEADER
    assert a.buffers_to_send()[1] is body
    assert transfer(a, b) == [Message([body])]


def test_small_message_takes_the_copy_path(debug_counters: DebugCounters) -> None:
    a, _ = handshaken_pair()
    debug_counters.reset()
    a.send_message([bytes(100)])
    assert (debug_counters.fallback_count, debug_counters.zerocopy_count) == (1, 0)
    assert debug_counters.bytes_copied == 2 + 100


def test_handshake_writes_count_as_fallback(debug_counters: DebugCounters) -> None:
    a = Connection("DEALER")
    assert debug_counters.handshake_copy_count == 1  # the greeting's signature, at once
    assert debug_counters.handshake_copy_bytes == 10
    b = Connection("ROUTER")
    handshake(a, b)  # b: signature, major version, the rest, READY; a the same, but b's
    # signature and major version reached it together, so its major and rest went as one.
    assert debug_counters.handshake_copy_count == 7
    assert debug_counters.handshake_copy_bytes > 2 * 64  # (two greetings and two READYs)
    assert debug_counters.fallback_count == 7
    assert debug_counters.zerocopy_count == 0


def test_reused_buffer_is_never_corrupted(debug_counters: DebugCounters) -> None:
    """10 KB bodies from one bytearray, refilled as soon as each tracker says done."""
    a, b = handshaken_pair()
    buffer = bytearray(10 * 1024)
    received: list[bytes] = []
    for n in range(50):
        buffer[:] = bytes([n % 256]) * len(buffer)
        tracker = MessageTracker()
        a.send_message([buffer], tracker=tracker)
        while not tracker.done:  # the kernel takes 3000 bytes at a time
            buffers = a.buffers_to_send()
            chunk = b"".join(bytes(x) for x in buffers)[:3000]
            a.sent(len(chunk))
            for event in feed(b, chunk):
                assert isinstance(event, Message)
                received.append(bytes(event.frames[0]))
    assert received == [bytes([n % 256]) * len(buffer) for n in range(50)]
    assert debug_counters.zerocopy_count == 50
    assert debug_counters.partial_write_count > 0


def test_partial_and_scatter_writes_are_counted(debug_counters: DebugCounters) -> None:
    a, _ = handshaken_pair()
    debug_counters.reset()
    a.send_message([b"id", bytes(20000)])
    buffers = a.buffers_to_send()
    assert len(buffers) == 2
    a.sent(100)
    assert (debug_counters.scatter_gather_count, debug_counters.partial_write_count) == (1, 1)
    take_output(a)
    assert debug_counters.partial_write_count == 1


def test_compaction_is_lazy_on_a_4k_stream(debug_counters: DebugCounters) -> None:
    a, b = handshaken_pair(receive_buffer_size=65536)
    debug_counters.reset()
    for _ in range(300):
        a.send_message([bytes(4096)])
    events = feed(b, take_output(a), [3000] * 10_000)  # reads that split frames
    assert len(events) == 300
    assert debug_counters.compaction_count > 0
    assert debug_counters.compaction_skipped_count >= 10 * debug_counters.compaction_count


def test_large_messages_cost_only_headers_on_read(debug_counters: DebugCounters) -> None:
    a, b = handshaken_pair()
    for _ in range(3):
        a.send_message([bytes(64 * 1024)])
    wire = take_output(a)
    events = feed(b, wire[: 64 * 1024 + LONG_HEADER])  # the first message
    debug_counters.reset()
    events += feed(b, wire[64 * 1024 + LONG_HEADER :])
    assert len(events) == 3
    assert debug_counters.read_bytes_copied == 0
    assert debug_counters.read_zerocopy_count == 2


def test_zerocopy_write_env_switch_forces_the_copy_path(
    debug_counters: DebugCounters, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZMTP_ZEROCOPY_WRITE", "0")
    # The environment is read once per socket and wins over the option (set to 1 here).
    kwargs = Options(SocketType.DEALER).connection_kwargs(Toggles.from_environment(os.environ))
    assert kwargs["zerocopy_write"] is False
    a, b = handshaken_pair(zerocopy_write=kwargs["zerocopy_write"])
    debug_counters.reset()
    a.send_message([bytes(16 * 1024)])
    assert (debug_counters.zerocopy_count, debug_counters.fallback_count) == (0, 1)
    assert debug_counters.bytes_copied == 16 * 1024 + LONG_HEADER
    assert len(a.buffers_to_send()) == 1
    assert transfer(a, b) == [Message([bytes(16 * 1024)])]


@pytest.mark.parametrize(
    ("env", "option", "expected"),
    [
        (None, None, True),
        (None, False, False),
        ("0", True, False),
        ("false", True, False),
        ("OFF", True, False),
        ("1", False, True),
        ("on", None, True),
        ("", False, False),  # empty counts as unset
    ],
)
def test_toggle_precedence_env_then_option_then_default(
    env: str | None, option: bool | None, expected: bool
) -> None:
    toggles = Toggles.from_environment({} if env is None else {"ZMTP_LAZY_COMPACT": env})
    options = Options(SocketType.DEALER)
    if option is not None:
        options.set("ZMTP_LAZY_COMPACT", int(option))
    assert options.connection_kwargs(toggles)["lazy_compact"] is expected


def test_toggles_are_read_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZMTP_LAZY_COMPACT", "off")
    monkeypatch.delenv("ZMTP_ZEROCOPY_WRITE", raising=False)
    toggles = Toggles.from_environment(os.environ)
    monkeypatch.setenv("ZMTP_ZEROCOPY_WRITE", "0")  # too late for these toggles
    assert toggles == Toggles(zerocopy_write=None, lazy_compact=False, write_batching=None)
    kwargs = Options(SocketType.PUB).connection_kwargs(toggles)
    assert (kwargs["zerocopy_write"], kwargs["lazy_compact"]) == (True, False)
    assert Toggles.from_environment({"ZMTP_WRITE_BATCHING": "1"}).write_batching is True


def test_lazy_compact_option_reaches_the_reader(debug_counters: DebugCounters) -> None:
    a, b = handshaken_pair(lazy_compact=False)
    debug_counters.reset()
    for _ in range(50):
        a.send_message([bytes(4096)])
    feed(b, take_output(a), [3000] * 1000)
    assert debug_counters.compaction_skipped_count == 0
    assert debug_counters.compaction_count > 40


def test_counters_are_silent_when_off() -> None:
    was = counters.enabled
    counters.enable(False)
    try:
        counters.reset()
        a, b = handshaken_pair()
        a.send_message([bytes(16 * 1024)])
        transfer(a, b)
        assert set(counters.snapshot().values()) == {0}
    finally:
        counters.enable(was)


def test_snapshot_reset_and_repr(debug_counters: DebugCounters) -> None:
    debug_counters.zerocopy_count = 3
    assert debug_counters.snapshot()["zerocopy_count"] == 3
    assert "zerocopy_count=3" in repr(debug_counters)
    debug_counters.reset()
    assert debug_counters.snapshot()["zerocopy_count"] == 0
    assert len(DebugCounters.NAMES) == 20


def test_env_switch_turns_counters_on_when_a_backend_is_imported() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    def enabled(value: str, imports: str) -> str:
        code = f"{imports}; from zmtp_core import counters; print(counters.enabled)"
        env = {"ZMTP_DEBUG_COUNTERS": value, "PATH": ""}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    for value, expected in (("1", "True"), ("0", "False"), ("", "False")):
        assert enabled(value, "import zmtp_selectors") == expected
    assert enabled("1", "import zmtp_core") == "False"  # the core reads no environment
