"""Cassette paths through the plugin: kept in jobrun_cassette_dir, one file per test id,
old names found, and tests sharing a cassette under pytest-xdist."""

from __future__ import annotations

import shutil
from glob import escape
from pathlib import Path

import pytest

from tests.support import CASSETTES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

REAL = CASSETTES / "real/describe-job-run_completed_sparkpilot-1.yaml"

LIST_CLUSTERS = """
import boto3
import pytest


def clusters():
    return boto3.client("emr-containers", region_name="us-east-1").list_virtual_clusters()
"""

DESCRIBE = """
import boto3
import pytest


def describe():
    client = boto3.client("emr-containers", region_name="us-east-1")
    return client.describe_job_run(
        virtualClusterId="k3v9q0x7r2m8w1t5z6b4n0c2d", id="0000000378nj1d2s7lo"
    )["jobRun"]
"""


def _record(moto_url: str) -> tuple[str, ...]:
    return (
        "--jobrun-record-mode=all",
        f"--jobrun-endpoint-url={moto_url}",
        "-p",
        "no:cacheprovider",
    )


# --- inside jobrun_cassette_dir --------------------------------------------------------


def test_a_marker_path_out_of_the_cassette_folder_is_refused_and_nothing_written(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(
        test_out=LIST_CLUSTERS
        + """

@pytest.mark.jobrun_cassette("../../escaped.yaml")
def test_escapes():
    clusters()
"""
    )
    result = pytester.runpytest(*_record(moto_url))
    result.assert_outcomes(errors=1)
    escaped = (pytester.path / "cassettes" / "../../escaped.yaml").resolve()
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.jobrun_cassette('../../escaped.yaml') of test_out.py::test_escapes: "
            f"the cassette path resolves to {escaped}, outside the cassette folder "
            f"{(pytester.path / 'cassettes').resolve()} (jobrun_cassette_dir)*",
            "Fix: give a path inside jobrun_cassette_dir*allow_outside=True)",
        ]
    )
    assert not escaped.exists()
    assert not list(pytester.path.parent.parent.glob("escaped*"))


def test_an_absolute_path_outside_is_written_when_allowed(
    pytester: pytest.Pytester, moto_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "shared-cassettes" / "clusters.yaml"
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(
        test_out=LIST_CLUSTERS
        + f"""

@pytest.mark.jobrun_cassette({str(target)!r}, allow_outside=True)
def test_allowed():
    clusters()


@pytest.mark.jobrun_cassette({str(target)!r})
def test_not_allowed():
    clusters()
"""
    )
    result = pytester.runpytest(*_record(moto_url))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [f"*of test_out.py::test_not_allowed: the cassette path resolves to {target}, outside*"]
    )
    assert target.is_file()
    assert not (pytester.path / "cassettes").exists()


# --- distinct ids, distinct files; old names ------------------------------------------

IDS = """

@pytest.mark.jobrun_cassette
@pytest.mark.parametrize("key", {ids})
def test_x(key):
    assert describe()["state"] == "COMPLETED"
"""


def test_ids_that_shared_a_file_get_their_own_and_the_shared_old_file_is_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_ids=DESCRIBE + IDS.format(ids='["a::b", "a.b"]'))
    folder = pytester.path / "cassettes" / "test_ids"
    folder.mkdir(parents=True)
    # Before, both tests' cassette was this one file: whichever recorded last.
    shutil.copy(REAL, folder / "test_x[a.b].jobrun.yaml")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_x[[]a::b[]]*",
            "*"
            + escape(
                f"{folder / 'test_x[a.b].jobrun.yaml'}: this file was the cassette of both "
                "test_ids.py::test_x[a::b] and test_ids.py::test_x[a.b] (their names used to map "
                "to one file)"
            )
            + "*",
            "Fix: record this test's own cassette (test_x[[]a--b]-*.jobrun.yaml):",
            escape("    pytest 'test_ids.py::test_x[a::b]' --jobrun-record-mode=once"),
        ]
    )
    assert (
        "test_ids.py::test_x[a.b] PASSED"
        in pytester.runpytest("-v", "-p", "no:cacheprovider").stdout.str()
    )


def test_a_cassette_under_its_old_ambiguous_name_is_still_used_with_a_warning(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_ids=DESCRIBE + IDS.format(ids='["a::b"]'))
    folder = pytester.path / "cassettes" / "test_ids"
    folder.mkdir(parents=True)
    old = folder / "test_x[a.b].jobrun.yaml"
    shutil.copy(REAL, old)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=1)
    (new,) = (name for name in result.stdout.lines if "git mv" in name)
    assert new.split() == ["git", "mv", str(old), new.split()[-1]]
    renamed = Path(new.split()[-1])
    assert renamed.parent == folder
    assert renamed.name.startswith("test_x[a--b]-")
    result.stdout.fnmatch_lines(
        [
            "*LegacyCassetteNameWarning: *test_x[[]a.b[]].jobrun.yaml: replay_jobrun now gives "
            "distinct test ids distinct file names; used under its old name this time*"
        ]
    )
    old.rename(renamed)
    pytester.runpytest("-p", "no:cacheprovider", "-W", "error").assert_outcomes(passed=1)


# --- pytest-xdist -----------------------------------------------------------------------

SHARED = """

@pytest.mark.jobrun_cassette("shared/clusters.yaml")
{group}def test_first():
    clusters()


@pytest.mark.jobrun_cassette("shared/clusters.yaml")
{group}def test_second():
    clusters()


def test_plain():
    pass
"""


def test_tests_sharing_a_cassette_they_record_on_xdist_workers_fail_clearly(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(test_shared=LIST_CLUSTERS + SHARED.format(group=""))
    result = pytester.runpytest_subprocess(*_record(moto_url), "-n", "2")
    result.assert_outcomes(passed=1, errors=2)
    cassette = pytester.path / "cassettes" / "shared" / "clusters.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*{cassette}: 2 tests share this cassette and at least one records it, but "
            "pytest-xdist (-n 2, --dist load) may run them on different workers at once*",
            "    test_shared.py::test_first",
            "    test_shared.py::test_second",
            "Fix: give each test its own cassette*--dist loadgroup with the same "
            '@pytest.mark.xdist_group("name") on each*',
        ]
    )
    assert not cassette.exists()
    # Replaying a shared cassette on many workers is fine: nothing is written.
    shutil.copy(REAL, cassette.parent.mkdir(parents=True) or cassette)
    replayed = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    assert "share this cassette" not in replayed.stdout.str()


def test_one_xdist_group_records_a_shared_cassette_and_the_summary_lists_it(
    pytester: pytest.Pytester, moto_url: str
) -> None:
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    pytester.makepyfile(
        test_shared=LIST_CLUSTERS + SHARED.format(group='@pytest.mark.xdist_group("clusters")\n'),
        test_alone=LIST_CLUSTERS
        + """

@pytest.mark.xdist_group("alone")  # the cassette's name never takes xdist's "@alone"
def test_alone(jobrun_replay):
    clusters()
""",
    )
    result = pytester.runpytest_subprocess(*_record(moto_url), "-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=4)
    cassettes = pytester.path / "cassettes"
    # The controller's summary holds what the workers wrote, listed by path.
    result.stdout.fnmatch_lines(
        [
            "*= jobrun cassettes =*",
            f"wrote {cassettes / 'shared' / 'clusters.yaml'} (1 interaction; scrubbed: *)",
            f"wrote {cassettes / 'shared' / 'clusters.yaml'} (1 interaction; scrubbed: *)",
            f"wrote {cassettes / 'test_alone' / 'test_alone.jobrun.yaml'} (1 interaction; *)",
        ]
    )
