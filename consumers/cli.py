"""``ketenlink sink`` and ``ketenlink deliver [secret]``: the graph sink and the webhook
deliverer, and the signing secrets of the webhooks."""

from __future__ import annotations

from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
deliver_app = typer.Typer(help="Webhook delivery to partners without a Kafka client: "
                               "`ketenlink deliver` runs it; `deliver secret` signs for it.")
commands.add_typer(deliver_app, name="deliver")


@commands.command("sink")
def sink(ctx: typer.Context) -> None:
    """Write resolved signals and entity merges into the Neo4j graph until stopped (SIGTERM /
    Ctrl-C); waits out Neo4j outages, parks records the graph refuses on signals.rejected."""
    from consumers.sink_process import run_graph_sink

    run_graph_sink(command_settings(ctx, "sink"))


@deliver_app.callback(invoke_without_command=True)
def deliver(ctx: typer.Context) -> None:
    """POST every partner's deliveries to its webhook (registry entry ``webhook``), signed,
    in order per partition, with retries; dead letters on deliveries.dead. Runs until SIGINT /
    SIGTERM and follows webhook changes in the run-time registry."""
    if ctx.invoked_subcommand is not None:
        return
    from consumers.deliver_process import run_deliverer

    run_deliverer(command_settings(ctx, "deliver"))


@deliver_app.command("secret")
def deliver_secret(ctx: typer.Context,
                   partner: Annotated[str, typer.Argument(help="A partner with a delivery "
                                                               "topic.")]) -> None:
    """Create or rotate a partner's webhook signing secret; it is printed once.

    A running deliverer signs with the new secret from its next attempt on."""
    from consumers.exceptions import UnknownRecipientError
    from consumers.webhook_secrets import SecretStore
    from core.partner_ids import partner_kind
    from core.topics import topics_of
    from policy.registry import load_registry

    settings = command_settings(ctx)
    recipients = topics_of(settings).recipients
    if partner not in recipients and partner_kind(partner) not in load_registry().kinds:
        raise UnknownRecipientError(partner, recipients)
    typer.echo(SecretStore(settings.webhook.secrets_file).rotate(partner))
