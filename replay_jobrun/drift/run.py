"""Drift over sets of cassettes: work once per distinct content, a process pool for the rest.

compare.py says what one pair's findings are; this module runs that over a
set of pairs and holds the public entry points, :func:`drift` and
:func:`drift_against_model`. A run (one ``drift()`` / ``compare_sets()`` call) goes:

1. every cassette file is read once and keyed by a hash of its bytes;
2. pairs of the same two contents (one scenario recorded into many folders,
   files unchanged since ``--against REF``, byte-identical old and new sides)
   are one unit of work: parsed, fingerprinted and compared once, and each
   distinct new side joins the union (never-observed) once;
3. the units run here, or, when there are many, on a ``ProcessPoolExecutor``
   in ordered chunks;
4. every pair gets its unit's findings, in name order.

Nothing is cached between runs: a file edited between two runs is read afresh.
A pooled run equals a serial one. What the workers run are top-level
functions and their input is pickled here first, so the pool works with the
``spawn`` start method too.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path

from .. import model
from ..cassette.format import Cassette
from .compare import (
    CassetteDrift,
    DriftFinding,
    DriftReport,
    IgnoreRule,
    kept_findings,
    never_observed,
    pair_drift,
    parse_ignore,
)
from .fingerprint import Fingerprint, fingerprint
from .sources import CassetteSet, CassetteSource, cassettes_at

PairTask = tuple[str, CassetteSource | None, CassetteSource | None]
"""(name, old side, new side): a side is None where that set lacks the name."""

RunResult = tuple[list[CassetteDrift], Fingerprint, int]
"""(one CassetteDrift per task, in task order; union of the new sides; findings ignored)."""

# Below this many units (distinct pairs of contents) one process runs them all. A
# unit costs ~1 ms (YAML, fingerprints, deepdiff where they differ); a pool of 2
# workers starts in ~0.01 s with fork, ~0.3 s with spawn or forkserver (each
# worker imports botocore and loads the model). On 2 idle CPUs
# (benchmarks/drift_throughput.py --distinct and smaller cuts of it) a fork pool
# beat one process from ~100 units, a spawn pool from ~600; the thresholds leave
# room for CPUs busy with other work, where a pool gains little.
POOL_THRESHOLD = {"fork": 200, "spawn": 1000, "forkserver": 1000}
# Chunks per worker: more even out uneven chunks, fewer cost fewer round trips.
CHUNKS_PER_WORKER = 4

_Key = bytes
# (old content or None for "no old side", new content)
_UnitKey = tuple[_Key | None, _Key]
_Outcome = tuple[str, tuple[DriftFinding, ...], int]  # (status, findings kept, ignored)


@dataclass(frozen=True)
class _Content:
    """One distinct cassette content and how to parse it."""

    data: bytes
    parse: Callable[[bytes], Cassette]


def content_key(data: bytes) -> bytes:
    """The key of a cassette's bytes: a digest, so a run keeps 20 bytes per file, not the file."""
    return hashlib.sha1(data, usedforsecurity=False).digest()


def workers_for(workers: int | None, units: int, mp_context: BaseContext | None = None) -> int:
    """How many processes run ``units`` units of work: 1 is this process, serially.

    None chooses: one per CPU this process may use once there are enough units
    for a pool to pay off (``POOL_THRESHOLD``, by start method), else 1. A
    number is taken as given (capped at one per unit).
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers is None:
        method = (mp_context or multiprocessing.get_context()).get_start_method()
        if units < POOL_THRESHOLD.get(method, max(POOL_THRESHOLD.values())):
            return 1
        workers = cpus()
    return max(1, min(workers, units))


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_pairs(
    tasks: Sequence[PairTask],
    *,
    alone: str,
    ignore: Sequence[IgnoreRule],
    workers: int | None = None,
    mp_context: BaseContext | None = None,
) -> RunResult:
    """Every task's findings, each distinct pair of contents computed once (see the module)."""
    ignore = tuple(ignore)
    contents: dict[_Key, _Content] = {}
    units: dict[_UnitKey, None] = {}  # first-seen order
    keyed: list[tuple[_Key | None, _Key] | None] = []  # per task; None: computed here
    for _, before, after in tasks:
        new_key = _read(after, contents) if after is not None else None
        old_key = _read(before, contents) if before is not None else None
        if new_key is None or (before is not None and old_key is None):
            keyed.append(None)  # deleted, or a source without bytes to key
            continue
        units[(old_key, new_key)] = None
        keyed.append((old_key, new_key))

    order = list(units)
    count = workers_for(workers, len(order), mp_context)
    if count > 1:
        outcomes, union = _run_pooled(
            order, contents, alone=alone, ignore=ignore, workers=count, mp_context=mp_context
        )
    else:
        outcomes, union = run_units(order, contents, alone=alone, ignore=ignore)
    found = dict(zip(order, outcomes, strict=True))

    results: list[CassetteDrift] = []
    ignored = 0
    for (name, before, after), key in zip(tasks, keyed, strict=True):
        if after is None:
            assert before is not None
            results.append(CassetteDrift(name, before.where, None, "deleted"))
            continue
        if key is not None:
            status, kept, dropped = found[key]
        else:  # no content key: this pair alone, here
            new_fp = fingerprint(after.load())
            union.update(new_fp)
            old_fp = fingerprint(before.load()) if before is not None else None
            status, kept, dropped = pair_drift(old_fp, new_fp, alone=alone, ignore=ignore)
        ignored += dropped
        where = before.where if before is not None else None
        results.append(CassetteDrift(name, where, after.where, status, kept))
    return results, union, ignored


def _read(source: CassetteSource, contents: dict[_Key, _Content]) -> _Key | None:
    if source.read is None or source.parse is None:
        return None
    data = source.read()
    key = content_key(data)
    if key not in contents:
        contents[key] = _Content(data, source.parse)
    return key


def run_units(
    units: Iterable[_UnitKey],
    contents: dict[_Key, _Content],
    *,
    alone: str,
    ignore: Sequence[IgnoreRule],
) -> tuple[list[_Outcome], Fingerprint]:
    """Each unit's outcome, in order, and the union of their new sides' fingerprints."""
    fingerprints: dict[_Key, Fingerprint] = {}

    def fingerprint_of(key: _Key) -> Fingerprint:
        found = fingerprints.get(key)
        if found is None:
            content = contents[key]
            found = fingerprints[key] = fingerprint(content.parse(content.data))
        return found

    outcomes: list[_Outcome] = []
    union = Fingerprint()
    merged: set[_Key] = set()
    for old_key, new_key in units:
        new_fp = fingerprint_of(new_key)
        old_fp = fingerprint_of(old_key) if old_key is not None else None
        outcomes.append(pair_drift(old_fp, new_fp, alone=alone, ignore=ignore))
        if new_key not in merged:
            merged.add(new_key)
            union.update(new_fp)
    return outcomes, union


def _run_pooled(
    units: list[_UnitKey],
    contents: dict[_Key, _Content],
    *,
    alone: str,
    ignore: tuple[IgnoreRule, ...],
    workers: int,
    mp_context: BaseContext | None,
) -> tuple[list[_Outcome], Fingerprint]:
    size = -(-len(units) // (workers * CHUNKS_PER_WORKER))
    payloads = []
    for start in range(0, len(units), size):
        chunk = units[start : start + size]
        needed = {key for unit in chunk for key in unit if key is not None}
        own = {key: contents[key] for key in needed}
        # Pickled here, not by the pool: a parser that cannot be pickled (a source
        # built on a lambda) shows up now, and the run goes serial.
        try:
            payloads.append(pickle.dumps((alone, ignore, chunk, own), pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError):
            return run_units(units, contents, alone=alone, ignore=ignore)
    model.service_model()  # the parent needs it anyway; forked workers inherit it loaded
    outcomes: list[_Outcome] = []
    union = Fingerprint()
    with ProcessPoolExecutor(workers, mp_context=mp_context) as pool:
        for part, part_union in pool.map(_run_chunk, payloads):
            outcomes.extend(part)
            union.update(part_union)
    return outcomes, union


def _run_chunk(payload: bytes) -> tuple[list[_Outcome], Fingerprint]:
    """In a worker process: one chunk of units."""
    alone, ignore, units, contents = pickle.loads(payload)
    return run_units(units, contents, alone=alone, ignore=ignore)


# --- sets of cassettes, and the public entry points ---------------------------------


def compare_sets(
    old: CassetteSet,
    new: CassetteSet,
    *,
    old_label: str,
    new_label: str,
    ignore: Sequence[IgnoreRule] = (),
    workers: int | None = None,
) -> DriftReport:
    """Drift between two sets of recordings paired by name, and of the new set against the model.

    ``workers``: processes to compare with; None chooses (see :func:`drift`),
    1 runs in this process. The report is the same.
    """
    return _set_report(
        "recordings", old, new, labels=(old_label, new_label), ignore=ignore, workers=workers
    )


def check_sets(
    cassettes: CassetteSet,
    *,
    label: str,
    ignore: Sequence[IgnoreRule] = (),
    workers: int | None = None,
) -> DriftReport:
    """Every cassette of a set against the installed botocore model (``workers``: as above)."""
    return _set_report("model", {}, cassettes, labels=(None, label), ignore=ignore, workers=workers)


def _set_report(
    mode: str,
    old: CassetteSet,
    new: CassetteSet,
    *,
    labels: tuple[str | None, str],
    ignore: Sequence[IgnoreRule],
    workers: int | None,
) -> DriftReport:
    # A cassette without an old side is checked against the model alone.
    alone = "model" if mode == "model" else "new"
    tasks = [(name, old.get(name), new.get(name)) for name in sorted(old.keys() | new.keys())]
    cassettes, union, ignored = run_pairs(tasks, alone=alone, ignore=ignore, workers=workers)
    info, dropped = kept_findings(never_observed(union), ignore)
    return DriftReport(mode, *labels, tuple(cassettes), info, ignored + dropped)


def drift(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    ignore: Iterable[str | IgnoreRule] = (),
    workers: int | None = None,
) -> DriftReport:
    """Schema drift from the cassettes at ``old`` to those at ``new`` (two files or two folders).

    ``ignore`` takes rules or ignore-list lines (``PATH`` or ``KIND PATH``).
    ``workers``: processes to compare with. None lets drift choose: a pool of
    one process per CPU when there are hundreds of distinct pairs to compare
    (identical files count once), else this process; 1 runs in this process.
    The report is the same whatever runs it.
    """
    old_set, new_set = cassettes_at(old), cassettes_at(new)
    if Path(old).is_file() and Path(new).is_file():  # two files pair whatever their names
        old_set = {name: next(iter(old_set.values())) for name in new_set}
    return compare_sets(
        old_set,
        new_set,
        old_label=str(old),
        new_label=str(new),
        ignore=_rules(ignore),
        workers=workers,
    )


def drift_against_model(
    path: str | os.PathLike[str],
    *,
    ignore: Iterable[str | IgnoreRule] = (),
    workers: int | None = None,
) -> DriftReport:
    """Schema drift of the cassettes at ``path`` against the installed botocore model."""
    return check_sets(cassettes_at(path), label=str(path), ignore=_rules(ignore), workers=workers)


def _rules(ignore: Iterable[str | IgnoreRule]) -> list[IgnoreRule]:
    items = list(ignore)
    rules = [r for r in items if isinstance(r, IgnoreRule)]
    return rules + parse_ignore(r for r in items if isinstance(r, str))
