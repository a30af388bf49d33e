"""One Neo4j driver per process, built from settings."""

from __future__ import annotations

from neo4j import Driver, GraphDatabase

from core.settings import Neo4jSettings


def open_driver(settings: Neo4jSettings, retry_s: float = 30.0) -> Driver:
    """A driver for the configured server; close it (or use ``with``) when the process ends.
    ``retry_s``: how long a transaction function is retried on transient errors (server away,
    deadlock) before the error reaches the caller."""
    return GraphDatabase.driver(
        settings.uri, auth=(settings.user, settings.password.get_secret_value()),
        max_transaction_retry_time=retry_s,
    )
