"""The dossier: anchor first, evidence without narratives, links cut to the evidence, the risk
score's breakdown."""

from __future__ import annotations

import json
from datetime import timedelta

from alerts.config import INDEPENDENT_PARTNERS
from alerts.dossier import DOSSIER_FORMAT, build_dossier, explaining_links
from alerts.rules import Finding, Plan
from graph.analyst.model import EntitySummary, Link
from tests.unit.alerts.facts import T0, sighting


def test_a_dossier_holds_what_the_reviewer_may_see_and_no_more() -> None:
    evidence = (sighting("s1", "riec", 0), sighting("s2", "kvk", 3, "high"),
                sighting("s3", "stichting-m", 5, distribution="tlp:amber+strict",
                         purpose="criminal-law"))
    plan = Plan("P-x", (Finding(INDEPENDENT_PARTNERS, ("P-x",), evidence, {"window_days": 90}),))
    entities = {"P-x": EntitySummary("P-x", "Person", "Jan Berg", {"family_name": "Berg"}),
                "B-y": EntitySummary("B-y", "Business", "Clean Pro", {})}
    links = [Link("P-x", "DIRECTOR_OF", "B-y", ("s1", "s9"), ("riec", "zorg"), T0, T0),
             Link("P-x", "CO_MENTIONED", "T-z", ("s9",), ("zorg",), T0, T0)]
    doc = build_dossier(alert_id="AL-1", version=2, plan=plan, reviewer="riec",
                        entities=entities, links=links, created_at=T0,
                        updated_at=T0 + timedelta(days=1),
                        follow_up_of={"status": "approved", "version": 1},
                        decisions=[{"version": 1, "status": "approved", "by": "a"}]
                        ).model_dump(mode="json")
    assert doc["format"] == DOSSIER_FORMAT and (doc["alert_id"], doc["version"]) == ("AL-1", 2)
    assert doc["anchor"] == {"entity": entities["P-x"].to_json(), "chosen_as": "entity"}
    assert [e["entity_id"] for e in doc["entities"]] == ["P-x", "B-y"]
    assert [e["signal_id"] for e in doc["evidence"]] == ["s1", "s2", "s3"]
    assert set(doc["evidence"][0]) == {"signal_id", "revision", "partner", "observed_at",
                                       "severity", "category", "distribution", "purpose",
                                       "barrier_stages", "indicators"}
    # s9 (not evidence: say a care signal) is cut from the links, and a link only it backs goes
    assert doc["links"] == [{"source": "P-x", "kind": "DIRECTOR_OF", "target": "B-y",
                             "signal_ids": ["s1"], "partners": ["riec"],
                             "first_seen": T0.isoformat(), "last_seen": T0.isoformat()}]
    assert doc["purposes"] == ["administrative", "criminal-law"]
    assert doc["risk"]["score"] > 0 and doc["risk"]["breakdown"]["signals"] == 3
    assert doc["risk"]["breakdown"]["at"] == (T0 + timedelta(days=5)).isoformat()
    assert "s9" not in json.dumps(doc) and "narrative" not in json.dumps(doc)


def test_links_keep_only_evidence() -> None:
    assert explaining_links([Link("a", "USES", "b", ("x",), ("kvk",), None, None)],
                            (sighting("s1", "riec"),)) == []
