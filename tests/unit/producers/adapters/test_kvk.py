from __future__ import annotations

from pathlib import Path

from producers.adapters.base import Parsed, Rejected, Skipped
from producers.adapters.kvk import KvkAdapter


def _by_line(path: Path) -> dict[int, Parsed | Rejected | Skipped]:
    return {r.line: r for r in KvkAdapter().read(path)}


def test_every_line_is_accounted_for(data: Path) -> None:
    results = _by_line(data / "kvk-mutaties.csv")
    lines = len((data / "kvk-mutaties.csv").read_text().splitlines())
    assert sorted(results) == list(range(2, lines + 1))


def test_indicators_from_the_whole_export(data: Path) -> None:
    results = _by_line(data / "kvk-mutaties.csv")
    lucky = results[2]
    assert isinstance(lucky, Parsed)
    assert set(lucky.signal.indicators) == {"BUS-HIGH-RISK-SECTOR", "BUS-MANY-AT-ADDRESS",
                                            "BUS-SERIAL-DIRECTOR"}
    assert lucky.signal.category == "sexual" and lucky.signal.purpose == "administrative"
    kinds = {s.type for s in lucky.signal.subjects}
    assert kinds == {"business", "location", "person"}
    assert {(r.source, r.type, r.target) for r in lucky.signal.relations} == \
        {("b1", "LOCATED_AT", "l1"), ("p1", "OWNS", "b1")}
    assert isinstance(results[3], Skipped) and results[3].reason == "no indicator"  # bakery
    assert isinstance(results[10], Skipped)  # bicycle repair shop: no indicator


def test_bad_lines_are_rejected_with_reasons(data: Path) -> None:
    results = _by_line(data / "kvk-mutaties.csv")
    reasons = {line: r.reason for line, r in results.items() if isinstance(r, Rejected)}
    assert reasons[11] == "kvk_nummer: a KvK number is exactly 8 digits"
    assert reasons[12].startswith("broken CSV line")
    assert "postcode: not a valid Dutch postcode" in reasons[13]
    assert reasons[14].startswith("mutatie_type: unknown value 'verhuizing'")
    assert "trade_name: must not contain '<' '>'" in reasons[15]


def test_wrong_header_rejects_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id;naam\n1;a\n")
    results = list(KvkAdapter().read(path))
    assert len(results) == 1 and isinstance(results[0], Rejected)
    assert results[0].reason.startswith("header must be exactly")


def test_invalid_postcode_is_rejected_even_without_an_indicator(data: Path, tmp_path: Path) -> None:
    header, bakery = (data / "kvk-mutaties.csv").read_text().splitlines()[0:3:2]
    path = tmp_path / "one.csv"
    path.write_text(f"{header}\n{bakery.replace('5611 AA', '0611 AA')}\n")
    [result] = KvkAdapter().read(path)
    assert isinstance(result, Rejected)
    assert result.reason.startswith("postcode: ")
