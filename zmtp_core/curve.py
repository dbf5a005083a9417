"""CURVE keys (RFC 26): key pairs, public keys, and the libsodium binding in use."""

from ._curve import curve_keypair, curve_public, sodium

__all__ = ["curve_keypair", "curve_public", "sodium"]
