"""The demo's input: a generated scenario with the run id appended to its partner references,
the partners' gateway tokens and the explorer login, and publishing it as each partner (KvK
and healthcare their native exports, RIEC and Stichting M. through the gateway) along with two
hand-broken records."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from core.private_files import open_private_binary, private_dir, write_private_text
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout
from explorer.accounts import AccountStore
from generator import PARTNER_FILES, generate
from generator.run import GROUND_TRUTH, WORLD
from ketenlink.demo.errors import DemoError
from ketenlink.demo.records import Published, Scenario, Sent
from policy.registry import clearance_for
from producers.adapters import adapter_for
from producers.adapters.base import Adapter, Parsed, Rejected
from producers.gateway.app import SIGNALS_PATH
from producers.gateway.server import create_token, revoke_tokens
from producers.pseudonym import Pseudonymiser
from producers.publish_file import publish_file

DEMO_SIGNALS = 2_000
VIA_FILE = ("kvk", "zorg")
VIA_GATEWAY = ("riec", "stichting-m")
GATEWAY_BATCH = 200
DEMO_LOGIN = "demo-analyst"
DEMO_LOGIN_PARTNER = "riec"
"""The demo's explorer login, and the partner whose view the ring search takes (the reviewer
of OM alerts)."""


def broken_records(run_id: str) -> list[tuple[str, bytes]]:
    """(partner, raw record): a truncated JSON record and one claiming to be another partner."""
    return [("kvk", f'{{"signal_id": "{run_id}-broken", '.encode()),
            ("riec", json.dumps({"signal_id": f"{run_id}-spoofed", "partner": "kvk"}).encode())]


def tag_ref(line: str, ref: str, tag: str) -> str:
    """``line`` of an export with its partner reference ``ref`` followed by ``tag``: the first
    field of a KvK CSV line, or the first JSON string equal to ``ref`` (the reference is the
    first key of every JSON export). A line without the reference is returned unchanged."""
    if line.startswith(f"{ref};"):
        return f"{ref}{tag}{line[len(ref):]}"
    return line.replace(json.dumps(ref), json.dumps(ref + tag), 1)


def generate_scenario(settings: Settings, run_id: str, echo: Callable[[str], None]) -> Scenario:
    """Generate the scenario, append the run id to its partner references (exports and ground
    truth alike) and load the ground truth."""
    private_dir(settings.var_dir)
    out = private_dir(settings.var_dir / "demo") / run_id
    report = generate(out, DEMO_SIGNALS, seed=int(time.time()))
    lines = [json.loads(line) for line in (out / GROUND_TRUTH).read_text(encoding="utf-8").splitlines()]
    tag = f".{run_id}"
    _tag_exports(out, lines, tag)
    for line in lines:
        line["ref"] = f"{line['ref']}{tag}"
    write_private_text(out / GROUND_TRUTH, "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines))
    world = json.loads((out / WORLD).read_text(encoding="utf-8"))
    echo(f"  generated {report.signals} partner records in {out}: {report.rings} rings among "
         f"{report.entities} entities, {report.resends} resends, {report.revisions} revisions, "
         f"{report.invalid} invalid lines (references end in {tag})")
    return Scenario(out, report, {(str(t["file"]), int(t["line"])): t for t in lines},
                    tuple(str(r["id"]) for r in world["rings"]))


def _tag_exports(out: Path, truth: Iterable[Mapping[str, Any]], tag: str) -> None:
    """Rewrite each export with ``tag`` after the partner reference of every line the ground
    truth names one for. Bytes are kept as written (lines split at ``\\n`` only, as the
    adapters count them; undecodable bytes survive)."""
    refs: dict[str, dict[int, str]] = {}
    for line in truth:
        refs.setdefault(str(line["file"]), {})[int(line["line"])] = str(line["ref"])
    for name, by_line in refs.items():
        path = out / name
        lines = path.read_bytes().decode("utf-8", errors="surrogateescape").split("\n")
        tagged = [tag_ref(text, by_line[number], tag) if number in by_line else text
                  for number, text in enumerate(lines, start=1)]
        with open_private_binary(path, "wb") as rewritten:
            rewritten.write("\n".join(tagged).encode("utf-8", errors="surrogateescape"))


def fresh_token(settings: Settings, partner: str) -> str:
    revoke_tokens(settings, partner)
    return create_token(settings, partner)


def fresh_login(settings: Settings) -> str:
    """A new password for the demo's explorer login (the account is made again each run)."""
    accounts = AccountStore(settings.explorer.users_file)
    accounts.remove(DEMO_LOGIN)
    return accounts.add(DEMO_LOGIN, clearance_for(DEMO_LOGIN_PARTNER))


def publish(settings: Settings, layout: TopicLayout, scenario: Scenario, tokens: Mapping[str, str],
            gateway_url: str, run_id: str, echo: Callable[[str], None]) -> Published:
    """Publish every partner's export (files directly, the others through the gateway) and
    the broken records; what Kafka acknowledged, and what the adapters refused."""
    published = Published()
    with Publisher(settings.kafka, client_id="ketenlink-demo") as publisher:
        for partner in VIA_FILE:
            path = scenario.out / PARTNER_FILES[partner]
            done = publish_file(_adapter(settings, partner), path, publisher, layout,
                                scenario.out / f"{partner}.rejects.jsonl")
            parsed, refused = _read_export(settings, partner, path)
            if done.published != len(parsed):
                raise DemoError(f"{partner}: {done.published} of {len(parsed)} records were "
                                f"acknowledged; see {done.rejects_file}")
            published.sent.extend(Sent(partner, p.line, str(p.signal.signal_id)) for p in parsed)
            published.refused[partner] = refused
            echo(f"  {partner:<12} file    -> {done.published} published, {done.rejected} "
                 f"rejected, {done.skipped} skipped")
        for partner in VIA_GATEWAY:
            parsed, refused = _read_export(settings, partner, scenario.out / PARTNER_FILES[partner])
            _post_via_gateway(gateway_url, tokens[partner], partner, parsed)
            published.sent.extend(Sent(partner, p.line, str(p.signal.signal_id)) for p in parsed)
            published.refused[partner] = refused
            echo(f"  {partner:<12} gateway -> {len(parsed)} accepted (202), "
                 f"{len(refused)} refused by the adapter")
        for partner, raw in broken_records(run_id):
            publisher.publish(layout.inbound_of(partner), None, raw)
        echo(f"  {len(broken_records(run_id))} broken records published to show the intake "
             "parking them")
    return published


def _adapter(settings: Settings, partner: str) -> Adapter:
    return adapter_for(partner, Pseudonymiser(settings.pseudonym_key))


def _read_export(settings: Settings, partner: str, path: Path) -> tuple[list[Parsed], list[str]]:
    """The export's signals (with their line numbers) and the reasons of the refused lines."""
    results = list(_adapter(settings, partner).read(path))
    return ([r for r in results if isinstance(r, Parsed)],
            [r.reason for r in results if isinstance(r, Rejected)])


def _post_via_gateway(base_url: str, token: str, partner: str, parsed: Sequence[Parsed]) -> None:
    """POST the signals in batches; each batch is all-or-nothing, 202 once acknowledged."""
    docs = [p.signal.model_dump(mode="json") for p in parsed]
    with httpx.Client(base_url=base_url, timeout=60.0,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(0, len(docs), GATEWAY_BATCH):
            response = client.post(SIGNALS_PATH, json={"signals": docs[i:i + GATEWAY_BATCH]})
            if response.status_code != 202:
                raise DemoError(f"the gateway answered {response.status_code} for {partner}: "
                                f"{response.text[:300]}")
