"""Through the plugin: a poller whose calls botocore retried records, then replays offline seeing
what it saw live, call by call, in each retry mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

# Loaded once, outside pytester's runs: each in-process run drops the modules it imported,
# and PyYAML's C emitter fails on events of a second copy of yaml's classes.
import replay_jobrun.cassette.format  # noqa: F401
from tests.support import ScriptedEndpoint

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

USER_TESTS = """
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def poll(client, calls):
    seen = []
    for _ in range(calls):
        try:
            response = client.describe_job_run(virtualClusterId="vc1", id="job1")
        except ClientError as err:
            meta = err.response["ResponseMetadata"]
            seen.append((str(err), meta["RetryAttempts"], meta.get("MaxAttemptsReached")))
        else:
            meta = response["ResponseMetadata"]
            seen.append((response["jobRun"]["state"], meta["RetryAttempts"]))
    return seen


@pytest.mark.parametrize("mode", ["legacy", "standard", "adaptive"])
@pytest.mark.jobrun_cassette(skip_sleep=True)
def test_poller(jobrun_replay, mode):
    config = Config(retries={"mode": mode, "max_attempts": 2})
    client = boto3.client("emr-containers", region_name="us-east-1", config=config)
    assert poll(client, 3) == [
        ("SUBMITTED", 1),
        (
            "An error occurred (InternalServerException) when calling the DescribeJobRun "
            "operation (reached max retries: 2): Internal failure",
            2,
            True,
        ),
        ("COMPLETED", 0),
    ]
    # botocore's back-off is not the poller's sleep: none while recording, none on replay.
    assert jobrun_replay.slept == []
"""

NO_NETWORK = """
import socket
import pytest

@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(self, address):
        raise AssertionError(f"network access during replay: {address!r}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
"""


def test_retried_calls_record_then_replay_offline_as_they_happened(
    pytester: pytest.Pytester, scripted_endpoint: Callable[..., ScriptedEndpoint]
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_poller=USER_TESTS)
    # Per mode, a call retried once, one that runs out of attempts, one made once. Adaptive
    # mode's rate limiter waits ~2 s of wall clock after a throttle, so it gets a 503.
    for mode, first in (("legacy", "throttle"), ("standard", "throttle"), ("adaptive", "503")):
        endpoint = scripted_endpoint(
            {"job1": [first, "SUBMITTED", "500", "500", "500", "COMPLETED"]}
        )
        recorded = pytester.runpytest(
            f"test_poller.py::test_poller[{mode}]",
            "--jobrun-record-mode=once",
            f"--jobrun-endpoint-url={endpoint.url}",
            "-p",
            "no:cacheprovider",
        )
        recorded.assert_outcomes(passed=1)
        assert len(endpoint.requests) == 6

    pytester.makeconftest(NO_NETWORK)
    replayed = pytester.runpytest("test_poller.py", "-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=3)
