"""cassette/retries.py: which interactions are attempts of one call, checked on load; and how
replay serves them (one call), old cassettes (as before, with a warning) and bad groupings."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from replay_jobrun import replay
from replay_jobrun.cassette.format import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
)
from replay_jobrun.cassette.retries import calls_by_invocation, metadata_entries
from replay_jobrun.errors import (
    CassetteFormatError,
    UnexpectedCallError,
    UnrecordedRetriesWarning,
    UnusedInteractionsError,
)
from replay_jobrun.record.recorder import write_scrubbed
from replay_jobrun.scrub.scrubber import Scrubber

HOST = "https://emr-containers.us-east-1.amazonaws.com"


def _describe(
    status: int = 200,
    *,
    job: str = "job1",
    state: str = "RUNNING",
    attempt: str | None = None,
    invocation: str | None = None,
) -> Interaction:
    headers: dict[str, list[str]] = {}
    if attempt is not None:
        headers["amz-sdk-request"] = [attempt]
    if invocation is not None:
        headers["amz-sdk-invocation-id"] = [invocation]
    if status == 200:
        body = json.dumps({"jobRun": {"id": job, "virtualClusterId": "vc1", "state": state}})
        response_headers = {"Content-Type": ["application/json"]}
    else:
        body = json.dumps({"message": "Rate exceeded"})
        response_headers = {
            "Content-Type": ["application/json"],
            "x-amzn-ErrorType": ["ThrottlingException"],
        }
    return Interaction(
        RecordedRequest("GET", f"{HOST}/virtualclusters/vc1/jobruns/{job}", headers, None),
        RecordedResponse(
            status, "OK" if status == 200 else "Too Many Requests", response_headers, body.encode()
        ),
        "DescribeJobRun",
    )


def _write(path: Path, *interactions: Interaction, retries: Any = None) -> Path:
    metadata: dict[str, Any] = {"operations": [i.operation for i in interactions]}
    if retries is not None:
        metadata["retries"] = retries
    path.write_text(dump_cassette(Cassette(path, interactions, metadata)), encoding="utf-8")
    return path


def _client() -> Any:
    return botocore.session.get_session().create_client("emr-containers", region_name="us-east-1")


def _seen(client: Any, job: str = "job1") -> tuple[Any, ...]:
    try:
        response = client.describe_job_run(virtualClusterId="vc1", id=job)
    except ClientError as err:
        meta = err.response["ResponseMetadata"]
        return ("error", str(err), meta["RetryAttempts"], meta.get("MaxAttemptsReached"))
    meta = response["ResponseMetadata"]
    return (
        "ok",
        response["jobRun"]["state"],
        meta["RetryAttempts"],
        meta.get("MaxAttemptsReached"),
    )


THROTTLED_TWICE = (
    _describe(429, attempt="attempt=1; max=3"),
    _describe(429, attempt="attempt=2; max=3"),
    _describe(state="SUBMITTED", attempt="attempt=3; max=3"),
    _describe(state="RUNNING"),
    _describe(429, attempt="attempt=1; max=3"),
    _describe(429, attempt="attempt=2; max=3"),
    _describe(429, attempt="attempt=3; max=3"),
)
GROUPS = [
    {"interactions": [0, 1, 2]},
    {"interactions": [4, 5, 6], "MaxAttemptsReached": True},
]


# --- replay serves each retried call as one -------------------------------------------------


def test_a_retried_call_replays_as_one_call_with_its_retry_attempts(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", *THROTTLED_TWICE, retries=GROUPS)
    with replay(path, skip_sleep=True) as replaying:
        client = _client()
        seen = [_seen(client) for _ in range(3)]
    assert seen == [
        ("ok", "SUBMITTED", 2, None),
        ("ok", "RUNNING", 0, None),
        (
            "error",
            "An error occurred (ThrottlingException) when calling the DescribeJobRun operation "
            "(reached max retries: 2): Rate exceeded",
            2,
            True,
        ),
    ]
    assert replaying.unused() == []
    assert replaying.slept == []
    assert len(replaying.responses) == 3
    assert "served=7/7" in repr(replaying)


def test_an_unused_retried_call_is_named_once_with_all_its_attempts(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", *THROTTLED_TWICE, retries=GROUPS)
    with replay(path) as replaying:
        _seen(_client())
    assert [index for index, _ in replaying.unused()] == [3, 4, 5, 6]
    with pytest.raises(UnusedInteractionsError) as raised:
        replaying.assert_all_used()
    message = str(raised.value)
    assert "4 recorded response(s) were not requested" in message
    assert "#3: DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 200" in message
    assert (
        "#4-#6: DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 429, 429, 429 "
        "(one call, 3 attempts)" in message
    )


def test_a_call_past_the_end_counts_interactions_and_calls(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", *THROTTLED_TWICE, retries=GROUPS)
    with replay(path):
        client = _client()
        for _ in range(3):
            _seen(client)
        with pytest.raises(UnexpectedCallError) as raised:
            _seen(client)
    assert "holds only 7 interaction(s) (3 call(s), counting retried attempts as one)" in str(
        raised.value
    )


def test_stock_vcrpy_cassettes_group_by_invocation_id(tmp_path: Path) -> None:
    # vcrpy and pytest-recording keep botocore's headers as sent (with ttl).
    path = _write(
        tmp_path / "stock.yaml",
        _describe(429, attempt="attempt=1; max=2", invocation="id-a"),
        _describe(429, attempt="ttl=20261203T150000Z; attempt=2; max=2", invocation="id-a"),
        _describe(state="COMPLETED", attempt="attempt=1; max=2", invocation="id-b"),
    )
    with replay(path) as replaying:
        client = _client()
        seen = [_seen(client), _seen(client)]
    assert seen[0][1:] == (
        "An error occurred (ThrottlingException) when calling the DescribeJobRun operation "
        "(reached max retries: 1): Rate exceeded",
        1,
        True,
    )
    assert seen[1] == ("ok", "COMPLETED", 0, None)
    assert replaying.unused() == []


def test_interleaved_attempts_of_two_threads_group_by_call_when_written(tmp_path: Path) -> None:
    # What vcrpy hands the recorder when two threads' calls are retried at once.
    interactions = (
        _describe(429, job="a", attempt="attempt=1; max=3", invocation="id-a"),
        _describe(429, job="b", attempt="attempt=1; max=3", invocation="id-b"),
        _describe(job="b", state="FAILED", attempt="ttl=1; attempt=2; max=3", invocation="id-b"),
        _describe(job="a", state="RUNNING", attempt="ttl=2; attempt=2; max=3", invocation="id-a"),
    )
    cassette = Cassette(tmp_path / "threads.yaml", interactions, {})
    calls = calls_by_invocation(cassette, flags={})
    cassette = Cassette(cassette.path, interactions, {"retries": metadata_entries(calls)})
    written, _ = write_scrubbed(cassette, Scrubber())
    assert written.metadata["retries"] == [{"interactions": [0, 3]}, {"interactions": [1, 2]}]
    text = cassette.path.read_text()
    assert "ttl=" not in text
    assert "id-a" not in text
    with replay(cassette.path) as replaying:
        seen = [_seen(_client(), "a"), _seen(_client(), "b")]
    assert seen == [("ok", "RUNNING", 1, None), ("ok", "FAILED", 1, None)]
    assert replaying.unused() == []


# --- cassettes that do not say ---------------------------------------------------------------


def test_an_old_cassette_replays_as_before_and_warns_where_retries_may_hide(tmp_path: Path) -> None:
    path = _write(tmp_path / "old.yaml", _describe(429), _describe(state="COMPLETED"))
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with replay(path) as replaying:
            client = _client()
            seen = [_seen(client), _seen(client)]
    assert [w.category for w in warned] == [UnrecordedRetriesWarning]
    assert seen[0][0] == "error"
    assert seen[1] == ("ok", "COMPLETED", 0, None)
    assert replaying.unused() == []
    message = str(warned[0].message)
    assert str(path) in message
    assert "#0 DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 429, then #1" in message
    assert "re-record" in message


def test_a_recorded_cassette_without_retries_does_not_warn(tmp_path: Path) -> None:
    # A recording writes retries: [] -- a failure then the same request were two calls.
    path = _write(tmp_path / "new.yaml", _describe(429), _describe(state="COMPLETED"), retries=[])
    with replay(path) as replaying:
        client = _client()
        assert _seen(client)[0] == "error"
        assert _seen(client)[0] == "ok"
    assert replaying.unused() == []


# --- attempts that cannot be grouped ---------------------------------------------------------

BAD = {
    "an attempt 2 without attempt 1": (
        (_describe(state="COMPLETED", attempt="attempt=2; max=3"),),
        [],
        "interaction #0 (DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 200) says "
        "amz-sdk-request: attempt=2, but no earlier attempt of that call is grouped with it",
    ),
    "attempt numbers out of order": (
        (
            _describe(429, attempt="attempt=2; max=3"),
            _describe(state="COMPLETED", attempt="attempt=1; max=3"),
        ),
        [{"interactions": [0, 1]}],
        "interaction #0 (DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 429) says "
        "amz-sdk-request: attempt=2, but it is attempt 1 of the call [0, 1]",
    ),
    "a group whose requests differ": (
        (_describe(429), _describe(job="job2")),
        [{"interactions": [0, 1]}],
        "interaction #1 (DescribeJobRun GET /virtualclusters/vc1/jobruns/job2 -> 200) is grouped "
        "as a retry of interaction #0",
    ),
    "a success retried": (
        (_describe(), _describe()),
        [{"interactions": [0, 1]}],
        "interaction #0 (DescribeJobRun GET /virtualclusters/vc1/jobruns/job1 -> 200) "
        "succeeded, yet interaction #1 is grouped as its retry",
    ),
    "indices out of order": (
        (_describe(429), _describe()),
        [{"interactions": [1, 0]}],
        "the attempts of one call, interactions [1, 0], are not in recorded order",
    ),
    "an index past the end": (
        (_describe(429),),
        [{"interactions": [0, 1]}],
        "a retried call names interaction #1, but the cassette holds 1 interaction(s)",
    ),
    "an attempt of two calls": (
        (_describe(429), _describe()),
        [{"interactions": [0, 1]}, {"interactions": [1]}],
        "interaction #1 is an attempt of two calls",
    ),
    "a malformed entry": (
        (_describe(),),
        [{"interactions": "0"}],
        "'replay_jobrun.retries' must be a list of {interactions: [index, ...]} mappings",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_attempts_that_cannot_be_grouped_fail_on_replay_with_the_fix(
    case: str, tmp_path: Path
) -> None:
    interactions, retries, problem = BAD[case]
    path = _write(tmp_path / "bad.yaml", *interactions, retries=retries)
    with pytest.raises(CassetteFormatError) as raised, replay(path):
        pass  # pragma: no cover - replay refuses to start
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "Fix: re-record the cassette" in message
    assert "or repair 'replay_jobrun.retries'" in message


def test_attempts_that_cannot_be_grouped_are_never_written(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("previous\n")
    lost_first = Cassette(path, (_describe(attempt="attempt=2; max=3", invocation="id-a"),), {})
    with pytest.raises(CassetteFormatError, match="no earlier attempt of that call"):
        write_scrubbed(lost_first, Scrubber())
    assert path.read_text() == "previous\n"


def test_show_marks_the_attempts_of_each_retried_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from replay_jobrun import cli

    path = _write(tmp_path / "c.yaml", *THROTTLED_TWICE, retries=GROUPS)
    assert cli.main(["show", str(path)]) == 0
    timeline = [line.strip() for line in capsys.readouterr().out.splitlines() if "#" in line]
    assert timeline == [
        "#0   DescribeJobRun  error ThrottlingException  (attempt 1/3 of one call)",
        "#1   DescribeJobRun  error ThrottlingException  (attempt 2/3 of one call)",
        "#2   DescribeJobRun  SUBMITTED  (attempt 3/3 of one call)",
        "#3   DescribeJobRun  RUNNING",
        "#4   DescribeJobRun  error ThrottlingException  (attempt 1/3 of one call)",
        "#5   DescribeJobRun  error ThrottlingException  (attempt 2/3 of one call)",
        "#6   DescribeJobRun  error ThrottlingException  (attempt 3/3 of one call)",
    ]
