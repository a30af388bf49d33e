"""Every ``expect`` item checked with what an analyst, a partner or the alert engine uses: the
explorer API as the named partner's analyst, the delivery topics, the alert store (through the
explorer's release API). An item the platform cannot answer is a FAIL that says why."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bench.deidentify_eval import survivors
from explorer.exceptions import AccountError
from ketenlink.scenario.evidence import DEFAULT_VIEWER, Evidence
from ketenlink.scenario.translate import OBSERVATIONS
from schemas.municipalities import municipalities

INDICATOR_CODES: dict[str, str] = {
    **OBSERVATIONS, "high_risk_sector": "BUS-HIGH-RISK-SECTOR",
    "many_businesses_same_address": "BUS-MANY-AT-ADDRESS", "serial_director": "BUS-SERIAL-DIRECTOR",
    "quick_succession": "BUS-QUICK-SUCCESSION", "straw_man_director": "BUS-STRAW-MAN",
    "under_21_sex_work": "SIT-UNDERAGE", "minor": "SIT-UNDERAGE"}
"""Scenario indicator names -> the platform's catalogue codes (``minor`` and
``under_21_sex_work`` have one code, SIT-UNDERAGE, on the platform)."""

PASS, FAIL = "PASS", "FAIL"


@dataclass(frozen=True)
class ItemResult:
    item: str
    verdict: str
    evidence: str

    def line(self) -> str:
        return f"{self.verdict} {self.item} — {self.evidence}"


def short(entity_ids: Iterable[str]) -> str:
    return "{" + ", ".join(sorted(e[:8] for e in entity_ids)) + "}"


def _ok(condition: bool) -> str:
    return PASS if condition else FAIL


def _cannot_world(ev: Evidence, *world_ids: str) -> str | None:
    """Why an item about these world ids cannot be answered: mentions that never arrived."""
    reasons = list(dict.fromkeys(f"{w} in {r}" for w in world_ids for r in ev.tainted.get(w, [])))
    return "cannot express: " + "; ".join(reasons) if reasons else None


def _cannot_signal(ev: Evidence, *signals: str) -> str | None:
    reasons = [f"{s}: {ev.unsent(s)}" for s in signals if ev.unsent(s)]
    return "cannot express: " + "; ".join(reasons) if reasons else None


def _missing(ev: Evidence, *world_ids: str) -> str | None:
    absent = [w for w in world_ids if not ev.entities(w)]
    return f"no mention of {', '.join(absent)} reached the graph" if absent else None


def _absent(item: str, world_id: str) -> ItemResult:
    """A negative item about a world id that never reached the graph holds trivially."""
    return ItemResult(item, PASS, f"no mention of {world_id} reached the graph, so no answer "
                                  "names it")


def one_entity(ev: Evidence, value: list[str]) -> list[ItemResult]:
    out = []
    for world_id in value:
        why = _cannot_world(ev, world_id) or _missing(ev, world_id)
        seen = ev.mentions.get(world_id, {})
        out.append(ItemResult(f"one_entity {world_id}", FAIL, why) if why else ItemResult(
            f"one_entity {world_id}", _ok(len(set(seen.values())) == 1),
            f"mentions in {', '.join(sorted(seen))} resolved to {short(set(seen.values()))}"))
    return out


def distinct(ev: Evidence, value: list[list[str]]) -> list[ItemResult]:
    out = []
    for a, b in value:
        item = f"distinct {a} {b}"
        why = _cannot_world(ev, a, b) or _missing(ev, a, b)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        shared = ev.entities(a) & ev.entities(b)
        out.append(ItemResult(item, _ok(not shared), f"{a} -> {short(ev.entities(a))}, "
                                                     f"{b} -> {short(ev.entities(b))}"))
    return out


def _indicators_of(ev: Evidence, world_id: str) -> tuple[set[str], list[str]]:
    """The indicator codes and property values the explorer shows on a world id's entities."""
    codes: set[str] = set()
    values: list[str] = []
    for entity in ev.entities(world_id):
        status, body = ev.analyst(DEFAULT_VIEWER).get(f"/api/entities/{entity}")
        if status == 200:
            reasons = body["risk"]["breakdown"]["indicators"]["reasons"]
            codes |= {str(r["code"]) for r in reasons}
            values += [str(v) for v in body["profile"]["entity"]["properties"].values()]
    return codes, values


def _indicator_items(ev: Evidence, value: dict[str, list[str]], present: bool) -> list[ItemResult]:
    name = "indicators" if present else "no_indicators"
    out = []
    for world_id, wanted in value.items():
        for indicator in wanted:
            item = f"{name} {world_id} {indicator}"
            code = INDICATOR_CODES.get(indicator)
            why = _cannot_world(ev, world_id) or (
                None if code else f"cannot express: no catalogue code for {indicator}")
            if not why and not present and not ev.entities(world_id):
                out.append(_absent(item, world_id))
                continue
            why = why or _missing(ev, world_id)
            if why:
                out.append(ItemResult(item, FAIL, why))
                continue
            codes, values = _indicators_of(ev, world_id)
            has = code in codes or (indicator == "minor" and "minor" in values)
            out.append(ItemResult(item, _ok(has == present),
                                  f"GET /api/entities/{{{short(ev.entities(world_id))[1:-1]}}} as "
                                  f"{DEFAULT_VIEWER}: indicators {sorted(codes)} ({code})"))
    return out


def indicators(ev: Evidence, value: dict[str, list[str]]) -> list[ItemResult]:
    return _indicator_items(ev, value, True)


def no_indicators(ev: Evidence, value: dict[str, list[str]]) -> list[ItemResult]:
    return _indicator_items(ev, value, False)


def _first_riec(ev: Evidence) -> str:
    return next((s.partner for s in ev.scenario.signals if s.partner.split(":")[0] == "riec"),
                DEFAULT_VIEWER)


def _rings(ev: Evidence, viewer: str) -> list[set[str]]:
    status, body = ev.analyst(viewer).get("/api/rings")
    if status != 200:
        return []
    return [{str(m["entity_id"]) for m in ring["members"]} for ring in body["rings"]]


def _viewer(ev: Evidence, scenario_partner: str) -> tuple[str | None, str]:
    """(the platform partner whose analysts ask, "") or (None, why none can)."""
    mapping = ev.partner(scenario_partner)
    if mapping.platform is None:
        return None, mapping.reason or ""
    if "analyst" not in ev.platform.registry.entry(mapping.platform).roles:
        return None, f"cannot express: {mapping.platform} has no analysts in the explorer"
    return mapping.platform, ""


def ring(ev: Evidence, value: dict[str, Any]) -> list[ItemResult]:
    contains, never = list(value.get("contains", [])), list(value.get("never", []))
    viewer, no_viewer = _viewer(ev, str(value.get("as") or _first_riec(ev)))
    why = no_viewer or _cannot_world(ev, *contains) or _missing(ev, *contains)
    if why or viewer is None:
        return [ItemResult("ring", FAIL, why or "")]
    rings = _rings(ev, viewer)
    best, best_hits = set(), -1
    for members in rings:
        hits = sum(bool(ev.entities(w) & members) for w in contains)
        if hits > best_hits:
            best, best_hits = members, hits
    lacking = [w for w in contains if not ev.entities(w) & best]
    wrong = [w for w in never if ev.entities(w) & best]
    absent = [w for w in never if not ev.entities(w)]
    return [ItemResult("ring", _ok(bool(rings) and not lacking and not wrong),
                       f"GET /api/rings as {viewer}: {len(rings)} rings; the closest holds "
                       f"{best_hits}/{len(contains)} of contains (lacks {lacking or 'none'}), "
                       f"never-members in it: {wrong or 'none'} (not in the graph at all: "
                       f"{absent or 'none'})")]


def apart(ev: Evidence, value: list[list[str]]) -> list[ItemResult]:
    out = []
    analyst = ev.analyst(DEFAULT_VIEWER)
    for a, b in value:
        item = f"apart {a} {b}"
        why = _cannot_world(ev, a, b) or _missing(ev, a, b)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        both = sum(bool(ev.entities(a) & r) and bool(ev.entities(b) & r)
                   for r in _rings(ev, DEFAULT_VIEWER))
        why_reasons, connected = 0, 0
        for x in ev.entities(a):
            for y in ev.entities(b):
                _, body = analyst.get("/api/why", a=x, b=y)
                why_reasons += len((body or {}).get("reasons", []))
            _, net = analyst.get(f"/api/entities/{x}/network", depth=3)
            connected += len(ev.entities(b) & {str(n["entity_id"]) for n in (net or {}).get("nodes", [])})
        out.append(ItemResult(item, _ok(both == 0 and why_reasons == 0 and connected == 0),
                              f"rings holding both: {both}; /api/why reasons: {why_reasons}; "
                              f"{b} within 3 steps of {a} in /network: {connected}"))
    return out


NEIGHBOURS_ASKED = 4
"""``no_link_through``: how many of the generic value's neighbours are asked "why linked"
pairwise (6 questions)."""


def no_link_through(ev: Evidence, value: list[str]) -> list[ItemResult]:
    out = []
    analyst = ev.analyst(DEFAULT_VIEWER)
    for world_id in value:
        item = f"no_link_through {world_id}"
        why = _cannot_world(ev, world_id)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        if not ev.entities(world_id):
            out.append(_absent(item, world_id))
            continue
        hubs = ev.entities(world_id)
        rings = [r for r in _rings(ev, DEFAULT_VIEWER) if hubs & r]
        through = 0
        for hub in hubs:
            _, net = analyst.get(f"/api/entities/{hub}/network", depth=1)
            near = [str(n["entity_id"]) for n in (net or {}).get("nodes", [])
                    if str(n["entity_id"]) not in hubs][:NEIGHBOURS_ASKED]
            for i, a in enumerate(near):
                for b in near[i + 1:]:
                    _, answer = analyst.get("/api/why", a=a, b=b)
                    through += sum(bool(hubs & {str(r.get("source")), str(r.get("target"))})
                                   for r in (answer or {}).get("reasons", []))
        out.append(ItemResult(item, _ok(not rings and not through),
                              f"as {DEFAULT_VIEWER}: /api/rings holding {world_id} "
                              f"{short(hubs)}: {len(rings)}; /api/why reasons through it between "
                              f"its neighbours (up to {NEIGHBOURS_ASKED}, pairwise): {through}"))
    return out


def _alerts(ev: Evidence) -> list[dict[str, Any]]:
    analyst = ev.analyst(ev.platform.reviewer)
    out = []
    code, body = analyst.get("/api/alerts")  # every status
    for alert in (body or {}).get("alerts", []) if code == 200 else []:
        _, detail = analyst.get(f"/api/alerts/{alert['alert_id']}")
        out.append(detail or alert)
    return out


def _about(alert: dict[str, Any]) -> set[str]:
    dossier = alert.get("dossier") or {}
    ids = {str(alert.get("anchor")), *(str(m) for m in alert.get("members") or [])}
    ids |= {str(e.get("entity_id") or (e.get("entity") or {}).get("entity_id"))
            for e in dossier.get("entities", []) if isinstance(e, dict)}
    return ids


def _released(ev: Evidence) -> set[str]:
    from core.topic_reader import read_to_end
    return {str(json.loads(r.value).get("alert_id")) for r in
            read_to_end(ev.platform.settings.kafka, ev.platform.layout.alerts_released) if r.value}


def alert(ev: Evidence, value: dict[str, Any]) -> list[ItemResult]:
    about = [str(w) for w in value.get("about_any_of", [])]
    least = int(value.get("partners_at_least", 1))
    ring_spec = ev.scenario.expect.get("ring") or {}
    world = list(dict.fromkeys([w for w in about if w != "ring"] + (
        list(ring_spec.get("contains", [])) if "ring" in about else [])))
    targets = set().union(*(ev.entities(w) for w in world)) if world else set()
    alerts = [a for a in _alerts(ev) if _about(a) & targets]
    counted = [(a["alert_id"][:8], a["status"],
                len({e["partner"] for e in (a.get("dossier") or {}).get("evidence", [])}))
               for a in alerts]
    enough = [c for c in counted if c[2] >= least]
    released = _released(ev)
    early = [a["alert_id"][:8] for a in alerts if a["alert_id"] in released
             and a["status"] != "approved"]
    why = _cannot_world(ev, *world) if not enough else None
    return [ItemResult("alert", FAIL if why else _ok(bool(enough) and not early),
                       (why + "; " if why else "") + f"GET /api/alerts as {ev.platform.reviewer}: "
                       f"{len(alerts)} alerts about {world} (id, status, partners): {counted}; "
                       f"need >= {least} partners; released before approval: {early or 'none'}")]


def no_alert_about(ev: Evidence, value: list[str]) -> list[ItemResult]:
    out = []
    alerts = _alerts(ev)
    for world_id in value:
        item = f"no_alert_about {world_id}"
        why = _cannot_world(ev, world_id)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        if not ev.entities(world_id):
            out.append(_absent(item, world_id))
            continue
        hits = [a["alert_id"][:8] for a in alerts if _about(a) & ev.entities(world_id)]
        out.append(ItemResult(item, _ok(not hits), f"GET /api/alerts as {ev.platform.reviewer}: "
                                                   f"{len(alerts)} alerts, naming {world_id}: "
                                                   f"{hits or 'none'}"))
    return out


def delivered(ev: Evidence, value: dict[str, dict[str, list[str]]]) -> list[ItemResult]:
    out = []
    for partner, wants in value.items():
        mapping = ev.partner(partner)
        for want, signals in (("receives", wants.get("receives", [])), ("never", wants.get("never", []))):
            for signal in signals:
                item = f"delivered {partner} {want} {signal}"
                why = mapping.reason or _cannot_signal(ev, signal)
                if why or mapping.platform is None:
                    out.append(ItemResult(item, FAIL, why or ""))
                    continue
                got = ev.signal_id(signal) in ev.deliveries(mapping.platform)
                out.append(ItemResult(item, _ok(got == (want == "receives")),
                                      f"{ev.platform.layout.delivery(mapping.platform)} holds "
                                      f"{signal}: {got}"))
    return out


def visible(ev: Evidence, value: dict[str, dict[str, list[str]]]) -> list[ItemResult]:
    out = []
    for partner, wants in value.items():
        viewer, no_viewer = _viewer(ev, partner)
        refused = _no_accounts(ev, partner) if viewer is None else None
        for want, signals in (("sees", wants.get("sees", [])), ("not", wants.get("not", []))):
            for signal in signals:
                item = f"visible {partner} {want} {signal}"
                why = _cannot_signal(ev, signal)
                if refused and not why:  # no analysts: it opens nothing at all
                    out.append(ItemResult(item, _ok(want == "not"), refused))
                    continue
                if why or viewer is None:
                    out.append(ItemResult(item, FAIL, why or no_viewer))
                    continue
                sid = ev.signal_id(signal)
                seen = any(
                    sid in {e["signal"]["signal_id"] for e in (body or {}).get("entries", [])}
                    for status, body in (ev.analyst(viewer).get(f"/api/entities/{e}/timeline")
                                         for e in set(ev.entities_of_signal(signal).values())))
                out.append(ItemResult(item, _ok(seen == (want == "sees")),
                                      f"timelines of {signal}'s entities as {viewer}: "
                                      f"{'shown' if seen else 'not shown'}"))
    return out


def _no_accounts(ev: Evidence, scenario_partner: str) -> str | None:
    """Evidence that a partner on the platform has no explorer users at all (the account store
    refuses to create one), or None."""
    mapping = ev.partner(scenario_partner)
    if mapping.platform is None:
        return None
    try:
        ev.analyst(mapping.platform)
    except AccountError as exc:
        return f"the explorer admits no analyst of {mapping.platform}: {exc.problem}"
    return None


def revised(ev: Evidence, value: dict[str, int]) -> list[ItemResult]:
    out = []
    for signal, revision in value.items():
        item = f"revised {signal}"
        why = _cannot_signal(ev, signal)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        sid = ev.signal_id(signal) or ""
        revisions = sorted({int(r["revision"]) for r in ev.resolved.get(sid, [])})
        shown = set()
        for entity in set(ev.entities_of_signal(signal).values()):
            _, body = ev.analyst(DEFAULT_VIEWER).get(f"/api/entities/{entity}/timeline")
            shown |= {int(e["signal"]["revision"]) for e in (body or {}).get("entries", [])
                      if e["signal"]["signal_id"] == sid}
        out.append(ItemResult(item, _ok(bool(revisions) and max(revisions) == revision
                                        and shown == {revision}),
                              f"signals.resolved revisions of {sid[:8]}: {revisions}; explorer "
                              f"timelines show revision(s) {sorted(shown)}"))
    return out


def resend_suppressed(ev: Evidence, value: list[str]) -> list[ItemResult]:
    out = []
    for signal in value:
        item = f"resend_suppressed {signal}"
        why = _cannot_signal(ev, signal)
        if why:
            out.append(ItemResult(item, FAIL, why))
            continue
        sid = ev.signal_id(signal) or ""
        sends = [s.id for s in ev.scenario.signals if ev.signal_id(s.id) == sid and not s.resend_of]
        records = ev.resolved.get(sid, [])
        out.append(ItemResult(item, _ok(len(records) == len(sends)),
                              f"signals.resolved holds {len(records)} record(s) of {sid[:8]} for "
                              f"{len(sends)} non-resend send(s) {sends}"))
    return out


def never_anywhere(ev: Evidence, value: list[str]) -> list[ItemResult]:
    texts = ev.texts()
    out = []
    for needle in value:
        places = [place for place, text in texts.items() if survivors(text, [needle])]
        out.append(ItemResult(f"never_anywhere {needle!r}", _ok(not places),
                              f"searched {len(texts)} places (topics after the source, the graph "
                              f"around the run's signals, service logs, explorer answers): found "
                              f"in {places or 'none'}"))
    return out


def watch_hit(ev: Evidence, value: dict[str, Any]) -> list[ItemResult]:
    """The watching partner's delivery topic holds each signal, naming the watched person's
    entity (its copy is redacted to its clearance by the router, as every delivery is)."""
    partner, about = str(value["partner"]), str(value["about"])
    mapping = ev.partner(partner)
    out = []
    for signal in value.get("by", []):
        item = f"watch_hit {partner} {about} by {signal}"
        why = mapping.reason or _cannot_world(ev, about) or _cannot_signal(ev, signal) \
            or _missing(ev, about)
        if why or mapping.platform is None:
            out.append(ItemResult(item, FAIL, why or ""))
            continue
        copy = ev.delivered(mapping.platform).get(ev.signal_id(signal) or "")
        named = copy is not None and bool(
            {e.get("entity_id") for e in copy.get("entities", [])} & ev.entities(about))
        out.append(ItemResult(item, _ok(named), f"{ev.platform.layout.delivery(mapping.platform)}"
                                                f" holds {signal}: {copy is not None}, naming "
                                                f"{about} {short(ev.entities(about))}: {named}"))
    return out


def hit_only(ev: Evidence, value: dict[str, list[str]]) -> list[ItemResult]:
    return [ItemResult(f"hit_only {partner} {signal}", FAIL,
                       "cannot express: the explorer has no hit-only answer (a signal is either "
                       "visible to a partner or absent from its answers)")
            for partner, signals in value.items() for signal in signals]


def waterbed(ev: Evidence, value: dict[str, Any]) -> list[ItemResult]:
    item = f"waterbed {json.dumps(value, default=str)}"
    network_of = str(value.get("network_of"))
    origin, target = str(value.get("from")), str(value.get("to"))
    unknown = [c for c in (origin, target) if c not in municipalities()]
    why = _cannot_world(ev, network_of) or _missing(ev, network_of) or (
        f"cannot express: {', '.join(unknown)} not a CBS municipality code" if unknown else None)
    if why:
        return [ItemResult(item, FAIL, why)]
    viewer, no_viewer = _viewer(ev, _first_riec(ev))
    if viewer is None:
        return [ItemResult(item, FAIL, no_viewer)]
    network = ev.entities(network_of)
    wanted = municipalities()[target].platform_code
    found = ev.waterbed(viewer, origin, str(value.get("after")))  # the query takes a CBS code
    moved = {m.code for shift in found.shifts if shift.entity.entity_id in network
             for m in shift.moved_to}
    return [ItemResult(item, _ok(wanted in moved),
                       f"graph.queries.waterbed (`ketenlink graph waterbed`) as {viewer} for "
                       f"{origin} after {value.get('after')}: {network_of} {short(network)} "
                       f"moved to {sorted(moved) or 'nowhere'}; wanted {target} ({wanted})")]


CHECKS: dict[str, Callable[[Evidence, Any], list[ItemResult]]] = {
    "one_entity": one_entity, "distinct": distinct, "resend_suppressed": resend_suppressed,
    "indicators": indicators, "no_indicators": no_indicators, "ring": ring,
    "no_link_through": no_link_through, "apart": apart, "waterbed": waterbed, "alert": alert,
    "no_alert_about": no_alert_about, "delivered": delivered, "never_anywhere": never_anywhere,
    "watch_hit": watch_hit, "visible": visible, "hit_only": hit_only, "revised": revised}


def check_all(ev: Evidence) -> list[ItemResult]:
    """Every expect item in file order; an exception in one check is that item's FAIL."""
    out: list[ItemResult] = []
    for name, value in ev.scenario.expect.items():
        try:
            out.extend(CHECKS[name](ev, value))
        except (KeyError, TypeError, ValueError) as exc:
            out.append(ItemResult(name, FAIL, f"the check could not read the item or an answer: "
                                              f"{exc!r}"))
    return out
