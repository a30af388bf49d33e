"""How well de-identification works on a hand-written corpus: rules alone, deduce alone, both.

``python -m bench.deidentify_eval [tests/data/deidentify-corpus.yaml]`` prints, per way of
de-identifying, the reporter/patient identities gone from the published signal (recall: found /
present), the subjects still extracted, and the time per text. A case is one native record with
the identities that must vanish and the subjects that must stay (format: the corpus file's
header). The same checks back the unit tests (``survivors``, ``missing_subjects``).

``python -m bench.deidentify_eval --throughput N`` times the Stichting M. and zorg adapters
over the tips and care reports of N generated signals (and over the corpus's care reports, which
have free text), with and without de-identification (best of 3).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from producers.adapters.base import Adapter, build_signal
from producers.adapters.stichting_m import tip_signal
from producers.adapters.zorg import zorg_signal
from producers.deidentify import Deidentifier, national_digits
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal

DEFAULT_CORPUS = Path("tests/data/deidentify-corpus.yaml")
_SEPARATORS = re.compile(r"[\s\-.()/]")


@dataclass(frozen=True)
class Case:
    """One corpus entry: the native record, what must vanish, what must stay."""

    id: str
    kind: str
    record: dict[str, Any]
    vanish: tuple[str, ...]
    keep: tuple[str, ...]


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Case]:
    """The corpus's cases, each with a complete native record."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for entry in doc["cases"]:
        if entry["kind"] == "tip":
            record = {"tip_id": f"M-CORPUS-{entry['id']}", "ontvangen": "2026-03-05T21:40:00+01:00",
                      "gemeente": entry.get("gemeente"), "tekst": entry["tekst"]}
            if "melder" in entry:
                record["melder"] = entry["melder"]
        else:
            record = {"melding_id": f"ZORG-CORPUS-{entry['id']}",
                      "datum": "2026-03-04T02:15:00+01:00", **entry["record"]}
        cases.append(Case(entry["id"], entry["kind"], record, tuple(map(str, entry["vanish"])),
                          tuple(entry.get("keep") or ())))
    return cases


_PSEUDONYMS = Pseudonymiser(SecretStr("deidentify-evaluation-key-0123456789"))


def publish(case: Case, deidentifier: Deidentifier) -> Signal:
    """The Signal v1 the adapter publishes for the case's record."""
    if case.kind == "tip":
        return build_signal(tip_signal(case.record, deidentifier))
    return build_signal(zorg_signal(case.record, _PSEUDONYMS, deidentifier))


def wire(signal: Signal) -> str:
    """Everything of the signal that leaves the source, but ``partner_ref``, as JSON text."""
    doc = signal.model_dump(mode="json")
    doc.pop("partner_ref")
    return json.dumps(doc, ensure_ascii=False)


def survivors(text: str, identities: Iterable[str]) -> list[str]:
    """The identities still present in ``text``, in any spelling: digits by national digits
    (``06-1234 5678`` = ``+31612345678``), e-mail addresses and postcodes in any case and
    spacing, names as a whole word in any case."""
    squashed = _SEPARATORS.sub("", text).lower()
    found = []
    for identity in identities:
        digits = re.sub(r"\D", "", identity)
        if len(digits) >= 7 and re.fullmatch(r"[+\d\s\-.()]+", identity):
            national = national_digits(identity) or digits
            hit = national in _digit_runs(text)
        elif "@" in identity or re.fullmatch(r"[1-9]\d{3} ?[A-Za-z]{2}", identity):
            hit = _SEPARATORS.sub("", identity).lower() in squashed
        else:
            loose = r"\s+".join(map(re.escape, identity.split()))
            hit = re.search(rf"(?<![\w]){loose}(?![\w])", text, re.IGNORECASE) is not None
        if hit:
            found.append(identity)
    return found


def _digit_runs(text: str) -> str:
    """Every run of digits and separators in ``text``, its digits joined, '|' between runs,
    with a leading country code 31 / 0031 also given without it."""
    runs = []
    for run in re.findall(r"\+?\d[\d\s\-.()/]*\d", text):
        digits = re.sub(r"\D", "", run)
        runs.append(digits)
        national = national_digits(run)
        if national:
            runs.append(national)
    return "|".join(runs)


def subject_keys(signal: Signal) -> set[str]:
    """``type:value`` of every subject, in the corpus's ``keep`` notation."""
    keys = set()
    for subject in signal.subjects:
        doc: Mapping[str, Any] = subject.model_dump(mode="json")
        value: object = {"phone": doc.get("number"), "vehicle": doc.get("plate"),
                         "bank_account": doc.get("iban"), "email": doc.get("address"),
                         "business": doc.get("trade_name"), "website": doc.get("url")
                         }.get(subject.type)
        if subject.type == "location":
            address = doc["address"]
            value = f"{str(address.get('postcode', '')).replace(' ', '')}/{address.get('house_number')}"
        if value is not None:
            keys.add(f"{subject.type}:{str(value).rstrip('/')}")
    return keys


def missing_subjects(signal: Signal, keep: Iterable[str]) -> list[str]:
    found = subject_keys(signal)
    return [k for k in keep if k.rstrip("/") not in found]


@dataclass(frozen=True)
class Score:
    name: str
    vanished: int
    present: int
    kept: int
    expected: int
    ms_per_text: float
    leaks: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.vanished / self.present if self.present else 1.0


def evaluate(cases: list[Case], name: str, deidentifier: Deidentifier) -> Score:
    vanished = present = kept = expected = 0
    leaks: list[str] = []
    started = time.perf_counter()
    for case in cases:
        signal = publish(case, deidentifier)
        left = survivors(wire(signal), case.vanish)
        present += len(case.vanish)
        vanished += len(case.vanish) - len(left)
        leaks.extend(f"{case.id}:{identity}" for identity in left)
        missing = missing_subjects(signal, case.keep)
        expected += len(case.keep)
        kept += len(case.keep) - len(missing)
    ms = 1000 * (time.perf_counter() - started) / max(1, len(cases))
    return Score(name, vanished, present, kept, expected, ms, tuple(leaks))


def throughput(signals: int) -> None:
    """Records per second of both adapters with and without de-identification."""
    import tempfile

    from generator import generate
    from producers.adapters.stichting_m import StichtingMAdapter
    from producers.adapters.zorg import ZorgAdapter

    folder = Path(tempfile.mkdtemp(prefix="deidentify-throughput-"))
    generate(folder, signals, 7)
    notes = folder / "zorg-corpus.jsonl"
    records = [c.record for c in load_corpus() if c.kind == "zorg"]
    notes.write_text("".join(json.dumps({**r, "melding_id": f"Z-{i}-{j}"}) + "\n"
                             for i in range(100) for j, r in enumerate(records)), encoding="utf-8")
    none, both = Deidentifier(rules=False, deduce=False), Deidentifier()
    started = time.perf_counter()
    both.narrative("Warm up.")
    print(f"deduce loaded in {time.perf_counter() - started:.1f} s")
    def zorg(d: Deidentifier) -> Adapter:
        return ZorgAdapter(_PSEUDONYMS, d)

    runs: list[tuple[str, Path, Callable[[Deidentifier], Adapter]]] = [
        ("stichting-m", folder / "meldmisdaadanoniem-tips.jsonl", StichtingMAdapter),
        ("zorg", folder / "zorg-meldingen.jsonl", zorg),
        ("zorg, corpus reports with toelichting", notes, zorg)]
    for name, path, make in runs:
        for label, deidentifier in (("without", none), ("rules only", Deidentifier(deduce=False)),
                                    ("rules + deduce", both)):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                count = sum(1 for _ in make(deidentifier).read(path))
                best = min(best, time.perf_counter() - started)
            print(f"{name}, {label} de-identification: {count} records, {count / best:,.0f}/s, "
                  f"{1000 * best / count:.2f} ms per record")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--throughput"]:
        throughput(int(argv[1]) if len(argv) > 1 else 10_000)
        return 0
    path = Path(argv[0]) if argv else DEFAULT_CORPUS
    cases = load_corpus(path)
    started = time.perf_counter()
    both = Deidentifier()
    both.narrative("Warm up.")
    print(f"deduce loaded in {time.perf_counter() - started:.1f} s; {len(cases)} cases "
          f"({sum(c.kind == 'tip' for c in cases)} tips, {sum(c.kind == 'zorg' for c in cases)} "
          "care reports)")
    print("| way | identities gone / present (recall) | subjects kept / expected | ms per text |")
    print("|---|---|---|---|")
    for name, deidentifier in (("rules alone", Deidentifier(deduce=False)),
                               ("deduce alone", Deidentifier(rules=False)),
                               ("rules + deduce (adapters)", both)):
        score = evaluate(cases, name, deidentifier)
        print(f"| {name} | {score.vanished} / {score.present} ({score.recall:.1%}) | "
              f"{score.kept} / {score.expected} | {score.ms_per_text:.1f} |")
        if score.leaks:
            print(f"|   leaks: {', '.join(score.leaks)} | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
