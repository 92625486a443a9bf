"""Drift over many pairs (driftrun.py): once per distinct content, the same on a process pool."""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from replay_jobrun.cassette.format import Cassette, dump_cassette, load_cassette
from replay_jobrun.drift import run as driftrun
from replay_jobrun.drift.run import compare_sets, drift, drift_against_model
from replay_jobrun.drift.sources import CassetteSource, cassettes_at, file_source, text_source
from replay_jobrun.errors import CassetteFormatError, ConfigError
from tests.drift.labelled import corpus, write_corpus
from tests.support import CASSETTES

PAIRS = [pair for pair in corpus() if pair.bug is None]
IGNORE = ["jobRun.tags", "never-observed *", "added jobRun.retryPolicy*"]


@pytest.fixture(scope="module")
def corpus_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus twice over (a copy under ``again/``: identical pairs), plus a lone file each side."""
    root = tmp_path_factory.mktemp("corpus")
    old, new = root / "old", root / "new"
    write_corpus(PAIRS, old, new)
    write_corpus(PAIRS, old / "again", new / "again")
    shutil.copy(CASSETTES / "moto" / "job-lifecycle.yaml", old / "deleted.yaml")
    shutil.copy(CASSETTES / "moto" / "job-lifecycle.yaml", new / "added.yaml")
    return old, new


def test_pooled_and_serial_reports_are_equal(corpus_dirs: tuple[Path, Path]) -> None:
    old, new = corpus_dirs
    serial = drift(old, new, ignore=IGNORE, workers=1)
    pooled = drift(old, new, ignore=IGNORE, workers=2)
    assert pooled == serial
    assert [c.name for c in pooled.cassettes] == sorted(c.name for c in pooled.cassettes)
    assert {c.status for c in serial.cassettes} == {"compared", "new", "deleted"}
    assert serial.ignored > 0
    assert drift_against_model(new, workers=2) == drift_against_model(new, workers=1)


def test_a_spawned_pool_gives_the_same_report(corpus_dirs: tuple[Path, Path]) -> None:
    # What macOS and Windows use: workers import everything afresh and get only pickles.
    old, new = corpus_dirs
    old_set, new_set = cassettes_at(old), cassettes_at(new)
    tasks = [(n, old_set.get(n), new_set.get(n)) for n in sorted(old_set.keys() | new_set.keys())]
    spawn = multiprocessing.get_context("spawn")
    spawned = driftrun.run_pairs(tasks, alone="new", ignore=(), workers=2, mp_context=spawn)
    serial = driftrun.run_pairs(tasks, alone="new", ignore=(), workers=1)
    assert spawned[0] == serial[0]
    assert spawned[2] == serial[2]
    report = compare_sets(old_set, new_set, old_label="o", new_label="n", workers=1)
    assert serial[0] == list(report.cassettes)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Cassette]:
    seen: list[Cassette] = []
    real = driftrun.fingerprint

    def counted(cassette: Cassette) -> Any:
        seen.append(cassette)
        return real(cassette)

    monkeypatch.setattr(driftrun, "fingerprint", counted)
    return seen


def test_identical_files_are_parsed_and_compared_once(
    corpus_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = corpus_dirs
    contents = {
        driftrun.content_key(path.read_bytes())
        for root in (old, new)
        for path in root.rglob("*.yaml")
    }
    seen = _counting(monkeypatch)
    report = drift(old, new, workers=1)
    assert len(report.cassettes) == 2 * len(PAIRS) + 2
    assert len(seen) == len(contents) < 2 * len(PAIRS)
    compared = {c.name: c.findings for c in report.cassettes}
    assert all(compared[f"again/{p.relpath}"] == compared[p.relpath] for p in PAIRS)


def test_a_file_changed_between_runs_is_read_afresh(tmp_path: Path) -> None:
    pair = next(p for p in PAIRS if p.expected)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "a.yaml").write_text(dump_cassette(pair.old))
    (tmp_path / "new" / "a.yaml").write_text(dump_cassette(pair.old))
    assert drift(tmp_path / "old", tmp_path / "new").cassettes[0].findings == ()
    (tmp_path / "new" / "a.yaml").write_text(dump_cassette(pair.new))
    assert drift(tmp_path / "old", tmp_path / "new").cassettes[0].findings != ()


def _bare(source: CassetteSource) -> CassetteSource:
    """The source without its bytes: nothing to key a cache on."""
    return CassetteSource(source.where, source.load)


def test_sources_without_bytes_still_work(corpus_dirs: tuple[Path, Path]) -> None:
    old, new = corpus_dirs
    old_set = cassettes_at(old)
    new_set = cassettes_at(new)
    expected = compare_sets(old_set, new_set, old_label="o", new_label="n", workers=1)
    # Not keyed by content: computed pair by pair, in this process.
    bare_old = {name: _bare(source) for name, source in old_set.items()}
    bare_new = {name: _bare(source) for name, source in new_set.items()}
    for workers in (1, 2):
        assert compare_sets(bare_old, new_set, old_label="o", new_label="n", workers=workers) == (
            expected
        )
        assert compare_sets(bare_old, bare_new, old_label="o", new_label="n", workers=workers) == (
            expected
        )


def _unpicklable_parse(data: bytes, path: Path, marker: Callable[[], None]) -> Cassette:
    del marker
    return load_cassette(path)


def test_an_unpicklable_source_runs_serially(corpus_dirs: tuple[Path, Path]) -> None:
    old, new = corpus_dirs
    new_set = cassettes_at(new)
    odd = {
        name: CassetteSource(
            source.where,
            source.load,
            read=source.read,
            parse=functools.partial(
                _unpicklable_parse, path=Path(source.where), marker=lambda: None
            ),
        )
        for name, source in new_set.items()
    }
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(next(iter(odd.values())))
    old_set = cassettes_at(old)
    assert compare_sets(old_set, odd, old_label="o", new_label="n", workers=2) == compare_sets(
        old_set, new_set, old_label="o", new_label="n", workers=1
    )


def test_an_error_in_a_worker_names_the_file(
    corpus_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = corpus_dirs
    broken_new = tmp_path / "new"
    shutil.copytree(new, broken_new)
    broken = broken_new / PAIRS[3].relpath
    broken.write_text("interactions: [\n")
    with pytest.raises(CassetteFormatError) as raised:
        drift(old, broken_new, workers=2)
    assert str(broken) in str(raised.value)
    assert "not valid YAML" in str(raised.value)


def test_errors_survive_pickling() -> None:
    error = ConfigError(source="--workers", problem="zero", valid="1 or more")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ConfigError
    assert str(again) == str(error)
    assert again.kwargs == error.kwargs


def test_git_blob_sources_pickle_and_parse_like_files() -> None:
    path = CASSETTES / "real" / "list-job-runs_running_cli-v2.yaml"
    text = path.read_text(encoding="utf-8")
    blob = pickle.loads(pickle.dumps(text_source("HEAD:x.yaml", text)))
    files = pickle.loads(pickle.dumps(file_source(path)))
    assert blob.read is not None
    assert blob.parse is not None
    assert files.read is not None
    assert files.parse is not None
    assert blob.read() == files.read()
    from_blob, from_file = blob.parse(blob.read()), files.parse(files.read())
    assert from_blob.interactions == from_file.interactions == load_cassette(path).interactions
    assert from_blob.path == Path("HEAD:x.yaml")
    assert from_file.path == Path(os.path.abspath(path))


@pytest.mark.parametrize(
    ("workers", "units", "method", "expected"),
    [
        (None, driftrun.POOL_THRESHOLD["fork"] - 1, "fork", 1),
        (None, driftrun.POOL_THRESHOLD["fork"], "fork", driftrun.cpus()),
        (None, driftrun.POOL_THRESHOLD["fork"], "spawn", 1),
        (None, driftrun.POOL_THRESHOLD["spawn"], "spawn", driftrun.cpus()),
        (1, 10**6, "fork", 1),
        (3, 10**6, "spawn", 3),
        (8, 2, "fork", 2),
        (4, 0, "fork", 1),
    ],
)
def test_how_many_workers_a_run_gets(
    workers: int | None, units: int, method: str, expected: int
) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    context = multiprocessing.get_context(method)
    assert driftrun.workers_for(workers, units, context) == expected


def test_zero_workers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        driftrun.workers_for(0, 10)


def test_cassettes_at_lists_what_sorted_rglob_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "set"
    for name in ("a.yaml", "b/c.yml", "b/d.txt", "b-x.yaml", ".hidden/e.yaml", "z/y/x.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    (root / "z" / "folder.yaml").mkdir()
    (root / "link").symlink_to(root / "b")  # a linked folder is not entered
    (root / "z" / "linked.yaml").symlink_to(root / "a.yaml")  # a linked file is taken
    (root / "z" / "dangling.yaml").symlink_to(root / "nowhere.yaml")

    def by_rglob(folder: Path) -> dict[str, str]:
        return {
            f.relative_to(folder).as_posix(): f.as_posix()
            for f in sorted(folder.rglob("*"))
            if f.suffix in (".yaml", ".yml") and f.is_file()
        }

    monkeypatch.chdir(tmp_path)
    for given in ("set", "./set", "set/", str(root), "set/z"):
        found = cassettes_at(given)
        assert list(found) == list(by_rglob(Path(given)))
        assert {name: s.where for name, s in found.items()} == by_rglob(Path(given))
