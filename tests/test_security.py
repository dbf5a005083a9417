"""PLAIN, CURVE and ZAP: zmtp against libzmq (pyzmq) on each side, and zmtp alone.

Each scenario runs with the server and the client each on pyzmq or on zmtp;
the ZAP handler is the server library's own authenticator.
"""

from __future__ import annotations

import errno
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import zmtp_selectors
import zmtp_selectors.auth
import zmtp_selectors.utils.monitor
import zmtp_selectors.utils.z85

from peers import require_pyzmq

pytest.importorskip("nacl")

PAIRS = [("zmtp", "pyzmq"), ("pyzmq", "zmtp"), ("zmtp", "zmtp")]


def lib(name: str) -> ModuleType:
    return require_pyzmq() if name == "pyzmq" else zmtp_selectors


def auth_module(zmq: ModuleType) -> Any:
    return importlib.import_module(f"{zmq.__name__}.auth")


class Side:
    """A context of one library, its sockets and (maybe) its authenticator."""

    def __init__(self, zmq: ModuleType) -> None:
        self.zmq = zmq
        self.ctx = zmq.Context()
        self.auth: Any = None
        self.sockets: list[Any] = []
        self.monitors: dict[int, Any] = {}

    def socket(self, kind: str, **options: Any) -> Any:
        sock = self.ctx.socket(getattr(self.zmq, kind))
        for name, value in options.items():
            setattr(sock, name, value)
        sock.rcvtimeo = 5000
        self.sockets.append(sock)
        return sock

    def authenticator(self) -> Any:
        thread = importlib.import_module(f"{self.zmq.__name__}.auth.thread")
        self.auth = thread.ThreadAuthenticator(self.ctx)
        self.auth.start()
        return self.auth

    def events(self, sock: Any, until: int) -> list[tuple[int, int]]:
        """(event, value) from a monitor of ``sock`` until ``until`` arrives."""
        monitor = self.monitors[id(sock)]
        seen = []
        while True:
            message = monitor.recv_multipart()
            event = self.zmq.utils.monitor.parse_monitor_message(message)
            seen.append((int(event["event"]), event["value"]))
            if event["event"] == until:
                return seen

    def watch(self, sock: Any) -> None:
        monitor = sock.get_monitor_socket()
        self.sockets.append(monitor)
        monitor.rcvtimeo = 5000
        self.monitors[id(sock)] = monitor

    def close(self) -> None:
        for sock in self.sockets:
            sock.close(linger=0)
        if self.auth is not None:
            self.auth.stop()
        self.ctx.term()


@pytest.fixture
def sides(request: pytest.FixtureRequest) -> Iterator[tuple[Side, Side]]:
    server_name, client_name = request.param
    server, client = Side(lib(server_name)), Side(lib(client_name))
    importlib.import_module(f"{server.zmq.__name__}.utils.monitor")
    importlib.import_module(f"{client.zmq.__name__}.utils.monitor")
    yield server, client
    client.close()
    server.close()


def endpoint_of(sock: Any) -> str:
    last = sock.last_endpoint
    return last.decode() if isinstance(last, bytes) else last


def round_trip(server: Any, client: Any) -> None:
    client.send(b"ping")
    assert server.recv() == b"ping"
    server.send(b"pong")
    assert client.recv() == b"pong"


# -- PLAIN ----------------------------------------------------------------------------


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
def test_plain_with_a_zap_handler_that_accepts_and_one_that_refuses(
    sides: tuple[Side, Side],
) -> None:
    server_side, client_side = sides
    server_side.authenticator().configure_plain(domain="*", passwords={"admin": "secret"})
    server = server_side.socket("REP", plain_server=True)
    server.bind("tcp://127.0.0.1:*")
    server_side.watch(server)
    good = client_side.socket("REQ", plain_username=b"admin", plain_password=b"secret")
    good.connect(endpoint_of(server))
    round_trip(server, good)
    bad = client_side.socket("REQ", plain_username=b"admin", plain_password=b"guess")
    client_side.watch(bad)
    bad.connect(endpoint_of(server))
    bad.send(b"let me in")
    auth_failed = client_side.zmq.EVENT_HANDSHAKE_FAILED_AUTH
    assert client_side.events(bad, auth_failed)[-1] == (auth_failed, 400)
    assert server_side.events(server, auth_failed)[-1] == (auth_failed, 400)
    assert server.poll(100) == 0  # nothing from the refused peer
    round_trip(server, good)  # the refusal closed that connection only


@pytest.mark.parametrize("server_name", ["pyzmq", "zmtp"])
def test_a_plain_server_without_a_zap_handler_refuses_everyone(server_name: str) -> None:
    zmq = lib(server_name)
    importlib.import_module(f"{zmq.__name__}.utils.monitor")
    server_side, client_side = Side(zmq), Side(lib("zmtp"))
    try:
        server = server_side.socket("REP", plain_server=True)
        server_side.watch(server)
        server.bind("tcp://127.0.0.1:*")
        client = client_side.socket("REQ", plain_username=b"u", plain_password=b"p")
        client.connect(endpoint_of(server))
        client.send(b"anyone?")
        no_detail = zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
        assert server_side.events(server, no_detail)[-1] == (no_detail, errno.EFAULT)
        assert server.poll(100) == 0
    finally:
        client_side.close()
        server_side.close()


# -- NULL with a ZAP domain --------------------------------------------------------------


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
@pytest.mark.parametrize("policy", ["deny", "allow"])
def test_null_with_a_zap_domain_asks_zap(sides: tuple[Side, Side], policy: str) -> None:
    """pyzmq's test_auth deny/allow: a domain switches ZAP on for NULL (libzmq's rule)."""
    server_side, client_side = sides
    auth = server_side.authenticator()
    getattr(auth, policy)("127.0.0.1")
    server = server_side.socket("PUSH", zap_domain=b"global")
    server_side.watch(server)
    server.bind("tcp://127.0.0.1:*")
    client = client_side.socket("PULL")
    client.connect(endpoint_of(server))
    zmq = server_side.zmq
    if policy == "deny":
        failed = zmq.EVENT_HANDSHAKE_FAILED_AUTH
        assert server_side.events(server, failed)[-1] == (failed, 400)
        assert server.poll(100, zmq.POLLOUT) == 0  # no peer: nothing can be sent
    else:
        server_side.events(server, zmq.EVENT_HANDSHAKE_SUCCEEDED)
        server.send(b"allowed")
        assert client.recv() == b"allowed"


async def null_zap_refusal(zmq: Any, ctx: Any, auth: Any, folder: Path, within: Any) -> None:
    """The same refusal through an async backend's authenticator; a peer that ZAP lets
    through (over ipc: no address to deny) is served beside the refused one."""
    auth.deny("127.0.0.1")
    server = ctx.socket(zmq.PULL)
    server.zap_domain = b"global"
    monitor = server.get_monitor_socket()
    server.bind("tcp://127.0.0.1:*")
    tcp = endpoint_of(server)
    server.bind(f"ipc://{folder}/null-zap")
    denied, allowed = ctx.socket(zmq.PUSH), ctx.socket(zmq.PUSH)
    denied.connect(tcp)
    while True:
        event = zmtp_selectors.utils.monitor.parse_monitor_message(
            await within(monitor.recv_multipart())
        )
        if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            assert (event["value"], event["endpoint"]) == (400, tcp.encode())
            break
    allowed.connect(f"ipc://{folder}/null-zap")
    await allowed.send(b"allowed")
    assert await within(server.recv()) == b"allowed"
    assert await server.poll(0) == 0
    for sock in (server, monitor, denied, allowed):
        sock.close(linger=0)


def test_null_with_a_zap_domain_through_the_asyncio_authenticator(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415

    import zmtp_asyncio  # noqa: PLC0415
    from zmtp_asyncio.auth import AsyncioAuthenticator  # noqa: PLC0415

    async def main() -> None:
        ctx = zmtp_asyncio.Context()
        auth = AsyncioAuthenticator(ctx)
        auth.start()
        try:
            await null_zap_refusal(
                zmtp_asyncio, ctx, auth, tmp_path, lambda work: asyncio.wait_for(work, 5)
            )
        finally:
            auth.stop()
            ctx.destroy(linger=0)

    asyncio.run(main())


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_null_with_a_zap_domain_through_the_anyio_authenticator(
    runner: str, tmp_path: Path
) -> None:
    import anyio  # noqa: PLC0415

    import zmtp_anyio  # noqa: PLC0415
    from zmtp_anyio.auth import AnyioAuthenticator  # noqa: PLC0415

    async def within(work: Any) -> Any:
        with anyio.fail_after(5):
            return await work

    async def main() -> None:
        async with zmtp_anyio.Context() as ctx, AnyioAuthenticator(ctx) as auth:
            await null_zap_refusal(zmtp_anyio, ctx, auth, tmp_path, within)

    anyio.run(main, backend=runner)


def test_null_with_a_zap_domain_through_the_curio_authenticator(tmp_path: Path) -> None:
    curio = pytest.importorskip("curio")
    import zmtp_curio  # noqa: PLC0415
    from zmtp_curio.auth import CurioAuthenticator  # noqa: PLC0415

    async def main() -> None:
        async with zmtp_curio.Context() as ctx, CurioAuthenticator(ctx) as auth:
            await null_zap_refusal(
                zmtp_curio, ctx, auth, tmp_path, lambda work: curio.timeout_after(5, work)
            )

    curio.run(main)


# -- CURVE ----------------------------------------------------------------------------


def curve_keys(zmq: ModuleType) -> tuple[bytes, bytes]:
    return tuple(zmq.curve_keypair())


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
def test_curve_without_zap_and_keys_made_by_the_other_library(
    sides: tuple[Side, Side],
) -> None:
    server_side, client_side = sides
    server_public, server_secret = curve_keys(client_side.zmq)  # (made by the other one)
    client_public, client_secret = curve_keys(server_side.zmq)
    server = server_side.socket(
        "ROUTER", curve_server=True, curve_publickey=server_public, curve_secretkey=server_secret
    )
    server.bind("tcp://127.0.0.1:*")
    client = client_side.socket(
        "DEALER",
        curve_serverkey=server_public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    client.connect(endpoint_of(server))
    big = bytes(range(256)) * 400  # (100 KiB: many boxes' worth of body)
    client.send_multipart([b"hello", big])
    identity, *frames = server.recv_multipart()
    assert frames == [b"hello", big]
    server.send_multipart([identity, b"welcome"])
    assert client.recv_multipart() == [b"welcome"]
    assert server.mechanism == client.mechanism == server_side.zmq.CURVE


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
@pytest.mark.parametrize("policy", ["allow any", "certificates"])
def test_curve_with_zap(sides: tuple[Side, Side], policy: str, tmp_path: Path) -> None:
    server_side, client_side = sides
    server_public, server_secret = curve_keys(server_side.zmq)
    auth = server_side.authenticator()
    if policy == "allow any":
        auth.configure_curve(domain="*", location=auth_module(server_side.zmq).CURVE_ALLOW_ANY)
        client_public, client_secret = curve_keys(client_side.zmq)
    else:  # the client's certificate written by its own library, read by the server's
        _public_file, secret_file = auth_module(client_side.zmq).create_certificates(
            tmp_path, "client"
        )
        auth.configure_curve(domain="*", location=str(tmp_path))
        client_public, client_secret = auth_module(server_side.zmq).load_certificate(secret_file)
    server = server_side.socket(
        "REP", curve_server=True, curve_publickey=server_public, curve_secretkey=server_secret
    )
    server.bind("tcp://127.0.0.1:*")
    client = client_side.socket(
        "REQ",
        curve_serverkey=server_public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    client.connect(endpoint_of(server))
    round_trip(server, client)
    if policy == "certificates":  # an unknown key is refused
        stranger_public, stranger_secret = curve_keys(client_side.zmq)
        stranger = client_side.socket(
            "REQ",
            curve_serverkey=server_public,
            curve_publickey=stranger_public,
            curve_secretkey=stranger_secret,
        )
        client_side.watch(stranger)
        stranger.connect(endpoint_of(server))
        stranger.send(b"who am I")
        auth_failed = client_side.zmq.EVENT_HANDSHAKE_FAILED_AUTH
        assert client_side.events(stranger, auth_failed)[-1] == (auth_failed, 400)
        assert server.poll(100) == 0


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
def test_a_wrong_server_key_gets_nowhere(sides: tuple[Side, Side]) -> None:
    server_side, client_side = sides
    server_public, server_secret = curve_keys(server_side.zmq)
    other_public, _ = curve_keys(server_side.zmq)
    client_public, client_secret = curve_keys(client_side.zmq)
    server = server_side.socket(
        "PULL", curve_server=True, curve_publickey=server_public, curve_secretkey=server_secret
    )
    server_side.watch(server)
    server.bind("tcp://127.0.0.1:*")
    client = client_side.socket(
        "PUSH",
        curve_serverkey=other_public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    client.connect(endpoint_of(server))
    client.send(b"secret")
    failed = server_side.zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    _event, code = server_side.events(server, failed)[-1]
    assert code == server_side.zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
    assert server.poll(100) == 0


# -- options and keys ----------------------------------------------------------------


def test_security_options_as_pyzmq_reads_them() -> None:
    pyzmq = require_pyzmq()
    public, secret = pyzmq.curve_keypair()
    for zmq in (pyzmq, zmtp_selectors):
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        assert sock.mechanism == zmq.NULL
        sock.plain_username = b"user"
        assert (sock.mechanism, sock.plain_server, sock.plain_username) == (zmq.PLAIN, 0, b"user")
        sock.plain_server = True
        assert (sock.mechanism, sock.plain_server) == (zmq.PLAIN, 1)
        sock.curve_secretkey = zmq.utils.z85.decode(secret)  # raw 32 bytes work too
        sock.curve_publickey = public
        assert sock.mechanism == zmq.CURVE
        sock.curve_server = True
        assert sock.curve_server == 1
        with pytest.raises(zmq.ZMQError) as info:
            sock.curve_serverkey = b"too short"
        assert info.value.errno == errno.EINVAL
        sock.zap_domain = b"global"
        assert sock.zap_domain == b"global"
        sock.close()
        ctx.term()
    assert zmtp_selectors.curve_public(secret) == public and zmtp_selectors.has("curve")


def test_certificates_round_trip_between_the_libraries(tmp_path: Path) -> None:
    pyzmq_auth = importlib.import_module("zmq.auth")
    require_pyzmq()
    ours = zmtp_selectors.auth
    theirs_public, _theirs_secret = pyzmq_auth.create_certificates(tmp_path, "theirs")
    ours_public, ours_secret = ours.create_certificates(tmp_path, "ours")
    for loader in (pyzmq_auth, ours):
        assert loader.load_certificate(ours_secret) == ours.load_certificate(ours_secret)
        assert loader.load_certificate(theirs_public)[1] is None
        assert set(loader.load_certificates(tmp_path)) == {
            ours.load_certificate(ours_public)[0],
            ours.load_certificate(theirs_public)[0],
        }
    public, secret = ours.load_certificate(ours_secret)
    assert secret is not None and zmtp_selectors.curve_public(secret) == public


# -- over WebSocket -------------------------------------------------------------------


def test_plain_over_ws_with_libzmq_as_the_client() -> None:
    """libzmq offers ZWS2.0/PLAIN; our server answers it and asks its ZAP handler."""
    from libzmq5 import require_libzmq5  # noqa: PLC0415

    theirs = require_libzmq5().context()
    ours = Side(zmtp_selectors)
    try:
        ours.authenticator().configure_plain(passwords={"admin": "secret"})
        server = ours.socket("ROUTER", plain_server=True)
        server.bind("ws://127.0.0.1:*/zmq")
        client = theirs.socket(5)  # DEALER
        client.set_bytes(45, b"admin")  # PLAIN_USERNAME
        client.set_bytes(46, b"secret")  # PLAIN_PASSWORD
        client.set_routing_id(b"libzmq")
        client.connect(endpoint_of(server))
        client.send_multipart([b"over ws"])
        assert server.recv_multipart() == [b"libzmq", b"over ws"]
        server.send_multipart([b"libzmq", b"and back"])
        assert client.recv_multipart() == [b"and back"]
    finally:
        theirs.term()
        ours.close()


@pytest.mark.parametrize("transport", ["ws", "wss"])
def test_curve_over_websockets(transport: str, tmp_path: Path) -> None:
    """ZWS2.0/CURVE between our sockets (Debian's libzmq5 is built without CURVE)."""
    from certs import make_certificates  # noqa: PLC0415

    side = Side(zmtp_selectors)
    try:
        server_public, server_secret = zmtp_selectors.curve_keypair()
        client_public, client_secret = zmtp_selectors.curve_keypair()
        server = side.socket(
            "REP", curve_server=True, curve_publickey=server_public, curve_secretkey=server_secret
        )
        client = side.socket(
            "REQ",
            curve_serverkey=server_public,
            curve_publickey=client_public,
            curve_secretkey=client_secret,
        )
        if transport == "wss":
            certificates = make_certificates(tmp_path)
            server.tls_cert, client.tls_ca = certificates.server, certificates.ca
        server.bind(f"{transport}://127.0.0.1:*/zmq")
        client.connect(endpoint_of(server))
        round_trip(server, client)
    finally:
        side.close()


# -- the async authenticators --------------------------------------------------------


def test_the_asyncio_authenticator_with_a_pyzmq_client() -> None:
    import asyncio  # noqa: PLC0415

    import zmtp_asyncio  # noqa: PLC0415
    from zmtp_asyncio.auth import AsyncioAuthenticator  # noqa: PLC0415

    pyzmq = require_pyzmq()

    async def main() -> None:
        ctx, peers = zmtp_asyncio.Context(), pyzmq.Context()
        auth = AsyncioAuthenticator(ctx)
        auth.start()
        auth.configure_plain(passwords={"admin": "secret"})
        try:
            server = ctx.socket(zmtp_asyncio.REP)
            server.plain_server = True
            server.bind("tcp://127.0.0.1:*")
            client = peers.socket(pyzmq.REQ)
            client.plain_username, client.plain_password = b"admin", b"secret"
            client.connect(server.last_endpoint.decode())
            client.send(b"async ZAP")
            assert await asyncio.wait_for(server.recv(), 5) == b"async ZAP"
            client.close(linger=0)
            server.close(linger=0)
        finally:
            auth.stop()
            ctx.destroy(linger=0)
            peers.destroy(linger=0)

    asyncio.run(main())


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_the_anyio_authenticator_lets_only_known_keys_in(runner: str, tmp_path: Path) -> None:
    import anyio  # noqa: PLC0415

    import zmtp_anyio  # noqa: PLC0415
    from zmtp_anyio.auth import AnyioAuthenticator, create_certificates  # noqa: PLC0415

    _public_file, secret_file = create_certificates(tmp_path, "known")
    known_public, known_secret = zmtp_selectors.auth.load_certificate(secret_file)
    server_public, server_secret = zmtp_selectors.curve_keypair()

    async def main() -> None:
        async with zmtp_anyio.Context() as ctx, AnyioAuthenticator(ctx) as auth:
            auth.configure_curve(location=str(tmp_path))
            server = ctx.socket(zmtp_anyio.PULL)
            server.curve_server = True
            server.curve_publickey, server.curve_secretkey = server_public, server_secret
            server.bind("tcp://127.0.0.1:*")
            clients = []
            for key_pair, text in (
                (zmtp_selectors.curve_keypair(), b"stranger"),
                ((known_public, known_secret), b"friend"),
            ):
                client = ctx.socket(zmtp_anyio.PUSH)
                clients.append(client)
                client.curve_serverkey = server_public
                client.curve_publickey, client.curve_secretkey = key_pair
                client.connect(server.last_endpoint)
                await client.send(text)
            with anyio.fail_after(5):
                assert await server.recv() == b"friend"  # (the stranger's never arrives)
            for sock in (server, *clients):
                sock.close(linger=0)

    anyio.run(main, backend=runner)


@pytest.mark.parametrize("sides", PAIRS, indirect=True)
def test_received_frames_carry_the_user_id_and_the_peers_properties(
    sides: tuple[Side, Side],
) -> None:
    server_side, client_side = sides
    server_side.authenticator().configure_plain(passwords={"admin": "secret"})
    server = server_side.socket("ROUTER", plain_server=True)
    server.bind("tcp://127.0.0.1:*")
    client = client_side.socket(
        "DEALER", plain_username=b"admin", plain_password=b"secret", routing_id=b"me"
    )
    client.connect(endpoint_of(server))
    client.send(b"who am I?")
    _identity, body = server.recv_multipart(copy=False)
    assert body.get("User-Id") == "admin"
    assert body.get("Socket-Type") == "DEALER" and body.get("Identity") == "me"
    with pytest.raises(server_side.zmq.ZMQError):
        body.get("No-Such-Property")


def test_the_curio_authenticator_checks_plain_passwords() -> None:
    curio = pytest.importorskip("curio")
    import zmtp_curio  # noqa: PLC0415
    from zmtp_curio.auth import CurioAuthenticator  # noqa: PLC0415

    async def main() -> None:
        async with zmtp_curio.Context() as ctx, CurioAuthenticator(ctx) as auth:
            auth.configure_plain(passwords={"admin": "secret"})
            server = ctx.socket(zmtp_curio.PULL)
            server.plain_server = True
            server.bind("tcp://127.0.0.1:*")
            sockets = [server]
            for password, text in ((b"guess", b"intruder"), (b"secret", b"admin")):
                client = ctx.socket(zmtp_curio.PUSH)
                sockets.append(client)
                client.plain_username, client.plain_password = b"admin", password
                client.connect(server.last_endpoint)
                await client.send(text)
            async with curio.timeout_after(5):
                assert await server.recv() == b"admin"  # (the intruder's never arrives)
            for sock in sockets:
                sock.close(linger=0)

    curio.run(main)
