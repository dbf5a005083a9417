"""libzmq's socket options as the core knows them: names, numbers, types, checks."""

from ._options import OPTIONS, Options, OptionSpec, lookup

__all__ = ["OPTIONS", "OptionSpec", "Options", "lookup"]
