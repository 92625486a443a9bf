"""Smoke test: the scrub benchmark runs end to end on a tiny cassette and reports its figures.

Not a timed test: at 20 interactions the ratio means nothing, so only the
shape of the output and of the JSON that ``benchmarks/run.py`` reads is checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support import load_script


def test_the_benchmark_prints_the_table_and_writes_its_figures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    benchmark = load_script("scrub_throughput", "benchmarks/scrub_throughput.py", monkeypatch)
    figures_path = tmp_path / "figures.json"
    args = ["--interactions", "20", "--repeats", "1", "--profile", "3", "--json", str(figures_path)]
    assert benchmark.main(args) == 0  # no --check: a measurement, not a gate

    out = capsys.readouterr().out
    assert out.startswith("cassette: 20 interactions (DescribeJobRun ")
    for row in ("A  vcrpy save_cassette", "B  write_scrubbed, warm", "B  write_scrubbed, cold"):
        assert re.search(rf"^{re.escape(row)}.* \d+\.\d{{4}} +\d+\.\d +\d+\.\d\d$", out, re.M)
    assert re.search(r"^scrub \+ write / vcrpy unscrubbed write = \d+\.\d\dx", out, re.M)
    assert "cProfile, one warm write_scrubbed run" in out

    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert figures["interactions"] == 20
    assert figures["target_ratio"] == 1.5
    for key in ("vcrpy_s", "replay_jobrun_s", "ratio", "cold_s"):
        assert isinstance(figures[key], float)
        assert figures[key] > 0
    assert figures["ratio"] == pytest.approx(figures["replay_jobrun_s"] / figures["vcrpy_s"])
    assert figures["met"] is (figures["ratio"] <= 1.5)
    assert "Scrubber.scrub_all" in figures["steps_s"]
    assert figures["scrubbed_bytes"] > 0


def test_check_fails_only_when_the_target_is_missed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    benchmark = load_script("scrub_throughput", "benchmarks/scrub_throughput.py", monkeypatch)
    figures_path = tmp_path / "figures.json"
    status = benchmark.main(
        ["--interactions", "5", "--repeats", "1", "--check", "--json", str(figures_path)]
    )
    capsys.readouterr()
    assert status == (0 if json.loads(figures_path.read_text())["met"] else 1)
