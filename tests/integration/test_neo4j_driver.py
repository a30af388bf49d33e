"""The Python driver against the real Neo4j: batched idempotent writes, reads, constraints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ConstraintError

from core.settings import Settings
from graph.schema import apply_schema, schema_statements

MERGE_ROWS = """
UNWIND $rows AS row
MERGE (p:Partner {partner_id: row.partner})
MERGE (s:Signal {signal_id: row.id})
SET s.category = row.category
MERGE (p)-[:REPORTED]->(s)
"""

COUNT = """
MATCH (p:Partner)-[r:REPORTED]->(s:Signal)
WHERE s.signal_id STARTS WITH $prefix
RETURN count(DISTINCT s) AS signals, count(r) AS edges, collect(DISTINCT p.partner_id) AS partners
"""


@pytest.fixture
def cleanup(driver: Driver, settings: Settings, uid: str) -> Iterator[None]:
    yield
    driver.execute_query("MATCH (n) WHERE n.signal_id STARTS WITH $p OR n.partner_id STARTS WITH $p "
                         "DETACH DELETE n", p=uid, database_=settings.neo4j.database)


def _write(tx: ManagedTransaction, rows: list[dict[str, str]]) -> None:
    tx.run(MERGE_ROWS, rows=rows).consume()


def _count(tx: ManagedTransaction, prefix: str) -> dict[str, object]:
    record = tx.run(COUNT, prefix=prefix).single(strict=True)
    return dict(record)


@pytest.mark.usefixtures("cleanup")
def test_unwind_merge_batch_is_idempotent(driver: Driver, settings: Settings, uid: str) -> None:
    rows = [{"id": f"{uid}-{i}", "partner": f"{uid}-partner-{i % 3}", "category": "labour"}
            for i in range(30)]
    with driver.session(database=settings.neo4j.database) as session:
        session.execute_write(_write, rows)
        first = session.execute_read(_count, uid)
        session.execute_write(_write, rows)  # a replay changes nothing
        second = session.execute_read(_count, uid)
    assert first["signals"] == 30 and first["edges"] == 30
    assert sorted(first["partners"]) == sorted(f"{uid}-partner-{i}" for i in range(3))
    assert second == first


@pytest.mark.usefixtures("cleanup")
def test_schema_applies_twice_and_enforces_uniqueness(driver: Driver, settings: Settings,
                                                      uid: str) -> None:
    database = settings.neo4j.database
    assert apply_schema(driver, database) == apply_schema(driver, database)
    records, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS c",
                                         database_=database)
    names = set(records[0]["c"])
    declared = {s.split()[2] for s in schema_statements() if s.startswith("CREATE CONSTRAINT")}
    assert declared <= names
    driver.execute_query("CREATE (:Signal {signal_id: $id})", id=f"{uid}-dup", database_=database)
    with pytest.raises(ConstraintError):
        driver.execute_query("CREATE (:Signal {signal_id: $id})", id=f"{uid}-dup",
                             database_=database)
