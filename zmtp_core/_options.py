"""Every socket option in one table: name, number, type, default, validation.

Names and numbers are pyzmq's (libzmq's ``ZMQ_*`` without the prefix); values
keep libzmq's units (milliseconds, message counts) so that code written for
pyzmq reads and writes the same numbers. Backends expose ``setsockopt``,
``getsockopt`` and attributes from this table and nothing else; an unknown or
invalid option raises :class:`SocketError` (EINVAL) naming the option.

Options zmtp adds (``ZMTP_*``, and ``TLS_*`` with the names the seed system gave
them) are numbered from :data:`OWN_OPTIONS` = 0x7A6D0000 ("zm"), out of
libzmq's way.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from ._counters import Toggles
from ._errors import SocketError
from ._socket_types import SocketType
from ._z85 import z85_decode

if TYPE_CHECKING:
    import ssl

__all__ = [
    "MECHANISM_CURVE",
    "MECHANISM_NULL",
    "MECHANISM_PLAIN",
    "OPTIONS",
    "OWN_OPTIONS",
    "OptionOverflow",
    "OptionSpec",
    "Options",
    "lookup",
]

#: MECHANISM's values (libzmq's ZMQ_NULL, ZMQ_PLAIN, ZMQ_CURVE).
MECHANISM_NULL, MECHANISM_PLAIN, MECHANISM_CURVE = 0, 1, 2

#: The first number of the options zmtp adds to libzmq's.
OWN_OPTIONS = 0x7A6D0000

_T = SocketType
OptionValue: TypeAlias = "int | bytes | str | ssl.SSLContext | None"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """How one option behaves."""

    name: str
    number: int
    kind: type  # int, bytes, str, or object (TLS_CONTEXT: its check says what it takes)
    default: Any = None
    #: Socket types that accept it; None means every type.
    types: frozenset[SocketType] | None = None
    readable: bool = True
    writable: bool = True
    #: Returns an error text for a bad value, or None when it is fine.
    check: Callable[[Any], str | None] | None = None
    #: Set only by the backend (LAST_ENDPOINT, RCVMORE...), never by the user.
    backend_only: bool = False


def _at_least(low: int) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else f"must be >= {low}"


def _between(low: int, high: int) -> Callable[[Any], str | None]:
    return lambda value: None if low <= value <= high else f"must be in [{low}, {high}]"


def _routing_id(value: bytes) -> str | None:
    return None if 1 <= len(value) <= 255 else "must be 1 to 255 bytes"


def _short_text(value: bytes) -> str | None:
    return None if len(value) <= 255 else "must be at most 255 bytes"


def _curve_key(value: bytes) -> str | None:
    if len(value) == 32 or (len(value) in (40, 41) and value[40:] in (b"", b"\0")):
        return None
    return "must be 32 bytes, or 40 characters of Z85"


def _ssl_context(value: object) -> str | None:
    # An SSLContext exists only once the program imported ssl: no need to import it here.
    ssl_module = sys.modules.get("ssl")
    if value is None or (ssl_module is not None and isinstance(value, ssl_module.SSLContext)):
        return None
    return "must be an ssl.SSLContext or None"


def _metadata(value: str) -> str | None:
    key, colon, _ = value.partition(":")
    if not colon or not key.startswith("X-") or len(key) > 255:
        return "must look like 'X-Name:value'"
    return None


_BOOL = _between(0, 1)
_ANY = None
_ROUTER = frozenset({_T.ROUTER})
_STREAM = frozenset({_T.STREAM})
_REQ = frozenset({_T.REQ})
_PUBS = frozenset({_T.PUB, _T.XPUB})
_SUBS = frozenset({_T.SUB, _T.XSUB})
_MATCHING = frozenset({_T.PUB, _T.XPUB, _T.SUB})
_PROBING = frozenset({_T.ROUTER, _T.DEALER, _T.REQ})

OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("ROUTING_ID", 5, bytes, b"", check=_routing_id),
    OptionSpec("SUBSCRIBE", 6, bytes, types=_SUBS, readable=False),
    OptionSpec("UNSUBSCRIBE", 7, bytes, types=_SUBS, readable=False),
    OptionSpec("SNDBUF", 11, int, -1, check=_at_least(-1)),
    OptionSpec("RCVBUF", 12, int, -1, check=_at_least(-1)),
    OptionSpec("RCVMORE", 13, int, 0, writable=False, backend_only=True),
    OptionSpec("FD", 14, int, -1, writable=False, backend_only=True),
    OptionSpec("EVENTS", 15, int, 0, writable=False, backend_only=True),
    OptionSpec("TYPE", 16, int, writable=False),
    OptionSpec("LINGER", 17, int, -1, check=_at_least(-1)),
    OptionSpec("RECONNECT_IVL", 18, int, 100, check=_at_least(-1)),
    OptionSpec("BACKLOG", 19, int, 100, check=_at_least(0)),
    OptionSpec("RECONNECT_IVL_MAX", 21, int, 0, check=_at_least(0)),
    OptionSpec("MAXMSGSIZE", 22, int, -1),
    OptionSpec("SNDHWM", 23, int, 1000, check=_at_least(0)),
    OptionSpec("RCVHWM", 24, int, 1000, check=_at_least(0)),
    OptionSpec("RCVTIMEO", 27, int, -1, check=_at_least(-1)),
    OptionSpec("SNDTIMEO", 28, int, -1, check=_at_least(-1)),
    OptionSpec("LAST_ENDPOINT", 32, bytes, b"", writable=False, backend_only=True),
    OptionSpec("ROUTER_MANDATORY", 33, int, 0, types=_ROUTER, readable=False, check=_BOOL),
    OptionSpec("TCP_KEEPALIVE", 34, int, -1, check=_between(-1, 1)),
    OptionSpec("TCP_KEEPALIVE_CNT", 35, int, -1, check=_at_least(-1)),
    OptionSpec("TCP_KEEPALIVE_IDLE", 36, int, -1, check=_at_least(-1)),
    OptionSpec("TCP_KEEPALIVE_INTVL", 37, int, -1, check=_at_least(-1)),
    OptionSpec("IMMEDIATE", 39, int, 0, check=_BOOL),
    OptionSpec("XPUB_VERBOSE", 40, int, 0, types=_PUBS, readable=False, check=_BOOL),
    OptionSpec("IPV6", 42, int, 0, check=_BOOL),
    OptionSpec("MECHANISM", 43, int, 0, writable=False),
    OptionSpec("PROBE_ROUTER", 51, int, 0, types=_PROBING, readable=False, check=_BOOL),
    OptionSpec("REQ_CORRELATE", 52, int, 0, types=_REQ, readable=False, check=_BOOL),
    OptionSpec("REQ_RELAXED", 53, int, 0, types=_REQ, readable=False, check=_BOOL),
    OptionSpec("CONFLATE", 54, int, 0, check=_BOOL),
    OptionSpec("ROUTER_HANDOVER", 56, int, 0, types=_ROUTER, readable=False, check=_BOOL),
    OptionSpec("TOS", 57, int, 0, check=_between(0, 255)),
    OptionSpec("CONNECT_ROUTING_ID", 61, bytes, b"", readable=False, check=_routing_id),
    OptionSpec("HANDSHAKE_IVL", 66, int, 30000, check=_at_least(0)),
    OptionSpec("XPUB_NODROP", 69, int, 0, types=_PUBS, readable=False, check=_BOOL),
    OptionSpec("INVERT_MATCHING", 74, int, 0, types=_MATCHING, check=_BOOL),
    OptionSpec("HEARTBEAT_IVL", 75, int, 0, check=_at_least(0)),
    OptionSpec("HEARTBEAT_TTL", 76, int, 0, check=_between(0, 6553599)),
    OptionSpec("HEARTBEAT_TIMEOUT", 77, int, -1, check=_at_least(-1)),
    OptionSpec("XPUB_VERBOSER", 78, int, 0, types=_PUBS, readable=False, check=_BOOL),
    OptionSpec("CONNECT_TIMEOUT", 79, int, 0, check=_at_least(0)),
    OptionSpec("TCP_MAXRT", 80, int, 0, check=_at_least(0)),
    OptionSpec("METADATA", 95, str, readable=False, check=_metadata),
    # Security: setting them picks MECHANISM and the side, as in libzmq.
    OptionSpec("PLAIN_SERVER", 44, int, 0, check=_BOOL),
    OptionSpec("PLAIN_USERNAME", 45, bytes, b"", check=_short_text),
    OptionSpec("PLAIN_PASSWORD", 46, bytes, b"", check=_short_text),
    OptionSpec("CURVE_SERVER", 47, int, 0, check=_BOOL),
    OptionSpec("CURVE_PUBLICKEY", 48, bytes, readable=False, check=_curve_key),
    OptionSpec("CURVE_SECRETKEY", 49, bytes, readable=False, check=_curve_key),
    OptionSpec("CURVE_SERVERKEY", 50, bytes, readable=False, check=_curve_key),
    OptionSpec("ZAP_DOMAIN", 55, bytes, b"", check=_short_text),
    OptionSpec("ZAP_ENFORCE_DOMAIN", 93, int, 0, check=_BOOL),
    OptionSpec("STREAM_NOTIFY", 73, int, 1, types=_STREAM, readable=False, check=_BOOL),
    # Kept, with nothing to act on: they tune I/O threads, multicast and Windows
    # loopback, none of which exist here (libzmq keeps them for tcp sockets too).
    OptionSpec("AFFINITY", 4, int, 0, check=_at_least(0)),
    OptionSpec("RATE", 8, int, 100, check=_at_least(1)),
    OptionSpec("RECOVERY_IVL", 9, int, 10000, check=_at_least(0)),
    OptionSpec("MULTICAST_HOPS", 25, int, 1, check=_at_least(1)),
    OptionSpec("MULTICAST_MAXTPDU", 84, int, 1500, check=_at_least(1)),
    OptionSpec("MULTICAST_LOOP", 96, int, 1, check=_BOOL),
    OptionSpec("LOOPBACK_FASTPATH", 94, int, 0, check=_BOOL),
    OptionSpec("THREAD_SAFE", 81, int, 0, writable=False),
    # zmtp's own: the seed's switches (environment first) and the copy threshold.
    OptionSpec("ZMTP_ZEROCOPY_WRITE", 0x7A6D0001, int, 1, check=_BOOL),
    OptionSpec("ZMTP_LAZY_COMPACT", 0x7A6D0002, int, 1, check=_BOOL),
    OptionSpec("ZMTP_WRITE_BATCHING", 0x7A6D0003, int, 1, check=_BOOL),
    OptionSpec("ZMTP_ZEROCOPY_THRESHOLD", 0x7A6D0004, int, 8192, check=_at_least(1)),
    # tls:// and wss:// (read when bind() or connect() is called, as libzmq reads options)
    OptionSpec("TLS_CERT", 0x7A6D0101, str, ""),
    OptionSpec("TLS_KEY", 0x7A6D0102, str, ""),
    OptionSpec("TLS_CA", 0x7A6D0103, str, ""),
    OptionSpec("TLS_VERIFY", 0x7A6D0104, int, 1, check=_BOOL),
    OptionSpec("TLS_REQUIRE_CLIENT_CERT", 0x7A6D0105, int, 0, check=_BOOL),
    OptionSpec("TLS_HOSTNAME", 0x7A6D0106, str, ""),
    OptionSpec("TLS_TRUST_SYSTEM", 0x7A6D0107, int, 1, check=_BOOL),
    OptionSpec("TLS_PASSWORD", 0x7A6D0108, str, "", readable=False),
    OptionSpec("TLS_CONTEXT", 0x7A6D0109, object, check=_ssl_context),
)

#: pyzmq's other names for options.
_ALIASES = {
    "IDENTITY": "ROUTING_ID",
    "CONNECT_RID": "CONNECT_ROUTING_ID",
    "DELAY_ATTACH_ON_CONNECT": "IMMEDIATE",
    "FAIL_UNROUTABLE": "ROUTER_MANDATORY",
    "ROUTER_BEHAVIOR": "ROUTER_MANDATORY",
}

#: libzmq options that zmtp knows by name but does not implement.
UNSUPPORTED = {
    "HWM": 1,
    "ROUTER_RAW": 41,
    "IPV4ONLY": 31,
    "TCP_ACCEPT_FILTER": 38,
    "IPC_FILTER_PID": 58,
    "IPC_FILTER_UID": 59,
    "IPC_FILTER_GID": 60,
    "SOCKS_PROXY": 68,
    "XPUB_MANUAL": 71,
    "XPUB_WELCOME_MSG": 72,
    "GSSAPI_SERVER": 62,
    "GSSAPI_PRINCIPAL": 63,
    "GSSAPI_SERVICE_PRINCIPAL": 64,
    "GSSAPI_PLAINTEXT": 65,
    "BLOCKY": 70,
    "VMCI_BUFFER_SIZE": 85,
    "VMCI_BUFFER_MIN_SIZE": 86,
    "VMCI_BUFFER_MAX_SIZE": 87,
    "VMCI_CONNECT_TIMEOUT": 88,
    "USE_FD": 89,
    "GSSAPI_PRINCIPAL_NAMETYPE": 90,
    "GSSAPI_SERVICE_PRINCIPAL_NAMETYPE": 91,
    "BINDTODEVICE": 92,
    "ROUTER_NOTIFY": 97,
    "XPUB_MANUAL_LAST_VALUE": 98,
    "SOCKS_USERNAME": 99,
    "SOCKS_PASSWORD": 100,
    "IN_BATCH_SIZE": 101,
    "OUT_BATCH_SIZE": 102,
    "WSS_KEY_PEM": 103,
    "WSS_CERT_PEM": 104,
    "WSS_TRUST_PEM": 105,
    "WSS_HOSTNAME": 106,
    "WSS_TRUST_SYSTEM": 107,
    "ONLY_FIRST_SUBSCRIBE": 108,
    "RECONNECT_STOP": 109,
    "HELLO_MSG": 110,
    "DISCONNECT_MSG": 111,
    "PRIORITY": 112,
    "BUSY_POLL": 113,
    "HICCUP_MSG": 114,
    "XSUB_VERBOSE_UNSUBSCRIBE": 115,
    "TOPICS_COUNT": 116,
    "NORM_MODE": 117,
    "NORM_UNICAST_NACK": 118,
    "NORM_BUFFER_SIZE": 119,
    "NORM_SEGMENT_SIZE": 120,
    "NORM_BLOCK_SIZE": 121,
    "NORM_NUM_PARITY": 122,
    "NORM_NUM_AUTOPARITY": 123,
    "NORM_PUSH": 124,
}

_BY_NAME = {spec.name: spec for spec in OPTIONS}
_BY_NUMBER = {spec.number: spec for spec in OPTIONS}
_UNSUPPORTED_NUMBERS = {number: name for name, number in UNSUPPORTED.items()}


def _invalid(message: str) -> SocketError:
    return SocketError(errno.EINVAL, message)


class OptionOverflow(SocketError, OverflowError):
    """An option value beyond the C type libzmq keeps it in: EINVAL, and an
    OverflowError too (what pyzmq raises for it)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EINVAL, message)


# libzmq keeps socket options in C ints, but for a few int64 ones.
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INT64_OPTIONS = frozenset({"MAXMSGSIZE"})


def lookup(option: str | int) -> OptionSpec:
    """The spec for a name ("SNDHWM", "sndhwm", "ZMQ_SNDHWM") or a number (23)."""
    if isinstance(option, str):
        key = option.upper().removeprefix("ZMQ_")
        key = _ALIASES.get(key, key)
        spec = _BY_NAME.get(key)
        if spec is None:
            if key in UNSUPPORTED:
                raise _invalid(f"socket option {key} is not supported by zmtp")
            raise _invalid(f"unknown socket option {option!r}")
        return spec
    spec = _BY_NUMBER.get(option)
    if spec is None:
        if option in _UNSUPPORTED_NUMBERS:
            name = _UNSUPPORTED_NUMBERS[option]
            raise _invalid(f"socket option {name} ({option}) is not supported by zmtp")
        raise _invalid(f"unknown socket option {option!r}")
    return spec


class Options:
    """One socket's option values, validated against the table."""

    __slots__ = ("_values", "metadata", "socket_type")

    def __init__(self, socket_type: SocketType) -> None:
        self.socket_type = socket_type
        self._values: dict[str, OptionValue] = {
            spec.name: spec.default for spec in OPTIONS if spec.default is not None
        }
        self._values["TYPE"] = int(socket_type)
        if socket_type in (SocketType.SUB, SocketType.XSUB, SocketType.DISH):
            self._values["LINGER"] = 0  # libzmq's subscribers never linger
        if socket_type >= SocketType.SERVER and socket_type is not SocketType.DGRAM:
            self._values["THREAD_SAFE"] = 1  # (libzmq's draft types: CLIENT, SERVER...)
        #: The X- properties METADATA added, in order.
        self.metadata: dict[str, bytes] = {}

    def validate(self, option: str | int, value: object) -> tuple[OptionSpec, OptionValue]:
        """Check a value for ``option`` and return it normalised (bool -> int, str <-> bytes)."""
        spec = lookup(option)
        if not spec.writable:
            raise _invalid(f"socket option {spec.name} is read-only")
        self._check_type(spec)
        if spec.kind is int:
            if isinstance(value, bool):
                value = int(value)
            if not isinstance(value, int):
                raise _invalid(f"{spec.name} takes an int, not {type(value).__name__}")
            low, high = _INT64 if spec.name in _INT64_OPTIONS else _INT32
            if not low <= value <= high:
                raise OptionOverflow(
                    f"{spec.name} takes a {high.bit_length() + 1}-bit int: {value}"
                )
        elif spec.kind is bytes:
            if isinstance(value, str):
                value = value.encode("utf-8")
            if not isinstance(value, bytes | bytearray | memoryview):
                raise _invalid(f"{spec.name} takes bytes, not {type(value).__name__}")
            value = bytes(value)
        elif spec.kind is str:
            if isinstance(value, bytes | bytearray):
                value = bytes(value).decode("utf-8")
            if not isinstance(value, str):
                raise _invalid(f"{spec.name} takes a str, not {type(value).__name__}")
        if spec.check is not None:
            problem = spec.check(value)
            if problem is not None:
                raise _invalid(f"invalid value {value!r} for {spec.name}: {problem}")
        return spec, cast("OptionValue", value)

    def set(self, option: str | int, value: object) -> tuple[OptionSpec, OptionValue]:
        """Validate and store; returns the spec and the stored value, to react to the change."""
        spec, normalised = self.validate(option, value)
        if spec.name.startswith("CURVE_") and spec.name.endswith("KEY"):
            assert isinstance(normalised, bytes)
            try:
                normalised = z85_decode(normalised[:40]) if len(normalised) != 32 else normalised
            except ValueError as error:
                raise _invalid(f"invalid value for {spec.name}: {error}") from None
        if spec.name == "METADATA":
            assert isinstance(normalised, str)
            key, _, data = normalised.partition(":")
            self.metadata[key] = data.encode("utf-8")
        else:
            self._values[spec.name] = normalised
        if spec.name == "PLAIN_SERVER":
            self._values["MECHANISM"] = MECHANISM_PLAIN if normalised else MECHANISM_NULL
        elif spec.name in ("PLAIN_USERNAME", "PLAIN_PASSWORD"):
            self._values["PLAIN_SERVER"] = 0
            self._values["MECHANISM"] = MECHANISM_PLAIN
        elif spec.name == "CURVE_SERVER":
            self._values["MECHANISM"] = MECHANISM_CURVE if normalised else MECHANISM_NULL
        elif spec.name.startswith("CURVE_"):
            self._values["MECHANISM"] = MECHANISM_CURVE
            if spec.name == "CURVE_SERVERKEY":
                self._values["CURVE_SERVER"] = 0
        return spec, normalised

    def get(self, option: str | int) -> OptionValue:
        spec = lookup(option)
        if not spec.readable:
            raise _invalid(f"socket option {spec.name} cannot be read")
        self._check_type(spec)
        return self._values.get(spec.name)

    def set_by_backend(self, name: str, value: OptionValue) -> None:
        """Update a read-only value only the backend knows (LAST_ENDPOINT, RCVMORE...)."""
        self._values[lookup(name).name] = value

    def __getitem__(self, name: str) -> Any:
        """The current value of ``name`` (exact table name), for the core's own use."""
        return self._values.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def _check_type(self, spec: OptionSpec) -> None:
        if spec.types is not None and self.socket_type not in spec.types:
            raise _invalid(f"socket option {spec.name} does not apply to {self.socket_type.name}")

    def connection_kwargs(self, toggles: Toggles | None = None) -> dict[str, Any]:
        """Keyword arguments for :class:`Connection`, converted to its units (seconds).

        ``toggles`` (the environment's switches) win over the options, as in the seed.
        """
        values = self._values
        toggles = toggles or Toggles()

        def seconds(name: str) -> float:
            value = values[name]
            assert isinstance(value, int)
            return value / 1000.0

        timeout = values["HEARTBEAT_TIMEOUT"]
        return {
            "routing_id": values["ROUTING_ID"],
            "metadata": dict(self.metadata),
            "max_message_size": values["MAXMSGSIZE"],
            "handshake_interval": seconds("HANDSHAKE_IVL"),
            "heartbeat_interval": seconds("HEARTBEAT_IVL"),
            "heartbeat_ttl": seconds("HEARTBEAT_TTL"),
            "heartbeat_timeout": None if timeout == -1 else seconds("HEARTBEAT_TIMEOUT"),
            "zerocopy_threshold": values["ZMTP_ZEROCOPY_THRESHOLD"],
            "zerocopy_write": Toggles.pick(
                toggles.zerocopy_write, bool(values["ZMTP_ZEROCOPY_WRITE"])
            ),
            "lazy_compact": Toggles.pick(toggles.lazy_compact, bool(values["ZMTP_LAZY_COMPACT"])),
        }
