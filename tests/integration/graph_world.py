"""A small graph with known answers for the analyst queries and the explorer, written through
the real pipeline (``streams.pipeline.process``) and the real sink (``batch_rows`` /
``write_batch``), including a merge (B2 into B1). Every name, number, address and municipality
carries the world's unique id, so the shared database may hold other tests' data.

    S1 riec  amber/administrative  01-10  P1 suspect, B1, L1      P1 DIRECTOR_OF B1, B1 LOCATED_AT L1
    S2 tip   amber+strict/crim.law 01-20  P2 suspect, T1, L1      (no relations)
    S3 zorg  amber+strict/care     02-05  V1 victim, P1, B1, L1   P1 CONTROLS V1, P1 DIRECTOR_OF B1,
                                                                  V1 LIVES_AT L1
    S4 riec  red/criminal-law      02-01  P1, P3 suspects         P1 ASSOCIATED_WITH P3
    S5 kvk   green/administrative  02-08  B2, L1                  B2 LOCATED_AT L1   (B2 merged into B1)
    S8 kvk   green/administrative  02-10  B3, B4, P4 resident, L1 B3, B4 LOCATED_AT L1; P4 LIVES_AT L1
    S6 riec  amber/administrative  03-15  P2 suspect, T1, L3      P2 USES T1
    S7 riec  amber/administrative  03-20  P1 suspect, L1          (no relations)

L1 lies in Rotterdam-<uid>, L3 in Schiedam-<uid>. RIEC sees all but S3 (care); the OM (criminal
law only, never red) sees S2 only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from neo4j import Driver

from consumers.graph_sink import batch_rows, write_batch
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc


@dataclass(frozen=True)
class World:
    uid: str
    ids: dict[str, str]
    """P1, P2, P3, P4, V1, B1, B2, B3, B4, L1, L3, T1 → entity id."""
    signals: dict[str, str]
    """S1 ... S8 → signal id."""
    rotterdam: str
    schiedam: str


def _letters(text: str) -> str:
    return "".join(chr(ord("a") + int(c, 16) % 26) for c in text)


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def _build(uid: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    name = _letters(uid[1:])
    rotterdam, schiedam = f"Rotterdam {uid}", f"Schiedam {uid}"
    kvk = {b: "9" + _digits(uid + b, 7) for b in ("b1", "b2", "b3", "b4")}
    l1_address = {"street": "Hoogstraat", "house_number": int(_digits(uid + "n1", 4)) + 1,
                  "postcode": f"3{_digits(uid + 'pc1', 3)}AB", "city": "Rotterdam",
                  "municipality": rotterdam}
    l3_address = {"street": "Broersvest", "house_number": int(_digits(uid + "n3", 4)) + 1,
                  "postcode": f"3{_digits(uid + 'pc3', 3)}CD", "city": "Schiedam",
                  "municipality": schiedam}
    bsn = {"scheme": "bsn-pseudonym", "value": "ps1:" + hashlib.sha256(uid.encode()).hexdigest()}
    subject = {
        "P1": {"type": "person", "given_name": "Piet", "family_name": f"Smit{name}",
               "birth_date": "1980-01-31", "identifiers": [bsn]},
        "P2": {"type": "person", "given_name": "Kees", "family_name": f"Bakker{name}",
               "birth_date": "1975-05-05"},
        "P3": {"type": "person", "given_name": "Ali", "family_name": f"Yilmaz{name}",
               "birth_date": "1990-09-09"},
        "P4": {"type": "person", "given_name": "Eva", "family_name": f"Jansen{name}",
               "birth_date": "2001-02-02"},
        "V1": {"type": "person", "given_name": "Anna", "family_name": f"Nowak{name}",
               "birth_date": "2003-03-03"},
        "B1": {"type": "business", "kvk_number": kvk["b1"], "trade_name": f"Clean {name}"},
        "B2": {"type": "business", "kvk_number": kvk["b2"], "trade_name": f"Shine {name}"},
        "B3": {"type": "business", "kvk_number": kvk["b3"], "trade_name": f"Nails {name}"},
        "B4": {"type": "business", "kvk_number": kvk["b4"], "trade_name": f"Massage {name}"},
        "L1": {"type": "location", "address": l1_address},
        "L3": {"type": "location", "address": l3_address},
        "T1": {"type": "phone", "number": "061" + _digits(uid + "t1", 7)},
    }

    def subj(key: str, role: str) -> dict[str, Any]:
        return {**subject[key], "ref": key.lower(), "role": role}

    def rel(a: str, kind: str, b: str) -> dict[str, str]:
        return {"source": a.lower(), "type": kind, "target": b.lower()}

    def doc(ref: str, partner: str, day: str, distribution: str, purpose: str, severity: str,
            subjects: list[dict[str, Any]], relations: list[dict[str, str]]) -> dict[str, Any]:
        return valid_doc(partner=partner, partner_ref=f"{uid}-{ref}",
                         observed_at=f"2026-{day}T10:00:00+01:00",
                         reported_at=f"2026-{day}T12:00:00+01:00",
                         distribution=f"tlp:{distribution}", purpose=purpose, severity=severity,
                         subjects=subjects, relations=relations)

    docs = {
        "S1": doc("s1", "riec", "01-10", "amber", "administrative", "high",
                  [subj("P1", "suspect"), subj("B1", "owner"), subj("L1", "location")],
                  [rel("P1", "DIRECTOR_OF", "B1"), rel("B1", "LOCATED_AT", "L1")]),
        "S2": doc("s2", "stichting-m", "01-20", "amber+strict", "criminal-law", "critical",
                  [subj("P2", "suspect"), subj("T1", "instrument"), subj("L1", "location")], []),
        "S4": doc("s4", "riec", "02-01", "red", "criminal-law", "high",
                  [subj("P1", "suspect"), subj("P3", "suspect")],
                  [rel("P1", "ASSOCIATED_WITH", "P3")]),
        "S3": doc("s3", "zorg", "02-05", "amber+strict", "care", "medium",
                  [subj("V1", "victim"), {**subj("P1", "suspect"), "nationality": "RO"},
                   subj("B1", "other"),
                   subj("L1", "location")],
                  [rel("P1", "CONTROLS", "V1"), rel("P1", "DIRECTOR_OF", "B1"),
                   rel("V1", "LIVES_AT", "L1")]),
        "S5": doc("s5", "kvk", "02-08", "green", "administrative", "low",
                  [subj("B2", "owner"), subj("L1", "location")], [rel("B2", "LOCATED_AT", "L1")]),
        "S8": doc("s8", "kvk", "02-10", "green", "administrative", "low",
                  [subj("B3", "owner"), subj("B4", "owner"), subj("P4", "resident"),
                   subj("L1", "location")],
                  [rel("B3", "LOCATED_AT", "L1"), rel("B4", "LOCATED_AT", "L1"),
                   rel("P4", "LIVES_AT", "L1")]),
        "S6": doc("s6", "riec", "03-15", "amber", "administrative", "high",
                  [subj("P2", "suspect"), subj("T1", "instrument"), subj("L3", "location")],
                  [rel("P2", "USES", "T1")]),
        "S7": doc("s7", "riec", "03-20", "amber", "administrative", "medium",
                  [subj("P1", "suspect"), subj("L1", "location")], []),
    }
    store: dict[str, Any] = {}
    resolver = Resolver({})
    resolved, ids, signals = [], {}, {}
    for offset, (key, body) in enumerate(docs.items()):
        outcome = process(Signal.model_validate_json(json.dumps(body)),
                          {"topic": f"{uid}.in", "partition": 0, "offset": offset}, store,
                          resolver)
        assert outcome.resolved is not None
        resolved.append(outcome.resolved)
        signals[key] = outcome.resolved["signal_id"]
        for entity in outcome.resolved["entities"]:
            entity_id = ids.setdefault(entity["ref"].upper(), entity["entity_id"])
            assert entity_id == entity["entity_id"], f"{entity['ref']} resolved differently"
    return resolved, {**{f"ID:{k}": v for k, v in ids.items()},
                      **{f"SIG:{k}": v for k, v in signals.items()}}


def write_world(driver: Driver, database: str) -> World:
    """Build a new world and write it to the graph."""
    uid = "t" + uuid.uuid4().hex[:12]
    resolved, found = _build(uid)
    ids = {k[3:]: v for k, v in found.items() if k.startswith("ID:")}
    signals = {k[4:]: v for k, v in found.items() if k.startswith("SIG:")}
    write_batch(driver, database, batch_rows(resolved))
    write_batch(driver, database, batch_rows([], [{"merged": ids["B2"], "into": ids["B1"],
                                                    "reason": "test", "record_id": None}]))
    return World(uid, ids, signals, f"NL:rotterdam-{uid}", f"NL:schiedam-{uid}")
