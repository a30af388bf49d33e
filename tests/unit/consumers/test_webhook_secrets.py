"""Webhook secrets: a 0600 file, rotation replaces, a running reader sees the change."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from consumers.exceptions import WebhookSecretError
from consumers.webhook_secrets import SECRET_PREFIX, SecretStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "webhooks" / "secrets.json"


def test_no_file_means_no_secrets(path: Path) -> None:
    store = SecretStore(path)
    assert store.get("riec") is None and store.partners() == ()
    assert not path.exists()


def test_a_created_secret_is_stored_0600_and_returned_once(path: Path) -> None:
    secret = SecretStore(path).rotate("riec")
    assert secret.startswith(SECRET_PREFIX) and len(secret) > 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretStore(path).get("riec") == secret
    assert SecretStore(path).get("om") is None
    doc = json.loads(path.read_text())
    assert set(doc["secrets"]) == {"riec"} and "created_at" in doc["secrets"]["riec"]


def test_rotation_replaces_only_that_partner(path: Path) -> None:
    writer = SecretStore(path)
    riec, om = writer.rotate("riec"), writer.rotate("om")
    reader = SecretStore(path)
    assert reader.get("riec") == riec
    rotated = writer.rotate("riec")
    assert rotated != riec
    assert reader.get("riec") == rotated  # a running deliverer notices the new file
    assert reader.get("om") == om
    assert reader.partners() == ("om", "riec")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_corrupt_file_is_an_error_not_an_empty_store(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "secrets": {"riec": {"secret": "short"}}}')
    with pytest.raises(WebhookSecretError) as caught:
        SecretStore(path).get("riec")
    assert caught.value.path == path
    path.write_text("not json")
    with pytest.raises(WebhookSecretError):
        SecretStore(path).rotate("riec")  # never overwrites a file it cannot read
    assert path.read_text() == "not json"
