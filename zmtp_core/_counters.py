"""Debug counters and runtime toggles, named as in the seed system.

Counters are process-wide plain integers, switched on by
:meth:`DebugCounters.enable` (the backends do it when ``ZMTP_DEBUG_COUNTERS=1``).
Every update in the core sits behind one ``if counters.enabled`` test, so they
cost a branch when off.

Toggles resolve with the seed's precedence: environment variable, then the
socket option, then the default. "0", "false" and "off" switch a feature off.
The core reads no environment: a backend reads it once per socket
(:meth:`Toggles.from_environment`) and passes the result in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "LAZY_COMPACT",
    "WRITE_BATCHING",
    "ZEROCOPY_WRITE",
    "DebugCounters",
    "Toggles",
    "counters",
]

DEBUG_COUNTERS = "ZMTP_DEBUG_COUNTERS"
ZEROCOPY_WRITE = "ZMTP_ZEROCOPY_WRITE"
LAZY_COMPACT = "ZMTP_LAZY_COMPACT"
WRITE_BATCHING = "ZMTP_WRITE_BATCHING"

_OFF = frozenset({"0", "false", "off"})


def _env_switch(name: str, environ: Mapping[str, str]) -> bool | None:
    value = environ.get(name, "").strip().lower()
    if not value:
        return None
    return value not in _OFF


@dataclass(frozen=True, slots=True)
class Toggles:
    """The seed's switches as the environment set them (None: not set there)."""

    zerocopy_write: bool | None = None
    lazy_compact: bool | None = None
    write_batching: bool | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Toggles:
        """ZMTP_ZEROCOPY_WRITE, ZMTP_LAZY_COMPACT and ZMTP_WRITE_BATCHING, as ``environ``
        (``os.environ``, read by the caller) sets them."""
        return cls(
            _env_switch(ZEROCOPY_WRITE, environ),
            _env_switch(LAZY_COMPACT, environ),
            _env_switch(WRITE_BATCHING, environ),
        )

    @staticmethod
    def pick(from_env: bool | None, option: bool) -> bool:
        """Environment first, then the socket option."""
        return option if from_env is None else from_env


class DebugCounters:
    """What the I/O paths really did: copies, scatter writes, compactions, batches.

    Write side: ``zerocopy_count`` bodies sent by reference, ``fallback_count``
    frames copied into a coalescing buffer (handshake commands included),
    ``bytes_copied`` bytes those copies moved, ``scatter_gather_count`` writes
    of more than one buffer, ``partial_write_count`` writes the kernel cut short,
    ``write_count`` writes reported at all (one per sendmsg).
    Read side: ``compaction_*`` for the receive buffer, ``read_zerocopy_count``
    bodies received straight into their own buffer, ``read_bytes_copied``
    bytes copied out of the receive buffer into frames, ``read_count`` reads
    (one per recv_into). ``batch_*`` are kept by backends that batch writes.
    """

    __slots__ = (
        "batch_bytes_total",
        "batch_count_flush_count",
        "batch_flush_count",
        "batch_messages_total",
        "batch_size_flush_count",
        "batch_timeout_flush_count",
        "bytes_copied",
        "compaction_bytes",
        "compaction_count",
        "compaction_skipped_count",
        "enabled",
        "fallback_count",
        "handshake_copy_bytes",
        "handshake_copy_count",
        "partial_write_count",
        "read_bytes_copied",
        "read_count",
        "read_zerocopy_count",
        "scatter_gather_count",
        "write_count",
        "zerocopy_count",
    )

    NAMES = tuple(name for name in __slots__ if name != "enabled")

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.reset()

    # The attributes are declared for the type checker; __slots__ holds them.
    batch_bytes_total: int
    batch_count_flush_count: int
    batch_flush_count: int
    batch_messages_total: int
    batch_size_flush_count: int
    batch_timeout_flush_count: int
    bytes_copied: int
    compaction_bytes: int
    compaction_count: int
    compaction_skipped_count: int
    fallback_count: int
    handshake_copy_bytes: int
    handshake_copy_count: int
    partial_write_count: int
    read_bytes_copied: int
    read_count: int
    read_zerocopy_count: int
    scatter_gather_count: int
    write_count: int
    zerocopy_count: int

    def enable(self, on: bool = True) -> None:
        """Switch counting on (or off) from code, as ZMTP_DEBUG_COUNTERS does."""
        self.enabled = on

    def enable_from(self, environ: Mapping[str, str]) -> None:
        """Switch counting on if ``environ`` sets ZMTP_DEBUG_COUNTERS (to anything but off)."""
        if _env_switch(DEBUG_COUNTERS, environ):
            self.enabled = True

    def reset(self) -> None:
        """Set every counter back to zero."""
        for name in self.NAMES:
            setattr(self, name, 0)

    def snapshot(self) -> dict[str, int]:
        """Every counter's current value, by name."""
        return {name: getattr(self, name) for name in self.NAMES}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v}" for k, v in self.snapshot().items() if v)
        return f"DebugCounters(enabled={self.enabled}, {values})"


counters = DebugCounters()
