"""A deferrable trigger polling through aiobotocore, as Airflow's EmrContainerTrigger does.

Recorded against moto and replayed with no socket, through the plugin as users run it.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "aiobotocore.session",
    reason="aiobotocore is not installed: pip install 'replay-jobrun[aio]' (every aiobotocore "
    "release pins its botocore, so it lives in a venv of its own)",
)

TRIGGER = '''
import asyncio

from aiobotocore.session import get_session


class EmrContainerTrigger:
    """Like Airflow's deferrable trigger: its own aiobotocore client, a sleep between polls."""

    def __init__(self, cluster_id, job_id, polls=2, interval=30):
        self.cluster_id, self.job_id, self.polls, self.interval = cluster_id, job_id, polls, interval

    async def run(self):
        states = []
        async with get_session().create_client("emr-containers", region_name="us-east-1") as client:
            for _ in range(self.polls):
                run = await client.describe_job_run(virtualClusterId=self.cluster_id, id=self.job_id)
                states.append(run["jobRun"]["state"])
                await asyncio.sleep(self.interval)
        return states
'''

TESTS = """
import asyncio
import os
import socket

import boto3
import pytest

from trigger import EmrContainerTrigger

REAL_CONNECT = socket.socket.connect


@pytest.fixture(autouse=True)
def _guard(monkeypatch):
    def connect(self, address):
        if os.environ["PHASE"] == "replay" or address[0] != "127.0.0.1":
            raise AssertionError(f"connection to {address!r}")
        return REAL_CONNECT(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.mark.jobrun_cassette(skip_sleep=True)
def test_deferred_poll(jobrun_replay):
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster = client.create_virtual_cluster(
        name="c", containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}}
    )["id"]
    job = client.start_job_run(
        virtualClusterId=cluster,
        name="deferred",
        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    )["id"]
    assert asyncio.run(EmrContainerTrigger(cluster, job).run()) == ["RUNNING", "RUNNING"]
    assert [c.operation for c in jobrun_replay.calls] == [
        "CreateVirtualCluster", "StartJobRun", "DescribeJobRun", "DescribeJobRun",
    ]
    assert jobrun_replay.slept == [30, 30]
"""


def test_an_aiobotocore_trigger_is_recorded_against_moto_then_replayed_without_a_socket(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(trigger=TRIGGER, test_trigger=TESTS)
    monkeypatch.setenv("PHASE", "record")
    recorded = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}"
    )
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["*wrote *test_deferred_poll.jobrun.yaml (4 interactions*"])

    monkeypatch.setenv("PHASE", "replay")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
