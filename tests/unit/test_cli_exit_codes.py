"""The command's exit-code contract: 0 clean, 1 a finding, 2 bad input, 3 a bug; no tracebacks."""

from __future__ import annotations

import errno
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from replay_jobrun import cli
from replay_jobrun.errors import CassetteFormatError, ConfigError, LeakError
from tests.support import CASSETTES

GOOD = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
VERSION = metadata.version("replay-jobrun")
INTERNAL = re.compile(
    r"replay-jobrun: internal error \(a bug in replay_jobrun (?P<version>\S+)\): "
    r"(?P<what>.*)\. Please report it at the project's issue tracker; "
    r"rerun with --debug for the traceback\.\n"
)


def _show_raising(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    *options: str,
) -> tuple[int, str]:
    """``show`` on a good cassette, with the summary step raising ``error``."""

    def broken(*_: object) -> str:
        raise error

    monkeypatch.setattr("replay_jobrun.cli.summary.describe", broken)
    code = cli.main([*options, "show", str(GOOD)])
    return code, capsys.readouterr().err


# --- what each kind of exception maps to -----------------------------------------


# The contract as one table: each kind of exception, its exit code, the start of its message.
CONTRACT: list[tuple[Exception, int, str]] = [
    (
        LeakError(path="x.yaml", count=1, findings="  #0 ...", fix="add a rule"),
        1,
        "replay-jobrun: Refusing to write x.yaml: after scrubbing it s",
    ),
    (
        CassetteFormatError(path="x.yaml", problem="bad", fix="re-record"),
        2,
        "replay-jobrun: x.yaml: bad\nFix: re-record\n",
    ),
    (
        ConfigError(source="--ignore", problem="bad", valid="KIND PATH"),
        2,
        "replay-jobrun: --ignore: bad\nValid: KIND PATH\n",
    ),
    (
        PermissionError(errno.EACCES, "Permission denied", "x.yaml"),
        2,
        "replay-jobrun: x.yaml: permission denied.\nFix: make the file readable",
    ),
    (
        OSError(errno.EIO, "Input/output error", "x.yaml"),
        2,
        "replay-jobrun: x.yaml: Input/output error.\nFix: check the path and its permissions.\n",
    ),
    (TypeError("a bug"), 3, "replay-jobrun: internal error (a bug in replay_jobrun "),
]


def test_each_kind_of_exception_has_its_exit_code_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = []
    for error, _, text in CONTRACT:
        status, err = _show_raising(monkeypatch, capsys, error)
        assert "Traceback" not in err
        seen.append((error, status, err[: len(text)]))
    assert seen == CONTRACT


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("the scrubber's state\nis broken"),
        RecursionError("maximum recursion depth exceeded"),
        KeyError("jobRun"),
        ValueError(""),
    ],
    ids=["runtime", "recursion", "key", "no-message"],
)
def test_any_other_exception_is_a_bug_in_one_line_exit_3(
    error: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _show_raising(monkeypatch, capsys, error)
    assert status == 3
    match = INTERNAL.fullmatch(err)
    assert match is not None, err
    assert match["version"] == VERSION
    expected = " ".join(str(error).split())
    assert match["what"] == (f"{type(error).__name__}: {expected}" if expected else "ValueError")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "options",
    [
        ["--debug", "show", str(GOOD)],
        ["show", str(GOOD), "--debug"],
        ["show", "--debug", str(GOOD)],
    ],
    ids=["before", "after", "between"],
)
def test_debug_prints_the_traceback_and_keeps_the_exit_code(
    options: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> str:
        raise RuntimeError("planted")

    monkeypatch.setattr("replay_jobrun.cli.summary.describe", broken)
    assert cli.main(options) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert "in broken\n" in err  # the frame that raised
    assert INTERNAL.search(err) is not None  # then the same line as without --debug


def test_debug_shows_the_traceback_behind_bad_input_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--debug", "show", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err
    assert "FileNotFoundError" in err


def test_ctrl_c_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _show_raising(monkeypatch, capsys, KeyboardInterrupt()) == (
        130,
        "replay-jobrun: interrupted\n",
    )


# --- real triggers: files the command is pointed at ------------------------------


def test_a_missing_file_is_named_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["scan", "missing.yaml"]) == 2
    assert capsys.readouterr().err == (
        "replay-jobrun: missing.yaml: no such file or folder.\n"
        "Fix: check the path (relative paths start at the current folder).\n"
    )


def test_a_name_longer_than_the_file_system_allows_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ("a" * 300 + ".yaml")
    assert cli.main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"replay-jobrun: {path}: the name is too long for the file system")
    assert "Fix: shorten the file or folder name." in err


def test_a_symbolic_link_loop_is_named_as_a_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    for command in ("show", "scan", "scrub"):
        assert cli.main([command, str(loop)]) == 2
        assert capsys.readouterr().err == (
            f"replay-jobrun: {loop}: a symbolic link loop (too many levels of symbolic links).\n"
            "Fix: point the link at a real file or remove it.\n"
        )


def test_a_loop_or_broken_link_inside_a_folder_is_named_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    assert cli.main(["scan", str(tmp_path)]) == 2
    assert f"{tmp_path / 'loop.yaml'}: a symbolic link loop" in capsys.readouterr().err
    (tmp_path / "loop.yaml").unlink()
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    assert cli.main(["scan", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"replay-jobrun: {tmp_path / 'dangling.yaml'}: a symbolic link to nothing "
        "(its target is missing).\nFix: point the link at an existing file, or remove it.\n"
    )


def test_a_nul_byte_in_a_path_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No argv can hold a NUL, but main() called from Python and an ini value can.
    for args in (["show", "a\0b.yaml"], ["drift", "--model", "a\0b"]):
        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert "a path cannot hold a NUL byte" in err
        assert "'a\\x00b" in err


def test_a_folder_where_a_report_file_goes_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["drift", "--format", f"json={tmp_path}", str(GOOD), str(GOOD)]) == 2
    assert capsys.readouterr().err == (
        f"replay-jobrun: {tmp_path}: a folder where a file is needed.\n"
        "Fix: name a file, not a folder.\n"
    )


def _latin1_cassette(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.yaml"
    text = GOOD.read_text(encoding="utf-8")
    path.write_bytes(text.encode("utf-8") + "# recorded by René\n".encode("latin-1"))
    return path


@pytest.mark.parametrize("command", ["scan", "scrub"])
def test_a_cassette_that_is_not_utf8_is_bad_input_naming_the_byte(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _latin1_cassette(tmp_path)
    before = path.read_bytes()
    offset = before.index(b"\xe9")
    line = before[:offset].count(b"\n") + 1
    assert cli.main([command, str(path)]) == 2
    assert capsys.readouterr().err == (
        f"replay-jobrun: {path}: not UTF-8 text: byte offset {offset} (line {line}) holds "
        "0xe9 (invalid continuation byte)\n"
        "Fix: cassettes are UTF-8 YAML: restore the file from version control, convert it "
        "to UTF-8 (iconv -t utf-8), or re-record it\n"
    )
    assert path.read_bytes() == before


# --- --version ---------------------------------------------------------------


def test_version_names_ours_and_the_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    versions = {name: metadata.version(name) for name in ("botocore", "vcrpy", "deepdiff")}
    assert capsys.readouterr().out == (
        f"replay-jobrun {VERSION} (botocore {versions['botocore']}, vcrpy {versions['vcrpy']}, "
        f"deepdiff {versions['deepdiff']}, Python {platform.python_version()})\n"
    )


# --- as a user runs it: the installed module in a process of its own -------------


def _run(
    tmp_path: Path, *args: str, stdout: int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "replay_jobrun.cli", *args],
        cwd=tmp_path,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


def test_bad_files_exit_2_without_a_traceback_in_a_real_process(tmp_path: Path) -> None:
    latin1 = _latin1_cassette(tmp_path)
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    for args, named in (
        (["scan", str(latin1)], f"{latin1}: not UTF-8 text"),
        (["show", str(loop)], f"{loop}: a symbolic link loop"),
        (["show", "x" * 300], "the name is too long"),
    ):
        result = _run(tmp_path, *args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert named in result.stderr
        assert result.stdout == ""


def test_output_closed_early_exits_quietly(tmp_path: Path) -> None:
    # The reading end is closed before the command starts: its first write fails, as
    # `replay-jobrun show cassettes | head -1` does once head has its line.
    read, write = os.pipe()
    os.close(read)
    try:
        result = _run(tmp_path, "show", str(CASSETTES), stdout=write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")


def test_demo_without_moto_is_bad_usage_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # what an uninstalled module does
    assert cli.main(["demo"]) == 2
    assert capsys.readouterr().err == (
        "replay-jobrun: demo needs moto's server, which is not installed.\n"
        "Fix: pip install 'replay-jobrun[moto]'\n"
    )
