"""The demo's child processes: started, watched, waited for over HTTP, and stopped on the way
out whatever ends the demo (Ctrl-C included)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from core.http_serving import base_url
from core.service_processes import ServiceProcess
from core.settings import Settings
from ketenlink.demo.errors import DemoError

SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker", ()), ("sink", ()), ("router", ()), ("alerts", ("run",)), ("gateway", ()),
    ("explorer", ("serve",)))
"""The child processes, in start order (``python -m ketenlink <command> <args>``)."""
STARTUP_TIMEOUT_S = 30.0


class Services:
    """The demo's child processes: started one by one, stopped in reverse order when the
    ``with`` ends — normally, on an error or on Ctrl-C. While they stop, Ctrl-C is ignored, so
    that a second one cannot cut the stopping short and leave a process behind."""

    def __init__(self, log_dir: Path, env: Mapping[str, str] | None = None) -> None:
        # env: settings overrides for every child (the scenario runner's topic prefix, app id)
        self.log_dir, self.env = log_dir, dict(env or {})
        self.started: dict[str, ServiceProcess] = {}

    def start(self, command: str, args: Sequence[str] = ()) -> ServiceProcess:
        service = ServiceProcess(command, self.log_dir / f"{command}.log", env=self.env,
                                 args=args)
        self.started[command] = service  # before it runs: stopped on exit even if start is cut
        return service.start()

    def check(self) -> None:
        """Raise ``DemoError`` if a child process has exited."""
        for name, service in self.started.items():
            if service.returncode is not None:
                tail = service.log_file.read_text(errors="replace")[-800:]
                raise DemoError(f"the {name} exited with code {service.returncode}; the end of "
                                f"{service.log_file}:\n{tail}")

    def __enter__(self) -> Services:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if threading.current_thread() is not threading.main_thread():
            self._stop_all()
            return
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._stop_all()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)

    def _stop_all(self) -> None:
        for service in reversed(list(self.started.values())):
            service.stop()


def start_services(settings: Settings, services: Services, explorer_url: str,
                   echo: Callable[[str], None]) -> str:
    """Start the child processes, wait for the gateway and the explorer; the gateway's URL."""
    for command, args in SERVICES:
        services.start(command, args)
    gateway_url = base_url(settings.gateway.host, settings.gateway.port, settings.gateway.tls)
    wait_until_up("gateway", f"{gateway_url}/openapi.json", services)
    wait_until_up("explorer", f"{explorer_url}/healthz", services)
    echo(f"  worker, sink, router, alert engine, gateway ({gateway_url}) and explorer "
         f"({explorer_url}) started; logs in {services.log_dir}")
    return gateway_url


def wait_until_up(name: str, url: str, services: Services,
                  timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Until ``url`` answers 200; ``DemoError`` if a child exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        services.check()
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise DemoError(f"the {name} did not answer at {url} within {timeout_s:.0f} s; see "
                    f"{services.log_dir / name}.log")


def interruptible() -> None:
    """Make SIGINT raise ``KeyboardInterrupt`` also when the demo was started with it ignored
    (a shell starts background jobs so: ``ketenlink demo &``, then ``kill -INT``). The child
    processes started afterwards then get the default disposition too."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def wait_for_interrupt(services: Services) -> None:
    """Until Ctrl-C (KeyboardInterrupt); ``DemoError`` if a child process exits meanwhile."""
    while True:
        services.check()
        time.sleep(1.0)
