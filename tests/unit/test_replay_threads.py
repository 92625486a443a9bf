"""Which recorded response a replayed call gets: by its request, from any thread, never twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.errors import RequestMismatchError, UnexpectedCallError
from replay_jobrun.replay.replayer import replay
from tests.support import in_threads

HOST = "https://emr-containers.us-east-1.amazonaws.com"


def _describe(job: str, state: str, serial: int = 0, status: int = 200) -> Interaction:
    if status == 200:
        body: dict[str, Any] = {
            "jobRun": {"id": job, "virtualClusterId": "vc1", "state": state, "name": str(serial)}
        }
        headers = {"Content-Type": ["application/json"]}
    else:
        body = {"message": f"{job} {serial}"}
        headers = {
            "Content-Type": ["application/json"],
            "x-amzn-ErrorType": ["ResourceNotFoundException:http://internal.amazon.com/"],
        }
    return Interaction(
        RecordedRequest("GET", f"{HOST}/virtualclusters/vc1/jobruns/{job}"),
        RecordedResponse(
            status,
            "OK",
            {**headers, "x-amzn-RequestId": [f"req-{serial}"]},
            json.dumps(body).encode(),
        ),
        "DescribeJobRun",
    )


def _list(serial: int) -> Interaction:
    body = {"jobRuns": [{"id": f"listed-{serial}", "state": "RUNNING"}]}
    return Interaction(
        RecordedRequest("GET", f"{HOST}/virtualclusters/vc1/jobruns"),
        RecordedResponse(
            200, "OK", {"Content-Type": ["application/json"]}, json.dumps(body).encode()
        ),
        "ListJobRuns",
    )


def _cassette(tmp_path: Path, *interactions: Interaction) -> Cassette:
    return Cassette(tmp_path / "threads.yaml", interactions, {})


def _client() -> Any:
    return boto3.client("emr-containers", region_name="us-east-1")


def _state(client: Any, job: str) -> str:
    return str(client.describe_job_run(virtualClusterId="vc1", id=job)["jobRun"]["state"])


# --- one thread, calls in another order than recorded ---------------------------------------


def test_a_call_gets_the_earliest_unused_interaction_its_request_matches(tmp_path: Path) -> None:
    cassette = _cassette(
        tmp_path,
        _describe("a", "PENDING"),
        _describe("b", "PENDING"),
        _describe("a", "RUNNING"),
        _describe("b", "COMPLETED"),
    )
    with replay(cassette) as replaying:
        client = _client()
        # b's calls first: each job's polls still come back in their recorded order.
        assert [_state(client, "b"), _state(client, "b")] == ["PENDING", "COMPLETED"]
        assert [_state(client, "a"), _state(client, "a")] == ["PENDING", "RUNNING"]
    assert replaying.unused() == []


def test_strict_order_refuses_a_call_out_of_the_recorded_order(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("a", "PENDING"), _describe("b", "PENDING"))
    with replay(cassette, strict_order=True):
        client = _client()
        with pytest.raises(RequestMismatchError) as raised:
            _state(client, "b")
        assert "interaction #0 (DescribeJobRun)" in str(raised.value)
        assert "  id: recorded 'a', live 'b'" in str(raised.value)
        assert _state(client, "a") == "PENDING"
        assert _state(client, "b") == "PENDING"


def test_an_operation_recorded_later_is_served_before_the_earlier_ones(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("a", "RUNNING"), _list(1))
    with replay(cassette) as replaying:
        client = _client()
        listed = client.list_job_runs(virtualClusterId="vc1")["jobRuns"]
        assert listed[0]["id"] == "listed-1"
        assert _state(client, "a") == "RUNNING"
    assert replaying.unused() == []


# --- no match ------------------------------------------------------------------------------


def test_no_match_names_the_closest_unused_and_why_each_did_not_match(tmp_path: Path) -> None:
    long_job = "j" * 300
    cassette = _cassette(
        tmp_path,
        _list(0),
        _describe("job-1", "RUNNING"),
        _describe(long_job + "x", "RUNNING"),
        _describe("job-2", "RUNNING"),
        _describe("job-3", "RUNNING"),
        _describe("job-4", "RUNNING"),
    )
    with replay(cassette) as replaying, pytest.raises(RequestMismatchError) as raised:
        _state(_client(), long_job + "y")
    message = str(raised.value)
    # The closest comes first, as the single-candidate message always put it.
    assert message.startswith(
        f"{cassette.path}: interaction #1 (DescribeJobRun): the request differs from the recording.\n"
        "  id: recorded 'job-1', live "
    )
    assert (
        "No unused DescribeJobRun matches; the next closest, each with why it did not:" in message
    )
    # Values in full, never cut before the difference.
    assert f"  #2: DescribeJobRun GET /virtualclusters/vc1/jobruns/{long_job}x -> 200:\n" in message
    assert f"    id: recorded '{long_job}x', live '{long_job}y'" in message
    assert "  #3: DescribeJobRun GET /virtualclusters/vc1/jobruns/job-2 -> 200:" in message
    assert "  ... and 2 more" in message
    assert "ListJobRuns" not in message  # another operation is not a close match
    assert "ignore_params" in message
    assert "--jobrun-record-mode=all" in message
    assert len(replaying.unused()) == 6


def test_when_every_interaction_of_the_operation_was_served(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, _describe("a", "RUNNING"), _list(1), _list(2))
    with replay(cassette) as replaying:
        client = _client()
        _state(client, "a")
        with pytest.raises(UnexpectedCallError) as raised:
            _state(client, "a")
    message = str(raised.value)
    assert (
        "interaction #1: the code under test called DescribeJobRun, but each of the 1 " in message
    )
    assert "recorded DescribeJobRun call(s) was answered already" in message
    assert (
        "The closest unused interaction(s):\n  #1: ListJobRuns GET /virtualclusters/vc1/jobruns"
        in (message)
    )
    assert "  #2: ListJobRuns" in message
    assert len(replaying.unused()) == 2


def test_without_request_matching_a_call_gets_the_earliest_unused_of_its_operation(
    tmp_path: Path,
) -> None:
    cassette = _cassette(tmp_path, _list(0), _describe("a", "PENDING"), _describe("b", "RUNNING"))
    with replay(cassette, match_requests=False) as replaying:
        client = _client()
        assert _state(client, "other") == "PENDING"
        assert _state(client, "other") == "RUNNING"
    assert [index for index, _ in replaying.unused()] == [0]


# --- threads -------------------------------------------------------------------------------


@pytest.mark.parametrize("shared", [True, False], ids=["one shared client", "a client each"])
def test_threads_with_different_params_each_get_their_own_in_their_order(
    tmp_path: Path, shared: bool
) -> None:
    threads, polls = 8, 6
    recorded = [
        _describe(f"job-{n}", "RUNNING" if poll < polls - 1 else "COMPLETED", serial=poll)
        for poll in range(polls)
        for n in range(threads)
    ]
    with replay(_cassette(tmp_path, *recorded)) as replaying:
        common = _client()

        def work(n: int) -> list[tuple[str, str, str]]:
            client = common if shared else _client()
            seen = []
            for _ in range(polls):
                run = client.describe_job_run(virtualClusterId="vc1", id=f"job-{n}")["jobRun"]
                seen.append((run["id"], run["name"], run["state"]))
            return seen

        results = in_threads(threads, work)
    for n, seen in enumerate(results):
        assert seen == [
            (f"job-{n}", str(poll), "RUNNING" if poll < polls - 1 else "COMPLETED")
            for poll in range(polls)
        ]
    assert replaying.unused() == []


def test_threads_asking_the_same_never_get_the_same_interaction(tmp_path: Path) -> None:
    # Two groups of 4 threads, each group polling one job: within a group the params are
    # the same, so only the atomic reservation keeps two threads from one response.
    threads, calls = 8, 25
    recorded = [_describe("ab"[i % 2], "RUNNING", serial=i) for i in range(threads * calls)]
    with replay(_cassette(tmp_path, *recorded)) as replaying:
        client = _client()

        def work(n: int) -> list[tuple[str, int]]:
            seen = []
            for _ in range(calls):
                run = client.describe_job_run(virtualClusterId="vc1", id="ab"[n % 2])["jobRun"]
                seen.append((run["id"], int(run["name"])))
            return seen

        results = in_threads(threads, work)
    served = sorted(serial for seen in results for _, serial in seen)
    assert served == list(range(threads * calls))  # each once
    for n, seen in enumerate(results):
        assert {job for job, _ in seen} == {"ab"[n % 2]}  # its own job's responses
        serials = [serial for _, serial in seen]
        assert serials == sorted(serials)  # a later call never gets an earlier response
    assert replaying.unused() == []


# --- any interleaving ----------------------------------------------------------------------

_plans = st.lists(
    st.lists(st.sampled_from([200, 404]), min_size=1, max_size=5), min_size=1, max_size=5
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans=_plans, data=st.data())
def test_any_interleaving_of_threads_gets_each_its_responses_in_recorded_order(
    tmp_path: Path, plans: list[list[int]], data: st.DataObject
) -> None:
    """Thread n polls job-n (its own params); recorded interleaved one way, replayed another."""
    recorded_order = data.draw(st.permutations([n for n, plan in enumerate(plans) for _ in plan]))
    replayed_order = data.draw(st.permutations(recorded_order))
    interactions, polls_so_far = [], [0] * len(plans)
    for n in recorded_order:
        poll = polls_so_far[n]
        polls_so_far[n] += 1
        interactions.append(_describe(f"job-{n}", "RUNNING", serial=poll, status=plans[n][poll]))
    seen: list[list[str]] = [[] for _ in plans]
    with replay(_cassette(tmp_path, *interactions)) as replaying:
        client = _client()
        for n in replayed_order:
            try:
                seen[n].append(
                    client.describe_job_run(virtualClusterId="vc1", id=f"job-{n}")["jobRun"]["name"]
                )
            except client.exceptions.ResourceNotFoundException as err:
                seen[n].append(err.response["message"])
    for n, plan in enumerate(plans):
        assert seen[n] == [
            str(poll) if status == 200 else f"job-{n} {poll}" for poll, status in enumerate(plan)
        ]
    assert replaying.unused() == []
