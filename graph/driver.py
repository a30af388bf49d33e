"""One Neo4j driver per process, built from settings."""

from __future__ import annotations

from neo4j import Driver, GraphDatabase

from ketenlink.settings import Neo4jSettings


def open_driver(settings: Neo4jSettings) -> Driver:
    """A driver for the configured server; close it (or use ``with``) when the process ends."""
    return GraphDatabase.driver(
        settings.uri, auth=(settings.user, settings.password.get_secret_value())
    )
