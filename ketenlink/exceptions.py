"""The project's root exception; each top-level package subclasses it in its own exceptions.py."""


class KetenlinkError(Exception):
    """Root of every error Ketenlink raises on purpose.

    Subclasses carry the facts of the failure as attributes so that callers and
    structlog can report them without parsing the message.
    """


class ServerStartError(KetenlinkError):
    """An HTTP service cannot start: its address is taken, or a server it needs is unreachable."""

    def __init__(self, service: str, host: str, port: int, reason: str) -> None:
        self.service, self.host, self.port, self.reason = service, host, port, reason
        super().__init__(f"the {service} cannot start on {host}:{port}: {reason}")
