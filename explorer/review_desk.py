"""The merge-review desk: an analyst confirms or rejects a possible duplicate.

A decision is audited first, then sent to the resolver as a judgement on
``resolver.judgements`` (keyed by the entity pair, acknowledged by Kafka), then recorded on the
review candidate in Neo4j. The resolver honours it from then on: ``confirm`` merges the two
entities (the merge reaches the graph through ``entities.merges``), ``reject`` keeps them apart
for good. A judgement Kafka did not acknowledge leaves the candidate open (audited ``failed``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import structlog
from kafka.errors import KafkaError
from neo4j import Driver

from core.audit import AuditLog, RecordPublisher
from core.exceptions import KetenlinkError
from explorer.exceptions import JudgementNotSentError, ReviewDecidedError, UnknownReviewError
from graph.analyst import cypher
from graph.analyst.model import ReviewCandidate
from graph.queries import AnalystQueries
from policy.clearance import Caller

log = structlog.get_logger(__name__)

Verdict = Literal["confirm", "reject"]
DECIDED = {"confirm": "confirmed", "reject": "rejected"}


@dataclass(frozen=True)
class Decision:
    review_id: str
    status: str
    decided_by: str
    decided_at: datetime


class ReviewDesk:
    """List open candidates (``AnalystQueries.reviews``) and decide them."""

    def __init__(self, queries: AnalystQueries, driver: Driver, database: str, audit: AuditLog,
                 publisher: RecordPublisher, judgements_topic: str) -> None:
        self._queries, self._driver, self._database = queries, driver, database
        self._audit, self._publisher, self._topic = audit, publisher, judgements_topic

    def open_reviews(self, caller: Caller, entity_id: str | None = None
                     ) -> tuple[ReviewCandidate, ...]:
        """The open candidates, highest score first (about ``entity_id`` when given)."""
        return self._queries.reviews(caller, entity_id=entity_id)

    def decide(self, caller: Caller, review_id: str, verdict: Verdict) -> Decision:
        """Audit, send the judgement, record it. ``UnknownReviewError``, ``ReviewDecidedError``
        or ``JudgementNotSentError`` when it cannot be done."""
        action = f"reviews.{verdict}"
        found = self._queries.reviews(caller, review_id=review_id, limit=1)
        if not found:
            self._record(caller, action, {"review_id": review_id}, "not-found")
            raise UnknownReviewError(review_id)
        review = found[0]
        params = {"review_id": review_id, "a": review.a.entity_id, "b": review.b.entity_id,
                  "score": review.score}
        if review.status != "open":
            self._record(caller, action, params, "refused")
            raise ReviewDecidedError(review_id, review.status)
        self._record(caller, action, params, "ok")  # before the judgement: none unaudited
        judgement = {"a": review.a.entity_id, "b": review.b.entity_id, "verdict": verdict,
                     "analyst": caller.analyst, "partner": caller.partner_id,
                     "review_id": review_id}
        key = "|".join(sorted((review.a.entity_id, review.b.entity_id))).encode()
        try:
            self._publisher.publish(self._topic, key, json.dumps(judgement).encode())
        except (KetenlinkError, KafkaError, OSError) as exc:
            self._record(caller, action, {**params, "error": repr(exc)}, "failed")
            raise JudgementNotSentError(review_id, self._topic, exc) from exc
        now = datetime.now(UTC)
        with self._driver.session(database=self._database) as session:
            session.execute_write(lambda tx: tx.run(
                cypher.DECIDE_REVIEW, review_id=review_id, status=DECIDED[verdict],
                analyst=caller.analyst, partner=caller.partner_id, at=now).consume())
        log.info("reviews.decided", review_id=review_id, verdict=verdict, analyst=caller.analyst,
                 a=review.a.entity_id, b=review.b.entity_id)
        return Decision(review_id, DECIDED[verdict], caller.analyst, now)

    def _record(self, caller: Caller, action: str, params: dict[str, object], outcome: str
                ) -> None:
        self._audit.record(caller.analyst, caller.partner_id, action, params,
                           1 if outcome == "ok" else 0, outcome)
