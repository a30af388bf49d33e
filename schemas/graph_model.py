"""Node and edge types of the Ketenlink graph, declared once; graph/ derives Cypher from them.

Every node has one key property (unique). Resolved entities share ``entity_id`` as key and carry
two labels: ``Entity`` and their type (``Person``, ``Business``...), so that an id can be found
without knowing its type; merges leave a ``MERGED_INTO`` redirect instead of rewriting history.
The properties an entity node carries are derived from its Signal v1 subject model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from pydantic import BaseModel

from schemas.subjects import (
    Address,
    BankAccount,
    Business,
    Email,
    Location,
    Person,
    Phone,
    Vehicle,
    Website,
)

ENTITY_KEY = "entity_id"
ENTITY_LABEL = "Entity"


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
    NodeType(ENTITY_LABEL, ENTITY_KEY, (), "Every resolved entity, whatever its type."),
    NodeType("Person", ENTITY_KEY, ("family_name", "birth_date"), "A resolved natural person."),
    NodeType("Business", ENTITY_KEY, ("kvk_number", "trade_name"), "A resolved business."),
    NodeType("Location", ENTITY_KEY, ("postcode",), "A resolved address or place."),
    NodeType("Municipality", "code", ("name",), "A Dutch municipality (CBS code) or foreign place."),
    NodeType("Phone", ENTITY_KEY, ("number",), "A phone number in E.164."),
    NodeType("Email", ENTITY_KEY, ("address",), "An e-mail address."),
    NodeType("BankAccount", ENTITY_KEY, ("iban",), "A bank account (IBAN)."),
    NodeType("Vehicle", ENTITY_KEY, ("plate",), "A vehicle by licence plate."),
    NodeType("Website", ENTITY_KEY, ("url",), "A website or online advertisement."),
    NodeType("Alert", "alert_id", ("status",), "An alert dossier proposed to or sent to the OM."),
    NodeType("ReviewCandidate", "review_id", ("status",),
             "Two entities the resolver found alike but not alike enough: an analyst decides."),
)

SEARCH_INDEX = "mention_search"
"""The full-text index over what mentions say about an entity (analyst search)."""
SEARCH_PROPERTIES: tuple[str, ...] = (
    "given_name", "family_name", "trade_name", "kvk_number", "street", "postcode", "city",
    "number", "address", "iban", "plate", "url")
"""The ``MENTIONS`` properties the search index covers: names and identifiers an analyst types."""

ENTITY_LABELS: tuple[str, ...] = tuple(n.label for n in NODE_TYPES
                                       if n.key == ENTITY_KEY and n.label != ENTITY_LABEL)
"""The entity types (each node also carries ``ENTITY_LABEL``)."""

EDGE_TYPES: tuple[EdgeType, ...] = (
    EdgeType("REPORTED", ("Partner",), ("Signal",), provenance=False),
    EdgeType("MENTIONS", ("Signal",), ENTITY_LABELS, provenance=False,
             description="A signal mentions an entity, with its role (suspect, victim, ...)."),
    EdgeType("DIRECTOR_OF", ("Person",), ("Business",)),
    EdgeType("OWNS", ("Person", "Business"), ("Business", "Location")),  # a landlord too
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


_SUBJECT_MODELS: dict[str, type[BaseModel]] = {
    "person": Person, "business": Business, "location": Location, "phone": Phone,
    "email": Email, "bank_account": BankAccount, "vehicle": Vehicle, "website": Website}
_NOT_PROPERTIES = frozenset({"ref", "role", "type", "identifiers"})


def entity_properties(subject_type: str) -> tuple[str, ...]:
    """The node properties of an entity of ``subject_type``: the subject model's plain fields,
    then the address parts when it has an address. Identifiers (pseudonyms, passport numbers)
    stay out of the graph: resolution needs them, an analyst's screen does not."""
    model = _SUBJECT_MODELS[subject_type]
    postal = has_postal_address(subject_type)
    skipped = _NOT_PROPERTIES | {"address"} if postal else _NOT_PROPERTIES
    own = tuple(name for name in model.model_fields if name not in skipped)
    if postal:
        own += tuple(name for name in Address.model_fields if name not in own)
    return own


def has_postal_address(subject_type: str) -> bool:
    """Whether the subject's ``address`` is a postal address (an e-mail's is not)."""
    field = _SUBJECT_MODELS[subject_type].model_fields.get("address")
    return field is not None and Address in (field.annotation, *get_args(field.annotation))
