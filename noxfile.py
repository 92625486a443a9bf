"""The test suite at both ends of the supported range (CONTRIBUTING.md, "Versions").

``nox -s lowest`` installs the lowest version of every direct dependency that
pyproject.toml allows (uv's ``lowest-direct`` resolution: the floors, plus
what they need), ``nox -s newest`` the newest; each on every Python from 3.10
to 3.13 that is installed (a missing one is skipped, or fails under ``CI``).
Arguments after ``--`` go to pytest: ``nox -s lowest-3.10 -- tests/unit``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # only interpreters already on the machine
nox.options.sessions = ["lowest", "newest"]


def _expose_pyenv_interpreters() -> None:
    """Put ``pythonX.Y`` of every pyenv-installed Python on PATH.

    pyenv's shims answer "command not found" for an installed version that is not
    selected, and interpreter discovery takes the shim's word for it. Links to the
    real binaries in ``.nox/pythons`` come first on PATH instead; nothing else
    (no ``python3``, no ``pip``) is shadowed.
    """
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    links = ROOT / ".nox" / "pythons"
    for version in PYTHONS:
        if _runs(shutil.which(f"python{version}")):
            continue
        candidates = sorted(Path(root, "versions").glob(f"{version}.*/bin/python{version}"))
        if candidates and _runs(str(candidates[-1])):
            links.mkdir(parents=True, exist_ok=True)
            link = links / f"python{version}"
            link.unlink(missing_ok=True)
            link.symlink_to(candidates[-1])
    if links.is_dir():
        os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


def _runs(executable: str | None) -> bool:
    if executable is None:
        return False
    done = subprocess.run([executable, "-c", ""], capture_output=True, check=False)
    return done.returncode == 0


_expose_pyenv_interpreters()


# Printed before the tests: the versions this session ran on.
VERSIONS = """
import importlib.metadata as m, sys
print("python", sys.version.split()[0])
for name in ("botocore", "vcrpy", "deepdiff", "pytest", "urllib3", "moto", "boto3", "hypothesis",
             "pytest-xdist", "pytest-recording", "import-linter", "jsonschema"):
    print(name, m.version(name))
"""


def _test(session: nox.Session) -> None:
    session.run("python", "-c", VERSIONS)
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHONS)
def lowest(session: nox.Session) -> None:
    """The suite on the lowest versions that pyproject.toml declares."""
    session.install("--resolution", "lowest-direct", "-e", ".[dev]")
    _test(session)


@nox.session(python=PYTHONS)
def newest(session: nox.Session) -> None:
    """The suite on the newest versions that pyproject.toml allows."""
    session.install("--upgrade", "-e", ".[dev]")
    _test(session)
