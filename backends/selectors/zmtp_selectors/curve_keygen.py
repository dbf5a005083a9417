"""Make a CURVE key pair: ``python -m zmtp_selectors.curve_keygen [--json] [--secret KEY]``
(pyzmq's ``python3 -m zmq.curve_keygen``, which the launcher runs as this).

Prints the public and the secret key in Z85, or, with ``--json``, a JSON object
``{"public": ..., "secret": ...}``. ``--secret`` gives the secret key: only the
public one is computed.
"""

from __future__ import annotations

import argparse
import json
import sys

from zmtp_transport.namespace import curve_keypair, curve_public


def main(argv: list[str] | None = None) -> int:
    name = __spec__.name if __spec__ is not None else "zmtp_selectors.curve_keygen"
    parser = argparse.ArgumentParser(
        prog=f"python3 -m {name}", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--secret", help="the secret key (Z85): compute its public key")
    words = list(sys.argv[1:] if argv is None else argv)
    if "--secret" in words[:-1]:  # a Z85 key may start with "-": the next word is the key
        at = words.index("--secret")
        words[at : at + 2] = [f"--secret={words[at + 1]}"]
    args = parser.parse_args(words)
    if args.secret:
        secret = args.secret.encode("ascii")
        public = curve_public(secret)
    else:
        public, secret = curve_keypair()
    if args.json:
        print(json.dumps({"public": public.decode("ascii"), "secret": secret.decode("ascii")}))
    else:
        print("== CURVE PUBLIC KEY ==", public.decode("ascii"), sep="\n")
        print("== CURVE SECRET KEY ==", secret.decode("ascii"), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
