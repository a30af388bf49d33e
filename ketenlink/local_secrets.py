"""This installation's own secrets: random values in one 0600 file, made once, so that no
running platform keys its pseudonyms or seals its audit log with a key printed in the source."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from ketenlink.private_files import locked, write_private

SECRET_NAMES = ("pseudonym_key", "audit_key", "neo4j.password")
"""The settings a fresh installation generates (``neo4j.password`` is the nested one)."""


def load_or_create(path: Path, *, create: bool) -> dict[str, str] | None:
    """The secrets in ``path``; when it does not exist, new random ones written there 0600
    (``create``) or None. A file missing a name gets that one added."""
    with locked(path):
        try:
            stored = json.loads(path.read_text())
        except FileNotFoundError:
            if not create:
                return None
            stored = {}
        except ValueError as exc:
            raise OSError(f"not a JSON object of secrets ({exc})") from None
        if not isinstance(stored, dict) or not all(isinstance(v, str) for v in stored.values()):
            raise OSError("not a JSON object of secrets")
        missing = [name for name in SECRET_NAMES if not stored.get(name)]
        if missing and create:
            stored.update({name: secrets.token_urlsafe(32) for name in missing})
            write_private(path, (json.dumps(stored, indent=2, sort_keys=True) + "\n").encode())
        elif missing:
            raise OSError(f"no value for {', '.join(missing)}")
        return {name: stored[name] for name in SECRET_NAMES}
