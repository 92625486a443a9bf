"""Smoke run of ``benchmarks/run.py`` at tiny sizes, so the runner cannot rot.

Not a timed test: it checks that every case runs (each generated suite passes
under pytest, the scrub and drift scripts hand back their figures) and that
the table names every target with a ratio. Whether a target holds at these
sizes means nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ROWS = (
    "E / A (client per test)",
    "E / B (stretch)",
    "B-replay / B (session client)",
    "E / D (pytest-recording)",
    "E / C (moto mock_aws)",
    "E20 / A20 (20-poll lifecycle)",
    "E / A, new boto3.Session per test",
    "start-up, plugin installed but unused",
    "scrub + write / vcrpy unscrubbed write",
    "drift over 12 pairs (repeating files), wall (s)",
    "drift (repeating files): naive DeepDiff / ours",
    "drift over 12 pairs (distinct files), wall (s)",
    "drift (distinct files): naive DeepDiff / ours",
)


def test_the_runner_measures_every_case_and_writes_the_table(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            *("--tests", "1", "--repeats", "1", "--startup-repeats", "1"),
            *("--interactions", "5", "--pairs", "12", "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # 1 = a target missed (expected at these sizes); anything else is a crash.
    assert result.returncode in (0, 1), result.stderr[-4000:]
    table = output.read_text()
    assert table == result.stdout.strip() + "\n"
    for case in (
        "A",
        "B",
        "B-replay",
        "C",
        "D",
        "E",
        "E-own",
        "A20",
        "E20",
        "A-session",
        "E-session",
    ):
        assert re.search(rf"^\| {re.escape(case)} \| .+ \| [\d.]+ \| -?[\d.]+ \|$", table, re.M), (
            case
        )
    for row in ROWS:
        line = next((line for line in table.splitlines() if line.startswith(f"| {row} |")), None)
        assert line is not None, f"{row!r} missing from:\n{table}"
        figure, limit, _, verdict = (cell.strip() for cell in line.split("|")[2:6])
        float(figure)
        assert re.fullmatch(r"(<=|>=) [\d.]+", limit), line
        assert verdict in ("met", "NOT MET", "stretch, not met", "not met (extra case)"), line
    assert table.count("findings match labels: True") == 2
