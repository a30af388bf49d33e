"""The demo's measures against the generator's ground truth, pure functions: the resend and
revision tally, why suppressed records were suppressed, which true entity stands behind a graph
mention, and which true rings the rings found recover."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator import PARTNER_FILES
from ketenlink.demo.records import Sent

RECOVERY_MIN_MEMBERS = 2
"""A found ring recovers a true ring when it holds entities the ground truth attributes to at
least this many distinct members of that ring."""

TRUTH_TYPE = {"Person": "persoon", "Business": "bedrijf", "Location": "adres", "Phone": "telefoon",
              "BankAccount": "rekening", "Vehicle": "voertuig", "Email": "email",
              "Website": "website"}
"""Graph label -> the generator's entity type."""
TRUTH_SUBJECT = {
    "kvk": {"b1": "bedrijf", "l1": "adres", "p1": "functionaris"},
    "zorg": {"v1": "patient", "s1": "begeleider", "t1": "begeleider.telefoon", "l1": "verblijfadres"},
}
"""Subject ref the adapter gives -> the ground truth's ``subject`` (producers/adapters/kvk.py and
zorg.py). RIEC keeps the export's subject ids (``s1``...); Stichting M. extracts subjects from
the tip's text, so those are matched on type (see ``true_entity``)."""

TrueEntity = tuple[str, str | None]
"""(true entity id, the true ring it belongs to or None)."""


@dataclass(frozen=True)
class DedupeTally:
    """Resends and revisions from the stream's verdicts.

    Every acknowledged record passes the intake (the adapters and the gateway validated it
    against the same contract) unless the intake parks it, and then gets exactly one verdict:
    *new* or *revision* (both written to ``signals.resolved``) or *resend* (suppressed, written
    nowhere). So the resends are what was acknowledged minus what came out and what was
    parked::

        suppressed = acknowledged - parked - new - revisions
    """

    acknowledged: int
    parked: int
    new: int
    revisions: int
    revised_signals: int

    @property
    def suppressed(self) -> int:
        return self.acknowledged - self.parked - self.new - self.revisions


@dataclass(frozen=True)
class GraphMention:
    signal_id: str
    ref: str
    label: str
    entity_id: str


@dataclass(frozen=True)
class FoundRing:
    rank: int
    members: frozenset[str]


@dataclass(frozen=True)
class RingMatch:
    ours: tuple[FoundRing, ...]
    """This run's found rings: those that recover a true ring, and those whose members are
    mostly entities this run's signals mention (on a shared stack the graph also holds earlier
    runs' rings, which may touch an entity of this run)."""
    recovered: Mapping[str, tuple[int, ...]]
    """True ring -> the ranks of the found rings that recover it."""
    missed: tuple[str, ...]
    unmatched: tuple[FoundRing, ...]
    """This run's found rings that recover no true ring."""



def tally_dedupe(acknowledged: int, parked: int, verdicts: Mapping[tuple[str, int], str]
                 ) -> DedupeTally:
    """The tally of this run's ``signals.resolved`` records (see ``DedupeTally``)."""
    kinds = Counter(verdicts.values())
    revised = {signal_id for (signal_id, _), verdict in verdicts.items() if verdict == "revision"}
    return DedupeTally(acknowledged, parked, kinds["new"], kinds["revision"], len(revised))


def explain_suppressed(sent: Iterable[Sent], truth: Mapping[tuple[str, int], Mapping[str, Any]],
                       verdicts: Mapping[tuple[str, int], str]) -> Counter[str]:
    """Why the suppressed records were suppressed, signal by signal (a signal's records minus
    those it has on ``signals.resolved``), told by the ground truth of its lines:

    - ``same facts``: the signal never came out: the partner had sent its facts under another
      reference already (dedupe calls that a resend too);
    - ``resend``: the generator resent a line of the signal;
    - ``unchanged``: the rest, revised lines whose change the adapter does not carry, so the
      stream saw the same facts again.

    Assumes the intake parked none of the acknowledged records (it validates what the adapters
    already validated)."""
    kinds: dict[str, list[str]] = {}
    for s in sent:
        line = truth.get((PARTNER_FILES[s.partner], s.line), {})
        kinds.setdefault(s.signal_id, []).append(str(line.get("kind", "original")))
    emitted = Counter(signal_id for signal_id, _ in verdicts)
    out: Counter[str] = Counter()
    for signal_id, lines in kinds.items():
        suppressed = len(lines) - emitted[signal_id]
        if suppressed <= 0:
            continue
        if emitted[signal_id] == 0:
            out["same facts"] += suppressed
            continue
        resent = min(suppressed, lines.count("resend"))
        out["resend"] += resent
        out["unchanged"] += suppressed - resent
    return out


def truth_kinds(sent: Iterable[Sent], truth: Mapping[tuple[str, int], Mapping[str, Any]]
                ) -> Counter[str]:
    """How the generator made the published lines: original, resend, revision."""
    return Counter(str(truth[(PARTNER_FILES[s.partner], s.line)]["kind"]) for s in sent
                   if (PARTNER_FILES[s.partner], s.line) in truth)


def true_entity(partner: str, ref: str, label: str, mentions: Sequence[Mapping[str, Any]]
                ) -> TrueEntity | None:
    """The true entity behind subject ``ref`` (graph label ``label``) of a signal whose line's
    ground truth lists ``mentions``: found by the subject the adapter maps from (KvK, zorg,
    RIEC), or for a tip by type among the entities written in its text (not the reporter's
    own). None when the truth does not pin it to exactly one entity."""
    if partner == "riec":
        candidates = [m for m in mentions if m["subject"] == ref]
    elif partner in TRUTH_SUBJECT:
        subject = TRUTH_SUBJECT[partner].get(ref)
        candidates = [m for m in mentions if subject is not None and m["subject"] == subject]
    else:
        candidates = [m for m in mentions if m["subject"] == "tekst" and not m.get("reporter")
                      and m["type"] == TRUTH_TYPE.get(label)]
    entities = {(str(m["entity"]), m.get("ring")) for m in candidates}
    return entities.pop() if len(entities) == 1 else None


def attribute(mentions: Iterable[GraphMention], latest: Mapping[str, Sent],
              truth: Mapping[tuple[str, int], Mapping[str, Any]]) -> dict[str, set[TrueEntity]]:
    """Graph entity id -> the true entities the ground truth puts behind its mentions by this
    run's signals (``latest``: the last published line of each signal, the version the graph
    holds). More than one means resolution merged true entities."""
    out: dict[str, set[TrueEntity]] = {}
    for mention in mentions:
        sent = latest.get(mention.signal_id)
        line = truth.get((PARTNER_FILES[sent.partner], sent.line)) if sent else None
        if sent is None or line is None:
            continue
        found = true_entity(sent.partner, mention.ref, mention.label, line["mentions"])
        if found is not None:
            out.setdefault(mention.entity_id, set()).add(found)
    return out


def match_rings(found: Sequence[FoundRing], attribution: Mapping[str, Collection[TrueEntity]],
                true_rings: Sequence[str], run_entities: Collection[str],
                min_members: int = RECOVERY_MIN_MEMBERS) -> RingMatch:
    """Which true rings the found rings recover: a found ring recovers a true ring when its
    members are attributed to at least ``min_members`` distinct members of that true ring.
    ``run_entities``: the entities this run's signals mention (see ``RingMatch.ours``)."""
    recovered: dict[str, list[int]] = {}
    ours, unmatched = [], []
    for ring in found:
        members: dict[str, set[str]] = {}
        for entity in ring.members:
            for true_id, true_ring in attribution.get(entity, ()):
                if true_ring is not None:
                    members.setdefault(true_ring, set()).add(true_id)
        hits = sorted(r for r, ids in members.items() if len(ids) >= min_members)
        for hit in hits:
            recovered.setdefault(hit, []).append(ring.rank)
        mostly_ours = 2 * sum(m in run_entities for m in ring.members) > len(ring.members)
        if hits or mostly_ours:
            ours.append(ring)
        if mostly_ours and not hits:
            unmatched.append(ring)
    return RingMatch(tuple(ours), {r: tuple(recovered[r]) for r in sorted(recovered)},
                     tuple(r for r in true_rings if r not in recovered), tuple(unmatched))

