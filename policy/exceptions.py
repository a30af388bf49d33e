"""Errors of the policy layer."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class PolicyError(KetenlinkError):
    """A clearance cannot be built or does not allow what was asked."""


class ClearanceError(PolicyError):
    """A clearance (in the partner file or built in code) is malformed; ``where`` names it."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}")


class UnknownPartnerError(PolicyError):
    """No clearance is declared for this partner id."""

    def __init__(self, partner: str, known: tuple[str, ...]) -> None:
        self.partner, self.known = partner, known
        super().__init__(f"no clearance for partner {partner!r}; known: {', '.join(known)}")


class RoleRequiredError(PolicyError):
    """The caller's partner lacks the role an action needs (e.g. ``analyst`` for graph queries)."""

    def __init__(self, partner: str, role: str) -> None:
        self.partner, self.role = partner, role
        super().__init__(f"partner {partner!r} does not have the {role!r} role")


class RetentionPolicyError(PolicyError):
    """The retention policy file is malformed; ``where`` names the file, ``problem`` what."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}")


class SuppressionError(PolicyError):
    """A suppression cannot be read or written: ``topic`` and ``problem`` say where and what."""

    def __init__(self, topic: str, problem: str) -> None:
        self.topic, self.problem = topic, problem
        super().__init__(f"{topic}: {problem}")
