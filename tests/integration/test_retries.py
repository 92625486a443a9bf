"""Calls botocore retried while recording replay as the one call each was, in every retry mode.

A poller records against a local endpoint scripted to throttle and fail (tests/support.py),
noting what each call gave it; replay must give it the same, call by call.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError

from replay_jobrun import load_cassette, record, replay
from tests.support import ScriptedEndpoint, in_threads

Seen = tuple[Any, ...]


def _client(mode: str, endpoint_url: str | None = None) -> Any:
    config = Config(retries={"mode": mode, "max_attempts": 2})  # three attempts in all
    return botocore.session.get_session().create_client(
        "emr-containers", region_name="us-east-1", endpoint_url=endpoint_url, config=config
    )


def _describe(client: Any, job: str = "job1") -> Seen:
    """What the code under test sees of one call: the state, or the error, and the retries."""
    try:
        response = client.describe_job_run(virtualClusterId="vc1", id=job)
    except ClientError as err:
        meta = err.response["ResponseMetadata"]
        return (
            "error",
            err.response["Error"]["Code"],
            str(err),
            meta["RetryAttempts"],
            meta.get("MaxAttemptsReached"),
        )
    meta = response["ResponseMetadata"]
    return (
        "ok",
        response["jobRun"]["state"],
        meta["RetryAttempts"],
        meta.get("MaxAttemptsReached"),
    )


def _poll(client: Any, calls: int) -> list[Seen]:
    return [_describe(client) for _ in range(calls)]


# Per mode: what the job's successive HTTP requests get. Adaptive mode's client-side rate
# limiter waits ~2 s of wall clock after each throttled attempt (no sleep to skip), so
# its script throttles once.
SCRIPTS = {
    "legacy": ["throttle", "throttle", "SUBMITTED", "RUNNING", "500", "500", "500", "COMPLETED"],
    "standard": ["500", "throttle", "SUBMITTED", "RUNNING", *["throttle"] * 3, "COMPLETED"],
    "adaptive": ["throttle", "SUBMITTED", "RUNNING", "503", "503", "503", "COMPLETED"],
}


@pytest.mark.parametrize("mode", sorted(SCRIPTS))
def test_a_poller_sees_on_replay_what_it_saw_live(
    mode: str,
    tmp_path: Path,
    scripted_endpoint: Callable[..., ScriptedEndpoint],
    no_network: list[Any],
) -> None:
    path = tmp_path / f"{mode}.yaml"
    endpoint = scripted_endpoint({"job1": SCRIPTS[mode]})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("socket.socket.connect", _REAL_CONNECT)
        with record(path, mode="all", endpoint_url=endpoint.url, skip_sleep=True) as recording:
            live = _poll(_client(mode), 4)
    # botocore's back-off returned at once and is not the poller's sleep: replay has none.
    assert recording.slept == []
    # The script did what it says: some calls were retried, one ran out of attempts.
    assert len(endpoint.requests) == len(SCRIPTS[mode])
    assert [seen[0] for seen in live] == ["ok", "ok", "error", "ok"]
    assert live[0][2] >= 1
    assert live[2][3:] == (2, True)
    assert "(reached max retries: 2)" in live[2][2]

    with replay(path, skip_sleep=True) as replaying:
        replayed = _poll(_client(mode), 4)
    assert replayed == live
    assert replaying.unused() == []
    assert replaying.slept == []  # no back-off: botocore's retry loop never ran
    assert no_network == []
    assert [r["ResponseMetadata"]["RetryAttempts"] for r in replaying.responses] == [
        seen[-2] for seen in live
    ]


def test_the_cassette_says_which_attempts_were_one_call_and_stays_stable(
    tmp_path: Path, scripted_endpoint: Callable[..., ScriptedEndpoint]
) -> None:
    path = tmp_path / "standard.yaml"
    texts = []
    for _ in range(2):
        endpoint = scripted_endpoint({"job1": SCRIPTS["standard"]})
        with record(path, mode="all", endpoint_url=endpoint.url, skip_sleep=True):
            _poll(_client("standard"), 4)
        texts.append(path.read_text())
    document = yaml.safe_load(texts[0])
    # Standard mode flags a call's last allowed attempt even when it succeeded.
    assert document["replay_jobrun"]["retries"] == [
        {"interactions": [0, 1, 2], "MaxAttemptsReached": True},
        {"interactions": [4, 5, 6], "MaxAttemptsReached": True},
    ]
    headers = [i["request"]["headers"] for i in document["interactions"]]
    # botocore 1.36 sends a first attempt's header without "; max=3": kept as sent.
    first = headers[0]["amz-sdk-request"][0]
    assert first in ("attempt=1; max=3", "attempt=1")
    assert [h.get("amz-sdk-request") for h in headers] == [
        [first],
        ["attempt=2; max=3"],
        ["attempt=3; max=3"],
        None,  # a call made once carries nothing more than before
        [first],
        ["attempt=2; max=3"],
        ["attempt=3; max=3"],
        None,
    ]
    assert not any("amz-sdk-invocation-id" in h for h in headers)

    # Re-recording changes nothing but the recording time.
    def _without_time(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if "recorded_at" not in line)

    assert _without_time(texts[0]) == _without_time(texts[1])
    # Still a cassette stock vcrpy loads, every attempt an interaction.
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    requests, *_ = deserialize(texts[0], yamlserializer)
    assert len(requests) == 8


import socket as _socket  # noqa: E402

_REAL_CONNECT = _socket.socket.connect


def test_new_episodes_keeps_the_grouping_of_the_calls_it_keeps(
    tmp_path: Path, scripted_endpoint: Callable[..., ScriptedEndpoint]
) -> None:
    path = tmp_path / "episodes.yaml"
    first = scripted_endpoint({"job1": ["throttle", "SUBMITTED"]})
    with record(path, mode="all", endpoint_url=first.url, skip_sleep=True):
        assert _poll(_client("standard"), 1) == [("ok", "SUBMITTED", 1, None)]
    # The kept call is played back by vcrpy (botocore retries it again); the new one is live.
    second = scripted_endpoint({"job1": ["500", "RUNNING"]})
    with record(path, mode="new_episodes", endpoint_url=second.url, skip_sleep=True):
        live = _poll(_client("standard"), 2)
    assert live == [("ok", "SUBMITTED", 1, None), ("ok", "RUNNING", 1, None)]
    assert len(second.requests) == 2
    assert load_cassette(path).metadata["retries"] == [
        {"interactions": [0, 1]},
        {"interactions": [2, 3]},
    ]
    with replay(path) as replaying:
        assert _poll(_client("standard"), 2) == live
    assert replaying.unused() == []


# Adaptive mode is left out: its rate limiter would wait ~2 s per throttle on vcrpy's playback.
@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_stock_vcrpy_replays_the_attempts_to_botocore_with_the_same_outcome(
    mode: str,
    tmp_path: Path,
    scripted_endpoint: Callable[..., ScriptedEndpoint],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    import vcr

    path = tmp_path / f"{mode}.yaml"
    endpoint = scripted_endpoint({"job1": SCRIPTS[mode]})
    with record(path, mode="all", endpoint_url=endpoint.url, skip_sleep=True):
        live = _poll(_client(mode), 4)
    # Stock vcrpy answers each attempt over HTTP and botocore's own retry loop runs.
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        assert _poll(_client(mode), 4) == live
    assert cassette.all_played


def test_retries_of_two_threads_interleaved_group_per_call_and_replay_per_thread(
    tmp_path: Path,
    scripted_endpoint: Callable[..., ScriptedEndpoint],
    no_network: list[Any],
) -> None:
    path = tmp_path / "threads.yaml"
    script = ["throttle", "RUNNING", "500", "COMPLETED"]
    # gate=2: both threads' first attempts are in flight together, so their attempts
    # interleave in the recording and only the invocation ids tell them apart.
    endpoint = scripted_endpoint({"job1": list(script), "job2": list(script)}, gate=2)

    def run_threads(client: Any) -> dict[str, list[Seen]]:
        jobs = ("job1", "job2")
        seen = in_threads(2, lambda n: [_describe(client, jobs[n]) for _ in range(2)])
        return dict(zip(jobs, seen, strict=True))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("socket.socket.connect", _REAL_CONNECT)
        with record(path, mode="all", endpoint_url=endpoint.url):
            live = run_threads(_client("legacy"))
    assert (
        live["job1"] == live["job2"] == [("ok", "RUNNING", 1, None), ("ok", "COMPLETED", 1, None)]
    )

    cassette = load_cassette(path)
    groups = cassette.metadata["retries"]
    assert len(groups) == 4  # each thread's two calls, each retried once
    for group in groups:
        jobs = {
            cassette.interactions[i].request.uri.rsplit("/", 1)[-1] for i in group["interactions"]
        }
        assert len(jobs) == 1, group  # a call's attempts are never another thread's
    assert sorted(i for g in groups for i in g["interactions"]) == list(range(8))

    with replay(path) as replaying:
        replayed = run_threads(_client("legacy"))
    assert replayed == live
    assert replaying.unused() == []
    assert no_network == []
