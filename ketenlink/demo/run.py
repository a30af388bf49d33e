"""The demo end to end: stack, scenario, services, publishing, the wait, the summary, then the
explorer until Ctrl-C."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from core.http_serving import base_url
from core.settings import Settings
from core.topics import topics_of
from infra.bootstrap import bootstrap
from infra.stack import Stack
from ketenlink.demo.pipeline import await_pipeline, end_offsets
from ketenlink.demo.scenario import (
    DEMO_LOGIN,
    VIA_GATEWAY,
    fresh_login,
    fresh_token,
    generate_scenario,
    publish,
)
from ketenlink.demo.services import Services, interruptible, start_services, wait_for_interrupt
from ketenlink.demo.summary import DemoSummary, summarise


def run_demo(settings: Settings, echo: Callable[[str], None], wait: bool = True) -> DemoSummary:
    """Run the main job end to end and print what happened; with ``wait``, keep the services
    running (the explorer to look around in) until Ctrl-C."""
    started = time.monotonic()
    interruptible()
    echo("== Ketenlink demo ==")
    for status in Stack(settings).up():
        echo(f"  {status.name:<6} {status.state} at {status.address} (v{status.version})")
    bootstrap(settings)
    layout = topics_of(settings)
    run_id = "demo-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    scenario = generate_scenario(settings, run_id, echo)
    tokens = {partner: fresh_token(settings, partner) for partner in VIA_GATEWAY}
    password = fresh_login(settings)
    explorer_url = base_url(settings.explorer.host, settings.explorer.port,
                            settings.explorer.tls)
    with Services(settings.var_dir / "log") as services:
        gateway_url = start_services(settings, services, explorer_url, echo)
        before = end_offsets(settings, [layout.normalised,
                                        layout.resolved])
        published = publish(settings, layout, scenario, tokens, gateway_url, run_id, echo)
        resolved = await_pipeline(settings, layout, run_id, published, before, services, echo)
        summary = summarise(settings, layout, scenario, published, resolved, echo)
        echo(f"(the run took {time.monotonic() - started:.0f} s)")
        if wait:
            echo(f"Explorer: {explorer_url} — log in as {DEMO_LOGIN} / {password}. Ctrl-C stops "
                 "the demo's processes (the stack keeps running: `ketenlink stack down`).")
            wait_for_interrupt(services)
    if not wait:
        echo(f"Explorer login: {DEMO_LOGIN} / {password} — serve it with `ketenlink explorer "
             f"serve` ({explorer_url}). The stack keeps running: `ketenlink stack down`.")
    return summary
