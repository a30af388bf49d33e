"""Analyst accounts: scrypt hashes in a 0600 file, analyst role required, constant answers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import ExplorerSettings, Settings
from explorer.accounts import AccountStore
from explorer.cli import explorer_app
from explorer.exceptions import AccountError, AccountFileError
from policy.registry import load_clearances

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


def test_a_re_created_account_or_a_new_password_is_not_the_account_a_session_holds(
        tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "users.json")
    store.add("a.jansen", CLEARANCES["riec"], "a-long-enough-password")
    logged_in = store.verify("a.jansen", "a-long-enough-password")
    assert logged_in is not None and store.current("a.jansen") == logged_in
    store.remove("a.jansen")
    assert store.current("a.jansen") is None
    store.add("a.jansen", CLEARANCES["riec"], "a-long-enough-password")  # same partner, even
    assert store.current("a.jansen") != logged_in
    again = store.verify("a.jansen", "a-long-enough-password")
    new_password = store.reset_password("a.jansen")
    assert store.current("a.jansen") != again
    assert store.verify("a.jansen", "a-long-enough-password") is None
    assert store.verify("a.jansen", new_password) == store.current("a.jansen")
    with pytest.raises(AccountError, match="no such account"):
        store.reset_password("nobody")
    with pytest.raises(AccountError, match="at least 12"):
        store.reset_password("a.jansen", "short")


def test_the_cli_resets_a_password_and_prints_it_once(tmp_path: Path) -> None:
    settings = Settings(explorer=ExplorerSettings(users_file=tmp_path / "users.json"))
    store = AccountStore(settings.explorer.users_file)
    store.add("a.jansen", CLEARANCES["riec"], "a-long-enough-password")
    runner = CliRunner()
    shown = runner.invoke(explorer_app, ["user", "reset-password", "a.jansen"], obj=settings)
    assert shown.exit_code == 0, shown.output
    password = shown.stdout.split("password (shown once): ")[1].splitlines()[0].strip()
    assert store.verify("a.jansen", password) is not None
    given = runner.invoke(explorer_app, ["user", "reset-password", "a.jansen",
                                         "--password-stdin"], input="chosen-password-123\n",
                          obj=settings)
    assert given.exit_code == 0 and "shown once" not in given.output
    assert store.verify("a.jansen", "chosen-password-123") is not None
    unknown = runner.invoke(explorer_app, ["user", "reset-password", "nobody"], obj=settings)
    assert unknown.exit_code == 1
