"""replay_jobrun.children: the environment children get, what this process keeps, the broker's answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from replay_jobrun import children, replay
from replay_jobrun.errors import BlockedHostError, ConfigError
from tests.support import CASSETTES

REAL = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
VC, JOB = "k3v9q0x7r2m8w1t5z6b4n0c2d", "0000000378nj1d2s7lo"


def child(code: str) -> str:
    """What a Python child started inside the block prints (stdout, then stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


DESCRIBE = f"""
import botocore.session
client = botocore.session.get_session().create_client("emr-containers")
print(client.describe_job_run(virtualClusterId="{VC}", id="{JOB}")["jobRun"]["state"])
"""


def test_a_child_is_answered_from_the_cassette_of_the_python_api() -> None:
    with replay(REAL, subprocesses=True) as replaying:
        assert child(DESCRIBE) == "COMPLETED\n"
    assert replaying.unused() == []
    assert [(c.operation, c.params["id"]) for c in replaying.calls] == [("DescribeJobRun", JOB)]


def test_the_environment_is_the_childrens_only_while_the_block_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-session-token")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    before = dict(os.environ)
    with replay(REAL, subprocesses=True) as replaying:
        broker = os.environ["AWS_ENDPOINT_URL_EMR_CONTAINERS"]
        assert broker.startswith("http://127.0.0.1:")
        assert os.environ["AWS_ENDPOINT_URL"] == broker  # other services: refused
        assert os.environ["AWS_ACCESS_KEY_ID"] == children.FAKE_KEY
        assert "AWS_SESSION_TOKEN" not in os.environ
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        child(DESCRIBE)
    assert dict(os.environ) == before
    assert replaying.unused() == []


def test_clients_of_this_process_do_not_see_the_childrens_endpoints() -> None:
    with replay(REAL, subprocesses=True):
        s3 = boto3.client("s3", region_name="us-east-1")
        # Not the broker (loopback, which the guard lets through): the usual refusal.
        assert s3.meta.endpoint_url == "https://s3.amazonaws.com"
        with pytest.raises(BlockedHostError, match="the s3 call ListBuckets"):
            s3.list_buckets()
        emr = boto3.client("emr-containers", region_name="us-east-1")
        assert emr.meta.endpoint_url == "https://emr-containers.us-east-1.amazonaws.com"
        emr.describe_job_run(virtualClusterId=VC, id=JOB)


def test_a_childs_other_services_are_refused_with_a_message_it_prints() -> None:
    code = """
    import botocore.session
    session = botocore.session.get_session()
    for service, call in (("s3", "list_buckets"), ("sts", "get_caller_identity"), ("logs", "describe_log_groups")):
        try:
            getattr(session.create_client(service), call)()
        except Exception as error:
            print(service, type(error).__name__, error.response["Error"]["Code"])
            assert "blocked" in str(error), str(error)
    """
    with replay(REAL, subprocesses=True) as replaying:
        printed = child(code)
    assert printed.splitlines() == [
        "s3 ClientError NetworkBlocked",
        "sts ClientError NetworkBlocked",
        "logs ClientError NetworkBlocked",
    ], printed
    assert replaying.calls == []


def test_a_childs_endpoint_on_loopback_or_an_allowed_host_is_kept() -> None:
    environ = {
        "AWS_ENDPOINT_URL_S3": "http://localhost:4566",
        "AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com",
        "AWS_ENDPOINT_URL_LOGS": "https://logs.internal.example",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "HTTPS_PROXY": "http://proxy.example:3128",
        "NO_PROXY": "internal.example",
    }
    changes = children.child_environment(
        "http://127.0.0.1:1234",
        offline=True,
        region="eu-west-1",
        permitted=lambda host: host in ("localhost", "127.0.0.1", "logs.internal.example"),
        environ=environ,
    )
    assert changes["AWS_ENDPOINT_URL_EMR_CONTAINERS"] == "http://127.0.0.1:1234"
    assert changes["AWS_ENDPOINT_URL_STS"] == "http://127.0.0.1:1234"
    for kept in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_LOGS", "AWS_ENDPOINT_URL"):
        assert kept not in changes
    assert changes["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert changes["NO_PROXY"] == "internal.example,127.0.0.1"


def test_recording_points_only_emr_containers_at_the_broker() -> None:
    changes = children.child_environment(
        "http://127.0.0.1:1234",
        offline=False,
        region=None,
        permitted=lambda host: False,
        environ={"AWS_ENDPOINT_URL_S3": "https://s3.example", "AWS_ACCESS_KEY_ID": "AKIA..."},
    )
    assert changes == {"AWS_ENDPOINT_URL_EMR_CONTAINERS": "http://127.0.0.1:1234"}


def test_one_cassette_serves_children_at_a_time() -> None:
    with replay(REAL, subprocesses=True) as replaying:
        with (
            pytest.raises(ConfigError, match="another cassette already serves child processes"),
            replay(REAL, subprocesses=True),
        ):
            pass
        child(DESCRIBE)
    assert replaying.unused() == []


def test_a_child_still_running_when_the_block_ends_finds_no_broker(tmp_path: Path) -> None:
    go = tmp_path / "go"
    code = f"""
    import os, time
    import botocore.session
    from botocore.config import Config
    client = botocore.session.get_session().create_client(
        "emr-containers", config=Config(retries={{"max_attempts": 1, "mode": "standard"}})
    )
    while not os.path.exists({str(go)!r}):
        time.sleep(0.01)
    try:
        client.describe_job_run(virtualClusterId="{VC}", id="{JOB}")
    except Exception as error:
        print(type(error).__name__)
    """
    with replay(REAL, subprocesses=True):
        running = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
        )
    go.touch()
    out, _ = running.communicate(timeout=120)
    assert out == "EndpointConnectionError\n"


def test_only_the_tests_children_know_the_brokers_path() -> None:
    code = f"""
    import os
    import botocore.session
    broker = os.environ["AWS_ENDPOINT_URL_EMR_CONTAINERS"]
    guess = broker.rsplit("/", 1)[0]  # the port without the secret path
    client = botocore.session.get_session().create_client("emr-containers", endpoint_url=guess)
    try:
        client.describe_job_run(virtualClusterId="{VC}", id="{JOB}")
    except Exception as error:
        print(error.response["Error"]["Code"])
    """
    with replay(REAL, subprocesses=True) as replaying:
        assert child(code) == "NotAChild\n"
        assert replaying.unused() != []  # nothing was served
        assert child(DESCRIBE) == "COMPLETED\n"


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_as_a_child_is_replayed_and_its_s3_refused() -> None:
    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["aws", *args], check=False, capture_output=True, text=True, timeout=120
        )

    with replay(REAL, subprocesses=True) as replaying:
        state = aws(
            "emr-containers", "describe-job-run", "--virtual-cluster-id", VC, "--id", JOB,
            "--query", "jobRun.state", "--output", "text",
        )  # fmt: skip
        listed = aws("s3", "ls")
    assert state.stdout == "COMPLETED\n", state.stderr
    assert listed.returncode != 0
    assert "(NetworkBlocked)" in listed.stderr
    assert "replay_jobrun blocked the s3 call of a child process" in listed.stderr
    assert replaying.unused() == []
