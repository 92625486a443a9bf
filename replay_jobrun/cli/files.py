"""The files a command is pointed at: path checks, folders expanded, cassette text read."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path

from ..errors import CassetteFormatError, ConfigError


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
    """A cassette file's text as text-mode reading gives it; a clear error if not UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise CassetteFormatError(
            path=path,
            problem=f"not UTF-8 text: byte offset {err.start} (line {line}) holds "
            f"0x{data[err.start]:02x} ({err.reason})",
            fix="cassettes are UTF-8 YAML: restore the file from version control, "
            "convert it to UTF-8 (iconv -t utf-8), or re-record it",
        ) from err
    return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines
