"""The partner registry file and its entries: what is refused, with what reason."""

from __future__ import annotations

from typing import Any

import pytest

from policy.exceptions import ClearanceError, UnknownPartnerError
from policy.registry import Registry, load_registry, parse_entry

BASE = {"source": "municipality", "distributions": ["clear"], "purposes": ["prevention"],
        "roles": ["subscriber"]}


def _entry(**changes: Any) -> Any:
    return parse_entry("gemeente-breda", {**BASE, **changes})


def test_the_shipped_registry_loads_and_every_subscriber_subscribes() -> None:
    registry = load_registry()
    assert registry.version == 0
    assert set(registry.entries) >= {"riec", "om", "kvk", "zorg", "stichting-m"}
    assert registry.entry("stichting-m").source == "anonymous-tips"
    assert registry.entry("zorg").source == "healthcare"
    for entry in registry.entries.values():
        assert bool(entry.subscriptions) == ("subscriber" in entry.roles), entry.partner_id
    with pytest.raises(UnknownPartnerError):
        registry.entry("nobody")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"distributions": ["red"]}, "'red' cannot be granted"),
    ({"purposes": ["gossip"]}, "unknown purpose"),
    ({"source": "rumour"}, "source"),
    ({"subscriptions": [{"name": "a", "regions": ["XX"]}]}, "unknown region"),
    ({"subscriptions": [{"name": "a", "indicators": ["NOPE-1"]}]}, "unknown indicator"),
    ({"subscriptions": [{"name": "a", "min_risk": -1}]}, "min_risk"),
    ({"subscriptions": [{"name": "a"}, {"name": "a"}]}, "same name"),
    ({"roles": [], "subscriptions": [{"name": "a"}]}, "subscriber"),
    ({"subscriptions": [{"name": "a", "colour": "red"}]}, "colour"),
    ({"webhook": {"url": "http://partner.example/hook"}}, "loopback only"),
    ({"webhook": {"url": "ftp://partner.example/hook"}}, "https://"),
])
def test_bad_entries_are_refused_naming_the_problem(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ClearanceError, match="gemeente-breda") as caught:
        _entry(**changes)
    assert reason in str(caught.value)


def test_good_entries_normalise_municipalities() -> None:
    entry = _entry(subscriptions=[{"name": "mine", "municipalities": ["Bergen op Zoom",
                                                                      "NL:breda"]}],
                   webhook={"url": "http://127.0.0.1:8080/hook"})
    assert entry.subscriptions[0].municipalities == ("NL:bergen-op-zoom", "NL:breda")
    assert _entry(webhook={"url": "https://partner.example/hook"}).webhook is not None


def test_changes_and_resets() -> None:
    seed = Registry({"gemeente-breda": _entry()})
    changed = seed.with_entry(_entry(distributions=["clear", "green"]), version=4)
    assert changed.version == 4 and changed.clearances["gemeente-breda"].distributions == {
        "clear", "green"}
    assert changed.without("gemeente-breda", seed, 5).entries == seed.entries
    assert "other" not in changed.without("other", seed, 6).entries
