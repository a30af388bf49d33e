"""The project's root exception; each top-level package subclasses it in its own exceptions.py."""


class KetenlinkError(Exception):
    """Root of every error Ketenlink raises on purpose.

    Subclasses carry the facts of the failure as attributes so that callers and
    structlog can report them without parsing the message.
    """
