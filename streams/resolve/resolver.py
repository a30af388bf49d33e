"""The resolver: one subject of one record in, one entity id out (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from schemas.subjects import Subject
from streams.resolve import features, scoring
from streams.resolve.config import ResolverConfig
from streams.resolve.exceptions import AlreadyMerged, MergeRefused, UnknownEntity
from streams.resolve.features import Features
from streams.resolve.model import Merge, Resolution, ReviewCandidate
from streams.resolve.state import State, merged
from streams.store_keys import (
    ADDRESSES,
    BIRTH_DATES,
    IDENTIFIERS,
    KVK_NUMBERS,
    PROFILE_KIND,
    PROFILE_ORDINAL,
    RECORD_ENTITY,
    RECORD_KIND,
    RECORD_MATCHED_ON,
    RECORD_METHOD,
    RECORD_SCORE,
    REJECTED,
)

log = structlog.get_logger(__name__)

SCORED = ("person", "business")
"""Subject types matched probabilistically after their strong keys."""

_RIVALS = 6
"""Candidates compared pairwise when deciding whether a record is ambiguous."""

_SPECIFIC = (BIRTH_DATES, IDENTIFIERS, ADDRESSES, KVK_NUMBERS)
"""Profile fields that set one person or business apart from others of the same name."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Resolver:
    """Resolves subjects to stable entity ids; all state lives in ``store``."""

    def __init__(self, store: MutableMapping[str, Any], config: ResolverConfig | None = None,
                 *, clock: Callable[[], datetime] = _utc_now) -> None:
        self._state = State(store)
        self._config = config or ResolverConfig()
        self._clock = clock

    def current(self, entity_id: str) -> str:
        """The surviving id of an entity (merge redirects followed)."""
        return self._state.current(entity_id)

    # -- resolve -----------------------------------------------------------------------------
    def resolve(self, record_id: str, subject: Subject) -> Resolution:
        """The entity ``subject`` of ``record_id`` is; the stored answer when resolved before."""
        stored = self._state.record(record_id)
        if stored is not None:
            return Resolution(record_id, stored[RECORD_KIND], self.current(stored[RECORD_ENTITY]),
                              "replay", stored.get(RECORD_MATCHED_ON), stored.get(RECORD_SCORE))
        feats = features.of(subject)
        resolution = self._resolve(record_id, feats)
        self._state.put_record(record_id, {
            RECORD_ENTITY: resolution.entity_id, RECORD_KIND: feats.kind,
            RECORD_METHOD: resolution.method, RECORD_MATCHED_ON: resolution.matched_on,
            RECORD_SCORE: resolution.score})
        if resolution.review:
            log.debug("resolve.review", record_id=record_id, kind=feats.kind,
                      entity_id=resolution.entity_id,
                      candidates={c.candidate: round(c.score, 2) for c in resolution.review})
        return resolution

    def _resolve(self, record_id: str, feats: Features) -> Resolution:
        state, kind = self._state, feats.kind
        merges: list[Merge] = []
        target: str | None = None
        matched_on: str | None = None
        hits: dict[str, str] = {}
        for label, key in feats.strong:
            entity = state.strong(kind, key)
            if entity is not None:
                hits.setdefault(entity, label)
        if hits:
            by_age = sorted(hits, key=self._ordinal)
            target, matched_on = by_age[0], hits[by_age[0]]
            for other in by_age[1:]:
                target = self._tie(target, other, f"strong:{hits[other]}", record_id, merges)
        method = "strong" if target is not None else "new"
        score: float | None = None
        review: list[ReviewCandidate] = []
        link, band = self._config.thresholds(kind)
        scored: list[tuple[float, str]] = []
        if kind in SCORED:
            scored = self._score(feats, exclude=target)
            above = [(s, c) for s, c in scored if s >= link]
            if above and target is None and self._ambiguous(kind, above):
                vague = self._vague_match(feats, above)
                if vague is not None:
                    score, target = vague
                    method, matched_on = "probable", "score:vague"
                above = []
            if above and not self._ambiguous(kind, above):
                if target is None:
                    (score, target), above = above[0], above[1:]
                    method, matched_on = "probable", "score"
                for s, other in above:
                    other = self.current(other)
                    if other != target and self._agrees(kind, target, feats, other):
                        target = self._tie(target, other, "score", record_id, merges, s)
        if target is None:
            target = self._create(kind, record_id)
        self._absorb(target, kind, feats, record_id)
        seen = {target}
        for s, other in scored:
            other = self.current(other)
            if len(review) < self._config.review_limit and band <= s and other not in seen \
                    and not self._rejected(target, other):
                seen.add(other)
                review.append(ReviewCandidate(target, other, round(s, 3)))
        return Resolution(record_id, kind, target, method, matched_on,
                          round(score, 3) if score is not None else None, tuple(review), tuple(merges))

    def _score(self, feats: Features, exclude: str | None) -> list[tuple[float, str]]:
        """Candidates from the blocks, scored, best first (older first on equal scores); those
        that cannot be the record's entity (a different exclusive identifier) are left out."""
        state, kind, cfg = self._state, feats.kind, self._config
        candidates: dict[str, None] = {}
        for keys in (feats.query, feats.fallback):
            for key in keys:
                for entity in state.block(kind, key, cfg.block_cap):
                    candidates[state.current(entity)] = None
            if exclude is not None:
                candidates.pop(exclude, None)
            if candidates:
                break
        if not candidates:
            return []
        generic = frozenset(a for a in feats.fragment.get(ADDRESSES, ())
                            if len(state.holders(kind, a)) > cfg.generic_limit)
        score = scoring.person if kind == "person" else scoring.business
        out: list[tuple[float, int, str]] = []
        for entity in candidates:
            profile = state.profile(entity)
            if profile is None or self._conflict(feats.fragment, profile):
                continue
            out.append((score(feats.fragment, profile, generic), int(profile.get(PROFILE_ORDINAL, 0)),
                        entity))
        out.sort(key=lambda t: (-t[0], t[1]))
        return [(s, e) for s, _, e in out]

    def _same(self, kind: str, a: str, b: str) -> bool:
        """Whether two entities score as one against each other."""
        pa, pb = self._state.profile(a), self._state.profile(b)
        if pa is None or pb is None or self._conflict(pa, pb):
            return False
        score = scoring.person if kind == "person" else scoring.business
        return score(pa, pb) >= self._config.thresholds(kind)[0]

    def _agrees(self, kind: str, target: str, feats: Features, other: str) -> bool:
        """Whether ``other`` scores as one with ``target``, the record's values filling the
        fields ``target`` lacks: a record ties two entities only when nothing of either speaks
        against it."""
        pt, po = self._state.profile(target), self._state.profile(other)
        if pt is None or po is None or self._conflict(pt, po):
            return False
        score = scoring.person if kind == "person" else scoring.business
        evidence = {**{k: v for k, v in feats.fragment.items() if v}, **{k: v for k, v in pt.items() if v}}
        return score(evidence, po) >= self._config.thresholds(kind)[0]

    def _ambiguous(self, kind: str, above: list[tuple[float, str]]) -> bool:
        """Whether the record cannot tell which entity it is: two of the entities that score
        within the ambiguity margin of the best are not one entity by their own values."""
        best = above[0][0]
        rivals = [self.current(e) for s, e in above[:_RIVALS] if best - s < self._config.ambiguity_margin]
        return any(not self._same(kind, a, b) for i, a in enumerate(rivals) for b in rivals[i + 1:])

    def _vague_match(self, feats: Features, above: list[tuple[float, str]]
                     ) -> tuple[float, str] | None:
        """For a vague record (a name only: no birth date, identifier, KvK number or address)
        that fits several entities: the best-scoring equally vague entity, so that mentions of
        one ambiguous name gather in one place instead of in one entity each. The specific
        candidates stay review candidates."""
        if any(feats.fragment.get(f) for f in _SPECIFIC):
            return None
        return next(((s, self.current(e)) for s, e in above if self._vague(self.current(e))), None)

    def _vague(self, entity: str) -> bool:
        """An entity known by name only (no birth date, identifier, KvK number or address)."""
        profile = self._state.profile(entity) or {}
        return not any(profile.get(f) for f in _SPECIFIC)

    def _create(self, kind: str, record_id: str) -> str:
        entity = features.entity_id(kind, record_id)
        self._state.put_profile(entity, {PROFILE_KIND: kind,
                                         PROFILE_ORDINAL: self._state.next_ordinal()})
        return entity

    def _absorb(self, entity: str, kind: str, feats: Features, record_id: str) -> None:
        """Add the record's values, strong keys, blocking keys and address counts to ``entity``."""
        state, cfg = self._state, self._config
        for _, key in feats.strong:
            if state.strong(kind, key) is None:
                state.put_strong(kind, key, entity)
        if kind not in SCORED:
            return
        before = state.profile(entity) or {PROFILE_KIND: kind, PROFILE_ORDINAL: state.next_ordinal()}
        after = merged(before, feats.fragment, cfg.value_cap)
        if after != before:
            state.put_profile(entity, after)
            self._file(entity, kind, after, before)
        for address in feats.fragment.get(ADDRESSES, ()):
            state.count_holder(kind, address, entity, cfg.generic_limit)

    def _file(self, entity: str, kind: str, after: dict[str, Any], *before: dict[str, Any]) -> None:
        blocks = features.person_blocks if kind == "person" else features.business_blocks
        old = {key for profile in before for key in blocks(profile)}
        self._state.file(kind, [k for k in blocks(after) if k not in old], entity, self._config.block_cap)

    # -- merges ------------------------------------------------------------------------------
    def _ordinal(self, entity: str) -> tuple[int, str]:
        profile = self._state.profile(entity) or {}
        return int(profile.get(PROFILE_ORDINAL, 0)), entity

    def _conflict(self, a: dict[str, Any], b: dict[str, Any]) -> str | None:
        """The exclusive identifier scheme on which two profiles differ, if any."""
        if self._config.kvk_exclusive and a.get(KVK_NUMBERS) and b.get(KVK_NUMBERS) \
                and not set(a[KVK_NUMBERS]) & set(b[KVK_NUMBERS]):
            return "kvk"
        ids_a, ids_b = a.get(IDENTIFIERS) or {}, b.get(IDENTIFIERS) or {}
        for scheme in sorted(self._config.exclusive_schemes):
            va, vb = ids_a.get(scheme), ids_b.get(scheme)
            if va and vb and not set(va) & set(vb):
                return scheme
        return None

    def _rejected(self, a: str, b: str) -> bool:
        """Whether an analyst rejected ``a`` and ``b`` (or entities merged into them) as one."""
        for x, y in ((a, b), (b, a)):
            profile = self._state.profile(x) or {}
            if any(self.current(r) == y for r in profile.get(REJECTED, ())):
                return True
        return False

    def _tie(self, target: str, other: str, reason: str, record_id: str, merges: list[Merge],
             score: float | None = None) -> str:
        """A record ties ``target`` and ``other`` together: merge them unless forbidden; the
        entity the record belongs to afterwards."""
        if target == other:
            return target
        pa, pb = self._state.profile(target), self._state.profile(other)
        if pa is None or pb is None or pa.get(PROFILE_KIND) != pb.get(PROFILE_KIND) \
                or self._conflict(pa, pb) or self._rejected(target, other):
            return target
        merge = self._merge(target, other, reason, record_id)
        merges.append(merge)
        return merge.into

    def _merge(self, a: str, b: str, reason: str, record_id: str | None) -> Merge:
        """Merge the younger of two entities into the older; record the redirect."""
        older, younger = sorted((a, b), key=self._ordinal)
        po, py = self._state.profile(older) or {}, self._state.profile(younger) or {}
        survivor = merged(po, py, self._config.value_cap)
        self._state.put_profile(older, survivor)
        self._state.redirect(younger, older)
        kind = str(po.get(PROFILE_KIND))
        if kind in SCORED:
            self._file(older, kind, survivor, po, py)
        log.info("resolve.merge", merged=younger, into=older, reason=reason, record_id=record_id,
                 kind=kind)
        return Merge(younger, older, reason, record_id)

    # -- judgements --------------------------------------------------------------------------
    def judge(self, a: str, b: str, verdict: Literal["confirm", "reject"], analyst: str
              ) -> tuple[Merge, ...]:
        """An analyst's decision on two entities: ``reject`` keeps them apart for good,
        ``confirm`` merges them. The decision is logged with analyst and time. Raises
        ``UnknownEntity``, ``MergeRefused`` (confirming what may not be merged) or
        ``AlreadyMerged`` (rejecting what is one entity already); all are ``ValueError``s."""
        ca, cb = self.current(a), self.current(b)
        pa, pb = self._state.profile(ca), self._state.profile(cb)
        if pa is None:
            raise UnknownEntity(a)
        if pb is None:
            raise UnknownEntity(b)
        if verdict not in ("confirm", "reject"):
            raise ValueError(f"verdict must be 'confirm' or 'reject', not {verdict!r}")
        if verdict == "reject" and ca == cb:
            raise AlreadyMerged(a, b, ca)
        if verdict == "confirm" and ca != cb:
            if pa.get(PROFILE_KIND) != pb.get(PROFILE_KIND):
                raise MergeRefused(ca, cb, f"a {pa.get(PROFILE_KIND)} and a {pb.get(PROFILE_KIND)}")
            scheme = self._conflict(pa, pb)
            if scheme is not None:
                raise MergeRefused(ca, cb, f"different {scheme} values")
        if ca == cb:
            return ()  # confirmed already
        self._state.log_judgement(ca, cb, {"verdict": verdict, "analyst": analyst,
                                           "at": self._clock().isoformat(), "a": a, "b": b})
        log.info("resolve.judgement", a=ca, b=cb, verdict=verdict, analyst=analyst)
        if verdict == "confirm":
            return (self._merge(ca, cb, f"analyst:{analyst}", None),)
        for x, y, profile in ((ca, cb, pa), (cb, ca, pb)):
            self._state.put_profile(x, merged(profile, {REJECTED: [y]}, self._config.value_cap))
        return ()
