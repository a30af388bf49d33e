"""The JSON Schema of Signal v1, as checked into schemas/json/ for partners' own tooling."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.signal import Signal

SCHEMA_FILE = Path(__file__).parent / "json" / "signal-v1.schema.json"


def signal_json_schema() -> str:
    """The schema text, stable for diffs (sorted keys, trailing newline)."""
    schema = Signal.model_json_schema(mode="validation")
    schema["$id"] = "https://ketenlink.nl/schemas/signal-v1.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(signal_json_schema(), encoding="utf-8")
    return path
