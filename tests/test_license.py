"""The license the metadata declares is the one shipped, in full, in the wheel and the sdist."""

from __future__ import annotations

import re
import sys

from tests.support import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest requires tomli before 3.11
    import tomli as tomllib

SECTIONS = [
    "Definitions",
    "Grant of Copyright License",
    "Grant of Patent License",
    "Redistribution",
    "Submission of Contributions",
    "Trademarks",
    "Disclaimer of Warranty",
    "Limitation of Liability",
    "Accepting Warranty or Additional Liability",
]


def test_the_declared_apache_license_is_shipped_in_full() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert "LICENSE" in project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]

    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    headings = re.findall(r"^\s+(\d)\. ([A-Z][^.]+)\.", text, re.MULTILINE)
    assert headings == [(str(n), name) for n, name in enumerate(SECTIONS, start=1)]
    assert "END OF TERMS AND CONDITIONS" in text
