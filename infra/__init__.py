"""The local stack: Apache Kafka and Neo4j fetched from Maven Central, started, checked and stopped."""
