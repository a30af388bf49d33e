"""Deduplication against the generator's ground truth: every exact resend suppressed, every
revision with new facts recognised, no original lost."""

from __future__ import annotations

from bench.dedupe_eval import check_dedupe
from tests.unit.generator.conftest import Export


def test_dedupe_matches_the_ground_truth(export: Export) -> None:
    check = check_dedupe(export.dir)
    assert check.confusion["resend"], "the generator wrote no resend"
    assert check.confusion["revision"], "the generator wrote no revision"
    assert (check.share("resend"), check.share("revision"), check.share("original")) == (1.0, 1.0, 1.0)
    assert check.revisions_without_new_facts < sum(check.confusion["revision"].values())
