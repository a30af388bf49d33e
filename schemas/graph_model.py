"""Node and edge types of the Ketenlink graph, declared once; graph/ derives Cypher from them.

Every node has one key property (unique). Resolved entities share ``entity_id`` as key;
merges leave a ``MERGED_INTO`` redirect instead of rewriting history.
"""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_KEY = "entity_id"


@dataclass(frozen=True)
class NodeType:
    """A node label, its unique key property and the properties analysts search on."""

    label: str
    key: str
    indexed: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class EdgeType:
    """A relationship type and the labels it may connect."""

    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    provenance: bool = True
    description: str = ""


NODE_TYPES: tuple[NodeType, ...] = (
    NodeType("Signal", "signal_id", ("observed_at", "category", "partner_id"),
             "One published fragment of information from a chain partner."),
    NodeType("Partner", "partner_id", (), "A chain partner organisation."),
    NodeType("Person", ENTITY_KEY, ("family_name", "birth_date"), "A resolved natural person."),
    NodeType("Business", ENTITY_KEY, ("kvk_number", "trade_name"), "A resolved business."),
    NodeType("Location", ENTITY_KEY, ("postcode",), "A resolved address or place."),
    NodeType("Municipality", "code", ("name",), "A Dutch municipality (CBS code) or foreign place."),
    NodeType("Phone", ENTITY_KEY, ("e164",), "A phone number in E.164."),
    NodeType("Email", ENTITY_KEY, ("address",), "An e-mail address."),
    NodeType("BankAccount", ENTITY_KEY, ("iban",), "A bank account (IBAN)."),
    NodeType("Vehicle", ENTITY_KEY, ("plate",), "A vehicle by licence plate."),
    NodeType("Website", ENTITY_KEY, ("url",), "A website or online advertisement."),
    NodeType("Alert", "alert_id", ("status",), "An alert dossier proposed to or sent to the OM."),
)

ENTITY_LABELS: tuple[str, ...] = tuple(n.label for n in NODE_TYPES if n.key == ENTITY_KEY)

EDGE_TYPES: tuple[EdgeType, ...] = (
    EdgeType("REPORTED", ("Partner",), ("Signal",), provenance=False),
    EdgeType("MENTIONS", ("Signal",), ENTITY_LABELS, provenance=False,
             description="A signal mentions an entity, with its role (suspect, victim, ...)."),
    EdgeType("DIRECTOR_OF", ("Person",), ("Business",)),
    EdgeType("OWNS", ("Person",), ("Business",)),
    EdgeType("WORKS_AT", ("Person",), ("Business",)),
    EdgeType("LOCATED_AT", ("Business", "Person"), ("Location",)),
    EdgeType("LIVES_AT", ("Person",), ("Location",)),
    EdgeType("IN", ("Location",), ("Municipality",), provenance=False),
    EdgeType("USES", ("Person", "Business"), ("Phone", "Email", "BankAccount", "Vehicle", "Website")),
    EdgeType("CONTROLS", ("Person",), ("Person",),
             description="One person controls another (exploiter and victim, pimp and sex worker)."),
    EdgeType("ASSOCIATED_WITH", ("Person",), ("Person",)),
    EdgeType("ABOUT", ("Alert",), ENTITY_LABELS, provenance=False),
    EdgeType("EVIDENCE", ("Alert",), ("Signal",), provenance=False),
    EdgeType("MERGED_INTO", ENTITY_LABELS, ENTITY_LABELS, provenance=False,
             description="Redirect left by a merge: the source entity now lives on as the target."),
)


def relation_types() -> tuple[EdgeType, ...]:
    """Edges a signal may assert between its own subjects: the ones that carry provenance."""
    return tuple(edge for edge in EDGE_TYPES if edge.provenance)
