"""The project's root exception, and the errors of the ground floor (Kafka publishing and reading,
the topic spec, HTTP serving); each other package subclasses the root in its own exceptions.py."""


class KetenlinkError(Exception):
    """Root of every error Ketenlink raises on purpose.

    Subclasses carry the facts of the failure as attributes so that callers and
    structlog can report them without parsing the message.
    """


class ServiceStartError(KetenlinkError):
    """An HTTP service cannot start: its address is taken, or a server it needs is unreachable."""

    def __init__(self, service: str, host: str, port: int, reason: str) -> None:
        self.service, self.host, self.port, self.reason = service, host, port, reason
        super().__init__(f"the {service} cannot start on {host}:{port}: {reason}")


class PublishError(KetenlinkError):
    """The broker did not acknowledge a record; it must not be reported as published."""

    def __init__(self, topic: str, key: bytes | None, cause: Exception) -> None:
        self.topic, self.key, self.cause = topic, key, cause
        super().__init__(f"publishing to {topic} (key {key!r}) failed: {cause}")


class TopicSpecError(KetenlinkError):
    """The declarative topic spec is invalid or cannot be applied to the broker."""

    def __init__(self, topic: str, problem: str) -> None:
        self.topic, self.problem = topic, problem
        super().__init__(f"topic {topic!r}: {problem}")


class TopicMissingError(TopicSpecError):
    """A topic to be read does not exist on the broker: the spec was not applied to it."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic, "does not exist")


class TopicBehindError(KetenlinkError, TimeoutError):
    """A topic was not read to its end offset in time; ``problem`` says how far and how long."""

    def __init__(self, topic: str, end: int, timeout_s: float) -> None:
        self.topic, self.end, self.timeout_s = topic, end, timeout_s
        self.problem = f"not read to offset {end} in {timeout_s} s"
        super().__init__(f"{topic}: {self.problem}")
