"""The command reads the ini file pytest would read."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay_jobrun.cli.settings import load_settings
from replay_jobrun.errors import ConfigError


def test_pyproject_ini_options_are_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njobrun_drift_ignore = ["jobRun.tags", "added jobRun.x"]\n'
        'jobrun_cassette_dir = "recordings"\n'
    )
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    settings = load_settings(tmp_path / "sub" / "deeper")
    assert settings.path == tmp_path / "pyproject.toml"
    assert settings.lines("jobrun_drift_ignore") == ["jobRun.tags", "added jobRun.x"]
    assert settings.get("jobrun_cassette_dir", "cassettes") == "recordings"
    assert settings.rootdir == tmp_path


def test_linelist_from_an_ini_file_skips_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text(
        "[tox]\nenvlist = py\n[pytest]\njobrun_drift_ignore =\n    jobRun.tags\n\n"
        "    never-observed *\njobrun_drift_fail_on = breaking\n"
    )
    settings = load_settings(tmp_path)
    assert settings.lines("jobrun_drift_ignore") == ["jobRun.tags", "never-observed *"]
    assert settings.get("jobrun_drift_fail_on", "additive") == "breaking"


def test_pytest_ini_wins_over_pyproject_and_counts_even_when_empty(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njobrun_drift_fail_on = "info"\n'
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    settings = load_settings(tmp_path)
    assert settings.path == tmp_path / "pytest.ini"
    assert settings.get("jobrun_drift_fail_on", "additive") == "additive"


def test_files_without_a_pytest_section_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    parent_ini = tmp_path.parent / "setup.cfg"
    assert not parent_ini.exists()
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "setup.cfg").write_text("[tool:pytest]\njobrun_drift_fail_on = never\n")
    assert load_settings(tmp_path / "inner").get("jobrun_drift_fail_on", "") == "never"
    assert load_settings(tmp_path).lines("jobrun_drift_ignore") == []


def test_a_broken_pyproject_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: cannot read it"):
        load_settings(tmp_path)
