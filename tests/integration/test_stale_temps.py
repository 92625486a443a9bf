"""A writer killed mid-write leaves a temporary file: the next write to that folder removes
it, and never the temporary file of a writer still at work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from replay_jobrun import record
from replay_jobrun.cassette.format import STALE_TEMP_SECONDS, remove_stale_temps, write_atomic

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL and pids as on POSIX")

# A writer that stops for good once the cassette's text is in its temporary file.
_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from replay_jobrun.cassette.format import write_atomic

    def stop_here(fd):
        print("written", flush=True)
        time.sleep(600)

    os.fsync = stop_here
    write_atomic(Path(sys.argv[1]), "interactions: []\\n" * 2000)
    """
)


@pytest.fixture
def writers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()


def _stopped_writer(path: Path, writers: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    writers.append(child)
    assert child.stdout is not None
    assert child.stdout.readline() == "written\n"
    return child


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def test_a_killed_writers_temp_file_goes_on_the_next_recording_a_live_ones_stays(
    tmp_path: Path, moto_url: str, writers: list[subprocess.Popen[str]]
) -> None:
    folder = tmp_path / "cassettes"
    live = _stopped_writer(folder / "live.yaml", writers)
    (live_temp,) = _temps(folder)
    assert f".live.yaml.{live.pid}." in live_temp.name
    killed = _stopped_writer(folder / "killed.yaml", writers)  # its write leaves live's alone
    (killed_temp,) = set(_temps(folder)) - {live_temp}
    assert f".killed.yaml.{killed.pid}." in killed_temp.name
    assert killed_temp.stat().st_size > 0  # the whole text, as `git add` would pick it up
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed_temp.exists()

    with record(folder / "next.yaml", mode="all", endpoint_url=moto_url):
        boto3.client("emr-containers", region_name="us-east-1").list_virtual_clusters()

    assert (folder / "next.yaml").is_file()
    assert _temps(folder) == [live_temp]  # the killed writer's is gone, the live one's kept
    assert not (folder / "killed.yaml").exists()
    assert not (folder / "live.yaml").exists()


def test_old_temp_names_without_a_pid_go_once_they_are_old(tmp_path: Path) -> None:
    older_name = tmp_path / ".c.yaml.0123abcd.tmp"  # as written before the pid was in it
    not_ours = [tmp_path / ".notes.tmp", tmp_path / "build.1234.0123abcd.tmp"]
    for path in (older_name, *not_ours):
        path.write_text("x")
    write_atomic(tmp_path / "c.yaml", "a")
    assert older_name.exists()  # it may be a write in progress (an older version's)
    past = older_name.stat().st_mtime - STALE_TEMP_SECONDS - 60
    for path in (older_name, *not_ours):
        os.utime(path, (past, past))
    write_atomic(tmp_path / "c.yaml", "b")
    assert not older_name.exists()
    assert all(path.exists() for path in not_ours)
    assert (tmp_path / "c.yaml").read_text() == "b"


def test_a_temp_file_of_a_dead_pid_goes_and_of_this_process_stays(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    planted = tmp_path / f".c.yaml.{dead_pid}.0123abcd.tmp"
    ours = tmp_path / f".c.yaml.{os.getpid()}.89abcdef.tmp"
    planted.write_text("x")
    ours.write_text("x")
    now = ours.stat().st_mtime
    assert remove_stale_temps(tmp_path, now) == [planted]
    assert ours.exists()
