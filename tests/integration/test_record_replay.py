"""Recording over real HTTP from a moto server, then replaying offline through the Stubber."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml

from replay_jobrun import load_cassette, record, replay
from replay_jobrun.cli.demo import job_lifecycle
from replay_jobrun.errors import RequestMismatchError, UnexpectedCallError
from replay_jobrun.scrub.scan import scan_file
from tests.support import MOTO_ACCOUNT
from tests.support import TEST_ACCESS_KEY as CONFTEST_KEY
from tests.support import TEST_SESSION_TOKEN as CONFTEST_TOKEN


def _all_encodings(value: str) -> list[str]:
    raw = value.encode()
    return [value, base64.b64encode(raw).decode(), base64.b64encode(raw).decode()[:16]]


def _record_lifecycle(path: Path, moto_url: str) -> list[str]:
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        live = job_lifecycle(boto3.client("emr-containers", region_name="us-east-1"))
    assert recording.written is not None
    return live


def test_recorded_cassette_holds_no_credential_or_account_id(tmp_path: Path, moto_url: str) -> None:
    path = tmp_path / "lifecycle.yaml"
    _record_lifecycle(path, moto_url)
    text = path.read_text()
    for secret in (CONFTEST_KEY, CONFTEST_TOKEN, MOTO_ACCOUNT):
        for encoded in _all_encodings(secret):
            assert encoded not in text, f"{secret} leaked as {encoded}"
    assert "Authorization" not in text
    assert "X-Amz-Security-Token" not in text
    assert "!!binary" not in text
    assert scan_file(path) == []
    # Still a cassette stock vcrpy loads.
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    requests, responses, *_ = deserialize(text, yamlserializer)
    assert len(requests) == len(responses) == 6


def test_replay_offline_without_credentials_gives_the_recorded_results(
    tmp_path: Path, moto_url: str, no_network: list[Any], no_credentials: None
) -> None:
    path = tmp_path / "lifecycle.yaml"
    # Recording needs the network and (fake) credentials: undo the fixtures for that part.
    with pytest.MonkeyPatch.context() as mp:
        import socket

        mp.setattr(socket.socket, "connect", _REAL_CONNECT)
        mp.setenv("AWS_ACCESS_KEY_ID", CONFTEST_KEY)
        mp.setenv("AWS_SECRET_ACCESS_KEY", "x")
        live = _record_lifecycle(path, moto_url)

    with replay(path) as replaying:
        replayed = job_lifecycle(boto3.client("emr-containers", region_name="us-east-1"))
    assert replayed == live
    assert replaying.unused() == []
    assert no_network == []
    assert [call.operation for call in replaying.calls] == load_cassette(path).metadata[
        "operations"
    ]


import socket as _socket  # noqa: E402

_REAL_CONNECT = _socket.socket.connect


def test_every_way_of_building_a_client_is_served_from_one_queue(
    tmp_path: Path, moto_url: str
) -> None:
    path = tmp_path / "clients.yaml"
    with record(path, mode="all", endpoint_url=moto_url):
        live = job_lifecycle(boto3.client("emr-containers"))
    with replay(path) as replaying:
        # Each call on a client built another way: the queue is shared and ordered.
        clients = [
            boto3.client("emr-containers", region_name="us-east-1"),
            boto3.Session().client("emr-containers", region_name="us-east-1"),
            botocore.session.get_session().create_client("emr-containers", region_name="us-east-1"),
            boto3.session.Session(region_name="us-east-1").client(
                "emr-containers", endpoint_url="https://emr-containers.example.internal"
            ),
            replaying.client,
        ]
        rotating = _Rotating(clients)
        replayed = job_lifecycle(rotating)
    assert replayed == live
    assert replaying.unused() == []


class _Rotating:
    """A client stand-in that sends each call to the next client in turn."""

    def __init__(self, clients: list[Any]) -> None:
        self._clients = clients
        self._turn = 0
        self.exceptions = clients[0].exceptions

    def __getattr__(self, name: str) -> Any:
        client = self._clients[self._turn % len(self._clients)]
        self._turn += 1
        return getattr(client, name)


def test_new_episodes_keeps_recorded_interactions_and_appends_new_ones(
    tmp_path: Path, moto_url: str
) -> None:
    path = tmp_path / "episodes.yaml"
    with record(path, mode="all", endpoint_url=moto_url):
        client = boto3.client("emr-containers", region_name="us-east-1")
        cluster = client.create_virtual_cluster(
            name="vc",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
    first = yaml.safe_load(path.read_text())
    with record(path, mode="new_episodes", endpoint_url=moto_url):
        client = boto3.client("emr-containers", region_name="us-east-1")
        client.create_virtual_cluster(
            name="vc",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
        client.list_job_runs(virtualClusterId=cluster["id"])
    second = yaml.safe_load(path.read_text())
    assert len(first["interactions"]) == 1
    assert len(second["interactions"]) == 2
    assert second["interactions"][0] == first["interactions"][0]
    assert second["replay_jobrun"]["operations"] == [
        "CreateVirtualCluster",
        "ListJobRuns",
    ]


@pytest.fixture
def good_cassette(tmp_path: Path, moto_url: str) -> tuple[Path, bytes]:
    """A recorded lifecycle cassette, alone in its folder, and its bytes."""
    path = tmp_path / "keep.yaml"
    _record_lifecycle(path, moto_url)
    return path, path.read_bytes()


def test_a_discarded_recording_leaves_the_previous_cassette_untouched(
    tmp_path: Path, moto_url: str, good_cassette: tuple[Path, bytes]
) -> None:
    path, before = good_cassette
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        boto3.client("emr-containers", region_name="us-east-1").list_virtual_clusters()
        recording.discard()
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_a_block_that_raises_leaves_the_previous_cassette_untouched(
    tmp_path: Path, moto_url: str, good_cassette: tuple[Path, bytes]
) -> None:
    path, before = good_cassette
    recordings = []

    def a_job_that_fails_half_way() -> None:
        with record(path, mode="all", endpoint_url=moto_url) as recording:
            recordings.append(recording)
            boto3.client("emr-containers", region_name="us-east-1").list_virtual_clusters()
            raise RuntimeError("the job failed half-way")

    with pytest.raises(RuntimeError, match="the job failed half-way"):
        a_job_that_fails_half_way()
    assert path.read_bytes() == before
    assert recordings[0].written is None
    assert list(tmp_path.iterdir()) == [path]


def test_replay_reports_wrong_operation_past_the_end_and_param_mismatch(
    tmp_path: Path, moto_url: str
) -> None:
    path = tmp_path / "lifecycle.yaml"
    _record_lifecycle(path, moto_url)
    with replay(path) as replaying:
        client = replaying.client
        with pytest.raises(UnexpectedCallError) as wrong:
            client.list_virtual_clusters()
    message = str(wrong.value)
    assert str(path) in message
    assert "interaction #0" in message
    assert "ListVirtualClusters" in message
    assert "CreateVirtualCluster" in message
    assert "--jobrun-record-mode=all" in message

    with replay(path) as replaying:
        client = replaying.client
        with pytest.raises(RequestMismatchError) as mismatch:
            client.create_virtual_cluster(
                name="other-name",
                containerProvider={
                    "id": "demo-eks",
                    "type": "EKS",
                    "info": {"eksInfo": {"namespace": "spark"}},
                },
            )
    assert "name: recorded 'demo-cluster', live 'other-name'" in str(mismatch.value)
    assert "ignore_params" in str(mismatch.value)

    with replay(path) as replaying:
        job_lifecycle(replaying.client)
        with pytest.raises(UnexpectedCallError) as past_end:
            replaying.client.list_virtual_clusters()
    assert "holds only 6 interaction(s)" in str(past_end.value)
    assert "interaction #6" in str(past_end.value)


def test_all_mode_replaces_the_cassette_instead_of_accumulating(
    tmp_path: Path, moto_url: str
) -> None:
    path = tmp_path / "again.yaml"
    _record_lifecycle(path, moto_url)
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    _record_lifecycle(path, moto_url)
    assert len(load_cassette(path).interactions) == 6


@pytest.mark.parametrize("explicit", [False, True], ids=["credential chain", "explicit keys"])
def test_the_clients_secret_access_key_is_swept_though_it_never_travels(
    tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch, explicit: bool
) -> None:
    # A key looks_secret() cannot tell from a random word: only knowing it catches it.
    secret = "DFCxryyCxamTQ/xmfQfzfdHRLsmZQnokr7PUjJhk"
    kwargs: dict[str, Any] = {"region_name": "us-east-1"}
    if explicit:
        kwargs |= {"aws_access_key_id": "AKIAEXPLICITKEY00001", "aws_secret_access_key": secret}
    else:
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    path = tmp_path / "key.yaml"
    with record(path, mode="all", endpoint_url=moto_url):
        client = boto3.session.Session().client("emr-containers", **kwargs)
        cluster = client.create_virtual_cluster(
            name="c",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
        client.start_job_run(
            virtualClusterId=cluster["id"],
            name=f"pasted-{secret}",  # not a sensitive field: only the sweep removes it
            executionRoleArn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/JobRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={
                "sparkSubmitJobDriver": {
                    "entryPoint": "s3://bucket/etl.py",
                    "sparkSubmitParameters": f"--conf spark.hadoop.fs.s3a.secret.key={secret}",
                }
            },
        )
    text = path.read_text()
    for encoded in _all_encodings(secret):
        assert encoded not in text
    assert '"name": "pasted-' in text
