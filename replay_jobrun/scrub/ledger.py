"""What a scrub changed, counted by kind: the report, and the journal that lets a step be reused.

A poller's cassette repeats its bodies and headers many times, so the text
and model passes remember their results by input (:meth:`Ledger.memoized`).
A reused result must count in the report as if the step had run again: each
step's notes are journaled, and a hit adds that journal to the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

# What a memoized step did to the report, to do again on a hit: (kind, original) for a
# note, (None, pseudonym) for a pseudonym the file holds.
Journal = list[tuple[str | None, str]]
_K = TypeVar("_K")
_T = TypeVar("_T")
# A memoized result: the state version it holds at, the result, the journal, its report.
Memo = dict[_K, tuple[int, _T, Journal, "ScrubReport | None"]]


@dataclass
class ScrubReport:
    """What a scrubber changed: counts by kind, never the values."""

    replaced: Counter[str] = field(default_factory=Counter)
    distinct: dict[str, set[str]] = field(default_factory=dict)
    pseudonyms: set[str] = field(default_factory=set)
    """Pseudonyms written (new, or kept from an earlier scrub): what the file may hold."""

    def note(self, kind: str, original: str, count: int = 1) -> None:
        self.replaced[kind] += count
        self.distinct.setdefault(kind, set()).add(original)

    @classmethod
    def of(cls, journal: Journal) -> ScrubReport:
        """The report of a journal's entries: what they add to a report."""
        report = cls()
        for kind, value in journal:
            if kind is None:
                report.pseudonyms.add(value)
            else:
                report.note(kind, value)
        return report

    def add(self, other: ScrubReport) -> None:
        """Add another report's counts, originals and pseudonyms to this one."""
        for kind, count in other.replaced.items():
            self.replaced[kind] += count
            self.distinct.setdefault(kind, set()).update(other.distinct.get(kind, ()))
        self.pseudonyms |= other.pseudonyms

    def summary(self) -> dict[str, dict[str, int]]:
        """``{kind: {"distinct": n, "replaced": m}}``, safe to print and to store."""
        return {
            kind: {"distinct": len(self.distinct.get(kind, ())), "replaced": count}
            for kind, count in sorted(self.replaced.items())
        }


class Versioned(Protocol):
    """State the rules read; ``version`` changes whenever it does."""

    version: int


class Ledger:
    """The report being written, and the journal of the step running now (if memoized)."""

    def __init__(self, state: Versioned) -> None:
        self.report = ScrubReport()
        self._state = state
        self._journal: Journal | None = None

    def note(self, kind: str, original: str) -> None:
        """Count one replacement of ``original`` by a rule of ``kind``."""
        self.report.note(kind, original)
        if self._journal is not None:
            self._journal.append((kind, original))

    def holds(self, pseudonym: str) -> None:
        """The file holds this pseudonym (for the metadata)."""
        self.report.pseudonyms.add(pseudonym)
        if self._journal is not None:
            self._journal.append((None, pseudonym))

    def memoized(self, memo: Memo[_K, _T], key: _K, step: Callable[[], _T]) -> _T:
        """``step()``, a function of ``key`` and of the rules' state, run once per key and
        state version.

        A hit does to the report what the step did, so counts stay exact. A step that
        learnt something (a new secret or pseudonym) is not kept: run again, it could
        take another path (sweep a secret it had found by its pattern)."""
        state = self._state
        hit = memo.get(key)
        if hit is not None and hit[0] == state.version:
            _, found, entries, summary = hit
            if entries:
                if self._journal is not None:
                    self._journal += entries
                if summary is None:  # made on the first hit: most results never get one
                    summary = ScrubReport.of(entries)
                    memo[key] = (state.version, found, entries, summary)
                self.report.add(summary)
            return found
        version, outer = state.version, self._journal
        journal: Journal = []
        self._journal = journal
        try:
            result = step()
        finally:
            self._journal = outer
        if outer is not None:
            outer += journal
        if state.version == version:
            memo[key] = (version, result, journal, None)
        return result
