"""replay.py without a network: botocore parsing, fresh copies, the Stubber-backed Replay."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from replay_jobrun.cassette.format import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from replay_jobrun.cassette.parsed import parse_response
from replay_jobrun.clients import Call
from replay_jobrun.errors import (
    CassetteFormatError,
    RequestMismatchError,
    UnexpectedCallError,
    UnusedInteractionsError,
)
from replay_jobrun.replay.replayer import fresh_copy, replay
from tests import support

# The real DescribeJobRun responses, as committed (scrubbed) in the project's cassettes.
REAL_CASSETTES = support.CASSETTES / "real"
DESCRIBE_CASSETTES = sorted(REAL_CASSETTES.glob("describe-job-run_*.yaml"))
LONG_STATE_DETAILS = REAL_CASSETTES / "describe-job-run_failed-user-error_sparkpilot-1.yaml"

HOST = "https://emr-containers.us-east-1.amazonaws.com"
ERROR_TYPE = "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.elasticmapreduce.containers/"


def _describe(job: str, body: bytes, status: int = 200, **headers: str) -> Interaction:
    return Interaction(
        RecordedRequest("GET", f"{HOST}/virtualclusters/vc1/jobruns/{job}"),
        RecordedResponse(
            status,
            "OK" if status < 300 else "Not Found",
            {
                "Content-Type": ["application/json"],
                "x-amzn-RequestId": [f"req-{job}"],
                **{name.replace("_", "-"): [value] for name, value in headers.items()},
            },
            body,
        ),
        "DescribeJobRun",
    )


def _run(job: str, state: str) -> Interaction:
    body = {
        "jobRun": {"id": job, "virtualClusterId": "vc1", "state": state, "createdAt": 1774214571}
    }
    return _describe(job, json.dumps(body).encode())


def _not_found(job: str = "x") -> Interaction:
    return _describe(
        job,
        json.dumps({"message": f"Job run {job} doesn't exist."}).encode(),
        404,
        x_amzn_ErrorType=ERROR_TYPE,
    )


def _real_body(path: Path) -> bytes:
    """The JSON body of a committed single-interaction DescribeJobRun cassette."""
    (interaction,) = load_cassette(path).interactions
    assert interaction.operation == "DescribeJobRun"
    return interaction.response.decoded_body()


def _cassette(tmp_path: Path, *interactions: Interaction) -> Cassette:
    return Cassette(
        tmp_path / "hand-built.yaml",
        interactions,
        {"operations": [i.operation for i in interactions]},
    )


# --- parse_response on real bodies ------------------------------------------------------------


def test_the_real_describe_job_run_cassettes_are_there() -> None:
    assert len(DESCRIBE_CASSETTES) == 5, REAL_CASSETTES
    assert LONG_STATE_DETAILS in DESCRIBE_CASSETTES


@pytest.mark.parametrize("source", DESCRIBE_CASSETTES, ids=lambda path: path.stem)
def test_a_real_body_parses_like_botocore_parses_it(source: Path) -> None:
    raw = _real_body(source)
    expected = json.loads(raw)["jobRun"]
    parsed = parse_response(_describe("job", raw, x_amzn_RequestId="req-real")).parsed
    run = parsed["jobRun"]
    assert set(run) == set(expected)
    for field in ("createdAt", "finishedAt"):
        assert isinstance(run[field], datetime.datetime)
        assert run[field].tzinfo is not None
        assert run[field].utcoffset() is not None
    created = datetime.datetime.fromisoformat(expected["createdAt"].replace("Z", "+00:00"))
    assert run["createdAt"] == created
    assert (run["id"], run["state"], run["arn"]) == (
        expected["id"],
        expected["state"],
        expected["arn"],
    )
    metadata = parsed["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RequestId"] == "req-real"
    assert metadata["RetryAttempts"] == 0
    assert metadata["HTTPHeaders"]["content-type"] == "application/json"
    assert metadata["HTTPHeaders"]["x-amzn-requestid"] == "req-real"
    assert all(name == name.lower() for name in metadata["HTTPHeaders"])


def test_a_state_details_longer_than_the_model_allows_survives_intact() -> None:
    raw = _real_body(LONG_STATE_DETAILS)
    original = json.loads(raw)["jobRun"]["stateDetails"]
    assert len(original) == 313  # the model says at most 256
    parsed = parse_response(_describe("job", raw)).parsed
    assert parsed["jobRun"]["stateDetails"] == original


def test_the_long_state_details_also_survive_the_stubber(tmp_path: Path) -> None:
    raw = _real_body(LONG_STATE_DETAILS)
    run = json.loads(raw)["jobRun"]
    interaction = Interaction(
        RecordedRequest(
            "GET", f"{HOST}/virtualclusters/{run['virtualClusterId']}/jobruns/{run['id']}"
        ),
        _describe("job", raw).response,
        "DescribeJobRun",
    )
    with replay(_cassette(tmp_path, interaction)) as replaying:
        result = replaying.client.describe_job_run(
            virtualClusterId=run["virtualClusterId"], id=run["id"]
        )
    assert result["jobRun"]["stateDetails"] == run["stateDetails"]
    assert result["jobRun"]["failureReason"] == "USER_ERROR"


def test_repeated_headers_are_joined_and_names_lowercased() -> None:
    interaction = _run("j1", "RUNNING")
    headers = {
        **interaction.response.headers,
        "X-Multi": ["a", "b"],
        "Transfer-Encoding": ["chunked"],
    }
    response = RecordedResponse(200, "OK", headers, interaction.response.body)
    parsed = parse_response(Interaction(interaction.request, response, "DescribeJobRun")).parsed
    http_headers = parsed["ResponseMetadata"]["HTTPHeaders"]
    assert http_headers["x-multi"] == "a, b"
    assert "transfer-encoding" not in http_headers


def test_an_error_response_parses_to_the_modeled_error() -> None:
    parsed = parse_response(_not_found()).parsed
    assert parsed["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Job run x doesn't exist.",
    }
    assert parsed["message"] == "Job run x doesn't exist."
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert parse_response(_not_found()).is_error


def test_an_interaction_of_no_known_operation_is_a_format_error(tmp_path: Path) -> None:
    stray = Interaction(
        RecordedRequest("PUT", "https://bucket.s3.amazonaws.com/k"), RecordedResponse(200, "OK")
    )
    with pytest.raises(CassetteFormatError) as raised:
        parse_response(stray, tmp_path / "c.yaml", 3)
    message = str(raised.value)
    assert str(tmp_path / "c.yaml") in message
    assert "interaction #3 (PUT https://bucket.s3.amazonaws.com/k)" in message
    assert "not an emr-containers operation" in message


def test_a_truncated_body_is_a_format_error_naming_the_interaction(tmp_path: Path) -> None:
    broken = _describe("j1", b'{"jobRun": {"createdAt": "yesterday"}}')
    with pytest.raises(CassetteFormatError) as raised:
        parse_response(broken, tmp_path / "c.yaml", 1)
    message = str(raised.value)
    assert "interaction #1 (DescribeJobRun GET /virtualclusters/vc1/jobruns/j1 -> 200)" in message
    assert "Fix: " in message


# --- fresh_copy ---------------------------------------------------------------------------


def test_fresh_copy_returns_new_containers_and_shares_immutable_leaves() -> None:
    when = datetime.datetime(2026, 3, 22, tzinfo=datetime.timezone.utc)
    source: dict[str, Any] = {"jobRun": {"createdAt": when, "args": ["10", {"k": "v"}]}, "n": 1}
    copy = fresh_copy(source)
    assert copy == source
    assert copy is not source
    assert copy["jobRun"] is not source["jobRun"]
    assert copy["jobRun"]["args"] is not source["jobRun"]["args"]
    assert copy["jobRun"]["args"][1] is not source["jobRun"]["args"][1]
    assert copy["jobRun"]["createdAt"] is when


def test_mutating_a_fresh_copy_leaves_the_source_unchanged() -> None:
    source: dict[str, Any] = {"jobRun": {"state": "RUNNING", "args": ["10"], "tags": {"a": "b"}}}
    copy = fresh_copy(source)
    copy["jobRun"]["state"] = "FAILED"
    copy["jobRun"]["args"].append("20")
    copy["jobRun"]["tags"].clear()
    copy["extra"] = True
    assert source == {"jobRun": {"state": "RUNNING", "args": ["10"], "tags": {"a": "b"}}}


# --- Replay through the Stubber ------------------------------------------------------------


def test_responses_come_back_in_recorded_order_and_calls_are_recorded(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"), _run("j2", "COMPLETED"))
    with replay(cassette) as replaying:
        first = replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
        second = replaying.client.describe_job_run(virtualClusterId="vc1", id="j2")
    assert (first["jobRun"]["id"], first["jobRun"]["state"]) == ("j1", "RUNNING")
    assert (second["jobRun"]["id"], second["jobRun"]["state"]) == ("j2", "COMPLETED")
    assert first["ResponseMetadata"]["RequestId"] == "req-j1"
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert first["jobRun"]["createdAt"].tzinfo is not None
    assert replaying.calls == [
        Call("DescribeJobRun", {"virtualClusterId": "vc1", "id": "j1"}),
        Call("DescribeJobRun", {"virtualClusterId": "vc1", "id": "j2"}),
    ]
    assert replaying.unused() == []
    replaying.assert_all_used()


def test_an_unused_response_is_listed_and_fails_assert_all_used(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"), _run("j2", "COMPLETED"))
    with replay(cassette) as replaying:
        replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
    assert replaying.unused() == [(1, cassette.interactions[1])]
    with pytest.raises(UnusedInteractionsError) as raised:
        replaying.assert_all_used()
    message = str(raised.value)
    assert str(cassette.path) in message
    assert "1 recorded response(s) were not requested" in message
    assert "#1: DescribeJobRun GET /virtualclusters/vc1/jobruns/j2 -> 200" in message
    assert "allow_unused=True" in message
    assert "jobruns/j1" not in message
    assert isinstance(raised.value, AssertionError)


def test_nothing_called_leaves_every_response_unused(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"), _run("j2", "COMPLETED"))
    with replay(cassette) as replaying:
        pass
    assert [index for index, _ in replaying.unused()] == [0, 1]
    assert replaying.calls == []


def test_responses_are_fresh_copies_on_every_access(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"), _run("j1", "RUNNING"))
    with replay(cassette) as replaying:
        listed = replaying.responses
        listed[0]["jobRun"]["state"] = "MUTATED"
        assert replaying.responses[0]["jobRun"]["state"] == "RUNNING"
        first = replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
        first["jobRun"]["state"] = "MUTATED"
        second = replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
    assert second["jobRun"]["state"] == "RUNNING"


def test_an_error_response_raises_the_modeled_exception(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _not_found("x"))) as replaying:
        client = replaying.client
        with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
            client.describe_job_run(virtualClusterId="vc1", id="x")
    error = raised.value
    assert isinstance(error, ClientError)
    assert error.response["message"] == "Job run x doesn't exist."
    assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error.response["Error"]["Message"] == "Job run x doesn't exist."
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error.response["ResponseMetadata"]["RequestId"] == "req-x"
    assert replaying.unused() == []


def test_a_request_that_differs_from_the_recording_is_refused(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"))
    with replay(cassette) as replaying, pytest.raises(RequestMismatchError) as raised:
        replaying.client.describe_job_run(virtualClusterId="vc1", id="other")
    message = str(raised.value)
    assert str(cassette.path) in message
    assert "interaction #0 (DescribeJobRun)" in message
    assert "  id: recorded 'j1', live 'other'" in message
    assert replaying.unused() == [(0, cassette.interactions[0])]


def test_a_mismatch_is_ignored_without_request_matching(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _run("j1", "RUNNING")), match_requests=False) as replaying:
        result = replaying.client.describe_job_run(virtualClusterId="vc1", id="other")
    assert result["jobRun"]["id"] == "j1"


def test_a_call_past_the_end_of_the_cassette_is_an_unexpected_call(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"))
    with replay(cassette) as replaying:
        replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
        with pytest.raises(UnexpectedCallError) as raised:
            replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
    message = str(raised.value)
    assert "interaction #1" in message
    assert "the cassette holds only 1 interaction(s)" in message


def test_another_operation_than_recorded_next_is_an_unexpected_call_in_strict_order(
    tmp_path: Path,
) -> None:
    with (
        replay(_cassette(tmp_path, _run("j1", "RUNNING")), strict_order=True) as replaying,
        pytest.raises(UnexpectedCallError) as raised,
    ):
        replaying.client.cancel_job_run(virtualClusterId="vc1", id="j1")
    assert "called CancelJobRun" in str(raised.value)
    assert "DescribeJobRun GET /virtualclusters/vc1/jobruns/j1 -> 200 next" in str(raised.value)


def test_an_operation_the_cassette_lacks_is_an_unexpected_call_listing_the_unused(
    tmp_path: Path,
) -> None:
    with (
        replay(_cassette(tmp_path, _run("j1", "RUNNING"))) as replaying,
        pytest.raises(UnexpectedCallError) as raised,
    ):
        replaying.client.cancel_job_run(virtualClusterId="vc1", id="j1")
    message = str(raised.value)
    assert "interaction #0: the code under test called CancelJobRun" in message
    assert "the cassette holds no CancelJobRun" in message
    assert "  #0: DescribeJobRun GET /virtualclusters/vc1/jobruns/j1 -> 200: another operation" in (
        message
    )
    assert "re-record" in message


def test_the_region_comes_from_the_recorded_host(tmp_path: Path) -> None:
    interaction = _run("j1", "RUNNING")
    request = RecordedRequest("GET", interaction.request.uri.replace("us-east-1", "eu-west-1"))
    cassette = Cassette(
        tmp_path / "c.yaml", (Interaction(request, interaction.response, "DescribeJobRun"),)
    )
    with replay(cassette) as replaying:
        assert replaying.region == "eu-west-1"
        assert replaying.client.meta.region_name == "eu-west-1"


def test_skip_sleep_returns_at_once_and_records_the_durations(tmp_path: Path) -> None:
    original = time.sleep
    with replay(_cassette(tmp_path, _run("j1", "RUNNING")), skip_sleep=True) as replaying:
        started = time.monotonic()
        time.sleep(30)
        time.sleep(0.5)
        assert time.monotonic() - started < 5
        replaying.client.describe_job_run(virtualClusterId="vc1", id="j1")
    assert replaying.slept == [30, 0.5]
    assert time.sleep is original


def test_without_skip_sleep_time_sleep_is_untouched(tmp_path: Path) -> None:
    original = time.sleep
    with replay(_cassette(tmp_path, _run("j1", "RUNNING"))) as replaying:
        assert time.sleep is original
        time.sleep(0)
    assert replaying.slept == []


def test_a_client_created_inside_the_block_needs_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    cassette = _cassette(tmp_path, _run("j1", "RUNNING"), _run("j1", "COMPLETED"))
    # Outside a replay, such a client has no credentials to sign with.
    bare = botocore.session.Session().create_client("emr-containers", region_name="us-east-1")
    with pytest.raises(NoCredentialsError):
        bare.describe_job_run(virtualClusterId="vc1", id="j1")
    with replay(cassette) as replaying:
        client = botocore.session.Session().create_client("emr-containers", region_name="us-east-1")
        assert (
            client.describe_job_run(virtualClusterId="vc1", id="j1")["jobRun"]["state"] == "RUNNING"
        )
        other = botocore.session.Session().create_client("emr-containers")  # no region anywhere
        assert (
            other.describe_job_run(virtualClusterId="vc1", id="j1")["jobRun"]["state"]
            == "COMPLETED"
        )
    assert replaying.unused() == []
    assert no_network == []


def test_clients_of_other_services_are_not_intercepted(tmp_path: Path) -> None:
    with replay(_cassette(tmp_path, _run("j1", "RUNNING"))) as replaying:
        sts = botocore.session.Session().create_client("sts", region_name="us-east-1")
        assert sts.meta.service_model.service_name == "sts"
        assert not hasattr(sts, "describe_job_run")
    assert replaying.calls == []
