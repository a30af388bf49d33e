from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.resolve.offline import resolve_file


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_persons_in_file_order_with_error_lines(tmp_path: Path) -> None:
    jan = {"given_name": "Jan", "family_name": "Jansen", "birth_date": "1980-01-02"}
    src = _write(tmp_path / "in.jsonl", [
        {"record_id": "a", "person": jan},
        {"record_id": "b", "person": {"given_name": "Ana", "address": {
            "country": "DE", "street": "Hauptstraße", "house_number": 3, "postcode": "50667",
            "city": "Köln"}}},
        {"record_id": "c", "person": {**jan, "birth_date": "1980-13-02"}},
        "{not json",
        {"person": jan},
        {"record_id": "f", "person": {**jan, "family_name": "Jnasen", "ref": "zz", "role": "victim"}},
        {"record_id": "g", "person": {"identifiers": [{"scheme": "bsn", "value": "123456782"}]}},
    ])
    report = resolve_file("person", src, tmp_path / "out.jsonl")
    out = _read(tmp_path / "out.jsonl")
    assert [o.get("record_id") for o in out] == ["a", "b", "c", None, None, "f", "g"]
    assert out[0]["entity_id"] == out[5]["entity_id"] != out[1]["entity_id"]
    assert out[2]["error"].startswith("birth_date:")
    assert "JSON" in out[3]["error"] and out[4]["error"].startswith("record_id:")
    assert out[6]["error"].startswith("identifiers.0.scheme:")
    assert (report.records, report.errors, report.entities) == (7, 4, 2)
    assert report.per_s > 0


def test_businesses_and_final_ids_after_merges(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [
        {"record_id": "1", "business": {"trade_name": "Angel Cleaning", "address": {
            "postcode": "1234AB", "house_number": 5, "city": "Ergens"}}},
        {"record_id": "2", "business": {"kvk_number": "12345678", "trade_name": "Angel Cleaning B.V."}},
        {"record_id": "3", "business": {
            "kvk_number": "12345678", "trade_name": "Angel Cleaning", "sbi_code": "8121",
            "address": {"postcode": "1234 AB", "house_number": 5, "city": "Ergens"}}},
        {"record_id": "4", "business": {"legal_form": "bv"}},
    ])
    report = resolve_file("business", src, tmp_path / "out.jsonl")
    out = _read(tmp_path / "out.jsonl")
    assert len({o["entity_id"] for o in out[:3]}) == 1
    assert "error" in out[3] and report.entities == 1


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        resolve_file("phone", tmp_path / "in.jsonl", tmp_path / "out.jsonl")  # type: ignore[arg-type]
