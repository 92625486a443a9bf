"""Cassettes as they were at a git ref, for ``replay-jobrun drift --against REF``.

Both sides are named by their path from the repository root, so a cassette
at ``REF`` pairs with the working-tree file at the same place, and reports
point at files CI annotations can link to.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError
from .sources import CassetteSource, cassettes_at, text_source

_SUFFIXES = (".yaml", ".yml")


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as err:
        raise ConfigError(
            source="--against", problem="git is not installed", valid="a machine with git"
        ) from err
    if done.returncode != 0:
        raise ConfigError(
            source=f"git {' '.join(args[:2])} in {root}",
            problem=done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}",
            valid="a git work tree and a ref it has",
        )
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top of the work tree that holds ``path``."""
    folder = path if path.is_dir() else path.parent
    try:
        return Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except ConfigError as err:
        raise ConfigError(
            source=f"--against: {path}",
            problem="not inside a git work tree",
            valid="cassettes committed to a git repository",
        ) from err


def _verify(root: Path, ref: str) -> None:
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError as err:
        raise ConfigError(
            source=f"--against {ref}",
            problem=f"{ref!r} is not a commit in {root}",
            valid="a branch, tag or commit the clone has, e.g. HEAD~1 or origin/main "
            "(a shallow CI checkout needs `git fetch` of it, or fetch-depth: 0)",
        ) from err


def _blobs(root: Path, ref: str, names: Sequence[str]) -> dict[str, str]:
    """Every file's text at ``ref``, read in one ``git cat-file --batch``."""
    request = "".join(f"{ref}:{name}\n" for name in names).encode()
    out = _git(root, "cat-file", "--batch", stdin=request)
    texts: dict[str, str] = {}
    position = 0
    for name in names:
        end = out.index(b"\n", position)
        size = int(out[position:end].split()[2])
        texts[name] = out[end + 1 : end + 1 + size].decode("utf-8")
        position = end + 1 + size + 1  # the blob, then a newline
    return texts


def cassettes_at_ref(
    ref: str, paths: Sequence[Path]
) -> tuple[dict[str, CassetteSource], dict[str, CassetteSource]]:
    """(cassettes at ``ref``, cassettes in the working tree) under ``paths``, by repo path."""
    if not paths:
        raise ConfigError(source="--against", problem="no path given", valid="a folder or file")
    root = repository_root(paths[0].resolve())
    _verify(root, ref)
    old: dict[str, CassetteSource] = {}
    new: dict[str, CassetteSource] = {}
    for path in paths:
        where = path.resolve().relative_to(root).as_posix()
        listed = _git(root, "ls-tree", "-r", "-z", "--name-only", ref, "--", where)
        names = [n for n in listed.decode().split("\0") if n.endswith(_SUFFIXES)]
        for name, text in _blobs(root, ref, names).items():
            old[name] = text_source(f"{ref}:{name}", text)
        if path.exists():
            for name, source in cassettes_at(path).items():
                new[where if path.is_file() else posixpath.normpath(f"{where}/{name}")] = source
    return old, new
