"""Bad cassettes fail with the file, the interaction and the fix, through every entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay_jobrun import cli, load_cassette, replay
from replay_jobrun.errors import CassetteFormatError

GOOD_HEAD = """\
version: 1
interactions:
- request:
    method: GET
    uri: https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1
    headers: {}
    body: null
  response:
    status: {code: 200, message: OK}
    headers:
      Content-Type: [application/json]
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD_HEAD + f"    body:\n      string: '{body}'\n")
    return path


def test_a_body_botocore_cannot_parse_names_the_interaction(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"jobRun": {"createdAt": "not a timestamp"}}')
    with pytest.raises(CassetteFormatError) as raised, replay(path):
        pass
    message = str(raised.value)
    assert str(path) in message
    assert "interaction #0 (DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 200)" in message
    assert "re-record" in message


def test_a_request_of_another_service_is_rejected_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "s3.yaml"
    path.write_text(
        GOOD_HEAD.replace(
            "GET\n    uri: https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1",
            "PUT\n    uri: https://bucket.s3.amazonaws.com/key",
        )
        + "    body: {string: ''}\n"
    )
    with (
        pytest.raises(CassetteFormatError, match="is not an emr-containers operation"),
        replay(path),
    ):
        pass


def test_cli_show_exits_2_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("- just\n- a list\n")
    assert cli.main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "no top-level 'interactions' list" in err
    assert cli.main(["show", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


REAL = Path(__file__).resolve().parents[2] / "cassettes" / "real"


def test_an_operation_the_model_lacks_is_named_with_the_valid_ones_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = REAL / "describe-job-run_completed_sparkpilot-1.yaml"
    path = tmp_path / "renamed.yaml"
    path.write_text(source.read_text().replace("  - DescribeJobRun\n", "  - DescribeJobRunz\n"))
    before = path.read_bytes()

    with pytest.raises(CassetteFormatError) as raised, replay(path):
        pass
    message = str(raised.value)
    assert str(path) in message
    assert "interaction #0" in message
    assert "'DescribeJobRunz'" in message
    assert "did you mean 'DescribeJobRun'?" in message
    assert "valid operations: CancelJobRun, CreateJobTemplate," in message
    assert "replay_jobrun.operations" in message
    for command in (["show"], ["scan"], ["drift", "--model"], ["scrub"]):
        assert cli.main([*command, str(path)]) == 2, command
        err = capsys.readouterr().err
        assert "'DescribeJobRunz', which botocore" in err, command
        assert "Traceback" not in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["''", "' '"])
def test_an_empty_operation_name_is_refused_too(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The only interaction names an empty operation: still a clean error, never botocore's."""
    source = REAL / "describe-job-run_completed_sparkpilot-1.yaml"
    path = tmp_path / "renamed.yaml"
    path.write_text(source.read_text().replace("  - DescribeJobRun\n", f"  - {name}\n"))
    with pytest.raises(CassetteFormatError, match="interaction #0: the metadata block names"):
        load_cassette(path)
    assert cli.main(["show", str(path)]) == 2
    assert "which botocore" in capsys.readouterr().err
