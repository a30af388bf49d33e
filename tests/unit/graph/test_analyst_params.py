"""Parameter checks of the analyst queries (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from graph.analyst.params import (
    Filters,
    check_count,
    check_depth,
    check_entity_id,
    check_municipality,
    parse_when,
    window,
)
from graph.exceptions import DateError, DepthError, QueryInputError


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_depths_one_to_four(depth: int) -> None:
    assert check_depth(depth) == depth


@pytest.mark.parametrize("depth", [0, 5, -1, True, 2.0, "2"])
def test_other_depths_are_refused(depth: object) -> None:
    with pytest.raises(DepthError) as failure:
        check_depth(depth)  # type: ignore[arg-type]
    assert (failure.value.low, failure.value.high, failure.value.parameter) == (1, 4, "depth")


def test_entity_ids_and_codes() -> None:
    assert check_entity_id(" P-0123abcd ") == "P-0123abcd"
    for bad in ("", "P-", "0123", "P-12 34", "P-{x}", "p-123"):
        with pytest.raises(QueryInputError):
            check_entity_id(bad)
    assert check_municipality("NL:rotterdam") == "NL:rotterdam"
    for bad in ("rotterdam", "NL: rotterdam", "nl:rotterdam"):
        with pytest.raises(QueryInputError):
            check_municipality(bad)


def test_counts() -> None:
    assert check_count(500, "limit") == 500
    for bad in (0, 10_001, True, None):
        with pytest.raises(QueryInputError, match="limit"):
            check_count(bad, "limit")  # type: ignore[arg-type]


def test_dates_are_dutch_local_unless_zoned() -> None:
    assert parse_when("2026-03-01", "at") == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert parse_when(date(2026, 7, 1), "at") == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert parse_when("2026-03-01T12:00+00:00", "at") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_when(datetime(2026, 3, 1, 12), "at") == datetime(2026, 3, 1, 11, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "01-03-2026"):
        with pytest.raises(DateError):
            parse_when(bad, "at")


def test_filters() -> None:
    filters = Filters(since="2026-01-01", until="2026-02-01", partners=frozenset({"kvk"}),
                      categories=frozenset({"labour"}), roles=frozenset({"suspect"}))
    assert filters.params() == {"since": datetime(2025, 12, 31, 23, tzinfo=UTC),
                                "until": datetime(2026, 1, 31, 23, tzinfo=UTC),
                                "partners": ["kvk"], "categories": ["labour"],
                                "roles": ["suspect"]}
    assert Filters().describe() == {}
    with pytest.raises(DateError, match="after since"):
        Filters(since="2026-02-01", until="2026-01-01")
    with pytest.raises(QueryInputError, match="categories"):
        Filters(categories=frozenset({"theft"}))
    with pytest.raises(QueryInputError, match="roles"):
        Filters(roles=frozenset({"boss"}))
    with pytest.raises(QueryInputError, match="partners"):
        Filters(partners=frozenset())


def test_window() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    before, same, after = window(at, 10)
    assert (before.day, same, after.day) == (19, at, 11)


def test_dates_outside_the_calendar_analysts_use_are_refused_by_name() -> None:
    for bad in ("0001-01-01", "9999-12-31T23:59+00:00", date(1899, 12, 31),
                datetime(2100, 1, 1, tzinfo=UTC), "0001-01-01T00:00-14:00"):
        with pytest.raises(DateError, match=r"^since=.*: must lie from 1900-01-01 to 2099-12-31"):
            parse_when(bad, "since")
    assert parse_when("1900-01-01", "since").year == 1899  # local midnight is 23:00 UTC before


def test_messages_show_values_as_typed_never_as_python_reprs() -> None:
    with pytest.raises(DateError) as caught:
        Filters(since="2026-02-01", until="2026-01-01")
    assert str(caught.value) == ('until="2025-12-31T23:00:00+00:00": must lie after since '
                                 '(2026-01-31T23:00:00+00:00)')
    with pytest.raises(QueryInputError) as unknown:
        Filters(categories=frozenset({"theft"}))
    assert str(unknown.value) == ('categories=["theft"]: known: criminal, labour, other, '
                                  'sexual')
