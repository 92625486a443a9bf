"""Drift throughput: ``replay_jobrun.drift.drift`` over N cassette pairs against naive DeepDiff.

N pairs (default 10,000) of cassette files are written to a temporary folder,
``old/`` and ``new/``, paired by relative path, cycling through the labelled
corpus of ``tests/drift/labelled.py`` (real and moto recordings with volatile,
state-dependent and schema changes), so every pair's expected findings are
known. Pairs the corpus marks as a known drift.py bug are left out. Files are
written with ``dump_cassette``: the same vcrpy YAML the library writes.
Cycling means many files are byte-identical, as in a repository that records
one scenario into many folders; drift parses and compares each distinct
content once per run. ``--distinct`` ends every file with a comment naming
its pair, so no two files are alike: what a run costs when nothing is shared.

Cases, in one process (``gc.collect()`` before each, the botocore model and
deepdiff loaded beforehand, ``time.perf_counter``, median of ``--repeat``
runs):

- ours: ``drift(old_dir, new_dir)``: serial or a process pool, as the
  library chooses for the run (the ``workers`` figure);
- ours, serial: ``drift(..., workers=1)``;
- ours, pool: ``drift(..., workers=CPUs)``, for comparison (CPUs > 1 only);
- naive: for each pair, both files loaded with PyYAML (the same libyaml
  loader), each response body JSON-decoded (gunzipped where
  ``Content-Encoding: gzip``), and ``DeepDiff(old_bodies, new_bodies)`` on the
  full parsed responses.

Prints wall times, ms per pair and naive / case, how many pairs each flags
(naive DeepDiff flags nearly every pair: ids, timestamps, tokens differ),
whether our findings equal the labels for every pair, and whether the targets
(ours <= 2 s wall, naive / ours >= 10) are met. ``--json FILE`` writes the
figures for ``benchmarks/run.py``. A measurement, not a gate: the exit status
is 1 only if some findings differ from their labels, or between the serial and
the pooled run.

    python benchmarks/drift_throughput.py [--pairs 10000] [--repeat 1] [--distinct]
        [--json FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import platform
import shutil
import statistics
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

from replay_jobrun import model  # noqa: E402
from replay_jobrun.cassette.format import dump_cassette  # noqa: E402
from replay_jobrun.drift.compare import DriftReport  # noqa: E402
from replay_jobrun.drift.run import (  # noqa: E402
    content_key,
    cpus,
    drift,
    workers_for,
)
from tests.drift.labelled import (  # noqa: E402
    CATEGORIES,
    LabelledPair,
    corpus,
    report_findings,
    write_pair,
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
T = TypeVar("T")
TARGET_WALL_S = 2.0
TARGET_RATIO = 10.0


@dataclass
class Layout:
    """The pairs on disk: relative path -> the corpus pair it copies."""

    old: Path
    new: Path
    pairs: dict[str, LabelledPair] = field(default_factory=dict)

    def units(self) -> int:
        """Distinct (old content, new content) pairs: the work drift does once each."""
        return len(
            {
                (content_key((self.old / r).read_bytes()), content_key((self.new / r).read_bytes()))
                for r in self.pairs
            }
        )


def write_pairs(count: int, root: Path, *, distinct: bool = False) -> Layout:
    """``count`` pairs under ``root/old`` and ``root/new``, cycling through the corpus.

    ``distinct``: each file ends with a YAML comment naming its pair, so no two are alike.
    """
    source = [pair for pair in corpus() if pair.bug is None]
    texts = {pair.name: (dump_cassette(pair.old), dump_cassette(pair.new)) for pair in source}
    layout = Layout(root / "old", root / "new")
    for index in range(count):
        pair = source[index % len(source)]
        relpath = f"{pair.category}/{pair.name}-{index:05d}.yaml"
        for folder, text in zip((layout.old, layout.new), texts[pair.name], strict=True):
            target = folder / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + (f"# {relpath}\n" if distinct else ""), encoding="utf-8")
        layout.pairs[relpath] = pair
    return layout


def _timed(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall time of ``repeat`` runs, and the last run's result."""
    walls = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = action()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls), result


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


def warm_up(root: Path) -> None:
    """Load the botocore model, parser and deepdiff once, outside the timings."""
    pair = corpus()[0]
    write_pair(pair, root / "old", root / "new")
    drift(root / "old", root / "new", workers=1)
    from deepdiff import DeepDiff

    DeepDiff({"a": 1}, {"a": 2})
    model.service_model()


@dataclass
class Figures:
    """What one benchmark run measured."""

    layout: Layout
    units: int
    workers: int
    cases: dict[str, float]  # case -> median wall seconds
    naive_flagged: set[str]
    report: DriftReport
    same_reports: bool
    write_seconds: float


def measure(args: argparse.Namespace, root: Path) -> Figures:
    write_seconds, layout = _timed(lambda: write_pairs(args.pairs, root, distinct=args.distinct), 1)
    units = layout.units()
    pool = cpus()
    cases: dict[str, float] = {}
    reports: list[DriftReport] = []

    def ours(workers: int | None) -> DriftReport:
        return drift(layout.old, layout.new, workers=workers)

    for name, workers in (("ours", None), ("ours_serial", 1), ("ours_pool", pool)):
        if name == "ours_pool" and pool < 2:
            continue
        cases[name], found = _timed(lambda w=workers: ours(w), args.repeat)
        reports.append(found)
    cases["naive"], naive_flagged = _timed(lambda: run_naive(layout), args.repeat)
    return Figures(
        layout=layout,
        units=units,
        workers=workers_for(None, units),
        cases=cases,
        naive_flagged=naive_flagged,
        report=reports[0],
        same_reports=all(r == reports[0] for r in reports),
        write_seconds=write_seconds,
    )


def _load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: how busy the shared machine was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Unix
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="cassette pairs (10000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case; medians (1)")
    parser.add_argument(
        "--distinct", action="store_true", help="make every file unique (nothing shared)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--keep", type=Path, default=None, help="write the pairs here, keep them")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    load_before = _load()
    scratch = Path(tempfile.mkdtemp(prefix="replay-jobrun-drift-bench-"))
    try:
        warm_up(scratch / "warm-up")
        figures = measure(args, args.keep or scratch / "pairs")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = _load()
    layout = figures.layout

    found = report_findings(figures.report)
    ours_flagged = {relpath for relpath, labels in found.items() if labels}
    matched = sum(found.get(relpath) == pair.expected for relpath, pair in layout.pairs.items())
    n = len(layout.pairs)
    distinct = len({pair.name for pair in layout.pairs.values()})
    ours_s, naive_s = figures.cases["ours"], figures.cases["naive"]
    ratio = naive_s / ours_s
    labels_match = matched == n
    met = ours_s <= TARGET_WALL_S and ratio >= TARGET_RATIO and labels_match
    print(
        f"{n} cassette pairs ({distinct} distinct labelled pairs, cycled"
        f"{'; every file made unique' if args.distinct else ''}: {figures.units} distinct "
        f"pairs of contents), written in {figures.write_seconds:.1f} s; python "
        f"{platform.python_version()}, botocore {version('botocore')}, deepdiff "
        f"{version('deepdiff')}; {cpus()} CPUs, load average {load_before} before, "
        f"{load_after} after; median of {args.repeat} run(s)"
    )
    print()
    labels = {
        "ours": f"ours: drift(old_dir, new_dir), {figures.workers} worker(s)",
        "ours_serial": "ours: drift(..., workers=1)",
        "ours_pool": f"ours: drift(..., workers={cpus()})",
        "naive": "naive: yaml + DeepDiff(full responses)",
    }
    print(f"{'case':<44}{'wall s':>9}{'ms/pair':>9}{'naive/x':>9}")
    for case, seconds in figures.cases.items():
        print(
            f"{labels[case]:<44}{seconds:>9.2f}{seconds / n * 1000:>9.3f}{naive_s / seconds:>9.2f}"
        )
    print(f"naive / ours: {ratio:.2f}")
    print()
    expected = Counter(pair.category for pair in layout.pairs.values())
    drifted = Counter(pair.category for pair in layout.pairs.values() if pair.expected)
    ours = Counter(layout.pairs[r].category for r in ours_flagged)
    naive = Counter(layout.pairs[r].category for r in figures.naive_flagged)
    print(f"{'pairs flagged':<14}{'pairs':>7}{'with drift':>12}{'ours':>7}{'naive':>7}")
    for category in CATEGORIES:
        print(
            f"{category:<14}{expected[category]:>7}{drifted[category]:>12}"
            f"{ours[category]:>7}{naive[category]:>7}"
        )
    print(
        f"{'total':<14}{n:>7}{sum(drifted.values()):>12}{len(ours_flagged):>7}"
        f"{len(figures.naive_flagged):>7}"
    )
    print()
    print(f"findings match labels: {matched}/{n}")
    print(f"serial and pooled reports equal: {figures.same_reports}")
    print(
        f"targets (ours <= {TARGET_WALL_S:g} s wall, naive / ours >= {TARGET_RATIO:g}, "
        f"labels match): {'met' if met else 'NOT MET'}"
    )
    if args.json is not None:
        figures_json = {
            "pairs": n,
            "distinct": args.distinct,
            "units": figures.units,
            "workers": figures.workers,
            "cpus": cpus(),
            "repeat": args.repeat,
            "ours_s": ours_s,
            "ours_serial_s": figures.cases["ours_serial"],
            "ours_pool_s": figures.cases.get("ours_pool"),
            "naive_s": naive_s,
            "ours_ms_per_pair": ours_s / n * 1000,
            "naive_ms_per_pair": naive_s / n * 1000,
            "ratio": ratio,
            "target_wall_s": TARGET_WALL_S,
            "target_ratio": TARGET_RATIO,
            "labels_match": labels_match,
            "labels_matched": matched,
            "serial_equals_pooled": figures.same_reports,
            "met": met,
            "flagged": {
                "with_drift": sum(drifted.values()),
                "ours": len(ours_flagged),
                "naive": len(figures.naive_flagged),
            },
            "load_average": {"before": load_before, "after": load_after},
            "python": platform.python_version(),
            "botocore": version("botocore"),
            "deepdiff": version("deepdiff"),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures_json, indent=2, sort_keys=True) + "\n")
    return 0 if labels_match and figures.same_reports else 1


if __name__ == "__main__":
    sys.exit(main())
