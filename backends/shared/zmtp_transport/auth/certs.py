"""CURVE certificates as files, in the format pyzmq and czmq write.

A public certificate holds ``public-key = "<Z85>"`` under a ``curve`` section;
the secret one (``<name>.key_secret``) holds the secret key as well. Files
written by pyzmq load here, and ours load there.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

from zmtp_core.curve import curve_keypair, z85_encode

__all__ = ["create_certificates", "load_certificate", "load_certificates"]

_KEY_LINE = re.compile(r'^\s*(public|secret)-key\s*=\s*"(.*)"\s*$')


def _write(
    path: Path, banner: str, metadata: dict[str, str] | None, keys: dict[str, bytes]
) -> None:
    lines = [
        f"#   ****  Generated on {datetime.datetime.now()} by zmtp  ****",
        f"#   ZeroMQ CURVE {banner} Certificate",
        "",
        "metadata",
        *(f"    {name} = {value}" for name, value in (metadata or {}).items()),
        "curve",
        *(f'    {name}-key = "{value.decode()}"' for name, value in keys.items()),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def create_certificates(
    key_dir: str | os.PathLike[str], name: str, metadata: dict[str, str] | None = None
) -> tuple[str, str]:
    """A new key pair as ``<name>.key`` and ``<name>.key_secret`` in ``key_dir``;
    returns the two paths."""
    public, secret = (z85_encode(key) for key in curve_keypair())
    public_path = Path(key_dir) / f"{name}.key"
    secret_path = Path(key_dir) / f"{name}.key_secret"
    _write(public_path, "Public", metadata, {"public": public})
    _write(secret_path, "**Secret**", metadata, {"public": public, "secret": secret})
    secret_path.chmod(0o600)
    return str(public_path), str(secret_path)


def load_certificate(filename: str | os.PathLike[str]) -> tuple[bytes, bytes | None]:
    """(public key, secret key or None) from a certificate file, as Z85 bytes."""
    keys: dict[str, bytes] = {}
    for line in Path(filename).read_text(encoding="utf-8").splitlines():
        match = _KEY_LINE.match(line)
        if match:
            keys[match.group(1)] = match.group(2).encode("ascii")
    if "public" not in keys:
        raise ValueError(f"no public key in {os.fspath(filename)!r}")
    return keys["public"], keys.get("secret")


def load_certificates(directory: str | os.PathLike[str] = ".") -> dict[bytes, bool]:
    """The public keys of every ``*.key`` file in ``directory``: {key: True}."""
    path = Path(directory)
    if not path.is_dir():
        raise ValueError(f"no certificate directory at {os.fspath(directory)!r}")
    return {load_certificate(cert)[0]: True for cert in sorted(path.glob("*.key"))}
