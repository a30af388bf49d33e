"""The explorer's HTTP API and page (the contract, with every shape: ``explorer/API.md``).

Every ``/api`` request but login needs a live session (cookie ``ketenlink_session``); every
state-changing one also the session's CSRF token in ``X-CSRF-Token``. What an analyst sees is
decided by ``policy.clearance.may_see`` (which signals) and ``policy.view.visible_fields``
(which of their fields: the same call that cuts the router's deliveries) inside the analyst
queries, the alert desk and the review desk, with the clearance of the analyst's partner; each
of them writes the audit entry. Errors
answer ``{"detail": ...}`` with the status of their kind, never a stack trace.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import structlog
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from alerts.exceptions import (
    AlertConflictError,
    AlertInputError,
    AlertStateError,
    NotReviewerError,
    UnknownAlertError,
)
from alerts.release import AlertDesk
from core.audit import AuditLog
from core.exceptions import KetenlinkError
from explorer.accounts import AccountStore
from explorer.exceptions import ReviewDecidedError, UnknownReviewError
from explorer.review_desk import ReviewDesk
from explorer.sessions import Session, SessionStore
from explorer.throttle import LoginThrottle
from graph.analyst.model import Timeline
from graph.analyst.params import Filters, parse_when
from graph.exceptions import QueryInputError, UnknownEntityError
from graph.queries import AnalystQueries
from policy.clearance import Caller, Clearance
from policy.exceptions import PolicyError, RoleRequiredError
from streams.risk import Evidence, RiskScore, score

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "ketenlink_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY_BYTES = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (UnknownEntityError, 404), (UnknownAlertError, 404), (UnknownReviewError, 404),
    (QueryInputError, 422), (AlertInputError, 422),
    (RoleRequiredError, 403), (NotReviewerError, 403), (PolicyError, 403),
    (AlertStateError, 409), (AlertConflictError, 409), (ReviewDecidedError, 409),
    (KetenlinkError, 503),
)
"""Most specific first: the status a refused request answers with."""


@dataclass(frozen=True)
class ExplorerServices:
    """What the API works with (one set per process)."""

    accounts: AccountStore
    sessions: SessionStore
    throttle: LoginThrottle
    queries: AnalystQueries
    alerts: AlertDesk
    reviews: ReviewDesk
    audit: AuditLog
    clearance_for: Callable[[str], Clearance]
    secure_cookie: bool = False
    """Set the cookie's Secure flag (behind TLS); plain http on loopback otherwise."""


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class Approve(BaseModel):
    version: int
    note: str | None = Field(default=None, max_length=2000)


class Reject(BaseModel):
    version: int
    reason: str = Field(min_length=1, max_length=2000)


class Judge(BaseModel):
    verdict: Literal["confirm", "reject"]


def create_explorer_app(services: ExplorerServices) -> FastAPI:
    """The explorer: the page under ``/``, the API under ``/api`` (see the module docstring)."""
    app = FastAPI(title="Ketenlink explorer", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.services = services
    _install_guards(app)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # -- session ---------------------------------------------------------------------------
    @app.post("/api/session")
    def login(body: Login, request: Request, response: Response) -> dict[str, Any]:
        throttle, name = services.throttle, body.username
        client = request.client.host if request.client else "-"
        wait = throttle.admit(client)
        if wait:
            seconds = max(1, math.ceil(wait.total_seconds()))
            log.info("explorer.login_throttled", client=client, username=name, wait_s=seconds)
            services.audit.record(name, "-", "explorer.login", {}, 0, "throttled")
            raise _Refused(429, "too many failed logins from this address: try again in "
                                f"{seconds} s", {"Retry-After": str(seconds)})
        try:
            account = services.accounts.verify(name, body.password)
        except BaseException:
            throttle.done(client, name, failed=False)  # not the client's doing: only release
            raise
        waits = throttle.done(client, name, failed=account is None)
        if account is None:
            log.info("explorer.login_denied", client=client, username=name,
                     wait_s=round(waits.total_seconds(), 1))
            services.audit.record(name, "-", "explorer.login", {}, 0, "denied")
            raise _Refused(401, "unknown user or wrong password")
        token, session = services.sessions.open(account)
        services.audit.record(account.username, account.partner, "explorer.login", {}, 1, "ok")
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=services.secure_cookie)
        return _session_json(session)

    @app.get("/api/session")
    def current(who: Who, request: Request) -> dict[str, Any]:
        return _session_json(request.state.session)

    @app.delete("/api/session", status_code=204)
    def logout(who: Who, request: Request, response: Response) -> None:
        services.sessions.close(request.cookies.get(SESSION_COOKIE))
        services.audit.record(who.analyst, who.partner_id, "explorer.logout", {}, 1, "ok")
        response.delete_cookie(SESSION_COOKIE, path="/")

    # -- graph -----------------------------------------------------------------------------
    @app.get("/api/search")
    def search(who: Who, q: Annotated[str, Query(max_length=200)]) -> dict[str, Any]:
        found = services.queries.search(who, q)
        return {"query": q, "truncated": found.truncated,
                "results": [{**h.entity.to_json(), "matched": list(h.matched)}
                            for h in found.hits]}

    @app.get("/api/entities/{entity_id}")
    def entity(who: Who, entity_id: str) -> dict[str, Any]:
        profile = services.queries.profile(who, entity_id)
        timeline = services.queries.timeline(who, profile.anchor.entity_id)
        return {"profile": profile.to_json(), "risk": risk_of(timeline).to_json()}

    @app.get("/api/entities/{entity_id}/network")
    def network(who: Who, entity_id: str, depth: Annotated[int, Query(ge=1, le=3)] = 1,
                since: str | None = None, until: str | None = None,
                partner: Annotated[list[str] | None, Query()] = None,
                category: Annotated[list[str] | None, Query()] = None,
                role: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        filters = Filters(since=parse_when(since, "since") if since else None,
                          until=parse_when(until, "until") if until else None,
                          partners=_set(partner), categories=_set(category), roles=_set(role))
        return services.queries.neighbourhood(who, entity_id, depth, filters).to_json()

    @app.get("/api/why")
    def why(who: Who, a: str, b: str) -> dict[str, Any]:
        return services.queries.why_linked(who, a, b).to_json()

    @app.get("/api/entities/{entity_id}/timeline")
    def timeline(who: Who, entity_id: str) -> dict[str, Any]:
        found = services.queries.timeline(who, entity_id).to_json()
        return {**found, "entries": found["entries"][::-1]}  # newest first

    @app.get("/api/rings")
    def rings(who: Who) -> dict[str, Any]:
        return services.queries.rings(who).to_json()

    @app.get("/api/clusters")
    def clusters(who: Who) -> dict[str, Any]:
        found = services.queries.shared_address_clusters(who, min_size=3, limit=50)
        return {"clusters": [c.to_json() for c in found]}

    # -- alerts ----------------------------------------------------------------------------
    @app.get("/api/alerts")
    def alerts(who: Who, status: str | None = None) -> dict[str, Any]:
        return {"alerts": [a.to_json() for a in services.alerts.list(who, status or None)]}

    @app.get("/api/alerts/{alert_id}")
    def alert(who: Who, alert_id: str) -> dict[str, Any]:
        return services.alerts.show(who, alert_id).to_json()

    @app.post("/api/alerts/{alert_id}/approve")
    def approve(who: Who, alert_id: str, body: Approve) -> dict[str, Any]:
        return services.alerts.approve(who, alert_id, body.note, body.version).alert.to_json()

    @app.post("/api/alerts/{alert_id}/reject")
    def reject(who: Who, alert_id: str, body: Reject) -> dict[str, Any]:
        return services.alerts.reject(who, alert_id, body.reason, body.version).to_json()

    # -- merge review ----------------------------------------------------------------------
    @app.get("/api/reviews")
    def reviews(who: Who, entity: str | None = None) -> dict[str, Any]:
        found = services.reviews.open_reviews(who, entity or None)
        return {"reviews": [r.to_json() for r in found]}

    @app.post("/api/reviews/{review_id}")
    def judge(who: Who, review_id: str, body: Judge) -> dict[str, Any]:
        decision = services.reviews.decide(who, review_id, body.verdict)
        return {"review_id": decision.review_id, "status": decision.status,
                "decided_by": decision.decided_by,
                "decided_at": decision.decided_at.isoformat()}

    return app


def current_caller(request: Request) -> Caller:
    """The analyst of the request's live session (401 without one); for a write, only with the
    session's CSRF token (403 without it)."""
    services: ExplorerServices = request.app.state.services
    token = request.cookies.get(SESSION_COOKIE)
    session = services.sessions.find(token)
    if session is not None and services.accounts.current(
            session.account.username) != session.account:
        # removed, disabled, re-created or given a new password since this login
        services.sessions.close(token)
        log.info("explorer.session_revoked", analyst=session.account.username,
                 partner=session.account.partner)
        session = None
    if session is None:
        raise _Refused(401, "not logged in, or the session expired: log in again")
    if request.method not in ("GET", "HEAD") and not services.sessions.csrf_ok(
            session, request.headers.get(CSRF_HEADER)):
        raise _Refused(403, f"missing or wrong {CSRF_HEADER} header")
    session = services.sessions.touch(token)  # accepted: only now is the session extended
    if session is None:  # expired or closed in between
        raise _Refused(401, "not logged in, or the session expired: log in again")
    request.state.session = session
    account = session.account
    return Caller(account.username, account.partner, services.clearance_for(account.partner))


Who = Annotated[Caller, Depends(current_caller)]


def risk_of(timeline: Timeline) -> RiskScore:
    """The entity's risk score from the signals the caller sees, at the newest one's time
    (``streams.risk.score``, as the stream and the alert dossiers compute it)."""
    items = [Evidence(e.signal.signal_id, e.signal.partner_id, e.signal.observed_at,
                      e.signal.severity or "low", e.signal.barrier_stages, e.signal.indicators)
             for e in timeline.entries if e.signal.observed_at is not None]
    if not items:
        return score([], datetime.min)
    return score(items, max(i.observed_at for i in items))


class _Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers or {}


def _set(values: list[str] | None) -> frozenset[str] | None:
    cleaned = {v.strip() for value in values or () for v in value.split(",") if v.strip()}
    return frozenset(cleaned) if cleaned else None


def _session_json(session: Session) -> dict[str, Any]:
    return {"analyst": session.account.username, "partner": session.account.partner,
            "csrf_token": session.csrf_token, "expires_at": session.expires_at.isoformat()}


def _install_guards(app: FastAPI) -> None:
    """Body size and content type of writes, security headers, and errors as ``detail``."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                    ) -> Response:
        if request.method in ("POST", "PUT", "PATCH"):
            if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
                return _problem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return _problem(415, "send the body as application/json")
        try:
            response = await call_next(request)
        except Exception as exc:  # answered here: re-raised, it would drop the connection
            response = _failed(request, exc)
        response.headers.update(SECURITY_HEADERS)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(_Refused)
    async def refused(_request: Request, exc: _Refused) -> JSONResponse:
        return _problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                           for e in exc.errors())
        return _problem(422, issues)

    @app.exception_handler(KetenlinkError)
    async def refused_by_rule(request: Request, exc: KetenlinkError) -> JSONResponse:
        status = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
        log.info("explorer.refused", path=request.url.path, status=status, error=str(exc))
        return _problem(status, str(exc))



def _failed(request: Request, exc: Exception) -> JSONResponse:
    """500 for an unexpected error: an incident id for the log, never a trace."""
    incident = uuid.uuid4().hex[:12]
    log.error("explorer.failed", path=request.url.path, incident=incident,
              error=repr(exc), exc_info=exc)
    return _problem(500, f"internal error (incident {incident}; see the explorer log)")


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status,
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-store",
                                 **(headers or {})})
