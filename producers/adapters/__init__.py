"""One adapter per kind of partner: each reads the partner's native export (producers/FORMATS.md)
and yields Signal v1 records, rejects (line and reason) or skips (line and reason). A partner of
which the chain has many (``riec:rotterdam``, ``gemeente:GM0599``) uses its kind's adapter and
publishes as itself."""

from __future__ import annotations

from collections.abc import Callable

from core.partner_ids import partner_kind
from producers.adapters.base import Adapter
from producers.adapters.gemeente import GemeenteAdapter
from producers.adapters.inspectie_szw import InspectieSzwAdapter
from producers.adapters.kvk import KvkAdapter
from producers.adapters.reclassering import ReclasseringAdapter
from producers.adapters.riec import RiecAdapter
from producers.adapters.stichting_m import StichtingMAdapter
from producers.adapters.zorg import ZorgAdapter
from producers.exceptions import UnknownPartnerError
from producers.pseudonym import Pseudonymiser

_BY_KIND: dict[str, Callable[[str, Pseudonymiser], Adapter]] = {
    "kvk": lambda partner, _: KvkAdapter(),
    "riec": lambda partner, pseudonyms: RiecAdapter(pseudonyms, partner),
    "zorg": lambda partner, pseudonyms: ZorgAdapter(pseudonyms, partner=partner),
    "stichting-m": lambda partner, _: StichtingMAdapter(),
    "gemeente": lambda partner, pseudonyms: GemeenteAdapter(pseudonyms, partner),
    "inspectie-szw": lambda partner, pseudonyms: InspectieSzwAdapter(pseudonyms, partner),
    "reclassering": lambda partner, pseudonyms: ReclasseringAdapter(pseudonyms, partner),
}
KINDS: tuple[str, ...] = tuple(_BY_KIND)
"""The kinds of partner with a native format."""
SINGLE = frozenset({"kvk", "stichting-m", "inspectie-szw", "reclassering"})
"""Kinds that are one organisation: no ``kind:instance``."""


def adapter_for(partner: str, pseudonyms: Pseudonymiser) -> Adapter:
    """The adapter that reads ``partner``'s native export (its kind's format), publishing as
    ``partner``."""
    kind = partner_kind(partner)
    if kind not in _BY_KIND or (kind in SINGLE and partner != kind):
        raise UnknownPartnerError(partner, KINDS)
    return _BY_KIND[kind](partner, pseudonyms)
