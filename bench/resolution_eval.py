"""Entity resolution measured against the generator's ground truth.

``load_dataset`` runs each partner's adapter over a generated export (``ketenlink generate``) and
labels every person or business subject of a parsed signal with the true entity behind it, from
the ``mentions`` of that line in ``ground-truth.jsonl``:

- KvK: ``bedrijf`` -> ``b1``, ``functionaris`` -> ``p1``;
- RIEC: the subject id (``s1``) is the adapter's ref (lower-cased);
- zorg: ``patient`` -> ``v1``, ``begeleider`` -> ``s1``;
- Stichting M.: a business the adapter quoted from the text -> the one ``tekst`` mention of type
  ``bedrijf`` whose ``surface`` equals its trade name (persons in tip text are not extracted).

A subject whose mapping is missing, ambiguous or of the wrong type is left out and counted per
file (``Dataset.unmapped``). Lines of kind ``invalid`` that happen to parse are left out too;
originals, revisions and exact resends are all kept (a resend is a real, repeated mention).

Order: records follow the order of ``ground-truth.jsonl``, which is the order the generator
emitted the lines across the four files (each file in time order, interleaved) — the arrival
order of one merged stream — and subject order within a signal.

Record ids are ``<signal_id>/<ref>``; a later line with the same reference (resend, revision) gets
``#<n>`` appended (n = 2, 3, ...), so every mention is its own record: with the plain id the
resolver would replay its first answer and the repeat would measure nothing.

``pairwise_metrics`` scores a clustering by pairs of records; ``run_resolve_bench`` runs an offline
resolver (``streams.resolve.offline.resolve_file`` by default) over the dataset and reports speed,
pairwise precision/recall/F1 and strong-key violations.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from schemas.subjects import Business, Person
from streams.exceptions import StreamError

Kind = Literal["person", "business"]
ResolveFile = Callable[[Kind, Path, Path], object]
"""``resolve_file(kind, src, dst)``: reads the input JSON Lines, writes ``record_id`` -> ``entity_id``."""

FILES: tuple[tuple[str, str], ...] = (
    ("kvk", "kvk-mutaties.csv"), ("riec", "riec-casussignalen.jsonl"),
    ("zorg", "zorg-meldingen.jsonl"), ("stichting-m", "meldmisdaadanoniem-tips.jsonl"))
"""(partner, export file) of a generated export."""
GROUND_TRUTH = "ground-truth.jsonl"
ENTITIES = "entities.jsonl"
KEPT_KINDS = frozenset({"original", "revision", "resend"})
TRUTH_TYPE: dict[str, str] = {"person": "persoon", "business": "bedrijf"}
"""Signal v1 subject type -> ground-truth mention type."""
FIXED_REFS: dict[str, dict[str, str]] = {
    "kvk": {"b1": "bedrijf", "p1": "functionaris"},
    "zorg": {"v1": "patient", "s1": "begeleider"},
}
"""Adapter ref -> ground-truth ``subject`` for partners whose refs are fixed field names."""
STRONG_SCHEMES = frozenset({"bsn-pseudonym", "passport", "id-card", "v-number"})
"""Person identifier schemes one person holds one value of. ``patient-pseudonym`` is not one: it
is scoped to the institution, so one person rightly has several."""
DEFAULT_KEY = SecretStr("ketenlink-evaluate-key")


class EvaluationError(StreamError):
    """The evaluation cannot run on this input."""


class TruthMissing(EvaluationError):
    """A parsed line has no ground truth (the export and its ground truth do not belong together)."""

    def __init__(self, file: str, line: int) -> None:
        self.file, self.line = file, line
        super().__init__(f"{file}:{line}: no ground truth for this line")


class RecordsMismatch(EvaluationError):
    """Truth and prediction do not cover the same records."""

    def __init__(self, only_truth: int, only_predicted: int) -> None:
        self.only_truth, self.only_predicted = only_truth, only_predicted
        super().__init__(f"{only_truth} record(s) only in the truth, {only_predicted} only predicted")


@dataclass(frozen=True, slots=True)
class LabelledRecord:
    """One person or business subject of one parsed line, with the true entity behind it."""

    record_id: str
    subject: dict[str, Any]
    """Signal v1 subject fields (JSON mode, None left out, ``type`` kept), without ``ref`` and ``role``."""
    true_entity: str
    partner: str
    file: str
    line: int
    kind_of_line: str
    """original, revision or resend."""


@dataclass(frozen=True, slots=True)
class Dataset:
    """The labelled records of one kind and what was left out, per export file."""

    kind: Kind
    records: list[LabelledRecord]
    kept: dict[str, int]
    unmapped: dict[str, int]
    """Subjects of this kind whose true entity could not be told with certainty."""
    unextracted: dict[str, int] = field(default_factory=dict)
    """Ground-truth mentions of this kind on kept lines that no record stands for (the adapter
    did not extract them, e.g. names in tip text); the tip reporter (``melder``), dropped by design,
    is not counted."""
    invalid_parsed: dict[str, int] = field(default_factory=dict)
    """Lines the generator meant as invalid that the adapter parsed anyway (left out)."""


@dataclass(frozen=True, slots=True)
class Metrics:
    """Pairwise scores of a clustering: a pair is two records put in one entity.

    Conventions: precision is 1.0 when nothing is paired (no predicted pairs, no wrong claim);
    recall is 1.0 when the truth has no pairs; F1 is 0.0 when precision and recall are both 0.
    """

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    records: int
    true_entities: int
    predicted_entities: int


# -- dataset -------------------------------------------------------------------------------------


def load_dataset(gen_dir: Path, kind: Kind, key: SecretStr = DEFAULT_KEY) -> Dataset:
    """The labelled ``kind`` subjects of the export in ``gen_dir``, in arrival order."""
    if kind not in TRUTH_TYPE:
        raise EvaluationError(f"kind must be one of {sorted(TRUTH_TYPE)}, not {kind!r}")
    truth: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for position, doc in enumerate(_read_jsonl(gen_dir / GROUND_TRUTH)):
        truth[(doc["file"], doc["line"])] = (position, doc)
    pseudonyms = Pseudonymiser(key)
    found: list[tuple[int, int, LabelledRecord]] = []
    kept: dict[str, int] = {}
    unmapped: dict[str, int] = {}
    unextracted: dict[str, int] = {}
    invalid_parsed: dict[str, int] = {}
    seen_refs: Counter[str] = Counter()
    for partner, file in FILES:
        kept[file] = unmapped[file] = unextracted[file] = invalid_parsed[file] = 0
        for result in adapter_for(partner, pseudonyms).read(gen_dir / file):
            if not isinstance(result, Parsed):
                continue
            if (file, result.line) not in truth:
                raise TruthMissing(file, result.line)
            position, line_truth = truth[(file, result.line)]
            if line_truth["kind"] not in KEPT_KINDS:
                invalid_parsed[file] += 1
                continue
            signal = result.signal
            assert signal.signal_id is not None  # set by validation
            subjects = [s for s in signal.subjects if s.type == kind]
            covered: set[str] = set()
            for order, subject in enumerate(subjects):
                entity = _true_entity(partner, subject, line_truth["mentions"])
                if entity is None:
                    unmapped[file] += 1
                    continue
                covered.add(entity)
                base = f"{signal.signal_id}/{subject.ref}"
                seen_refs[base] += 1
                record_id = base if seen_refs[base] == 1 else f"{base}#{seen_refs[base]}"
                body = subject.model_dump(mode="json", exclude_none=True, exclude={"ref", "role"})
                found.append((position, order, LabelledRecord(
                    record_id, body, entity, partner, file, result.line, line_truth["kind"])))
                kept[file] += 1
            unextracted[file] += sum(1 for m in line_truth["mentions"] if m["type"] == TRUTH_TYPE[kind]
                                     and m["entity"] not in covered and m["subject"] != "melder")
    found.sort(key=lambda item: (item[0], item[1]))
    return Dataset(kind, [record for _, _, record in found], kept, unmapped, unextracted, invalid_parsed)


def build_dataset(gen_dir: Path, kind: Kind) -> list[LabelledRecord]:
    """The labelled ``kind`` records of the export in ``gen_dir`` (see ``load_dataset``)."""
    return load_dataset(gen_dir, kind).records


def _true_entity(partner: str, subject: Person | Business, mentions: list[dict[str, Any]]) -> str | None:
    """The true entity of ``subject`` by the mapping in the module docstring; None when unsure."""
    wanted = TRUTH_TYPE[subject.type]
    if partner == "stichting-m":
        name = subject.trade_name if isinstance(subject, Business) else None
        candidates = {m["entity"] for m in mentions
                      if m["subject"] == "tekst" and m.get("surface") == name and name is not None}
    else:
        where = FIXED_REFS[partner].get(subject.ref) if partner in FIXED_REFS else subject.ref
        candidates = {m["entity"] for m in mentions if m["subject"] == where}
    if len(candidates) != 1:
        return None
    entity = candidates.pop()
    types = {m["type"] for m in mentions if m["entity"] == entity}
    return entity if types == {wanted} else None


def write_resolve_input(records: Iterable[LabelledRecord], path: Path) -> int:
    """Write ``{"record_id": ..., "person"|"business": {...}}`` lines for ``resolve_file``; the
    count written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps({"record_id": record.record_id, record.subject["type"]: record.subject},
                                 ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def read_resolve_output(path: Path) -> tuple[dict[str, str], list[str]]:
    """(record id -> entity id, record ids the resolver answered with an error)."""
    predicted: dict[str, str] = {}
    errors: list[str] = []
    for doc in _read_jsonl(path):
        if "entity_id" in doc:
            predicted[doc["record_id"]] = doc["entity_id"]
        else:
            errors.append(doc.get("record_id") or "")
    return predicted, errors


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


# -- metrics -------------------------------------------------------------------------------------


def _pairs(sizes: Iterable[int]) -> int:
    return sum(math.comb(n, 2) for n in sizes)


def pairwise_metrics(truth: Mapping[str, str], predicted: Mapping[str, str]) -> Metrics:
    """Pairwise precision, recall and F1 of ``predicted`` (record -> entity) against ``truth``,
    from cluster sizes: sum of C(n, 2) over true clusters, predicted clusters and their
    intersections (contingency cells). Both must cover the same records."""
    if truth.keys() != predicted.keys():
        only_truth = sum(1 for r in truth if r not in predicted)
        raise RecordsMismatch(only_truth, sum(1 for r in predicted if r not in truth))
    true_sizes = Counter(truth.values())
    predicted_sizes = Counter(predicted.values())
    cells = Counter((truth[r], predicted[r]) for r in truth)
    true_pairs, predicted_pairs = _pairs(true_sizes.values()), _pairs(predicted_sizes.values())
    correct = _pairs(cells.values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(precision, recall, f1, true_pairs, predicted_pairs, correct, len(truth),
                   len(true_sizes), len(predicted_sizes))


def recall_by_partner_pair(dataset: Iterable[LabelledRecord], predicted: Mapping[str, str]
                           ) -> dict[str, dict[str, float | int]]:
    """Pairwise recall split by the partners of the two records (``"kvk+riec"``, ``"riec+riec"``):
    where the true links the resolver misses come from. Records absent from ``predicted`` are
    left out."""
    true_cells: Counter[tuple[str, str]] = Counter()
    cells: Counter[tuple[str, str, str]] = Counter()
    for record in dataset:
        entity = predicted.get(record.record_id)
        if entity is not None:
            true_cells[(record.true_entity, record.partner)] += 1
            cells[(record.true_entity, entity, record.partner)] += 1

    def pairs_by_partners(groups: Mapping[tuple[str, ...], Counter[str]]) -> Counter[str]:
        out: Counter[str] = Counter()
        for by_partner in groups.values():
            names = sorted(by_partner)
            for i, a in enumerate(names):
                out[f"{a}+{a}"] += math.comb(by_partner[a], 2)
                for b in names[i + 1:]:
                    out[f"{a}+{b}"] += by_partner[a] * by_partner[b]
        return out

    true_groups: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for (true_entity, partner), n in true_cells.items():
        true_groups[(true_entity,)][partner] += n
    found_groups: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for (true_entity, entity, partner), n in cells.items():
        found_groups[(true_entity, entity)][partner] += n
    true_pairs, found = pairs_by_partners(true_groups), pairs_by_partners(found_groups)
    return {key: {"true_pairs": n, "recall": round(found[key] / n, 4)}
            for key, n in sorted(true_pairs.items()) if n}


def strong_key_violations(dataset: Iterable[LabelledRecord], predicted: Mapping[str, str]) -> int:
    """Predicted entities that hold two different values of one strong person identifier scheme
    (``STRONG_SCHEMES``), or two different KvK numbers that share no trade name (case and spacing
    ignored). Records absent from ``predicted`` are ignored."""
    person_ids: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    kvk_names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in dataset:
        entity = predicted.get(record.record_id)
        if entity is None:
            continue
        for identifier in record.subject.get("identifiers") or ():
            if identifier["scheme"] in STRONG_SCHEMES:
                person_ids[entity][identifier["scheme"]].add(identifier["value"])
        kvk = record.subject.get("kvk_number")
        if kvk:
            names = kvk_names[entity][kvk]
            name = record.subject.get("trade_name")
            if name:
                names.add(" ".join(name.casefold().split()))
    bad = {entity for entity, schemes in person_ids.items()
           if any(len(values) > 1 for values in schemes.values())}
    for entity, by_kvk in kvk_names.items():
        numbers = sorted(by_kvk)
        if any(not by_kvk[a] & by_kvk[b] for i, a in enumerate(numbers) for b in numbers[i + 1:]):
            bad.add(entity)
    return len(bad)


# -- bench ---------------------------------------------------------------------------------------


_LINKING_SCHEMES = {"bsn-pseudonym", "passport", "id-card", "v-number"}


def identifiable(record: LabelledRecord) -> bool:
    """Whether a record carries enough to be linked to another by anyone, machine or analyst.

    A person: an identifier other than an institution-scoped patient pseudonym, or a family
    name with a given name or a birth date. A business: a KvK number, or a trade name with an
    address. Left out: a patient known only by a care institution's pseudonym, a first name
    alone, a business name quoted in a tip — the same truth can lie behind them, but nothing in
    the record shows it.
    """
    subject = record.subject
    if subject.get("type") == "person":
        schemes = {i.get("scheme") for i in subject.get("identifiers") or ()}
        return bool(schemes & _LINKING_SCHEMES) or bool(
            subject.get("family_name") and (subject.get("given_name") or subject.get("birth_date")))
    return bool(subject.get("kvk_number") or (subject.get("trade_name") and subject.get("address")))


def default_resolve_file() -> ResolveFile:
    """``streams.resolve.offline.resolve_file``, imported only when asked for."""
    from streams.resolve.offline import resolve_file

    return resolve_file


def run_resolve_bench(gen_dir: Path, kind: Kind, resolve_file_fn: ResolveFile | None = None
                      ) -> dict[str, Any]:
    """Resolve the labelled ``kind`` records of ``gen_dir`` with ``resolve_file_fn`` (default:
    the offline resolver) and score the result. ``seconds`` times the resolver call alone.

    A record the resolver answers with an error counts as an entity of its own
    (``resolve_errors`` says how many)."""
    resolve = resolve_file_fn or default_resolve_file()
    dataset = load_dataset(gen_dir, kind)
    with tempfile.TemporaryDirectory(prefix="ketenlink-evaluate-") as tmp:
        src, dst = Path(tmp) / f"{kind}-in.jsonl", Path(tmp) / f"{kind}-out.jsonl"
        write_resolve_input(dataset.records, src)
        started = time.perf_counter()
        resolve(kind, src, dst)
        seconds = time.perf_counter() - started
        predicted, errors = read_resolve_output(dst)
    truth = {r.record_id: r.true_entity for r in dataset.records}
    for record_id in truth.keys() - predicted.keys():
        predicted[record_id] = f"unresolved:{record_id}"
    extra = predicted.keys() - truth.keys()
    if extra:
        raise RecordsMismatch(0, len(extra))
    metrics = pairwise_metrics(truth, predicted)
    linkable = {r.record_id for r in dataset.records if identifiable(r)}
    on_linkable = pairwise_metrics({k: v for k, v in truth.items() if k in linkable},
                                   {k: v for k, v in predicted.items() if k in linkable})
    return {
        "kind": kind, "records": metrics.records, "seconds": round(seconds, 3),
        "records_per_s": round(metrics.records / seconds, 1) if seconds > 0 else 0.0,
        "precision": round(metrics.precision, 4), "recall": round(metrics.recall, 4),
        "f1": round(metrics.f1, 4), "true_entities": metrics.true_entities,
        "predicted_entities": metrics.predicted_entities,
        "true_pairs": metrics.true_pairs, "predicted_pairs": metrics.predicted_pairs,
        "correct_pairs": metrics.correct_pairs,
        "strong_key_violations": strong_key_violations(dataset.records, predicted),
        "recall_by_partners": recall_by_partner_pair(dataset.records, predicted),
        "unmapped_subjects": sum(dataset.unmapped.values()),
        "unmapped_by_file": dict(dataset.unmapped),
        "resolve_errors": len(errors),
        "identifiable": {"records": on_linkable.records,
                         "precision": round(on_linkable.precision, 4),
                         "recall": round(on_linkable.recall, 4), "f1": round(on_linkable.f1, 4)},
    }
