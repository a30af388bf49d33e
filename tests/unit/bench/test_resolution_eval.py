"""The entity-resolution harness: the labelled dataset against a generated export, pairwise metrics
on hand-made clusterings, strong-key violations, and the bench with stand-in resolvers."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.resolution_eval import (
    FILES,
    Dataset,
    Kind,
    LabelledRecord,
    RecordsMismatch,
    ResolveFile,
    build_dataset,
    load_dataset,
    pairwise_metrics,
    recall_by_partner_pair,
    run_resolve_bench,
    strong_key_violations,
    write_resolve_input,
)
from generator import generate
from schemas.subjects import Business, Person

SIGNALS = 2000
SEED = 20261129
MODEL: dict[str, type[Person] | type[Business]] = {"person": Person, "business": Business}


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, SIGNALS, SEED)
    return out


@pytest.fixture(scope="module")
def entities(gen_dir: Path) -> dict[str, dict[str, Any]]:
    lines = (gen_dir / "entities.jsonl").read_text(encoding="utf-8").splitlines()
    return {doc["id"]: doc for doc in map(json.loads, lines)}


@pytest.fixture(scope="module")
def datasets(gen_dir: Path) -> dict[str, Dataset]:
    return {kind: load_dataset(gen_dir, kind) for kind in ("person", "business")}


# -- dataset -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "truth_type"), [("person", "persoon"), ("business", "bedrijf")])
def test_every_record_maps_to_a_true_entity_of_its_type(
        datasets: dict[str, Dataset], entities: dict[str, dict[str, Any]], kind: str,
        truth_type: str) -> None:
    records = datasets[kind].records
    assert records
    assert {r.true_entity for r in records if entities.get(r.true_entity, {}).get("type") != truth_type} \
        == set()
    assert len({r.record_id for r in records}) == len(records)
    assert {r.kind_of_line for r in records} <= {"original", "revision", "resend"}
    for record in records[:300]:  # the subject is a valid Signal v1 subject again
        MODEL[kind].model_validate_json(json.dumps({**record.subject, "ref": "r1", "role": "other"}))


def test_the_dataset_covers_the_partners_that_mention_each_kind(datasets: dict[str, Dataset]) -> None:
    files = dict(FILES)
    person, business = datasets["person"], datasets["business"]
    assert set(person.kept) == set(person.unmapped) == set(files.values())
    for partner in ("kvk", "riec", "zorg"):
        assert person.kept[files[partner]] > 0
    assert person.kept[files["stichting-m"]] == 0  # names in tip text are not extracted
    assert person.unextracted[files["stichting-m"]] > 0
    for partner in ("kvk", "riec", "stichting-m"):
        assert business.kept[files[partner]] > 0
    total = {kind: sum(d.kept.values()) for kind, d in datasets.items()}
    assert total == {kind: len(d.records) for kind, d in datasets.items()}
    for dataset in datasets.values():  # mapping is nearly always certain on generated data
        assert sum(dataset.unmapped.values()) <= 0.01 * len(dataset.records)


def test_ring_persons_appear_in_more_than_one_partners_file(
        datasets: dict[str, Dataset], entities: dict[str, dict[str, Any]]) -> None:
    partners: dict[str, set[str]] = defaultdict(set)
    for record in datasets["person"].records:
        partners[record.true_entity].add(record.partner)
    ring = [e for e in partners if entities[e]["ring"] is not None]
    assert ring
    assert sum(len(partners[e]) > 1 for e in ring) >= 10
    assert max(len(p) for p in partners.values()) == 3  # KvK, RIEC and zorg


def test_records_interleave_the_files_in_arrival_order(datasets: dict[str, Dataset]) -> None:
    first = datasets["business"].records[:200]
    assert {r.partner for r in first} == {"kvk", "riec", "stichting-m"}


def test_repeated_lines_get_their_own_record_ids(datasets: dict[str, Dataset]) -> None:
    records = datasets["person"].records
    repeats = [r for r in records if r.kind_of_line in ("resend", "revision")]
    assert repeats
    assert all("#" in r.record_id for r in repeats)
    by_id = {r.record_id: r for r in records}
    for record in repeats:
        first = by_id[record.record_id.split("#")[0]]
        assert first.true_entity == record.true_entity


def test_the_truth_itself_violates_no_strong_key(datasets: dict[str, Dataset]) -> None:
    for dataset in datasets.values():
        truth = {r.record_id: r.true_entity for r in dataset.records}
        assert strong_key_violations(dataset.records, truth) == 0


def test_build_dataset_is_the_records_of_load_dataset(gen_dir: Path, datasets: dict[str, Dataset]) -> None:
    assert build_dataset(gen_dir, "business") == datasets["business"].records


def test_the_resolve_input_holds_one_line_per_record(tmp_path: Path, datasets: dict[str, Dataset]) -> None:
    records = datasets["business"].records
    path = tmp_path / "in.jsonl"
    assert write_resolve_input(records, path) == len(records)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [doc["record_id"] for doc in lines] == [r.record_id for r in records]
    assert all(set(doc) == {"record_id", "business"} for doc in lines)


# -- metrics -------------------------------------------------------------------------------------


def test_metrics_of_a_perfect_clustering() -> None:
    truth = {"a": "1", "b": "1", "c": "2"}
    m = pairwise_metrics(truth, {"a": "x", "b": "x", "c": "y"})
    assert (m.precision, m.recall, m.f1) == (1.0, 1.0, 1.0)
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == (1, 1, 1)
    assert (m.records, m.true_entities, m.predicted_entities) == (3, 2, 2)


def test_metrics_when_everything_is_lumped_together() -> None:
    m = pairwise_metrics({"a": "1", "b": "1", "c": "2"}, {"a": "x", "b": "x", "c": "x"})
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == (1, 3, 1)
    assert m.precision == pytest.approx(1 / 3)
    assert m.recall == 1.0
    assert m.f1 == pytest.approx(0.5)


def test_all_singletons_have_precision_one_by_convention_and_recall_zero() -> None:
    m = pairwise_metrics({"a": "1", "b": "1", "c": "1"}, {"a": "x", "b": "y", "c": "z"})
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)
    assert (m.predicted_pairs, m.true_pairs) == (0, 3)


def test_no_pairs_anywhere_is_perfect() -> None:
    m = pairwise_metrics({"a": "1", "b": "2"}, {"a": "x", "b": "y"})
    assert (m.precision, m.recall, m.f1) == (1.0, 1.0, 1.0)


def test_metrics_of_a_split_and_a_wrong_join() -> None:
    truth = {"1": "a", "2": "a", "3": "a", "4": "b", "5": "b"}
    m = pairwise_metrics(truth, {"1": "x", "2": "x", "3": "y", "4": "y", "5": "y"})
    # true pairs 3 + 1, predicted 1 + 3; right: (1,2) and (4,5)
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == (4, 4, 2)
    assert (m.precision, m.recall, m.f1) == (0.5, 0.5, 0.5)


def test_metrics_agree_with_counting_pairs_one_by_one() -> None:
    rng = random.Random(7)
    truth = {str(i): f"t{rng.randrange(15)}" for i in range(120)}
    predicted = {r: f"p{rng.randrange(20)}" if rng.random() < 0.3 else f"q{e}" for r, e in truth.items()}
    pairs = list(itertools.combinations(truth, 2))
    same_true = {(a, b) for a, b in pairs if truth[a] == truth[b]}
    same_pred = {(a, b) for a, b in pairs if predicted[a] == predicted[b]}
    m = pairwise_metrics(truth, predicted)
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == \
        (len(same_true), len(same_pred), len(same_true & same_pred))


def test_metrics_need_the_same_records() -> None:
    with pytest.raises(RecordsMismatch) as caught:
        pairwise_metrics({"a": "1", "b": "1"}, {"a": "x", "c": "x"})
    assert (caught.value.only_truth, caught.value.only_predicted) == (1, 1)


def test_recall_by_partner_pair_splits_the_true_pairs() -> None:
    records = [LabelledRecord(rid, {}, true, partner, "f", 1, "original") for rid, true, partner in (
        ("1", "A", "kvk"), ("2", "A", "riec"), ("3", "A", "riec"), ("4", "B", "zorg"), ("5", "B", "riec"))]
    predicted = {"1": "x", "2": "x", "3": "y", "4": "z", "5": "z"}
    assert recall_by_partner_pair(records, predicted) == {
        "kvk+riec": {"true_pairs": 2, "recall": 0.5},
        "riec+riec": {"true_pairs": 1, "recall": 0.0},
        "riec+zorg": {"true_pairs": 1, "recall": 1.0},
    }


# -- strong keys ---------------------------------------------------------------------------------


def _record(record_id: str, **subject: Any) -> LabelledRecord:
    return LabelledRecord(record_id, subject, "?", "riec", "f", 1, "original")


def _ids(scheme: str, value: str) -> list[dict[str, str]]:
    return [{"scheme": scheme, "value": value}]


def test_two_bsn_pseudonyms_in_one_entity_are_a_violation() -> None:
    records = [_record("a", type="person", identifiers=_ids("bsn-pseudonym", "ps1:1")),
               _record("b", type="person", identifiers=_ids("bsn-pseudonym", "ps1:2")),
               _record("c", type="person", identifiers=_ids("bsn-pseudonym", "ps1:1"))]
    assert strong_key_violations(records, {"a": "E1", "b": "E1", "c": "E1"}) == 1
    assert strong_key_violations(records, {"a": "E1", "b": "E2", "c": "E1"}) == 0


def test_patient_pseudonyms_are_scoped_so_two_are_no_violation() -> None:
    records = [_record("a", type="person", identifiers=_ids("patient-pseudonym", "ps1:1")),
               _record("b", type="person", identifiers=_ids("patient-pseudonym", "ps1:2"))]
    assert strong_key_violations(records, {"a": "E1", "b": "E1"}) == 0


def test_two_kvk_numbers_violate_only_when_they_share_no_name() -> None:
    records = [_record("a", type="business", kvk_number="12345678", trade_name="Clean Pro"),
               _record("b", type="business", kvk_number="87654321", trade_name="CLEAN  pro"),
               _record("c", type="business", kvk_number="11112222", trade_name="Lucky Nails"),
               _record("d", type="business", kvk_number="12345678", trade_name="Clean Pro BV"),
               _record("e", type="business", trade_name="Anything")]
    assert strong_key_violations(records, {"a": "E1", "b": "E1", "d": "E1", "e": "E1"}) == 0
    assert strong_key_violations(records, {"a": "E1", "c": "E1", "b": "E2", "d": "E2"}) == 2
    assert strong_key_violations(records, {"a": "E1", "c": "E1", "b": "E2", "d": "E3"}) == 1
    assert strong_key_violations(records, {"c": "E3"}) == 0


# -- bench ---------------------------------------------------------------------------------------


def _stand_in(assign: Callable[[str, dict[str, Any]], str]) -> ResolveFile:
    """A ``resolve_file`` that gives each input record ``assign(record_id, subject)``."""
    def resolve_file(kind: Kind, src: Path, dst: Path) -> None:
        with src.open(encoding="utf-8") as lines, dst.open("w", encoding="utf-8") as out:
            for line in lines:
                doc = json.loads(line)
                out.write(json.dumps({"record_id": doc["record_id"],
                                      "entity_id": assign(doc["record_id"], doc[kind])}) + "\n")
    return resolve_file


def test_a_perfect_resolver_scores_one(gen_dir: Path, datasets: dict[str, Dataset]) -> None:
    truth = {r.record_id: r.true_entity for r in datasets["person"].records}
    result = run_resolve_bench(gen_dir, "person", _stand_in(lambda rid, _: truth[rid]))
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 1.0, 1.0)
    assert result["records"] == len(truth)
    assert result["true_entities"] == result["predicted_entities"] == len(set(truth.values()))
    assert result["strong_key_violations"] == 0
    assert {v["recall"] for v in result["recall_by_partners"].values()} == {1.0}
    assert result["resolve_errors"] == 0
    assert result["records_per_s"] > 0


def test_a_resolver_that_never_links_has_recall_zero(gen_dir: Path) -> None:
    result = run_resolve_bench(gen_dir, "business", _stand_in(lambda rid, _: rid))
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 0.0, 0.0)
    assert result["predicted_entities"] == result["records"]


def test_exact_name_grouping_lands_in_between(gen_dir: Path) -> None:
    def by_name(record_id: str, subject: dict[str, Any]) -> str:
        name = subject.get("trade_name") or subject.get("kvk_number") or record_id
        return str(name).casefold()

    result = run_resolve_bench(gen_dir, "business", _stand_in(by_name))
    assert 0.0 < result["recall"] < 1.0
    assert 0.0 < result["precision"] <= 1.0


def test_records_the_resolver_refuses_count_as_singletons(gen_dir: Path, datasets: dict[str, Dataset]
                                                          ) -> None:
    truth = {r.record_id: r.true_entity for r in datasets["business"].records}
    refused = set(list(truth)[::10])

    def resolve_file(kind: Kind, src: Path, dst: Path) -> None:
        with src.open(encoding="utf-8") as lines, dst.open("w", encoding="utf-8") as out:
            for line in lines:
                rid = json.loads(line)["record_id"]
                doc = {"record_id": rid, "error": "x: bad"} if rid in refused \
                    else {"record_id": rid, "entity_id": truth[rid]}
                out.write(json.dumps(doc) + "\n")

    result = run_resolve_bench(gen_dir, "business", resolve_file)
    assert result["resolve_errors"] == len(refused)
    assert result["precision"] == 1.0
    assert result["recall"] < 1.0
