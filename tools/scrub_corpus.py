"""Run the scrub corpus of tests/property with many examples and print what survived.

Each example (a StartJobRun and one to three DescribeJobRun calls built from the
botocore shapes, secrets planted in every string) is answered by a server on
127.0.0.1, recorded, checked and replayed exactly as in
``tests/property/test_scrub_corpus.py``, without shrinking. Prints, by kind of
secret, how many were planted and how many survived in the written file, then
the other failed checks. Exit status 1 if anything survived or failed.

Run from the project root: ``python tools/scrub_corpus.py --examples 100 [--seed N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.property.corpus lives in the source tree, not the package

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from replay_jobrun.cli.demo import isolated_aws_environment  # noqa: E402
from tests.property.corpus import (  # noqa: E402
    ARN_ACCOUNT,
    KINDS,
    Example,
    Outcome,
    QueueServer,
    examples,
    run_example,
)


@dataclass
class Tally:
    """Counts over every example run."""

    examples: int = 0
    interactions: int = 0
    plants: Counter[str] = field(default_factory=Counter)
    secrets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    survived: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    arn_plants: Counter[str] = field(default_factory=Counter)
    arn_survived: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    survivors: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.examples += 1
        self.interactions += outcome.interactions
        example: Example = outcome.example
        for plant in example.plants:
            self.plants[plant.kind] += 1
            self.secrets[plant.kind].add(plant.value)
            if plant.kind == ARN_ACCOUNT:
                self.arn_plants[plant.detail] += 1
        for plant in outcome.survivors:
            self.survived[plant.kind].add(plant.value)
            if plant.kind == ARN_ACCOUNT:
                self.arn_survived[plant.detail] += 1
            self.survivors.append(
                f"{plant.kind} {plant.value[:40]!r} at {plant.where} {plant.detail} ({outcome.path})"
            )
        for name, items in (
            ("recording refused", [outcome.error] if outcome.error else []),
            ("pattern/length", outcome.violations),
            ("scan_file finding", outcome.findings),
            ("replay", outcome.replay),
        ):
            self.failures[name] += [f"{item} ({outcome.path})" for item in items]

    @property
    def failed(self) -> bool:
        return any(self.survived.values()) or any(self.failures.values())

    def report(self, seconds: float, shown: int) -> str:
        lines = [
            f"{self.examples} examples, {self.interactions} interactions recorded "
            f"({self.interactions - self.examples} DescribeJobRun + {self.examples} StartJobRun "
            f"responses), {seconds:.1f} s",
            "",
            f"{'kind':<24} {'planted':>8} {'distinct':>9} {'survivors':>10}",
        ]
        for kind in KINDS:
            lines.append(
                f"{kind:<24} {self.plants[kind]:>8} {len(self.secrets[kind]):>9} "
                f"{len(self.survived[kind]):>10}"
            )
        total_distinct = sum(len(v) for v in self.secrets.values())
        total_survived = sum(len(v) for v in self.survived.values())
        lines.append(
            f"{'total':<24} {sum(self.plants.values()):>8} {total_distinct:>9} {total_survived:>10}"
        )
        lines += ["", "account ids in ARNs by partition and encoding (plants, surviving plants):"]
        lines += [
            f"  {detail:<24} {count:>6} {self.arn_survived[detail]:>6}"
            for detail, count in sorted(self.arn_plants.items())
        ]
        if self.survivors:
            lines += [
                "",
                f"survivors (first {shown}):",
                *(f"  {s}" for s in self.survivors[:shown]),
            ]
        for name, items in self.failures.items():
            if items:
                lines += ["", f"{name}: {len(items)} (first {shown})"]
                lines += [f"  {item}" for item in items[:shown]]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="examples to run (100)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, to repeat a run")
    parser.add_argument("--show", type=int, default=10, help="failures listed per check (10)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the cassettes in this folder")
    args = parser.parse_args(argv)

    tally = Tally()
    started = time.perf_counter()
    with (
        isolated_aws_environment(),
        QueueServer() as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)

        # Generation only: counting needs every example as generated, not shrunk.
        @settings(
            max_examples=args.examples,
            phases=[Phase.generate],
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(examples())
        def run(example: Example) -> None:
            tally.add(run_example(example, server, folder / f"example-{tally.examples:04d}.yaml"))

        (seed(args.seed)(run) if args.seed is not None else run)()
    print(tally.report(time.perf_counter() - started, args.show))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
