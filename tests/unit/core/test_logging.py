from __future__ import annotations

import json
import logging

import pytest
import structlog

from core.logging import configure_logging


def test_json_logs_carry_bound_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    structlog.get_logger("test").bind(topic="signals.in.kvk").info("intake.rejected", offset=7)
    logging.getLogger("kafka.conn").info("suppressed below warning")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 1
    assert lines[0]["event"] == "intake.rejected"
    assert lines[0]["topic"] == "signals.in.kvk" and lines[0]["offset"] == 7
    assert lines[0]["level"] == "info" and "timestamp" in lines[0]
