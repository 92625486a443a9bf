"""Per-test cost of ``jobrun_replay`` against a hand-written botocore Stubber test.

Three generated pytest projects of N tests each run in fresh processes,
interleaved (empty, stubber, jobrun_replay, empty, ...), R times:

- ``empty``: ``assert True`` (pytest's own cost, subtracted from the others);
- ``stubber``: the test builds ``boto3.client("emr-containers")``, queues a
  DescribeJobRun response on a ``Stubber`` with expected params and calls it —
  what a user writes by hand;
- ``jobrun_replay``: the same call, the response coming from a cassette
  (written by the library's own recorder) through the ``jobrun_replay``
  fixture, the client still built in the test.

Per-test cost = (median suite wall time - median empty wall time) / N. The
script prints both and their ratio; it is a measurement, not a gate, unless
``--check`` is given (exit 1 when jobrun_replay costs more than the Stubber).

    python benchmarks/replay_overhead.py [--tests 200] [--repeats 5] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VC = "k3v9q0x7r2m8w1t5z6b4n0c2d"
JOB = "0000000378nj1d2s7lo"
ACCOUNT = "604193857261"
JOB_BODY = {
    "jobRun": {
        "id": JOB,
        "name": "cur-reconcile-evidence-sparkpi",
        "virtualClusterId": VC,
        "arn": f"arn:aws:emr-containers:us-east-1:{ACCOUNT}:/virtualclusters/{VC}/jobruns/{JOB}",
        "state": "COMPLETED",
        "clientToken": "789381aa-41d8-5740-a951-e803aa8265d5",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/SparkPilotEmrExecutionRole",
        "releaseLabel": "emr-7.10.0-latest",
        "configurationOverrides": {
            "monitoringConfiguration": {
                "persistentAppUI": "ENABLED",
                "cloudWatchMonitoringConfiguration": {
                    "logGroupName": "/sparkpilot/runs/69be1cb6",
                    "logStreamNamePrefix": "attempt-1",
                },
            }
        },
        "jobDriver": {
            "sparkSubmitJobDriver": {
                "entryPoint": "s3://bucket/scripts/sparkpi.py",
                "entryPointArguments": ["10"],
                "sparkSubmitParameters": "--conf spark.driver.cores=1",
            }
        },
        "createdAt": "2026-03-22T22:09:13Z",
        "createdBy": f"arn:aws:sts::{ACCOUNT}:assumed-role/SparkPilotByocLiteRoleAdmin/sparkpilot-53d8b69e",
        "finishedAt": "2026-03-22T22:10:47Z",
        "stateDetails": "JobRun completed successfully. It ran for 43 Seconds",
        "tags": {"team": "data"},
    }
}

INI = "[pytest]\naddopts = -p no:cacheprovider\njobrun_cassette_dir = cassettes\n"

STUBBER_HEADER = f"""import datetime as dt
import json

import boto3
from botocore.stub import Stubber

VC, JOB = {VC!r}, {JOB!r}
RESPONSE = json.loads({json.dumps(json.dumps(JOB_BODY))})
for key in ("createdAt", "finishedAt"):
    RESPONSE["jobRun"][key] = dt.datetime.fromisoformat(RESPONSE["jobRun"][key].replace("Z", "+00:00"))
"""
STUBBER_TEST = """

def test_{n}():
    client = boto3.client("emr-containers", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("describe_job_run", RESPONSE, {{"virtualClusterId": VC, "id": JOB}})
        out = client.describe_job_run(virtualClusterId=VC, id=JOB)
    assert out["jobRun"]["state"] == "COMPLETED"
"""
REPLAY_HEADER = f"""import boto3
import pytest

VC, JOB = {VC!r}, {JOB!r}
"""
REPLAY_TEST = """

@pytest.mark.jobrun_cassette("shared/describe.yaml")
def test_{n}(jobrun_replay):
    client = boto3.client("emr-containers", region_name="us-east-1")
    out = client.describe_job_run(virtualClusterId=VC, id=JOB)
    assert out["jobRun"]["state"] == "COMPLETED"
"""
EMPTY_TEST = """

def test_{n}():
    assert True
"""


def write_cassette(path: Path) -> None:
    """Write a genuine cassette through the recorder's scrub, normalize and leak scan."""
    from replay_jobrun.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
    from replay_jobrun.record import write_scrubbed
    from replay_jobrun.scrub import Scrubber

    body = json.dumps(JOB_BODY).encode()
    headers = {
        "Content-Type": ["application/json"],
        "x-amzn-RequestId": ["4f6c2b3e-1111-2222-3333-444455556666"],
        "Content-Length": [str(len(body))],
    }
    uri = f"https://emr-containers.us-east-1.amazonaws.com/virtualclusters/{VC}/jobruns/{JOB}"
    interaction = Interaction(
        request=RecordedRequest("GET", uri, {}, None),
        response=RecordedResponse(200, "OK", headers, body),
        operation="DescribeJobRun",
    )
    write_scrubbed(Cassette(path, (interaction,), {}), Scrubber(), region="us-east-1")


def make_project(folder: Path, header: str, test: str, n: int) -> Path:
    """A pytest project of ``n`` copies of ``test`` under one ``header``."""
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text(INI)
    (folder / "test_suite.py").write_text(header + "".join(test.format(n=i) for i in range(n)))
    return folder


def isolated_env() -> dict[str, str]:
    """The current environment with fake AWS credentials and no profile or config."""
    drop = ("AWS_", "REPLAY_JOBRUN_", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_suite(folder: Path, env: dict[str, str]) -> float:
    """Wall time of one ``pytest`` run of ``folder`` in a fresh interpreter."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(folder)]
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"suite {folder.name} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per suite (default 200)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each suite (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 if E/A > 1.0")
    args = parser.parse_args(argv)
    if args.tests < 1 or args.repeats < 1:
        parser.error("--tests and --repeats must be at least 1")

    import botocore

    work = Path(tempfile.mkdtemp(prefix="replay-jobrun-bench-"))
    try:
        projects = {
            "empty": make_project(work / "empty", "", EMPTY_TEST, args.tests),
            "stubber": make_project(work / "stubber", STUBBER_HEADER, STUBBER_TEST, args.tests),
            "jobrun_replay": make_project(work / "replay", REPLAY_HEADER, REPLAY_TEST, args.tests),
        }
        write_cassette(projects["jobrun_replay"] / "cassettes" / "shared" / "describe.yaml")
        env = isolated_env()
        walls: dict[str, list[float]] = {name: [] for name in projects}
        for _ in range(args.repeats):
            for name, folder in projects.items():
                walls[name].append(run_suite(folder, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {name: statistics.median(times) for name, times in walls.items()}
    per_test_ms = {name: (median[name] - median["empty"]) / args.tests * 1000 for name in median}
    print(
        f"N={args.tests} tests per suite, R={args.repeats} runs each; "
        f"python {sys.version.split()[0]}, botocore {botocore.__version__}"
    )
    print(f"{'suite':<16}{'median wall (s)':>18}{'per test (ms)':>16}")
    for name in projects:
        cost = "-" if name == "empty" else f"{per_test_ms[name]:.2f}"
        print(f"{name:<16}{median[name]:>18.3f}{cost:>16}")
    stubber = per_test_ms["stubber"]
    ratio = per_test_ms["jobrun_replay"] / stubber if stubber > 0 else float("inf")
    print(f"jobrun_replay / hand-written Stubber (client per test): {ratio:.2f}x")
    return 1 if args.check and ratio > 1.0 else 0


if __name__ == "__main__":
    sys.exit(main())
