"""Child processes (``subprocesses=True``): a CLI under test, recorded and replayed as users run it.

The CLI is a script of the pytester project, run with ``subprocess`` by the
project's tests: recorded against the suite's moto server on 127.0.0.1, then
replayed with moto out of reach. In replay every child guards its own sockets:
it may connect to the broker (the address its environment names) and to nothing
else, so a child that reached moto or AWS fails.
"""

from __future__ import annotations

import textwrap

import pytest

from replay_jobrun.scrub.scan import scan_file
from tests.support import MOTO_ACCOUNT, TEST_ACCESS_KEY, TEST_SESSION_TOKEN

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

CLI = '''
"""jobcli: start a job run and wait for it, as teams' CLIs do (botocore only)."""
import os
import socket
import sys
import time
from urllib.parse import urlsplit

if os.environ.get("CHILD_GUARD"):
    # Only the broker replay_jobrun names in the environment may be reached.
    broker = urlsplit(os.environ["AWS_ENDPOINT_URL_EMR_CONTAINERS"])
    allowed = (broker.hostname, broker.port)
    connect = socket.socket.connect

    def guarded(self, address):
        if tuple(address[:2]) != allowed:
            print(f"child connected to {address!r}", file=sys.stderr)
            os._exit(3)
        return connect(self, address)

    socket.socket.connect = guarded

import botocore.session

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def client(service="emr-containers"):
    return botocore.session.get_session().create_client(service)


def run(cluster, cancel_after):
    emr = client()
    job = emr.start_job_run(
        virtualClusterId=cluster,
        name="nightly",
        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    )["id"]
    print("started", flush=True)
    polls = 0
    while True:
        state = emr.describe_job_run(virtualClusterId=cluster, id=job)["jobRun"]["state"]
        print(state, flush=True)
        if state in TERMINAL:
            return
        polls += 1
        if polls == cancel_after:
            emr.cancel_job_run(virtualClusterId=cluster, id=job)
        time.sleep(0.01)


def status(cluster, job):
    print(client().describe_job_run(virtualClusterId=cluster, id=job)["jobRun"]["state"])


def buckets():
    try:
        print(client("s3").list_buckets()["Buckets"])
    except Exception as error:
        print(f"s3 failed: {error}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "run":
        run(args[0], int(args[1]))
    elif command == "status":
        status(*args)
    else:
        buckets()
'''

TESTS = """
import subprocess
import sys

import boto3
import pytest


def cli(*args):
    done = subprocess.run(
        [sys.executable, "jobcli.py", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def cluster(client, namespace):
    return client.create_virtual_cluster(
        name="team",
        containerProvider={"id": "eks-1", "type": "EKS", "info": {"eksInfo": {"namespace": namespace}}},
    )["id"]


@pytest.mark.jobrun_cassette(subprocesses=True)
def test_the_cli_polls_its_job_to_the_end(jobrun_replay):
    cluster_id = cluster(boto3.client("emr-containers", region_name="us-east-1"), "cli")
    assert cli("run", cluster_id, "2") == ["started", "RUNNING", "RUNNING", "CANCELLED"]
    assert [c.operation for c in jobrun_replay.calls] == [
        "CreateVirtualCluster", "StartJobRun",
        "DescribeJobRun", "DescribeJobRun", "CancelJobRun", "DescribeJobRun",
    ]
    assert jobrun_replay.calls[2].params["virtualClusterId"] == cluster_id
    assert jobrun_replay.responses[-1]["jobRun"]["state"] == "CANCELLED"


@pytest.mark.jobrun_cassette(subprocesses=True)
def test_calls_of_the_test_and_of_its_children_interleave_in_order(jobrun_replay):
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster_id = cluster(client, "mixed")
    job = client.start_job_run(
        virtualClusterId=cluster_id, name="adhoc", executionRoleArn="arn:aws:iam::123456789012:role/R",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/adhoc.py"}},
    )["id"]
    assert cli("status", cluster_id, job) == ["RUNNING"]
    client.cancel_job_run(virtualClusterId=cluster_id, id=job)
    assert cli("status", cluster_id, job) == ["CANCELLED"]
    assert [c.operation for c in jobrun_replay.calls] == [
        "CreateVirtualCluster", "StartJobRun", "DescribeJobRun", "CancelJobRun", "DescribeJobRun",
    ]
"""

GUARDED_CONFTEST = """
import socket

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(self, address):
        raise AssertionError(f"network access during replay: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("CHILD_GUARD", "1")
"""


def _project(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(jobcli=CLI, test_cli=TESTS)


def _offline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay from here on: no credentials, no region, sockets refused in the tests and their children."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(GUARDED_CONFTEST)


@pytest.fixture
def recorded(pytester: pytest.Pytester, moto_url: str) -> pytest.Pytester:
    """The project, its cassettes recorded against moto with the CLI run as a child."""
    _project(pytester)
    result = pytester.runpytest(
        "--jobrun-record-mode=once", f"--jobrun-endpoint-url={moto_url}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "wrote *test_the_cli_polls_its_job_to_the_end.jobrun.yaml (6 interactions*",
            "wrote *test_calls_of_the_test_and_of_its_children_interleave_in_order.jobrun.yaml "
            "(5 interactions*",
        ]
    )
    return pytester


def test_a_cli_run_as_a_child_is_recorded_then_replayed_offline(
    recorded: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replay_jobrun import load_cassette

    cassettes = recorded.path / "cassettes" / "test_cli"
    cassette = load_cassette(cassettes / "test_the_cli_polls_its_job_to_the_end.jobrun.yaml")
    assert [i.operation for i in cassette.interactions] == [
        "CreateVirtualCluster",
        "StartJobRun",
        "DescribeJobRun",
        "DescribeJobRun",
        "CancelJobRun",
        "DescribeJobRun",
    ]
    text = (cassettes / "test_the_cli_polls_its_job_to_the_end.jobrun.yaml").read_text()
    for secret in (moto_url, "127.0.0.1", TEST_ACCESS_KEY, TEST_SESSION_TOKEN, MOTO_ACCOUNT):
        assert secret not in text
    assert scan_file(cassettes / "test_the_cli_polls_its_job_to_the_end.jobrun.yaml") == []

    _offline(recorded, monkeypatch)
    replayed = recorded.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=2)


def test_clients_of_this_process_keep_the_endpoint_the_environment_gave_them(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording without --jobrun-endpoint-url: the user's own AWS_ENDPOINT_URL_EMR_CONTAINERS
    sends the test's clients to moto directly (recorded once each), and the children's calls
    through the broker to the same moto."""
    _project(pytester)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EMR_CONTAINERS", moto_url)
    result = pytester.runpytest("--jobrun-record-mode=once", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "wrote *test_the_cli_polls_its_job_to_the_end.jobrun.yaml (6 interactions*",
            "wrote *test_calls_of_the_test_and_of_its_children_interleave_in_order.jobrun.yaml "
            "(5 interactions*",
        ]
    )


CHILD_FAILURES = """
import subprocess
import sys

import pytest

VC, JOB = "{vc}", "{job}"


def cli(*args):
    return subprocess.run(
        [sys.executable, "jobcli.py", *args], capture_output=True, text=True, timeout=120
    ).stdout


@pytest.mark.jobrun_cassette("poll.yaml", subprocesses=True)
def test_a_child_calls_another_service():
    assert cli("status", VC, JOB) == "RUNNING\\n"
    printed = cli("buckets")
    assert printed.startswith("s3 failed: An error occurred (NetworkBlocked)")
    assert "replay_jobrun blocked the s3 call of a child process" in printed
    assert cli("status", VC, JOB) == "COMPLETED\\n"


@pytest.mark.jobrun_cassette("poll.yaml", subprocesses=True)
def test_a_child_leaves_an_interaction_unused():
    assert cli("status", VC, JOB) == "RUNNING\\n"


@pytest.mark.jobrun_cassette("poll.yaml", subprocesses=True)
def test_a_child_asks_for_another_job():
    cli("status", VC, "0000000000otherjob")


@pytest.mark.jobrun_cassette("poll.yaml", allow_unused=True)
def test_without_the_option_children_are_not_served():
    printed = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('AWS_ENDPOINT_URL_EMR_CONTAINERS'))"],
        capture_output=True, text=True, timeout=60,
    ).stdout
    assert printed == "None\\n"
"""


def test_in_replay_a_child_is_blocked_matched_and_accounted_for(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.plugin.test_plugin import _write_cassette

    _project(pytester)
    _offline(pytester, monkeypatch)
    folder = pytester.path / "cassettes"
    _write_cassette(folder, "poll.yaml", ["RUNNING", "COMPLETED"])
    from replay_jobrun import load_cassette

    uri = load_cassette(folder / "poll.yaml").interactions[0].request.uri
    vc, job = uri.split("/virtualclusters/")[1].split("/jobruns/")
    pytester.makepyfile(test_children=CHILD_FAILURES.format(vc=vc, job=job))
    result = pytester.runpytest("test_children.py", "-p", "no:cacheprovider", "-p", "no:randomly")
    # pytest counts a test that errs at teardown as passed (its call) and as an error.
    result.assert_outcomes(passed=4, errors=2)
    output = result.stdout.str()
    # The child got the error as an answer; the test fails with it at teardown.
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_child_leaves_an_interaction_unused*",
            "*poll.yaml: 1 recorded response(s) were not requested by the test:",
            "*#1: DescribeJobRun GET /virtualclusters/*",
        ]
    )
    assert "ERROR at teardown of test_a_child_asks_for_another_job" in output
    assert "interaction #0 (DescribeJobRun): the request differs from the recording." in output
    assert f"id: recorded '{job}', live '0000000000otherjob'" in textwrap.dedent(output)
