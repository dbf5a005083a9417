"""What a socket engine would otherwise take from its surroundings, passed in.

As h2's ``H2Configuration``: the core reads no environment and draws no
entropy of its own choosing, so that a test (or an embedder) decides both.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ._counters import Toggles

__all__ = ["EngineConfiguration"]


@dataclass(frozen=True, slots=True)
class EngineConfiguration:
    """The environment's switches, the random numbers and the random bytes of one engine.

    ``toggles``: ZMTP_ZEROCOPY_WRITE and friends as the backend read them
    (:meth:`Toggles.from_environment`), winning over the socket options;
    ``rng``: routing ids, request ids and reconnect jitter (seed it to replay);
    ``random_bytes``: CURVE's nonces and cookie keys (a cryptographic source).
    """

    toggles: Toggles = field(default_factory=Toggles)
    rng: random.Random = field(default_factory=random.Random)
    random_bytes: Callable[[int], bytes] = os.urandom
