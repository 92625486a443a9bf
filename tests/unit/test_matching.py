"""matching.py: requests mapped back to params through the model, and compared."""

from __future__ import annotations

import json
from typing import Any

import pytest

from replay_jobrun.replay.matching import compare, differences, request_params, without
from replay_jobrun.scrub.patterns import pseudonym_account_id
from replay_jobrun.scrub.scrubber import Scrubber

HOST = "https://emr-containers.us-east-1.amazonaws.com"
LOCAL = "http://127.0.0.1:5000"
JOBRUNS = "/virtualclusters/vc1/jobruns"
ACCOUNT = "604193857261"


def as_is(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
    return url, body


def text_rules(scrubber: Scrubber) -> Any:
    """The scrubber's text rules only (no model-driven redaction) applied to the live side."""

    def scrub(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        return scrubber.scrub_text(url), scrubber.scrub_text(body) if body else body

    return scrub


def _start_body(**overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "name": "nightly",
        "clientToken": "11111111-2222-3333-4444-555555555555",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/JobRole",
        "releaseLabel": "emr-7.10.0-latest",
        "jobDriver": {
            "sparkSubmitJobDriver": {
                "entryPoint": "local:///opt/spark/jobs/etl.py",
                "entryPointArguments": ["10"],
            }
        },
    }
    body.update(overrides)
    return json.dumps(body).encode()


# --- request_params -------------------------------------------------------------------------


def test_uri_labels_become_param_names() -> None:
    params = request_params("DescribeJobRun", "get", f"{HOST}{JOBRUNS}/job1", None)
    assert params == {"(method)": "GET", "virtualClusterId": "vc1", "id": "job1"}


def test_uri_labels_are_percent_decoded() -> None:
    arn = f"arn:aws:emr-containers:us-east-1:{ACCOUNT}:/virtualclusters/vc1"
    encoded = arn.replace(":", "%3A").replace("/", "%2F")
    params = request_params("ListTagsForResource", "GET", f"{HOST}/tags/{encoded}", None)
    assert params["resourceArn"] == arn


def test_a_trailing_slash_still_matches_the_labels() -> None:
    params = request_params("DescribeJobRun", "GET", f"{HOST}{JOBRUNS}/job1/", None)
    assert (params["virtualClusterId"], params["id"]) == ("vc1", "job1")


def test_a_path_that_does_not_fit_the_operation_is_kept_whole() -> None:
    params = request_params("DescribeJobRun", "GET", f"{HOST}/something/else", None)
    assert params == {"(method)": "GET", "(path)": "/something/else"}


def test_query_string_members_and_repeated_ones_become_lists() -> None:
    url = f"{HOST}{JOBRUNS}?states=RUNNING&states=PENDING&states=SUBMITTED&maxResults=5&name=n%20x"
    params = request_params("ListJobRuns", "GET", url, None)
    assert params == {
        "(method)": "GET",
        "virtualClusterId": "vc1",
        "states": ["RUNNING", "PENDING", "SUBMITTED"],
        "maxResults": "5",
        "name": "n x",
    }


def test_a_single_query_value_stays_a_string() -> None:
    params = request_params("ListJobRuns", "GET", f"{HOST}{JOBRUNS}?states=RUNNING", None)
    assert params["states"] == "RUNNING"


def test_json_body_members_are_params_and_the_idempotency_token_is_dropped() -> None:
    params = request_params("StartJobRun", "POST", f"{HOST}{JOBRUNS}", _start_body())
    assert "clientToken" not in params
    assert params["virtualClusterId"] == "vc1"
    assert params["name"] == "nightly"
    assert params["releaseLabel"] == "emr-7.10.0-latest"
    assert params["jobDriver"]["sparkSubmitJobDriver"]["entryPointArguments"] == ["10"]


def test_a_body_given_as_text_is_read_like_bytes() -> None:
    as_bytes = request_params("StartJobRun", "POST", f"{HOST}{JOBRUNS}", _start_body())
    as_text = request_params("StartJobRun", "POST", f"{HOST}{JOBRUNS}", _start_body().decode())
    assert as_text == as_bytes


def test_a_body_that_is_not_a_json_object_is_kept_as_one_param() -> None:
    url = f"{HOST}{JOBRUNS}"
    assert request_params("StartJobRun", "POST", url, b"not json")["(body)"] == "not json"
    assert request_params("StartJobRun", "POST", url, b"[1, 2]")["(body)"] == [1, 2]


def test_an_empty_body_adds_nothing() -> None:
    url = f"{HOST}{JOBRUNS}/job1"
    assert request_params("CancelJobRun", "DELETE", url, b"") == request_params(
        "CancelJobRun", "DELETE", url, None
    )


# --- compare -------------------------------------------------------------------------------


def test_identical_requests_match() -> None:
    request = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    assert compare("StartJobRun", request, request, as_is) == []


def test_requests_differing_only_in_client_token_and_host_match() -> None:
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    live = ("POST", f"{LOCAL}{JOBRUNS}", _start_body(clientToken="ffffffff-0000-0000-0000-0"))
    assert compare("StartJobRun", recorded, live, as_is) == []


def test_key_order_and_whitespace_of_the_body_do_not_matter() -> None:
    parsed = json.loads(_start_body())
    pretty = json.dumps(parsed, indent=2, sort_keys=True).encode()
    recorded = ("POST", f"{HOST}{JOBRUNS}", pretty)
    live = ("POST", f"{HOST}{JOBRUNS}", _start_body().decode())
    assert compare("StartJobRun", recorded, live, as_is) == []


def test_a_difference_names_the_param_recorded_value_first() -> None:
    recorded = ("GET", f"{HOST}{JOBRUNS}/job1", None)
    live = ("GET", f"{HOST}{JOBRUNS}/job2", None)
    assert compare("DescribeJobRun", recorded, live, as_is) == [
        "  id: recorded 'job1', live 'job2'"
    ]


def test_every_difference_gets_a_line_sorted_by_param() -> None:
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    live_body = json.loads(_start_body(name="weekly", releaseLabel="emr-6.15.0-latest"))
    live_body["retryPolicy"] = {"maxAttempts": 2}
    live = ("POST", f"{HOST}/virtualclusters/vc2/jobruns", json.dumps(live_body))
    assert compare("StartJobRun", recorded, live, as_is) == [
        "  name: recorded 'nightly', live 'weekly'",
        "  releaseLabel: recorded 'emr-7.10.0-latest', live 'emr-6.15.0-latest'",
        "  retryPolicy: not in the recording, live {'maxAttempts': 2}",
        "  virtualClusterId: recorded 'vc1', live 'vc2'",
    ]


def test_a_param_missing_from_the_live_call_is_named() -> None:
    recorded = ("GET", f"{HOST}{JOBRUNS}?states=RUNNING&maxResults=5", None)
    live = ("GET", f"{HOST}{JOBRUNS}?states=RUNNING", None)
    assert compare("ListJobRuns", recorded, live, as_is) == [
        "  maxResults: recorded '5', missing from the live call"
    ]


def test_a_different_method_is_a_difference() -> None:
    recorded = ("GET", f"{HOST}{JOBRUNS}/job1", None)
    live = ("DELETE", f"{HOST}{JOBRUNS}/job1", None)
    assert compare("DescribeJobRun", recorded, live, as_is) == [
        "  (method): recorded 'GET', live 'DELETE'"
    ]


def test_long_values_are_shown_in_full() -> None:
    # A value cut short could hide the one character that differs.
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body(name="a" * 499 + "x"))
    live = ("POST", f"{HOST}{JOBRUNS}", _start_body(name="a" * 499 + "y"))
    (line,) = compare("StartJobRun", recorded, live, as_is)
    assert line == f"  name: recorded '{'a' * 499}x', live '{'a' * 499}y'"


def test_a_nested_difference_names_its_leaf_path() -> None:
    nested = {"sparkSubmitJobDriver": {"entryPoint": "s3://other/etl.py"}}
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    live = ("POST", f"{HOST}{JOBRUNS}", _start_body(jobDriver=nested))
    lines = compare("StartJobRun", recorded, live, as_is)
    assert all(line.startswith("  jobDriver.sparkSubmitJobDriver.") for line in lines), lines
    (entry_point,) = [line for line in lines if ".entryPoint: " in line]
    assert entry_point.endswith(", live 's3://other/etl.py'")


def test_ignore_params_with_a_dotted_path_ignores_a_nested_difference() -> None:
    driver = {
        "sparkSubmitJobDriver": {"entryPoint": "s3://other/etl.py", "entryPointArguments": ["10"]}
    }
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    live = ("POST", f"{HOST}{JOBRUNS}", _start_body(jobDriver=driver))
    ignored = ["jobDriver.sparkSubmitJobDriver.entryPoint"]
    assert compare("StartJobRun", recorded, live, as_is, ignored) == []


def test_a_dotted_ignore_leaves_sibling_differences_visible() -> None:
    driver = {
        "sparkSubmitJobDriver": {"entryPoint": "s3://other/etl.py", "entryPointArguments": ["20"]}
    }
    recorded = ("POST", f"{HOST}{JOBRUNS}", _start_body())
    live = ("POST", f"{HOST}{JOBRUNS}", _start_body(jobDriver=driver))
    ignored = ["jobDriver.sparkSubmitJobDriver.entryPoint"]
    (line,) = compare("StartJobRun", recorded, live, as_is, ignored)
    assert "entryPointArguments" in line
    assert "'20'" in line


def test_ignoring_a_top_level_or_query_param() -> None:
    recorded = ("GET", f"{HOST}{JOBRUNS}?createdAfter=2026-01-01T00%3A00%3A00Z&maxResults=5", None)
    live = ("GET", f"{HOST}{JOBRUNS}?createdAfter=2026-02-02T00%3A00%3A00Z&maxResults=5", None)
    assert compare("ListJobRuns", recorded, live, as_is) != []
    assert compare("ListJobRuns", recorded, live, as_is, ("createdAfter",)) == []


def test_ignoring_a_path_that_does_not_exist_is_harmless() -> None:
    recorded = ("GET", f"{HOST}{JOBRUNS}/job1", None)
    live = ("GET", f"{HOST}{JOBRUNS}/job2", None)
    ignored = ["nope", "id.deeper", "jobDriver.sparkSubmitJobDriver.entryPoint"]
    assert compare("DescribeJobRun", recorded, live, as_is, ignored) == [
        "  id: recorded 'job1', live 'job2'"
    ]


def test_a_real_account_id_matches_its_pseudonym_after_the_scrubbers_text_rules() -> None:
    fake = pseudonym_account_id(ACCOUNT)
    recorded_body = _start_body(executionRoleArn=f"arn:aws:iam::{fake}:role/JobRole")
    recorded = ("POST", f"{HOST}{JOBRUNS}", recorded_body)
    live = ("POST", f"{LOCAL}{JOBRUNS}", _start_body())
    (line,) = compare("StartJobRun", recorded, live, as_is)
    assert line.startswith("  executionRoleArn: ")
    assert compare("StartJobRun", recorded, live, text_rules(Scrubber())) == []
    # A fresh scrubber that knows the cassette's pseudonyms agrees too.
    assert (
        compare("StartJobRun", recorded, live, text_rules(Scrubber(known_pseudonyms=[fake]))) == []
    )


def test_an_account_id_in_a_uri_label_matches_its_pseudonym() -> None:
    fake = pseudonym_account_id(ACCOUNT)
    live_url = (
        f"{HOST}/tags/arn%3Aaws%3Aemr-containers%3Aus-east-1%3A{ACCOUNT}%3A%2Fvirtualclusters%2Fvc1"
    )
    recorded = ("GET", live_url.replace(ACCOUNT, fake), None)
    live = ("GET", live_url, None)
    assert compare("ListTagsForResource", recorded, live, as_is) != []
    assert compare("ListTagsForResource", recorded, live, text_rules(Scrubber())) == []


def test_a_different_account_still_differs_after_scrubbing() -> None:
    fake = pseudonym_account_id(ACCOUNT)
    recorded = (
        "POST",
        f"{HOST}{JOBRUNS}",
        _start_body(executionRoleArn=f"arn:aws:iam::{fake}:role/JobRole"),
    )
    live = (
        "POST",
        f"{HOST}{JOBRUNS}",
        _start_body(executionRoleArn="arn:aws:iam::111122223333:role/JobRole"),
    )
    (line,) = compare("StartJobRun", recorded, live, text_rules(Scrubber()))
    assert line.startswith("  executionRoleArn: ")
    assert "111122223333" not in line  # the live side is shown scrubbed


def test_the_live_side_is_handed_to_scrub_live_as_text() -> None:
    seen: list[tuple[str, str, str | None]] = []

    def spy(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        seen.append((operation, url, body))
        return url, body

    body = _start_body()
    compare(
        "StartJobRun", ("POST", f"{HOST}{JOBRUNS}", body), ("POST", f"{LOCAL}{JOBRUNS}", body), spy
    )
    assert seen == [("StartJobRun", f"{LOCAL}{JOBRUNS}", body.decode())]


# --- helpers --------------------------------------------------------------------------------


def test_without_copies_and_drops_dotted_paths() -> None:
    params = {"a": {"b": {"c": 1, "d": 2}}, "e": [1, 2]}
    trimmed = without(params, ["a.b.c", "e"])
    assert trimmed == {"a": {"b": {"d": 2}}}
    assert params == {"a": {"b": {"c": 1, "d": 2}}, "e": [1, 2]}


@pytest.mark.parametrize(
    ("recorded", "live", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {}, ["  a: recorded 1, missing from the live call"]),
        ({}, {"a": 1}, ["  a: not in the recording, live 1"]),
        ({"a": None}, {}, ["  a: recorded None, missing from the live call"]),
        pytest.param(
            {"tags": {"run": "1", "team": "x"}},
            {"tags": {"run": "2", "team": "x"}},
            ["  tags.run: recorded '1', live '2'"],
            id="map-key",
        ),
        pytest.param(
            {"p": {"spark.app.name": "a", "ok": 1}},
            {"p": {"spark.app.name": "b", "ok": 1}},
            ["  p['spark.app.name']: recorded 'a', live 'b'"],
            id="dotted-key",
        ),
        pytest.param(
            {"args": ["x", "1", "z"]},
            {"args": ["x", "2", "z"]},
            ["  args[1]: recorded '1', live '2'"],
            id="list-item",
        ),
        pytest.param(
            {"args": ["x"]},
            {"args": ["x", "y"]},
            ["  args: recorded ['x'], live ['x', 'y']"],
            id="list-length",
        ),
        pytest.param(
            {"c": {"a": 1}},
            {"c": {"b": 1}},
            [
                "  c.a: recorded 1, missing from the live call",
                "  c.b: not in the recording, live 1",
            ],
            id="member-moved",
        ),
    ],
)
def test_differences(recorded: dict[str, Any], live: dict[str, Any], expected: list[str]) -> None:
    assert differences(recorded, live) == expected
