"""Drift throughput: ``replay_jobrun.drift.drift`` over N cassette pairs against naive DeepDiff.

N pairs (default 10,000) of cassette files are written to a temporary folder,
``old/`` and ``new/``, paired by relative path, cycling through the labelled
corpus of ``tests/drift/labelled.py`` (real and moto recordings with volatile,
state-dependent and schema changes), so every pair's expected findings are
known. Pairs the corpus marks as a known drift.py bug are left out. Files are
written with ``dump_cassette``: the same vcrpy YAML the library writes.

Two cases run in one process, each once over all pairs (``gc.collect()``
before each, the botocore model and deepdiff loaded beforehand), timed with
``time.perf_counter``:

- ours: ``drift(old_dir, new_dir)``, one call: every cassette loaded, each
  response parsed by botocore, fingerprinted, fingerprints compared with
  deepdiff, the new side checked against the installed model;
- naive: for each pair, both files loaded with PyYAML (the same libyaml
  loader), each response body JSON-decoded (gunzipped where
  ``Content-Encoding: gzip``), and ``DeepDiff(old_bodies, new_bodies)`` on the
  full parsed responses.

Prints wall times, ms per pair and naive / ours, how many pairs each flags
(naive DeepDiff flags nearly every pair: ids, timestamps, tokens differ), and
whether our findings equal the labels for every pair. A measurement, not a
gate: the exit status is 1 only if some findings differ from their labels.

    python benchmarks/drift_throughput.py [--pairs 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.drift.labelled lives in the source tree, not the package

from replay_jobrun.cassette import dump_cassette  # noqa: E402
from replay_jobrun.drift import DriftReport, drift  # noqa: E402
from tests.drift.labelled import (  # noqa: E402
    CATEGORIES,
    LabelledPair,
    corpus,
    report_findings,
    write_pair,
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
T = TypeVar("T")


@dataclass
class Layout:
    """The pairs on disk: relative path -> the corpus pair it copies."""

    old: Path
    new: Path
    pairs: dict[str, LabelledPair] = field(default_factory=dict)


def write_pairs(count: int, root: Path) -> Layout:
    """``count`` pairs under ``root/old`` and ``root/new``, cycling through the corpus."""
    source = [pair for pair in corpus() if pair.bug is None]
    texts = {pair.name: (dump_cassette(pair.old), dump_cassette(pair.new)) for pair in source}
    layout = Layout(root / "old", root / "new")
    for index in range(count):
        pair = source[index % len(source)]
        relpath = f"{pair.category}/{pair.name}-{index:05d}.yaml"
        for folder, text in zip((layout.old, layout.new), texts[pair.name], strict=True):
            target = folder / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        layout.pairs[relpath] = pair
    return layout


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def naive_bodies(path: Path) -> list[Any]:
    """Every response body of a cassette file, as parsed JSON (None when empty)."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    bodies = []
    for interaction in document["interactions"]:
        response = interaction["response"]
        raw = response["body"]["string"]
        data = raw.encode() if isinstance(raw, str) else raw
        encodings = {k.lower(): v for k, v in response["headers"].items()}
        if "gzip" in encodings.get("content-encoding", []):
            data = gzip.decompress(data)
        bodies.append(json.loads(data) if data.strip() else None)
    return bodies


def run_naive(layout: Layout) -> set[str]:
    """The pairs whose full responses differ, by DeepDiff."""
    from deepdiff import DeepDiff

    return {
        relpath
        for relpath in layout.pairs
        if DeepDiff(naive_bodies(layout.old / relpath), naive_bodies(layout.new / relpath))
    }


def run_ours(layout: Layout) -> DriftReport:
    return drift(layout.old, layout.new)


def warm_up(root: Path) -> None:
    """Load the botocore model, parser and deepdiff once, outside the timings."""
    pair = corpus()[0]
    write_pair(pair, root / "old", root / "new")
    drift(root / "old", root / "new")
    from deepdiff import DeepDiff

    DeepDiff({"a": 1}, {"a": 2})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="cassette pairs (10000)")
    parser.add_argument("--keep", type=Path, default=None, help="write the pairs here, keep them")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")

    scratch = Path(tempfile.mkdtemp(prefix="replay-jobrun-drift-bench-"))
    try:
        warm_up(scratch / "warm-up")
        root = args.keep or scratch / "pairs"
        write_seconds, layout = _timed(lambda: write_pairs(args.pairs, root))
        naive_seconds, naive_flagged = _timed(lambda: run_naive(layout))
        ours_seconds, report = _timed(lambda: run_ours(layout))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    found = report_findings(report)
    ours_flagged = {relpath for relpath, labels in found.items() if labels}
    matched = sum(found.get(relpath) == pair.expected for relpath, pair in layout.pairs.items())
    n = len(layout.pairs)
    distinct = len({pair.name for pair in layout.pairs.values()})
    print(
        f"{n} cassette pairs ({distinct} distinct labelled pairs, cycled), written in "
        f"{write_seconds:.1f} s; python {platform.python_version()}, botocore "
        f"{version('botocore')}, deepdiff {version('deepdiff')}"
    )
    print()
    print(f"{'case':<44}{'wall s':>9}{'ms/pair':>9}{'x ours':>8}")
    for name, seconds in (
        ("ours: drift(old_dir, new_dir)", ours_seconds),
        ("naive: yaml + DeepDiff(full responses)", naive_seconds),
    ):
        print(f"{name:<44}{seconds:>9.2f}{seconds / n * 1000:>9.3f}{seconds / ours_seconds:>8.2f}")
    print(f"naive / ours: {naive_seconds / ours_seconds:.2f}")
    print()
    expected = Counter(pair.category for pair in layout.pairs.values())
    drifted = Counter(pair.category for pair in layout.pairs.values() if pair.expected)
    ours = Counter(layout.pairs[r].category for r in ours_flagged)
    naive = Counter(layout.pairs[r].category for r in naive_flagged)
    print(f"{'pairs flagged':<14}{'pairs':>7}{'with drift':>12}{'ours':>7}{'naive':>7}")
    for category in CATEGORIES:
        print(
            f"{category:<14}{expected[category]:>7}{drifted[category]:>12}"
            f"{ours[category]:>7}{naive[category]:>7}"
        )
    print(
        f"{'total':<14}{n:>7}{sum(drifted.values()):>12}{len(ours_flagged):>7}"
        f"{len(naive_flagged):>7}"
    )
    print()
    print(f"findings match labels: {matched}/{n}")
    return 0 if matched == n else 1


if __name__ == "__main__":
    sys.exit(main())
