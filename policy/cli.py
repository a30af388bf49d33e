"""``ketenlink partners ...``: read and change the partner registry at run time.

A change is written as the partner's full new entry to ``partners.registry`` (checked by the
same model as the file), recorded on ``audit.log`` with who made it (``--by``), and picked up by
every running router and deliverer without a restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from core.commands import command_settings

if TYPE_CHECKING:
    from policy.registry import PartnerEntry, Registry

commands = typer.Typer()
partners_app = typer.Typer(help="The partner registry: clearances, subscriptions, webhooks.",
                           no_args_is_help=True)
commands.add_typer(partners_app, name="partners")
By = Annotated[str, typer.Option("--by", help="Who makes the change (written to the audit log).")]
Many = Annotated[list[str] | None, typer.Option()]


@contextmanager
def _registry(ctx: typer.Context) -> Iterator[Registry]:
    from core.topics import topics_of
    from policy.live import LiveRegistry
    from policy.registry import load_registry

    settings = command_settings(ctx, None)
    with LiveRegistry(settings.kafka,
                      topics_of(settings).registry,
                      load_registry()) as live:
        live.catch_up(30.0)
        yield live.current()


def _change(ctx: typer.Context, partner: str, by: str, action: str,
            edit: Callable[[PartnerEntry], PartnerEntry | None]) -> None:
    """Apply ``edit`` to the partner's current entry, publish the result and audit it."""
    try:
        with _registry(ctx) as registry:
            new = edit(registry.entry(partner))
    except ValueError as exc:  # an entry the model refuses (a KetenlinkError: the root's hook)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    _publish(ctx, partner, by, action, new)


def _publish(ctx: typer.Context, partner: str, by: str, action: str,
             new: PartnerEntry | None) -> None:
    """Publish the partner's new entry (None: back to its seed entry) and audit it."""
    from policy.changes import record_change

    version = record_change(command_settings(ctx, None), partner, by, action, new)
    typer.echo(f"{partner}: {action} (registry version {version})")


def _replace(entry: PartnerEntry, **changes: object) -> PartnerEntry:
    """A new entry, validated as a whole (``model_copy`` would skip validation)."""
    from policy.registry import parse_entry

    doc = entry.model_dump(mode="json")
    doc.update(changes)
    doc.pop("partner_id")
    return parse_entry(entry.partner_id, doc, "change")


@partners_app.command("list")
def list_partners(ctx: typer.Context) -> None:
    """Every partner with its roles, clearance and subscriptions."""
    with _registry(ctx) as registry:
        typer.echo(f"registry version {registry.version}")
        for partner, entry in sorted(registry.entries.items()):
            subs = ", ".join(s.name for s in entry.subscriptions) or "-"
            hook = f"  webhook {entry.webhook.url}" if entry.webhook else ""
            typer.echo(f"{partner:20} {entry.source:15} roles {','.join(entry.roles) or '-'}; "
                       f"sees {','.join(entry.distributions) or '-'} / "
                       f"{','.join(entry.purposes) or '-'}; subscriptions {subs}{hook}")


@partners_app.command("show")
def show(ctx: typer.Context, partner: str) -> None:
    """One partner's entry as JSON."""
    with _registry(ctx) as registry:
        entry = registry.entry(partner)
        typer.echo(json.dumps(entry.model_dump(mode="json"), indent=2))


@partners_app.command("subscribe")
def subscribe(ctx: typer.Context, partner: str, name: str, by: By,
              municipality: Many = None, region: Many = None, category: Many = None,
              stage: Many = None, indicator: Many = None, watch: Many = None,
              role: Many = None,
              min_risk: Annotated[float | None, typer.Option()] = None,
              own_entities: Annotated[bool, typer.Option("--own-entities")] = False) -> None:
    """Add or replace the subscription ``name`` (filters combine with AND, repeated values OR)."""
    subscription = {"name": name, "municipalities": municipality or [], "regions": region or [],
                    "categories": category or [], "barrier_stages": stage or [],
                    "indicators": indicator or [], "watchlist": watch or [],
                    "subject_roles": role or [],
                    "min_risk": min_risk, "own_entities": own_entities}

    def edit(entry: PartnerEntry) -> PartnerEntry:
        others = [s.model_dump(mode="json") for s in entry.subscriptions if s.name != name]
        return _replace(entry, subscriptions=[*others, subscription])

    _change(ctx, partner, by, f"subscribe {name}", edit)


@partners_app.command("unsubscribe")
def unsubscribe(ctx: typer.Context, partner: str, name: str, by: By) -> None:
    """Remove the subscription ``name``."""
    def edit(entry: PartnerEntry) -> PartnerEntry:
        if name not in {s.name for s in entry.subscriptions}:
            raise ValueError(f"{partner} has no subscription {name!r}")
        return _replace(entry, subscriptions=[s.model_dump(mode="json")
                                              for s in entry.subscriptions if s.name != name])

    _change(ctx, partner, by, f"unsubscribe {name}", edit)


@partners_app.command("webhook")
def webhook(ctx: typer.Context, partner: str, by: By,
            url: Annotated[str | None, typer.Option(help="https://… (http on loopback)")] = None,
            max_attempts: Annotated[int, typer.Option()] = 8,
            remove: Annotated[bool, typer.Option("--remove")] = False) -> None:
    """Set or remove the partner's webhook."""
    if (url is None) == (not remove):
        typer.echo("error: give --url or --remove", err=True)
        raise typer.Exit(code=2)

    def edit(entry: PartnerEntry) -> PartnerEntry:
        return _replace(entry, webhook=None if remove else
                        {"url": url, "max_attempts": max_attempts})

    _change(ctx, partner, by, "webhook removed" if remove else "webhook set", edit)


@partners_app.command("enable")
def enable(ctx: typer.Context, partner: str, by: By) -> None:
    """Switch on a kind:instance partner that is not on yet (a municipality joining the
    covenant: ``gemeente:GM0772``): its entry from the kind's template in policy/partners.yaml,
    its delivery topic created first. ``reset`` switches it off again."""
    from policy.changes import switch_on

    with _registry(ctx) as registry:
        if partner in registry.entries:
            typer.echo(f"error: {partner} is on already (registry version {registry.version})",
                       err=True)
            raise typer.Exit(code=1)
        done = switch_on(command_settings(ctx, None), registry, partner, by)
    typer.echo(f"{partner}: enabled, delivery topic {'created' if done.topic_created else 'present'}"
               f" (registry version {done.version})")


@partners_app.command("reset")
def reset(ctx: typer.Context, partner: str, by: By) -> None:
    """Drop the run-time changes of a partner: back to its entry in policy/partners.yaml."""
    _change(ctx, partner, by, "reset", lambda entry: None)
