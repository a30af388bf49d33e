"""``ketenlink explorer ...``: serve the analysts' web explorer and manage analyst accounts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from core.commands import command_settings

if TYPE_CHECKING:
    from explorer.accounts import AccountStore

commands = typer.Typer()
explorer_app = typer.Typer(help="The analysts' web explorer and its accounts.",
                           no_args_is_help=True)
commands.add_typer(explorer_app, name="explorer")
user_app = typer.Typer(help="Analyst accounts (one per person, of a partner with the analyst "
                            "role).", no_args_is_help=True)
explorer_app.add_typer(user_app, name="user")


def _accounts(ctx: typer.Context) -> AccountStore:
    from explorer.accounts import AccountStore

    return AccountStore(command_settings(ctx).explorer.users_file)


@explorer_app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Serve the explorer (KETENLINK_EXPLORER__HOST/PORT) until SIGTERM / Ctrl-C."""
    from explorer.server import run_explorer

    run_explorer(command_settings(ctx, "explorer"))


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The analyst's login name, e.g. a.jansen.")],
    partner: Annotated[str, typer.Option(help="The analyst's organisation (e.g. riec).")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin instead of generating one.")] = False,
) -> None:
    """Create an account; a generated password is printed once."""
    from policy.registry import clearance_for

    store = _accounts(ctx)
    _set_password(password_stdin, lambda given: store.add(username, clearance_for(partner), given),
                  f"account {username} ({partner}) created")


@user_app.command("remove")
def user_remove(ctx: typer.Context,
                username: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Delete an account; a running explorer ends its sessions at their next request (also
    when the name is created again)."""
    removed = _accounts(ctx).remove(username)
    typer.echo(f"account {username} removed" if removed else f"no account {username}")
    if not removed:
        raise typer.Exit(code=1)


@user_app.command("reset-password")
def user_reset_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin instead of generating one.")] = False,
) -> None:
    """Give an account a new password (a generated one is printed once); a running explorer
    ends every session opened with the old one at its next request."""
    store = _accounts(ctx)
    _set_password(password_stdin, lambda given: store.reset_password(username, given),
                  f"password of {username} reset; its sessions have ended")


def _set_password(password_stdin: bool, set_it: Callable[[str | None], str], done: str) -> None:
    """Run ``set_it`` with the password read from stdin (or None: it generates one), say
    ``done``, and print a generated password once."""
    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    password = set_it(given)
    typer.echo(done)
    if given is None:
        typer.echo(f"password (shown once): {password}")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """Every account and its partner."""
    for name, partner in _accounts(ctx).usernames().items():
        typer.echo(f"{name}\t{partner}")
