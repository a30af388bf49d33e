"""The demo's pure helpers: run-unique references, refusal reasons, progress lines."""

from __future__ import annotations

import io
import json
from typing import Any

from ketenlink.demo.pipeline import STALL_TIMEOUT_S, WaitStatus, next_step
from ketenlink.demo.progress import Progress
from ketenlink.demo.records import Parked
from ketenlink.demo.scenario import broken_records, tag_ref
from ketenlink.demo.summary import capped, parked_lines, reason_counts, reason_kind


def test_tag_ref_appends_to_the_first_csv_field_only() -> None:
    line = "M2025000012;inschrijving;2025-01-02;M2025000012"
    assert tag_ref(line, "M2025000012", ".run") == "M2025000012.run;inschrijving;2025-01-02;M2025000012"


def test_tag_ref_does_not_touch_a_csv_line_that_only_starts_like_the_reference() -> None:
    line = "M20250000123;inschrijving"
    assert tag_ref(line, "M2025000012", ".run") == line


def test_tag_ref_rewrites_the_json_value_not_a_longer_one() -> None:
    doc = {"tip_id": "M-2024-000001", "tekst": "zie ook M-2024-0000011"}
    tagged = json.loads(tag_ref(json.dumps(doc, ensure_ascii=False), "M-2024-000001", ".run"))
    assert tagged == {"tip_id": "M-2024-000001.run", "tekst": "zie ook M-2024-0000011"}


def test_tag_ref_leaves_a_line_without_the_reference_alone() -> None:
    broken = '{"casus_ref": "RIEC-AA-2024-00'
    assert tag_ref(broken, "RIEC-AA-2024-0001", ".run") == broken


def test_reason_kind_groups_by_field_and_hides_numbers() -> None:
    assert reason_kind("postcode: not a valid Dutch postcode") == "postcode"
    assert reason_kind("subjecten[6].bsn: fails the elfproef") == "subjecten[N].bsn"
    assert reason_kind("expected 18 columns, found 9") == "expected N columns, found N"
    assert reason_kind("not JSON: Expecting ',' delimiter at column 45") == "not JSON"


def test_reason_counts_most_frequent_first() -> None:
    reasons = ["datum: '2025-02-30' is not a date", "kvk_nummer: 8 digits", "datum: 'x' is not a date"]
    assert reason_counts(reasons) == "2 datum, 1 kvk_nummer"


def test_capped_lists() -> None:
    assert capped([]) == "none"
    assert capped(["a", "b"]) == "a, b"
    assert capped([str(i) for i in range(5)], cap=3) == "0, 1, 2 … (2 more)"


def test_broken_records_carry_the_run_id() -> None:
    records = broken_records("demo-1")
    assert [partner for partner, _ in records] == ["kvk", "riec"]
    assert all(b"demo-1" in raw for _, raw in records)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_off_a_terminal_prints_one_line_every_few_seconds() -> None:
    lines: list[str] = []
    clock = _Clock()
    with Progress(lines.append, io.StringIO(), every_s=5.0, clock=clock) as progress:
        for second in range(12):
            clock.now = float(second)
            progress.update(f"at {second}")
    assert lines == ["at 0", "at 5", "at 10"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_rewrites_one_line_and_clears_it() -> None:
    stream, lines = _Tty(), list[str]()
    with Progress(lines.append, stream) as progress:
        progress.update("one")
        progress.update("two")
    assert lines == []
    assert stream.getvalue() == "\rone\x1b[K\rtwo\x1b[K\r\x1b[K"


def test_parked_lines_count_each_service_and_reason() -> None:
    parked = [Parked("not JSON: x", "intake", broken=True), Parked("boom", "router"),
              Parked("boom", "router"), Parked("boom", "graph-sink")]
    assert parked_lines(parked) == ["2 by the router: boom", "1 by the intake: not JSON: x",
                                    "1 by the graph-sink: boom"]


def _status(**changes: Any) -> WaitStatus:
    base: dict[str, Any] = {"intake": 100, "expected": 100, "worker_lag": 0, "resolved": 90,
                            "in_graph": 88, "signals": 88, "sink_lag": 0, "parked": 2,
                            "resolved_read": True}
    return WaitStatus(**{**base, **changes})


def test_the_wait_is_done_when_intake_resolution_and_sink_are_through() -> None:
    assert next_step(_status(), quiet_s=0.0) == "done"
    assert next_step(_status(sink_lag=3), quiet_s=0.0) == "wait"
    assert next_step(_status(resolved_read=False), quiet_s=0.0) == "wait"


def test_the_wait_fails_once_nothing_has_moved_for_the_stall_timeout() -> None:
    stuck = _status(intake=95)
    assert next_step(stuck, quiet_s=STALL_TIMEOUT_S - 1) == "wait"
    assert next_step(stuck, quiet_s=STALL_TIMEOUT_S) == "fail"
