"""Generated pytest projects for ``benchmarks/run.py``: the same code under test, tested six ways.

Every project holds N copies of one test. The code under test builds its own
emr-containers client (``boto3.client``, or ``boto3.session.Session().client``
like Airflow's EmrContainerHook) and calls ``describe_job_run``; what differs
is where the response comes from:

- ``empty``: ``assert True``, pytest's own cost, subtracted from the others;
- ``A`` hand-written ``Stubber``, client per test (what a user writes by hand);
- ``B`` hand-written ``Stubber`` on one client per session (the floor);
- ``C`` moto's ``mock_aws`` as its docs show: decorator per test, the job run
  created first (moto answers DescribeJobRun only for a job it started);
- ``D`` pytest-recording (vcrpy HTTP replay) of the same cassette;
- ``E`` the ``jobrun_replay`` fixture, every test replaying one cassette
  (parsed once per session), and ``E-own`` with a cassette file per test
  (each loaded and parsed in its test);

plus a 20-poll lifecycle (SUBMITTED to COMPLETED) and a new ``boto3.Session``
per test, each for A and E. Cassettes are written by the library's own
recorder (scrub, normalize, leak scan), so they are what users commit.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VC = "k3v9q0x7r2m8w1t5z6b4n0c2d"
JOB = "0000000378nj1d2s7lo"
ACCOUNT = "604193857261"
POLLS = 20


def job_body(state: str) -> dict[str, Any]:
    """A full-size DescribeJobRun body (as AWS returns it) in ``state``."""
    done = state in ("COMPLETED", "FAILED", "CANCELLED")
    run: dict[str, Any] = {
        "id": JOB,
        "name": "cur-reconcile-evidence-sparkpi",
        "virtualClusterId": VC,
        "arn": f"arn:aws:emr-containers:us-east-1:{ACCOUNT}:/virtualclusters/{VC}/jobruns/{JOB}",
        "state": state,
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
        "tags": {"team": "data"},
    }
    if done:
        run["finishedAt"] = "2026-03-22T22:10:47Z"
        run["stateDetails"] = "JobRun completed successfully. It ran for 43 Seconds"
    return {"jobRun": run}


def lifecycle_states() -> list[str]:
    """The states a 20-poll job run goes through."""
    return ["SUBMITTED", "PENDING"] + ["RUNNING"] * (POLLS - 3) + ["COMPLETED"]


def write_cassette(path: Path, states: list[str]) -> None:
    """A cassette of one DescribeJobRun per state, through the recorder's scrub and leak scan."""
    from replay_jobrun.cassette.format import (
        Cassette,
        Interaction,
        RecordedRequest,
        RecordedResponse,
    )
    from replay_jobrun.record.recorder import write_scrubbed
    from replay_jobrun.scrub.scrubber import Scrubber

    uri = f"https://emr-containers.us-east-1.amazonaws.com/virtualclusters/{VC}/jobruns/{JOB}"
    interactions = []
    for number, state in enumerate(states):
        body = json.dumps(job_body(state)).encode()
        headers = {
            "Content-Type": ["application/json"],
            "x-amzn-RequestId": [f"4f6c2b3e-1111-2222-3333-{number:012d}"],
            "Content-Length": [str(len(body))],
        }
        interactions.append(
            Interaction(
                request=RecordedRequest("GET", uri, {}, None),
                response=RecordedResponse(200, "OK", headers, body),
                operation="DescribeJobRun",
            )
        )
    write_scrubbed(Cassette(path, tuple(interactions), {}), Scrubber(), region="us-east-1")


def strip_metadata(path: Path) -> None:
    """Drop replay_jobrun's block, as in a cassette recorded by pytest-recording."""
    import yaml
    from vcr.serializers import yamlserializer

    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    data.pop("replay_jobrun", None)
    data.pop("metadata", None)
    path.write_text(yamlserializer.serialize(data))


# -- the code under test, as each project's conftest-free test module spells it ----------
_CLIENT = 'boto3.client("emr-containers", region_name="us-east-1")'
_SESSION_CLIENT = 'boto3.session.Session().client("emr-containers", region_name="us-east-1")'

# What every test module ends its header with: the code under test, polling until the
# job ends through the client it is given.
_POLL = """

def poll(client):
    while True:
        state = client.describe_job_run(virtualClusterId=VC, id=JOB)["jobRun"]["state"]
        if state in ("COMPLETED", "FAILED", "CANCELLED"):
            return state
"""

_STUBBED = """import datetime as dt
import json

import boto3
from botocore.stub import Stubber

VC, JOB = {vc!r}, {job!r}
RESPONSES = json.loads({responses!r})
for body in RESPONSES:
    for key in ("createdAt", "finishedAt"):
        if key in body["jobRun"]:
            body["jobRun"][key] = dt.datetime.fromisoformat(body["jobRun"][key].replace("Z", "+00:00"))
{extra}"""
_STUBBED_TEST = """

def test_{{n}}():
    client = {client}
    with Stubber(client) as stub:
        for body in RESPONSES:
            stub.add_response("describe_job_run", body, {{{{"virtualClusterId": VC, "id": JOB}}}})
        assert poll(client) == "COMPLETED"
"""
_CACHED_EXTRA = f"CLIENT = {_CLIENT}\n"
_REPLAYED = """import boto3
import pytest

VC, JOB = {vc!r}, {job!r}
"""
_JOBRUN_TEST = """

@pytest.mark.jobrun_cassette("shared/describe.yaml")
def test_{{n}}(jobrun_replay):
    client = {client}
    assert poll(client) == "COMPLETED"
"""
_JOBRUN_OWN_CASSETTE_TEST = """

def test_{{n}}(jobrun_replay):
    client = {client}
    assert poll(client) == "COMPLETED"
"""
_VCR_TEST = """

@pytest.mark.vcr
def test_{n}():
    client = boto3.client("emr-containers", region_name="us-east-1")
    assert poll(client) == "COMPLETED"
"""
_VCR_CONFTEST = """import pytest


@pytest.fixture
def default_cassette_name():
    return "describe"


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(request.config.rootpath / "vcr")
"""
_MOTO_TEST = """

@mock_aws
def test_{n}():
    setup = boto3.client("emr-containers", region_name="us-east-1")
    vc = setup.create_virtual_cluster(
        name="bench",
        containerProvider={{"type": "EKS", "id": "eks", "info": {{"eksInfo": {{"namespace": "spark"}}}}}},
    )["id"]
    job = setup.start_job_run(
        virtualClusterId=vc,
        executionRoleArn="arn:aws:iam::123456789012:role/bench",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={{"sparkSubmitJobDriver": {{"entryPoint": "s3://bucket/sparkpi.py"}}}},
    )["id"]
    client = boto3.client("emr-containers", region_name="us-east-1")
    out = client.describe_job_run(virtualClusterId=vc, id=job)
    assert out["jobRun"]["state"] in ("PENDING", "SUBMITTED", "RUNNING")
"""
_MOTO_HEADER = """import boto3
from moto import mock_aws
"""
_EMPTY_TEST = """

def test_{n}():
    assert True
"""

INI = "[pytest]\naddopts = -p no:cacheprovider\njobrun_cassette_dir = cassettes\n"


@dataclass(frozen=True)
class Project:
    """One generated project: the test module's header, one test, the cassette it replays."""

    name: str
    description: str
    header: str
    test: str
    states: tuple[str, ...] = ()
    conftest: str = ""
    cassette: str = (
        ""  # where the project's cassette goes, relative to its folder ("{n}": one per test)
    )
    plain_vcrpy: bool = False  # the cassette as stock vcrpy records it, no metadata block

    def write(self, root: Path, tests: int) -> Path:
        """Write the project with ``tests`` copies of its test; return its folder."""
        folder = root / self.name
        folder.mkdir(parents=True)
        (folder / "pytest.ini").write_text(INI)
        if self.conftest:
            (folder / "conftest.py").write_text(self.conftest)
        (folder / "test_suite.py").write_text(
            self.header + "".join(self.test.format(n=i) for i in range(tests))
        )
        if self.cassette:
            first = folder / self.cassette.format(n=0)
            write_cassette(first, list(self.states))
            if self.plain_vcrpy:
                strip_metadata(first)
            for n in range(1, tests if "{n}" in self.cassette else 1):
                shutil.copyfile(first, folder / self.cassette.format(n=n))
        return folder


def _stubbed(name: str, description: str, states: list[str], client: str, cached: bool) -> Project:
    responses = json.dumps([job_body(s) for s in states])
    header = _STUBBED.format(
        vc=VC, job=JOB, responses=responses, extra=_CACHED_EXTRA if cached else ""
    )
    test = _STUBBED_TEST.format(client="CLIENT" if cached else client)
    return Project(name, description, header + _POLL, test)


def _replayed(name: str, description: str, states: list[str], client: str) -> Project:
    return Project(
        name,
        description,
        _REPLAYED.format(vc=VC, job=JOB) + _POLL,
        _JOBRUN_TEST.format(client=client),
        tuple(states),
        cassette="cassettes/shared/describe.yaml",
    )


def projects() -> dict[str, Project]:
    """Every project run.py times, by name."""
    one = ["COMPLETED"]
    life = lifecycle_states()
    found = [
        Project("empty", "assert True (pytest itself)", "", _EMPTY_TEST),
        _stubbed("A", "hand-written Stubber, client per test", one, _CLIENT, cached=False),
        _stubbed("B", "hand-written Stubber, one client per session", one, _CLIENT, cached=True),
        Project("C", "moto mock_aws, as its docs show", _MOTO_HEADER, _MOTO_TEST),
        Project(
            "D",
            "pytest-recording (vcrpy HTTP replay)",
            _REPLAYED.format(vc=VC, job=JOB) + _POLL,
            _VCR_TEST,
            tuple(one),
            conftest=_VCR_CONFTEST,
            cassette="vcr/describe.yaml",
            plain_vcrpy=True,
        ),
        _replayed("E", "jobrun_replay", one, _CLIENT),
        Project(
            "B-replay",
            "jobrun_replay, one module-level client made at import (as B)",
            _REPLAYED.format(vc=VC, job=JOB) + _CACHED_EXTRA + _POLL,
            _JOBRUN_TEST.format(client="CLIENT"),
            tuple(one),
            cassette="cassettes/shared/describe.yaml",
        ),
        Project(
            "E-own",
            "jobrun_replay, a cassette file per test (nothing reused)",
            _REPLAYED.format(vc=VC, job=JOB) + _POLL,
            _JOBRUN_OWN_CASSETTE_TEST.format(client=_CLIENT),
            tuple(one),
            cassette="cassettes/test_suite/test_{n}.yaml",
        ),
        _stubbed("A20", "hand-written Stubber, 20 polls queued", life, _CLIENT, cached=False),
        _replayed("E20", "jobrun_replay, 20-poll lifecycle cassette", life, _CLIENT),
        _stubbed(
            "A-session",
            "hand-written Stubber, new boto3.Session per test",
            one,
            _SESSION_CLIENT,
            cached=False,
        ),
        _replayed("E-session", "jobrun_replay, new boto3.Session per test", one, _SESSION_CLIENT),
    ]
    return {project.name: project for project in found}


def isolated_env() -> dict[str, str]:
    """The current environment with fake AWS credentials, no profile, no config, no IMDS.

    Bytecode caching is left on (as on a developer's machine): with
    ``PYTHONDONTWRITEBYTECODE`` every run would compile, and assertion-rewrite,
    every module again, which is not what a test suite pays run after run.
    """
    drop = ("AWS_", "REPLAY_JOBRUN_", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONDONTWRITEBYTECODE")
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
