"""The ``replay-jobrun`` command as users run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from replay_jobrun import cli, load_cassette
from replay_jobrun.scrub import scan_file
from tests.support import CASSETTES


def _command() -> list[str]:
    script = shutil.which("replay-jobrun", path=str(Path(sys.executable).parent))
    assert script is not None, "the console script is not installed"
    return [script]


def test_demo_records_scrubs_and_replays_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)  # no ~/.aws either
    result = subprocess.run(
        [*_command(), "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "recording a job lifecycle from a moto server at http://127.0.0.1:" in out
    assert "account id" in out
    assert "credential header" in out
    for line in (
        "RUNNING",
        "CANCELLED",
        "ResourceNotFoundException",
        "replay matches the recording",
    ):
        assert line in out
    cassette = tmp_path / "demo-job-lifecycle.yaml"
    assert scan_file(cassette) == []
    text = cassette.read_text()
    assert "AKIADEMOREPLAYJOBRUN" not in text
    assert "123456789012" not in text
    assert load_cassette(cassette).metadata["operations"] == [
        "CreateVirtualCluster",
        "StartJobRun",
        "DescribeJobRun",
        "CancelJobRun",
        "DescribeJobRun",
        "DescribeJobRun",
    ]


def test_show_prints_scrub_counts_and_the_state_timeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = CASSETTES / "moto" / "poll-until-cancelled.yaml"
    assert cli.main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"cassette   {path}" in out
    assert "account id" in out
    timeline = [line.split()[-1] for line in out.splitlines() if "DescribeJobRun" in line]
    assert timeline == ["RUNNING", "RUNNING", "CANCELLED"]
    assert "1 job run(s): CANCELLED" in out
