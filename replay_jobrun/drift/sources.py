"""Where the cassettes of a drift run come from: a file, a folder, a git blob.

Enters: paths (or text read from git). Leaves: :class:`CassetteSource` values
by relative name (a :data:`CassetteSet`), read and parsed only when the run
gets to them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..cassette.format import Cassette, load_cassette, parse_cassette, parse_cassette_bytes


@dataclass(frozen=True)
class CassetteSource:
    """Where a cassette of a set comes from: ``where`` for reports, ``load`` on demand.

    A source that can hand over the bytes it parses gives ``read`` (the bytes)
    and ``parse`` (bytes to cassette, as ``load`` does): drift keys its per-run
    caches on those bytes, so identical files are parsed and compared once.
    The sources made here and by ``--against`` are picklable, which the
    process pool of large runs needs (others run serially).
    """

    where: str
    load: Callable[[], Cassette]
    read: Callable[[], bytes] | None = None
    parse: Callable[[bytes], Cassette] | None = None


CassetteSet = Mapping[str, CassetteSource]
"""Cassettes by name: their path relative to the set's root (or the repository's)."""


def file_source(path: Path) -> CassetteSource:
    """A cassette file as a source (read when drift gets to it)."""
    return _file_source(path.as_posix(), os.path.abspath(path))


def _file_source(where: str, absolute: str) -> CassetteSource:
    # Strings, not Paths, until a file is parsed: a folder of thousands of cassettes
    # spent most of its listing time building Path objects.
    return CassetteSource(
        where,
        functools.partial(load_cassette, absolute),
        read=functools.partial(_read_file, absolute),
        parse=functools.partial(_parse_file, path=absolute),
    )


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _parse_file(data: bytes, path: str) -> Cassette:
    return parse_cassette_bytes(data, Path(path))  # errors name the absolute path, as loading does


def text_source(where: str, text: str) -> CassetteSource:
    """A cassette held as text (e.g. a git blob), named ``where`` in reports and errors."""
    return CassetteSource(
        where,
        functools.partial(parse_cassette, text, Path(where)),
        read=functools.partial(str.encode, text),
        parse=functools.partial(_parse_utf8, path=Path(where)),
    )


def _parse_utf8(data: bytes, path: Path) -> Cassette:
    return parse_cassette(data.decode("utf-8"), path)


def cassettes_at(path: str | os.PathLike[str]) -> dict[str, CassetteSource]:
    """A cassette file, or every ``*.yaml``/``*.yml`` under a folder, by relative name."""
    root = Path(path)
    if root.is_file():
        return {root.name: file_source(root)}
    if not root.is_dir():
        raise FileNotFoundError(2, "no such file or folder", str(root))
    shown = root.as_posix()
    prefix = "" if shown == "." else shown if shown.endswith("/") else f"{shown}/"
    absolute = os.path.join(os.path.abspath(root), "")
    sources = {}
    for parts in _yaml_files(root):
        name = "/".join(parts)
        sources[name] = _file_source(prefix + name, absolute + os.sep.join(parts))
    return sources


def _yaml_files(root: Path) -> list[tuple[str, ...]]:
    """Relative path parts of the cassette files under ``root``, in ``sorted(rglob)`` order.

    What ``sorted(root.rglob("*"))`` filtered on suffix and ``is_file()`` gives
    (symlinked folders are not entered, symlinked files are taken), with
    ``os.scandir``: its entries know their type without a ``stat`` per file,
    which matters for folders of thousands of cassettes.
    """
    found: list[tuple[str, ...]] = []
    folders: list[tuple[str, ...]] = [()]
    while folders:
        parts = folders.pop()
        try:
            entries = list(os.scandir(root.joinpath(*parts)))
        except PermissionError:
            continue  # rglob skips a folder it may not list
        for entry in entries:
            try:
                if entry.is_dir() and not entry.is_symlink():
                    folders.append((*parts, entry.name))
                elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                    found.append((*parts, entry.name))
            except OSError:
                continue  # vanished or unreadable: rglob skips it too
    return sorted(found)
