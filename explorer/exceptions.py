"""Errors of the analyst explorer."""

from __future__ import annotations

from pathlib import Path

from core.exceptions import KetenlinkError


class ExplorerError(KetenlinkError):
    """Something about the analyst explorer went wrong."""


class AccountFileError(ExplorerError):
    """The analyst account file cannot be read or written."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"analyst accounts {path}: {problem}")


class AccountError(ExplorerError):
    """An account cannot be created or changed as asked (unknown partner, no analyst role,
    a name taken or malformed)."""

    def __init__(self, username: str, problem: str) -> None:
        self.username, self.problem = username, problem
        super().__init__(f"analyst account {username!r}: {problem}")


class ReviewError(ExplorerError):
    """A merge-review decision cannot be taken."""


class UnknownReviewError(ReviewError):
    """No review candidate with this id is visible to the caller (absent, decided into one
    entity, or proposed only by signals the caller may not see: deliberately the same answer)."""

    def __init__(self, review_id: str) -> None:
        self.review_id = review_id
        super().__init__(f"unknown review {review_id!r}")


class ReviewDecidedError(ReviewError):
    """The candidate was decided already."""

    def __init__(self, review_id: str, status: str) -> None:
        self.review_id, self.status = review_id, status
        super().__init__(f"review {review_id} was {status} already")


class JudgementNotSentError(ReviewError):
    """The analyst's judgement was not acknowledged by Kafka; nothing was recorded as decided."""

    def __init__(self, review_id: str, topic: str, cause: Exception) -> None:
        self.review_id, self.topic, self.cause = review_id, topic, cause
        super().__init__(f"review {review_id}: the judgement was not acknowledged on {topic} "
                         f"({type(cause).__name__})")
