"""Cypher pieces more than one query is built from: following merges, and recomputing a
relation edge's provenance when signals leave it. Labels come from ``schemas.graph_model``;
values are always parameters."""

from __future__ import annotations

from schemas.graph_model import ENTITY_LABEL

MAX_REDIRECTS = 20
"""How long a ``MERGED_INTO`` chain is followed (writes and analyst queries alike)."""

MERGE_CLUSTERS_OF_IDS = f"""
UNWIND $ids AS id
MATCH (e:{ENTITY_LABEL} {{entity_id: id}})
OPTIONAL MATCH (e)-[:MERGED_INTO*1..{MAX_REDIRECTS}]->(t:{ENTITY_LABEL})
  WHERE NOT (t)-[:MERGED_INTO]->()
WITH DISTINCT coalesce(t, e) AS root
MATCH (x:{ENTITY_LABEL})-[:MERGED_INTO*0..{MAX_REDIRECTS}]->(root)
"""
"""For the entity ids ``$ids``: the survivor ``root`` of each one's merge cluster and every node
``x`` of that cluster (the survivor and every node redirected into it)."""

RECOMPUTE_PROVENANCE = """
OPTIONAL MATCH (other:Signal) WHERE other.signal_id IN r.signal_ids
WITH r, other ORDER BY other.partner_id
WITH r, collect(DISTINCT other.partner_id) AS partners, min(other.observed_at) AS first,
     max(other.observed_at) AS last
SET r.partners = partners, r.first_seen = first, r.last_seen = last
"""
"""With the relation edge ``r`` whose ``signal_ids`` just shrank: its partners and first and
last sighting from the signals that still support it."""
