"""Serving the gateway with uvicorn, and the token helpers behind ``ketenlink gateway token``."""

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
from kafka.errors import KafkaError

from infra.topics import load_layout
from ketenlink.settings import Settings
from producers.exceptions import GatewayStartError, UnknownPartnerError
from producers.gateway.app import create_gateway_app
from producers.gateway.tokens import TokenRecord, TokenStore
from producers.pseudonym import Pseudonymiser
from producers.publisher import Publisher

log = structlog.get_logger(__name__)

_STARTUP_TIMEOUT_S = 10.0


def run_gateway(settings: Settings) -> None:
    """Serve the gateway on ``settings.gateway.host``/``port`` until SIGINT or SIGTERM.

    Raises ``GatewayStartError`` if the port is taken or Kafka is unreachable, and
    ``TokenStoreError`` if the token file is unreadable, all before accepting a request.
    """
    gateway = settings.gateway
    layout = load_layout(prefix=settings.topic_prefix)
    tokens = TokenStore(gateway.tokens_file)
    active = [r for r in tokens.records() if r.revoked_at is None]  # fails fast on a bad file
    if not active:
        log.warning("gateway.no_tokens", tokens_file=str(gateway.tokens_file),
                    hint="ketenlink gateway token create --partner <id>")
    pseudonymiser = Pseudonymiser(settings.pseudonym_key)
    sock = _listen(gateway.host, gateway.port)
    try:
        with _publisher(settings, gateway.host, gateway.port) as publisher:
            app = create_gateway_app(settings, publisher, tokens, pseudonymiser, layout)
            log.info("gateway.starting", host=gateway.host, port=gateway.port,
                     partners=list(layout.partners), active_tokens=len(active))
            with _absorb_stop_signals():
                _server(app).run(sockets=[sock])
    finally:
        sock.close()
    log.info("gateway.stopped")


@contextlib.contextmanager
def serve_in_background(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a daemon thread; yields the base URL (``port=0`` picks a free port)."""
    sock = _listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="gateway-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise GatewayStartError(bound_host, bound_port, "uvicorn did not start")
            time.sleep(0.01)
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT_S)
        sock.close()


def create_token(settings: Settings, partner: str) -> str:
    """Issue a token for ``partner`` (which must be in the topic spec) and return it.

    The token is shown once; only its salted digest is stored in ``settings.gateway.tokens_file``.
    """
    layout = load_layout(prefix=settings.topic_prefix)
    if partner not in layout.partners:
        raise UnknownPartnerError(partner, layout.partners)
    return TokenStore(settings.gateway.tokens_file).create(partner)


def revoke_tokens(settings: Settings, partner: str) -> int:
    """Revoke every active token of ``partner``; the number revoked. A running gateway refuses
    them from its next request on."""
    return TokenStore(settings.gateway.tokens_file).revoke(partner)


def list_tokens(settings: Settings) -> tuple[TokenRecord, ...]:
    """Every issued token's record (id, partner, created, revoked); never a secret."""
    return TokenStore(settings.gateway.tokens_file).records()


def _server(app: FastAPI) -> uvicorn.Server:
    # log_config=None: uvicorn logs through the root logger that ketenlink.logging configured;
    # the app logs every request itself, so uvicorn's access log is off.
    return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                         server_header=False))


@contextlib.contextmanager
def _absorb_stop_signals() -> Iterator[None]:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    that was installed before it; make that one a no-op so the publisher is closed and
    ``run_gateway`` returns instead of the process dying half-way through its cleanup."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _stopped_by) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped_by(signum: int, _frame: FrameType | None) -> None:
    log.info("gateway.stopping", signal=signal.Signals(signum).name)


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket created with ``proto=IPPROTO_TCP``: asyncio sets TCP_NODELAY on
    accepted connections only then, and without it every keep-alive response waits ~40 ms
    (Nagle against delayed ACKs; ``socket.create_server`` leaves ``proto`` at 0)."""
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
        raise GatewayStartError(host, port, f"cannot listen ({exc.strerror or exc}); stop the "
                                "process using the port or set KETENLINK_GATEWAY__PORT") from exc
    return sock


@contextlib.contextmanager
def _publisher(settings: Settings, host: str, port: int) -> Iterator[Publisher]:
    try:
        publisher = Publisher(settings.kafka, client_id="ketenlink-gateway")
    except KafkaError as exc:
        raise GatewayStartError(host, port, f"Kafka at {settings.kafka.bootstrap_servers} is "
                                f"not reachable ({type(exc).__name__}); start it with "
                                "`ketenlink stack up`") from exc
    with publisher:
        yield publisher
