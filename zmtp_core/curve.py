"""CURVE keys (RFC 26): key pairs, public keys, their Z85 text (RFC 32), and the
libsodium binding in use."""

from ._curve import curve_keypair, curve_public, sodium
from ._z85 import z85_decode, z85_encode

__all__ = ["curve_keypair", "curve_public", "sodium", "z85_decode", "z85_encode"]
