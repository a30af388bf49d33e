from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from core.settings import (
    DEVELOPMENT_NEO4J_PASSWORD,
    DEVELOPMENT_PSEUDONYM_KEY,
    KafkaSettings,
    Settings,
)
from ketenlink.cli import app


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


def test_a_fresh_installation_makes_its_own_secrets(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.json"
    first = Settings(var_dir=tmp_path / "var", secrets_file=path)
    again = Settings(var_dir=tmp_path / "var", secrets_file=path)
    assert first.secrets_at_default() == []
    assert first.pseudonym_key.get_secret_value() != DEVELOPMENT_PSEUDONYM_KEY
    assert first.neo4j.password.get_secret_value() != DEVELOPMENT_NEO4J_PASSWORD
    assert (again.pseudonym_key, again.audit_key, again.neo4j.password) == \
        (first.pseudonym_key, first.audit_key, first.neo4j.password)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    other = Settings(var_dir=tmp_path / "var", secrets_file=tmp_path / "elsewhere.json")
    assert other.pseudonym_key != first.pseudonym_key


def test_a_secret_from_the_environment_wins(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "from-the-environment")
    settings = Settings(secrets_file=tmp_path / "secrets.json")
    assert settings.neo4j.password.get_secret_value() == "from-the-environment"
    assert json.loads((tmp_path / "secrets.json").read_text())["neo4j.password"] != \
        "from-the-environment"


def test_production_refuses_missing_and_default_secrets(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="KETENLINK_PSEUDONYM_KEY"):
        Settings(secrets_file=tmp_path / "none.json")
    assert not (tmp_path / "none.json").exists()
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY)
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", "a-real-audit-key")
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "a-real-password")
    with pytest.raises(ValidationError, match="pseudonym_key"):
        Settings(secrets_file=tmp_path / "none.json")
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", "a-real-pseudonym-key")
    assert Settings(secrets_file=tmp_path / "none.json").secrets_at_default() == []


def test_status_warns_about_a_default_secret(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY)
    monkeypatch.setenv("KETENLINK_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setenv("KETENLINK_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["stack", "status"])
    assert "warning: pseudonym_key is the development default" in result.stderr


def test_brokers_elsewhere_are_bootstrapped_from_their_list(tmp_path: Path) -> None:
    from infra.stack import Stack

    kafka = KafkaSettings(servers="kafka-1.example:9093,kafka-2.example:9093")
    assert kafka.bootstrap_servers == "kafka-1.example:9093,kafka-2.example:9093"
    assert not kafka.local and KafkaSettings().local
    stack = Stack(Settings(var_dir=tmp_path, secrets_file=tmp_path / "s.json", kafka=kafka))
    assert [server.name for server in stack.servers] == ["neo4j"]  # no Kafka of ours to run
    with pytest.raises(ValidationError, match="servers"):
        KafkaSettings(servers="kafka-1.example")  # no port


def test_an_installation_with_data_keeps_the_development_defaults_and_names_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A var/ with a Neo4j store made before the secrets file existed keeps the defaults (a new
    pseudonym key would no longer match its pseudonyms), and says so."""
    for key in ("KETENLINK_PSEUDONYM_KEY", "KETENLINK_AUDIT_KEY", "KETENLINK_NEO4J__PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "var" / "neo4j").mkdir(parents=True)
    settings = Settings(var_dir=tmp_path / "var", secrets_file=tmp_path / "var" / "s.json")
    assert settings.secrets_at_default() == ["pseudonym_key", "audit_key", "neo4j.password"]


def test_production_refuses_an_empty_secret(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("KETENLINK_PSEUDONYM_KEY", "a-pseudonym-key-of-our-own")
    monkeypatch.setenv("KETENLINK_AUDIT_KEY", " ")
    monkeypatch.setenv("KETENLINK_NEO4J__PASSWORD", "a-neo4j-password-of-our-own")
    with pytest.raises(ValidationError, match="audit_key"):
        Settings(secrets_file=tmp_path / "none.json")


def test_the_cli_will_not_start_in_production_with_a_default_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETENLINK_")}
    env.update(KETENLINK_ENVIRONMENT="production", KETENLINK_VAR_DIR=str(tmp_path / "var"),
               KETENLINK_SECRETS_FILE=str(tmp_path / "var" / "secrets.json"))
    result = subprocess.run([sys.executable, "-m", "ketenlink", "stack", "status"], env=env,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "environment=production needs its own secrets" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # refused before anything was touched
