from __future__ import annotations

import json
import os
import stat
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


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A var/ of its own, no secret in the environment; the var folder."""
    for key in SECRETS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("KETENLINK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KETENLINK_SECRETS_FILE", str(tmp_path / "var" / "secrets.json"))
    return tmp_path / "var"


def test_a_fresh_installation_generates_its_own_secrets_once(install: Path) -> None:
    first = Settings()
    secrets_file = install / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert first.development_secrets() == []
    values = (first.pseudonym_key.get_secret_value(), first.audit_key.get_secret_value(),
              first.neo4j.password.get_secret_value())
    assert len(set(values)) == 3 and all(len(v) >= 32 for v in values)
    again = Settings()
    assert (again.pseudonym_key, again.audit_key, again.neo4j.password) == \
        (first.pseudonym_key, first.audit_key, first.neo4j.password)
    assert json.loads(secrets_file.read_text())["neo4j_password"] == values[2]
    assert values[0] not in repr(again)


def test_the_environment_overrides_the_secrets_file(install: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "a-neo4j-password-of-our-own")
    monkeypatch.setenv("KETENLINK_NEO4J__BOLT_PORT", "27687")
    settings = Settings()
    assert settings.neo4j.password.get_secret_value() == "a-neo4j-password-of-our-own"
    stored = json.loads((install / "secrets.json").read_text())
    assert settings.pseudonym_key.get_secret_value() == stored["pseudonym_key"]
    assert settings.neo4j.bolt_port == 27687


def test_an_installation_with_data_keeps_the_development_defaults_and_names_them(
        install: Path) -> None:
    (install / "neo4j").mkdir(parents=True)  # a store made with the development password
    assert Settings().development_secrets() == list(SECRETS)


def test_production_refuses_a_default_or_missing_secret(install: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", "a-pseudonym-key-of-our-own")
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", " ")
    with pytest.raises(ValidationError, match="set KETENLINK_AUDIT_KEY, KETENLINK_NEO4J__PASSWORD"):
        Settings()
    assert not (install / "secrets.json").exists()  # production never generates secrets
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", "an-audit-key-of-our-own")
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "a-neo4j-password-of-our-own")
    assert Settings().development_secrets() == []


def test_the_cli_will_not_start_in_production_with_a_default_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETENLINK_")}
    env.update(KETENLINK_ENVIRONMENT="production", KETENLINK_VAR_DIR=str(tmp_path / "var"),
               KETENLINK_SECRETS_FILE=str(tmp_path / "var" / "secrets.json"))
    result = subprocess.run([sys.executable, "-m", "ketenlink", "stack", "status"], env=env,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "refuses a missing secret or a development default" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # refused before anything was touched
