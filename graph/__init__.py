"""The Neo4j network graph: schema derived from schemas/, writes and analyst queries."""
