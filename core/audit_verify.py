"""``ketenlink audit verify``: check the hash chains of the audit log (``core.audit``).

``verify`` takes the entries in log order (topic offsets, or lines of an export) and reports,
per chain: an entry whose content no longer matches its hash (changed), a gap in ``seq``
(removed), an entry whose ``prev`` is not the hash of the one before (forged, reordered), a
``seq`` seen twice, and entries outside any chain. What a chain cannot show by itself: the
removal of its last entries, or of a whole chain — an export kept elsewhere (or the OM's copy of
a release) is the anchor for those.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.audit import GENESIS, entry_hash
from core.exceptions import TopicMissingError
from core.settings import KafkaSettings
from core.topic_reader import read_to_end


@dataclass
class Verdict:
    """The outcome of a verification: how much was read and every problem found."""

    entries: int = 0
    chains: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.entries > 0 and not self.problems


@dataclass
class _Chain:
    seq: int = 0
    hash: str = GENESIS


def verify(entries: Iterable[tuple[str, Any]], key: bytes) -> Verdict:
    """Check ``(position, entry)`` pairs in log order against the chains' ``key``;
    ``position`` names an entry in a problem (e.g. ``audit.log@17``)."""
    verdict = Verdict()
    chains: dict[str, _Chain] = {}
    for where, doc in entries:
        verdict.entries += 1
        if not isinstance(doc, dict) or not doc.get("chain") or not isinstance(doc.get("seq"), int):
            verdict.problems.append(f"{where}: not in a hash chain (no chain/seq)")
            continue
        chain = chains.setdefault(doc["chain"], _Chain())
        label = f"{where}: chain {doc['chain'][:8]} seq {doc['seq']}"
        if not hmac.compare_digest(entry_hash(doc, key), str(doc.get("hash"))):
            verdict.problems.append(f"{label}: content does not match its hash (changed)")
        if doc["seq"] <= chain.seq:
            verdict.problems.append(f"{label}: seq already seen (duplicate or replayed)")
            continue
        if doc["seq"] > chain.seq + 1:
            missing = doc["seq"] - chain.seq - 1
            verdict.problems.append(f"{label}: {missing} entr{'y' if missing == 1 else 'ies'} "
                                    f"missing before it (removed)")
        elif doc.get("prev") != chain.hash:
            verdict.problems.append(f"{label}: prev is not the hash of seq {chain.seq} "
                                    f"(forged or reordered)")
        chain.seq, chain.hash = doc["seq"], str(doc.get("hash"))
    verdict.chains = len(chains)
    return verdict


def topic_entries(kafka: KafkaSettings | str, topic: str) -> Iterator[tuple[str, Any]]:
    """Every record of ``topic`` from offset 0 to its end at call time, parsed; none when there
    is no such topic."""
    try:
        for record in read_to_end(kafka, topic):
            yield f"{topic}[{record.partition}]@{record.offset}", _parse(record.value)
    except TopicMissingError:
        return


def file_entries(path: Path) -> Iterator[tuple[str, Any]]:
    """Every line of a JSON Lines export."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield f"{path.name}:{number}", _parse(line.encode())


def _parse(raw: bytes | None) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None
