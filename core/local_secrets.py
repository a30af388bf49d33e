"""This installation's own secrets: random values in one 0600 file, made once, so that no
running platform keys its pseudonyms or seals its audit log with a key printed in the source."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from core.private_files import locked, write_private

SECRET_NAMES = ("pseudonym_key", "audit_key", "neo4j.password")
"""The settings a fresh installation generates (``neo4j.password`` is the nested one)."""
DEVELOPMENT_DEFAULTS = {"pseudonym_key": "ketenlink-local-development-key-not-for-production",
                        "audit_key": "ketenlink-local-development-audit-key-not-for-production",
                        "neo4j.password": "ketenlink-local-dev"}
"""What installations made before this file existed used; kept for them (``keep_defaults``),
since a new pseudonym key would no longer match the pseudonyms their data holds. ``stack
status`` warns while they are in use."""


def load_or_create(path: Path, *, create: bool, keep_defaults: bool = False
                   ) -> dict[str, str] | None:
    """The secrets in ``path``; when it does not exist, written there 0600 (``create``): new
    random ones, or the development defaults (``keep_defaults``: data made with them exists);
    else None. A file missing a name gets that one added."""
    if not create and not path.exists():
        return None  # nothing made, not even the lock's folder
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
            stored.update({name: DEVELOPMENT_DEFAULTS[name] if keep_defaults
                           else secrets.token_urlsafe(32) for name in missing})
            write_private(path, (json.dumps(stored, indent=2, sort_keys=True) + "\n").encode())
        elif missing:
            raise OSError(f"no value for {', '.join(missing)}")
        return {name: stored[name] for name in SECRET_NAMES}
