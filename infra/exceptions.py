"""Errors of the local stack; each message says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

from core.exceptions import KetenlinkError


class InfraError(KetenlinkError):
    """Something about the local stack (tools, downloads, servers, topics) went wrong."""


class ToolMissingError(InfraError):
    """A program the stack needs (java, javac, mvn) is missing or too old."""

    def __init__(self, tool: str, hint: str) -> None:
        self.tool = tool
        self.hint = hint
        super().__init__(f"{tool} is not available: {hint}")


class PortInUseError(InfraError):
    """The port a server should listen on is taken by a process the stack did not start."""

    def __init__(self, service: str, host: str, port: int, setting: str) -> None:
        self.service, self.host, self.port, self.setting = service, host, port, setting
        super().__init__(
            f"{service} cannot start: {host}:{port} is already in use by another process; "
            f"stop that process or set {setting} to a free port."
        )


class DownloadError(InfraError):
    """Maven could not fetch a server runtime from Maven Central."""

    def __init__(self, artifact: str, log_path: Path, tail: str) -> None:
        self.artifact, self.log_path, self.tail = artifact, log_path, tail
        super().__init__(
            f"downloading {artifact} from Maven Central failed; check the network or the Maven "
            f"settings (~/.m2/settings.xml) and see {log_path}. Last lines:\n{tail}"
        )


class ServerStartError(InfraError):
    """A server process exited or never became ready."""

    def __init__(self, service: str, reason: str, log_path: Path, tail: str) -> None:
        self.service, self.reason, self.log_path, self.tail = service, reason, log_path, tail
        super().__init__(f"{service} did not start: {reason}; see {log_path}. Last lines:\n{tail}")



class BrowserSetupError(InfraError):
    """Chromium for the browser tests could not be installed or does not run."""

    def __init__(self, command: str, tail: str) -> None:
        self.command, self.tail = command, tail
        super().__init__(
            f"setting up Chromium failed at `{command}`; run it yourself (apt-get as root) to see why, "
            f"e.g. no network, a held apt lock or a full disk. Last lines:\n{tail}"
        )
