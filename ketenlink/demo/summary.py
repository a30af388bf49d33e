"""The demo's summary: this run's results read back, measured against what was published and
the ground truth, and printed section by section."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.settings import Settings
from core.topics import TopicLayout
from ketenlink.demo.readback import (
    Network,
    count_alerts,
    count_deliveries,
    found_rings,
    graph_mentions,
    read_network,
)
from ketenlink.demo.records import Parked, Published, Resolved, Scenario
from ketenlink.demo.truth import (
    RECOVERY_MIN_MEMBERS,
    DedupeTally,
    RingMatch,
    attribute,
    explain_suppressed,
    match_rings,
    tally_dedupe,
    truth_kinds,
)

LIST_CAP = 12


@dataclass(frozen=True)
class DemoSummary:
    published: int
    """Records acknowledged by Kafka (the two hand-broken ones not counted)."""
    distinct: int
    in_graph: int
    rejected_at_source: int
    rejected_in_stream: int
    """Parked by the intake."""
    parked: tuple[Parked, ...]
    """Everything parked: by the intake, and records services after resolution refused."""
    dedupe: DedupeTally
    rings: RingMatch
    alerts: int
    deliveries: Mapping[str, int]


def summarise(settings: Settings, layout: TopicLayout, scenario: Scenario, published: Published,
              resolved: Resolved, echo: Callable[[str], None]) -> DemoSummary:
    """Measure this run's results and print them."""
    ids = sorted(published.ids)
    deliveries = count_deliveries(settings, layout, set(ids))
    alerts = count_alerts(settings, layout, ids)
    mentions = graph_mentions(settings, ids)
    found, truncated = found_rings(settings)
    latest = {s.signal_id: s for s in published.sent}  # the last line of a signal is its version
    rings = match_rings(found, attribute(mentions, latest, scenario.truth), scenario.true_rings,
                        {m.entity_id for m in mentions})
    parked_published = sum(not p.broken for p in resolved.parked_by_intake)
    dedupe = tally_dedupe(len(published.sent), parked_published, resolved.verdicts)
    summary = DemoSummary(len(published.sent), len(ids), resolved.in_graph,
                          sum(map(len, published.refused.values())), len(resolved.parked_by_intake),
                          resolved.parked, dedupe, rings, alerts, deliveries)
    echo("== summary ==")
    _show_intake(summary, published, scenario, echo)
    _show_dedupe(summary, truth_kinds(published.sent, scenario.truth),
                 explain_suppressed(published.sent, scenario.truth, resolved.verdicts), echo)
    _show_network(read_network(settings, ids), echo)
    _show_rings(summary, len(scenario.true_rings), truncated, echo)
    echo(f"  alerts: {alerts} proposed to the RIEC for release to the OM "
         "(`ketenlink alerts list --analyst NAME`)")
    echo("  deliveries: signals routed to each partner, redacted to its clearance")
    width = max(map(len, layout.recipients), default=0)
    for partner in layout.recipients:
        echo(f"    {partner:<{width}} {deliveries.get(partner, 0):>6}")
    return summary


def _show_intake(summary: DemoSummary, published: Published, scenario: Scenario,
                 echo: Callable[[str], None]) -> None:
    per_partner = Counter(s.partner for s in published.sent)
    echo(f"  received: {summary.published} records acknowledged by Kafka ("
         + ", ".join(f"{p} {n}" for p, n in per_partner.items())
         + f") for {summary.distinct} distinct signals")
    echo(f"  rejected at the source: {summary.rejected_at_source} lines the adapters refused "
         f"(the generator wrote {scenario.report.invalid} invalid lines; kvk and zorg in "
         f"{scenario.out}/*.rejects.jsonl)")
    for partner, reasons in published.refused.items():
        if reasons:
            echo(f"    {partner:<12} {len(reasons):>3}: {reason_counts(reasons)}")
    echo(f"  rejected in the stream: {summary.rejected_in_stream} records parked by the intake "
         "(on signals.rejected)")
    for line in parked_lines(p for p in summary.parked if p.by == "intake"):
        echo(f"    {line}")
    later = [p for p in summary.parked if p.by != "intake"]
    if later:
        echo(f"  parked after resolution: {len(later)} records a service downstream refused")
        for line in parked_lines(later):
            echo(f"    {line}")


def _show_dedupe(summary: DemoSummary, kinds: Mapping[str, int], why: Mapping[str, int],
                 echo: Callable[[str], None]) -> None:
    d = summary.dedupe
    parked = f" - {d.parked} parked" if d.parked else ""
    echo(f"  resends suppressed: {d.suppressed} = {d.acknowledged} acknowledged{parked} - {d.new} "
         f"new - {d.revisions} revisions on signals.resolved")
    echo(f"    by the ground truth: resent lines {why['resend']} (of {kinds['resend']} published), "
         f"facts the partner had sent under another reference {why['same facts']}, revised lines "
         f"that change nothing the adapter carries {why['unchanged']}")
    echo(f"  revisions: {d.revisions} records revised {d.revised_signals} signals (ground truth: "
         f"{kinds['revision']} published lines are revisions)")
    echo(f"  graph: {summary.in_graph} of the {d.new} new signals are in Neo4j, each at its "
         "latest revision")


def _show_network(network: Network, echo: Callable[[str], None]) -> None:
    """What resolution made of the mentions: entities per kind, and corroborated signals."""
    echo("  entities resolved: the mentions of this run's signals, per kind")
    for row in network.kinds:
        echo(f"    {row.kind:<12} {row.mentions:>6} mentions -> {row.entities:>6} entities")
    echo(f"    {network.corroborated} signals are corroborated by another partner's signal")


def _show_rings(summary: DemoSummary, true_rings: int, truncated: bool,
                echo: Callable[[str], None]) -> None:
    match = summary.rings
    echo(f"  rings: the analysts' ring search (as RIEC sees the graph) finds {len(match.ours)} "
         f"of this run; they recover {len(match.recovered)} of the {true_rings} true rings; "
         f"{len(match.unmatched)} match no true ring" + (" (search truncated)" if truncated else ""))
    echo(f"    (a found ring recovers a true ring when it holds entities the ground truth "
         f"attributes to at least {RECOVERY_MIN_MEMBERS} distinct members of that ring; a found "
         "ring is this run's when it recovers one or most of its members are this run's)")
    echo("    recovered (#rank in the search): " + capped(
        [f"{ring} (#{', #'.join(map(str, ranks))})" for ring, ranks in match.recovered.items()]))
    echo("    missed: " + capped(list(match.missed)))
    echo("    matching none: " + capped([f"#{r.rank} ({len(r.members)} members)"
                                         for r in match.unmatched]))


def reason_kind(reason: str) -> str:
    """What a refusal is about: the field before the first colon (``postcode: not a valid
    Dutch postcode`` -> ``postcode``), else the whole reason; numbers (list indices, counts)
    written as N (``subjecten[N].bsn``, ``expected N columns, found N``)."""
    head, colon, _ = reason.partition(":")
    return re.sub(r"\d+", "N", head if colon else reason).strip()


def reason_counts(reasons: Iterable[str]) -> str:
    """``3 datum, 2 kvk_nummer`` (most frequent first)."""
    return ", ".join(f"{n} {kind}" for kind, n in Counter(map(reason_kind, reasons)).most_common())


def parked_lines(parked: Iterable[Parked]) -> list[str]:
    """``2 by the router: reason`` per distinct (service, reason), most frequent first."""
    counts = Counter((p.by, p.reason) for p in parked)
    return [f"{n} by the {by}: {reason}" for (by, reason), n in counts.most_common()]


def capped(items: Sequence[str], cap: int = LIST_CAP) -> str:
    """``a, b, c`` with at most ``cap`` items, then ``… (n more)``."""
    if not items:
        return "none"
    more = f" … ({len(items) - cap} more)" if len(items) > cap else ""
    return ", ".join(items[:cap]) + more
