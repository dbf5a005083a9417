"""pyzmq's ``zmq.devices``, as ``zmtp_selectors.devices``: proxies run in the
background, configured before they start."""

from .basedevice import BackgroundDevice, Device, ProcessDevice, ThreadDevice
from .monitoredqueue import (
    MonitoredQueue,
    ProcessMonitoredQueue,
    ThreadMonitoredQueue,
    monitored_queue,
)
from .proxydevice import (
    ProcessProxy,
    ProcessProxySteerable,
    Proxy,
    ProxySteerable,
    ThreadProxy,
    ThreadProxySteerable,
)

__all__ = [
    "BackgroundDevice",
    "Device",
    "MonitoredQueue",
    "ProcessDevice",
    "ProcessMonitoredQueue",
    "ProcessProxy",
    "ProcessProxySteerable",
    "Proxy",
    "ProxySteerable",
    "ThreadDevice",
    "ThreadMonitoredQueue",
    "ThreadProxy",
    "ThreadProxySteerable",
    "monitored_queue",
]
