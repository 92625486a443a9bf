"""Clients built before a recording starts: recorded, call-logged, redirected, then restored.

A client made at import time cannot be rebuilt for ``endpoint_url``; these tests
see where its requests really go (local HTTP servers that check the SigV4
signature against the host they were sent to) and what the cassette holds.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from replay_jobrun import load_cassette, record, replay
from tests.support import MOTO_ACCOUNT

ACCESS_KEY = "AKIAEARLYCLIENTKEY01"
# A key looks_secret() cannot tell from a random word: only knowing it catches it.
SECRET_KEY = "DFCxryyCxamTQ/xmfQfzfdHRLsmZQnokr7PUjJhk"
VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]+)"
)


@dataclass
class Seen:
    """A request as the server got it: the host it was sent to, and whether it was signed for it."""

    host: str
    path: str
    signed_for_host: bool


@dataclass
class Endpoint:
    url: str
    seen: list[Seen] = field(default_factory=list)


def _signed_for(host: str, method: str, path: str, headers: Any, body: bytes) -> bool:
    """Recompute the request's SigV4 signature as AWS would for ``host``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _AUTH.match(headers.get("Authorization", ""))
    if match is None:
        return False
    signed = {
        name: headers[name] for name in match["signed"].split(";") if name != "host"
    }  # host comes from the URL, as when botocore signed it
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=signed)
    request.context["timestamp"] = headers["X-Amz-Date"]
    token = headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(
        Credentials(ACCESS_KEY, SECRET_KEY, token), match["service"], match["region"]
    )
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    return bool(expected == match["signature"])


@pytest.fixture
def endpoints() -> Iterator[tuple[Endpoint, Endpoint]]:
    """Two local emr-containers stand-ins: a client's own endpoint and a redirect target."""
    servers = []
    made = []
    for _ in range(2):
        endpoint = Endpoint("")

        class Handler(http.server.BaseHTTPRequestHandler):
            seen = endpoint.seen

            def do_GET(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host = self.headers["Host"]
                self.seen.append(
                    Seen(host, self.path, _signed_for(host, "GET", self.path, self.headers, body))
                )
                answer = json.dumps({"jobRun": {"id": JOB, "state": "RUNNING"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        endpoint.url = f"http://127.0.0.1:{server.server_address[1]}"
        servers.append(server)
        made.append(endpoint)
    yield made[0], made[1]
    for server in servers:
        server.shutdown()
        server.server_close()


def _early_client(endpoint_url: str | None = None) -> Any:
    return boto3.session.Session().client(
        "emr-containers",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=None,
    )


def test_a_client_made_before_recording_is_redirected_signed_for_the_new_host_then_restored(
    tmp_path: Path, endpoints: tuple[Endpoint, Endpoint]
) -> None:
    own, target = endpoints
    client = _early_client(own.url)
    client.describe_job_run(virtualClusterId=VC, id=JOB)  # live, before: a pooled connection
    assert len(own.seen) == 1

    path = tmp_path / "redirected.yaml"
    with record(path, mode="all", endpoint_url=target.url + "/") as recording:
        assert client.describe_job_run(virtualClusterId=VC, id=JOB)["jobRun"]["state"] == "RUNNING"
    target_host = target.url.removeprefix("http://")
    assert target.seen == [Seen(target_host, f"/virtualclusters/{VC}/jobruns/{JOB}", True)]
    assert len(own.seen) == 1
    assert [call.operation for call in recording.calls] == ["DescribeJobRun"]
    assert load_cassette(path).metadata["operations"] == ["DescribeJobRun"]

    # Afterwards the client is the one it was: its own endpoint, signed for it, not logged.
    client.describe_job_run(virtualClusterId=VC, id=JOB)
    assert own.seen[1] == Seen(own.url.removeprefix("http://"), own.seen[0].path, True)
    assert len(target.seen) == 1
    assert len(recording.calls) == 1


def test_a_client_made_before_recording_without_endpoint_url_is_recorded_where_it_goes(
    tmp_path: Path, endpoints: tuple[Endpoint, Endpoint]
) -> None:
    own, _ = endpoints
    client = _early_client(own.url)
    path = tmp_path / "own.yaml"
    with record(path, mode="all") as recording:
        client.describe_job_run(virtualClusterId=VC, id=JOB)
    assert len(own.seen) == 1
    assert own.seen[0].signed_for_host
    assert [call.operation for call in recording.calls] == ["DescribeJobRun"]
    assert load_cassette(path).metadata["operations"] == ["DescribeJobRun"]


def test_an_early_clients_lifecycle_against_moto_is_recorded_swept_and_replayed(
    tmp_path: Path, moto_url: str, endpoints: tuple[Endpoint, Endpoint]
) -> None:
    own, _ = endpoints
    client = _early_client(own.url)  # built for another endpoint: only the redirect reaches moto
    path = tmp_path / "early.yaml"
    with record(path, mode="all", endpoint_url=moto_url) as recording:
        cluster = client.create_virtual_cluster(
            name="c",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
        job = client.start_job_run(
            virtualClusterId=cluster["id"],
            name=f"pasted-{SECRET_KEY}",  # not a sensitive field: only the sweep removes it
            executionRoleArn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/JobRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
        )
        live = client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])["jobRun"]
    text = path.read_text()
    assert SECRET_KEY not in text
    assert '"name": "pasted-' in text
    assert len(recording.responses) == 3

    with replay(path) as replaying:
        cluster = client.create_virtual_cluster(
            name="c",
            containerProvider={"id": "e", "type": "EKS", "info": {"eksInfo": {"namespace": "n"}}},
        )
        job = client.start_job_run(
            virtualClusterId=cluster["id"],
            name=f"pasted-{SECRET_KEY}",
            executionRoleArn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/JobRole",
            releaseLabel="emr-7.10.0-latest",
            jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
        )
        replayed = client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])["jobRun"]
    assert replayed["state"] == live["state"]
    assert replaying.unused() == []
    assert own.seen == []


def test_concurrent_first_calls_on_an_early_client_all_wait_for_it_to_be_redirected(
    tmp_path: Path, endpoints: tuple[Endpoint, Endpoint]
) -> None:
    from replay_jobrun import Scrubber

    own, target = endpoints
    client = _early_client(own.url)
    adopting = threading.Event()

    class SlowToLearn(Scrubber):
        """Holds the first call inside adoption while a second thread makes its first call."""

        def learn_secret_key(self, secret: str) -> None:
            adopting.set()
            time.sleep(0.3)  # widens the window; nothing asserts on time
            super().learn_secret_key(secret)

    def describe() -> None:
        client.describe_job_run(virtualClusterId=VC, id=JOB)

    path = tmp_path / "concurrent.yaml"
    with record(path, mode="all", endpoint_url=target.url, scrubber=SlowToLearn()) as recording:
        first = threading.Thread(target=describe)
        first.start()
        assert adopting.wait(10)
        describe()  # this thread's first call, while the other one is being adopted
        first.join()
    assert own.seen == []
    assert len(target.seen) == 2
    assert all(seen.signed_for_host for seen in target.seen)
    assert len(recording.calls) == 2
