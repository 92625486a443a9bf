from __future__ import annotations

import json

from replay_jobrun.matching import compare, request_params
from replay_jobrun.scrub import Scrubber

HOST = "https://emr-containers.us-east-1.amazonaws.com"


def as_is(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
    return url, body


START = f"{HOST}/virtualclusters/vc1/jobruns"


def _start_body(**overrides: object) -> bytes:
    body = {
        "name": "nightly",
        "clientToken": "11111111-2222-3333-4444-555555555555",
        "executionRoleArn": "arn:aws:iam::123456789012:role/JobRole",
        "releaseLabel": "emr-7.10.0-latest",
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_params_come_from_labels_query_and_body_without_idempotency_tokens() -> None:
    described = request_params(
        "DescribeJobRun", "GET", f"{HOST}/virtualclusters/vc1/jobruns/job1", None
    )
    assert described == {"(method)": "GET", "virtualClusterId": "vc1", "id": "job1"}
    listed = request_params(
        "ListJobRuns", "GET", f"{START}?states=RUNNING&states=PENDING&maxResults=5", None
    )
    assert listed["states"] == ["RUNNING", "PENDING"]
    assert listed["maxResults"] == "5"
    started = request_params("StartJobRun", "POST", START, _start_body())
    assert "clientToken" not in started
    assert started["jobDriver"] == {"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}}


def test_host_and_client_token_never_make_a_mismatch() -> None:
    recorded = ("POST", START, _start_body())
    live = ("POST", START.replace(HOST, "http://127.0.0.1:5000"), _start_body(clientToken="other"))
    assert compare("StartJobRun", recorded, live, as_is) == []


def test_a_difference_is_named_by_param_recorded_value_first() -> None:
    problems = compare(
        "StartJobRun",
        ("POST", START, _start_body()),
        ("POST", START, _start_body(name="weekly")),
        as_is,
    )
    assert problems == ["  name: recorded 'nightly', live 'weekly'"]


def test_ignored_params_can_be_nested() -> None:
    live_body = _start_body(jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://other/etl.py"}})
    recorded, live = ("POST", START, _start_body()), ("POST", START, live_body)
    assert compare("StartJobRun", recorded, live, as_is) != []
    assert (
        compare("StartJobRun", recorded, live, as_is, ["jobDriver.sparkSubmitJobDriver.entryPoint"])
        == []
    )


def test_a_real_account_id_matches_its_pseudonym_after_scrubbing() -> None:
    scrubber = Scrubber()
    _, recorded_body = scrubber.scrub_live("StartJobRun", START, _start_body().decode())
    assert recorded_body is not None
    assert "123456789012" not in recorded_body
    assert "s3://bucket/etl.py" not in recorded_body  # a sensitive shape: redacted
    recorded, live = ("POST", START, recorded_body), ("POST", START, _start_body())
    assert compare("StartJobRun", recorded, live, as_is) != []
    assert (
        compare(
            "StartJobRun", recorded, live, Scrubber(known_pseudonyms=scrubber.pseudonyms).scrub_live
        )
        == []
    )
