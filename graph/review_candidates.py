"""Merge-review candidates in the graph: possible duplicates an analyst confirms or rejects.

The sink writes one ``ReviewCandidate`` node per entity pair the resolver put in its review band
(``graph.upsert.UPSERT_REVIEWS``); ``AnalystQueries.reviews`` lists the open ones an analyst may
see; the explorer's review desk records the decision (``cypher.DECIDE_REVIEW``).
"""

from __future__ import annotations

import hashlib


def review_id(a: str, b: str) -> str:
    """The id of the question "are ``a`` and ``b`` one entity?" (the order does not matter)."""
    pair = "|".join(sorted((a, b)))
    return "RV-" + hashlib.sha256(pair.encode()).hexdigest()[:16]
