"""ZMQStream: a socket driven by tornado's IOLoop through callbacks (pyzmq's API).

The stream watches the socket's edge-triggered ``FD``. When it fires, or when
the program queues a send or sets a receive callback, the stream reads
``EVENTS`` and handles messages until nothing it can act on remains; a long
run stops after :data:`BATCH` messages and goes on in the next loop turn, so
that one busy socket cannot starve the loop.
"""

from __future__ import annotations

import inspect
import pickle
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from tornado.gen import convert_yielded
from tornado.ioloop import IOLoop
from tornado.log import gen_log

from zmtp_transport.constants import NOBLOCK, POLLIN, POLLOUT
from zmtp_transport.utils import jsonapi

from .._socket import Socket

__all__ = ["BATCH", "ZMQStream", "gen_log"]

#: pyzmq's streams log to tornado's general logger: so does ours (``gen_log``).
log = gen_log

#: Messages handled in one loop turn before the stream lets the loop run.
BATCH = 64


class ZMQStream:
    """A socket whose messages arrive as callbacks on an IOLoop, and whose sends
    queue without blocking (``on_send`` hears when each one left)."""

    def __init__(self, socket: Any, io_loop: IOLoop | None = None) -> None:
        if not isinstance(socket, Socket):  # (an async socket: its calls would be awaitables)
            warnings.warn(
                f"ZMQStream takes a blocking zmq.Socket, not {type(socket).__name__}: it "
                "uses a shadow of it (zmq.Socket(shadow=socket))",
                RuntimeWarning,
                stacklevel=2,
            )
            socket = Socket(shadow=socket)
        self.socket: Socket | None = socket
        self.io_loop = io_loop or IOLoop.current()
        self._fd = socket.FD
        self._send_queue: deque[tuple[list[Any], dict[str, Any]]] = deque()
        self._recv_callback: Callable[[list[Any]], Any] | None = None
        self._recv_copy = True
        self._send_callback: Callable[[list[Any], Any], Any] | None = None
        self._close_callback: Callable[[], Any] | None = None
        self._scheduled = False
        # The socket itself is watched (its fileno() is the FD), as pyzmq does: an
        # IOLoop closed with all_fds=True closes the socket, not the FD under it.
        self.io_loop.add_handler(socket, self._on_fd, IOLoop.READ)
        # pyzmq's stream hands these through to its socket.
        self.bind = socket.bind
        self.bind_to_random_port = socket.bind_to_random_port
        self.connect = socket.connect
        self.setsockopt = socket.setsockopt
        self.getsockopt = socket.getsockopt
        self.setsockopt_string = socket.setsockopt_string
        self.getsockopt_string = socket.getsockopt_string
        self.setsockopt_unicode = socket.setsockopt_unicode
        self.getsockopt_unicode = socket.getsockopt_unicode

    # -- callbacks ------------------------------------------------------------------

    def on_recv(self, callback: Callable[[list[Any]], Any] | None, copy: bool = True) -> None:
        """Call ``callback(message)`` for each message received (None: stop receiving)."""
        self._check_open()
        _check_callable(callback)
        self._recv_callback, self._recv_copy = callback, copy
        if callback is not None:
            self._schedule()  # (messages may already wait: the FD fires on changes only)

    def on_recv_stream(
        self, callback: Callable[[ZMQStream, list[Any]], Any] | None, copy: bool = True
    ) -> None:
        """Call ``callback(stream, message)`` for each message received."""
        if callback is None:
            self.on_recv(None)
        else:
            self.on_recv(lambda message: callback(self, message), copy)

    def on_send(self, callback: Callable[[list[Any], Any], Any] | None) -> None:
        """Call ``callback(message, status)`` once each queued message is sent
        (``status``: what ``send_multipart`` returned, a tracker with ``track=True``)."""
        self._check_open()
        _check_callable(callback)
        self._send_callback = callback

    def on_send_stream(self, callback: Callable[[ZMQStream, list[Any], Any], Any] | None) -> None:
        """Call ``callback(stream, message, status)`` once each queued message is sent."""
        if callback is None:
            self.on_send(None)
        else:
            self.on_send(lambda message, status: callback(self, message, status))

    def on_err(self, callback: Callable[..., Any]) -> None:
        """Deprecated by pyzmq: errors are raised, never called back."""
        warnings.warn("on_err does nothing, as in pyzmq", DeprecationWarning, stacklevel=2)

    def stop_on_recv(self) -> None:
        self.on_recv(None)

    def stop_on_send(self) -> None:
        self.on_send(None)

    def stop_on_err(self) -> None:
        warnings.warn("on_err does nothing, as in pyzmq", DeprecationWarning, stacklevel=2)

    def set_close_callback(self, callback: Callable[[], Any] | None) -> None:
        """Call ``callback()`` when the stream closes."""
        self._close_callback = callback

    # -- sending --------------------------------------------------------------------

    def send(
        self,
        msg: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        callback: Callable[[list[Any], Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Queue a one-frame message."""
        self.send_multipart([msg], flags, copy, track, callback, **kwargs)

    def send_multipart(
        self,
        msg: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        callback: Callable[[list[Any], Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Queue a message; it leaves in a later loop turn (``callback`` replaces ``on_send``)."""
        if callback is not None:
            self.on_send(callback)
        self._check_open()
        self._send_queue.append((list(msg), dict(flags=flags, copy=copy, track=track, **kwargs)))
        self._schedule()

    def send_string(
        self,
        u: str,
        flags: int = 0,
        encoding: str = "utf-8",
        callback: Callable[[list[Any], Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(u, str):
            raise TypeError("unicode/str objects only")
        self.send(u.encode(encoding), flags, callback=callback, **kwargs)

    send_unicode = send_string

    def send_json(
        self,
        obj: Any,
        flags: int = 0,
        callback: Callable[[list[Any], Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.send(jsonapi.dumps(obj), flags, callback=callback, **kwargs)

    def send_pyobj(
        self,
        obj: Any,
        flags: int = 0,
        protocol: int = pickle.DEFAULT_PROTOCOL,
        callback: Callable[[list[Any], Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.send(pickle.dumps(obj, protocol), flags, callback=callback, **kwargs)

    # -- state ----------------------------------------------------------------------

    def receiving(self) -> bool:
        return self._recv_callback is not None

    def sending(self) -> bool:
        return bool(self._send_queue)

    def closed(self) -> bool:
        """Whether the stream is closed (a socket closed elsewhere closes it now)."""
        if self.socket is None:
            return True
        if self.socket.closed:
            self.close()
            return True
        return False

    def close(self, linger: int | None = None) -> None:
        """Stop watching, close the socket (with ``linger``), call the close callback."""
        sock = self.socket
        if sock is None:
            return
        if sock.closed:
            warnings.warn(
                f"Unregistering FD {self._fd} after closing socket: close the stream "
                "(stream.close()), not its socket, as pyzmq asks",
                UserWarning,
                stacklevel=2,
            )
        self.io_loop.remove_handler(
            self._fd if sock.closed else sock
        )  # (a closed one has no fileno())
        self.socket = None
        if not sock.closed:
            sock.close(linger)
        if self._close_callback is not None:
            self._run(self._close_callback)

    # -- the work -------------------------------------------------------------------

    def flush(self, flag: int = POLLIN | POLLOUT, limit: int | None = None) -> int:
        """Handle what is pending now (received messages go to the callback, or are
        dropped without one); returns how many messages were handled."""
        handled = 0
        while not self.closed() and (limit is None or handled < limit):
            if not self._step(flag, receive_without_callback=True):
                break
            handled += 1
        return handled

    def _on_fd(self, fd: Any, events: int) -> None:
        self._handle_events()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.io_loop.add_callback(self._handle_events)

    def _handle_events(self) -> None:
        self._scheduled = False
        sock = self.socket
        if sock is not None and sock.closed:  # (closed elsewhere: a shadow's original, say)
            log.warning("Got events for stream %s attached to closed socket", self)
            self.close()
            return
        for _ in range(BATCH):
            if self.closed() or not self._step(POLLIN | POLLOUT):
                return
        self._schedule()  # more may wait: on in the next turn

    def _step(self, flag: int, receive_without_callback: bool = False) -> bool:
        """Receive or send one message if the socket lets us; False if nothing moved."""
        sock = self.socket
        assert sock is not None
        events = sock.EVENTS & flag
        moved = False
        if events & POLLIN and (self._recv_callback is not None or receive_without_callback):
            message = sock.recv_multipart(NOBLOCK, copy=self._recv_copy)
            moved = True
            if self._recv_callback is not None:
                self._run(self._recv_callback, message)
        if events & POLLOUT and self._send_queue and not self.closed():
            message, kwargs = self._send_queue.popleft()
            status = sock.send_multipart(message, **kwargs)
            moved = True
            if self._send_callback is not None:
                self._run(self._send_callback, message, status)
        return moved

    def _run(self, callback: Callable[..., Any], *args: Any) -> None:
        """Call a user's callback; a coroutine it returns runs on the loop, and an
        error is logged (then raised, as pyzmq does)."""
        try:
            result = callback(*args)
        except Exception:
            log.exception("Uncaught exception in ZMQStream callback")
            raise
        if inspect.isawaitable(result):
            self.io_loop.add_future(convert_yielded(result), _log_failure)

    def _check_open(self) -> None:
        if self.closed():
            raise OSError("Stream is closed")


def _check_callable(callback: Any) -> None:
    """pyzmq asserts that a callback is callable (or None): so do we, with its error."""
    if callback is not None and not callable(callback):
        raise AssertionError(f"a ZMQStream callback must be callable, not {callback!r}")


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        log.error("Uncaught exception in ZMQStream callback", exc_info=future.exception())
