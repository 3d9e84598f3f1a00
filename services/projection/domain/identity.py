"""Which agencies' cases are one child's: a union-find over case ids, fed by events.

Strong links join cases into one joint case with no prior agreement between the
agencies: the same NHS number, local-authority person id or police person id on
both, or an explicit ``case.linked`` / ``link.confirmed``. A weak match (name,
date of birth and postcode all equal) is only proposed, never merged, until a
person confirms it; ``link.rejected`` stops proposing it and ``case.unlinked``
splits two cases whatever joined them (they stay joined only if a third case
still joins both). Decisions about a pair are taken in the order recorded: the
latest wins.

A joint case is named by its earliest member (the first case seen), so adding a
later case never renames it. Pure: the caller feeds events in recording order.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from events.records import RecordedEvent

STRONG = ("nhs_number", "la_person_id", "police_person_id")
"""Identifiers that name one person for certain: a match joins two cases."""
JOINS = frozenset({"case.linked", "link.confirmed"})
SPLITS = frozenset({"case.unlinked"})
REJECTS = frozenset({"link.rejected"})
PROPOSES = frozenset({"link.proposed"})
LINKING_TYPES = JOINS | SPLITS | REJECTS | PROPOSES

Pair = tuple[str, str]
Identifier = tuple[str, str]
WeakKey = tuple[str, str, str]


def pair(one: str, other: str) -> Pair:
    return (one, other) if one <= other else (other, one)


def about_identity(event: RecordedEvent) -> bool:
    """Whether ``event`` can change who is linked to whom."""
    return bool(event.subjects) or event.type in LINKING_TYPES


LINKING_FIELDS = (*STRONG, "name", "date_of_birth", "postcode")
"""What of a subject the linker reads: all a saved linker keeps (minimisation)."""


def linking_subject(subject: Mapping[str, Any]) -> dict[str, str]:
    """The part of ``subject`` that can link or propose, as text."""
    return {key: str(subject[key]) for key in LINKING_FIELDS if subject.get(key) is not None}


def name_key(name: str) -> str:
    """One spelling of a name for matching: case and spacing do not count."""
    return " ".join(name.casefold().split())


def weak_key(subject: Mapping[str, Any]) -> WeakKey | None:
    name, born, postcode = (
        subject.get("name"),
        subject.get("date_of_birth"),
        subject.get("postcode"),
    )
    if not (name and born and postcode):
        return None
    return name_key(str(name)), str(born), str(postcode).replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class Regrouping:
    """Joint cases whose membership an event changed: every old one to drop (the
    event's own, and each merged into or split from another) and the new ones
    (joint id to member case ids) to fold again."""

    retired: frozenset[str]
    groups: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Proposal:
    """Two cases that may be one child's, for a person to confirm or reject.
    Says which cases and why, never the identifiers that matched."""

    cases: Pair
    basis: str
    proposed_by: str | None = None
    """The agency that proposed it; None when Safeguard derived it."""

    def to_json(self, joint_of: Mapping[str, str]) -> dict[str, Any]:
        return {
            "cases": [{"case_id": case, "joint_case_id": joint_of[case]} for case in self.cases],
            "basis": self.basis,
            "proposed_by": self.proposed_by,
        }


WEAK_BASIS = "name, date of birth and postcode match"


@dataclass(slots=True)
class Linker:
    """Who is linked to whom, as of the events observed so far."""

    _parent: dict[str, str] = field(default_factory=dict)
    _groups: dict[str, set[str]] = field(default_factory=dict)
    _seen: dict[str, int] = field(default_factory=dict)
    """case -> order first seen; the earliest member names the joint case."""
    _holders: dict[Identifier, list[str]] = field(default_factory=dict)
    _identifiers: dict[str, set[Identifier]] = field(default_factory=dict)
    _decided: dict[Pair, bool] = field(default_factory=dict)
    """Explicit decisions: True joined (linked, confirmed), False split (unlinked)."""
    _rejected: set[Pair] = field(default_factory=set)
    _proposed: dict[Pair, str] = field(default_factory=dict)
    """Explicit proposals: pair -> proposing agency."""
    _weak: dict[WeakKey, dict[str, set[str]]] = field(default_factory=dict)
    """weak key -> case -> the NHS numbers its subjects with that key carry."""
    _born: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(name, date of birth) -> cases, for a search without a postcode."""
    _touched: set[str] = field(default_factory=set)
    """Joint ids merged or split while observing the current event."""

    # --- reading -------------------------------------------------------------

    def joint_id(self, case_id: str) -> str:
        """The joint case ``case_id`` belongs to; itself if linked to nothing."""
        parent = self._parent.get(case_id, case_id)
        while parent != case_id:
            grand = self._parent.get(parent, parent)
            self._parent[case_id] = grand  # path halving
            case_id, parent = parent, grand
        return case_id

    def members(self, case_id: str) -> frozenset[str]:
        """Every case in the joint case of ``case_id`` (itself at least)."""
        return frozenset(self._groups.get(self.joint_id(case_id), {case_id}))

    def joint_ids(self) -> Iterator[str]:
        return iter(self._groups)

    def holders(self, kind: str, value: str) -> list[str]:
        """Cases whose subjects carry identifier ``kind`` = ``value``."""
        return list(self._holders.get((kind, value), ()))

    def born(self, name: str, date_of_birth: str) -> list[str]:
        """Cases with a subject of this name and date of birth."""
        return sorted(self._born.get((name_key(name), date_of_birth), ()))

    def proposals(self) -> list[Proposal]:
        """Probable matches not yet joined, rejected or split, each pair once."""
        found: dict[Pair, Proposal] = {}
        for cases in self._weak.values():
            for one, other in combinations(sorted(cases), 2):
                if not (cases[one] and cases[other] and not cases[one] & cases[other]):
                    found.setdefault(pair(one, other), Proposal(pair(one, other), WEAK_BASIS))
        for key, agency in self._proposed.items():
            found[key] = Proposal(key, "proposed by a professional", agency)
        return [found[key] for key in sorted(found) if self._open(key)]

    def _open(self, key: Pair) -> bool:
        one, other = key
        return (
            key not in self._rejected
            and key not in self._decided
            and self.joint_id(one) != self.joint_id(other)
        )

    def order(self, case_id: str) -> int | None:
        """When ``case_id`` was first seen (0 the first), None if never."""
        return self._seen.get(case_id)

    # --- observing -----------------------------------------------------------

    def restore(
        self,
        cases: Iterable[str],
        subjects: Iterable[tuple[str, Mapping[str, Any]]],
        decisions: Iterable[RecordedEvent],
    ) -> None:
        """Take in what a saved linker kept: its cases in the order first seen (the
        earliest names a joint case), each case's distinct subjects, and the linking
        events in recording order. Joint cases are the components of the links
        these state, whatever order the subjects come in."""
        for case_id in cases:
            self._see(case_id)
        for case_id, subject in subjects:
            self._see(case_id)
            self._identify(case_id, subject)
        for event in decisions:
            self.observe(event)

    def see(self, case_id: str) -> None:
        """A case's event that names no one (``observe`` of it, without the event)."""
        self._see(case_id)

    def identify(self, case_id: str, subject: Mapping[str, Any]) -> None:
        """One subject of ``case_id``, as an event would bring it (replay as of a moment)."""
        self._see(case_id)
        self._identify(case_id, subject)

    def observe(self, event: RecordedEvent) -> Regrouping | None:
        """Take ``event`` in; the joint cases it changed, or None (the usual case)."""
        if event.case_id not in self._seen:
            self._see(event.case_id)
        if not event.subjects and event.type not in LINKING_TYPES:
            return None
        before = {self.joint_id(case): self.members(case) for case in self._involved(event)}
        self._touched = set()
        if event.type in LINKING_TYPES:
            self._decide(event)
        for subject in event.subjects:
            self._identify(event.case_id, subject)
        after = {self.joint_id(case): self.members(case) for case in self._involved(event)}
        if before == after:
            return None
        return Regrouping(retired=frozenset({*before, *self._touched}), groups=after)

    def _involved(self, event: RecordedEvent) -> list[str]:
        cases = [event.case_id]
        if event.type in LINKING_TYPES:
            cases.append(str(event.data["other_case_id"]))
        return cases

    def _see(self, case_id: str) -> None:
        if case_id not in self._seen:
            self._seen[case_id] = len(self._seen)
            self._parent[case_id] = case_id
            self._groups[case_id] = {case_id}

    def _decide(self, event: RecordedEvent) -> None:
        other = str(event.data["other_case_id"])
        self._see(other)
        key = pair(event.case_id, other)
        if event.type in PROPOSES:
            self._proposed.setdefault(key, event.agency)
        elif event.type in REJECTS:
            self._rejected.add(key)
        elif event.type in JOINS:
            self._decided[key] = True
            self._rejected.discard(key)
            self._union(event.case_id, other)
        else:
            self._decided[key] = False
            self._split(self.joint_id(event.case_id))

    def _identify(self, case_id: str, subject: Mapping[str, Any]) -> None:
        for kind in STRONG:
            value = subject.get(kind)
            if value is None:
                continue
            identifier = (kind, str(value))
            known = self._identifiers.setdefault(case_id, set())
            if identifier in known:
                continue
            known.add(identifier)
            holders = self._holders.setdefault(identifier, [])
            for other in holders:
                if self._decided.get(pair(case_id, other), True):
                    self._union(case_id, other)
            holders.append(case_id)
        self._index_weak(case_id, subject)

    def _index_weak(self, case_id: str, subject: Mapping[str, Any]) -> None:
        key = weak_key(subject)
        if key is None:
            return
        numbers = self._weak.setdefault(key, {}).setdefault(case_id, set())
        if subject.get("nhs_number"):
            numbers.add(str(subject["nhs_number"]))
        self._born.setdefault((key[0], key[1]), set()).add(case_id)

    def _union(self, one: str, other: str) -> None:
        first, second = self.joint_id(one), self.joint_id(other)
        if first == second:
            return
        if self._seen[second] < self._seen[first]:
            first, second = second, first
        self._touched |= {first, second}
        self._parent[second] = first
        self._groups[first] |= self._groups.pop(second)

    def _split(self, joint_id: str) -> None:
        """Regroup one joint case from its remaining links, without the split pairs."""
        cases = self._groups.pop(joint_id)
        self._touched.add(joint_id)
        for case in cases:
            self._parent[case] = case
            self._groups[case] = {case}
        for one, other in self._edges(cases):
            self._union(one, other)

    def _edges(self, cases: set[str]) -> Iterable[Pair]:
        for key, joined in self._decided.items():
            if joined and key[0] in cases and key[1] in cases:
                yield key
        for case in cases:
            for identifier in self._identifiers.get(case, ()):
                for other in self._holders[identifier]:
                    if other in cases and other != case and pair(case, other) not in self._decided:
                        yield pair(case, other)
