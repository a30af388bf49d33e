"""Errors of the OM alerts: rule configuration, the engine and the release desk."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class AlertError(KetenlinkError):
    """Something about an OM alert went wrong."""


class RulesError(AlertError):
    """The rules file cannot be used; ``where`` names the file, ``problem`` what is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}")


class UnknownAlertError(AlertError):
    """No alert with this id is in the graph."""

    def __init__(self, alert_id: str) -> None:
        self.alert_id = alert_id
        super().__init__(f"unknown alert {alert_id!r}")


class AlertInputError(AlertError):
    """A release command was given a value it cannot use (an alert id, a reason, a status)."""

    def __init__(self, parameter: str, value: object, problem: str) -> None:
        self.parameter, self.value, self.problem = parameter, value, problem
        super().__init__(f"{parameter}={value!r}: {problem}")


class NotReviewerError(AlertError):
    """Only the analysts of the configured reviewing partner release or reject alerts."""

    def __init__(self, partner: str, reviewer: str) -> None:
        self.partner, self.reviewer = partner, reviewer
        super().__init__(f"partner {partner!r} is not the alert reviewer; alerts are reviewed by "
                         f"{reviewer!r}")


class AlertStateError(AlertError):
    """The alert is not in a state that allows the action (e.g. approving a rejected alert)."""

    def __init__(self, alert_id: str, status: str, version: int, action: str) -> None:
        self.alert_id, self.status, self.version, self.action = alert_id, status, version, action
        super().__init__(f"alert {alert_id} version {version} is {status}; only a proposed alert "
                         f"can be {action}")


class AlertConflictError(AlertError):
    """The alert changed between the engine's read and its write (a release ran meanwhile, or a
    second engine); the batch is evaluated again."""

    def __init__(self, alert_ids: tuple[str, ...]) -> None:
        self.alert_ids = alert_ids
        super().__init__(f"alert(s) changed while being updated: {', '.join(alert_ids)}")


class ReleaseError(AlertError):
    """An approved dossier could not be published to the OM topic; the alert stays proposed."""

    def __init__(self, alert_id: str, version: int, topic: str, cause: Exception) -> None:
        self.alert_id, self.version, self.topic, self.cause = alert_id, version, topic, cause
        super().__init__(f"alert {alert_id} version {version} not published to {topic}: {cause}")


class GraphBehindError(AlertError):
    """The graph sink has not yet written what a batch carries (signals at their revision,
    merge redirects); the batch is evaluated later, its offsets uncommitted."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        super().__init__(f"not yet in the graph: {shown}")
