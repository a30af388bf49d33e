"""``ketenlink graph ...``: the analyst queries on the command line.

Every command runs as an analyst (``--analyst``) of a partner (``--as-partner``, whose clearance
comes from ``policy/partners.yaml``), is audited on ``audit.log`` before it prints, and prints a
readable summary or, with ``--json``, the full result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from core.commands import command_settings

if TYPE_CHECKING:
    from graph.analyst.model import Link
    from graph.analyst.params import Filters
    from graph.queries import AnalystQueries
    from policy.clearance import Caller

commands = typer.Typer()
graph_app = typer.Typer(help="Analyst queries on the network graph (audited, clearance-filtered).",
                        no_args_is_help=True)
commands.add_typer(graph_app, name="graph")

T = TypeVar("T")
Partner = Annotated[str, typer.Option("--as-partner", help="The partner whose clearance applies.")]
Analyst = Annotated[str, typer.Option("--analyst", help="Who asks (written to the audit log).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")]
Limit = Annotated[int, typer.Option(help="At most this many results / entities.")]
Since = Annotated[str | None, typer.Option(help="Only signals observed from (ISO date/time).")]
Until = Annotated[str | None, typer.Option(help="Only signals observed before (ISO date/time).")]


@contextmanager
def _queries(ctx: typer.Context, partner: str, analyst: str
             ) -> Iterator[tuple[AnalystQueries, Caller]]:
    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from graph.queries import AnalystQueries
    from policy.clearance import Caller
    from policy.registry import clearance_for, load_registry

    settings = command_settings(ctx, None)
    registry = load_registry()
    caller = Caller(analyst, partner, clearance_for(partner, registry.clearances))
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit:
        yield AnalystQueries(driver, settings.neo4j.database, audit, registry), caller


def _run(ctx: typer.Context, partner: str, analyst: str, as_json: bool,
         query: Callable[[AnalystQueries, Caller], T], render: Callable[[T], list[str]]) -> None:
    with _queries(ctx, partner, analyst) as (queries, caller):
        result = query(queries, caller)
    if as_json:
        typer.echo(json.dumps(_json(result), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(render(result)))


def _json(result: Any) -> Any:
    if isinstance(result, tuple):
        return [_json(r) for r in result]
    return result.to_json()


def _filters(since: str | None = None, until: str | None = None,
             partners: list[str] | None = None, categories: list[str] | None = None,
             roles: list[str] | None = None) -> Filters:
    from graph.analyst.params import Filters

    def as_set(values: list[str] | None) -> frozenset[str] | None:
        return frozenset(values) if values else None

    return Filters(since=since, until=until, partners=as_set(partners),  # type: ignore[arg-type]
                   categories=as_set(categories), roles=as_set(roles))


def _day(value: Any) -> str:
    return value.date().isoformat() if value is not None else "-"


def _link(item: Link) -> str:
    arrow = f"-[{item.kind}]-" if item.kind == "CO_MENTIONED" else f"-[{item.kind}]->"
    return (f"{item.source} {arrow} {item.target}  {len(item.signal_ids)} signal(s) "
            f"({', '.join(item.partners)}) {_day(item.first_seen)}..{_day(item.last_seen)}")


def _anchor(anchor: Any) -> list[str]:
    if not anchor.redirected:
        return []
    return [f"({anchor.requested} was merged into {anchor.entity_id})"]


@graph_app.command("profile")
def profile(ctx: typer.Context, entity_id: str, as_partner: Partner, analyst: Analyst,
            as_json: AsJson = False) -> None:
    """One entity: what the visible signals say about it."""
    def render(p: Any) -> list[str]:
        return [
            *_anchor(p.anchor), f"{p.entity.entity_id}  {p.entity.label}  {p.entity.name}",
            f"signals: {p.signal_count} from {', '.join(p.partners) or '-'}, "
            f"{_day(p.first_seen)} .. {_day(p.last_seen)}",
            "roles: " + ", ".join(f"{k} {v}" for k, v in p.roles.items()),
            "links: " + ", ".join(f"{k} {v}" for k, v in p.links.items()),
            *(f"  {k}: {v}" for k, v in p.entity.properties.items())]

    _run(ctx, as_partner, analyst, as_json, lambda q, c: q.profile(c, entity_id), render)


@graph_app.command("neighbourhood")
def neighbourhood(
    ctx: typer.Context, entity_id: str, as_partner: Partner, analyst: Analyst,
    depth: Annotated[int, typer.Option(help="Connections from the entity (1..4).")] = 2,
    since: Since = None, until: Until = None,
    partner: Annotated[list[str] | None, typer.Option(help="Only signals of this partner "
                                                           "(repeatable).")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only signals of this category "
                                                            "(repeatable).")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Only entities in this role "
                                                        "(repeatable).")] = None,
    limit: Limit = 500, as_json: AsJson = False,
) -> None:
    """Entities within DEPTH connections and the links between them."""
    filters = _filters(since, until, partner, category, role)

    def render(n: Any) -> list[str]:
        rows = sorted(n.nodes, key=lambda e: (n.distance[e.entity_id], e.entity_id))
        return [*_anchor(n.anchor),
                f"{len(n.nodes)} entities{' (truncated)' if n.truncated else ''}:",
                *(f"  {n.distance[e.entity_id]}  {e.entity_id}  {e.label:<11} {e.name}"
                  for e in rows),
                f"{len(n.links)} links:", *(f"  {_link(lk)}" for lk in n.links)]

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.neighbourhood(c, entity_id, depth, filters, limit), render)


@graph_app.command("paths")
def paths(ctx: typer.Context, a: str, b: str, as_partner: Partner, analyst: Analyst,
          max_depth: Annotated[int, typer.Option(help="Longest path (1..4).")] = 4,
          limit: Limit = 500,
          max_paths: Annotated[int, typer.Option(help="Show at most this many.")] = 25,
          as_json: AsJson = False) -> None:
    """All shortest paths between two entities."""
    def render(p: Any) -> list[str]:
        names = {e.entity_id: e.name for e in p.nodes}
        lines = [*_anchor(p.a), *_anchor(p.b)]
        if not p.paths:
            lines.append(f"no path of at most {p.max_depth} steps"
                         + ("" if p.complete else " found (search truncated)"))
        for path in p.paths:
            lines.append(" -> ".join(f"{i} ({names.get(i, '?')})" for i in path.entity_ids))
            lines.extend(f"    {_link(lk)}" for step in path.steps for lk in step)
        return lines

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.shortest_paths(c, a, b, max_depth, None, limit, max_paths), render)


@graph_app.command("clusters")
def clusters(ctx: typer.Context, as_partner: Partner, analyst: Analyst,
             min_size: Annotated[int, typer.Option(help="At least this many persons and "
                                                        "businesses.")] = 5,
             municipality: Annotated[str | None, typer.Option(help="Code like NL:rotterdam.")
                                     ] = None,
             limit: Limit = 100, as_json: AsJson = False) -> None:
    """Addresses shared by many persons and businesses."""
    def render(found: Any) -> list[str]:
        lines = []
        for c in found:
            lines.append(f"{c.location.entity_id}  {c.location.name}  [{c.municipality or '-'}]"
                         f"  {c.size} members ({', '.join(c.partners)})")
            lines.extend(f"    {m.entity.entity_id}  {m.entity.label:<9} {m.entity.name}  "
                         f"{'/'.join(m.kinds)}" for m in c.members)
        return lines or ["no clusters"]

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.shared_address_clusters(c, min_size, limit, municipality), render)


@graph_app.command("rings")
def rings(ctx: typer.Context, as_partner: Partner, analyst: Analyst,
          min_size: Annotated[int, typer.Option(help="At least this many members.")] = 3,
          around: Annotated[list[str] | None, typer.Option(help="Only the rings of this entity "
                                                                "(repeatable).")] = None,
          max_nodes: Annotated[int, typer.Option(help="Explore at most this many entities.")
                               ] = 5000,
          limit: Limit = 50, as_json: AsJson = False) -> None:
    """Connected groups of suspects, businesses and locations, riskiest first."""
    def render(r: Any) -> list[str]:
        lines = ["(search truncated: raise --max-nodes)"] if r.truncated else []
        for ring in r.rings:
            risk = ring.risk
            lines.append(f"#{ring.rank}  {ring.size} members; partners {risk.partners} "
                         f"({', '.join(ring.partners)}), worst {risk.max_severity}, suspects "
                         f"{risk.suspects}, signals {risk.signals}")
            lines.extend(f"    {m.entity_id}  {m.label:<9} {m.name}" for m in ring.members)
        return lines or ["no rings"]

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.rings(c, min_size, limit, max_nodes, around), render)


@graph_app.command("timeline")
def timeline(ctx: typer.Context, entity_id: str, as_partner: Partner, analyst: Analyst,
             since: Since = None, until: Until = None, limit: Limit = 500,
             as_json: AsJson = False) -> None:
    """The signals about an entity, oldest first."""
    def render(t: Any) -> list[str]:
        return [*_anchor(t.anchor), *(
            f"{_day(e.signal.observed_at)}  {e.signal.partner_id:<12} {e.signal.severity:<8} "
            f"{e.signal.category:<9} {'/'.join(e.roles):<10} {e.signal.signal_id}"
            for e in t.entries), *(["(more: raise --limit)"] if t.truncated else [])]

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.timeline(c, entity_id, _filters(since, until), limit), render)


@graph_app.command("waterbed")
def waterbed(ctx: typer.Context, municipality: str, as_partner: Partner, analyst: Analyst,
             date: Annotated[str, typer.Option(help="Intervention date (ISO).")],
             window_days: Annotated[int, typer.Option(help="Days before and after.")] = 90,
             limit: Limit = 500, as_json: AsJson = False) -> None:
    """Entities seen in MUNICIPALITY before an intervention and elsewhere after it."""
    def render(w: Any) -> list[str]:
        lines = [f"{len(w.shifts)} entities moved from {w.municipality} around "
                 f"{w.intervention.isoformat()} (+/- {w.window_days} days)"]
        for s in w.shifts:
            to = ", ".join(f"{m.code} ({len(m.signal_ids)})" for m in s.moved_to)
            lines.append(f"  {s.entity.entity_id}  {s.entity.label:<9} {s.entity.name}  -> {to}"
                         f"{f'; still {s.stayed} in origin' if s.stayed else ''}")
        return lines

    _run(ctx, as_partner, analyst, as_json,
         lambda q, c: q.waterbed(c, municipality, date, window_days, limit), render)


@graph_app.command("why")
def why(ctx: typer.Context,
        entity_ids: Annotated[list[str], typer.Argument(help="Two entity ids, or a path.")],
        as_partner: Partner, analyst: Analyst, as_json: AsJson = False) -> None:
    """Why entities are linked: the relations and the signals (and partners) behind them."""
    def render(found: Any) -> list[str]:
        lines = []
        for w in found:
            lines.extend([*_anchor(w.a), *_anchor(w.b), f"{w.a.entity_id} - {w.b.entity_id}:"])
            if not w.reasons:
                lines.append("  not directly linked")
            for r in w.reasons:
                lines.append(f"  {r.source} -[{r.kind}]- {r.target}  ({', '.join(r.partners)})")
                lines.extend(f"      {_day(s.signal.observed_at)}  {s.signal.partner_id:<12} "
                             f"{s.signal.signal_id}  roles {'/'.join(s.roles_a)} - "
                             f"{'/'.join(s.roles_b)}" for s in r.support)
        return lines

    def query(q: AnalystQueries, c: Caller) -> Any:
        if len(entity_ids) == 2:
            return (q.why_linked(c, entity_ids[0], entity_ids[1]),)
        return q.why_path(c, entity_ids)

    _run(ctx, as_partner, analyst, as_json, query, render)
