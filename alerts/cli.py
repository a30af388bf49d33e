"""``ketenlink alerts ...``: the alert engine and the reviewer's release commands.

``run`` is a service (until SIGTERM / Ctrl-C). ``list``, ``show``, ``approve`` and ``reject`` act
as an analyst (``--analyst``) of a partner (``--partner``, default: the reviewer in the rules
file) and are written to the audit log before they print.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from core.commands import command_settings

if TYPE_CHECKING:
    from alerts.config import AlertRules
    from alerts.release import AlertDesk
    from policy.clearance import Caller

commands = typer.Typer()
alerts_app = typer.Typer(help="OM alerts: the rule engine and the analysts' release step.",
                         no_args_is_help=True)
commands.add_typer(alerts_app, name="alerts")

T = TypeVar("T")
RulesFile = Annotated[Path | None, typer.Option("--rules", exists=True, dir_okay=False,
                                                help="Rules file (default: alerts/rules.yaml).")]
Analyst = Annotated[str, typer.Option("--analyst", help="Who acts (written to the audit log).")]
Partner = Annotated[str | None, typer.Option("--partner",
                                             help="The analyst's partner (default: the "
                                                  "reviewer in the rules file).")]
AlertId = Annotated[str, typer.Argument(help="The alert id (AL-...).")]
Version = Annotated[int | None, typer.Option("--version",
                                             help="The version you read; refused if newer.")]


@alerts_app.command("run")
def run(ctx: typer.Context, rules_file: RulesFile = None) -> None:
    """Evaluate the alert rules as resolved signals reach the graph; propose dossiers on
    alerts.om.proposed. Runs until SIGTERM / Ctrl-C."""
    from alerts.engine_process import run_alert_engine

    run_alert_engine(command_settings(ctx, "alerts"), rules_file)


@contextmanager
def _desk(ctx: typer.Context, analyst: str, partner: str | None
          ) -> Iterator[tuple[AlertDesk, Caller, AlertRules]]:
    from alerts.config import load_rules
    from alerts.release import AlertDesk
    from alerts.store import AlertStore
    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import topics_of
    from policy.clearance import Caller
    from policy.registry import clearance_for, load_registry

    settings = command_settings(ctx, None)
    rules = load_rules()
    acting = partner or rules.reviewer
    caller = Caller(analyst, acting, clearance_for(acting))
    released = topics_of(settings).alerts_released
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
            Publisher(settings.kafka, client_id="ketenlink-alerts-release") as publisher:
        yield (AlertDesk(AlertStore(driver, settings.neo4j.database, load_registry()), audit,
                         publisher, released, rules), caller, rules)


def _act(ctx: typer.Context, analyst: str, partner: str | None,
         action: Callable[[AlertDesk, Caller], T]) -> T:
    with _desk(ctx, analyst, partner) as (desk, caller, _):
        return action(desk, caller)


@alerts_app.command("list")
def list_alerts(
    ctx: typer.Context, analyst: Analyst, partner: Partner = None,
    status: Annotated[str | None, typer.Option(help="proposed, approved or rejected.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Alerts, most recently updated first."""
    found = _act(ctx, analyst, partner, lambda d, c: d.list(c, status, limit))
    for alert in found:
        if as_json:
            doc = alert.to_json()
            doc.pop("dossier")
            typer.echo(json.dumps(doc, ensure_ascii=False))
            continue
        updated = alert.updated_at.isoformat(timespec="seconds") if alert.updated_at else "-"
        typer.echo(f"{alert.alert_id}  {alert.status:<9} v{alert.version:<3} "
                   f"score {alert.score or 0:>6.1f}  {','.join(alert.rules):<40} "
                   f"{alert.anchor}  {updated}")
    if not found:
        typer.echo("no alerts", err=True)


@alerts_app.command("show")
def show(ctx: typer.Context, alert_id: AlertId, analyst: Analyst, partner: Partner = None
         ) -> None:
    """One alert: its state, earlier decisions and the current version's dossier (JSON)."""
    found = _act(ctx, analyst, partner, lambda d, c: d.show(c, alert_id))
    typer.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))


@alerts_app.command("approve")
def approve(
    ctx: typer.Context, alert_id: AlertId, analyst: Analyst, partner: Partner = None,
    note: Annotated[str | None, typer.Option(help="Kept with the release.")] = None,
    version: Version = None,
) -> None:
    """Release the proposed dossier to the OM (alerts.om): the logged decision to use the
    evidence for criminal law."""
    done = _act(ctx, analyst, partner, lambda d, c: d.approve(c, alert_id, note, version))
    where = f" at {done.where.topic}[{done.where.partition}]@{done.where.offset}" \
        if done.where else ""
    typer.echo(f"{alert_id} version {done.document['version']} approved and released{where}")


@alerts_app.command("reject")
def reject(
    ctx: typer.Context, alert_id: AlertId, analyst: Analyst,
    reason: Annotated[str, typer.Option(help="Why (kept with the alert and in the audit log).")],
    partner: Partner = None, version: Version = None,
) -> None:
    """Reject the proposed alert; nothing goes to the OM. New evidence proposes it again."""
    done = _act(ctx, analyst, partner, lambda d, c: d.reject(c, alert_id, reason, version))
    typer.echo(f"{alert_id} version {done.version} {done.status}")
