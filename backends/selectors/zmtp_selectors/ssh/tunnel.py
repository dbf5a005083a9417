"""pyzmq's ``zmq.ssh.tunnel``: reach a ZeroMQ endpoint through an ssh server.

``tunnel_connection(sock, "tcp://10.0.0.5:5555", "me@gateway")`` starts
``ssh -L 127.0.0.1:<free port>:10.0.0.5:5555 me@gateway`` and connects
``sock`` to the local end. The tunnel is OpenSSH's own client, run in the
background (``ssh -f``) with ``sleep <timeout>`` as its remote command, so it
ends by itself once that time is over and the last forwarded connection has
closed, as pyzmq's does. Host keys, identities and ports come from the user's
ssh configuration, as for any ssh command.

A ``password`` (or a key's passphrase) is handed to ssh through SSH_ASKPASS,
so no terminal is needed; without one, ssh asks on the terminal itself.

With ``paramiko=True`` (extra ``zmtp[ssh]``; for machines without an ssh
command) a child process logs in with paramiko and relays the local port
itself (``forward``); unlike pyzmq's, it refuses a server whose host key is
not in the user's known_hosts, and a failed login raises here.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import stat
import subprocess
import tempfile
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

__all__ = [
    "MaxRetryExceeded",
    "SSHException",
    "open_tunnel",
    "openssh_tunnel",
    "paramiko_tunnel",
    "select_random_ports",
    "try_passwordless_ssh",
    "tunnel_connection",
]

#: How long ssh may take to log in and set up the forwarding, in seconds.
LOGIN_TIMEOUT = 60


class SSHException(Exception):
    """ssh could not log in or set the tunnel up (its own message says why)."""


class MaxRetryExceeded(SSHException):
    """pyzmq's name for a login that did not finish; here, one past LOGIN_TIMEOUT."""


def select_random_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on this machine right now."""
    held = [socket.socket() for _ in range(n)]
    try:
        for sock in held:
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def try_passwordless_ssh(server: str, keyfile: str | None, paramiko: bool | None = None) -> bool:
    """Whether ssh logs in to ``server`` ("user@host:port") without a password."""
    if paramiko:
        try:
            _paramiko_login(server, keyfile, None).close()
        except _paramiko().AuthenticationException:
            return False
        return True
    done = _run_ssh([*_login(server, keyfile), "-o", "BatchMode=yes", "exit"], None)
    return done.returncode == 0


def tunnel_connection(  # noqa: PLR0917 - pyzmq's signature
    socket: Any,
    addr: str,
    server: str,
    keyfile: str | None = None,
    password: str | None = None,
    paramiko: bool | None = None,
    timeout: int = 60,
) -> Any:
    """Connect ``socket`` to ``addr`` ("tcp://host:port", as seen from ``server``)
    through an ssh tunnel; returns the tunnel (see :func:`open_tunnel`)."""
    url, tunnel = open_tunnel(addr, server, keyfile, password, paramiko, timeout)
    socket.connect(url)
    return tunnel


def open_tunnel(  # noqa: PLR0917 - pyzmq's signature
    addr: str,
    server: str,
    keyfile: str | None = None,
    password: str | None = None,
    paramiko: bool | None = None,
    timeout: int = 60,
) -> tuple[str, Any]:
    """Start a tunnel to ``addr`` through ``server``: (the local url to connect to,
    the tunnel: the ssh process id, or with ``paramiko`` the relaying Process)."""
    transport, _, location = addr.partition("://")
    host, _, port = location.rpartition(":")
    if transport != "tcp" or not host or not port.isdigit():
        raise ValueError(f"ssh tunnels carry tcp://host:port endpoints, not {addr!r}")
    local_port = select_random_ports(1)[0]
    start = paramiko_tunnel if paramiko else openssh_tunnel
    tunnel = start(local_port, int(port), server, host.strip("[]"), keyfile, password, timeout)
    return f"tcp://127.0.0.1:{local_port}", tunnel


def openssh_tunnel(  # noqa: PLR0917 - pyzmq's signature
    lport: int,
    rport: int,
    server: str,
    remoteip: str = "127.0.0.1",
    keyfile: str | None = None,
    password: str | None = None,
    timeout: int = 60,
) -> int:
    """Forward 127.0.0.1:``lport`` here to ``remoteip``:``rport`` as seen from ``server``.

    Returns once ssh has logged in and listens on ``lport`` (the id of the ssh
    process that did so); SSHException with ssh's message if it could not.
    The tunnel stays for at least ``timeout`` seconds, then until its last
    connection closes.
    """
    command = [
        *_login(server, keyfile),
        "-f",  # (into the background once logged in and forwarding)
        "-S",
        "none",
        "-o",
        "ExitOnForwardFailure=yes",
        "-L",
        f"127.0.0.1:{lport}:{remoteip}:{rport}",
        "sleep",
        str(int(timeout)),
    ]
    done = _run_ssh(command, password)
    if done.returncode != 0:
        raise SSHException(f"the ssh tunnel did not start: {done.stderr.strip()}")
    return done.pid


def paramiko_tunnel(  # noqa: PLR0917 - pyzmq's signature
    lport: int,
    rport: int,
    server: str,
    remoteip: str = "127.0.0.1",
    keyfile: str | None = None,
    password: str | None = None,
    timeout: int = 60,
) -> BaseProcess:
    """:func:`openssh_tunnel` done by paramiko in a daemon child process, returned
    once it relays 127.0.0.1:``lport`` (terminate() it to end the tunnel).

    SSHException with the reason if the login fails. ``timeout`` is taken for
    pyzmq's signature; the tunnel lasts as long as the process.
    """
    _paramiko()  # (ImportError here, not in the child)
    # A fresh interpreter: a fork would copy whatever locks this one's threads hold.
    spawn = multiprocessing.get_context("spawn")
    ready, told = spawn.Pipe(duplex=False)
    process = spawn.Process(
        target=_paramiko_relay,
        args=(told, lport, rport, server, remoteip, keyfile, password),
        daemon=True,
    )
    process.start()
    told.close()
    try:
        if not ready.poll(LOGIN_TIMEOUT):
            process.kill()
            raise MaxRetryExceeded(f"paramiko did not log in within {LOGIN_TIMEOUT} s")
        failure = ready.recv()
    except EOFError:
        failure = "the tunnel process ended at once"
    finally:
        ready.close()
    if failure:
        process.join(LOGIN_TIMEOUT)
        raise SSHException(f"the paramiko tunnel did not start: {failure}")
    return process


class _Done:
    """What a finished ssh said."""

    def __init__(self, pid: int, returncode: int, stderr: str) -> None:
        self.pid, self.returncode, self.stderr = pid, returncode, stderr


def _paramiko() -> Any:
    import paramiko  # noqa: PLC0415 - only for tunnels that ask for it

    return paramiko


def _paramiko_login(server: str, keyfile: str | None, password: str | None) -> Any:
    """A paramiko SSHClient logged in to ``server``, which must be a known host."""
    paramiko = _paramiko()
    user, host, port = _split_server(server)
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            host,
            port or 22,
            username=user or None,
            key_filename=keyfile,
            password=password,
            passphrase=password,
            allow_agent=password is None,
            timeout=LOGIN_TIMEOUT,
        )
    except BaseException:
        client.close()  # (a refused login must not keep its connection)
        raise
    return client


def _paramiko_relay(  # noqa: PLR0917 - paramiko_tunnel's arguments
    told: Any,
    lport: int,
    rport: int,
    server: str,
    remoteip: str,
    keyfile: str | None,
    password: str | None,
) -> None:
    """The tunnel process: log in, listen, tell the parent (an empty reason), relay."""
    from .forward import serve  # noqa: PLC0415

    try:
        client = _paramiko_login(server, keyfile, password)
        listener = socket.create_server(("127.0.0.1", lport))
    except Exception as error:
        told.send(f"{type(error).__name__}: {error}")
        return
    told.send("")
    told.close()
    serve(listener, remoteip, rport, client.get_transport())


def _split_server(server: str) -> tuple[str, str, int | None]:
    """``server`` as "user@host:port" (user and port optional): (user or "", host, port)."""
    user, _, host = server.rpartition("@")
    if host.count(":") == 1:  # (a bare IPv6 address has more)
        host, port = host.split(":")
        return user, host, int(port)
    return user, host, None


def _login(server: str, keyfile: str | None) -> list[str]:
    """The ssh arguments that reach ``server``."""
    user, host, port = _split_server(server)
    arguments = ["ssh"]
    if keyfile:
        arguments += ["-i", keyfile]
    if port is not None:
        arguments += ["-p", str(port)]
    return [*arguments, f"{user}@{host}" if user else host]


def _run_ssh(command: list[str], password: str | None) -> _Done:
    """Run ssh until it exits (or forks, with -f); a password goes through SSH_ASKPASS."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="zmtp-ssh-") as scratch:
        if password is not None:
            askpass = Path(scratch) / "askpass"
            askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$ZMTP_SSH_PASSWORD"\n')
            askpass.chmod(stat.S_IRWXU)
            env.update(
                SSH_ASKPASS=str(askpass),
                SSH_ASKPASS_REQUIRE="force",
                ZMTP_SSH_PASSWORD=password,
            )
        # stderr to a file, not a pipe: the backgrounded ssh keeps its copy open.
        with open(Path(scratch) / "stderr", "w+") as stderr:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                returncode = process.wait(LOGIN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise MaxRetryExceeded(f"ssh did not log in within {LOGIN_TIMEOUT} s") from None
            stderr.seek(0)
            return _Done(process.pid, returncode, stderr.read())
