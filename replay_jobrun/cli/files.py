"""The files a command is pointed at: path checks, folders expanded, cassette text read."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError


def checked_path(path: Path, source: str) -> Path:
    """``path``, refused with a clear error if no file system could hold its name."""
    # os raises a bare ValueError ("embedded null byte") that names no file.
    if "\0" in str(path):
        raise ConfigError(
            source=f"{source} {str(path)!r}",
            problem="a path cannot hold a NUL byte",
            valid="a file or folder name without NUL (\\0) characters",
        )
    return path


def cassette_files(paths: Sequence[Path]) -> list[Path]:
    """The cassettes named, and every *.yaml / *.yml below the folders named.

    A path that cannot be read raises the ``OSError`` naming it (missing, a symbolic
    link loop, a name too long), never a misleading "no such file".
    """
    found: list[Path] = []
    for path in paths:
        if stat.S_ISDIR(checked_path(path, "PATH").stat().st_mode):
            # Folders named *.yaml are skipped; broken links and loops are kept, so
            # that reading them names them instead of passing them over silently.
            found.extend(
                sorted(
                    p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and not p.is_dir()
                )
            )
        else:
            found.append(path)
    return found


def cassette_text(path: Path) -> str:
    """A cassette file's text as loading reads it: size-limited, a clear error if not UTF-8."""
    from ..cassette.format import read_cassette_text

    return read_cassette_text(path)
