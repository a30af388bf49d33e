from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


SECRETS = ("KETENLINK_PSEUDONYM_KEY", "KETENLINK_AUDIT_KEY", "KETENLINK_NEO4J__PASSWORD")


def test_development_default_secrets_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in SECRETS:
        monkeypatch.delenv(key, raising=False)
    assert Settings().development_secrets() == list(SECRETS)
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", "an-audit-key-of-our-own")
    assert Settings().development_secrets() == [SECRETS[0], SECRETS[2]]


def test_production_refuses_a_default_or_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", "a-pseudonym-key-of-our-own")
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", " ")
    monkeypatch.delenv("KETENLINK_NEO4J__PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="set KETENLINK_AUDIT_KEY, KETENLINK_NEO4J__PASSWORD"):
        Settings()
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", "an-audit-key-of-our-own")
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "a-neo4j-password-of-our-own")
    assert Settings().development_secrets() == []


def test_the_cli_will_not_start_in_production_with_a_default_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETENLINK_")}
    env.update(KETENLINK_ENVIRONMENT="production", KETENLINK_VAR_DIR=str(tmp_path / "var"))
    result = subprocess.run([sys.executable, "-m", "ketenlink", "stack", "status"], env=env,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "refuses a missing secret or a development default" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # refused before anything was touched
