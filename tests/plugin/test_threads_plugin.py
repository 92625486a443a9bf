"""The plugin with tests that start threads, and with ignore_params paths, as users run it."""

from __future__ import annotations

import shutil

import pytest

from replay_jobrun import load_cassette
from tests.support import CASSETTES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

THREADED_TESTS = """
import threading

import boto3
import pytest

THREADS = 4


def run_in_threads(work):
    barrier = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def run(n):
        barrier.wait()
        try:
            results[n] = work(n)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.jobrun_cassette(skip_sleep=True)
def test_jobs_watched_from_threads():
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster = client.create_virtual_cluster(
        name="threads",
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": "spark"}}},
    )["id"]
    jobs = [
        client.start_job_run(
            virtualClusterId=cluster,
            name=f"job-{n}",
            executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
        )["id"]
        for n in range(THREADS)
    ]

    def watch(n):
        own = boto3.client("emr-containers", region_name="us-east-1")
        seen = [own.describe_job_run(virtualClusterId=cluster, id=jobs[n])["jobRun"]["id"]]
        own.cancel_job_run(virtualClusterId=cluster, id=jobs[n])
        run = own.describe_job_run(virtualClusterId=cluster, id=jobs[n])["jobRun"]
        return seen + [run["id"], run["state"]]

    assert run_in_threads(watch) == [[job, job, "CANCELLED"] for job in jobs]
"""

POLLER_TESTS = """
import threading

import boto3
import pytest

VC, JOB = "jv2rp9xpdvq4jimj17x8x6zuh", "otxsf0fllydtzqbqkmb"
CASSETTE = "moto/poll-until-cancelled.yaml"


def poll_beside_a_listing():
    client = boto3.client("emr-containers", region_name="us-east-1")
    states = []

    def poll():
        for _ in range(3):
            states.append(client.describe_job_run(virtualClusterId=VC, id=JOB)["jobRun"]["state"])

    poller = threading.Thread(target=poll)
    poller.start()
    listed = client.list_job_runs(virtualClusterId=VC)["jobRuns"]
    poller.join()
    return states, [run["state"] for run in listed]


@pytest.mark.jobrun_cassette(CASSETTE, allow_unused=True)
def test_answered_by_request():
    assert poll_beside_a_listing() == (["RUNNING", "RUNNING", "CANCELLED"], ["CANCELLED"])


@pytest.mark.jobrun_cassette(CASSETTE, allow_unused=True, strict_order=True)
def test_in_strict_order():
    boto3.client("emr-containers", region_name="us-east-1").list_job_runs(virtualClusterId=VC)


def start(tags):
    return boto3.client("emr-containers", region_name="us-east-1").start_job_run(
        virtualClusterId=VC,
        name="nightly-etl",
        executionRoleArn="arn:aws:iam::123456789012:role/EMRContainersJobExecutionRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://etl-123456789012/jobs/etl.py"}},
        tags=tags,
    )["id"]


@pytest.mark.jobrun_cassette(CASSETTE, allow_unused=True, ignore_params=("tags.*",))
def test_tags_ignored():
    assert start({"team": "another team", "run-id": "fresh"}) == JOB


@pytest.mark.jobrun_cassette(CASSETTE, allow_unused=True)
def test_tags_compared():
    start({"team": "another team"})


@pytest.mark.jobrun_cassette(CASSETTE, allow_unused=True, ignore_params=("tagz.*",))
def test_typo_in_a_path():
    start({"team": "another team"})
"""


def _project(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    (pytester.path / "cassettes" / "moto").mkdir(parents=True)
    shutil.copy(
        CASSETTES / "moto" / "poll-until-cancelled.yaml", pytester.path / "cassettes" / "moto"
    )


def test_threads_replay_by_request_strict_order_and_ignore_params_paths(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.makepyfile(test_poller=POLLER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=2, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "*test_in_strict_order*",
            "*poll-until-cancelled.yaml: interaction #0: the code under test called ListJobRuns, "
            "but the recording has CreateVirtualCluster * next.",
            "*test_tags_compared*",
            "*interaction #1 (StartJobRun): the request differs from the recording.",
            "*tags.team: recorded 'REDACTED-*', live 'REDACTED-*'",
            "*ERROR at setup of test_typo_in_a_path*",
            "*poll-until-cancelled.yaml: ignore_params path(s) that name nothing in the requests*",
            "*StartJobRun: the request has no member 'tagz' (did you mean 'tags'?); its members:*",
        ]
    )


def test_a_test_that_starts_threads_records_against_moto_and_replays_offline(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_threaded=THREADED_TESTS)
    recorded = pytester.runpytest_subprocess(
        "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}", "-p", "no:cacheprovider"
    )
    recorded.assert_outcomes(passed=1)
    (path,) = (pytester.path / "cassettes").rglob("*.yaml")
    operations = [i.operation for i in load_cassette(path).interactions]
    assert len(operations) == 1 + 4 + 4 * 3, operations

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
    for _ in range(3):  # the threads interleave differently each run
        replayed = pytester.runpytest_subprocess("-p", "no:cacheprovider")
        replayed.assert_outcomes(passed=1)
