"""The rules file: the shipped one loads, bad ones are refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.config import AlertRules, load_rules
from alerts.exceptions import RulesError
from policy.exceptions import RoleRequiredError, UnknownPartnerError


def test_the_shipped_rules() -> None:
    rules = load_rules()
    assert rules.reviewer == "riec"
    ip, ring = rules.independent_partners, rules.ring_regions
    assert (ip.min_partners, ip.window_days, set(ip.severities)) == (3, 90, {"high", "critical"})
    assert "Person" in ip.labels and set(ip.person_roles) == {"suspect", "facilitator"}
    assert (ring.min_members, ring.min_regions) == (4, 2)
    assert rules.reviewer_clearance().partner_id == "riec"


def test_defaults_equal_the_shipped_file() -> None:
    assert AlertRules() == load_rules()


@pytest.mark.parametrize(("text", "problem"), [
    ("reviewer: riec\nrules: {independent-partners: {min_partners: 1}}\n", "min_partners"),
    ("rules: {independent-partners: {severities: [huge]}}\n", "severities"),
    ("rules: {independent-partners: {labels: [Alert]}}\n", "unknown or no label"),
    ("rules: {ring-regions: {min_regions: 0}}\n", "min_regions"),
    ("rules: {ring_sizes: {}}\n", "ring_sizes"),
    ("- just a list\n", "expected a mapping"),
    ("reviewer: [riec\n", "cannot be read"),
])
def test_a_bad_file_names_its_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert problem in str(caught.value) and caught.value.where == str(path)


def test_the_reviewer_must_be_a_known_partner_with_analysts() -> None:
    with pytest.raises(RoleRequiredError):
        AlertRules(reviewer="kvk").reviewer_clearance()
    with pytest.raises(UnknownPartnerError):
        AlertRules(reviewer="nobody").reviewer_clearance()
