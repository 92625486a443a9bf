"""aiobotocore's emr-containers clients (Airflow's deferrable trigger polls through them).

Recorded over real HTTP (aiohttp, intercepted by vcrpy) from a moto server, then
replayed with no socket: a client made inside the cassette and one made before it.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from replay_jobrun import load_cassette, record, replay

aiobotocore_session = pytest.importorskip(
    "aiobotocore.session",
    reason="aiobotocore is not installed: pip install 'replay-jobrun[aio]' (every aiobotocore "
    "release pins its botocore, so it lives in a venv of its own)",
)

# Nothing listens there: a request the redirect missed fails loudly, and stays local.
NOWHERE = "http://127.0.0.1:9"
# A key looks_secret() cannot tell from a random word: only knowing it catches it.
SECRET_KEY = "DFCxryyCxamTQ/xmfQfzfdHRLsmZQnokr7PUjJhk"
OPERATIONS = [
    "CreateVirtualCluster",
    "StartJobRun",
    "DescribeJobRun",
    "DescribeJobRun",
    "DescribeJobRun",
]


async def _lifecycle(cassette: Any) -> tuple[list[str], list[str]]:
    """A trigger's shape: a client made before the cassette, another made inside it."""
    session = aiobotocore_session.get_session()
    async with session.create_client(
        "emr-containers",
        region_name="us-east-1",
        endpoint_url=NOWHERE,
        aws_access_key_id="AKIAEARLYAIOCLIENT01",
        aws_secret_access_key=SECRET_KEY,
    ) as early:
        with cassette as active:
            async with session.create_client("emr-containers", region_name="us-east-1") as new:
                cluster = (
                    await new.create_virtual_cluster(
                        name="c",
                        containerProvider={
                            "id": "e",
                            "type": "EKS",
                            "info": {"eksInfo": {"namespace": "aio"}},
                        },
                    )
                )["id"]
                job = (
                    await early.start_job_run(
                        virtualClusterId=cluster,
                        name=f"pasted-{SECRET_KEY}",  # only knowing the key sweeps it
                        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
                        releaseLabel="emr-7.10.0-latest",
                        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
                    )
                )["id"]
                states = [
                    (await client.describe_job_run(virtualClusterId=cluster, id=job))["jobRun"][
                        "state"
                    ]
                    for client in (early, new)
                ]
                # A recorded error raises the modeled exception class, as live.
                with pytest.raises(early.exceptions.ResourceNotFoundException):
                    await early.describe_job_run(virtualClusterId=cluster, id="0000000000nosuchjob")
        return states, [call.operation for call in active.calls]


def test_aiobotocore_clients_are_recorded_against_moto_then_replayed_without_a_socket(
    tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "aio.yaml"
    live = asyncio.run(_lifecycle(record(path, mode="all", endpoint_url=moto_url)))
    assert live == (["RUNNING", "RUNNING"], OPERATIONS)
    assert SECRET_KEY not in path.read_text()
    assert '"name": "pasted-' in path.read_text()
    cassette = load_cassette(path)
    assert cassette.metadata["operations"] == OPERATIONS
    assert all(
        i.request.uri.startswith("https://emr-containers.us-east-1.amazonaws.com/")
        for i in cassette.interactions
    )

    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network access during replay: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    replayed = asyncio.run(_lifecycle(replay(path)))
    assert replayed == live
    assert attempts == []
