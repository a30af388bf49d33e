"""``ketenlink erase`` and ``ketenlink retention purge``: a person erased from the graph on
request, and expired signals purged by the retention policy; both audited, both suppressed on
Kafka so that every replay skips what they removed."""

from __future__ import annotations

from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
retention_app = typer.Typer(help="Retention per source partner and purpose "
                                 "(policy/retention.yaml).", no_args_is_help=True)
commands.add_typer(retention_app, name="retention")


@commands.command("erase")
def erase(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (the request, its reference); audited.")],
    actor: Annotated[str, typer.Option(help="Who erases (an analyst); audited.")],
    bsn: Annotated[str | None, typer.Option(help="The person's BSN, or '-' to read it from "
                                                 "stdin (keeps it out of argv and history); "
                                                 "only its keyed pseudonym is used.")] = None,
    pseudonym: Annotated[str | None, typer.Option(help="A bsn- or patient-pseudonym "
                                                       "(ps1:<64 hex>).")] = None,
    entity_id: Annotated[list[str] | None, typer.Option(
        "--entity-id", help="A person's entity id instead (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change "
                                                            "nothing.")] = False,
) -> None:
    """Erase a pseudonymised person from the graph: their nodes (merges followed), mentions and
    edges, the signals only about them; audited with actor, reason and pseudonym (never a BSN).
    Refused while an alert is about them. Before the graph commits, the person's entities,
    pseudonym and deleted signals are written to the suppressions topic, which the sink, the
    router, the alert engine and the resolve stage honour on every replay (graph/erasure.py)."""
    import re
    import sys

    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import topics_of
    from graph.erasure import Erasure, entities_with_identifier
    from policy.suppression import SuppressionWriter
    from producers.pseudonym import Pseudonymiser

    settings = command_settings(ctx)
    if sum(x is not None for x in (bsn, pseudonym, entity_id)) != 1:
        typer.echo("error: give exactly one of --bsn, --pseudonym, --entity-id", err=True)
        raise typer.Exit(code=1)
    if bsn is not None:
        clear = sys.stdin.readline().strip() if bsn == "-" else bsn
        try:
            pseudonym = Pseudonymiser(settings.pseudonym_key).bsn(clear)
        except ValueError:
            typer.echo("error: --bsn is not a valid BSN (elfproef)", err=True)
            raise typer.Exit(code=1) from None
        del clear
    if pseudonym is not None and not re.fullmatch(r"ps1:[0-9a-f]{64}", pseudonym):
        typer.echo("error: --pseudonym must look like ps1:<64 hex digits>", err=True)
        raise typer.Exit(code=1)
    records = 0
    layout = topics_of(settings)
    if pseudonym is not None:
        ids, records = entities_with_identifier(settings.kafka, layout.resolved, pseudonym)
        subject = pseudonym
    else:
        ids = set(entity_id or ())
        subject = "entity:" + ",".join(sorted(ids))
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
            Publisher(settings.kafka, client_id="ketenlink-erase") as publisher:
        suppressor = SuppressionWriter(publisher, layout.suppressions)
        report = Erasure(driver, settings.neo4j.database, audit, suppressor).erase(
            ids, subject, reason, actor, dry_run=dry_run, resolved_records=records)
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{subject}: {verb} {len(report.entity_ids)} person node(s) "
               f"{', '.join(report.entity_ids) or '(none in the graph)'}, {report.mentions} "
               f"mentions, {report.relations} relation edges, {report.signals_deleted} signals "
               f"only about them ({report.signals_kept} kept without them), {report.entities} "
               f"other entities, {report.review_candidates} review candidates")
    if report.suppressions:
        typer.echo(f"suppressed on Kafka: {report.suppressions} entity/pseudonym/signal key(s); "
                   f"the {records} record(s) on signals.resolved carrying the pseudonym stay "
                   "there but every reader skips them")
    if records:
        typer.echo("note: copies already delivered to partners (deliveries.<partner>, "
                   "webhooks) cannot be recalled")


@retention_app.command("purge")
def retention_purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change "
                                                            "nothing.")] = False,
    now: Annotated[str | None, typer.Option(help="ISO time with zone to judge expiry at "
                                                 "(default: the current time).")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Signals examined per transaction.")] = 500,
) -> None:
    """Delete expired signals with their edges, then the entities no signal mentions any more;
    one audit entry per run (actor retention-purge, the policy version, the counts)."""
    from datetime import UTC, datetime

    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import topics_of
    from graph.purge import RetentionPurge
    from policy.retention import load_retention
    from policy.suppression import SuppressionWriter

    settings = command_settings(ctx)
    try:
        at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        typer.echo(f"error: --now {now!r} is not an ISO time", err=True)
        raise typer.Exit(code=1) from None
    if at.tzinfo is None:
        typer.echo("error: --now needs a time zone, e.g. 2027-01-01T00:00:00+00:00", err=True)
        raise typer.Exit(code=1)
    policy = load_retention()
    topic = topics_of(settings).suppressions
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
            Publisher(settings.kafka, client_id="ketenlink-retention") as publisher:
        report = RetentionPurge(driver, settings.neo4j.database, policy, audit,
                                SuppressionWriter(publisher, topic),
                                batch_size=batch).run(at, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"policy {report.policy_version} at {report.now}: {report.examined} signals "
               f"examined, {report.kept_for_alerts} expired but kept as alert evidence; {verb} "
               f"{report.signals} signals, {report.mentions} mentions, {report.relations} "
               f"relation edges ({report.relations_updated} kept with less provenance), "
               f"{report.entities} entities, {report.review_candidates} review candidates; "
               f"{report.suppressions} signals suppressed on Kafka (replays skip them)")
