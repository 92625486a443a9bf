"""The plugin as users run it: pytester projects whose own code builds its boto3 clients."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from replay_jobrun.scrub.scan import scan_file
from tests.support import (
    CASSETTES,
    MOTO_ACCOUNT,
    TEST_ACCESS_KEY,
    TEST_SESSION_TOKEN,
    edited_cassette,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

USER_CODE = '''
import time

import boto3

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def start(client, name="nightly"):
    cluster = client.create_virtual_cluster(
        name="team-cluster",
        containerProvider={"id": "eks-1", "type": "EKS", "info": {"eksInfo": {"namespace": "spark"}}},
    )
    job = client.start_job_run(
        virtualClusterId=cluster["id"],
        name=name,
        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
        tags={"owner": "data-team"},
    )
    return cluster["id"], job["id"]


def wait_for(cluster_id, job_id, interval=30):
    """A poller as teams write them: its own client, a sleep between polls."""
    client = boto3.client("emr-containers", region_name="us-east-1")
    while True:
        state = client.describe_job_run(virtualClusterId=cluster_id, id=job_id)["jobRun"]["state"]
        if state in TERMINAL:
            return state
        time.sleep(interval)


class EmrContainerHook:
    """Like Airflow's: a new boto3 Session per hook, endpoint_url from its connection."""

    def __init__(self, endpoint_url=None):
        self.endpoint_url = endpoint_url

    @property
    def conn(self):
        session = boto3.session.Session(region_name="us-east-1")
        return session.client("emr-containers", endpoint_url=self.endpoint_url)

    def cancel(self, cluster_id, job_id):
        response = self.conn.cancel_job_run(virtualClusterId=cluster_id, id=job_id)
        if response["ResponseMetadata"]["HTTPStatusCode"] != 200:
            raise RuntimeError("cancel failed")
        return response
'''

USER_TESTS = """
import boto3
import pytest

import jobs


def test_start_and_cancel(jobrun_replay):
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster_id, job_id = jobs.start(client)
    described = client.describe_job_run(virtualClusterId=cluster_id, id=job_id)
    assert described["jobRun"]["state"] == "RUNNING"
    jobs.EmrContainerHook("https://emr-containers.internal.example").cancel(cluster_id, job_id)
    assert jobs.wait_for(cluster_id, job_id) == "CANCELLED"
    assert [c.operation for c in jobrun_replay.calls] == [
        "CreateVirtualCluster", "StartJobRun", "DescribeJobRun", "CancelJobRun", "DescribeJobRun",
    ]


def test_unknown_job_raises_the_modeled_error(jobrun_replay):
    client = jobrun_replay.client
    cluster = client.create_virtual_cluster(
        name="c", containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}}
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_job_run(virtualClusterId=cluster["id"], id="0000000000nosuchjob")
"""


def _project(pytester: pytest.Pytester, *, block_network: bool = False) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(jobs=USER_CODE, test_jobs=USER_TESTS)
    if block_network:
        pytester.makeconftest(
            """
            import socket
            import pytest

            @pytest.fixture(autouse=True)
            def _no_network(monkeypatch):
                def refuse(self, address):
                    raise AssertionError(f"network access during replay: {address!r}")
                monkeypatch.setattr(socket.socket, "connect", refuse)
            """
        )


def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)


def test_record_against_moto_then_replay_offline_without_credentials(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester)
    recorded = pytester.runpytest(
        "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}", "-p", "no:cacheprovider"
    )
    recorded.assert_outcomes(passed=2)
    recorded.stdout.fnmatch_lines(
        ["*jobrun cassettes*", "wrote *test_start_and_cancel.jobrun.yaml (5 interactions*"]
    )
    cassettes = sorted((pytester.path / "cassettes").rglob("*.yaml"))
    assert [p.relative_to(pytester.path).as_posix() for p in cassettes] == [
        "cassettes/test_jobs/test_start_and_cancel.jobrun.yaml",
        "cassettes/test_jobs/test_unknown_job_raises_the_modeled_error.jobrun.yaml",
    ]
    for path in cassettes:
        text = path.read_text()
        for secret in (TEST_ACCESS_KEY, TEST_SESSION_TOKEN, MOTO_ACCOUNT, moto_url):
            assert secret not in text
        assert scan_file(path) == []

    _no_credentials(monkeypatch)
    (pytester.path / "conftest.py").unlink(missing_ok=True)
    _project(pytester, block_network=True)
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=2)


def test_missing_cassette_fails_with_the_path_and_the_command_to_record_it(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    result = pytester.runpytest("-k", "unknown_job")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*No cassette at *cassettes/test_jobs/test_unknown_job_raises_the_modeled_error.jobrun.yaml*",
            "*pytest test_jobs.py::test_unknown_job_raises_the_modeled_error --jobrun-record-mode=once*",
        ]
    )


def test_env_var_selects_the_record_mode(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester)
    monkeypatch.setenv("REPLAY_JOBRUN_RECORD_MODE", "once")
    monkeypatch.setenv("REPLAY_JOBRUN_ENDPOINT_URL", moto_url)
    pytester.runpytest("-k", "unknown_job").assert_outcomes(passed=1)
    assert (
        pytester.path / "cassettes/test_jobs/test_unknown_job_raises_the_modeled_error.jobrun.yaml"
    ).is_file()


def _write_cassette(folder: Path, name: str, states: list[str]) -> None:
    """A poller's cassette from a real DescribeJobRun body, one response per state."""
    from replay_jobrun import load_cassette
    from replay_jobrun.cassette.format import (
        Cassette,
        Interaction,
        RecordedRequest,
        RecordedResponse,
    )
    from replay_jobrun.record.recorder import write_scrubbed
    from replay_jobrun.scrub.scrubber import Scrubber

    # A real AWS body, from the project's committed (scrubbed) cassette.
    source = load_cassette(CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml")
    real = json.loads(source.interactions[0].response.body)
    run = real["jobRun"]
    uri = f"https://emr-containers.us-east-1.amazonaws.com/virtualclusters/{run['virtualClusterId']}/jobruns/{run['id']}"
    interactions = []
    for state in states:
        body = json.dumps({"jobRun": {**run, "state": state}}).encode()
        headers = {"Content-Type": ["application/json"], "Content-Length": [str(len(body))]}
        interactions.append(
            Interaction(
                RecordedRequest("GET", uri),
                RecordedResponse(200, "OK", headers, body),
                "DescribeJobRun",
            )
        )
    write_scrubbed(Cassette(folder / name, tuple(interactions)), Scrubber(), region="us-east-1")


POLLER_TESTS = """
import time

import pytest

import jobs

VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"


@pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleep=True)
def test_poller_replays_without_sleeping(jobrun_replay):
    started = time.perf_counter()
    assert jobs.wait_for(VC, JOB, interval=30) == "COMPLETED"
    assert time.perf_counter() - started < 5
    assert jobrun_replay.slept == [30, 30]
    assert [r["jobRun"]["state"] for r in jobrun_replay.responses] == ["PENDING", "RUNNING", "COMPLETED"]


@pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleep=True)
def test_responses_left_unused_fail_the_test(jobrun_replay):
    import boto3
    boto3.client("emr-containers", region_name="us-east-1").describe_job_run(virtualClusterId=VC, id=JOB)


@pytest.mark.jobrun_cassette("shared/poll.yaml", allow_unused=True)
def test_unused_responses_allowed_on_purpose(jobrun_replay):
    import boto3
    boto3.client("emr-containers", region_name="us-east-1").describe_job_run(virtualClusterId=VC, id=JOB)


@pytest.mark.jobrun_cassette("shared/poll.yaml", allow_unused=True)
def test_mutating_a_response_does_not_leak(jobrun_replay):
    first = jobrun_replay.responses[0]
    first["jobRun"]["state"] = "MUTATED"
    assert jobrun_replay.responses[0]["jobRun"]["state"] == "PENDING"


@pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleep=True)
def test_wrong_job_id_is_a_clear_mismatch(jobrun_replay):
    jobs.wait_for(VC, "0000000000otherjob0")


@pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleeep=True)
def test_marker_typo(jobrun_replay):
    pass
"""


def test_poller_marker_options_unused_and_mismatch_messages(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.makepyfile(test_poller=POLLER_TESTS)
    _write_cassette(
        pytester.path / "cassettes" / "shared", "poll.yaml", ["PENDING", "RUNNING", "COMPLETED"]
    )
    result = pytester.runpytest("test_poller.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*ERROR at teardown of test_responses_left_unused_fail_the_test*",
            "*poll.yaml: 2 recorded response(s) were not requested by the test:*",
            "*#1: DescribeJobRun GET /virtualclusters/*/jobruns/0000000378nj1d2s7lo -> 200*",
            "*@pytest.mark.jobrun_cassette(allow_unused=True)*",
            "*interaction #0 (DescribeJobRun): the request differs from the recording.*",
            "*id: recorded '0000000378nj1d2s7lo', live '0000000000otherjob0'*",
            "*ERROR at setup of test_marker_typo*",
            "@pytest.mark.jobrun_cassette: unknown option 'skip_sleeep' "
            "(did you mean 'skip_sleep'?)",
            "Valid: record_mode, allow_unused, skip_sleep, *",
        ]
    )


def test_failed_test_does_not_overwrite_the_cassette(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    _project(pytester)
    pytester.makepyfile(
        test_fails="""
        def test_breaks_midway(jobrun_replay):
            jobrun_replay.client.list_virtual_clusters()
            raise RuntimeError("the test failed after one call")
        """
    )
    target = pytester.path / "cassettes" / "test_fails" / "test_breaks_midway.jobrun.yaml"
    _write_cassette(target.parent, target.name, ["COMPLETED"])
    good = target.read_text()
    result = pytester.runpytest(
        "test_fails.py", "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*not written (the test did not pass): *test_breaks_midway.jobrun.yaml*"]
    )
    assert target.read_text() == good
    assert sorted(p.name for p in target.parent.iterdir()) == ["test_breaks_midway.jobrun.yaml"]


def test_coexists_with_pytest_recording(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_recording")
    _project(pytester)
    pytester.makepyfile(
        test_both="""
        import pytest

        @pytest.mark.vcr
        @pytest.mark.jobrun_cassette("real/describe.yaml", allow_unused=True)
        def test_both_markers(jobrun_replay, vcr):
            assert jobrun_replay.responses[0]["jobRun"]["state"] == "COMPLETED"
        """
    )
    _write_cassette(pytester.path / "cassettes" / "real", "describe.yaml", ["COMPLETED"])
    result = pytester.runpytest(
        "test_both.py", "-p", "recording", "--record-mode=none", "--strict-markers"
    )
    result.assert_outcomes(passed=1)


def test_plugin_import_loads_nothing_heavy(pytester: pytest.Pytester) -> None:
    result = pytester.runpython_c(
        textwrap.dedent(
            """
            import sys
            import replay_jobrun.plugin
            heavy = sorted(m for m in ("botocore", "boto3", "vcr", "deepdiff", "yaml") if m in sys.modules)
            print("heavy:", heavy)
            """
        )
    )
    result.stdout.fnmatch_lines(["heavy: []"])


def test_scrub_salt_and_keep_list_apply_to_recording_and_to_replay_matching(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replay_jobrun import load_cassette
    from replay_jobrun.scrub.patterns import pseudonym_account_id

    _project(pytester)
    pytester.makeini(
        "[pytest]\njobrun_cassette_dir = cassettes\njobrun_scrub_salt = team-salt\n"
        "jobrun_scrub_keep =\n    entryPoint\n"
    )
    pytester.runpytest(
        "-k", "start_and_cancel", "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}"
    ).assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_jobs" / "test_start_and_cancel.jobrun.yaml"
    text = path.read_text()
    # Kept on purpose (the model redaction is off), but the bucket rule still applies.
    assert re.search(r'"entryPoint": "s3://[0-9a-f]{6}/etl.py"', text)
    assert "data-team" not in text  # the tag value
    assert pseudonym_account_id(MOTO_ACCOUNT, "team-salt") in text
    assert pseudonym_account_id(MOTO_ACCOUNT) not in text
    assert load_cassette(path).metadata["keep_fields"] == ["entryPoint"]

    _no_credentials(monkeypatch)
    _project(pytester, block_network=True)
    pytester.makeini(
        "[pytest]\njobrun_cassette_dir = cassettes\njobrun_scrub_salt = team-salt\n"
        "jobrun_scrub_keep =\n    entryPoint\n"
    )
    pytester.runpytest("-k", "start_and_cancel").assert_outcomes(passed=1)


RULES_CONFTEST = """
import socket

import pytest

from replay_jobrun import rules


def pytest_jobrun_scrub_rules(config):
    return [rules.regex(r"eks-\\d", "eks-x")]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, request):
    if request.config.getoption("jobrun_record_mode") is None:
        def refuse(self, address):
            raise AssertionError(f"network access during replay: {address!r}")
        monkeypatch.setattr(socket.socket, "connect", refuse)
"""


def test_ini_and_hook_rules_scrub_the_recording_and_the_live_requests_of_replay(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported here so that pytester's in-process runs, which drop the modules each run
    # imports, leave the conftest and the plugin one and the same rules module.
    import replay_jobrun.rules  # noqa: F401

    _project(pytester)
    pytester.makeini(
        "[pytest]\njobrun_cassette_dir = cassettes\n"
        "jobrun_scrub_regex =\n    role/(JobRole) -> role/Spark\\1\n"
        "jobrun_scrub_fields =\n    name -> job-name\n"
    )
    pytester.makeconftest(RULES_CONFTEST)
    pytester.runpytest(
        "-k", "start_and_cancel", "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}"
    ).assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_jobs" / "test_start_and_cancel.jobrun.yaml"
    text = path.read_text()
    assert "role/JobRole" not in text
    assert "role/SparkJobRole" in text
    assert "team-cluster" not in text  # swept: a value the field rule replaced
    assert '"nightly"' not in text
    assert '"job-name"' in text
    assert "eks-1" not in text
    assert "eks-x" in text

    # Replay, offline and without credentials: live requests get the same rules, so they match.
    _no_credentials(monkeypatch)
    pytester.runpytest("-k", "start_and_cancel").assert_outcomes(passed=1)


def test_a_bad_scrub_rule_in_the_ini_fails_with_the_option_named(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\njobrun_scrub_regex = (oops\n")
    (pytester.path / "cassettes" / "test_jobs").mkdir(parents=True)
    result = pytester.runpytest("-k", "start_and_cancel", "--jobrun-record-mode=all")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*jobrun_scrub_regex: '(oops' is not a regular expression*"])


def test_re_recording_reports_schema_drift_and_can_fail_the_run(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    _project(pytester)
    record = (
        "-k",
        "start_and_cancel",
        "--jobrun-record-mode=all",
        f"--jobrun-endpoint-url={moto_url}",
    )
    pytester.runpytest(*record, "-p", "no:cacheprovider").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_jobs" / "test_start_and_cancel.jobrun.yaml"

    # Make the committed recording look older than the API: StartJobRun without its arn,
    # DescribeJobRun with a field AWS has since retired.
    def _old_start(body: dict[str, Any]) -> None:
        del body["arn"]

    def _old_describe(body: dict[str, Any]) -> None:
        body["jobRun"]["legacyQueue"] = "default"

    edited_cassette(cassette, cassette, _old_start, index=1)
    edited_cassette(cassette, cassette, _old_describe, index=2)

    _reset(moto_url)
    result = pytester.runpytest(*record, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= jobrun drift =*",
            "test_jobs.py::test_start_and_cancel:",
            "*additive*added*arn*StartJobRun*",
            "*breaking*removed*jobRun.legacyQueue*DescribeJobRun*",
            "*1 re-recorded cassette(s) drifted*--jobrun-drift-fail makes this fail the run*",
        ]
    )
    assert "legacyQueue" not in cassette.read_text()  # the new recording was written

    # Drift again, now as a gate, from xdist workers: the controller sees it and fails the run.
    edited_cassette(cassette, cassette, _old_start, index=1)
    _reset(moto_url)
    gated = pytester.runpytest(*record, "--jobrun-drift-fail", "-n", "2", "-p", "no:cacheprovider")
    gated.assert_outcomes(passed=1)
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    gated.stdout.fnmatch_lines(
        ["*additive*added*arn*StartJobRun*", "*the run fails (--jobrun-drift-fail)*"]
    )

    # Nothing changed since: no section, and the gate passes.
    _reset(moto_url)
    clean = pytester.runpytest(*record, "--jobrun-drift-fail", "-p", "no:cacheprovider")
    assert clean.ret == pytest.ExitCode.OK
    assert "jobrun drift" not in clean.stdout.str()


def _reset(moto_url: str) -> None:
    """Empty the moto server, so a scenario can be recorded again."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))


# --- clients made before the cassette, the marker alone, merged markers -----------------

EARLY_CLIENTS = """
import boto3

# Made at import time, before any cassette is active, with the credentials the
# environment has: the shape most real code has.
EMR = boto3.client("emr-containers", region_name="us-east-1")


def state(cluster_id, job_id, client=EMR):
    return client.describe_job_run(virtualClusterId=cluster_id, id=job_id)["jobRun"]["state"]
"""

EARLY_CLIENT_TESTS = """
import boto3
import pytest
from botocore.stub import Stubber

import early

VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"


@pytest.fixture(scope="session")
def session_client():
    return boto3.client("emr-containers", region_name="us-east-1")


def test_a_module_level_client_is_replayed(jobrun_replay):
    assert early.state(VC, JOB) == "COMPLETED"
    assert [call.operation for call in jobrun_replay.calls] == ["DescribeJobRun"]


@pytest.mark.jobrun_cassette("two.yaml")
def test_a_session_client_is_replayed(jobrun_replay, session_client):
    assert early.state(VC, JOB, session_client) == "RUNNING"
    assert early.state(VC, JOB, session_client) == "COMPLETED"


@pytest.mark.jobrun_cassette("two.yaml")
def test_the_same_clients_serve_the_next_cassette(jobrun_replay, session_client):
    assert early.state(VC, JOB) == "RUNNING"
    assert early.state(VC, JOB, session_client) == "COMPLETED"


def test_outside_a_cassette_the_clients_are_as_without_the_plugin(session_client):
    # A Stubber of the user's own answers: no stale replay stub gets there first.
    for client in (early.EMR, session_client):
        with Stubber(client) as stubber:
            stubber.add_response("describe_job_run", {"jobRun": {"state": "CANCELLED"}})
            assert early.state(VC, JOB, client) == "CANCELLED"
"""


def test_clients_made_before_the_cassette_are_replayed_and_left_as_they_were(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, block_network=True)
    pytester.makepyfile(early=EARLY_CLIENTS, test_early=EARLY_CLIENT_TESTS)
    folder = pytester.path / "cassettes"
    _write_cassette(
        folder / "test_early", "test_a_module_level_client_is_replayed.jobrun.yaml", ["COMPLETED"]
    )
    _write_cassette(folder, "two.yaml", ["RUNNING", "COMPLETED"])
    result = pytester.runpytest("test_early.py", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4)


MARKED_TESTS = """
import boto3
import pytest

VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"
pytestmark = pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleep=True)


def poll():
    return boto3.client("emr-containers", region_name="us-east-1").describe_job_run(
        virtualClusterId=VC, id=JOB
    )["jobRun"]["state"]


def test_the_module_marker_alone_replays():
    assert [poll(), poll(), poll()] == ["PENDING", "RUNNING", "COMPLETED"]


def test_the_marker_alone_still_fails_on_unused_responses():
    assert poll() == "PENDING"


class TestMerged:
    pytestmark = pytest.mark.jobrun_cassette(allow_unused=True)

    def test_class_option_added_to_the_module_options(self):
        import time
        started = time.perf_counter()
        time.sleep(30)  # skip_sleep from the module marker
        assert time.perf_counter() - started < 5
        assert poll() == "PENDING"

    @pytest.mark.jobrun_cassette("shared/other.yaml")
    def test_closest_name_wins(self, jobrun_replay):
        assert jobrun_replay.path.name == "other.yaml"
        assert poll() == "COMPLETED"
        assert jobrun_replay.slept == []


def test_the_module_marker_reaches_every_test_of_the_module():
    pass
"""


def test_the_marker_alone_is_enough_and_markers_merge_module_class_test(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, block_network=True)
    pytester.makepyfile(test_marked=MARKED_TESTS)
    shared = pytester.path / "cassettes" / "shared"
    _write_cassette(shared, "poll.yaml", ["PENDING", "RUNNING", "COMPLETED"])
    _write_cassette(shared, "other.yaml", ["COMPLETED"])
    result = pytester.runpytest("test_marked.py", "-p", "no:cacheprovider")
    # Two tests leave responses unused: their calls pass, their teardowns fail.
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*ERROR at teardown of test_the_marker_alone_still_fails_on_unused_responses*",
            "*poll.yaml: 2 recorded response(s) were not requested by the test:*",
            "*ERROR at teardown of test_the_module_marker_reaches_every_test_of_the_module*",
            "*poll.yaml: 3 recorded response(s) were not requested by the test:*",
        ]
    )


# --- nothing else leaves the process while a cassette replays ------------------------------

GUARDED_CONFTEST = """
import socket

import pytest

LOOKED_UP = []


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch, local_server):
    # Installed before the cassette: a name that reaches it got past replay_jobrun's guard.
    LOOKED_UP.clear()

    def look_up(host, *args, **kwargs):
        LOOKED_UP.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", local_server))]

    monkeypatch.setattr(socket, "getaddrinfo", look_up)


@pytest.fixture
def local_server():
    import http.server
    import threading

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
"""

GUARDED_TESTS = """
import urllib.request

import boto3
import pytest
from conftest import LOOKED_UP

from replay_jobrun.errors import BlockedHostError, NetworkBlockedError

pytestmark = pytest.mark.jobrun_cassette("shared/one.yaml", allow_unused=True)


def test_another_aws_service_is_blocked_with_its_name():
    s3 = boto3.client("s3")  # no region, no credentials: built all the same
    with pytest.raises(BlockedHostError) as raised:
        s3.list_buckets()
    message = str(raised.value)
    assert "the s3 call ListBuckets to s3" in message
    assert 'allowed_hosts=["s3' in message and "--jobrun-allowed-hosts=s3" in message
    assert isinstance(raised.value, NetworkBlockedError)


def test_any_other_host_is_blocked_before_its_name_is_looked_up():
    with pytest.raises(BlockedHostError, match="a connection to example.com was blocked"):
        urllib.request.urlopen("http://example.com/", timeout=1)
    with pytest.raises(BlockedHostError, match=r"\\(AWS service sts\\) to sts.amazonaws.com"):
        urllib.request.urlopen("https://sts.amazonaws.com/", timeout=1)
    assert LOOKED_UP == []


def test_loopback_stays_open(local_server):
    with urllib.request.urlopen(f"http://127.0.0.1:{local_server}/", timeout=5) as answer:
        assert answer.read() == b"ok"
    with urllib.request.urlopen(f"http://localhost:{local_server}/", timeout=5) as answer:
        assert answer.read() == b"ok"


@pytest.mark.jobrun_cassette(allowed_hosts=["intranet.example"])
def test_an_allowed_host_is_reached(local_server):
    with urllib.request.urlopen(f"http://intranet.example:{local_server}/", timeout=5) as answer:
        assert answer.read() == b"ok"
    assert LOOKED_UP == ["intranet.example"]


@pytest.mark.jobrun_cassette(allowed_hosts=["https://intranet.example/api"])
def test_an_unusable_allowed_host(local_server):
    pass

"""


def test_while_replaying_nothing_but_loopback_and_allowed_hosts_is_reached(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.makeconftest(GUARDED_CONFTEST)
    pytester.makepyfile(test_guarded=GUARDED_TESTS)
    pytester.makefile(
        ".py",
        test_unguarded="""
import urllib.request

def test_outside_a_cassette_names_are_looked_up(local_server):
    from conftest import LOOKED_UP
    with urllib.request.urlopen(f"http://anywhere.example:{local_server}/", timeout=5) as answer:
        assert answer.read() == b"ok"
    assert "anywhere.example" in LOOKED_UP
""",
    )
    _write_cassette(pytester.path / "cassettes" / "shared", "one.yaml", ["COMPLETED"])
    result = pytester.runpytest_subprocess(
        "test_guarded.py", "test_unguarded.py", "-p", "no:cacheprovider", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_an_unusable_allowed_host*",
            "*allowed_hosts=...): 'https://intranet.example/api' is not a host name or an IP "
            "address (did you mean 'intranet.example'?)*",
        ]
    )


# --- skip_sleep: the code under test's waits, and nobody else's ------------------------------

SLEEPY_CODE = '''
import asyncio
import threading
import time
from time import sleep  # bound before any cassette, as emr-cli does

import boto3

VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"


def state():
    client = boto3.client("emr-containers", region_name="us-east-1")
    return client.describe_job_run(virtualClusterId=VC, id=JOB)["jobRun"]["state"]


def wait_bound_sleep():
    while (current := state()) != "COMPLETED":
        sleep(30)
    return current


async def wait_async():
    while (current := state()) != "COMPLETED":
        await asyncio.sleep(20)
    return current


class LogReader(threading.Thread):
    """Like dagster's: waits by the wall clock, in short sleeps, for something else."""

    def __init__(self, seconds):
        super().__init__(daemon=True)
        self.seconds, self.rounds = seconds, 0

    def run(self):
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            self.rounds += 1
            time.sleep(0.05)
'''

SLEEPY_TESTS = """
import asyncio
import time

import pytest

import sleepy

pytestmark = pytest.mark.jobrun_cassette("shared/poll.yaml", skip_sleep=True)


def test_a_name_bound_to_time_sleep_is_skipped(jobrun_replay):
    started = time.perf_counter()
    assert sleepy.wait_bound_sleep() == "COMPLETED"
    assert time.perf_counter() - started < 5
    assert jobrun_replay.slept == [30, 30]


def test_asyncio_sleep_is_skipped(jobrun_replay):
    started = time.perf_counter()
    assert asyncio.run(sleepy.wait_async()) == "COMPLETED"
    assert time.perf_counter() - started < 5
    assert jobrun_replay.slept == [20, 20]


def test_another_threads_wall_clock_wait_is_not_a_busy_loop(jobrun_replay):
    reader = sleepy.LogReader(0.5)
    reader.start()
    assert sleepy.wait_bound_sleep() == "COMPLETED"
    reader.join(5)
    assert not reader.is_alive()
    assert reader.rounds <= 20  # ~10 real 0.05 s sleeps; skipped, it would be millions
    assert jobrun_replay.slept == [30, 30]  # only the test's own waits

"""


def test_skip_sleep_reaches_bound_names_and_asyncio_but_not_other_threads(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, block_network=True)
    pytester.makepyfile(
        sleepy=SLEEPY_CODE,
        test_sleepy=SLEEPY_TESTS,
        test_zz_after="""
import asyncio
import time

import sleepy


def test_after_the_cassettes_every_sleep_is_the_real_one_again():
    assert sleepy.sleep is time.sleep
    assert time.sleep.__module__ == "time"  # the built-in, not a replacement
    assert asyncio.sleep.__module__ == "asyncio.tasks"
""",
    )
    _write_cassette(
        pytester.path / "cassettes" / "shared", "poll.yaml", ["PENDING", "RUNNING", "COMPLETED"]
    )
    result = pytester.runpytest_subprocess(
        "test_sleepy.py", "test_zz_after.py", "-p", "no:cacheprovider", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=4)


# --- one fixture shape, recording or replaying ---------------------------------------------

SHAPE_TESTS = """
import time

import boto3
import pytest

import jobs
from replay_jobrun import JobrunCassette


@pytest.mark.jobrun_cassette(skip_sleep=True)
def test_one_shape(jobrun_replay):
    assert isinstance(jobrun_replay, JobrunCassette)
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster_id, job_id = jobs.start(client)
    client.describe_job_run(virtualClusterId=cluster_id, id=job_id)
    started = time.perf_counter()
    time.sleep(30)  # a moto server moves when told: skipped while recording from it too
    assert time.perf_counter() - started < 5
    client.describe_job_run(virtualClusterId=cluster_id, id=job_id)

    assert jobrun_replay.slept == [30]
    assert jobrun_replay.path == jobrun_replay.cassette
    assert jobrun_replay.path.name == "test_one_shape.jobrun.yaml"
    assert jobrun_replay.mode in ("all", "none")
    assert [c.operation for c in jobrun_replay.calls] == [
        "CreateVirtualCluster", "StartJobRun", "DescribeJobRun", "DescribeJobRun"
    ]
    assert jobrun_replay.responses[1]["id"] == job_id
    assert jobrun_replay.unused() == [] or jobrun_replay.mode == "none"
    for shown in (repr(jobrun_replay), repr(jobrun_replay.calls)):
        assert job_id not in shown and cluster_id not in shown, shown
        assert "data-team" not in shown and "JobRole" not in shown, shown
    assert "test_one_shape.jobrun.yaml" in repr(jobrun_replay)
"""


def test_recording_and_replay_expose_one_shape_with_value_free_reprs(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester)
    pytester.makepyfile(test_shape=SHAPE_TESTS)
    recorded = pytester.runpytest_subprocess(
        "test_shape.py",
        "--jobrun-record-mode=all",
        f"--jobrun-endpoint-url={moto_url}",
        "-p",
        "no:cacheprovider",
    )
    recorded.assert_outcomes(passed=1)
    _no_credentials(monkeypatch)
    (pytester.path / "conftest.py").unlink(missing_ok=True)
    _project(pytester, block_network=True)
    replayed = pytester.runpytest_subprocess("test_shape.py", "-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)
