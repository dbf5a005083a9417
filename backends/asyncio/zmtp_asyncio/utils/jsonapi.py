"""pyzmq's ``zmq.utils.jsonapi``, as ``zmtp_asyncio.utils.jsonapi``."""

from zmtp_transport.utils.jsonapi import dumps, jsonmod, loads

__all__ = ["dumps", "jsonmod", "loads"]
