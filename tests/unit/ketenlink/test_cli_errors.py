"""The root command's one error hook: a ``KetenlinkError`` from any package's command is one line
``error: ...`` on stderr and exit 1; a command's own special cases keep their message and code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketenlink.cli import app


@pytest.fixture(autouse=True)
def _own_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENLINK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KETENLINK_SECRETS_FILE", str(tmp_path / "secrets.json"))


@pytest.mark.parametrize(("args", "message"), [
    (["deliver", "secret", "nobody"], "error: partner 'nobody' has no delivery topic"),
    (["explorer", "user", "reset-password", "nobody"],
     "error: analyst account 'nobody': no such account"),
    (["gateway", "token", "create", "--partner", "nobody"], "error: unknown partner 'nobody'"),
    (["publish", "--partner", "nobody", __file__], "error: unknown partner 'nobody'"),
])
def test_a_ketenlink_error_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message)
    assert isinstance(result.exception, SystemExit)  # not the error itself: it was handled


@pytest.mark.parametrize(("args", "code", "message"), [
    (["erase", "--reason", "r", "--actor", "a"], 1,
     "error: give exactly one of --bsn, --pseudonym, --entity-id"),
    (["retention", "purge", "--now", "2027-01-01T00:00:00"], 1,
     "error: --now needs a time zone"),
    (["judge", "a", "b", "--verdict", "maybe", "--analyst", "x"], 1,
     "error: --verdict must be confirm or reject, not 'maybe'"),
    (["partners", "webhook", "kvk", "--by", "x"], 2, "error: give --url or --remove"),
])
def test_a_commands_own_checks_keep_their_message_and_code(args: list[str], code: int,
                                                           message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message)
