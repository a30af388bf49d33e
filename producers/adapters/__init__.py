"""One adapter per partner: each reads the partner's native export (producers/FORMATS.md) and
yields Signal v1 records, rejects (line and reason) or skips (line and reason)."""

from __future__ import annotations

from producers.adapters.base import Adapter
from producers.adapters.kvk import KvkAdapter
from producers.adapters.riec import RiecAdapter
from producers.adapters.stichting_m import StichtingMAdapter
from producers.adapters.zorg import ZorgAdapter
from producers.exceptions import UnknownPartnerError
from producers.pseudonym import Pseudonymiser

PARTNERS = ("kvk", "riec", "zorg", "stichting-m")


def adapter_for(partner: str, pseudonyms: Pseudonymiser) -> Adapter:
    """The adapter that reads ``partner``'s native export."""
    if partner == "kvk":
        return KvkAdapter()
    if partner == "riec":
        return RiecAdapter(pseudonyms)
    if partner == "zorg":
        return ZorgAdapter(pseudonyms)
    if partner == "stichting-m":
        return StichtingMAdapter()
    raise UnknownPartnerError(partner, PARTNERS)
