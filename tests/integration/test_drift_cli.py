"""``replay-jobrun drift`` as CI runs it: files, folders, git refs, the model; formats; exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from replay_jobrun import cli
from tests.support import CASSETTES, edited_cassette, git

REAL = CASSETTES / "real"
COMPLETED = REAL / "describe-job-run_completed_sparkpilot-1.yaml"


def _drop_release_label(body: dict[str, Any]) -> None:
    del body["jobRun"]["releaseLabel"]


def _add_s3_logs(body: dict[str, Any]) -> None:
    monitoring = body["jobRun"]["configurationOverrides"]["monitoringConfiguration"]
    monitoring["s3MonitoringConfiguration"] = {"logUri": "s3://logs-bucket/emr/"}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["drift", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _no_ini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command reads the ini file of the current folder: run where there is none.
    monkeypatch.chdir(tmp_path)


def test_the_same_scenario_recorded_twice_is_no_drift(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, str(COMPLETED), str(REAL / "describe-job-run_completed_sparkpilot-2.yaml")
    )
    assert code == 0, out
    assert "no drift" in out


def test_a_removed_field_fails_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited_cassette(COMPLETED, tmp_path / "new.yaml", _drop_release_label)
    code, out, _ = _run(capsys, str(COMPLETED), str(new))
    assert code == 1
    assert "removed" in out
    assert "jobRun.releaseLabel" in out
    assert "breaking" in out


def test_fail_on_and_ignore_decide_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited_cassette(COMPLETED, tmp_path / "new.yaml", _add_s3_logs)
    path = "jobRun.configurationOverrides.monitoringConfiguration.s3MonitoringConfiguration"
    assert _run(capsys, str(COMPLETED), str(new))[0] == 1  # added: additive, the default
    assert _run(capsys, str(COMPLETED), str(new), "--fail-on", "breaking")[0] == 0
    code, out, _ = _run(capsys, str(COMPLETED), str(new), "--ignore", f"added {path}")
    assert code == 0, out
    assert _run(capsys, str(COMPLETED), str(new), "--ignore", f"removed {path}")[0] == 1


def test_the_ini_ignore_list_and_fail_on_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited_cassette(COMPLETED, tmp_path / "new.yaml", _drop_release_label)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njobrun_drift_ignore = ["jobRun.releaseLabel  # retired"]\n'
    )
    assert _run(capsys, str(COMPLETED), str(new))[0] == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njobrun_drift_fail_on = "never"\n'
    )
    assert _run(capsys, str(COMPLETED), str(new))[0] == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njobrun_drift_ignore = ["jobRun.releaseLabel extra words"]\n'
    )
    code, _, err = _run(capsys, str(COMPLETED), str(new))
    assert code == 2
    assert "jobrun_drift_ignore in " in err
    assert "expected 'PATH' or 'KIND PATH'" in err


def test_folders_pair_by_relative_path_and_formats_go_to_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(REAL, old)
    shutil.copytree(REAL, new)
    edited_cassette(COMPLETED, new / COMPLETED.name, _drop_release_label)
    (new / "list-job-runs_running_cli-v2.yaml").unlink()
    shutil.copy(COMPLETED, new / "brand-new.yaml")
    code, out, _ = _run(
        capsys,
        str(old),
        str(new),
        "--format",
        "json=report.json",
        "--format",
        "junit=junit.xml",
        "--format",
        "github",
    )
    assert code == 1
    assert out.startswith("::error ")
    assert "jobRun.releaseLabel" in out
    document = json.loads((tmp_path / "report.json").read_text())
    statuses = {c["name"]: c["status"] for c in document["cassettes"]}
    assert statuses[COMPLETED.name] == "compared"
    assert statuses["list-job-runs_running_cli-v2.yaml"] == "deleted"
    assert statuses["brand-new.yaml"] == "new"
    assert len(statuses) == 8
    [finding] = [f for c in document["cassettes"] for f in c["findings"]]
    assert (finding["kind"], finding["path"]) == ("removed", "jobRun.releaseLabel")
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"


def test_workers_change_nothing_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old").mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(COMPLETED, tmp_path / "old" / f"{name}.yaml")
        edited_cassette(COMPLETED, tmp_path / "new" / f"{name}.yaml", _add_s3_logs)
    outputs = []
    for workers in ("1", "2"):
        code, out, _ = _run(
            capsys,
            str(tmp_path / "old"),
            str(tmp_path / "new"),
            "--format",
            "json",
            "--workers",
            workers,
        )
        assert code == 1
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["summary"]["cassettes_with_drift"] == 3


def test_against_a_git_ref_compares_the_working_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REAL, repo / "cassettes" / "real")

    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "recordings")
    edited_cassette(COMPLETED, repo / "cassettes" / "real" / COMPLETED.name, _add_s3_logs)

    code, out, _ = _run(capsys, "--against", "HEAD", str(repo / "cassettes"), "--format", "json")
    assert code == 1, out
    document = json.loads(out)
    assert document["old"] == "HEAD"
    drifted = [c for c in document["cassettes"] if c["findings"]]
    assert [c["name"] for c in drifted] == [f"cassettes/real/{COMPLETED.name}"]
    assert [f["kind"] for f in drifted[0]["findings"]] == ["added"]
    assert all(c["status"] == "compared" for c in document["cassettes"])

    # Only one file, by its own path.
    code, out, _ = _run(
        capsys, "--against", "HEAD", str(repo / "cassettes" / "real" / COMPLETED.name)
    )
    assert code == 1
    assert "s3MonitoringConfiguration" in out

    git(repo, "commit", "-q", "-am", "re-recorded")
    assert _run(capsys, "--against", "HEAD", str(repo / "cassettes"))[0] == 0
    assert _run(capsys, "--against", "HEAD~1", str(repo / "cassettes"))[0] == 1

    code, _, err = _run(capsys, "--against", "no-such-branch", str(repo / "cassettes"))
    assert code == 2
    assert "'no-such-branch' is not a commit in" in err
    assert "fetch-depth: 0" in err


def test_outside_a_git_work_tree_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REAL, tmp_path / "cassettes")
    code, _, err = _run(capsys, "--against", "HEAD", str(tmp_path / "cassettes"))
    assert code == 2
    assert "not inside a git work tree" in err


def test_model_check_of_the_project_cassettes_is_clean_and_lists_gaps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "--model", str(CASSETTES), "--format", "json")
    assert code == 0, out
    document = json.loads(out)
    assert document["mode"] == "model"
    assert document["summary"]["cassettes"] == 9
    assert {"operation": "DescribeJobRun", "path": "jobRun.retryPolicyConfiguration"} in document[
        "never_observed"
    ]
    code, out, _ = _run(capsys, "--model", str(CASSETTES), "--fail-on", "info")
    assert code == 1  # never-observed fields are information, failing only at --fail-on info


def test_model_check_finds_fields_and_values_botocore_does_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def newer(body: dict[str, Any]) -> None:
        body["jobRun"]["state"] = "QUEUED"
        body["jobRun"]["queuePosition"] = 3

    edited_cassette(COMPLETED, tmp_path / "c" / "newer.yaml", newer)
    code, out, _ = _run(capsys, "--model", str(tmp_path / "c"), "--format", "json")
    assert code == 1
    findings = {
        (f["kind"], f["path"], f["new"]) for f in json.loads(out)["cassettes"][0]["findings"]
    }
    assert findings == {
        ("unknown-to-model", "jobRun.queuePosition", "integer"),
        ("new-enum-value", "jobRun.state", "QUEUED"),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["only-one.yaml"], "drift takes OLD NEW"),
        (["a", "b", "c"], "drift takes OLD NEW"),
        (["--against", "HEAD", "--model"], "not allowed with argument"),
        (["--fail-on", "sometimes", "a", "b"], "invalid choice"),
        (["--workers", "0", "a", "b"], "at least 1"),
        (["--workers", "two", "a", "b"], "at least 1"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["drift", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_input_exits_2_with_the_file_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [\n")
    code, _, err = _run(capsys, str(COMPLETED), str(broken))
    assert code == 2
    assert str(broken) in err
    code, _, err = _run(capsys, str(COMPLETED), str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "missing.yaml" in err
    code, _, err = _run(capsys, str(COMPLETED), str(COMPLETED), "--format", "yaml")
    assert code == 2
    assert "unknown format 'yaml'" in err
