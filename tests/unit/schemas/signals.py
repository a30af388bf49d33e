"""A valid Signal v1 document to vary in tests."""

from __future__ import annotations

from typing import Any


def valid_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "partner": "riec",
        "partner_ref": "RIEC-ZWB-2026-0142",
        "observed_at": "2026-03-02T00:00:00+01:00",
        "reported_at": "2026-03-04T10:12:00+01:00",
        "category": "labour",
        "barrier_stages": ["housing", "work"],
        "indicators": ["DEP-HOUSING"],
        "severity": "high",
        "distribution": "tlp:amber",
        "purpose": "administrative",
        "legal_basis": "Convenant RIEC/LIEC 2019",
        "subjects": [
            {"type": "person", "ref": "p1", "role": "suspect", "given_name": "Jan",
             "name_prefix": "van der", "family_name": "Berg", "birth_date": "1980-01-31",
             "identifiers": [{"scheme": "bsn-pseudonym", "value": "ps1:" + "a" * 64}]},
            {"type": "business", "ref": "b1", "role": "owner", "kvk_number": "81234567",
             "trade_name": "Clean Pro", "sbi_code": "8121",
             "address": {"street": "Hoogstraat", "house_number": 12, "postcode": "4811ab",
                         "city": "Breda"}},
            {"type": "phone", "ref": "t1", "role": "instrument", "number": "06-12345678"},
        ],
        "relations": [{"source": "p1", "type": "DIRECTOR_OF", "target": "b1"},
                      {"source": "p1", "type": "USES", "target": "t1"}],
    }
    doc.update(overrides)
    return doc
