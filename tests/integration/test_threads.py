"""Recording from several threads against a moto server keeps every call; replay serves each its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from replay_jobrun import load_cassette, record, replay
from tests.support import in_threads

THREADS, CALLS = 8, 5


def _setup(client: Any) -> tuple[str, list[str]]:
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
    return cluster, jobs


def _each_thread_polls_and_cancels_its_job(
    cluster: str, jobs: list[str], client_for: Callable[[], Any]
) -> Callable[[int], list[tuple[str, str, str]]]:
    """Thread n: its own job (its own params), described, cancelled, described: 5 calls."""

    def work(n: int) -> list[tuple[str, str, str]]:
        client, job = client_for(), jobs[n]
        seen = []
        for step in range(CALLS):
            if step == CALLS - 2:
                client.cancel_job_run(virtualClusterId=cluster, id=job)
                seen.append(("CancelJobRun", job, ""))
                continue
            run = client.describe_job_run(virtualClusterId=cluster, id=job)["jobRun"]
            seen.append(("DescribeJobRun", run["id"], run["state"]))
        return seen

    return work


@pytest.mark.parametrize("shared", [True, False], ids=["one shared client", "a client each"])
def test_eight_threads_record_all_forty_calls_and_replay_each_its_own(
    tmp_path: Path, moto_url: str, shared: bool
) -> None:
    path = tmp_path / "threads.yaml"
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        common = boto3.client("emr-containers", region_name="us-east-1")
        cluster, jobs = _setup(common)
        live = in_threads(
            THREADS,
            _each_thread_polls_and_cancels_its_job(
                cluster,
                jobs,
                (lambda: common)
                if shared
                else lambda: boto3.client("emr-containers", region_name="us-east-1"),
            ),
        )
    assert recording.written is not None
    operations = [i.operation for i in load_cassette(path).interactions]
    assert len(operations) == 1 + THREADS + THREADS * CALLS, operations
    assert operations.count("DescribeJobRun") == THREADS * (CALLS - 1)
    assert operations.count("CancelJobRun") == THREADS
    assert {state for seen in live for _, _, state in seen} >= {"CANCELLED"}

    with replay(path) as replaying:
        common = boto3.client("emr-containers", region_name="us-east-1")
        assert _setup(common) == (cluster, jobs)
        replayed = in_threads(
            THREADS,
            _each_thread_polls_and_cancels_its_job(
                cluster,
                jobs,
                (lambda: common)
                if shared
                else lambda: boto3.client("emr-containers", region_name="us-east-1"),
            ),
        )
    assert replayed == live  # thread by thread, call by call
    assert replaying.unused() == []
