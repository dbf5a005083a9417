"""Socket monitor events and their two-frame wire form (libzmq's)."""

from ._monitor import ALL, MONITOR_STOPPED, MonitorEvent, encode

__all__ = ["ALL", "MONITOR_STOPPED", "MonitorEvent", "encode"]
