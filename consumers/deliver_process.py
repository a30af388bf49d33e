"""``ketenlink deliver``: the webhook deliverer as a process, wired from settings."""

from __future__ import annotations

import structlog

from consumers.webhook import Deliverer
from consumers.webhook_secrets import SecretStore
from core.publisher import Publisher
from core.settings import Settings
from core.stop_signals import stop_event
from core.topics import topics_of
from policy.live import LiveRegistry
from policy.suppression import Suppressions

log = structlog.get_logger(__name__)


def run_deliverer(settings: Settings) -> None:
    """POST every partner's deliveries to its webhook until SIGTERM / SIGINT, following webhook
    changes in the run-time registry; dead letters on deliveries.dead."""
    layout = topics_of(settings)
    stop = stop_event()
    with LiveRegistry.open(settings, layout) as registry, \
            Suppressions.open(settings, layout) as suppressions, \
            Publisher(settings.kafka, client_id="ketenlink-deliver") as dead_letters:
        stats = Deliverer(settings.kafka, settings.webhook, layout, registry.current,
                          SecretStore(settings.webhook.secrets_file), dead_letters,
                          group_prefix=settings.faust_app_id,
                          suppressions=suppressions).run(stop)
    log.info("deliver.stopped", delivered=stats.delivered, dead_lettered=stats.dead_lettered,
             retries=stats.retries)
