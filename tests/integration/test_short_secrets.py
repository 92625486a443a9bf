"""moto's and LocalStack's short secret keys ("test", "testing") record cleanly.

A learnt secret shorter than the sweep floor is replaced only where it stands as a
credential; names that contain it ("test-cluster", "testing-job") are kept, and the
cassette replays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from replay_jobrun import record, replay
from replay_jobrun.scrub.scan import scan_file

ROLE = "arn:aws:iam::123456789012:role/EMRContainersJobExecutionRole"


def _lifecycle(secret: str, as_credential: bool = True) -> dict[str, Any]:
    """Names that hold the secret key; with ``as_credential`` it is also a URL's token and
    a password in the job's settings, and the client is given the key explicitly (replay
    knows the key of a client made with it, never the environment's)."""
    explicit = (
        {"aws_access_key_id": "test", "aws_secret_access_key": secret} if as_credential else {}
    )
    client = boto3.client("emr-containers", region_name="us-east-1", **explicit)
    monitoring = {"cloudWatchMonitoringConfiguration": {"logGroupName": "test-logs"}}
    if as_credential:
        monitoring = {
            "s3MonitoringConfiguration": {
                "logUri": f"https://logs.example.test/upload?token={secret}&run=test-run"
            },
            "cloudWatchMonitoringConfiguration": {
                "logGroupName": "test-logs",
                "logStreamNamePrefix": f"password={secret} for test-cluster",
            },
        }
    cluster = client.create_virtual_cluster(
        name="test-cluster",
        containerProvider={
            "id": "test-eks",
            "type": "EKS",
            "info": {"eksInfo": {"namespace": f"ns-{secret}"}},
        },
    )
    job = client.start_job_run(
        virtualClusterId=cluster["id"],
        name=f"nightly-{secret}-job",
        executionRoleArn=ROLE,
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "local:///app/main.py"}},
        configurationOverrides={"monitoringConfiguration": monitoring},
    )
    run = client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])["jobRun"]
    return {"cluster": cluster["name"], "run": run}


@pytest.mark.parametrize("secret", ["test", "testing"])
def test_a_short_secret_key_in_the_environment_keeps_names_and_replays(
    secret: str, tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    path = tmp_path / "short.yaml"
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        live = _lifecycle(secret, as_credential=False)
    assert recording.written is not None
    text = path.read_text(encoding="utf-8")
    for name in ("test-cluster", "test-eks", f"ns-{secret}", f"nightly-{secret}-job"):
        assert name in text, name
    assert "REDACTED-cluster" not in text
    assert scan_file(path) == []
    with replay(path) as replaying:
        replayed = _lifecycle(secret, as_credential=False)
    assert replaying.unused() == []
    assert replayed["cluster"] == live["cluster"] == "test-cluster"
    assert replayed["run"]["name"] == live["run"]["name"] == f"nightly-{secret}-job"


@pytest.mark.parametrize("secret", ["test", "testing"])
def test_a_short_secret_key_keeps_names_and_goes_where_it_is_a_credential(
    secret: str, tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    path = tmp_path / "short.yaml"
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        live = _lifecycle(secret)
    assert recording.written is not None

    text = path.read_text(encoding="utf-8")
    for name in ("test-cluster", f"ns-{secret}", f"nightly-{secret}-job", "test-logs", "test-run"):
        assert name in text, name
    assert "REDACTED-cluster" not in text
    assert f"token={secret}&" not in text
    assert "token=REDACTED&run=test-run" in text
    assert f"password={secret} " not in text
    assert "password=REDACTED for test-cluster" in text
    assert scan_file(path) == []
    # The StartJobRun request and the DescribeJobRun response held it: neither does now.
    document = yaml.safe_load(text)
    bodies = [
        str(i["request"]["body"]) + i["response"]["body"]["string"]
        for i in document["interactions"]
    ]
    assert sum("token=REDACTED&" in body for body in bodies) == 2

    with replay(path):
        replayed = _lifecycle(secret)
    assert replayed["cluster"] == live["cluster"] == "test-cluster"
    assert replayed["run"]["name"] == live["run"]["name"] == f"nightly-{secret}-job"
    monitoring = replayed["run"]["configurationOverrides"]["monitoringConfiguration"]
    assert monitoring["s3MonitoringConfiguration"]["logUri"].endswith("token=REDACTED&run=test-run")


def test_a_one_letter_secret_key_records(
    tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    path = tmp_path / "x.yaml"
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        _lifecycle("x")
    assert recording.written is not None
    assert "ns-x" in path.read_text(encoding="utf-8")
    assert scan_file(path) == []
