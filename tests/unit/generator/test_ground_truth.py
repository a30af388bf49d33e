"""The ground truth covers every line, marks duplicates, and points at true entities and rings."""

from __future__ import annotations

import json
from collections import Counter

from generator.run import quotas

from .conftest import SIGNALS, Export

FILES = ("kvk-mutaties.csv", "riec-casussignalen.jsonl", "zorg-meldingen.jsonl",
         "meldmisdaadanoniem-tips.jsonl")


def test_the_files_hold_exactly_n_records_split_as_documented(export: Export) -> None:
    r = export.report
    assert r.kvk_rows + r.riec_signals + r.zorg_reports + r.tips == SIGNALS
    assert quotas(SIGNALS) == {"kvk": r.kvk_rows, "riec": r.riec_signals, "zorg": r.zorg_reports,
                               "stichting-m": r.tips}
    assert abs(r.kvk_rows - 0.45 * SIGNALS) <= 1 and abs(r.tips - 0.25 * SIGNALS) <= 3


def test_every_line_has_exactly_one_ground_truth_entry(export: Export) -> None:
    for file in FILES:
        lines = export.lines(file)
        first = 2 if file.endswith(".csv") else 1
        numbers = sorted(n for f, n in export.truth if f == file)
        assert numbers == list(range(first, len(lines) + 1))
    assert len(export.truth) == SIGNALS


def test_resends_repeat_their_original_and_revisions_change_it(export: Export) -> None:
    kinds = Counter(t["kind"] for t in export.truth.values())
    assert kinds["resend"] == export.report.resends > 0
    assert kinds["revision"] == export.report.revisions > 0
    for (file, number), truth in export.truth.items():
        if truth["kind"] not in ("resend", "revision"):
            continue
        lines = export.lines(file)
        original = export.truth[(file, truth["of_line"])]
        assert original["kind"] == "original" and original["ref"] == truth["ref"]
        assert truth["of_line"] < number
        if truth["kind"] == "resend":
            assert lines[number - 1] == lines[truth["of_line"] - 1]
        else:
            assert lines[number - 1] != lines[truth["of_line"] - 1] and truth["changed"]
            if file.endswith(".jsonl"):
                new, old = json.loads(lines[number - 1]), json.loads(lines[truth["of_line"] - 1])
                assert set(truth["changed"]) == {k for k in new if new[k] != old.get(k)}
                for stamp in ("datum_melding", "ontvangen"):
                    if stamp in truth["changed"]:
                        assert new[stamp] > old[stamp]


def test_references_repeat_only_as_resends_and_revisions(export: Export) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for (file, _), truth in sorted(export.truth.items()):
        if truth["kind"] == "original":
            seen[(file, truth["ref"])] += 1
    assert max(seen.values()) == 1


def test_every_mention_is_a_true_entity_of_the_stated_ring(export: Export) -> None:
    world = json.loads((export.dir / "world.json").read_text(encoding="utf-8"))
    ring_members = {m["id"]: ring["id"] for ring in world["rings"] for group in ring["leden"].values()
                    for m in group}
    ring_mentions = innocent = 0
    for truth in export.truth.values():
        for mention in truth["mentions"]:
            entity = export.entities[mention["entity"]]
            assert entity["ring"] == mention["ring"]
            assert ring_members.get(mention["entity"]) == mention["ring"]
            if mention["ring"]:
                ring_mentions += 1
            else:
                innocent += 1
    assert ring_mentions > 0 and innocent > ring_mentions


def test_most_records_are_innocent(export: Export) -> None:
    about_a_ring = sum(t["ring"] is not None for t in export.truth.values())
    assert 0.1 * SIGNALS < about_a_ring < 0.5 * SIGNALS


def test_rings_span_municipalities_and_some_move_next_door(export: Export) -> None:
    world = json.loads((export.dir / "world.json").read_text(encoding="utf-8"))
    assert len(world["rings"]) == export.report.rings >= 3
    for ring in world["rings"]:
        addresses = ring["leden"]["adres"]
        assert len({a["gemeente"] for a in addresses}) >= 2
        assert ring["leden"]["persoon"] and ring["leden"]["bedrijf"]
        roles = {p["rol"] for p in ring["leden"]["persoon"]}
        assert roles == {"verdachte", "slachtoffer"}
    moved = [r for r in world["rings"] if r["verplaatst_naar"]]
    for ring in moved:
        assert ring["verplaatst_naar"] in ring["gemeenten"]
        assert any(a["gemeente"] == ring["verplaatst_naar"] for a in ring["leden"]["adres"])


def test_ring_businesses_show_in_the_kvk_export(export: Export) -> None:
    ring_rows = [t for t in export.truth.values() if t["file"] == FILES[0] and t["ring"]]
    assert ring_rows
    lines = export.lines(FILES[0])
    kinds = {lines[t["line"] - 1].split(";")[1] for t in ring_rows if t["kind"] == "original"}
    assert {"inschrijving", "opheffing"} <= kinds
