from __future__ import annotations

import json

from schemas.export import SCHEMA_FILE, signal_json_schema


def test_checked_in_json_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == signal_json_schema(), \
        "schemas/json/signal-v1.schema.json is out of date: run `ketenlink schema`"


def test_json_schema_describes_the_contract() -> None:
    schema = json.loads(signal_json_schema())
    assert schema["title"] == "Ketenlink Signal v1"
    assert {"partner", "partner_ref", "observed_at", "category"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
