"""The ``replay-jobrun`` command as users run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from replay_jobrun import cli, load_cassette, replay
from replay_jobrun.scrub.scan import scan_file
from tests.support import CASSETTES, MOTO_ACCOUNT


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


def test_demo_runs_again_in_the_same_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto keeps its state for the life of the process: a second demo must not collide
    # with the virtual cluster the first one created.
    for run in ("first", "second"):
        assert cli.main(["demo", "--out", str(tmp_path / run)]) == 0
        assert "replay matches the recording" in capsys.readouterr().out


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


def _plain_vcrpy_recording(path: Path, moto_url: str) -> None:
    """What a team commits today: stock vcrpy, no filters at all."""
    import boto3
    import vcr

    with vcr.use_cassette(str(path), record_mode="all"):
        client = boto3.client("emr-containers", region_name="us-east-1", endpoint_url=moto_url)
        cluster = client.create_virtual_cluster(
            name="c",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
        job = client.start_job_run(
            virtualClusterId=cluster["id"],
            name="j",
            executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
            tags={"owner": "jane.doe@example.com"},
        )
        client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])


def test_scan_flags_plain_vcrpy_and_scrub_fixes_it_idempotently(
    tmp_path: Path, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support import TEST_ACCESS_KEY, TEST_SESSION_TOKEN

    path = tmp_path / "cassettes" / "plain.yaml"
    _plain_vcrpy_recording(path, moto_url)
    assert "!!binary" in path.read_text()

    assert cli.main(["scan", str(tmp_path / "cassettes")]) == 1
    out = capsys.readouterr().out
    assert f"{path}: " in out
    assert "interaction #0, request.headers.Authorization: credential header" in out
    assert "account id in ARN\n" in out
    assert TEST_ACCESS_KEY not in out
    assert TEST_SESSION_TOKEN not in out

    assert cli.main(["scrub", str(path)]) == 0
    assert f"scrubbed  {path}" in capsys.readouterr().out
    text = path.read_text()
    for secret in (
        TEST_ACCESS_KEY,
        TEST_SESSION_TOKEN,
        MOTO_ACCOUNT,
        "jane.doe@example.com",
        "s3://bucket/etl.py",
    ):
        assert secret not in text
    assert cli.main(["scan", str(path)]) == 0
    assert cli.main(["scrub", str(path)]) == 0
    assert f"unchanged {path}" in capsys.readouterr().out
    assert path.read_text() == text

    with replay(path) as replaying:
        states = [r["jobRun"]["state"] for r in replaying.responses if "jobRun" in r]
    assert states == ["RUNNING"]


def test_scrub_keeps_the_versions_that_recorded_the_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stamped by another botocore and library (a contributor's machine, CI's lowest
    # versions): a re-scrub records nothing, so the file stays as it was.
    source = CASSETTES / "real" / "describe-job-run_cancelled_sparkpilot.yaml"
    text = source.read_text(encoding="utf-8")
    assert "\n  botocore: " in text
    assert "\n  library: " in text
    lines = [
        "  botocore: 1.0.0" if line.startswith("  botocore: ") else line
        for line in text.splitlines(keepends=False)
    ]
    lines = ["  library: 0.0.1" if line.startswith("  library: ") else line for line in lines]
    path = tmp_path / "other-versions.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    assert cli.main(["scrub", str(path)]) == 0
    assert f"unchanged {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == before


def test_scan_passes_every_project_cassette(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", str(CASSETTES)]) == 0
    assert f"clean: {len(list(CASSETTES.rglob('*.yaml')))} cassette(s)" in capsys.readouterr().out


def test_scrub_takes_regex_field_and_python_rules(
    tmp_path: Path,
    moto_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    path = tmp_path / "plain.yaml"
    _plain_vcrpy_recording(path, moto_url)
    (tmp_path / "team_rules.py").write_text(
        "from replay_jobrun import rules\nRULES = [rules.regex('emr-7[.]10[.]0', 'emr-7.x')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "team_rules", raising=False)  # another test's
    request.addfinalizer(lambda: sys.modules.pop("team_rules", None))
    args = [
        "--regex",
        "JobRole -> SparkRole",
        "--field",
        "name -> job",
        "--rules",
        "team_rules:RULES",
    ]
    assert cli.main(["scrub", str(path), *args]) == 0
    text = path.read_text()
    assert "role/SparkRole" in text
    assert "role/JobRole" not in text
    assert '"name": "job"' in text
    assert "emr-7.x-latest" in text
    capsys.readouterr()
    assert cli.main(["scrub", str(path), *args]) == 0  # idempotent with the same rules
    assert f"unchanged {path}" in capsys.readouterr().out

    assert cli.main(["scrub", str(path), "--regex", "(broken -> x"]) == 2
    assert "jobrun_scrub_regex: '(broken' is not a regular expression" in capsys.readouterr().err
