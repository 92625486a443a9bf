"""Paths and constants shared by the tests."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
# Only tools/build_cassettes.py reads the real response bodies: the suite runs on the committed cassettes.

# The credentials the root conftest.py puts in the environment: never in a cassette.
TEST_ACCESS_KEY = "AKIATESTREPLAYJOBRUN"
TEST_SESSION_TOKEN = "FQoGZXIvYXdzEKTestSessionTokenForReplayJobrunSuite0123456789"
MOTO_ACCOUNT = "123456789012"


def git(folder: Path, *args: str) -> None:
    """Run git in ``folder`` with a throwaway identity (tests commit cassettes to real repos)."""
    subprocess.run(
        ["git", "-c", "user.name=tests", "-c", "user.email=tests@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def edited_cassette(
    source: Path, target: Path, edit: Callable[[dict[str, Any]], None], index: int = 0
) -> Path:
    """A copy of ``source`` at ``target`` whose interaction ``index`` has its JSON body edited."""
    from dataclasses import replace

    from replay_jobrun.cassette.format import Cassette, dump_cassette, parse_cassette

    cassette = parse_cassette(source.read_text(encoding="utf-8"), source)
    interactions = list(cassette.interactions)
    body = json.loads(interactions[index].response.decoded_body())
    edit(body)
    response = replace(
        interactions[index].response, body=json.dumps(body, indent=2, sort_keys=True).encode()
    )
    interactions[index] = replace(interactions[index], response=response)
    target.parent.mkdir(parents=True, exist_ok=True)
    edited = Cassette(target, tuple(interactions), cassette.metadata, cassette.foreign_metadata)
    target.write_text(dump_cassette(edited), encoding="utf-8")
    return target


def load_script(name: str, relpath: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A script of the source tree (``benchmarks/``, ``tools/``) as a module named ``name``,
    registered while the test runs (dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module
