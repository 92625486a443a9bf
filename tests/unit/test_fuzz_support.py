"""The fuzzer itself: each mutation kind does the damage it names, and the runner catches what it claims.

Without these, a mutation that silently returned the file unchanged, or a runner
that missed a crash, would make ``tests/property/test_fuzz_cassettes.py`` pass
for nothing.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from replay_jobrun import model
from tests.property import fuzz_mutations as fm
from tests.property.fuzz_runner import Case, FuzzWorker
from tests.support import CASSETTES

ORIGINALS = sorted([*CASSETTES.glob("real/*.yaml"), *CASSETTES.glob("moto/*.yaml")])
SEEDS = range(3)


@pytest.fixture(autouse=True)
def _huge_ints() -> Iterator[None]:
    # retype_scalar writes 5,000-digit ints; Python refuses to parse them by default.
    setter = getattr(sys, "set_int_max_str_digits", None)
    if setter is None:
        yield
        return
    before = sys.get_int_max_str_digits()
    setter(0)
    yield
    setter(before)


def _cases(kind: str) -> Iterator[tuple[Path, bytes, fm.Mutant]]:
    for original in ORIGINALS:
        data = original.read_bytes()
        for seed in SEEDS:
            yield original, data, fm.mutate(data, kind, random.Random(seed))


def _load(data: bytes) -> Any:
    return yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _is_subsequence(small: bytes, big: bytes) -> bool:
    it = iter(big)
    return all(any(b == s for b in it) for s in small)


def test_every_kind_mutates_every_project_cassette_deterministically() -> None:
    for kind in fm.KINDS:
        for original, data, mutant in _cases(kind):
            assert mutant.kind == kind
            assert mutant.detail
            if kind == "bad_path":
                assert mutant.path_variant in fm.PATH_VARIANTS
                assert mutant.data == data
            else:
                assert mutant.data != data, (kind, original.name, mutant.detail)
        again = fm.mutate(data, kind, random.Random(SEEDS[-1]))
        assert again == mutant  # a pure function of the bytes, the kind and the seed


def test_byte_level_kinds() -> None:
    for _, data, mutant in _cases("truncate"):
        assert len(mutant.data) < len(data)
        assert data.startswith(mutant.data)
    for _, data, mutant in _cases("flip_bytes"):
        assert len(mutant.data) == len(data)
        diffs = [a ^ b for a, b in zip(data, mutant.data, strict=True) if a != b]
        assert 1 <= len(diffs) <= 4
        assert all(bin(d).count("1") <= 4 for d in diffs)
    for _, data, mutant in _cases("insert_bytes"):
        assert len(mutant.data) > len(data)
        assert _is_subsequence(data, mutant.data)
    for _, data, mutant in _cases("non_utf8"):
        with pytest.raises(UnicodeDecodeError):
            mutant.data.decode("utf-8")
        assert len(mutant.data) - len(data) in {len(c) for c in fm._NOT_UTF8}
        assert _is_subsequence(data, mutant.data)


def test_gzip_variants_break_the_stream_or_keep_it() -> None:
    body = json.dumps({"jobRun": {"id": "x" * 200, "state": "RUNNING"}}).encode()
    compressed = gzip.compress(body, mtime=0)
    for seed in range(20):
        for variant in fm._GZIP_VARIANTS:
            damaged = fm.gzip_variant(compressed, variant, random.Random(seed))
            assert damaged[:2] == b"\x1f\x8b"
            if variant == "intact":
                assert gzip.decompress(damaged) == body
            elif variant != "flipped":  # a flip in the last byte's padding can go unnoticed
                with pytest.raises((OSError, EOFError, gzip.zlib.error)):
                    gzip.decompress(damaged)
    for _, _, mutant in _cases("gzip_body"):
        doc = _load(mutant.data)
        index = int(re.match(r"interactions\[(\d+)\]", mutant.detail).group(1))  # type: ignore[union-attr]
        response = doc["interactions"][index]["response"]
        assert response["headers"]["Content-Encoding"] == ["gzip"]
        assert isinstance(response["body"]["string"], bytes)
        assert b"!!binary" in mutant.data


def test_structure_kinds_change_what_they_name() -> None:
    for _, data, mutant in _cases("retype_scalar"):
        label = mutant.detail.split(" = ")[0]
        old, new = fm.resolve(_load(data), label), fm.resolve(_load(mutant.data), label)
        assert not (type(old) is type(new) and old == new), mutant.detail
    for _, data, mutant in _cases("delete_key"):
        parent, key = fm.split(mutant.detail.removeprefix("deleted "))
        assert key in fm.resolve(_load(data), parent)
        assert key not in fm.resolve(_load(mutant.data), parent)
    for _, data, mutant in _cases("add_key"):
        parent, key = fm.split(mutant.detail.removeprefix("added ").split(" = ")[0])
        assert key not in fm.resolve(_load(data), parent)
        assert key in fm.resolve(_load(mutant.data), parent)
    for _, data, mutant in _cases("unknown_operation"):
        index = int(re.match(r"operations\[(\d+)\]", mutant.detail).group(1))  # type: ignore[union-attr]
        old = _load(data)["replay_jobrun"]["operations"][index]
        new = _load(mutant.data)["replay_jobrun"]["operations"][index]
        assert new != old
        assert new in fm._BAD_OPERATIONS
    for _, data, mutant in _cases("malformed_uri"):
        label = mutant.detail.split(" = ")[0]
        assert fm.resolve(_load(mutant.data), label) in fm._BAD_URIS
        assert fm.resolve(_load(data), label) not in fm._BAD_URIS


def test_json_body_damage() -> None:
    seen = set()
    for original in ORIGINALS:
        data = original.read_bytes()
        for seed in range(12):
            mutant = fm.mutate(data, "json_body", random.Random(seed))
            index = int(re.match(r"interactions\[(\d+)\]", mutant.detail).group(1))  # type: ignore[union-attr]
            before = _load(data)["interactions"][index]["response"]["body"]
            after = _load(mutant.data)["interactions"][index]["response"]["body"]
            assert after != before, mutant.detail
            text = after.get("string") if isinstance(after, dict) else None
            if "missing comma" in mutant.detail or "JSON cut" in mutant.detail:
                seen.add("broken")
                with pytest.raises(json.JSONDecodeError):
                    json.loads(text)  # type: ignore[arg-type]
            elif " deep" in mutant.detail:
                seen.add("deep")
                depth = int(re.search(r"nested (\d+) deep", mutant.detail).group(1))  # type: ignore[union-attr]
                assert "[" * depth in text or '{"a": ' * depth in text  # type: ignore[operator]
    assert seen == {"broken", "deep"}


def test_bad_state_is_outside_every_enum_of_the_model() -> None:
    enums = {
        value
        for name in model.service_model().shape_names
        for value in getattr(model.service_model().shape_for(name), "enum", None) or ()
    }
    for _, data, mutant in _cases("bad_state"):
        new = re.search(rb"-> '(.*)' at byte", mutant.detail.encode())
        assert new is not None
        assert new.group(1).decode() not in enums
        assert len(mutant.data.splitlines()) == len(data.splitlines())  # edited in place


def _expanded(node: Any, memo: dict[int, int]) -> int:
    """Leaves under ``node``, counting a shared node each time it is reached (without walking it twice)."""
    if not isinstance(node, list):
        return 1
    if id(node) not in memo:
        memo[id(node)] = sum(_expanded(child, memo) for child in node)
    return memo[id(node)]


def test_alias_bombs_and_anchors_are_small_files_of_shared_nodes() -> None:
    for _, data, mutant in _cases("alias_bomb"):
        width, depth = map(int, re.match(r"(\d+)\*\*(\d+)", mutant.detail).groups())  # type: ignore[union-attr]
        assert len(mutant.data) < len(data) + 8_000
        assert b"&id" in mutant.data
        assert b"*id" in mutant.data
        assert _expanded(fm.alias_bomb(depth, width), {}) == width**depth
        # The file really holds it: composed without expanding, every anchor is reused width-1 times.
        assert mutant.data.count(b"*id") >= (width - 1) * (depth - 1)
    for _, _, mutant in _cases("anchors"):
        assert b"&id" in mutant.data
        assert b"*id" in mutant.data


def test_unknown_tags_and_duplicate_keys() -> None:
    for _, _, mutant in _cases("unknown_tag"):
        tag = mutant.detail.split(" = ", 1)[1]
        assert tag.encode() in mutant.data
    dangerous = fm.mutate(ORIGINALS[0].read_bytes(), "unknown_tag", random.Random(0))
    assert any(t.split(" ")[0].encode() in dangerous.data for t in fm._TAGS)
    for _, data, mutant in _cases("duplicate_keys"):
        assert len(mutant.data.splitlines()) == len(data.splitlines()) + 1
        if "scalar key" in mutant.detail or "repeated as" in mutant.detail:
            key = mutant.detail.split()[1]
            assert mutant.data.count(f"{key}: ".encode()) > data.count(f"{key}: ".encode())
        else:
            top = re.match(r"duplicate (\w+)", mutant.detail).group(1)  # type: ignore[union-attr]
            assert (
                mutant.data.count(f"\n{top}:".encode()) + mutant.data.startswith(f"{top}:".encode())
                == 2
            )


# --- the runner catches what it claims -----------------------------------------------


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorker]:
    log = tmp_path_factory.mktemp("fuzz-log") / "child.log"
    with FuzzWorker(memory_mb=128, timeout=5, log=log) as started:
        yield started


def test_the_runner_reports_a_hang_a_death_a_memory_hog_and_a_changed_file(
    worker: FuzzWorker, tmp_path: Path
) -> None:
    original = CASSETTES / "real" / "list-job-runs_running_cli-v2.yaml"
    case = Case(tmp_path / "case", original, original.read_bytes())
    result = worker.run(case, entries=["_hang", "_die", "_hog", "_touch", "load"])
    found = {o.entry: o for o in result.outcomes}
    assert found["_hang"].exc_type == "Timeout"
    assert found["_die"].exc_type == "ChildDied"
    assert "SIGKILL" in found["_die"].message
    assert found["_hog"].exc_type == "MemoryError"
    assert found["_touch"].changed == ["new/list-job-runs_running_cli-v2.yaml"]
    assert found["_touch"].violation
    assert found["load"].status == "accepted"
    assert found["load"].violation is None
    assert worker.restarts == 2  # after the hang and after the death


def test_the_runner_tells_a_library_error_from_a_crash(worker: FuzzWorker, tmp_path: Path) -> None:
    original = CASSETTES / "real" / "list-job-runs_running_cli-v2.yaml"
    not_a_cassette = Case(tmp_path / "a", original, b"- just\n- a list\n")
    result = worker.run(not_a_cassette, entries=["load", "show", "scrub"])
    assert [(o.status, o.exit_code) for o in result.outcomes] == [
        ("error", None),
        ("error", 2),
        ("error", 2),
    ]
    assert result.outcomes[0].exc_type == "replay_jobrun.errors.CassetteFormatError"
    assert result.violations == []
    # An exception that is not the library's escaping load: a crash, located.
    huge = Case(
        tmp_path / "b", original, b"version: 1\ninteractions: []\nx: " + b"1" * 5000 + b"\n"
    )
    (crash,) = worker.run(huge, entries=["load"]).outcomes
    if crash.status == "crash":  # on a main where huge ints are not yet a library error
        assert crash.exc_type == "ValueError"
        assert crash.where_project is not None
        assert crash.where_project.startswith("replay_jobrun/")
