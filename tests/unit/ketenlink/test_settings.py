from __future__ import annotations

import pytest
from pydantic import ValidationError

from ketenlink.settings import Settings


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("KETENLINK_KAFKA__PORT", "KETENLINK_NEO4J__BOLT_PORT"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "127.0.0.1:19092"
    assert settings.neo4j.uri == "bolt://127.0.0.1:17687"


def test_environment_overrides_nested_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_KAFKA__PORT", "29092")
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "s3cret-pass")
    settings = Settings()
    assert settings.kafka.port == 29092
    assert settings.neo4j.password.get_secret_value() == "s3cret-pass"
    assert "s3cret-pass" not in repr(settings)


def test_settings_are_frozen_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.log_level = "debug"  # type: ignore[misc]
    monkeypatch.setenv("KETENLINK_KAFKA__PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings()
