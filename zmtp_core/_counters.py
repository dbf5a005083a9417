"""Debug counters and runtime toggles, named as in the seed system.

Counters are process-wide plain integers, switched on by ``ZMTP_DEBUG_COUNTERS=1``
or :meth:`DebugCounters.enable`. Every update in the core sits behind one
``if counters.enabled`` test, so they cost a branch when off.

Toggles resolve with the seed's precedence: environment variable, then the
socket option, then the default. "0", "false" and "off" switch a feature off.
The environment is read once per socket (:meth:`Toggles.from_environment`)
and the resolved values are passed down to each connection.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "LAZY_COMPACT",
    "WRITE_BATCHING",
    "ZEROCOPY_WRITE",
    "DebugCounters",
    "Toggles",
    "counters",
    "resolve_toggle",
]

ZEROCOPY_WRITE = "ZMTP_ZEROCOPY_WRITE"
LAZY_COMPACT = "ZMTP_LAZY_COMPACT"
WRITE_BATCHING = "ZMTP_WRITE_BATCHING"

_OFF = frozenset({"0", "false", "off"})


def _env_switch(name: str, environ: Mapping[str, str] | None = None) -> bool | None:
    value = (os.environ if environ is None else environ).get(name, "").strip().lower()
    if not value:
        return None
    return value not in _OFF


def resolve_toggle(env_name: str, option: bool | None, default: bool = True) -> bool:
    """The effective value of a feature switch: environment > option > default."""
    from_env = _env_switch(env_name)
    if from_env is not None:
        return from_env
    if option is not None:
        return option
    return default


@dataclass(frozen=True, slots=True)
class Toggles:
    """The seed's switches as the environment set them (None: not set there)."""

    zerocopy_write: bool | None = None
    lazy_compact: bool | None = None
    write_batching: bool | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Toggles:
        """Read ZMTP_ZEROCOPY_WRITE, ZMTP_LAZY_COMPACT and ZMTP_WRITE_BATCHING once."""
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


counters = DebugCounters(enabled=bool(_env_switch("ZMTP_DEBUG_COUNTERS")))
