"""The command's exit-code contract, and the one line it prints for each failure.

| code | meaning |
|---|---|
| 0 | clean: nothing found |
| 1 | a finding: drift at or above ``--fail-on``, a leak (``scan``, or a ``LeakError``) |
| 2 | bad input or usage: argparse errors, every ``ReplayJobrunError``, an ``OSError`` |
| 3 | an internal error: any other exception is a bug in replay_jobrun |
| 130 | interrupted (Ctrl-C) |
| 141 | standard output closed early (``| head``): nothing more to say, so nothing said |

Only the standard library and ``errors`` are imported here: the contract must
hold even when importing a stage fails.
"""

from __future__ import annotations

import errno
import os
import platform
from importlib import metadata

from ..errors import LeakError, ReplayJobrunError

OK = 0
FINDING = 1
BAD_INPUT = 2
INTERNAL = 3
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
CLOSED_OUTPUT = 141  # 128 + SIGPIPE, what a shell reports for `tool | head`

PROG = "replay-jobrun"
ISSUES = "the project's issue tracker"

# What went wrong and what to do, for the errno values a path on the command line,
# in an ini file or in a cassette folder runs into. The OS's own text is terse
# ("File name too long") and names no fix.
_OS_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOENT: (
        "no such file or folder",
        "check the path (relative paths start at the current folder)",
    ),
    errno.ENAMETOOLONG: (
        "the name is too long for the file system (most allow 255 bytes per name)",
        "shorten the file or folder name",
    ),
    errno.ELOOP: (
        "a symbolic link loop (too many levels of symbolic links)",
        "point the link at a real file or remove it",
    ),
    errno.EACCES: (
        "permission denied",
        "make the file readable (and its folder writable "
        "where a command writes), or run as a user who may",
    ),
    errno.EPERM: ("operation not permitted", "check the file's owner and permissions"),
    errno.EISDIR: ("a folder where a file is needed", "name a file, not a folder"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EROFS: ("the file system is read-only", "write to a writable folder"),
    errno.ENOSPC: ("no space left on the device", "free some space and run again"),
}


def package_version(name: str) -> str:
    """The installed version of a distribution, or ``not installed``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_line() -> str:
    """What ``replay-jobrun --version`` prints: ours and what a bug report needs besides."""
    others = ", ".join(
        f"{name} {package_version(name)}" for name in ("botocore", "vcrpy", "deepdiff")
    )
    return (
        f"{PROG} {package_version('replay-jobrun')} ({others}, Python {platform.python_version()})"
    )


def os_error_message(err: OSError) -> str:
    """The file, what the system refused and the fix; the OS's own words when unknown."""
    problem, fix = _OS_FIXES.get(
        err.errno or -1, (err.strerror or str(err), "check the path and its permissions")
    )
    names = [str(name) for name in (err.filename, err.filename2) if name is not None]
    if err.errno == errno.ENOENT and names and os.path.islink(names[0]):
        problem, fix = (
            "a symbolic link to nothing (its target is missing)",
            "point the link at an existing file, or remove it",
        )
    where = " -> ".join(names) + ": " if names else ""
    return f"{PROG}: {where}{problem}.\nFix: {fix}."


def internal_error_message(err: BaseException) -> str:
    """One line saying it is our bug, what it was, where to report it, how to see more."""
    text = " ".join(str(err).split())  # one line, whatever the exception's text holds
    if len(text) > 300:
        text = text[:297] + "..."
    what = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return (
        f"{PROG}: internal error (a bug in replay_jobrun {package_version('replay-jobrun')}): "
        f"{what}. Please report it at {ISSUES}; rerun with --debug for the traceback."
    )


def classify(err: Exception) -> tuple[int, str]:
    """The exit code of an exception that escaped a command, and the message to print."""
    if isinstance(err, LeakError):
        return FINDING, f"{PROG}: {err}"
    if isinstance(err, ReplayJobrunError):
        return BAD_INPUT, f"{PROG}: {err}"
    if isinstance(err, OSError):
        return BAD_INPUT, os_error_message(err)
    return INTERNAL, internal_error_message(err)
