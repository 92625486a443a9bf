"""Recording is isolated per test: a refused or failed write fails that test alone.

vcrpy unpatches HTTP only after its persister returns; a write that raised used to
leave its patches installed for the rest of the run, and a garbage collection in a
later test stripped that test's own patches, so it passed without a cassette.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support import CASSETTES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

PREVIOUS = (CASSETTES / "real/describe-job-run_cancelled_sparkpilot.yaml").read_text()

CONFTEST = """
from replay_jobrun import rules


def _explode(text):
    raise RuntimeError("the rule's replacement function broke")


def pytest_jobrun_scrub_rules(config):
    return [rules.regex(r"boom-[a-z]+", _explode)]
"""

HELPERS = """
import base64
import gc
import http.client
import os

import boto3
import botocore.awsrequest
import pytest

# A job name the scrubber leaves alone and the leak scan reads as an access key id.
LEAKY = base64.b64encode(b"AKIAIOSFODNN7EXAMPLE").decode()


def start(namespace, name):
    client = boto3.client("emr-containers", region_name="us-east-1")
    cluster = client.create_virtual_cluster(
        name=namespace,
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": namespace}}},
    )
    client.start_job_run(
        virtualClusterId=cluster["id"],
        name=name,
        executionRoleArn="arn:aws:iam::123456789012:role/JobRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    )
"""

REFUSED = {
    "leak": """
@pytest.mark.jobrun_cassette("refused-leak")
def test_refused_leak():
    start("leak", LEAKY)
""",
    "parent_is_a_file": """
@pytest.mark.jobrun_cassette("blocker/refused.yaml")
def test_refused_parent_is_a_file():
    start("parent", "job")
""",
    "name_too_long": """
@pytest.mark.jobrun_cassette("deep/" + "x" * 300 + ".yaml")
def test_refused_name_too_long():
    start("long", "job")
""",
    "scrub_rule": """
@pytest.mark.jobrun_cassette("refused-rule")
def test_refused_scrub_rule():
    start("rule", "boom-job")
""",
}

CLEAN = """
@pytest.mark.jobrun_cassette("clean")
def test_clean_records():
    gc.collect()  # what collected a refused test's vcrpy patches, and this test's with them
    start("clean", "nightly")
"""

UNPATCHED = """
def test_http_is_unpatched_after_recording():
    gc.collect()
    patched = [
        cls
        for cls in (
            http.client.HTTPConnection,
            http.client.HTTPSConnection,
            botocore.awsrequest.AWSHTTPConnectionPool.ConnectionCls,
            botocore.awsrequest.AWSHTTPSConnectionPool.ConnectionCls,
        )
        if getattr(cls, "cassette", None) is not None
    ]
    assert patched == []
"""


@pytest.mark.parametrize("clean_first", [False, True], ids=["refused-first", "clean-first"])
def test_a_refused_write_fails_that_test_alone(
    pytester: pytest.Pytester, moto_url: str, clean_first: bool
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makeconftest(CONFTEST)
    refused = "".join(REFUSED.values())
    body = HELPERS + (CLEAN + refused if clean_first else refused + CLEAN) + UNPATCHED
    pytester.makepyfile(test_iso=body)
    folder = pytester.path / "cassettes/test_iso"
    folder.mkdir(parents=True)
    for name in ("refused-leak", "refused-rule"):
        (folder / f"{name}.jobrun.yaml").write_text(PREVIOUS)
    (pytester.path / "cassettes/blocker").write_text("a file where a folder should be\n")

    result = pytester.runpytest_subprocess(
        "--jobrun-record-mode=all", f"--jobrun-endpoint-url={moto_url}", "-p", "no:cacheprovider"
    )

    # Each refused test passes its call and errors at teardown, where the write happens;
    # a name too long for the file system is refused at setup, before anything is recorded.
    result.assert_outcomes(passed=2 + len(REFUSED) - 1, errors=len(REFUSED))
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_refused_leak*",
            f"*Refusing to write {folder / 'refused-leak.jobrun.yaml'}: * possible secret(s)*",
        ],
        consecutive=False,
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_refused_parent_is_a_file*",
            f"*Could not write {pytester.path / 'cassettes/blocker/refused.yaml'}: File exists*",
            "*Fix: a file stands where a folder of the path should be*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_refused_name_too_long*",
            "*@pytest.mark.jobrun_cassette('deep/xxxx*.yaml') of test_iso.py::test_refused_name_too_long: "
            "xxxx*... is 305 bytes long; file systems take names of up to 255 bytes",
            "Fix: give the cassette a shorter name*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_refused_scrub_rule*",
            f"*{folder / 'refused-rule.jobrun.yaml'}: the scrub rule regex('boom-*', "
            "*_explode) failed: RuntimeError (the value it was applied to is not shown).",
            "*Fix: correct the rule*",
        ]
    )
    # Clean errors: no traceback through replay_jobrun's (or vcrpy's) frames.
    assert "replay_jobrun/record" not in out
    assert "site-packages/vcr" not in out
    # The previous files are as they were; nothing half-written next to them.
    for name in ("refused-leak", "refused-rule"):
        assert (folder / f"{name}.jobrun.yaml").read_text() == PREVIOUS
    assert sorted(p.name for p in folder.iterdir()) == [
        "clean.jobrun.yaml",
        "refused-leak.jobrun.yaml",
        "refused-rule.jobrun.yaml",
    ]
    from replay_jobrun.cassette.format import load_cassette

    clean = load_cassette(folder / "clean.jobrun.yaml")
    assert [i.operation for i in clean.interactions] == ["CreateVirtualCluster", "StartJobRun"]
    result.stdout.fnmatch_lines(
        ["*not written (the write failed: see the test's error): *refused-leak.jobrun.yaml"]
    )


def test_refused_and_clean_tests_on_two_workers(pytester: pytest.Pytester, moto_url: str) -> None:
    """With xdist, each worker's later tests record too."""
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    clean = "".join(
        textwrap.dedent(
            f"""
            @pytest.mark.jobrun_cassette("clean-{n}")
            def test_clean_{n}():
                gc.collect()
                start("clean{n}", "nightly")
            """
        )
        for n in range(4)
    )
    leaks = "".join(
        textwrap.dedent(
            f"""
            @pytest.mark.jobrun_cassette("leak-{n}")
            def test_leak_{n}():
                start("leak{n}", LEAKY)
            """
        )
        for n in range(4)
    )
    pytester.makepyfile(test_iso=HELPERS + leaks + clean)
    result = pytester.runpytest_subprocess(
        "--jobrun-record-mode=all",
        f"--jobrun-endpoint-url={moto_url}",
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=8, errors=4)
    written = sorted(p.name for p in (pytester.path / "cassettes/test_iso").iterdir())
    assert written == [f"clean-{n}.jobrun.yaml" for n in range(4)]


def test_record_from_python_raises_the_write_error_once_http_is_unpatched(
    tmp_path: Path, moto_url: str
) -> None:
    import http.client

    import boto3

    from replay_jobrun import record
    from replay_jobrun.errors import CassetteWriteError

    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    target = tmp_path / "blocker" / "poll.yaml"
    # The write happens on leaving record(): it raises there.
    with (
        pytest.raises(CassetteWriteError) as raised,
        record(target, mode="all", endpoint_url=moto_url),
    ):
        boto3.client("emr-containers", region_name="us-east-1").list_virtual_clusters()
    assert str(raised.value).startswith(f"Could not write {target}: File exists")
    assert getattr(http.client.HTTPConnection, "cassette", None) is None
