"""The package's layering holds, and the check that guards it can fail.

``lint-imports`` (import-linter) reads the contracts in pyproject.toml; these
tests run it on the package as it is, and on copies with one import added
that breaks a rule, so a contract that silently stopped checking is caught.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest brings tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` in ``project``, whose ``replay_jobrun`` is the one analysed."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )


def copy_with_import(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the project's package and contracts with ``line`` appended to ``module``."""
    shutil.copytree(
        ROOT / "replay_jobrun",
        tmp_path / "replay_jobrun",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "replay_jobrun" / module
    target.write_text(target.read_text() + f"\n\ndef _added() -> None:\n    {line}\n")
    return tmp_path


def test_the_package_keeps_every_contract() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        pytest.param(
            "cassette/format.py",
            "from ..replay.replayer import replay  # noqa",
            "stages",
            id="a-lower-stage-imports-a-higher-one",
        ),
        pytest.param(
            "drift/compare.py",
            "from .run import drift  # noqa",
            "acyclic",
            id="a-cycle-inside-a-stage",
        ),
        pytest.param(
            "scrub/scan.py",
            "from .scrubber import Scrubber  # noqa",
            "scrub",
            id="independent-siblings-import-each-other",
        ),
    ],
)
def test_an_added_import_that_breaks_a_rule_fails_the_check(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    done = lint_imports(copy_with_import(tmp_path, module, line))
    assert done.returncode != 0, done.stdout
    report = " ".join(done.stdout.split())  # contract names are wrapped at the terminal width
    assert f"{CONTRACTS[contract]} BROKEN" in report
