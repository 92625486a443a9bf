"""Replaying a cassette recorded with a newer API than the installed botocore knows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore
import pytest

from replay_jobrun import replay
from replay_jobrun.errors import UnknownFieldsError, UnknownFieldsWarning
from tests.support import CASSETTES, edited_cassette

REAL = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"


def _newer_api(body: dict[str, Any]) -> None:
    body["jobRun"]["queuePosition"] = 3
    monitoring = body["jobRun"]["configurationOverrides"]["monitoringConfiguration"]
    monitoring["cloudWatchMonitoringConfiguration"]["logClassification"] = "STANDARD"


@pytest.fixture
def newer(tmp_path: Path) -> Path:
    return edited_cassette(REAL, tmp_path / "newer.yaml", _newer_api)


def _describe(session: Any) -> dict[str, Any]:
    return session.client.describe_job_run(  # type: ignore[no-any-return]
        virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
    )


def test_unknown_fields_fail_by_default_naming_fields_and_versions(newer: Path) -> None:
    with pytest.raises(UnknownFieldsError) as caught, replay(newer):
        pass
    message = str(caught.value)
    assert str(newer) in message
    assert f"botocore {botocore.__version__} does not know" in message
    assert "recorded with botocore 1.44.8" in message
    assert re.search(
        r"#0 DescribeJobRun GET \S+ -> 200: jobRun\.configurationOverrides\.monitoringConfiguration"
        r"\.cloudWatchMonitoringConfiguration\.logClassification, jobRun\.queuePosition",
        message,
    )
    assert 'unknown_fields="drop"' in message
    assert "jobrun_unknown_fields = drop" in message


def test_drop_replays_without_them_and_warns(newer: Path) -> None:
    with (
        pytest.warns(UnknownFieldsWarning, match=r"jobRun\.queuePosition") as warned,
        replay(newer, unknown_fields="drop") as session,
    ):
        response = _describe(session)
    assert warned[0].filename == __file__  # points at the caller, not at replay_jobrun
    assert "queuePosition" not in response["jobRun"]
    assert response["jobRun"]["state"] == "COMPLETED"


def test_known_cassettes_replay_without_a_warning() -> None:
    with replay(REAL) as session:
        assert _describe(session)["jobRun"]["state"] == "COMPLETED"


def test_an_invalid_policy_is_a_config_error(newer: Path) -> None:
    with (
        pytest.raises(ValueError, match=r"replay\(unknown_fields=\.\.\.\): unknown value 'ignore'"),
        replay(newer, unknown_fields="ignore"),
    ):
        pass


PLUGIN_TESTS = """
import pytest

def _describe(jobrun_replay):
    return jobrun_replay.client.describe_job_run(
        virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
    )

@pytest.mark.jobrun_cassette("newer.yaml")
def test_default_fails(jobrun_replay):
    _describe(jobrun_replay)

@pytest.mark.jobrun_cassette("newer.yaml", unknown_fields="drop")
def test_marker_drops(jobrun_replay):
    assert "queuePosition" not in _describe(jobrun_replay)["jobRun"]
"""


def test_plugin_marker_and_ini_choose(pytester: pytest.Pytester) -> None:
    edited_cassette(REAL, pytester.path / "cassettes" / "newer.yaml", _newer_api)
    pytester.makepyfile(test_newer=PLUGIN_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_default_fails*",
            f"*botocore {botocore.__version__} does not know*",
            "*#0 DescribeJobRun GET * -> 200: *jobRun.queuePosition",
            "*UnknownFieldsWarning: *newer.yaml: replaying without the field(s)*",
        ]
    )
    pytester.makeini("[pytest]\njobrun_unknown_fields = drop\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=2)
    pytester.makeini("[pytest]\njobrun_unknown_fields = ignore\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*jobrun_unknown_fields (ini): unknown value 'ignore'*"])
