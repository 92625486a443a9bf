"""The drift detector against the labelled corpus: exactly the expected findings, pair by pair.

Every pair of ``tests/drift/labelled.py`` is written as two real cassette files
and compared with ``replay_jobrun.drift.drift``; the findings, as
``(kind, path, outcome)``, must equal the pair's label. Pairs that drift.py
gets wrong today carry the reason and are ``xfail(strict=True)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replay_jobrun.cassette.format import dump_cassette
from replay_jobrun.drift.compare import compare_cassettes
from replay_jobrun.drift.run import drift
from tests.drift.labelled import (
    CATEGORIES,
    DRIFT,
    KNOWN_BUGS,
    LabelledPair,
    corpus,
    mismatches,
    observed,
    report_findings,
    run_corpus,
    score,
    table,
    write_pair,
)

PAIRS = corpus()


def _param(pair: LabelledPair) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=pair.bug)] if pair.bug else []
    return pytest.param(pair, id=f"{pair.category}/{pair.name}", marks=marks)


@pytest.mark.parametrize("pair", [_param(pair) for pair in PAIRS])
def test_findings_equal_the_label(pair: LabelledPair, tmp_path: Path) -> None:
    write_pair(pair, tmp_path / "old", tmp_path / "new")
    report = drift(tmp_path / "old" / pair.relpath, tmp_path / "new" / pair.relpath)

    assert [c.status for c in report.cassettes] == ["compared"]
    (found,) = report_findings(report).values()
    assert sorted(map(str, found)) == sorted(map(str, pair.expected)), pair.description
    # In memory, without the YAML round trip, the answer is the same.
    assert observed(compare_cassettes(pair.old, pair.new).findings) == found


def test_the_whole_corpus_has_no_false_positive_or_negative(tmp_path: Path) -> None:
    report, results = run_corpus(PAIRS, tmp_path)
    tallies = score(results)
    print(table(tallies))

    assert {c.status for c in report.cassettes} == {"compared"}
    total = tallies["total"]
    assert (total.false_positives, total.false_negatives) == (0, 0), "\n".join(mismatches(tallies))
    assert total.expected == sum(tallies[c].expected for c in CATEGORIES) > 0
    # A known bug that no longer shows must lose its label's `bug` (as a strict xfail would).
    bugs = tallies[KNOWN_BUGS]
    assert len(bugs.wrong_pairs) == bugs.pairs, "fixed? drop `bug` from these pairs"


def test_the_corpus_is_what_it_claims() -> None:
    """Each category has several pairs; only drift pairs expect findings; no pair is a no-op."""
    counts = {c: sum(p.category == c for p in PAIRS) for c in CATEGORIES}
    assert min(counts.values()) >= 5, counts
    for pair in PAIRS:
        assert bool(pair.expected) == (pair.category == DRIFT) or pair.bug, pair.name
        assert dump_cassette(pair.old) != dump_cassette(pair.new), f"{pair.name} changes nothing"
