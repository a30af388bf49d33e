"""How every Ketenlink process reaches Kafka: one place builds the client options."""

from __future__ import annotations

from ketenlink.settings import KafkaSettings


def faust_broker(kafka: KafkaSettings) -> list[str]:
    """faust's ``broker`` setting: one ``kafka://host:port`` URL per bootstrap server."""
    return [f"kafka://{address}" for address in kafka.bootstrap_servers.split(",")]
