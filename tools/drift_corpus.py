"""Run the drift detector over the labelled corpus and print the count table.

Every pair of ``tests/drift/labelled.py`` (recording pairs with volatile,
state-dependent and schema changes, each labelled with the exact findings it
should give) is written as two cassette files under ``old/`` and ``new/`` and
compared with one ``replay_jobrun.drift.drift(old, new)`` call, as in
``tests/drift/test_labelled_corpus.py``. Prints, per category, the pairs, the
expected and reported findings, false positives and false negatives; pairs
that drift.py gets wrong today (a known bug, xfail in the tests) are counted
apart. Exit status 1 if any other pair differs from its label.

Run from the project root: ``python tools/drift_corpus.py [--verbose] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.drift.labelled lives in the source tree, not the package

from tests.drift.labelled import KNOWN_BUGS, corpus, mismatches, run_corpus, score, table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every pair and its label")
    parser.add_argument("--keep", type=Path, default=None, help="write the pairs here, keep them")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        _, results = run_corpus(corpus(), args.keep or Path(scratch))
    tallies = score(results)
    if args.verbose:
        for pair, found in results:
            flag = "ok " if found == pair.expected else ("bug" if pair.bug else "!! ")
            labels = ", ".join(map(str, sorted(pair.expected))) or "no findings"
            print(f"{flag} {pair.category}/{pair.name}: {labels}")
        print()
    print(table(tallies))
    wrong = list(mismatches(tallies))
    if wrong:
        print("\nPairs whose findings differ from the label (+ reported, - missed):")
        print("\n".join(f"  {line}" for line in wrong))
    bugs = tallies[KNOWN_BUGS]
    if bugs.pairs:
        reasons = sorted({pair.bug for pair, _ in results if pair.bug})
        print(f"\nKnown drift.py bugs ({bugs.pairs} pairs, xfail in the tests):")
        print("\n".join(f"  - {reason}" for reason in reasons))
    total = tallies["total"]
    return 1 if total.false_positives or total.false_negatives else 0


if __name__ == "__main__":
    sys.exit(main())
