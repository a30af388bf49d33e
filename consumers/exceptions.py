"""Errors of the consumers."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class ConsumerError(KetenlinkError):
    """A consumer could not move records to their destination."""


class WebhookError(ConsumerError):
    """Webhook delivery (``ketenlink deliver``) cannot go on as configured."""


class WebhookSecretError(WebhookError):
    """The webhook secrets file cannot be read or written; fix or restore it."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"webhook secrets file {path}: {problem}")


class MissingWebhookSecretError(WebhookError):
    """A partner has a webhook in the registry but no signing secret; it is not delivered to."""

    def __init__(self, partner: str, path: object) -> None:
        self.partner, self.path = partner, path
        super().__init__(f"partner {partner!r} has a webhook but no secret in {path}; "
                         f"create one with `ketenlink deliver secret {partner}`")


class UnknownRecipientError(WebhookError):
    """The partner has no delivery topic (``recipients`` in core/topics.yaml)."""

    def __init__(self, partner: str, known: tuple[str, ...]) -> None:
        self.partner, self.known = partner, known
        super().__init__(f"partner {partner!r} has no delivery topic; recipients: "
                         f"{', '.join(known)}")

