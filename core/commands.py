"""What every package's commands share: the settings a command runs with, and the warning about
secrets still at their development default.

The root command (``ketenlink/cli.py``) resolves the settings once and puts them on the click
context; a package's typer app invoked on its own (as in a unit test with ``obj=settings``, or
without) gets them here all the same.
"""

from __future__ import annotations

import typer

from core.kafka_clients import for_service
from core.settings import Settings


def command_settings(ctx: typer.Context, service: str | None = "operator") -> Settings:
    """The settings for this command, as ``service`` (its own Kafka user under sasl; ``operator``
    for a command a person runs); ``None`` leaves the Kafka user as configured."""
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    return settings if service is None else for_service(settings, service)


def warn_default_secrets(settings: Settings) -> None:
    """Say on stderr which secrets still hold the development default printed in the source."""
    for name in settings.secrets_at_default():
        typer.echo(f"warning: {name} is the development default from the source; set "
                   f"KETENLINK_{name.upper().replace('.', '__')} or remove it to use this "
                   f"installation's own ({settings.secrets_file})", err=True)
