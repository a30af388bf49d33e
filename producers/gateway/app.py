"""The partner gateway: ``POST /v1/signals`` authenticates a partner's bearer token, pseudonymises
and validates its signals, publishes them to the partner's inbound topic, and answers 202 only
once the broker acknowledged every record.

Checks, in order (the first that fails answers):

=====  =======================================================================================
401    no ``Authorization: Bearer`` token, or an unknown, wrong or revoked one
403    the token's partner has no inbound topic in the topic spec (unknown partner)
415    the body is not ``application/json`` (or ``application/*+json``) in UTF-8, or it
       has a ``Content-Encoding`` (compressed bodies are not accepted)
413    the body is larger than ``settings.gateway.max_body_bytes`` (header or bytes received)
422    not JSON, not one signal or ``{"signals": [...]}``, or more than ``max_batch`` signals
403    a signal's ``partner`` is not the token's partner: a partner publishes only as itself
429    the partner's signals-per-minute budget is spent (``Retry-After`` says when it is not)
422    a clear identifier cannot be pseudonymised, or a signal breaks Signal v1; nothing is
       published if any signal of a batch is invalid (the first ``MAX_LISTED_ISSUES`` issues
       are listed, ``errors_omitted`` counts the rest)
(--)   a sensitive source's (anonymous tips, healthcare; ``policy/partners.yaml``) valid
       signals have their narrative de-identified (``producers.deidentify``) before publishing
503    the token file cannot be read, de-identification is unavailable, or the broker did not
       acknowledge every record
202    every record acknowledged: topic, partition and offset of each
=====  =======================================================================================

Every answer carries ``SECURITY_HEADERS`` (a CSP allowing nothing, ``nosniff``, ``no-store``).
``/openapi.json`` is always served; the ``/docs`` and ``/redoc`` pages only with
``settings.gateway.api_docs`` (development: they load scripts from a public CDN).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from kafka.errors import KafkaError
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from starlette.requests import ClientDisconnect

from core.exceptions import PublishError
from core.http_serving import ResponseHeaders
from core.partner_ids import partner_kind
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout
from policy.registry import SENSITIVE_SOURCES, Registry, load_registry
from producers.deidentify import DEFAULT_DEIDENTIFIER, Deidentifier
from producers.exceptions import (
    BodyTooLargeError,
    DeidentifyError,
    PayloadError,
    TokenRejectedError,
    TokenStoreError,
)
from producers.gateway.payload import (
    claimed_partners,
    deidentify_narratives,
    parse_body,
    read_body,
    validate,
)
from producers.gateway.ratelimit import Clock, RateLimiter
from producers.gateway.tokens import TokenStore
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal

log = structlog.get_logger(__name__)

SIGNALS_PATH = "/v1/signals"
MAX_LISTED_ISSUES = 50
"""A 422 lists at most this many field issues (the first ones, in request order) and counts the
rest: a small body of many broken signals must not get a large answer."""
MAX_SHOWN_KEY_CHARS = 100
"""A name in ``loc`` or ``path`` (an unknown field's name is the sender's text) is cut here."""
RETRY_AFTER_UNAVAILABLE_S = 5
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
"""On every answer (signals, issues and partner references are personal data; nothing here is a
page to render, frame or cache). Not on /docs and /redoc, when ``api_docs`` serves them."""
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_REALM = 'Bearer realm="ketenlink"'


class AcceptedSignal(BaseModel):
    """Where the broker stored one accepted signal."""

    signal_id: str
    partner_ref: str
    topic: str
    partition: int
    offset: int


class Accepted(BaseModel):
    """Every signal of the request, acknowledged by the broker, in request order."""

    accepted: list[AcceptedSignal]


class Problem(BaseModel):
    """Why the request was refused."""

    detail: str


class FieldIssueOut(BaseModel):
    """One broken rule; ``loc`` and ``path`` locate it in the request body."""

    index: int | None = Field(description="Index of the signal in a batch; null for one signal.")
    loc: list[str | int]
    path: str
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """The body was refused as a whole; nothing was published."""

    detail: str
    errors: list[FieldIssueOut] = Field(
        description=f"The first {MAX_LISTED_ISSUES} issues, in request order.")
    errors_omitted: int = Field(
        default=0, description="How many further issues were found but not listed.")


class SignalBatch(BaseModel):
    """Several signals in one request; all are published or none."""

    signals: list[Signal] = Field(min_length=1)


class Health(BaseModel):
    status: Literal["ok"]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing, unknown or revoked bearer token."},
    403: {"model": Problem, "description": "A signal names another partner, or the token's "
                                           "partner has no inbound topic."},
    413: {"model": Problem, "description": "Body larger than the gateway accepts."},
    415: {"model": Problem, "description": "Body is not application/json."},
    422: {"model": ValidationProblem, "description": "Invalid JSON or Signal v1; nothing "
                                                     "was published."},
    429: {"model": Problem, "description": "Rate limit reached; see Retry-After."},
    503: {"model": Problem, "description": "Not acknowledged by the broker; retrying is safe "
                                           "(signal ids are deterministic). See Retry-After."},
}


class GatewayState:
    """Everything one gateway app holds: its collaborators and its rate limiter."""

    def __init__(self, settings: Settings, publisher: Publisher, tokens: TokenStore,
                 pseudonymiser: Pseudonymiser, layout: TopicLayout, limiter: RateLimiter,
                 registry: Registry, deidentifier: Deidentifier) -> None:
        self.settings, self.publisher, self.tokens = settings, publisher, tokens
        self.pseudonymiser, self.layout, self.limiter = pseudonymiser, layout, limiter
        self.registry, self.deidentifier = registry, deidentifier

    def sensitive(self, partner: str) -> bool:
        """Whether ``partner``'s narratives are de-identified: a sensitive source, or a partner
        the registry does not know (when in doubt, de-identify)."""
        entry = self.registry.entries.get(partner)
        return entry is None or entry.source in SENSITIVE_SOURCES


class GatewayApp(FastAPI):
    """FastAPI with the signal request body documented in OpenAPI (it is read by hand)."""

    max_batch: int = 1

    def openapi(self) -> dict[str, Any]:
        fresh = self.openapi_schema is None
        schema = super().openapi()
        if fresh:
            _document_request_body(schema, self.max_batch)
        return schema


def create_gateway_app(settings: Settings, publisher: Publisher, tokens: TokenStore,
                       pseudonymiser: Pseudonymiser, layout: TopicLayout, *,
                       clock: Clock = time.monotonic, registry: Registry | None = None,
                       deidentifier: Deidentifier = DEFAULT_DEIDENTIFIER) -> FastAPI:
    """The gateway app; it borrows ``publisher`` (the caller closes it). ``clock`` drives the
    rate limiter (tests inject one); ``registry`` (default: the shipped partner file) says which
    partners are sensitive sources whose narratives ``deidentifier`` cleans."""
    docs = settings.gateway.api_docs
    app = GatewayApp(title="Ketenlink gateway",
                     version="1",
                     description="Chain partners publish Signal v1 records here. "
                                 "Authenticate with `Authorization: Bearer <token>`.",
                     docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None)
    app.add_middleware(ResponseHeaders, headers=SECURITY_HEADERS,
                       exempt=DOCS_PATHS if docs else frozenset())
    app.max_batch = settings.gateway.max_batch
    state = GatewayState(settings, publisher, tokens, pseudonymiser, layout,
                         RateLimiter(settings.gateway.rate_limit_per_minute, clock=clock),
                         registry or load_registry(), deidentifier)
    app.state.gateway = state

    @app.get("/healthz", response_model=Health, summary="Liveness; no authentication.")
    async def healthz() -> Health:
        return Health(status="ok")

    @app.post(SIGNALS_PATH, status_code=202, response_model=Accepted, responses=_RESPONSES,
              summary="Publish one signal or a batch of signals as the token's partner.")
    async def post_signals(request: Request) -> Response:
        """Send one Signal v1 object, or `{"signals": [...]}` with up to the configured batch
        size; every signal must name the token's partner. Identifiers with scheme `bsn`, or
        `patient-id` with `institution`, are replaced by keyed pseudonyms before validation.
        A batch is all or nothing. 202 means the broker acknowledged every record; after a 503
        resend the same request: signal ids derive from partner and partner_ref."""
        return await _handle(state, request)

    return app


async def _handle(state: GatewayState, request: Request) -> Response:
    """One ``POST /v1/signals``, from token to acknowledgement; logs its outcome once."""
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    partner: str | None = None
    count = 0

    def reply(status: int, content: dict[str, Any], headers: dict[str, str] | None = None,
              **facts: Any) -> JSONResponse:
        emit = log.warning if status >= 500 else log.info
        emit("gateway.request", request_id=request_id, partner=partner, count=count,
             status=status, duration_ms=round(1000 * (time.perf_counter() - started), 1),
             **facts)
        return JSONResponse(content, status_code=status,
                            headers={"X-Request-ID": request_id, **(headers or {})})

    def problem(status: int, detail: str, headers: dict[str, str] | None = None,
                **facts: Any) -> JSONResponse:
        return reply(status, {"detail": detail}, headers, **facts)

    # 401 / 403: who is it, and may that partner publish at all?
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        return problem(401, "a bearer token is required", {"WWW-Authenticate": _REALM},
                       reason="missing")
    try:
        partner = state.tokens.authenticate(token)
    except TokenRejectedError as exc:
        return problem(401, "the bearer token is not valid",
                       {"WWW-Authenticate": f'{_REALM}, error="invalid_token"'},
                       reason=exc.reason, token_id=exc.token_id)
    except TokenStoreError as exc:
        return problem(503, "authentication is unavailable; try again later",
                       {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)}, error=str(exc))
    if partner_kind(partner) not in state.layout.partners:
        return problem(403, f"partner {partner!r} has no inbound topic; known kinds: "
                            f"{', '.join(state.layout.partners)}", reason="unknown partner")

    # 415 / 413 / 422: a bounded JSON body of the right shape.
    if not _is_json(request.headers.get("content-type")):
        return problem(415, "send the body as application/json, encoded as UTF-8")
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding != "identity":
        return problem(415, "compressed bodies (Content-Encoding) are not accepted; send the "
                            "body uncompressed", {"Accept-Encoding": "identity"})
    limit = state.settings.gateway.max_body_bytes
    try:
        raw = await read_body(request.stream(), request.headers.get("content-length"), limit)
        body = parse_body(raw, state.settings.gateway.max_batch)
    except BodyTooLargeError as exc:
        return problem(413, f"the body exceeds {exc.limit} bytes", limit=exc.limit)
    except PayloadError as exc:
        return _invalid(reply, exc)
    except ClientDisconnect:  # nobody reads the answer; the log line is what counts
        return problem(400, "the client disconnected before the body was complete",
                       reason="disconnected")
    count = len(body.items)

    # 403: a partner publishes only as itself.
    others = sorted(i for i, claim in claimed_partners(body).items()
                    if isinstance(claim, str) and claim != partner)
    if others:
        where = f"signals {others} name" if body.batch else "the signal names"
        return problem(403, f"{where} another partner; this token publishes only as "
                            f"{partner!r}", reason="partner mismatch")

    # 429: signals per minute, per partner.
    decision = state.limiter.acquire(partner, count)
    if not decision.allowed:
        retry = str(max(1, math.ceil(decision.retry_after_s)))
        capacity = int(state.limiter.capacity)
        detail = (f"a batch of {count} exceeds the limit of {capacity} signals per minute; "
                  "send smaller batches" if decision.exceeds_capacity else
                  f"rate limit of {capacity} signals per minute reached; retry after {retry} s")
        return problem(429, detail, {"Retry-After": retry})

    # 422: pseudonymise clear identifiers, then Signal v1, all or nothing.
    try:
        signals = await run_in_threadpool(validate, body, state.pseudonymiser)
    except PayloadError as exc:
        return _invalid(reply, exc)
    if any(signal.partner != partner for signal in signals):  # implied by the 403 check
        return problem(403, f"this token publishes only as {partner!r}",
                       reason="partner mismatch")

    # A sensitive source's narratives lose the identities of reporters and patients.
    deidentified = 0
    if state.sensitive(partner):
        try:
            signals, deidentified = await run_in_threadpool(deidentify_narratives, signals,
                                                            state.deidentifier)
        except DeidentifyError as exc:
            return problem(503, "de-identification is unavailable; nothing was published",
                           {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)}, error=exc.detail)

    # 503 / 202: published only when the broker acknowledged every record.
    topic = state.layout.inbound_of(partner)
    records: list[tuple[bytes | None, bytes]] = [
        (f"{s.partner}/{s.partner_ref}".encode(), s.model_dump_json().encode()) for s in signals]
    try:
        published = await run_in_threadpool(state.publisher.publish_many, topic, records)
    except (PublishError, KafkaError) as exc:
        return problem(503, "the broker did not acknowledge every signal; none is confirmed. "
                            "Retrying is safe: signal ids derive from partner and partner_ref",
                       {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)}, topic=topic,
                       error=type(exc).__name__)
    accepted = Accepted(accepted=[
        AcceptedSignal(signal_id=str(s.signal_id), partner_ref=s.partner_ref, topic=p.topic,
                       partition=p.partition, offset=p.offset)
        for s, p in zip(signals, published, strict=True)])
    return reply(202, accepted.model_dump(), topic=topic, deidentified=deidentified)


def _invalid(reply: Callable[..., JSONResponse], exc: PayloadError) -> JSONResponse:
    """422 with the first ``MAX_LISTED_ISSUES`` field issues and the count of the rest; logs
    only where they are, never what was sent."""
    listed = [_clipped(issue) for issue in exc.issues[:MAX_LISTED_ISSUES]]
    omitted = len(exc.issues) - len(listed)
    detail = exc.detail if not omitted else (
        f"{exc.detail}; the first {len(listed)} of {len(exc.issues)} issues are listed")
    return reply(422, {"detail": detail, "errors": listed, "errors_omitted": omitted},
                 errors=len(exc.issues), paths=sorted({str(i["path"]) for i in listed})[:20])


def _clipped(issue: dict[str, object]) -> dict[str, object]:
    """The issue with every name in its ``loc`` and its ``path`` cut to a bounded length."""
    def clip(text: str) -> str:
        return text if len(text) <= MAX_SHOWN_KEY_CHARS else text[:MAX_SHOWN_KEY_CHARS] + "…"

    loc = issue.get("loc")
    parts = [clip(p) if isinstance(p, str) else p for p in loc] if isinstance(loc, list) else loc
    path = issue.get("path")
    return {**issue, "loc": parts,
            "path": ".".join(clip(p) for p in path.split(".")) if isinstance(path, str) else path}


def _bearer(header: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``; a charset, if given, must be UTF-8 (the
    only encoding of JSON, RFC 8259): a body declared as another is refused, not guessed at."""
    media, *params = (content_type or "").lower().split(";")
    media = media.strip()
    if media != "application/json" and not (media.startswith("application/")
                                            and media.endswith("+json")):
        return False
    charsets = [value.strip().strip('"') for name, _, value in
                (param.partition("=") for param in params) if name.strip() == "charset"]
    return all(charset == "utf-8" for charset in charsets)


def _document_request_body(schema: dict[str, Any], max_batch: int) -> None:
    """Add Signal v1 and the batch to the components and describe the request body.

    The gateway also accepts the clear schemes ``bsn`` and ``patient-id`` (with
    ``institution``), which it replaces by pseudonyms before validation; the documented
    identifier says so.
    """
    refs, top = models_json_schema([(Signal, "validation"), (SignalBatch, "validation")],
                                   ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in top.get("$defs", {}).items():
        components.setdefault(name, definition)
    scheme = components.get("IdentifierScheme", {})
    if "enum" in scheme:
        scheme["enum"] = [*scheme["enum"], "bsn", "patient-id"]
        scheme["description"] = ("bsn and patient-id are accepted by the gateway only and "
                                 "replaced by bsn-pseudonym / patient-pseudonym before "
                                 "validation; a clear number never reaches Kafka.")
    identifier = components.get("Identifier", {})
    if "properties" in identifier:
        identifier["properties"]["institution"] = {
            "type": "string", "title": "Institution",
            "description": "Required with scheme patient-id: who issued the number. "
                           "Dropped after pseudonymisation."}
    batch = components.get("SignalBatch", {}).get("properties", {}).get("signals")
    if batch is not None:
        batch["maxItems"] = max_batch
    operation = schema["paths"][SIGNALS_PATH]["post"]
    operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
        "oneOf": [refs[(Signal, "validation")], refs[(SignalBatch, "validation")]]}}}}
