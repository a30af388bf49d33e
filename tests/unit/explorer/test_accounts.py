"""Analyst accounts: scrypt hashes in a 0600 file, analyst role required, constant answers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from explorer.accounts import AccountStore
from explorer.exceptions import AccountError, AccountFileError
from policy.clearance import load_clearances

CLEARANCES = load_clearances()


def test_an_account_verifies_its_own_password_only(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "users.json")
    password = store.add("a.jansen", CLEARANCES["riec"])
    assert len(password) >= 12
    assert store.verify("a.jansen", password) is not None
    assert store.verify("a.jansen", password + "x") is None
    assert store.verify("nobody", password) is None
    text = (tmp_path / "users.json").read_text()
    assert password not in text and '"partner": "riec"' in text
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600


def test_only_analyst_partners_get_accounts_and_names_are_unique(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "users.json")
    with pytest.raises(AccountError, match="no analyst role"):
        store.add("k.clerk", CLEARANCES["kvk"])
    store.add("a.jansen", CLEARANCES["riec"], "a-long-enough-password")
    with pytest.raises(AccountError, match="exists already"):
        store.add("a.jansen", CLEARANCES["riec"])
    with pytest.raises(AccountError, match="at least 12"):
        store.add("b.short", CLEARANCES["riec"], "short")
    with pytest.raises(AccountError, match="2-40 characters"):
        store.add("<script>", CLEARANCES["riec"])
    assert store.remove("a.jansen") and not store.active("a.jansen")
    assert store.verify("a.jansen", "a-long-enough-password") is None


def test_a_broken_account_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text("{not json")
    with pytest.raises(AccountFileError, match=r"users\.json"):
        AccountStore(tmp_path / "users.json").verify("a", "b")
