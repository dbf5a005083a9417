"""zmtp_selectors: the blocking, pyzmq-like backend (selectors + sendmsg).

Not implemented yet: this package only reserves the name and the layout.
"""
