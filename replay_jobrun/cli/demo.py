"""``replay-jobrun demo``: the whole chain against an embedded moto server.

Record a job lifecycle from a moto server on 127.0.0.1, scrub it into a
cassette, replay it offline through the Stubber and print the job-state
timeline. Needs no AWS account: moto (the ``moto`` extra) plays AWS.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ..cassette.format import load_cassette
from ..errors import MissingExtraError
from .summary import describe, scrub_lines

# The demo signs its requests with these; the cassette must not contain them.
DEMO_ACCESS_KEY = "AKIADEMOREPLAYJOBRUN"
DEMO_SESSION_TOKEN = "FQoGZXIvYXdzEDEMOdemoSessionTokenThatMustNotLeak0123456789"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/EMRContainersJobExecutionRole"


@contextlib.contextmanager
def isolated_aws_environment() -> Iterator[None]:
    """Fake credentials, no config files, no IMDS: nothing of the machine's AWS setup is used."""
    values = {
        "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": "demo-secret-access-key",
        "AWS_SESSION_TOKEN": DEMO_SESSION_TOKEN,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {name: os.environ.get(name) for name in [*values, "AWS_PROFILE"]}
    os.environ.update(values)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port; yields its URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as err:
        raise MissingExtraError(
            feature="demo",
            package="moto's server",
            install="replay-jobrun[moto]",
        ) from err
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make any connection attempt fail loudly: proof that replay is offline."""
    original = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> None:
        raise OSError(f"replay tried to open a connection to {address!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def job_lifecycle(client: Any, namespace: str = "spark") -> list[str]:
    """Create a virtual cluster, run a job, cancel it, look up a job that doesn't exist."""
    steps: list[str] = []
    cluster = client.create_virtual_cluster(
        name="demo-cluster",
        containerProvider={
            "id": "demo-eks",
            "type": "EKS",
            "info": {"eksInfo": {"namespace": namespace}},
        },
    )
    job = client.start_job_run(
        virtualClusterId=cluster["id"],
        name="demo-sparkpi",
        executionRoleArn=ROLE_ARN,
        releaseLabel="emr-7.10.0-latest",
        jobDriver={
            "sparkSubmitJobDriver": {
                "entryPoint": "local:///usr/lib/spark/examples/src/main/python/pi.py"
            }
        },
    )
    steps.append(f"started {job['id']} (HTTP {job['ResponseMetadata']['HTTPStatusCode']})")
    described = client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])
    steps.append(described["jobRun"]["state"])
    client.cancel_job_run(virtualClusterId=cluster["id"], id=job["id"])
    described = client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])
    steps.append(described["jobRun"]["state"])
    try:
        client.describe_job_run(virtualClusterId=cluster["id"], id="0000000000nosuchjob")
    except client.exceptions.ResourceNotFoundException as err:
        steps.append(f"{err.response['Error']['Code']}: {err.response['Error']['Message']}")
    return steps


def run(out_dir: Path | None, stream: TextIO) -> int:
    """Record, scrub, replay and report; returns the exit code."""
    from .. import model
    from ..record.recorder import record
    from ..replay.replayer import replay

    def say(line: str = "") -> None:
        print(line, file=stream)

    with contextlib.ExitStack() as stack:
        folder = out_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="replay-jobrun-"))
        )
        path = folder / "demo-job-lifecycle.yaml"
        # moto's state outlives its server in this process, and it allows one virtual
        # cluster per namespace: a namespace of its own lets the demo run again here.
        namespace = f"spark-{secrets.token_hex(4)}"
        stack.enter_context(isolated_aws_environment())
        with moto_server() as url:
            say(f"1. recording a job lifecycle from a moto server at {url}")
            with record(path, mode="all", endpoint_url=url) as recording:
                live = job_lifecycle(
                    model.botocore_session().create_client("emr-containers", region_name=REGION),
                    namespace,
                )
        assert recording.written is not None
        assert recording.report is not None
        say(f"2. scrubbed and wrote {path} ({len(recording.written.interactions)} interactions):")
        for line in scrub_lines(recording.report.summary()):
            say(f"  {line}")
        say("   leak scan: clean (a cassette that fails it is never written)")
        say("3. replaying offline through botocore's Stubber (moto stopped, sockets refused):")
        with no_network(), replay(path) as replaying:
            replayed = job_lifecycle(
                model.botocore_session().create_client("emr-containers", region_name=REGION),
                namespace,
            )
        unused = replaying.unused()
        for step in replayed:
            say(f"   {step}")
        say("4. cassette summary (replay-jobrun show):")
        for line in describe(load_cassette(path)).splitlines():
            say(f"   {line}")
        if replayed != live or unused:
            say(
                f"FAILED: replay differs from the recording: live={live} replayed={replayed} unused={unused}"
            )
            return 1
        say("replay matches the recording: every response served, in order.")
        if out_dir is None:
            say("(the cassette was written to a temporary folder; keep it with --out DIR)")
    return 0
