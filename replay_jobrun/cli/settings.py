"""replay_jobrun's ini options, read outside pytest (for the ``replay-jobrun`` command).

The command and the plugin must agree on configuration such as the drift
ignore list, so the command reads the same ``jobrun_*`` keys from the same
file pytest would use: the first of ``pytest.ini``, ``.pytest.ini``,
``pyproject.toml`` (``[tool.pytest.ini_options]``), ``tox.ini`` (``[pytest]``)
and ``setup.cfg`` (``[tool:pytest]``) in the current folder or above it.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest itself requires tomli before 3.11
    import tomli as tomllib

_INI_SECTIONS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


@dataclass(frozen=True)
class Settings:
    """The ``jobrun_*`` options of one ini file (none found: empty)."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def lines(self, name: str) -> list[str]:
        """A ``linelist`` option: one entry per non-empty line (or TOML list item)."""
        value = self.values.get(name)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).splitlines()
        return [str(item).strip() for item in items if str(item).strip()]

    def get(self, name: str, default: str) -> str:
        value = self.values.get(name)
        return default if value is None else str(value).strip()

    @property
    def rootdir(self) -> Path:
        """Where relative options such as ``jobrun_cassette_dir`` start."""
        return self.path.parent if self.path is not None else Path.cwd()


def _read(path: Path, section: str | None) -> Mapping[str, Any] | None:
    try:
        if section is None:
            with path.open("rb") as stream:
                table = tomllib.load(stream).get("tool", {}).get("pytest", {})
            options = table.get("ini_options")
            return options if isinstance(options, dict) else None
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
        return dict(parser[section]) if parser.has_section(section) else None
    except (OSError, ValueError, configparser.Error) as err:
        raise ConfigError(
            source=str(path),
            problem=f"cannot read it: {err}",
            valid="a well-formed ini or TOML file (pytest reads the same file)",
        ) from err


def load_settings(start: Path | None = None) -> Settings:
    """The options of the ini file pytest would pick from ``start`` (default: cwd)."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        for name, section in _INI_SECTIONS:
            path = candidate / name
            if not path.is_file():
                continue
            values = _read(path, section)
            # pytest.ini counts even when empty; the others only with a pytest section.
            if values is not None or name in ("pytest.ini", ".pytest.ini"):
                return Settings(path, values or {})
    return Settings()
