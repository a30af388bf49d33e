"""Errors of the publishing side."""

from __future__ import annotations

from core.exceptions import KetenlinkError, ServiceStartError


class UnknownPartnerError(KetenlinkError):
    """No adapter (or no inbound topic) exists for this partner id."""

    def __init__(self, partner: str, known: tuple[str, ...]) -> None:
        self.partner, self.known = partner, known
        super().__init__(f"unknown partner {partner!r}; known partners: {', '.join(known)}")


class TokenStoreError(KetenlinkError):
    """The gateway's token file cannot be read or written; fix or restore it."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"token file {path}: {problem}")


class TokenRejectedError(KetenlinkError):
    """A bearer token is malformed, unknown or revoked; the reason is for logs, not the client."""

    def __init__(self, reason: str, token_id: str | None = None) -> None:
        self.reason, self.token_id = reason, token_id
        super().__init__(f"token rejected: {reason}")


class BodyTooLargeError(KetenlinkError):
    """A request body is larger than the gateway accepts (settings.gateway.max_body_bytes)."""

    def __init__(self, limit: int, seen: int) -> None:
        self.limit, self.seen = limit, seen
        super().__init__(f"request body exceeds {limit} bytes (at least {seen} sent)")


class PayloadError(KetenlinkError):
    """A request body is not valid JSON or not valid Signal v1.

    ``issues`` are JSON-ready dicts: ``index`` (of the signal in a batch, else None), ``loc``,
    ``path``, ``msg`` and ``type``; they never carry the offending input.
    """

    def __init__(self, detail: str, issues: list[dict[str, object]]) -> None:
        self.detail, self.issues = detail, issues
        super().__init__(f"{detail} ({len(issues)} issue(s))")


class GatewayStartError(ServiceStartError):
    """The gateway cannot start: its address is taken, or the broker is unreachable."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__("gateway", host, port, reason)


class GatewayBenchError(KetenlinkError):
    """The gateway answered a benchmark request with something other than 202."""

    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail
        super().__init__(f"gateway answered {status} during the benchmark: {detail}")


class BenchError(KetenlinkError):
    """A step of the publishing benchmark failed."""

    def __init__(self, step: str, detail: str) -> None:
        self.step, self.detail = step, detail
        super().__init__(f"benchmark step {step!r} failed: {detail}")


class DeidentifyError(KetenlinkError):
    """De-identification cannot run (deduce missing or its lookup data unreadable): nothing may
    be published from a sensitive source until it can."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"de-identification unavailable: {detail}")
