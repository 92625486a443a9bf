"""Beside pytest-recording: one test, both markers, each cassette its own traffic.

Both plugins are installed (pytest-recording is in the dev extra) and both load
as users have them; the tests run whatever pytest-recording and vcrpy are installed.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import CASSETTES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

REAL = CASSETTES / "real/describe-job-run_completed_sparkpilot-1.yaml"

NO_NETWORK = """
import socket

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(self, address):
        raise AssertionError(f"network access during replay: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
"""


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from 127.0.0.1"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hello_url() -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1: traffic neither AWS nor emr-containers."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pytest_recording_and_stock_vcrpy_replay_our_cassette(pytester: pytest.Pytester) -> None:
    shutil.copy(REAL, pytester.path / "ours.yaml")
    pytester.makeconftest(NO_NETWORK)
    pytester.makepyfile(
        test_theirs="""
        import boto3
        import pytest
        import vcr


        def describe():
            client = boto3.client("emr-containers", region_name="us-east-1")
            return client.describe_job_run(
                virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
            )["jobRun"]


        @pytest.mark.vcr("ours.yaml")
        def test_pytest_recording(vcr):
            assert describe()["state"] == "COMPLETED"
            assert vcr.play_count == 1


        def test_stock_vcrpy():
            with vcr.use_cassette("ours.yaml", record_mode="none") as cassette:
                assert describe()["state"] == "COMPLETED"
            assert cassette.play_count == 1
        """
    )
    # The cassette is given relative to pytest-recording's folder for the module.
    folder = pytester.path / "cassettes/test_theirs"
    folder.mkdir(parents=True)
    shutil.copy(REAL, folder / "ours.yaml")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


BOTH = """
import os
import urllib.request

import boto3
import pytest


@pytest.mark.vcr
@pytest.mark.jobrun_cassette
def test_both(jobrun_replay):
    emr = boto3.client("emr-containers", region_name="us-east-1")
    assert emr.list_virtual_clusters()["virtualClusters"] == []
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=os.environ["S3_URL"])
    s3.create_bucket(Bucket="coexist-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["coexist-bucket"]
    with urllib.request.urlopen(os.environ["HELLO_URL"] + "/hello") as response:
        assert response.read() == b"hello from 127.0.0.1"
    assert [call.operation for call in jobrun_replay.calls] == ["ListVirtualClusters"]
"""


def _uris(path: Path) -> list[str]:
    return [i["request"]["uri"] for i in yaml.safe_load(path.read_text())["interactions"]]


def test_one_test_with_both_markers_records_and_replays_each_its_own_traffic(
    pytester: pytest.Pytester, moto_url: str, hello_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_URL", moto_url)
    monkeypatch.setenv("HELLO_URL", hello_url)
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_both=BOTH)

    recorded = pytester.runpytest(
        "--jobrun-record-mode=once",
        f"--jobrun-endpoint-url={moto_url}",
        "--record-mode=once",
        "-p",
        "no:cacheprovider",
    )
    recorded.assert_outcomes(passed=1)
    # A module at the rootdir: both plugins' default folder is cassettes/test_both/.
    folder = pytester.path / "cassettes/test_both"
    assert sorted(p.name for p in folder.iterdir()) == ["test_both.jobrun.yaml", "test_both.yaml"]
    assert _uris(folder / "test_both.jobrun.yaml") == [
        "https://emr-containers.us-east-1.amazonaws.com/virtualclusters"
    ]
    assert _uris(folder / "test_both.yaml") == [
        f"{moto_url}/coexist-bucket",
        f"{moto_url}/",
        f"{hello_url}/hello",
    ]

    # Replay: no connection at all; emr-containers from ours (the Stubber), the rest
    # from pytest-recording's (vcrpy plays it without a socket).
    pytester.makeconftest(NO_NETWORK)
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)


def test_unrecorded_other_traffic_fails_as_pytest_recording_would(
    pytester: pytest.Pytester, moto_url: str, hello_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording ours while pytest-recording replays: a request its cassette lacks is
    refused by vcrpy, naming pytest-recording's cassette, not sent or recorded by us."""
    monkeypatch.setenv("S3_URL", moto_url)
    monkeypatch.setenv("HELLO_URL", hello_url)
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_both=BOTH)
    theirs = pytester.path / "cassettes/test_both/test_both.yaml"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("version: 1\ninteractions: []\n")
    result = pytester.runpytest(
        "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    # vcrpy's own message: the request, their cassette, their mode (worded one way before
    # vcrpy 9, "Can't overwrite existing cassette (PATH) in your current record mode
    # ('none')", with "(<RecordMode.NONE: 'none'>)" in 8.x, another since).
    refused = [line for line in result.outlines if line.startswith("E ")]
    for pattern in (
        r"\bPUT\)? http://\S+/coexist-bucket\b",
        r"cassettes/test_both/test_both\.yaml",
        r"record[_ ]mode\W+(RecordMode\.NONE\W+)?none\b",
    ):
        assert any(re.search(pattern, line) for line in refused), (pattern, refused)
    assert theirs.read_text() == "version: 1\ninteractions: []\n"


def test_our_cassette_under_its_old_name_is_used_with_a_warning(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makeconftest(NO_NETWORK)
    pytester.makepyfile(
        test_old="""
        import boto3
        import pytest


        def describe():
            client = boto3.client("emr-containers", region_name="us-east-1")
            return client.describe_job_run(
                virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
            )["jobRun"]


        @pytest.mark.jobrun_cassette
        def test_old_name():
            assert describe()["state"] == "COMPLETED"


        @pytest.mark.jobrun_cassette
        def test_theirs_is_not_ours():
            describe()
        """
    )
    folder = pytester.path / "cassettes/test_old"
    folder.mkdir(parents=True)
    # Ours as written before: the block under vcrpy's "metadata", the old file name.
    document = yaml.safe_load(REAL.read_text())
    legacy = {
        "version": 1,
        "metadata": {"replay_jobrun": document.pop("replay_jobrun")},
        "interactions": document["interactions"],
    }
    (folder / "test_old_name.yaml").write_text(yaml.safe_dump(legacy, sort_keys=False))
    # pytest-recording's cassette at the same old name: no block of ours.
    (folder / "test_theirs_is_not_ours.yaml").write_text(yaml.safe_dump(document))
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_old.py:*: LegacyCassetteNameWarning: *test_old_name.yaml: replay_jobrun's cassette names "
            "now end in .jobrun.yaml*",
            f"*git mv {folder / 'test_old_name.yaml'} {folder / 'test_old_name.jobrun.yaml'}",
        ]
    )
    result.stdout.fnmatch_lines(["*No cassette at *test_theirs_is_not_ours.jobrun.yaml*"])


S3_CASSETTE = """\
version: 1
interactions:
- request:
    method: GET
    uri: https://s3.amazonaws.com/
    body: null
    headers: {}
  response:
    status: {code: 200, message: OK}
    headers:
      Content-Type: [application/xml]
    body:
      string: '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult
        xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>abc</ID></Owner><Buckets><Bucket>
        <Name>real-bucket</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket>
        </Buckets></ListAllMyBucketsResult>'
"""

REAL_S3 = """
import boto3
import pytest


@pytest.mark.vcr
@pytest.mark.jobrun_cassette
def test_real_s3(jobrun_replay):
    emr = boto3.client("emr-containers", region_name="us-east-1")
    run = emr.describe_job_run(virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo")
    assert run["jobRun"]["state"] == "COMPLETED"
    s3 = boto3.client("s3", region_name="us-east-1")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["real-bucket"]
"""


def test_both_replaying_an_aws_host_pytest_recording_answers_it_offline(
    pytester: pytest.Pytester,
) -> None:
    """Our replay refuses other AWS services' calls, unless a vcrpy cassette is there
    to answer them: it does so without a socket, and a real send stays blocked."""
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makeconftest(NO_NETWORK)
    pytester.makepyfile(test_s3=REAL_S3)
    folder = pytester.path / "cassettes/test_s3"
    folder.mkdir(parents=True)
    shutil.copy(REAL, folder / "test_real_s3.jobrun.yaml")
    (folder / "test_real_s3.yaml").write_text(S3_CASSETTE)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    # pytest-recording asked to record what its cassette lacks: the send is blocked.
    pytester.makepyfile(
        test_s3=REAL_S3 + '    s3.head_bucket(Bucket="real-bucket")\n',
    )
    recording = pytester.runpytest("-p", "no:cacheprovider", "--record-mode=new_episodes")
    recording.assert_outcomes(failed=1)
    # botocore 1.36 sends HeadBucket path-style, to s3.amazonaws.com itself.
    recording.stdout.fnmatch_lines(["*BlockedHostError*s3.amazonaws.com was blocked*"])
