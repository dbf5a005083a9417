"""``zmq`` when zmtp_compat's shim directory is first on the path: zmtp_selectors."""

import sys

import zmtp_compat

zmtp_compat.install()
import zmq  # noqa: E402  (through the finder just installed: zmtp_selectors)

sys.modules[__name__] = zmq
