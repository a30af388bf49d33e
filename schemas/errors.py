"""Readable, field-level descriptions of contract violations."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (a dotted path such as ``subjects.0.address.postcode``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def field_errors(exc: ValidationError) -> list[FieldError]:
    """The errors of a failed validation, one per broken rule, with tagged-union noise removed."""
    out = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        # Discriminated unions add the tag ("person", "phone", ...) to the path; keep it readable.
        path = ".".join(loc)
        message = error["msg"].removeprefix("Value error, ")
        out.append(FieldError(path, message))
    return out


def describe(exc: ValidationError) -> str:
    """All field errors on one line, e.g. for a rejects file."""
    return "; ".join(str(e) for e in field_errors(exc))
