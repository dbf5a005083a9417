"""pyzmq's ``zmq.devices.monitoredqueuedevice``: where pyzmq keeps the MonitoredQueue
classes (``monitoredqueue`` has them here, beside the function)."""

from .monitoredqueue import MonitoredQueue, ProcessMonitoredQueue, ThreadMonitoredQueue

__all__ = ["MonitoredQueue", "ProcessMonitoredQueue", "ThreadMonitoredQueue"]
