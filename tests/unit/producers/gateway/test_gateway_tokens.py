"""TokenStore: salted digests only, 0600 file written atomically, wrong and revoked tokens refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from core.settings import GatewaySettings, Settings
from producers.exceptions import TokenRejectedError, TokenStoreError, UnknownPartnerError
from producers.gateway.server import create_token, list_tokens, revoke_tokens
from producers.gateway.tokens import TokenStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "gateway" / "tokens.json"


def _reason(store: TokenStore, token: str) -> str:
    with pytest.raises(TokenRejectedError) as caught:
        store.authenticate(token)
    return caught.value.reason


def test_a_created_token_authenticates_as_its_partner(path: Path) -> None:
    store = TokenStore(path)
    token = store.create("riec")
    assert token.startswith("kl1.")
    assert store.authenticate(token) == "riec"
    assert TokenStore(path).authenticate(token) == "riec"  # a fresh reader of the same file


def test_the_file_holds_salted_digests_never_the_token(path: Path) -> None:
    store = TokenStore(path)
    first, second = store.create("riec"), store.create("riec")
    text = path.read_text()
    for token in (first, second):
        assert token not in text and token.split(".")[2] not in text
    records = json.loads(text)["tokens"]
    assert len(records) == 2
    assert records[0]["salt"] != records[1]["salt"]
    assert records[0]["sha256"] != records[1]["sha256"]


def test_file_and_directory_permissions(path: Path) -> None:
    TokenStore(path).create("kvk")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # the atomic write cleaned up after itself


def test_wrong_unknown_and_malformed_tokens_are_refused(path: Path) -> None:
    store = TokenStore(path)
    token = store.create("zorg")
    prefix, token_id, secret = token.split(".")
    assert _reason(store, f"{prefix}.{token_id}.{secret[:-1]}x") == "wrong secret"
    assert _reason(store, f"{prefix}.{'0' * 12}.{secret}") == "unknown"
    for malformed in ("", "kl1", "kl1..", f"kl2.{token_id}.{secret}", f"{token_id}.{secret}",
                      f"kl1.{token_id}.{secret}.extra"):
        assert _reason(store, malformed) == "malformed"


def test_revoked_tokens_are_refused_and_others_kept(path: Path) -> None:
    store = TokenStore(path)
    riec_1, riec_2, kvk = store.create("riec"), store.create("riec"), store.create("kvk")
    assert store.revoke("riec") == 2
    assert _reason(store, riec_1) == "revoked"
    assert _reason(store, riec_2) == "revoked"
    assert store.authenticate(kvk) == "kvk"
    assert store.revoke("riec") == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # rewrites keep the mode
    assert len(store.records()) == 3  # revoked records stay, for the audit trail


def test_a_running_reader_sees_new_and_revoked_tokens(path: Path) -> None:
    gateway = TokenStore(path)
    assert _reason(gateway, "kl1.000000000000.secret") == "unknown"  # no file yet
    cli = TokenStore(path)
    token = cli.create("riec")
    assert gateway.authenticate(token) == "riec"
    cli.revoke("riec")
    assert _reason(gateway, token) == "revoked"


def test_a_corrupt_file_is_an_error_not_an_empty_store(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "tokens": [{"partner": "riec"}]}')
    with pytest.raises(TokenStoreError) as caught:
        TokenStore(path).authenticate("kl1.000000000000.secret")
    assert caught.value.path == path
    with pytest.raises(TokenStoreError):
        TokenStore(path).create("riec")  # never overwrites what it cannot read


def test_cli_helpers_check_the_partner_and_use_the_settings_file(path: Path) -> None:
    settings = Settings(gateway=GatewaySettings(tokens_file=path))
    token = create_token(settings, "stichting-m")
    assert TokenStore(path).authenticate(token) == "stichting-m"
    with pytest.raises(UnknownPartnerError) as caught:
        create_token(settings, "politie")
    assert "stichting-m" in caught.value.known
    assert [r.partner for r in list_tokens(settings)] == ["stichting-m"]
    assert revoke_tokens(settings, "stichting-m") == 1
    assert revoke_tokens(settings, "stichting-m") == 0
