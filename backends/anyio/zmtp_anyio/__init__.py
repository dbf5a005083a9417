"""zmtp_anyio: the anyio backend, for trio and asyncio.

Not implemented yet: this package only reserves the name and the layout.
"""
