"""Serving the gateway with uvicorn, and the token helpers behind ``ketenlink gateway token``."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import structlog
from kafka.errors import KafkaError

from core.exceptions import ServiceStartError
from core.http_serving import absorb_stop_signals, base_url, listen, uvicorn_server
from core.partner_ids import partner_kind
from core.publisher import Publisher
from core.settings import Settings
from core.topics import topics_of
from policy.registry import load_registry
from producers.deidentify import name_finder
from producers.exceptions import DeidentifyError, GatewayStartError, UnknownPartnerError
from producers.gateway.app import create_gateway_app
from producers.gateway.tokens import TokenRecord, TokenStore
from producers.pseudonym import Pseudonymiser

log = structlog.get_logger(__name__)

_STARTUP_TIMEOUT_S = 10.0


def run_gateway(settings: Settings) -> None:
    """Serve the gateway on ``settings.gateway.host``/``port`` until SIGINT or SIGTERM.

    Raises ``GatewayStartError`` if the port is taken or Kafka is unreachable, and
    ``TokenStoreError`` if the token file is unreadable, all before accepting a request.
    """
    gateway = settings.gateway
    layout = topics_of(settings)
    tokens = TokenStore(gateway.tokens_file)
    active = [r for r in tokens.records() if r.revoked_at is None]  # fails fast on a bad file
    if not active:
        log.warning("gateway.no_tokens", tokens_file=str(gateway.tokens_file),
                    hint="ketenlink gateway token create --partner <id>")
    pseudonymiser = Pseudonymiser(settings.pseudonym_key)
    # deduce loads (seconds) beside start-up, so /healthz answers at once; a sensitive request
    # that comes earlier waits for it.
    threading.Thread(target=_warm_deduce, name="deduce-warm-up", daemon=True).start()
    sock = _listen(gateway.host, gateway.port)
    try:
        with _publisher(settings, gateway.host, gateway.port) as publisher:
            app = create_gateway_app(settings, publisher, tokens, pseudonymiser, layout)
            log.info("gateway.starting", url=base_url(gateway.host, gateway.port, gateway.tls),
                     partners=list(layout.partners), active_tokens=len(active))
            with absorb_stop_signals("gateway"):
                uvicorn_server(app, gateway.tls, sock, "gateway").run(sockets=[sock])
    finally:
        sock.close()
    log.info("gateway.stopped")


def _warm_deduce() -> None:
    try:
        name_finder()
    except DeidentifyError as exc:  # the request that needs it answers 503 and says why
        log.error("gateway.deidentify_unavailable", error=exc.detail)


def create_token(settings: Settings, partner: str) -> str:
    """Issue a token for ``partner`` (a partner of the registry, or an instance its kind's
    template admits: ``kvk``, ``riec:rotterdam``, ``gemeente:GM0772``) and return it.

    The token is shown once; only its salted digest is stored in ``settings.gateway.tokens_file``.
    """
    layout = topics_of(settings)
    if partner_kind(partner) not in layout.partners:
        raise UnknownPartnerError(partner, layout.partners)
    registry = load_registry()
    if partner not in registry.entries:
        registry.instance_entry(partner)  # a ClearanceError names what is wrong with it
    return TokenStore(settings.gateway.tokens_file).create(partner)


def revoke_tokens(settings: Settings, partner: str) -> int:
    """Revoke every active token of ``partner``; the number revoked. A running gateway refuses
    them from its next request on."""
    return TokenStore(settings.gateway.tokens_file).revoke(partner)


def list_tokens(settings: Settings) -> tuple[TokenRecord, ...]:
    """Every issued token's record (id, partner, created, revoked); never a secret."""
    return TokenStore(settings.gateway.tokens_file).records()


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


def _listen(host: str, port: int) -> socket.socket:
    try:
        return listen(host, port, "gateway", "KETENLINK_GATEWAY__PORT")
    except ServiceStartError as exc:
        raise GatewayStartError(host, port, exc.reason) from exc
