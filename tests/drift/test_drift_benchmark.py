"""Smoke tests: the drift benchmark and the corpus tool run end to end, on a few pairs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.drift.labelled import corpus
from tests.support import load_script


def test_the_benchmark_times_both_cases_and_checks_every_label(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    benchmark = load_script("drift_throughput", "benchmarks/drift_throughput.py", monkeypatch)
    assert benchmark.main(["--pairs", "12"]) == 0

    out = capsys.readouterr().out
    assert "findings match labels: 12/12" in out
    assert re.search(r"^naive / ours: \d+\.\d\d$", out, re.MULTILINE)
    assert re.search(r"^total +12 +\d+ +\d+ +\d+$", out, re.MULTILINE)


def test_the_benchmark_writes_its_figures_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    benchmark = load_script("drift_throughput", "benchmarks/drift_throughput.py", monkeypatch)
    out = tmp_path / "figures" / "drift.json"
    args = ["--pairs", "9", "--repeat", "2", "--distinct", "--json", str(out)]
    assert benchmark.main(args) == 0

    figures = json.loads(out.read_text())
    assert figures["pairs"] == 9
    assert figures["distinct"] is True
    assert figures["units"] == 9  # every file unique: nothing shared
    assert figures["repeat"] == 2
    assert figures["labels_match"] is True
    assert figures["labels_matched"] == 9
    assert figures["serial_equals_pooled"] is True
    assert figures["target_wall_s"] == 2.0
    assert figures["target_ratio"] == 10.0
    assert figures["workers"] >= 1
    assert figures["cpus"] >= 1
    assert figures["flagged"]["ours"] == figures["flagged"]["with_drift"]
    for key in ("ours_s", "ours_serial_s", "naive_s", "ratio"):
        assert isinstance(figures[key], float)
        assert figures[key] > 0
    assert figures["ratio"] == pytest.approx(figures["naive_s"] / figures["ours_s"])
    assert figures["met"] == (
        figures["ours_s"] <= 2.0 and figures["ratio"] >= 10.0 and figures["labels_match"]
    )
    assert "findings match labels: 9/9" in capsys.readouterr().out


def test_the_corpus_tool_prints_the_table_and_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = load_script("drift_corpus", "tools/drift_corpus.py", monkeypatch)
    assert tool.main([]) == 0

    out = capsys.readouterr().out
    assert re.search(r"^total +\d+ +\d+ +\d+ +0 +0$", out, re.MULTILINE)
    assert ("Known drift.py bugs" in out) == any(pair.bug for pair in corpus())
