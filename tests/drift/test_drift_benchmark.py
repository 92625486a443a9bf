"""Smoke tests: the drift benchmark and the corpus tool run end to end, on a few pairs."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.drift.labelled import corpus
from tests.support import ROOT


def _load(name: str, relpath: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A script as a module (registered while the test runs: dataclasses look it up)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_times_both_cases_and_checks_every_label(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    benchmark = _load("drift_throughput", "benchmarks/drift_throughput.py", monkeypatch)
    assert benchmark.main(["--pairs", "12"]) == 0

    out = capsys.readouterr().out
    assert "findings match labels: 12/12" in out
    assert re.search(r"^naive / ours: \d+\.\d\d$", out, re.MULTILINE)
    assert re.search(r"^total +12 +\d+ +\d+ +\d+$", out, re.MULTILINE)


def test_the_benchmark_writes_its_figures_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    benchmark = _load("drift_throughput", "benchmarks/drift_throughput.py", monkeypatch)
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
    tool = _load("drift_corpus", "tools/drift_corpus.py", monkeypatch)
    assert tool.main([]) == 0

    out = capsys.readouterr().out
    assert re.search(r"^total +\d+ +\d+ +\d+ +0 +0$", out, re.MULTILINE)
    assert ("Known drift.py bugs" in out) == any(pair.bug for pair in corpus())
