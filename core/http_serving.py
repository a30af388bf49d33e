"""Serving a FastAPI app with uvicorn: the listening socket, clean stops, a background server.

Shared by the gateway and the explorer.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator
from types import FrameType

import structlog
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.exceptions import ServiceStartError
from core.settings import TlsFiles

log = structlog.get_logger(__name__)

_STARTUP_TIMEOUT_S = 10.0


class ResponseHeaders:
    """ASGI middleware that sets ``headers`` on every HTTP answer (overriding the app's),
    except under the paths in ``exempt``. Pure ASGI: no per-request task, as cheap as a dict
    update."""

    def __init__(self, app: ASGIApp, headers: dict[str, str],
                 exempt: frozenset[str] = frozenset()) -> None:
        self._app, self._exempt = app, exempt
        self._raw = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                     for k, v in headers.items()]
        self._names = {name for name, _ in self._raw}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self._exempt:
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ())
                        if k.lower() not in self._names]
                message = {**message, "headers": [*kept, *self._raw]}
            await send(message)

        await self._app(scope, receive, send_with_headers)


def listen(host: str, port: int, service: str, port_setting: str) -> socket.socket:
    """A listening TCP socket created with ``proto=IPPROTO_TCP``: asyncio sets TCP_NODELAY on
    accepted connections only then, and without it every keep-alive response waits ~40 ms
    (Nagle against delayed ACKs; ``socket.create_server`` leaves ``proto`` at 0). A taken port
    raises ``ServiceStartError`` naming ``port_setting``."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP,
            flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise ServiceStartError(service, host, port, f"cannot listen ({exc.strerror or exc}); "
                               f"stop the process using the port or set {port_setting}") from exc
    return sock


def uvicorn_server(app: FastAPI, tls: TlsFiles | None = None,
                   sock: socket.socket | None = None, service: str = "server") -> uvicorn.Server:
    """uvicorn logging through the root logger ``core.logging`` configured; the apps log
    every request themselves, so uvicorn's access log is off. With ``tls`` enabled it answers
    HTTPS only (TLS 1.2 or newer, Python's default context)."""
    cert = key = None
    if tls is not None and tls.cert_file is not None and tls.key_file is not None:
        for path in (tls.cert_file, tls.key_file):
            if not path.is_file():
                host, port = sock.getsockname()[:2] if sock is not None else ("-", 0)
                raise ServiceStartError(service, host, port, f"the TLS file {path} does not exist")
        cert, key = str(tls.cert_file), str(tls.key_file)
    return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                         server_header=False, ssl_certfile=cert,
                                         ssl_keyfile=key))


def base_url(host: str, port: int, tls: TlsFiles) -> str:
    """The URL a client reaches a service on."""
    return f"{'https' if tls.enabled else 'http'}://{host}:{port}"


@contextlib.contextmanager
def absorb_stop_signals(service: str) -> Iterator[None]:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    that was installed before it; make that one a no-op so the caller's cleanup runs and its
    ``run_*`` returns instead of the process dying half-way through."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stopped_by(signum: int, _frame: FrameType | None) -> None:
        log.info(f"{service}.stopping", signal=signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stopped_by) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def serve_in_background(app: FastAPI, host: str = "127.0.0.1", port: int = 0,
                        tls: TlsFiles | None = None) -> Iterator[str]:
    """Serve ``app`` from a daemon thread; yields the base URL (``port=0`` picks a free port)."""
    sock = listen(host, port, "background server", "another port")
    bound_host, bound_port = sock.getsockname()[:2]
    try:
        server = uvicorn_server(app, tls, sock)
    except ServiceStartError:
        sock.close()
        raise
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="http-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ServiceStartError("background server", bound_host, bound_port,
                                       "uvicorn did not start")
            time.sleep(0.01)
        yield base_url(bound_host, bound_port, tls or TlsFiles())
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT_S)
        sock.close()
