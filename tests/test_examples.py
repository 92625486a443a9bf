"""This project's own cassettes used through the plugin, as a user's suite uses them.

These are the README's examples, run for real: the fixture is loaded from the
installed ``pytest11`` entry point and the cassettes live in ``cassettes/``.
"""

from __future__ import annotations

import datetime as dt
import time

import boto3
import pytest

from replay_jobrun import Replay

VC = "k3v9q0x7r2m8w1t5z6b4n0c2d"


def wait_for(cluster_id: str, job_id: str, interval: float = 30) -> str:
    """A poller as teams write them: its own client and a sleep between polls."""
    client = boto3.client("emr-containers", region_name="us-east-1")
    while True:
        state = client.describe_job_run(virtualClusterId=cluster_id, id=job_id)["jobRun"]["state"]
        if state in ("COMPLETED", "FAILED", "CANCELLED"):
            return str(state)
        time.sleep(interval)


@pytest.mark.jobrun_cassette("real/describe-job-run_failed-user-error_sparkpilot-1.yaml")
def test_a_real_failed_job_run_has_every_field_aws_sends(jobrun_replay: Replay) -> None:
    run = boto3.client("emr-containers").describe_job_run(
        virtualClusterId=VC, id="0000000378ndnj64mdt"
    )["jobRun"]
    assert run["state"] == "FAILED"
    assert run["failureReason"] == "USER_ERROR"
    # AWS sends more than the model's 256-character maximum; replay keeps it whole.
    assert len(run["stateDetails"]) == 313
    assert isinstance(run["finishedAt"], dt.datetime)
    assert run["finishedAt"].tzinfo is not None
    assert run["arn"].startswith("arn:aws:emr-containers:us-east-1:")
    assert "604193857261" not in run["arn"]  # the account id is a pseudonym


@pytest.mark.jobrun_cassette("real/describe-job-run_cancelled_sparkpilot.yaml", skip_sleep=True)
def test_poller_returns_the_terminal_state(jobrun_replay: Replay) -> None:
    assert wait_for(VC, "0000000378nc2aque5r") == "CANCELLED"
    assert jobrun_replay.slept == []
    assert jobrun_replay.calls[0].params == {"virtualClusterId": VC, "id": "0000000378nc2aque5r"}


@pytest.mark.jobrun_cassette("moto/poll-until-cancelled.yaml")
def test_airflow_style_status_check_reads_response_metadata(jobrun_replay: Replay) -> None:
    responses = jobrun_replay.responses
    started = responses[1]
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert started["ResponseMetadata"]["RequestId"]
    client = jobrun_replay.client
    cluster = client.create_virtual_cluster(
        name="poller",
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": "jobs"}}},
    )
    # The recorded request held the real account id; it matches after scrubbing.
    job = (
        boto3.session.Session()
        .client("emr-containers", region_name="us-east-1")
        .start_job_run(
            virtualClusterId=cluster["id"],
            name="nightly-etl",
            executionRoleArn="arn:aws:iam::123456789012:role/EMRContainersJobExecutionRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://etl-123456789012/jobs/etl.py"}},
            tags={"team": "data-platform"},
        )
    )
    assert job == started
    states = [
        client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])["jobRun"]["state"]
        for _ in range(2)
    ]
    client.cancel_job_run(virtualClusterId=cluster["id"], id=job["id"])
    assert wait_for(cluster["id"], job["id"]) == "CANCELLED"
    listed = client.list_job_runs(virtualClusterId=cluster["id"])["jobRuns"]
    assert states == ["RUNNING", "RUNNING"]
    assert [run["state"] for run in listed] == ["CANCELLED"]
