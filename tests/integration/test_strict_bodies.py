"""Recorded responses that do not fit the installed botocore model fail (or warn), naming the field.

Each cassette here is a real one (``cassettes/real``, ``cassettes/moto``) with its
body edited as a hand edit or a bad merge would: a missing comma, ``body: {}``,
the one member DescribeJobRun always returns gone, a state the model does not
have. Before, each replayed without a word (the code under test saw ``KeyError:
'jobRun'``, or ``"DONE"``), ``show`` said ok and ``drift --model`` found nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore
import pytest

from replay_jobrun import cli, load_cassette, replay
from replay_jobrun.drift.fingerprint import always_returned, model_violations
from replay_jobrun.errors import (
    CassetteFormatError,
    ModelViolationError,
    ModelViolationWarning,
    UnknownFieldsError,
)
from tests.support import CASSETTES, edited_cassette

REAL = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
LIST = CASSETTES / "real" / "list-job-runs_completed_cli-v2.yaml"
LIFECYCLE = CASSETTES / "moto" / "job-lifecycle.yaml"
LABEL = "#0 DescribeJobRun GET /virtualclusters/k3v9q0x7r2m8w1t5z6b4n0c2d/jobruns/0000000378nj1d2s7lo -> 200:"
STATES = "PENDING, SUBMITTED, RUNNING, FAILED, CANCELLED, CANCEL_PENDING, COMPLETED"


def _describe(session: Any) -> dict[str, Any]:
    return session.client.describe_job_run(  # type: ignore[no-any-return]
        virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
    )


def _text_edit(tmp_path: Path, name: str, old: str, new: str, source: Path = REAL) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _body(tmp_path: Path, name: str, body_yaml: str) -> Path:
    """The real cassette with its response body replaced (YAML under ``response:``)."""
    text = REAL.read_text(encoding="utf-8")
    head, _, _ = text.partition("    body:\n      string: |\n")
    path = tmp_path / f"{name}.yaml"
    path.write_text(head + body_yaml, encoding="utf-8")
    return path


@pytest.fixture
def missing_comma(tmp_path: Path) -> Path:
    return _text_edit(
        tmp_path, "comma", '"persistentAppUI": "ENABLED"\n', '"persistentAppUI": "ENABLED" "x": 1\n'
    )


@pytest.fixture
def done(tmp_path: Path) -> Path:
    return _text_edit(tmp_path, "done", '"state": "COMPLETED"', '"state": "DONE"')


def _failure(path: Path) -> str:
    with pytest.raises(ModelViolationError) as raised, replay(path):
        pass
    message = str(raised.value)
    assert message.startswith(f"{path}: the recorded responses do not fit botocore ")
    assert "recorded with botocore 1.44.8" in message
    assert 'unknown_fields="drop"' in message
    assert "restore it from version control or re-record it" in message
    assert isinstance(raised.value, UnknownFieldsError)  # one except for both
    return message


def test_a_body_that_is_not_json_fails_naming_where(missing_comma: Path) -> None:
    message = _failure(missing_comma)
    assert re.search(
        LABEL
        + r"\n    the body is not JSON \(Expecting ',' delimiter: line \d+ column \d+ \(char \d+\)\), "
        r"where DescribeJobRun's response is a JSON object",
        message,
    ), message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("    body: {}\n", id="yaml-body-mapping-without-string"),
        pytest.param("    body:\n      string: '{}'\n", id="empty-json-object"),
        pytest.param("    body:\n      string: '{\"jobRun\": null}'\n", id="null-job-run"),
    ],
)
def test_a_response_without_the_member_the_operation_always_returns_fails(
    tmp_path: Path, body: str
) -> None:
    message = _failure(_body(tmp_path, "empty", body))
    assert (
        f"{LABEL}\n    jobRun: missing; DescribeJobRun always returns it "
        "(it is the response's one member)"
    ) in message


@pytest.mark.parametrize(
    ("body", "kind"), [("[1]", "a JSON list"), ("42", "a JSON number"), ('"x"', "a JSON string")]
)
def test_a_body_of_the_wrong_json_type_is_a_format_error(
    tmp_path: Path, body: str, kind: str
) -> None:
    path = _body(tmp_path, "wrong", f"    body:\n      string: '{body}'\n")
    with pytest.raises(CassetteFormatError) as raised, replay(path):
        pass
    message = str(raised.value)
    assert str(path) in message
    assert f"the body is {kind}, where a JSON object is needed" in message
    assert "AttributeError" not in message


def test_an_enum_value_the_model_lacks_fails_with_the_valid_ones(done: Path) -> None:
    message = _failure(done)
    assert (
        f"{LABEL}\n    jobRun.state: 'DONE' is not a value botocore {botocore.__version__} "
        f"knows (valid: {STATES})"
    ) in message


def test_drop_replays_what_botocore_parses_with_a_warning(done: Path, missing_comma: Path) -> None:
    with (
        pytest.warns(ModelViolationWarning, match=r"jobRun\.state: 'DONE'") as warned,
        replay(done, unknown_fields="drop") as session,
    ):
        assert _describe(session)["jobRun"]["state"] == "DONE"
    assert warned[0].filename == __file__
    with (
        pytest.warns(ModelViolationWarning, match="the body is not JSON"),
        replay(missing_comma, unknown_fields="drop") as session,
    ):
        assert "jobRun" not in _describe(session)  # as the live client parses those bytes


def test_every_problem_of_a_cassette_is_listed_at_once(tmp_path: Path) -> None:
    def edit(body: dict[str, Any]) -> None:
        body["jobRun"]["state"] = "DONE"
        body["jobRun"]["configurationOverrides"]["monitoringConfiguration"]["persistentAppUI"] = (
            "PARTIAL"
        )
        body["jobRun"]["queuePosition"] = 3

    message = _failure(edited_cassette(REAL, tmp_path / "three.yaml", edit))
    lines = message.splitlines()
    at = lines.index(LABEL.join(["  ", ""]))
    assert [line.split(":")[0].strip() for line in lines[at + 1 : at + 4]] == [
        "jobRun.configurationOverrides.monitoringConfiguration.persistentAppUI",
        "jobRun.state",
        "jobRun.queuePosition",
    ]
    assert lines[at + 3].endswith(f"a field botocore {botocore.__version__} does not know")


def test_list_items_are_checked_too(tmp_path: Path) -> None:
    def edit(body: dict[str, Any]) -> None:
        body["jobRuns"][0]["state"] = "DONE"

    violations = model_violations(load_cassette(edited_cassette(LIST, tmp_path / "l.yaml", edit)))
    assert [(v.index, v.path) for v in violations] == [(0, "jobRuns[*].state")]


def test_a_structure_the_model_marks_required_is_checked_where_it_appears(tmp_path: Path) -> None:
    # ListJobTemplates' JobTemplate lists jobTemplateData as required.
    path = tmp_path / "templates.yaml"
    path.write_text(
        "version: 1\ninteractions:\n- request:\n    method: GET\n"
        "    uri: https://emr-containers.us-east-1.amazonaws.com/jobtemplates\n"
        "    headers: {}\n    body: null\n  response:\n    status: {code: 200, message: OK}\n"
        "    headers: {Content-Type: [application/json]}\n"
        "    body: {string: '" + json.dumps({"templates": [{"name": "etl"}]}) + "'}\n",
        encoding="utf-8",
    )
    (violation,) = model_violations(load_cassette(path))
    assert str(violation) == (
        "templates[*].jobTemplateData: missing; ListJobTemplates always returns it "
        "(the model marks it required)"
    )


def test_what_each_operation_always_returns_comes_from_the_model() -> None:
    assert always_returned("DescribeJobRun") == ("jobRun",)
    assert always_returned("DescribeVirtualCluster") == ("virtualCluster",)
    assert always_returned("DescribeManagedEndpoint") == ("endpoint",)  # not named after it
    # A list may be left out when empty; several scalars are not one resource.
    assert always_returned("ListJobRuns") == ()
    assert always_returned("StartJobRun") == ()
    assert always_returned("TagResource") == ()


def test_error_responses_are_not_held_to_the_output_shape(tmp_path: Path) -> None:
    # The 400 at the end of the lifecycle, its body an object without any member
    # and then no JSON at all: botocore's error parser reads both; replay serves the error.
    def edit(body: dict[str, Any]) -> None:
        body.clear()
        body["__type"] = "ResourceNotFoundException"

    cassettes = [edited_cassette(LIFECYCLE, tmp_path / "bare.yaml", edit, index=5)]
    text = LIFECYCLE.read_text(encoding="utf-8")
    start = text.index('          "Message": "Job run 0000000000nosuchjob')
    end = text.index("}", start)
    cassettes.append(tmp_path / "text.yaml")
    cassettes[-1].write_text(text[:start] + "          not json at all\n        " + text[end:])
    for path in cassettes:
        assert model_violations(load_cassette(path)) == [], path
        with replay(path) as session, pytest.raises(botocore.exceptions.ClientError) as raised:
            session.client.describe_job_run(
                virtualClusterId="qyaylp3n6biqwm1h6f9reu76e", id="0000000000nosuchjob"
            )
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_every_project_cassette_fits_the_model() -> None:
    cassettes = sorted(CASSETTES.rglob("*.yaml"))
    assert len(cassettes) >= 9
    for path in cassettes:
        assert model_violations(load_cassette(path)) == [], path


# --- the command line -------------------------------------------------------------------


def test_show_reports_the_cassette_as_not_ok(
    done: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["show", str(done)]) == 2
    out = capsys.readouterr().out
    assert re.search(r"#0 +DescribeJobRun +DONE +NOT OK \(see below\)", out), out
    assert "NOT OK: the responses do not fit botocore" in out
    assert f"{LABEL} jobRun.state: 'DONE' is not a value" in out
    empty = _body(tmp_path, "empty", "    body: {}\n")
    assert cli.main(["show", str(empty)]) == 2
    assert "jobRun: missing; DescribeJobRun always returns it" in capsys.readouterr().out
    assert cli.main(["show", str(REAL)]) == 0
    assert "NOT OK" not in capsys.readouterr().out


def test_drift_against_the_model_reports_each_kind(
    done: Path, missing_comma: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = _body(tmp_path, "empty", "    body: {}\n")
    for path, expected in (
        (done, ("new-enum-value", "jobRun.state", "DONE")),
        (empty, ("removed", "jobRun", None)),
        (missing_comma, ("type-changed", "", "not JSON (Expecting ',' delimiter")),
    ):
        assert cli.main(["drift", "--model", str(path), "--format", "json"]) == 1, path
        (cassette,) = json.loads(capsys.readouterr().out)["cassettes"]
        found = [(f["kind"], f["path"], f["new"]) for f in cassette["findings"]]
        assert len(found) == 1, found
        kind, field_path, new = found[0]
        assert (kind, field_path) == expected[:2]
        assert expected[2] is None or str(new).startswith(expected[2]), new


def test_drift_between_recordings_reports_a_body_that_is_no_longer_json(
    missing_comma: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["drift", str(REAL), str(missing_comma), "--format", "json"]) == 1
    (cassette,) = json.loads(capsys.readouterr().out)["cassettes"]
    assert [(f["kind"], f["path"]) for f in cassette["findings"]] == [("type-changed", "")]


# --- as a user runs it --------------------------------------------------------------------

PLUGIN_TESTS = """
import pytest

def _describe(jobrun_replay):
    return jobrun_replay.client.describe_job_run(
        virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
    )

@pytest.mark.jobrun_cassette("empty.yaml")
def test_empty(jobrun_replay):
    assert _describe(jobrun_replay)["jobRun"]["state"] == "COMPLETED"
"""


def test_the_plugin_fails_at_setup_instead_of_a_key_error_in_the_test(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "cassettes").mkdir()
    _body(pytester.path / "cassettes", "empty", "    body: {}\n")
    pytester.makepyfile(test_empty=PLUGIN_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_empty*",
            "*empty.yaml: the recorded responses do not fit botocore*",
            "*jobRun: missing; DescribeJobRun always returns it*",
        ]
    )
    result.stdout.no_fnmatch_line("*KeyError*")
    pytester.makeini("[pytest]\njobrun_unknown_fields = drop\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(failed=1)  # the test's own KeyError, after the warning
    result.stdout.fnmatch_lines(["*ModelViolationWarning: *empty.yaml: replaying responses*"])
