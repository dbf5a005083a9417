"""zmtp_asyncio: the asyncio backend (a zmq.asyncio-like API).

Not implemented yet: this package only reserves the name and the layout.
"""
