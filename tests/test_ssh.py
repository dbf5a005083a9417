"""zmtp_selectors.ssh (pyzmq's zmq.ssh) through a real OpenSSH server on loopback.

The fixture runs ``sshd`` on 127.0.0.1 with its own host key and authorized
keys, and puts an ``ssh`` first on PATH that reads a config trusting that
host key: what a user's own ssh configuration does for a server they know.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import zmtp_selectors as zmq
from zmtp_selectors import ssh

from peers import missing, require_pyzmq

SSHD = "/usr/sbin/sshd"


@dataclass
class Server:
    address: str  # "root@127.0.0.1:port", as pyzmq's functions take it
    key: str  # authorized, no passphrase
    locked_key: str  # authorized, passphrase "secret"
    stranger_key: str  # not authorized
    log: list[str]


def keygen(path: Path, passphrase: str = "") -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True
    )
    return str(path)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    real_ssh = shutil.which("ssh")
    if not os.path.exists(SSHD) or real_ssh is None or shutil.which("ssh-keygen") is None:
        missing("OpenSSH (Debian's openssh-server and openssh-client) is not installed")
    if os.geteuid() != 0:
        pytest.skip("the test sshd runs as root (as in CI), to log in as the current user")
    host_key = keygen(tmp_path / "host")
    keys = [keygen(tmp_path / "client"), keygen(tmp_path / "locked", "secret")]
    stranger = keygen(tmp_path / "stranger")
    (tmp_path / "authorized_keys").write_text(
        "".join(Path(key + ".pub").read_text() for key in keys)
    )
    port = ssh.select_random_ports(1)[0]
    config = tmp_path / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {tmp_path}/authorized_keys\nPidFile {tmp_path}/sshd.pid\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "AllowTcpForwarding yes\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # (sshd's privilege separation directory)
    known_host = f"[127.0.0.1]:{port} {Path(host_key + '.pub').read_text()}"
    (tmp_path / "known_hosts").write_text(known_host)
    # paramiko reads ~/.ssh/known_hosts: a home of the test's own
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "home" / ".ssh" / "known_hosts").write_text(known_host)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "ssh_config").write_text(
        f"UserKnownHostsFile {tmp_path}/known_hosts\nStrictHostKeyChecking yes\n"
        "IdentitiesOnly yes\nLogLevel ERROR\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(f'#!/bin/sh\nexec {real_ssh} -F {tmp_path}/ssh_config "$@"\n')
    (bin_dir / "ssh").chmod(0o700)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    sshd = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # (its sessions too end at teardown: one process group)
    )
    log: list[str] = []
    listening = threading.Event()

    def read_log() -> None:
        assert sshd.stderr is not None
        for line in sshd.stderr:
            log.append(line)
            if line.startswith("Server listening"):
                listening.set()

    reader = threading.Thread(target=read_log)
    reader.start()
    try:
        assert listening.wait(10), log
        yield Server(f"root@127.0.0.1:{port}", keys[0], keys[1], stranger, log)
    finally:
        os.killpg(sshd.pid, signal.SIGTERM)
        sshd.wait(10)
        reader.join(10)  # (at the end of the sessions' `sleep`: the tests' tunnels ask for 2 s)
        assert sshd.stderr is not None
        sshd.stderr.close()


@pytest.fixture
def pyzmq_router() -> Iterator[tuple[object, int]]:
    pyzmq = require_pyzmq()
    context = pyzmq.Context()
    router = context.socket(pyzmq.ROUTER)
    router.linger = 0
    router.rcvtimeo = 10000
    port = router.bind_to_random_port("tcp://127.0.0.1")
    yield router, port
    router.close()
    context.term()


def round_trip(router: object, port: int, connect: object) -> list[bytes]:
    """A zmtp DEALER connected by ``connect(dealer, addr)`` asks the pyzmq ROUTER."""
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.rcvtimeo = 10000
    try:
        connect(dealer, f"tcp://127.0.0.1:{port}")  # type: ignore[operator]
        dealer.send(b"through the tunnel")
        identity, body = router.recv_multipart()  # type: ignore[attr-defined]
        router.send_multipart([identity, body.upper()])  # type: ignore[attr-defined]
        return list(dealer.recv_multipart())
    finally:
        dealer.close()
        context.term()


def test_tunnel_connection_reaches_a_pyzmq_peer(
    server: Server, pyzmq_router: tuple[object, int]
) -> None:
    router, port = pyzmq_router

    def connect(dealer: zmq.Socket, addr: str) -> None:
        pid = ssh.tunnel_connection(dealer, addr, server.address, keyfile=server.key, timeout=2)
        assert isinstance(pid, int)

    assert round_trip(router, port, connect) == [b"THROUGH THE TUNNEL"]
    assert any("Accepted publickey for root" in line for line in server.log)


def test_a_password_reaches_ssh_without_a_terminal(
    server: Server, pyzmq_router: tuple[object, int]
) -> None:
    """Here the passphrase of a locked key: ssh asks for it as for a password."""
    router, port = pyzmq_router

    def connect(dealer: zmq.Socket, addr: str) -> None:
        url, _ = ssh.open_tunnel(
            addr, server.address, keyfile=server.locked_key, password="secret", timeout=2
        )
        assert url.startswith("tcp://127.0.0.1:") and url != addr
        dealer.connect(url)

    assert round_trip(router, port, connect) == [b"THROUGH THE TUNNEL"]


def test_a_paramiko_tunnel_reaches_a_pyzmq_peer(
    server: Server, pyzmq_router: tuple[object, int]
) -> None:
    router, port = pyzmq_router
    tunnels = []

    def connect(dealer: zmq.Socket, addr: str) -> None:
        tunnels.append(
            ssh.tunnel_connection(
                dealer,
                addr,
                server.address,
                keyfile=server.locked_key,
                password="secret",
                paramiko=True,
            )
        )

    try:
        assert round_trip(router, port, connect) == [b"THROUGH THE TUNNEL"]
    finally:
        for tunnel in tunnels:
            tunnel.terminate()
            tunnel.join(10)
            tunnel.close()


@pytest.mark.parametrize("paramiko", [False, True])
def test_passwordless_login_is_told_apart(server: Server, paramiko: bool) -> None:
    assert ssh.try_passwordless_ssh(server.address, server.key, paramiko)
    assert not ssh.try_passwordless_ssh(server.address, server.stranger_key, paramiko)


@pytest.mark.parametrize(
    ("paramiko", "reason"), [(False, "Permission denied"), (True, "Authentication failed")]
)
def test_a_refused_login_raises_with_the_reason(
    server: Server, paramiko: bool, reason: str
) -> None:
    local, remote = ssh.select_random_ports(2)
    assert local != remote
    start = ssh.paramiko_tunnel if paramiko else ssh.openssh_tunnel
    with pytest.raises(ssh.SSHException, match=reason):
        start(local, remote, server.address, keyfile=server.stranger_key)


def test_only_tcp_endpoints_can_be_tunneled() -> None:
    with pytest.raises(ValueError, match="tcp://host:port"):
        ssh.open_tunnel("ipc:///tmp/x", "localhost")
