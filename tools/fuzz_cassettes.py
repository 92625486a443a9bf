"""The long fuzz run: N mutated project cassettes through the six entry points, tabulated.

What ``tests/property/test_fuzz_cassettes.py`` checks on a few examples, at scale:
case ``i`` of a run damages a cassette of ``cassettes/real`` or ``cassettes/moto``
(chosen by the case's seed) with mutation kind ``i mod len(KINDS)`` and runs
load, replay, show, scan, scrub and drift on it, in child processes capped in
address space (``--memory-mb`` above the child's size after start-up) and in
time per entry point (``--timeout``), each child replaced every ``--batch`` cases.

Prints: cases; per entry point how many were accepted (no error, exit 0), gave a
finding (exit 1), a library error (exit 2) or crashed (any other exception, exit
status or the limits); inputs changed; every crash class (entry point, exception,
where it was raised) with the smallest reproducer, saved under ``OUT/reproducers``;
per kind what was accepted; peak resident memory per case. Exit status 1 if any
case crashed or changed its input.

Run from the project root:
``python tools/fuzz_cassettes.py --cases 600 --seed 1 --out /tmp/fuzz-out [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.property.fuzz_* live in the source tree, not the package

from replay_jobrun.cli.demo import isolated_aws_environment  # noqa: E402
from tests.property.fuzz_mutations import KINDS, Mutant, case_rng, mutate  # noqa: E402
from tests.property.fuzz_runner import (  # noqa: E402
    ENTRY_POINTS,
    Case,
    CaseResult,
    EntryOutcome,
    FuzzWorker,
)

ORIGINALS = sorted(
    [*(ROOT / "cassettes").glob("real/*.yaml"), *(ROOT / "cassettes").glob("moto/*.yaml")]
)
STATUSES = ("accepted", "finding", "error", "crash")


@dataclass
class Done:
    """One case: what it was and what the entry points did."""

    index: int
    original: Path
    mutant: Mutant
    result: CaseResult


@dataclass
class Tally:
    done: list[Done] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def plan(seed: int, index: int, kinds: tuple[str, ...]) -> tuple[Path, Mutant]:
    """Case ``index`` of the run with ``seed``: the same file every time."""
    rng = case_rng(seed, index)
    original = rng.choice(ORIGINALS)
    return original, mutate(original.read_bytes(), kinds[index % len(kinds)], rng)


def _run_share(
    share: list[int], args: argparse.Namespace, kinds: tuple[str, ...], tally: Tally, job: int
) -> None:
    worker = FuzzWorker(
        memory_mb=args.memory_mb, timeout=args.timeout, log=args.out / f"child-{job}.log"
    )
    try:
        for count, index in enumerate(share):
            if count and count % args.batch == 0:
                worker.close()  # a fresh child: nothing one batch leaked weighs on the next
            original, mutant = plan(args.seed, index, kinds)
            root = args.out / "cases" / str(index)
            result = worker.run(Case(root, original, mutant.data, mutant.path_variant))
            with tally.lock:
                tally.done.append(Done(index, original, mutant, result))
                finished = len(tally.done)
            if not result.violations and not args.keep_cases:
                shutil.rmtree(root, ignore_errors=True)
            if args.progress and finished % args.progress == 0:
                print(f"  {finished}/{args.cases} cases", file=sys.stderr, flush=True)
    finally:
        worker.close()


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _save_reproducer(out: Path, number: int, done: Done, outcome: EntryOutcome) -> Path:
    folder = out / "reproducers"
    folder.mkdir(parents=True, exist_ok=True)
    path = (
        folder
        / f"{number:02d}-{outcome.entry}-{(outcome.exc_type or 'exit').rsplit('.', 1)[-1]}.yaml"
    )
    path.write_bytes(done.mutant.data)
    path.with_suffix(".txt").write_text(
        f"original: {done.original.relative_to(ROOT)}\n"
        f"mutation: {done.mutant.kind}: {done.mutant.detail}\n"
        + (
            f"path: {done.mutant.path_variant} (the bytes are the original's)\n"
            if done.mutant.path_variant
            else ""
        )
        + f"entry point: {outcome.entry}\n"
        f"exception: {outcome.exc_type} (exit {outcome.exit_code})\n"
        f"raised at: {outcome.where}\n"
        f"in replay_jobrun at: {outcome.where_project}\n"
        f"message: {outcome.message}\n"
        f"case: {done.index} (rebuild: tools/fuzz_cassettes.py plan(seed, {done.index}, kinds))\n",
        encoding="utf-8",
    )
    return path


def report(tally: Tally, args: argparse.Namespace, seconds: float) -> int:
    done = sorted(tally.done, key=lambda d: d.index)
    by_entry: dict[str, Counter[str]] = {entry: Counter() for entry in ENTRY_POINTS}
    changed: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    classes: dict[str, list[tuple[Done, EntryOutcome]]] = defaultdict(list)
    for case in done:
        for outcome in case.result.outcomes:
            by_entry[outcome.entry][outcome.status] += 1
            by_kind[case.mutant.kind][outcome.status] += 1
            if outcome.changed:
                changed[outcome.entry] += 1
                classes["input changed"].append((case, outcome))
            if outcome.status == "crash":
                classes[outcome.crash_class].append((case, outcome))
    print(
        f"fuzz_cassettes: {len(done)} cases (seed {args.seed}) x {len(ENTRY_POINTS)} entry points, "
        f"{len(KINDS)} kinds over {len(ORIGINALS)} project cassettes, {seconds:.0f} s, "
        f"{args.jobs} job(s), memory cap {args.memory_mb} MB over start-up, {args.timeout:.0f} s per entry point\n"
    )
    rows = [["entry point", *STATUSES, "inputs changed"]]
    for entry in ENTRY_POINTS:
        rows.append([entry, *(str(by_entry[entry][s]) for s in STATUSES), str(changed[entry])])
    rows.append(
        [
            "total",
            *(str(sum(c[s] for c in by_entry.values())) for s in STATUSES),
            str(sum(changed.values())),
        ]
    )
    print(_table(rows))
    print(
        "\naccepted: no error (exit 0); finding: exit 1 (drift, a leak); error: a library error (exit 2);"
    )
    print("crash: any other exception, an exit status past 2, the memory cap or the time limit.\n")
    rows = [["kind", *STATUSES]]
    for kind in KINDS:
        if by_kind[kind]:
            rows.append([kind, *(str(by_kind[kind][s]) for s in STATUSES)])
    print("outcomes by mutation kind (entry-point runs):")
    print(_table(rows))
    peaks = [case.result.peak_rss_kb for case in done]
    slowest = max(done, key=lambda d: d.result.seconds) if done else None
    if peaks and slowest:
        print(
            f"\npeak resident memory of a child: {max(peaks) / 1024:.0f} MB "
            f"(median over cases {sorted(peaks)[len(peaks) // 2] / 1024:.0f} MB); slowest case "
            f"{slowest.result.seconds:.1f} s (#{slowest.index}, {slowest.mutant.kind}: {slowest.mutant.detail[:60]})"
        )
    if classes:
        print(f"\n{len(classes)} crash class(es) (exception, where replay_jobrun raised it):")
        for number, (name, hits) in enumerate(
            sorted(classes.items(), key=lambda kv: -len(kv[1])), 1
        ):
            smallest = min(hits, key=lambda h: (len(h[0].mutant.data), h[0].index))
            case, outcome = smallest
            saved = _save_reproducer(args.out, number, case, outcome)
            kinds = Counter(h[0].mutant.kind for h in hits)
            entries = Counter(h[1].entry for h in hits)
            print(
                f"{number:3}. {name}  [{len(hits)} run(s); entry points: {', '.join(f'{e} {n}' for e, n in entries.most_common())}; kinds: {', '.join(f'{k} {n}' for k, n in kinds.most_common())}]"
            )
            print(f"     raised at {outcome.where}; {outcome.message[:160]}")
            print(
                f"     smallest: {outcome.entry} on {case.original.name}, {case.mutant.kind}: {case.mutant.detail[:100]} -> {saved.relative_to(args.out)}"
            )
    else:
        print("\nno crash class: every bad input got a library error, and no input changed")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "index": case.index,
                        "original": str(case.original.relative_to(ROOT)),
                        "kind": case.mutant.kind,
                        "detail": case.mutant.detail,
                        "peak_rss_kb": case.result.peak_rss_kb,
                        "outcomes": [asdict(o) for o in case.result.outcomes],
                    }
                    for case in done
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
    return 1 if classes else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for reproducers and logs")
    parser.add_argument("--jobs", type=int, default=1, help="child processes at once")
    parser.add_argument("--batch", type=int, default=50, help="cases per child before a fresh one")
    parser.add_argument("--memory-mb", type=int, default=512)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per entry point")
    parser.add_argument("--kinds", help="comma-separated subset of: " + ", ".join(KINDS))
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--keep-cases", action="store_true", help="keep every case's folder")
    parser.add_argument("--progress", type=int, default=50, help="report every N cases (0: never)")
    args = parser.parse_args(argv)
    kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    if args.out.exists():
        shutil.rmtree(args.out / "cases", ignore_errors=True)
        shutil.rmtree(args.out / "reproducers", ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    tally = Tally()
    started = time.perf_counter()
    shares = [list(range(job, args.cases, args.jobs)) for job in range(args.jobs)]
    with isolated_aws_environment():  # the children inherit fake credentials and no config
        threads = [
            threading.Thread(target=_run_share, args=(share, args, kinds, tally, job))
            for job, share in enumerate(shares)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if not args.keep_cases:
        shutil.rmtree(args.out / "cases", ignore_errors=True)
    return report(tally, args, time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
