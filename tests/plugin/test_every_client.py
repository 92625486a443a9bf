"""Every shape of emr-containers client, whenever made, recorded against moto and replayed offline.

The shapes real code has: a module-level client, a session-scoped fixture, a client
made before the plugin was even imported, clients made and called in other threads
(a thread pool polling), and third-party wrappers that keep their client (Airflow's
hook caches ``conn``, dagster-aws takes the client at construction). Each test makes
the same calls through its shape; recording must send every one to moto and to
nothing else, replay must open no socket at all, and outside a cassette the clients
must go where they always went.
"""

from __future__ import annotations

import pytest

# Loaded with -p before pytest loads its entry points, so before replay_jobrun's plugin.
EARLY_PLUGIN = """
import http.server
import json
import sys
import threading

import boto3

PLUGIN_ALREADY_LOADED = "replay_jobrun.plugin" in sys.modules or "replay_jobrun" in sys.modules
BEFORE_PLUGIN = boto3.client("emr-containers", region_name="us-east-1")

# The module-level client's own endpoint: a local server that notes what reaches it.
OWN_SEEN = []


class _Own(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        OWN_SEEN.append(self.path)
        body = json.dumps({"jobRun": {"id": "own", "state": "OWN-ENDPOINT"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Own)
threading.Thread(target=_server.serve_forever, daemon=True).start()
OWN_URL = f"http://127.0.0.1:{_server.server_address[1]}"
"""

USER_CODE = """
import threading
from functools import cached_property

import boto3

from early_plugin import OWN_URL

# Made at import time, with an endpoint of its own.
EMR = boto3.client("emr-containers", region_name="us-east-1", endpoint_url=OWN_URL)

# Made at import time, in another thread.
_made = []
_maker = threading.Thread(
    target=lambda: _made.append(boto3.client("emr-containers", region_name="us-east-1"))
)
_maker.start()
_maker.join()
THREAD_MADE = _made[0]


class EmrContainerHook:
    \"\"\"Like Airflow's: ``conn`` is built once and cached on the hook.\"\"\"

    @cached_property
    def conn(self):
        return boto3.session.Session(region_name="us-east-1").client("emr-containers")


class PipesEMRContainersClient:
    \"\"\"Like dagster-aws's: takes a client at construction, or makes one.\"\"\"

    def __init__(self, client=None):
        self._client = client or boto3.client("emr-containers", region_name="us-east-1")

    def state(self, cluster_id, job_id):
        return self._client.describe_job_run(virtualClusterId=cluster_id, id=job_id)["jobRun"]["state"]


HOOK = EmrContainerHook()
HOOK.conn  # cached before any cassette
PIPES = PipesEMRContainersClient()


def lifecycle(client, namespace, state=None, pool=None):
    \"\"\"Create a cluster, start a job, poll it twice: through ``pool`` (threads) if given.\"\"\"
    cluster = client.create_virtual_cluster(
        name="team-cluster",
        containerProvider={"id": "eks-1", "type": "EKS", "info": {"eksInfo": {"namespace": namespace}}},
    )["id"]
    job = client.start_job_run(
        virtualClusterId=cluster,
        name="nightly",
        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    )["id"]
    state = state or (
        lambda c, j: client.describe_job_run(virtualClusterId=c, id=j)["jobRun"]["state"]
    )
    if pool is None:
        return [state(cluster, job) for _ in range(2)]
    return [pool.submit(state, cluster, job).result() for _ in range(2)]
"""

CONFTEST = """
import os
import socket

import boto3
import pytest

import early_plugin  # noqa: F401 (already loaded by -p)

REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = socket.socket.connect


@pytest.fixture
def ns(request):
    # A namespace of the test's own: moto allows one virtual cluster per namespace.
    return request.node.name


@pytest.fixture(scope="session")
def session_client():
    return boto3.client("emr-containers", region_name="us-east-1")


@pytest.fixture(autouse=True)
def _guard(request, monkeypatch):
    \"\"\"Replay: no look-up, no connection at all. Recording: only 127.0.0.1 (moto).\"\"\"
    if "jobrun_replay" not in request.fixturenames:
        return
    phase = os.environ["PHASE"]

    def look_up(host, *args, **kwargs):
        if phase == "replay" or host != "127.0.0.1":
            raise AssertionError(f"name look-up of {host!r} while {phase}ing")
        return REAL_GETADDRINFO(host, *args, **kwargs)

    def connect(self, address):
        if phase == "replay" or address[0] != "127.0.0.1":
            raise AssertionError(f"connection to {address!r} while {phase}ing")
        return REAL_CONNECT(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", look_up)
    monkeypatch.setattr(socket.socket, "connect", connect)
"""

SHAPES = """
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

import early
import early_plugin

pytestmark = pytest.mark.jobrun_cassette

STATES = ["RUNNING", "RUNNING"]  # what moto says; the same again on replay
OPERATIONS = ["CreateVirtualCluster", "StartJobRun", "DescribeJobRun", "DescribeJobRun"]


def test_module_level_client(jobrun_replay, ns):
    assert early.lifecycle(early.EMR, ns) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS
    assert len(jobrun_replay.responses) == 4


def test_session_fixture_client(jobrun_replay, session_client, ns):
    assert early.lifecycle(session_client, ns) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_client_made_before_the_plugin_was_loaded(jobrun_replay, ns):
    assert early.lifecycle(early_plugin.BEFORE_PLUGIN, ns) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_client_made_in_another_thread_before_the_test(jobrun_replay, ns):
    assert early.lifecycle(early.THREAD_MADE, ns) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_client_made_in_another_thread_during_the_test_polled_from_a_pool(jobrun_replay, ns):
    made = []
    maker = threading.Thread(
        target=lambda: made.append(boto3.client("emr-containers", region_name="us-east-1"))
    )
    maker.start()
    maker.join()
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert early.lifecycle(made[0], ns, pool=pool) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_module_level_client_polled_from_a_pool(jobrun_replay, ns):
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert early.lifecycle(early.EMR, ns, pool=pool) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_airflow_style_hook_that_cached_its_client(jobrun_replay, ns):
    assert early.lifecycle(early.HOOK.conn, ns) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS


def test_dagster_style_client_taken_at_construction(jobrun_replay, ns):
    assert early.lifecycle(early.PIPES._client, ns, state=early.PIPES.state) == STATES
    assert [call.operation for call in jobrun_replay.calls] == OPERATIONS
"""

# Run after the shapes, without a cassette: every client is as it was without the plugin.
OUTSIDE = """
from botocore.stub import Stubber

import early
import early_plugin


def test_the_early_client_was_made_before_the_plugin_was_imported():
    assert not early_plugin.PLUGIN_ALREADY_LOADED


def test_outside_a_cassette_the_module_client_reaches_its_own_endpoint_again():
    state = early.EMR.describe_job_run(virtualClusterId="vc", id="job")["jobRun"]["state"]
    assert state == "OWN-ENDPOINT"
    # The only request it ever got: neither recording nor replay sent one there.
    assert early_plugin.OWN_SEEN == ["/virtualclusters/vc/jobruns/job"]


def test_outside_a_cassette_no_replay_is_left_on_any_client(session_client):
    clients = [
        early.EMR, session_client, early_plugin.BEFORE_PLUGIN, early.THREAD_MADE,
        early.HOOK.conn, early.PIPES._client,
    ]
    for client in clients:
        with Stubber(client) as stubber:  # the user's own Stubber answers, not a stale one
            stubber.add_response("describe_job_run", {"jobRun": {"state": "CANCELLED"}})
            assert early.PIPES.__class__(client).state("vc", "job") == "CANCELLED"
"""


def _project(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(
        early_plugin=EARLY_PLUGIN,
        early=USER_CODE,
        conftest=CONFTEST,
        test_shapes=SHAPES,
        test_zz_outside=OUTSIDE,
    )


def test_every_shape_of_client_is_recorded_against_moto_then_replayed_without_a_socket(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester)
    run = ("-p", "early_plugin", "-p", "no:cacheprovider", "test_shapes.py", "test_zz_outside.py")

    monkeypatch.setenv("PHASE", "record")
    recorded = pytester.runpytest_subprocess(
        *run, "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}"
    )
    recorded.assert_outcomes(passed=11)
    written = sorted(p.name for p in (pytester.path / "cassettes" / "test_shapes").glob("*.yaml"))
    assert len(written) == 8
    recorded.stdout.fnmatch_lines(["*wrote *test_module_level_client.jobrun.yaml (4 interactions*"])
    for name in written:
        text = (pytester.path / "cassettes" / "test_shapes" / name).read_text()
        assert text.count("uri: https://emr-containers.us-east-1.amazonaws.com/") == 4, name

    monkeypatch.setenv("PHASE", "replay")
    replayed = pytester.runpytest_subprocess(*run)
    replayed.assert_outcomes(passed=11)
