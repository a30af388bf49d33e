"""Kafka consumers that move stream results elsewhere: the Neo4j graph sink, webhooks."""
