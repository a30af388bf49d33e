"""Reading a JSON Lines export: one record per line, each parsed or rejected on its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from producers.adapters.base import Parsed, RecordError, Rejected, Result, build_signal


def read_jsonl(path: Path, to_signal: Callable[[Any], dict[str, Any]],
               redact: Callable[[str], str]) -> Iterator[Result]:
    """Map each line through ``to_signal`` and the contract; reject a line with its reason.

    ``redact`` cleans the raw line kept in a reject (clear identifiers must not survive there).
    """
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            raw = line.rstrip("\n")
            try:
                doc = json.loads(raw)
                yield Parsed(number, build_signal(to_signal(doc)))
            except json.JSONDecodeError as exc:
                yield Rejected(number, f"not JSON: {exc.msg} at column {exc.colno}", redact(raw))
            except RecordError as exc:
                yield Rejected(number, str(exc), redact(raw))


def redact_keys(raw: str, keys: frozenset[str]) -> str:
    """The raw JSON line with every value under one of ``keys`` (at any depth) replaced."""
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        return "[unparseable line withheld]" if any(k in raw for k in keys) else raw

    def scrub(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: "[redacted]" if k in keys else scrub(v) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        return node

    return json.dumps(scrub(doc), ensure_ascii=False)
