"""Errors of the synthetic data generator."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class GenerateError(KetenlinkError):
    """The generator cannot do what it was asked (bad arguments, unusable output folder)."""


class TooFewSignalsError(GenerateError):
    """``signals`` is below the smallest export that still holds every partner and ring."""

    def __init__(self, signals: int, minimum: int) -> None:
        self.signals, self.minimum = signals, minimum
        super().__init__(f"--signals {signals} is too few: at least {minimum} are needed to give "
                         "every partner file records and every ring a trace")


class OutputDirError(GenerateError):
    """The output folder cannot be created or written."""

    def __init__(self, path: str, cause: Exception) -> None:
        self.path, self.cause = path, cause
        super().__init__(f"cannot write the generated files to {path}: {cause}")


class ExhaustedError(GenerateError):
    """A space of distinct identifiers (plates, BSNs, ...) has no unused value left."""

    def __init__(self, space: str, size: int) -> None:
        self.space, self.size = space, size
        super().__init__(f"all {size} distinct {space} values are used; lower --signals")
