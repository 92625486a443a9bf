"""A value the code under test saw live that the cassette holds scrubbed is named when
recording, and a keep rule makes it replay as recorded."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from replay_jobrun import Scrubber, record, replay, rules
from replay_jobrun.errors import ConfigError
from replay_jobrun.record.seen import ScrubbedField, scrubbed_fields
from replay_jobrun.scrub.scan import scan_file

BUCKET = "acme-spark-logs-prod"
TEAM = "payments-risk"
STATE_DETAILS = f"Job failed: cannot write s3://{BUCKET}/logs/run-1/ (AccessDenied)"


def _job_run(vc: str, job: str) -> dict[str, Any]:
    return {
        "jobRun": {
            "id": job,
            "name": "nightly",
            "virtualClusterId": vc,
            "arn": f"arn:aws:emr-containers:us-east-1:111122223333:/virtualclusters/{vc}/jobruns/{job}",
            "state": "FAILED",
            "failureReason": "USER_ERROR",
            "stateDetails": STATE_DETAILS,
            "releaseLabel": "emr-6.9.0-latest",
            "tags": {"team": TEAM},
        }
    }


@pytest.fixture
def endpoint() -> Iterator[str]:
    """A local endpoint answering DescribeJobRun with a failed run whose text names a bucket."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")  # virtualclusters/VC/jobruns/ID
            body = json.dumps(_job_run(parts[1], parts[3])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _describe() -> dict[str, Any]:
    client = boto3.client("emr-containers", region_name="us-east-1")
    run: dict[str, Any] = client.describe_job_run(virtualClusterId="vc0123", id="job0456")
    return run["jobRun"]


def test_recording_names_the_fields_the_test_saw_that_replay_will_not(
    tmp_path: Path, endpoint: str
) -> None:
    path = tmp_path / "failed.yaml"
    with record(path, mode="all", endpoint_url=endpoint) as recording:
        live = _describe()
    assert live["stateDetails"] == STATE_DETAILS
    named = {(f.operation, f.path): f.rules for f in recording.scrubbed_fields}
    assert named == {
        ("DescribeJobRun", "jobRun.stateDetails"): ("s3 bucket",),
        ("DescribeJobRun", "jobRun.tags.team"): ("tag value",),
        ("DescribeJobRun", "jobRun.arn"): ("account id",),
    }
    # And it is true: replay gives the code other values there.
    with replay(path) as replaying:
        replayed = replaying.client.describe_job_run(virtualClusterId="vc0123", id="job0456")
    assert BUCKET not in replayed["jobRun"]["stateDetails"]
    assert replayed["jobRun"]["tags"]["team"] != TEAM


def test_kept_value_and_field_replay_as_the_test_saw_them(tmp_path: Path, endpoint: str) -> None:
    path = tmp_path / "failed.yaml"
    scrubber = Scrubber(rules=[rules.keep_value(BUCKET), rules.keep("jobRun.tags.team")])
    with record(path, mode="all", endpoint_url=endpoint, scrubber=scrubber) as recording:
        live = _describe()
    assert [(f.path, f.rules) for f in recording.scrubbed_fields] == [
        ("jobRun.arn", ("account id",))
    ]
    assert scan_file(path) == []  # the kept bucket is no leak, for the pre-commit scan too
    with replay(path) as replaying:
        replayed = replaying.client.describe_job_run(virtualClusterId="vc0123", id="job0456")
    assert replayed["jobRun"]["stateDetails"] == live["stateDetails"]
    assert replayed["jobRun"]["tags"] == live["tags"]
    assert "111122223333" not in path.read_text()


def test_the_summary_names_fields_and_rules_never_values(
    pytester: pytest.Pytester, endpoint: str
) -> None:
    pytester.makepyfile(
        test_failed="""
        import boto3

        def test_failure_text(jobrun_replay):
            client = boto3.client("emr-containers", region_name="us-east-1")
            run = client.describe_job_run(virtualClusterId="vc0123", id="job0456")["jobRun"]
            assert "AccessDenied" in run["stateDetails"]
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--jobrun-record-mode=once", f"--jobrun-endpoint-url={endpoint}"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "wrote *test_failure_text.jobrun.yaml (1 interaction; *",
            "  the test saw these response fields live; the cassette holds them scrubbed, *",
            "    DescribeJobRun jobRun.stateDetails: s3 bucket",
            "    DescribeJobRun jobRun.tags.team: tag value",
            "  to replay one as recorded, keep it (docs/scrubbing.md, 'Keeping a value'), *",
            "  account and access key ids replay as pseudonyms in: DescribeJobRun jobRun.arn",
        ]
    )
    for value in (BUCKET, TEAM, "111122223333"):
        assert value not in result.stdout.str()

    pytester.makeini(f"[pytest]\njobrun_scrub_keep_values = {BUCKET}\njobrun_scrub_keep = *.team\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--jobrun-record-mode=all", f"--jobrun-endpoint-url={endpoint}"
    )
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*the test saw these response fields live*")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fields_pair_per_operation_and_count_only_what_scrubbing_changed() -> None:
    originals = {"s3 bucket": {"logs-a"}, "credential header": {"authorization"}}
    live = [
        ("DescribeJobRun", {"jobRun": {"stateDetails": "s3://logs-a/x", "id": "j1"}}),
        ("ListJobRuns", {"jobRuns": [{"id": "j1", "stateDetails": "authorization ok"}]}),
        ("DescribeJobRun", {"jobRun": {"stateDetails": "s3://logs-a/y", "id": "j2"}}),
    ]
    written = [
        ("DescribeJobRun", {"jobRun": {"stateDetails": "s3://bucket-1/x", "id": "j1"}}),
        ("ListJobRuns", {"jobRuns": [{"id": "j1", "stateDetails": "authorization ok"}]}),
        # A pairing that is off (threads) shows a changed id; no scrub rule explains it.
        ("DescribeJobRun", {"jobRun": {"stateDetails": "s3://bucket-1/y", "id": "j3"}}),
    ]
    assert scrubbed_fields(live, written, originals) == [
        ScrubbedField("DescribeJobRun", "jobRun.stateDetails", ("s3 bucket",))
    ]
    # Request ids and HTTP headers are not what a test asserts on.
    metadata = [("DescribeJobRun", {"ResponseMetadata": {"RequestId": "logs-a"}})]
    assert scrubbed_fields(metadata, [("DescribeJobRun", {})], originals) == []
    assert scrubbed_fields(live, live, originals) == []


@pytest.mark.parametrize("value", ["123456789012", "AKIAIOSFODNN7EXAMPLE", "", " padded"])
def test_account_ids_access_keys_and_blanks_cannot_be_kept(value: str) -> None:
    with pytest.raises(ConfigError, match=r"keep|account id"):
        rules.keep_value(value)
