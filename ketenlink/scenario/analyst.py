"""The explorer's HTTP API as a logged-in analyst of one partner; every answer is kept, so that
``never_anywhere`` can search what the run's analysts were shown."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from core.partner_ids import topic_segment
from explorer.accounts import AccountStore
from ketenlink.scenario.exceptions import HarnessError
from policy.registry import clearance_for


class Analyst:
    """An explorer session of an analyst account made for this run."""

    def __init__(self, base_url: str, users: AccountStore, partner: str,
                 answers: list[str]) -> None:
        self.partner, self.answers = partner, answers
        username = f"s{secrets.token_hex(4)}-{topic_segment(partner)}"[:40]
        password = users.add(username, clearance_for(partner))
        self._client = httpx.Client(base_url=base_url, timeout=60.0)
        reply = self._client.post("/api/session", json={"username": username, "password": password})
        if reply.status_code != 200:
            raise HarnessError(f"explorer login as {partner} analyst failed: {reply.status_code} "
                               f"{reply.text[:200]}")
        self._client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        """(status, JSON body) of a GET; the body text is kept."""
        reply = self._client.get(path, params=params)
        self.answers.append(reply.text)
        try:
            return reply.status_code, reply.json()
        except ValueError:
            return reply.status_code, None

    def close(self) -> None:
        self._client.close()
