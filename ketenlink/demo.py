"""``make demo``: the platform's main job on a realistic generated scenario.

Stack up, topics and schema applied; the faust worker, the graph sink, the router, the alert
engine, the HTTP gateway and the analysts' explorer started as child processes; a fresh explorer
login ``demo-analyst`` (RIEC) created. A scenario is generated (rings among innocent records,
noise, resends, revisions, invalid lines, and the ground truth of every line); its partner
references get the run id appended, so that a second run on the same stack is new to the
stream's deduplication instead of a revision of the first. KvK and healthcare publish their
native exports the way ``ketenlink publish`` does, RIEC and Stichting M. post through the
gateway with their own tokens; two hand-broken records show the intake parking bad input.
Progress is shown live while the stream, the graph sink and the alert engine catch up.

The summary is measured, never assumed: records acknowledged, lines refused at the source and
records parked by the stream (with reasons), resends suppressed and revisions (this run's
records on ``signals.resolved`` against what was published, beside the ground truth), entities
resolved, the rings the analysts' ring search finds and how many of the true rings they
recover, alerts proposed, deliveries per partner, and the explorer's URL with the login. Then
it keeps everything running until Ctrl-C (``--no-wait``: it stops right after the summary);
every child process is stopped on the way out, whenever the Ctrl-C comes.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import httpx
from kafka import KafkaConsumer, TopicPartition

from explorer.accounts import AccountStore
from graph.analyst.params import MAX_LIMIT
from graph.driver import open_driver
from graph.queries import AnalystQueries
from infra.bootstrap import bootstrap
from infra.offsets import wait_committed
from infra.stack import Stack
from infra.topics import TopicLayout, load_layout
from ketenlink.audit import AuditLog
from ketenlink.exceptions import KetenlinkError
from ketenlink.services import ServiceProcess
from ketenlink.settings import Settings
from policy.clearance import Caller, clearance_for
from producers.adapters import adapter_for
from producers.adapters.base import Adapter, Parsed, Rejected
from producers.gateway.app import SIGNALS_PATH
from producers.gateway.server import create_token, revoke_tokens
from producers.generate import PARTNER_FILES, GenerateReport, generate
from producers.generate.run import GROUND_TRUTH, WORLD
from producers.pseudonym import Pseudonymiser
from producers.publish import publish_file
from producers.publisher import Publisher

STALL_RESTART_S = 20.0
"""Records left in the intake, the worker idle, nothing moving this long: restart the worker."""
MAX_WORKER_RESTARTS = 1
STALL_TIMEOUT_S = 180.0
"""Nothing moving this long while waiting for the pipeline: give up. A worker recovers its
tables from the changelogs before it reads anything (on a stack used for a while, a minute)."""
DEMO_SIGNALS = 2_000
VIA_FILE = ("kvk", "zorg")
VIA_GATEWAY = ("riec", "stichting-m")
GATEWAY_BATCH = 200
DEMO_LOGIN = "demo-analyst"
DEMO_LOGIN_PARTNER = "riec"
"""The demo's explorer login, and the partner whose view the ring search takes (the reviewer
of OM alerts)."""
RING_MIN_SIZE = 3
RING_MAX_NODES = 50_000
RECOVERY_MIN_MEMBERS = 2
"""A found ring recovers a true ring when it holds entities the ground truth attributes to at
least this many distinct members of that ring."""
SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker", ()), ("sink", ()), ("router", ()), ("alerts", ("run",)), ("gateway", ()),
    ("explorer", ("serve",)))
"""The child processes, in start order (``python -m ketenlink <command> <args>``)."""
STARTUP_TIMEOUT_S = 30.0
PROGRESS_EVERY_S = 5.0
"""Off a terminal (a log, ``make demo | tee``), one progress line every this many seconds."""
LIST_CAP = 12

TRUTH_TYPE = {"Person": "persoon", "Business": "bedrijf", "Location": "adres", "Phone": "telefoon",
              "BankAccount": "rekening", "Vehicle": "voertuig", "Email": "email",
              "Website": "website"}
"""Graph label -> the generator's entity type."""
TRUTH_SUBJECT = {
    "kvk": {"b1": "bedrijf", "l1": "adres", "p1": "functionaris"},
    "zorg": {"v1": "patient", "s1": "begeleider", "t1": "begeleider.telefoon", "l1": "verblijfadres"},
}
"""Subject ref the adapter gives -> the ground truth's ``subject`` (producers/adapters/kvk.py and
zorg.py). RIEC keeps the export's subject ids (``s1``...); Stichting M. extracts subjects from
the tip's text, so those are matched on type (see ``true_entity``)."""

TrueEntity = tuple[str, str | None]
"""(true entity id, the true ring it belongs to or None)."""


class DemoError(KetenlinkError):
    """The demo did not see the expected results in time, or a service did not start."""


# -- what was published, and what came of it -------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    out: Path
    report: GenerateReport
    truth: Mapping[tuple[str, int], Mapping[str, Any]]
    """(file, physical line) -> that line's ground truth."""
    true_rings: tuple[str, ...]


@dataclass(frozen=True)
class Sent:
    """One record a partner published and Kafka acknowledged (directly or via the gateway)."""

    partner: str
    line: int
    signal_id: str


@dataclass
class Published:
    sent: list[Sent] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    """Partner -> the reasons its adapter refused lines at the source."""

    @property
    def ids(self) -> set[str]:
        return {s.signal_id for s in self.sent}


@dataclass(frozen=True)
class Parked:
    """A record of this run on ``signals.rejected``: why, who parked it (``intake`` for the
    stream's intake, else the service named in the record: ``router``...), and whether it is one
    of the hand-broken records."""

    reason: str
    by: str
    broken: bool = False


@dataclass(frozen=True)
class Resolved:
    """This run's records seen on ``signals.resolved`` (each (signal id, revision) once: a
    replay after a worker crash emits the same record again), and what was parked."""

    verdicts: Mapping[tuple[str, int], str]
    parked: tuple[Parked, ...]
    in_graph: int

    @property
    def parked_by_intake(self) -> tuple[Parked, ...]:
        return tuple(p for p in self.parked if p.by == "intake")


@dataclass(frozen=True)
class DedupeTally:
    """Resends and revisions from the stream's verdicts.

    Every acknowledged record passes the intake (the adapters and the gateway validated it
    against the same contract) unless the intake parks it, and then gets exactly one verdict:
    *new* or *revision* (both written to ``signals.resolved``) or *resend* (suppressed, written
    nowhere). So the resends are what was acknowledged minus what came out and what was
    parked::

        suppressed = acknowledged - parked - new - revisions
    """

    acknowledged: int
    parked: int
    new: int
    revisions: int
    revised_signals: int

    @property
    def suppressed(self) -> int:
        return self.acknowledged - self.parked - self.new - self.revisions


@dataclass(frozen=True)
class GraphMention:
    signal_id: str
    ref: str
    label: str
    entity_id: str


@dataclass(frozen=True)
class FoundRing:
    rank: int
    members: frozenset[str]


@dataclass(frozen=True)
class RingMatch:
    ours: tuple[FoundRing, ...]
    """This run's found rings: those that recover a true ring, and those whose members are
    mostly entities this run's signals mention (on a shared stack the graph also holds earlier
    runs' rings, which may touch an entity of this run)."""
    recovered: Mapping[str, tuple[int, ...]]
    """True ring -> the ranks of the found rings that recover it."""
    missed: tuple[str, ...]
    unmatched: tuple[FoundRing, ...]
    """This run's found rings that recover no true ring."""


@dataclass(frozen=True)
class DemoSummary:
    published: int
    """Records acknowledged by Kafka (the two hand-broken ones not counted)."""
    distinct: int
    in_graph: int
    rejected_at_source: int
    rejected_in_stream: int
    """Parked by the intake."""
    parked: tuple[Parked, ...]
    """Everything parked: by the intake, and records services after resolution refused."""
    dedupe: DedupeTally
    rings: RingMatch
    alerts: int
    deliveries: Mapping[str, int]


# -- pure helpers ------------------------------------------------------------------------------

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


def reason_kind(reason: str) -> str:
    """What a refusal is about: the field before the first colon (``postcode: not a valid
    Dutch postcode`` -> ``postcode``), else the whole reason; numbers (list indices, counts)
    written as N (``subjecten[N].bsn``, ``expected N columns, found N``)."""
    head, colon, _ = reason.partition(":")
    return re.sub(r"\d+", "N", head if colon else reason).strip()


def reason_counts(reasons: Iterable[str]) -> str:
    """``3 datum, 2 kvk_nummer`` (most frequent first)."""
    return ", ".join(f"{n} {kind}" for kind, n in Counter(map(reason_kind, reasons)).most_common())


def parked_lines(parked: Iterable[Parked]) -> list[str]:
    """``2 by the router: reason`` per distinct (service, reason), most frequent first."""
    counts = Counter((p.by, p.reason) for p in parked)
    return [f"{n} by the {by}: {reason}" for (by, reason), n in counts.most_common()]


def tally_dedupe(acknowledged: int, parked: int, verdicts: Mapping[tuple[str, int], str]
                 ) -> DedupeTally:
    """The tally of this run's ``signals.resolved`` records (see ``DedupeTally``)."""
    kinds = Counter(verdicts.values())
    revised = {signal_id for (signal_id, _), verdict in verdicts.items() if verdict == "revision"}
    return DedupeTally(acknowledged, parked, kinds["new"], kinds["revision"], len(revised))


def explain_suppressed(sent: Iterable[Sent], truth: Mapping[tuple[str, int], Mapping[str, Any]],
                       verdicts: Mapping[tuple[str, int], str]) -> Counter[str]:
    """Why the suppressed records were suppressed, signal by signal (a signal's records minus
    those it has on ``signals.resolved``), told by the ground truth of its lines:

    - ``same facts``: the signal never came out: the partner had sent its facts under another
      reference already (dedupe calls that a resend too);
    - ``resend``: the generator resent a line of the signal;
    - ``unchanged``: the rest, revised lines whose change the adapter does not carry, so the
      stream saw the same facts again.

    Assumes the intake parked none of the acknowledged records (it validates what the adapters
    already validated)."""
    kinds: dict[str, list[str]] = {}
    for s in sent:
        line = truth.get((PARTNER_FILES[s.partner], s.line), {})
        kinds.setdefault(s.signal_id, []).append(str(line.get("kind", "original")))
    emitted = Counter(signal_id for signal_id, _ in verdicts)
    out: Counter[str] = Counter()
    for signal_id, lines in kinds.items():
        suppressed = len(lines) - emitted[signal_id]
        if suppressed <= 0:
            continue
        if emitted[signal_id] == 0:
            out["same facts"] += suppressed
            continue
        resent = min(suppressed, lines.count("resend"))
        out["resend"] += resent
        out["unchanged"] += suppressed - resent
    return out


def truth_kinds(sent: Iterable[Sent], truth: Mapping[tuple[str, int], Mapping[str, Any]]
                ) -> Counter[str]:
    """How the generator made the published lines: original, resend, revision."""
    return Counter(str(truth[(PARTNER_FILES[s.partner], s.line)]["kind"]) for s in sent
                   if (PARTNER_FILES[s.partner], s.line) in truth)


def true_entity(partner: str, ref: str, label: str, mentions: Sequence[Mapping[str, Any]]
                ) -> TrueEntity | None:
    """The true entity behind subject ``ref`` (graph label ``label``) of a signal whose line's
    ground truth lists ``mentions``: found by the subject the adapter maps from (KvK, zorg,
    RIEC), or for a tip by type among the entities written in its text (not the reporter's
    own). None when the truth does not pin it to exactly one entity."""
    if partner == "riec":
        candidates = [m for m in mentions if m["subject"] == ref]
    elif partner in TRUTH_SUBJECT:
        subject = TRUTH_SUBJECT[partner].get(ref)
        candidates = [m for m in mentions if subject is not None and m["subject"] == subject]
    else:
        candidates = [m for m in mentions if m["subject"] == "tekst" and not m.get("reporter")
                      and m["type"] == TRUTH_TYPE.get(label)]
    entities = {(str(m["entity"]), m.get("ring")) for m in candidates}
    return entities.pop() if len(entities) == 1 else None


def attribute(mentions: Iterable[GraphMention], latest: Mapping[str, Sent],
              truth: Mapping[tuple[str, int], Mapping[str, Any]]) -> dict[str, set[TrueEntity]]:
    """Graph entity id -> the true entities the ground truth puts behind its mentions by this
    run's signals (``latest``: the last published line of each signal, the version the graph
    holds). More than one means resolution merged true entities."""
    out: dict[str, set[TrueEntity]] = {}
    for mention in mentions:
        sent = latest.get(mention.signal_id)
        line = truth.get((PARTNER_FILES[sent.partner], sent.line)) if sent else None
        if sent is None or line is None:
            continue
        found = true_entity(sent.partner, mention.ref, mention.label, line["mentions"])
        if found is not None:
            out.setdefault(mention.entity_id, set()).add(found)
    return out


def match_rings(found: Sequence[FoundRing], attribution: Mapping[str, Collection[TrueEntity]],
                true_rings: Sequence[str], run_entities: Collection[str],
                min_members: int = RECOVERY_MIN_MEMBERS) -> RingMatch:
    """Which true rings the found rings recover: a found ring recovers a true ring when its
    members are attributed to at least ``min_members`` distinct members of that true ring.
    ``run_entities``: the entities this run's signals mention (see ``RingMatch.ours``)."""
    recovered: dict[str, list[int]] = {}
    ours, unmatched = [], []
    for ring in found:
        members: dict[str, set[str]] = {}
        for entity in ring.members:
            for true_id, true_ring in attribution.get(entity, ()):
                if true_ring is not None:
                    members.setdefault(true_ring, set()).add(true_id)
        hits = sorted(r for r, ids in members.items() if len(ids) >= min_members)
        for hit in hits:
            recovered.setdefault(hit, []).append(ring.rank)
        mostly_ours = 2 * sum(m in run_entities for m in ring.members) > len(ring.members)
        if hits or mostly_ours:
            ours.append(ring)
        if mostly_ours and not hits:
            unmatched.append(ring)
    return RingMatch(tuple(ours), {r: tuple(recovered[r]) for r in sorted(recovered)},
                     tuple(r for r in true_rings if r not in recovered), tuple(unmatched))


def capped(items: Sequence[str], cap: int = LIST_CAP) -> str:
    """``a, b, c`` with at most ``cap`` items, then ``… (n more)``."""
    if not items:
        return "none"
    more = f" … ({len(items) - cap} more)" if len(items) > cap else ""
    return ", ".join(items[:cap]) + more


class Progress:
    """One live status line: rewritten in place once a second on a terminal; elsewhere (a log)
    printed every ``every_s`` seconds. A context manager that clears the line on exit."""

    def __init__(self, echo: Callable[[str], None], stream: TextIO, every_s: float = PROGRESS_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.echo, self.stream, self.every_s, self.clock = echo, stream, every_s, clock
        self.tty = stream.isatty()
        self._last: float | None = None

    def say(self, text: str) -> None:
        """A line of its own, above the status line."""
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.echo(text)
        self._last = None

    def update(self, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r{text}\x1b[K")
            self.stream.flush()
            return
        now = self.clock()
        if self._last is None or now - self._last >= self.every_s:
            self._last = now
            self.echo(text)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


# -- child processes ---------------------------------------------------------------------------

class Services:
    """The demo's child processes: started one by one, stopped in reverse order when the
    ``with`` ends — normally, on an error or on Ctrl-C. While they stop, Ctrl-C is ignored, so
    that a second one cannot cut the stopping short and leave a process behind."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: dict[str, ServiceProcess] = {}

    def start(self, command: str, args: Sequence[str] = ()) -> ServiceProcess:
        service = ServiceProcess(command, self.log_dir / f"{command}.log", args=args)
        self.started[command] = service  # before it runs: stopped on exit even if start is cut
        return service.start()

    def restart(self, command: str) -> ServiceProcess:
        old = self.started.pop(command)
        old.stop()
        return self.start(command, old.args)

    def check(self) -> None:
        """Raise ``DemoError`` if a child process has exited."""
        for name, service in self.started.items():
            if service.returncode is not None:
                tail = service.log_file.read_text(errors="replace")[-800:]
                raise DemoError(f"the {name} exited with code {service.returncode}; the end of "
                                f"{service.log_file}:\n{tail}")

    def __enter__(self) -> Services:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if threading.current_thread() is not threading.main_thread():
            self._stop_all()
            return
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._stop_all()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)

    def _stop_all(self) -> None:
        for service in reversed(list(self.started.values())):
            service.stop()


def _wait_until_up(name: str, url: str, services: Services,
                   timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Until ``url`` answers 200; ``DemoError`` if a child exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        services.check()
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise DemoError(f"the {name} did not answer at {url} within {timeout_s:.0f} s; see "
                    f"{services.log_dir / name}.log")


# -- the run -----------------------------------------------------------------------------------

def run_demo(settings: Settings, echo: Callable[[str], None], wait: bool = True) -> DemoSummary:
    """Run the main job end to end and print what happened; with ``wait``, keep the services
    running (the explorer to look around in) until Ctrl-C."""
    started = time.monotonic()
    _interruptible()
    echo("== Ketenlink demo ==")
    for status in Stack(settings).up():
        echo(f"  {status.name:<6} {status.state} at {status.address} (v{status.version})")
    bootstrap(settings)
    layout = load_layout(prefix=settings.topic_prefix)
    run_id = "demo-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    scenario = _scenario(settings, run_id, echo)
    tokens = {partner: _fresh_token(settings, partner) for partner in VIA_GATEWAY}
    password = _fresh_login(settings)
    explorer_url = f"http://{settings.explorer.host}:{settings.explorer.port}"
    with Services(settings.var_dir / "log") as services:
        gateway_url = _start_services(settings, services, explorer_url, echo)
        before = _end_offsets(settings, [layout.name("signals.normalised"),
                                         layout.name("signals.resolved")])
        published = _publish(settings, layout, scenario, tokens, gateway_url, run_id, echo)
        resolved = _await_pipeline(settings, layout, run_id, published, before, services, echo)
        summary = _summarise(settings, layout, scenario, published, resolved, echo)
        echo(f"(the run took {time.monotonic() - started:.0f} s)")
        if wait:
            echo(f"Explorer: {explorer_url} — log in as {DEMO_LOGIN} / {password}. Ctrl-C stops "
                 "the demo's processes (the stack keeps running: `ketenlink stack down`).")
            _wait_for_interrupt(services)
    if not wait:
        echo(f"Explorer login: {DEMO_LOGIN} / {password} — serve it with `ketenlink explorer "
             f"serve` ({explorer_url}). The stack keeps running: `ketenlink stack down`.")
    return summary


def _interruptible() -> None:
    """Make SIGINT raise ``KeyboardInterrupt`` also when the demo was started with it ignored
    (a shell starts background jobs so: ``ketenlink demo &``, then ``kill -INT``). The child
    processes started afterwards then get the default disposition too."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _scenario(settings: Settings, run_id: str, echo: Callable[[str], None]) -> Scenario:
    """Generate the scenario, append the run id to its partner references (exports and ground
    truth alike) and load the ground truth."""
    out = settings.var_dir / "demo" / run_id
    report = generate(out, DEMO_SIGNALS, seed=int(time.time()))
    lines = [json.loads(line) for line in (out / GROUND_TRUTH).read_text(encoding="utf-8").splitlines()]
    tag = f".{run_id}"
    _tag_exports(out, lines, tag)
    for line in lines:
        line["ref"] = f"{line['ref']}{tag}"
    (out / GROUND_TRUTH).write_text("".join(json.dumps(line, ensure_ascii=False, separators=(",", ":"))
                                            + "\n" for line in lines), encoding="utf-8")
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
        path.write_bytes("\n".join(tagged).encode("utf-8", errors="surrogateescape"))


def _fresh_token(settings: Settings, partner: str) -> str:
    revoke_tokens(settings, partner)
    return create_token(settings, partner)


def _fresh_login(settings: Settings) -> str:
    """A new password for the demo's explorer login (the account is made again each run)."""
    accounts = AccountStore(settings.explorer.users_file)
    accounts.remove(DEMO_LOGIN)
    return accounts.add(DEMO_LOGIN, clearance_for(DEMO_LOGIN_PARTNER))


def _start_services(settings: Settings, services: Services, explorer_url: str,
                    echo: Callable[[str], None]) -> str:
    """Start the child processes, wait for the gateway and the explorer; the gateway's URL."""
    for command, args in SERVICES:
        services.start(command, args)
    gateway_url = f"http://{settings.gateway.host}:{settings.gateway.port}"
    _wait_until_up("gateway", f"{gateway_url}/openapi.json", services)
    _wait_until_up("explorer", f"{explorer_url}/healthz", services)
    echo(f"  worker, sink, router, alert engine, gateway ({gateway_url}) and explorer "
         f"({explorer_url}) started; logs in {services.log_dir}")
    return gateway_url


def _publish(settings: Settings, layout: TopicLayout, scenario: Scenario, tokens: Mapping[str, str],
             gateway_url: str, run_id: str, echo: Callable[[str], None]) -> Published:
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
            publisher.publish(layout.name("signals.in.{partner}", partner), None, raw)
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


# -- waiting for the pipeline ------------------------------------------------------------------

class _TopicReader:
    """Every partition of a topic, from given offsets (else from the beginning)."""

    def __init__(self, settings: Settings, topic: str, start: Mapping[int, int] | None = None) -> None:
        self._consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                                       enable_auto_commit=False)
        self._partitions = [TopicPartition(topic, p)
                            for p in sorted(self._consumer.partitions_for_topic(topic) or ())]
        self._consumer.assign(self._partitions)
        for tp in self._partitions:
            if start is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, start.get(tp.partition, 0))

    def read(self, budget_s: float = 0.5) -> list[Any]:
        """The records that arrived, polled for at most about ``budget_s``."""
        out: list[Any] = []
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            batches = self._consumer.poll(timeout_ms=100, max_records=5000)
            if not batches:
                break
            out.extend(record for batch in batches.values() for record in batch)
        return out

    def caught_up(self) -> bool:
        ends = self._consumer.end_offsets(self._partitions)
        return all(self._consumer.position(tp) >= ends[tp] for tp in self._partitions)

    def close(self) -> None:
        self._consumer.close()


class _Lag:
    """How many records of ``topics`` a consumer group has not committed yet."""

    def __init__(self, settings: Settings, group: str, topics: Sequence[str]) -> None:
        self._probe = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                                    group_id=group, enable_auto_commit=False)
        self._partitions = [TopicPartition(t, p) for t in topics
                            for p in self._probe.partitions_for_topic(t) or ()]

    def behind(self) -> int:
        ends = self._probe.end_offsets(self._partitions)
        return sum(max(0, ends[tp] - (self._probe.committed(tp) or 0)) for tp in self._partitions)

    def close(self) -> None:
        self._probe.close()


def _end_offsets(settings: Settings, topics: Sequence[str]) -> dict[str, dict[int, int]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers)
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        out: dict[str, dict[int, int]] = {t: {} for t in topics}
        for tp, end in consumer.end_offsets(partitions).items():
            out[tp.topic][tp.partition] = end
        return out
    finally:
        consumer.close()


@dataclass
class _Watch:
    """What the wait has seen so far of this run."""

    ids: set[str]
    run_id: str
    inbound: frozenset[str] = frozenset()
    normalised: set[tuple[str, int, int]] = field(default_factory=set)
    """The inbound records (topic, partition, offset) the intake passed; a record the worker
    reads again (after a restart) passes again, and counts once."""
    verdicts: dict[tuple[str, int], str] = field(default_factory=dict)
    parked: dict[tuple[str, str, int, int], Parked] = field(default_factory=dict)
    """(who parked it, source topic, partition, offset) -> the record, likewise once."""

    def see_normalised(self, records: Iterable[Any]) -> None:
        for record in records:
            value = json.loads(record.value)
            if value["signal"]["signal_id"] in self.ids:
                source = value["source"]
                self.normalised.add((source["topic"], source["partition"], source["offset"]))

    def see_resolved(self, records: Iterable[Any]) -> None:
        for record in records:
            value = json.loads(record.value)
            if value["signal_id"] in self.ids:
                self.verdicts[(value["signal_id"], int(value["revision"]))] = value["verdict"]

    def see_rejected(self, records: Iterable[Any]) -> None:
        for record in records:
            doc = json.loads(record.value)
            original = _original(doc)
            if self.run_id in original:  # the references end in the run id, the broken ids too
                by = "intake" if doc.get("source_topic") in self.inbound else str(doc.get("partner"))
                broken = any(original == raw.decode() for _, raw in broken_records(self.run_id))
                source = (by, str(doc.get("source_topic")), int(doc.get("source_partition") or 0),
                          int(doc.get("source_offset") or 0))
                self.parked[source] = Parked(doc["reason"], by, broken)

    @property
    def through_intake(self) -> int:
        return len(self.normalised) + sum(p.by == "intake" for p in self.parked.values())


@dataclass(frozen=True)
class WaitStatus:
    """One look at the pipeline while the demo waits (this run's records only)."""

    intake: int
    """Records through the intake: on ``signals.normalised`` or parked by it."""
    expected: int
    worker_lag: int
    """Records of ``signals.normalised`` the worker has not committed (resolution to do)."""
    resolved: int
    in_graph: int
    signals: int
    sink_lag: int
    parked: int
    resolved_read: bool
    """Whether the demo has read ``signals.resolved`` to its end."""

    @property
    def done(self) -> bool:
        return (self.intake >= self.expected and self.worker_lag == 0 and self.sink_lag == 0
                and self.resolved_read)

    def line(self, elapsed: float) -> str:
        return (f"  {elapsed:>4.0f} s  intake {self.intake}/{self.expected}  resolution lag "
                f"{self.worker_lag}  resolved {self.resolved}  graph {self.in_graph}/{self.signals}  "
                f"sink lag {self.sink_lag}  parked {self.parked}")


def next_step(status: WaitStatus, quiet_s: float, restarts: int) -> str:
    """``done``, ``wait``, ``restart`` (the worker) or ``fail``, given the status and how long
    it has not changed. The worker is restarted when records of this run are left in the intake
    while it has nothing else to do: faust dropped them from a batch cut short, and the worker's
    offset guard (``streams/gap_guard.py``) leaves them to be read again after a restart. Only
    once some of this run's records came through: before that, the worker may still be
    recovering its tables."""
    if status.done:
        return "done"
    stuck = 0 < status.intake < status.expected and status.worker_lag == 0
    if stuck and quiet_s >= STALL_RESTART_S and restarts < MAX_WORKER_RESTARTS:
        return "restart"
    return "fail" if quiet_s >= STALL_TIMEOUT_S else "wait"


class _Pipeline:
    """Measures this run's progress through the stream and into the graph."""

    def __init__(self, settings: Settings, layout: TopicLayout, watch: _Watch, expected: int,
                 before: Mapping[str, Mapping[int, int]]) -> None:
        self.settings, self.watch, self.expected = settings, watch, expected
        normalised, resolved = layout.name("signals.normalised"), layout.name("signals.resolved")
        self._normalised = _TopicReader(settings, normalised, before[normalised])
        self._resolved = _TopicReader(settings, resolved, before[resolved])
        self._rejected = _TopicReader(settings, layout.name("signals.rejected"))
        self._worker = _Lag(settings, settings.faust_app_id, [normalised])
        self._sink = _Lag(settings, f"{settings.faust_app_id}-graph-sink",
                          [resolved, layout.name("entities.merges")])

    def status(self, driver: Any) -> WaitStatus:
        watch = self.watch
        watch.see_normalised(self._normalised.read())
        watch.see_resolved(self._resolved.read())
        watch.see_rejected(self._rejected.read())
        return WaitStatus(watch.through_intake, self.expected, self._worker.behind(),
                          len(watch.verdicts), _count_in_graph(driver, self.settings, watch.ids),
                          len(watch.ids), self._sink.behind(), len(watch.parked),
                          self._resolved.caught_up())

    def close(self) -> None:
        for closeable in (self._normalised, self._resolved, self._rejected, self._worker, self._sink):
            closeable.close()


def _await_pipeline(settings: Settings, layout: TopicLayout, run_id: str, published: Published,
                    before: Mapping[str, Mapping[int, int]], services: Services,
                    echo: Callable[[str], None]) -> Resolved:
    """Until every published record went through the intake (to ``signals.normalised`` or
    parked), the worker committed all of ``signals.normalised`` (resolution done), the sink all
    of ``signals.resolved`` and ``entities.merges`` (the graph written): progress meanwhile."""
    watch = _Watch(published.ids, run_id, inbound=frozenset(layout.inbound()))
    pipeline = _Pipeline(settings, layout, watch, len(published.sent) + len(broken_records(run_id)),
                         before)
    started = changed = time.monotonic()
    last: WaitStatus | None = None
    restarts = 0
    try:
        with open_driver(settings.neo4j) as driver, Progress(echo, sys.stdout) as progress:
            while True:
                services.check()
                status = pipeline.status(driver)
                now = time.monotonic()
                if status != last:
                    changed, last = now, status
                progress.update(status.line(now - started))
                step = next_step(status, now - changed, restarts)
                if step == "done":
                    break
                if step == "fail":
                    raise DemoError(f"nothing moved for {STALL_TIMEOUT_S:.0f} s: {status.line(now - started)}"
                                    f"; see the logs in {services.log_dir}")
                if step == "restart":
                    restarts += 1
                    progress.say(f"  {status.expected - status.intake} records are stuck in the intake "
                                 "(faust skipped them; streams/gap_guard.py): restarting the worker")
                    services.restart("worker")
                    changed = time.monotonic()
                time.sleep(1.0)
        echo(f"  caught up after {now - started:.0f} s: {status.intake} records through the intake, "
             f"{status.resolved} on signals.resolved, {status.in_graph} signals in the graph")
        return Resolved(dict(watch.verdicts), tuple(watch.parked.values()), status.in_graph)
    finally:
        pipeline.close()


def _count_in_graph(driver: Any, settings: Settings, ids: Collection[str]) -> int:
    records, _, _ = driver.execute_query(
        "UNWIND $ids AS id MATCH (s:Signal {signal_id: id}) RETURN count(s) AS n",
        ids=list(ids), database_=settings.neo4j.database)
    return int(records[0]["n"])


def _original(doc: dict[str, str]) -> str:
    return base64.b64decode(doc.get("original_base64", "")).decode(errors="replace")


def _wait_for_interrupt(services: Services) -> None:
    """Until Ctrl-C (KeyboardInterrupt); ``DemoError`` if a child process exits meanwhile."""
    while True:
        services.check()
        time.sleep(1.0)


# -- the summary -------------------------------------------------------------------------------

def _summarise(settings: Settings, layout: TopicLayout, scenario: Scenario, published: Published,
               resolved: Resolved, echo: Callable[[str], None]) -> DemoSummary:
    ids = sorted(published.ids)
    deliveries = _count_deliveries(settings, layout, set(ids))
    alerts = _count_alerts(settings, layout, ids)
    mentions = _graph_mentions(settings, ids)
    found, truncated = _found_rings(settings)
    latest = {s.signal_id: s for s in published.sent}  # the last line of a signal is its version
    rings = match_rings(found, attribute(mentions, latest, scenario.truth), scenario.true_rings,
                        {m.entity_id for m in mentions})
    parked_published = sum(not p.broken for p in resolved.parked_by_intake)
    dedupe = tally_dedupe(len(published.sent), parked_published, resolved.verdicts)
    summary = DemoSummary(len(published.sent), len(ids), resolved.in_graph,
                          sum(map(len, published.refused.values())), len(resolved.parked_by_intake),
                          resolved.parked, dedupe, rings, alerts, deliveries)
    echo("== summary ==")
    _show_intake(summary, published, scenario, echo)
    _show_dedupe(summary, truth_kinds(published.sent, scenario.truth),
                 explain_suppressed(published.sent, scenario.truth, resolved.verdicts), echo)
    _show_network(settings, ids, echo)
    _show_rings(summary, len(scenario.true_rings), truncated, echo)
    echo(f"  alerts: {alerts} proposed to the RIEC for release to the OM "
         "(`ketenlink alerts list --analyst NAME`)")
    echo("  deliveries: signals routed to each partner, redacted to its clearance")
    for partner in layout.recipients:
        echo(f"    {partner:<20} {deliveries.get(partner, 0):>6}")
    return summary


def _show_intake(summary: DemoSummary, published: Published, scenario: Scenario,
                 echo: Callable[[str], None]) -> None:
    per_partner = Counter(s.partner for s in published.sent)
    echo(f"  received: {summary.published} records acknowledged by Kafka ("
         + ", ".join(f"{p} {n}" for p, n in per_partner.items())
         + f") for {summary.distinct} distinct signals")
    echo(f"  rejected at the source: {summary.rejected_at_source} lines the adapters refused "
         f"(the generator wrote {scenario.report.invalid} invalid lines; kvk and zorg in "
         f"{scenario.out}/*.rejects.jsonl)")
    for partner, reasons in published.refused.items():
        if reasons:
            echo(f"    {partner:<12} {len(reasons):>3}: {reason_counts(reasons)}")
    echo(f"  rejected in the stream: {summary.rejected_in_stream} records parked by the intake "
         "(on signals.rejected)")
    for line in parked_lines(p for p in summary.parked if p.by == "intake"):
        echo(f"    {line}")
    later = [p for p in summary.parked if p.by != "intake"]
    if later:
        echo(f"  parked after resolution: {len(later)} records a service downstream refused")
        for line in parked_lines(later):
            echo(f"    {line}")


def _show_dedupe(summary: DemoSummary, kinds: Mapping[str, int], why: Mapping[str, int],
                 echo: Callable[[str], None]) -> None:
    d = summary.dedupe
    parked = f" - {d.parked} parked" if d.parked else ""
    echo(f"  resends suppressed: {d.suppressed} = {d.acknowledged} acknowledged{parked} - {d.new} "
         f"new - {d.revisions} revisions on signals.resolved")
    echo(f"    by the ground truth: resent lines {why['resend']} (of {kinds['resend']} published), "
         f"facts the partner had sent under another reference {why['same facts']}, revised lines "
         f"that change nothing the adapter carries {why['unchanged']}")
    echo(f"  revisions: {d.revisions} records revised {d.revised_signals} signals (ground truth: "
         f"{kinds['revision']} published lines are revisions)")
    echo(f"  graph: {summary.in_graph} of the {d.new} new signals are in Neo4j, each at its "
         "latest revision")


def _show_rings(summary: DemoSummary, true_rings: int, truncated: bool,
                echo: Callable[[str], None]) -> None:
    match = summary.rings
    echo(f"  rings: the analysts' ring search (as RIEC sees the graph) finds {len(match.ours)} "
         f"of this run; they recover {len(match.recovered)} of the {true_rings} true rings; "
         f"{len(match.unmatched)} match no true ring" + (" (search truncated)" if truncated else ""))
    echo(f"    (a found ring recovers a true ring when it holds entities the ground truth "
         f"attributes to at least {RECOVERY_MIN_MEMBERS} distinct members of that ring; a found "
         "ring is this run's when it recovers one or most of its members are this run's)")
    echo("    recovered (#rank in the search): " + capped(
        [f"{ring} (#{', #'.join(map(str, ranks))})" for ring, ranks in match.recovered.items()]))
    echo("    missed: " + capped(list(match.missed)))
    echo("    matching none: " + capped([f"#{r.rank} ({len(r.members)} members)"
                                         for r in match.unmatched]))


NETWORK = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})-[:MENTIONS]->(e)
WITH [l IN labels(e) WHERE l <> 'Entity'][0] AS kind, count(DISTINCT e) AS entities, count(*) AS mentions
RETURN kind, entities, mentions ORDER BY mentions DESC
"""
CORROBORATED = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id}) WHERE size(s.corroborated_by) > 0
RETURN count(s) AS n
"""
MENTIONS = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})-[m:MENTIONS]->(e:Entity)
RETURN id, m.ref AS ref, [l IN labels(e) WHERE l <> 'Entity'][0] AS label, e.entity_id AS entity_id
"""
ALERTS = """
UNWIND $ids AS id
MATCH (a:Alert)-[:EVIDENCE]->(:Signal {signal_id: id})
RETURN count(DISTINCT a) AS n
"""


def _graph_mentions(settings: Settings, ids: list[str]) -> list[GraphMention]:
    """Each mention of an entity by this run's signals (merges followed: the sink moves the
    mentions of a merged entity to its survivor)."""
    with open_driver(settings.neo4j) as driver:
        rows, _, _ = driver.execute_query(MENTIONS, ids=ids, database_=settings.neo4j.database)
    return [GraphMention(r["id"], r["ref"], r["label"], r["entity_id"]) for r in rows]


def _found_rings(settings: Settings) -> tuple[list[FoundRing], bool]:
    """The rings ``AnalystQueries.rings`` finds as the demo login's partner sees the graph, and
    whether the search was truncated."""
    caller = Caller(DEMO_LOGIN, DEMO_LOGIN_PARTNER, clearance_for(DEMO_LOGIN_PARTNER))
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit:
        rings = AnalystQueries(driver, settings.neo4j.database, audit).rings(
            caller, min_size=RING_MIN_SIZE, limit=MAX_LIMIT, max_nodes=RING_MAX_NODES)
    return [FoundRing(r.rank, frozenset(m.entity_id for m in r.members)) for r in rings.rings], \
        rings.truncated


def _count_deliveries(settings: Settings, layout: TopicLayout, ids: set[str],
                      settle_s: float = 3.0, timeout_s: float = 60.0) -> dict[str, int]:
    """This run's signals on each ``deliveries.<partner>`` topic (each counted once, whatever
    its revisions), read until none has come for ``settle_s`` (the router is behind the graph
    sink by milliseconds)."""
    consumer = KafkaConsumer(*[layout.delivery(p) for p in layout.recipients],
                             bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    counts: dict[str, set[str]] = {}
    deadline, quiet_since = time.monotonic() + timeout_s, time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet_since < settle_s:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    value = json.loads(record.value)
                    if value["signal_id"] in ids:
                        counts.setdefault(value["recipient"], set()).add(value["signal_id"])
                        quiet_since = time.monotonic()
    finally:
        consumer.close()
    return {partner: len(copies) for partner, copies in counts.items()}


def _count_alerts(settings: Settings, layout: TopicLayout, ids: list[str],
                  timeout_s: float = 120.0) -> int:
    """Alerts whose evidence includes this run's signals, once the alert engine's group has
    committed everything the graph sink has (it follows the sink by seconds)."""
    wait_committed(settings.kafka.bootstrap_servers, f"{settings.faust_app_id}-alerts",
                   (layout.name("signals.resolved"), layout.name("entities.merges")), timeout_s)
    with open_driver(settings.neo4j) as driver:
        records, _, _ = driver.execute_query(ALERTS, ids=ids, database_=settings.neo4j.database)
    return int(records[0]["n"])


def _show_network(settings: Settings, ids: list[str], echo: Callable[[str], None]) -> None:
    """What resolution made of the mentions: entities per kind, and corroborated signals."""
    with open_driver(settings.neo4j) as driver:
        rows, _, _ = driver.execute_query(NETWORK, ids=ids, database_=settings.neo4j.database)
        corroborated, _, _ = driver.execute_query(CORROBORATED, ids=ids,
                                                  database_=settings.neo4j.database)
    echo("  entities resolved: the mentions of this run's signals, per kind")
    for row in rows:
        echo(f"    {row['kind']:<12} {row['mentions']:>6} mentions -> {row['entities']:>6} entities")
    echo(f"    {corroborated[0]['n']} signals are corroborated by another partner's signal")
