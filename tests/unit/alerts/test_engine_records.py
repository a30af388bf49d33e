"""What a batch of records touches: entity ids, signal revisions, merges; bad records skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alerts.engine import AlertTopics, touched_by

TOPICS = AlertTopics(resolved="r", merges="m", proposed="p")


@dataclass
class Record:
    topic: str
    value: bytes
    partition: int = 0
    offset: int = 0


def _resolved(signal_id: str, revision: Any, *entities: str) -> Record:
    return Record("r", json.dumps({"signal_id": signal_id, "revision": revision,
                                   "entities": [{"entity_id": e} for e in entities]}).encode())


def test_a_batch_touches_its_entities_signals_and_merges() -> None:
    records = [_resolved("s1", 1, "P-a", "B-b"), _resolved("s1", 2, "P-a"),
               _resolved("s2", 1, "L-c"),
               Record("m", json.dumps({"merged": "P-z", "into": "P-a"}).encode()),
               Record("r", b"not json"), _resolved("s3", "2", "P-q"),
               Record("m", json.dumps({"merged": "P-y"}).encode())]
    out = touched_by(records, TOPICS)
    assert out.signals == {"s1": 2, "s2": 1}
    assert out.merged == {"P-z"}
    assert out.entities == {"P-a", "B-b", "L-c", "P-z"}
    assert out.skipped == 3


def test_suppressed_signals_persons_and_merges_are_neither_waited_for_nor_evaluated() -> None:
    from policy.suppression import SuppressionSet

    def resolved(signal_id: str, *entities: str) -> Record:
        refs = [f"r{i}" for i in range(len(entities))]
        return Record("r", json.dumps({
            "signal_id": signal_id, "revision": 1,
            "signal": {"subjects": [{"ref": r, "type": "person"} for r in refs]},
            "entities": [{"ref": r, "entity_id": e} for r, e in zip(refs, entities,
                                                                    strict=True)]}).encode())

    records = [resolved("gone", "P-a"), resolved("s2", "P-erased", "B-b"),
               Record("m", json.dumps({"merged": "P-erased", "into": "P-c"}).encode()),
               Record("m", json.dumps({"merged": "P-d", "into": "P-c"}).encode())]
    suppressed = SuppressionSet(signals=frozenset({"gone"}), entities=frozenset({"P-erased"}))
    out = touched_by(records, TOPICS, suppressed)
    assert out.signals == {"s2": 1}
    assert out.entities == {"B-b", "P-d", "P-c"} and out.merged == {"P-d"}
    assert out.skipped == 0
    everything = touched_by(records, TOPICS)
    assert everything.signals == {"gone": 1, "s2": 1} and "P-erased" in everything.entities
