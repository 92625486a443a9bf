"""What replayed clients share (model data, service model, endpoint rules) and what they must not.

Replay builds clients "offline": no HTTP transport, botocore's immutable parts
shared across tests. Each test here checks one side of that line, with real
botocore clients.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session

from replay_jobrun import clients, model
from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.clients import OfflineHTTPSession
from replay_jobrun.errors import CassetteFormatError, NetworkBlockedError
from replay_jobrun.replay.matching import compare
from replay_jobrun.replay.replayer import replay

HOST = "https://emr-containers.us-east-1.amazonaws.com"


def _describe(job: str, state: Any = "RUNNING", method: str = "GET") -> Interaction:
    body = {"jobRun": {"id": job, "virtualClusterId": "vc1", "state": state}}
    return Interaction(
        RecordedRequest(method, f"{HOST}/virtualclusters/vc1/jobruns/{job}"),
        RecordedResponse(
            200,
            "OK",
            {"Content-Type": ["application/json"], "x-amzn-RequestId": [f"req-{job}"]},
            json.dumps(body).encode(),
        ),
        "DescribeJobRun",
    )


def _cassette(tmp_path: Path, *interactions: Interaction) -> Cassette:
    return Cassette(tmp_path / "hand-built.yaml", interactions, {})


def _client(session: Any = None) -> Any:
    session = session or botocore.session.Session()
    return session.create_client("emr-containers", region_name="us-east-1")


def test_a_replayed_client_has_no_network_transport(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _describe("j1"))):
        client = _client()
        client.describe_job_run(virtualClusterId="vc1", id="j1")
    assert isinstance(client._endpoint.http_session, OfflineHTTPSession)
    request = AWSRequest("GET", f"{HOST}/virtualclusters/vc1/jobruns/j2").prepare()
    with pytest.raises(NetworkBlockedError) as raised:
        client._endpoint.http_session.send(request)
    assert f"GET {HOST}/virtualclusters/vc1/jobruns/j2" in str(raised.value)
    assert "nothing is sent" in str(raised.value)


def test_other_clients_and_clients_after_the_replay_keep_their_transport(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _describe("j1"))) as replaying:
        sts = botocore.session.Session().create_client("sts", region_name="us-east-1")
        replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
    after = _client()
    assert isinstance(sts._endpoint.http_session, URLLib3Session)
    assert isinstance(after._endpoint.http_session, URLLib3Session)
    assert after.meta.service_model is not model.service_model()
    assert after.meta.events._alias_name_cache is not clients._aliased_event_names


def test_new_sessions_share_the_parsed_model_data(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("j1"), _describe("j2"))
    with replay(cassette):
        first, second = boto3.session.Session(), boto3.session.Session()
        for session, job in ((first, "j1"), (second, "j2")):
            client = session.client("emr-containers", region_name="us-east-1")
            assert client.describe_job_run(virtualClusterId="vc1", id=job)["jobRun"]["id"] == job
    loaders = {id(s._session.get_component("data_loader")) for s in (first, second)}
    assert loaders == {id(model.data_loader())}


def test_a_session_reading_other_model_paths_keeps_its_own_loader(tmp_path: Path) -> None:
    session = botocore.session.Session()
    session.set_config_variable("data_path", str(tmp_path))
    with replay(_cassette(tmp_path, _describe("j1"))):
        client = _client(session)
        client.describe_job_run(virtualClusterId="vc1", id="j1")
    assert session.get_component("data_loader") is not model.data_loader()


def test_replayed_clients_share_the_service_model_and_endpoint_rules(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _describe("j1"), _describe("j2"))):
        one, two = _client(), _client()
        one.describe_job_run(virtualClusterId="vc1", id="j1")
        two.describe_job_run(virtualClusterId="vc1", id="j2")
    assert one.meta.service_model is two.meta.service_model is model.service_model()
    assert one._ruleset_resolver._provider is two._ruleset_resolver._provider
    # Aliased event names are a pure function of botocore's alias table: one memo.
    assert one.meta.events._alias_name_cache is two.meta.events._alias_name_cache
    # Shared: immutable parts only. Each client keeps its own events and Stubber.
    assert one.meta.events is not two.meta.events
    assert one is not two


def test_a_mutated_response_does_not_reach_the_next_client(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("j1"))
    for _ in range(2):
        with replay(cassette):
            out = _client().describe_job_run(virtualClusterId="vc1", id="j1")
            assert out["jobRun"]["state"] == "RUNNING"
            out["jobRun"]["state"] = "MUTATED"
            out["ResponseMetadata"]["HTTPHeaders"].clear()


def test_a_response_botocore_would_reject_fails_once_at_load(tmp_path: Path) -> None:
    # The parser passes a number through where the model says string; Stubber rejects it.
    cassette = _cassette(tmp_path, _describe("j1"), _describe("j1", state=12))
    with pytest.raises(CassetteFormatError) as raised, replay(cassette):
        pass
    message = str(raised.value)
    assert str(cassette.path) in message
    assert "interaction #1 (DescribeJobRun" in message
    assert "jobRun.state" in message
    assert "restore it from version control or re-record" in message


def test_a_request_equal_to_the_recording_needs_no_scrubbing() -> None:
    def refuse(*_: Any) -> Any:
        raise AssertionError("scrubbed although the request is the recording")

    url = f"{HOST}/virtualclusters/vc1/jobruns/j1"
    assert compare("DescribeJobRun", ("GET", url, None), ("GET", url, b""), refuse) == []
    body = '{"name": "x"}'
    assert compare("StartJobRun", ("POST", url, body.encode()), ("post", url, body), refuse) == []


def test_the_live_scrubber_is_built_only_when_a_request_differs(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("j1"), _describe("j2"))
    with replay(cassette) as replaying:
        client = _client()
        client.describe_job_run(virtualClusterId="vc1", id="j1")
        assert replaying.scrubber is None
        with pytest.raises(AssertionError, match="differs from the recording"):
            client.describe_job_run(virtualClusterId="vc1", id="other")
        assert replaying.scrubber is not None


def test_a_secret_key_seen_before_the_scrubber_exists_is_still_swept(tmp_path: Path) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSecretKey1"
    with replay(_cassette(tmp_path, _describe("j1"))) as replaying:
        boto3.client(
            "emr-containers",
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key=secret,
        )
        assert replaying.scrubber is None
        scrubbed = replaying.live_scrubber().scrub_text(f"token={secret}")
    assert secret not in scrubbed


def test_sessions_with_loaders_of_their_own_keep_the_shared_rule_sets_bounded(
    tmp_path: Path,
) -> None:
    jobs = [f"j{n}" for n in range(10)]
    with replay(_cassette(tmp_path, *(_describe(job) for job in jobs))):
        for job in jobs:
            session = botocore.session.Session()
            session.set_config_variable("data_path", str(tmp_path / job))
            _client(session).describe_job_run(virtualClusterId="vc1", id=job)
    assert 0 < len(clients._providers) <= clients._MAX_PROVIDERS
