"""The worker's and the router's faust apps share one configuration (``streams.faust_app``)."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from streams.faust_app import build_faust_app


def test_both_stages_share_the_common_configuration_and_keep_their_own(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    worker = build_faust_app(settings, "kl", store="memory://", producer_linger=0.01,
                             producer_max_batch_size=262_144)
    router = build_faust_app(settings, "kl-router", store="memory://", producer_linger=0.002)
    for app in (worker, router):
        conf = app.conf
        assert (conf.producer_acks, conf.topic_allow_declare, conf.web_enabled) == (-1, False, False)
        assert conf.consumer_auto_offset_reset == "earliest"
        assert (conf.broker_session_timeout, conf.broker_heartbeat_interval) == (10.0, 3.0)
        assert Path(conf.datadir).parent == (tmp_path / "faust").resolve()
    assert (worker.conf.id, router.conf.id) == ("kl", "kl-router")
    assert (worker.conf.producer_linger, router.conf.producer_linger) == (0.01, 0.002)
    assert worker.conf.producer_max_batch_size == 262_144
