"""options.py: cassette paths stay in the cassette folder, and distinct tests get distinct files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from replay_jobrun.errors import CassettePathError, ConfigError
from replay_jobrun.options import (
    MAX_NAME_BYTES,
    SUFFIX,
    cassette_options,
    cassette_path,
    file_name_for_test,
    legacy_cassette_paths,
    safe_file_name,
)

MODULE = "tests/test_poll.py"


# --- inside the cassette folder -----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../../x.yaml", id="up-and-out"),
        pytest.param("shared/../../x.yaml", id="down-then-out"),
        pytest.param("../cassettes-other/x.yaml", id="sibling-folder"),
    ],
)
def test_a_relative_path_out_of_the_cassette_folder_is_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "cassettes"
    with pytest.raises(CassettePathError) as raised:
        cassette_path(folder, MODULE, "test_x", name)
    message = str(raised.value)
    assert message.startswith(f"@pytest.mark.jobrun_cassette({name!r}) of {MODULE}::test_x:")
    assert f"resolves to {(folder / name).resolve()}, outside the cassette folder {folder}" in (
        message
    )
    assert "allow_outside=True" in message
    assert isinstance(raised.value, ConfigError)  # the kind of error it is


def test_allow_outside_does_not_let_a_relative_path_out(tmp_path: Path) -> None:
    with pytest.raises(CassettePathError, match="outside the cassette folder"):
        cassette_path(tmp_path / "cassettes", MODULE, "test_x", "../x.yaml", allow_outside=True)


def test_an_absolute_path_outside_needs_allow_outside(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "x.yaml"
    with pytest.raises(CassettePathError, match="outside the cassette folder"):
        cassette_path(tmp_path / "cassettes", MODULE, "test_x", str(target))
    assert cassette_path(
        tmp_path / "cassettes", MODULE, "test_x", str(target), allow_outside=True
    ) == (target)


def test_an_absolute_path_inside_the_folder_needs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cassettes" / "shared" / "x.yaml"
    assert cassette_path(tmp_path / "cassettes", MODULE, "test_x", str(target)) == target


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (tmp_path / "outside").mkdir()
    (folder / "shared").symlink_to(tmp_path / "outside")
    with pytest.raises(CassettePathError, match=r"resolves to .*outside[/\\]x\.yaml, outside"):
        cassette_path(folder, MODULE, "test_x", "shared/x.yaml")
    # The test module's own folder too.
    (folder / "tests").symlink_to(tmp_path / "outside")
    with pytest.raises(CassettePathError, match=r"the cassette of tests/test_poll\.py::test_x"):
        cassette_path(folder, MODULE, "test_x")


def test_a_symbolic_link_inside_the_folder_and_a_linked_folder_are_fine(tmp_path: Path) -> None:
    real = tmp_path / "real-cassettes"
    (real / "v2").mkdir(parents=True)
    (real / "shared").symlink_to(real / "v2")
    linked = tmp_path / "cassettes"
    linked.symlink_to(real)  # jobrun_cassette_dir itself a link: resolved on both sides
    assert cassette_path(linked, MODULE, "test_x", "shared/x.yaml") == linked / "shared/x.yaml"


def test_a_symbolic_link_loop_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (folder / "loop").symlink_to(folder / "loop")
    with pytest.raises(CassettePathError, match="symbolic link on the way loops"):
        cassette_path(folder, MODULE, "test_x", "loop/x.yaml")


def test_a_nul_in_a_path_is_refused() -> None:
    with pytest.raises(CassettePathError, match="NUL"):
        cassette_path(Path("cassettes"), MODULE, "test_x", "shared/a\0b.yaml")


def test_a_path_part_longer_than_255_bytes_is_refused_before_the_file_system_sees_it() -> None:
    name = "é" * 128 + ".yaml"  # 128 characters, 256 bytes in UTF-8
    with pytest.raises(CassettePathError, match=r"261 bytes long.*up to 255 bytes"):
        cassette_path(Path("cassettes"), MODULE, "test_x", name)
    fits = "x" * (MAX_NAME_BYTES - len(".yaml")) + ".yaml"
    assert cassette_path(Path("cassettes"), MODULE, "test_x", fits).name == fits


def test_allow_outside_is_a_marker_option() -> None:
    assert cassette_options("/abs/x.yaml", allow_outside=True).allow_outside
    assert not cassette_options("x.yaml").allow_outside


# --- distinct tests, distinct files ---------------------------------------------------


@pytest.mark.parametrize(
    ("test_id", "file_name"),
    [
        pytest.param("test_x", "test_x", id="function"),
        pytest.param("TestPoll::test_x[slow]", "TestPoll.test_x[slow]", id="class-and-params"),
        pytest.param("test_x[a.b]", "test_x[a.b]", id="dot-in-params"),
        pytest.param("test_x[a::b]", "test_x[a--b]-dc1911d5", id="colons-in-params"),
    ],
)
def test_a_test_id_reads_as_the_test_in_its_file_name(test_id: str, file_name: str) -> None:
    assert file_name_for_test(test_id) == file_name


def test_colons_in_parameters_and_a_dot_no_longer_share_a_file() -> None:
    folder = Path("cassettes")
    colons = cassette_path(folder, MODULE, "test_x[a::b]")
    dot = cassette_path(folder, MODULE, "test_x[a.b]")
    assert colons != dot
    # Before, both were test_x[a.b].jobrun.yaml: the old name is where colons' cassette may be.
    assert folder / "tests/test_poll/test_x[a.b].jobrun.yaml" in legacy_cassette_paths(
        folder, MODULE, "test_x[a::b]"
    )
    assert legacy_cassette_paths(folder, MODULE, "test_x[a.b]") == (
        folder / "tests/test_poll/test_x[a.b].yaml",
    )


def test_a_dot_in_a_class_or_function_name_is_hashed() -> None:
    # Items of other plugins may have any name: "A.b" and "A::b" must not read alike.
    assert file_name_for_test("A::b") == "A.b"
    assert file_name_for_test("A.b") != "A.b"
    assert file_name_for_test("A.b").startswith("A.b-")


# Fragments that made names collide or fail before, mixed, and any text at all.
_FRAGMENTS = [*"ab.:/[]-_\\ \0\n", "é", "𝄞", "\udcff", "::", "[a::b]", "-0123abcd", "x" * 120]
_ID_TEXT = st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join) | st.text(max_size=400)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ID_TEXT, min_size=2, max_size=6, unique=True))
@example(["test_x[a::b]", "test_x[a.b]"])
@example(["A::b", "A.b"])
@example(["", "cassette"])
@example(["x" * 300 + "1", "x" * 300 + "2"])
@example(["test_x[" + "é" * 300 + "]", "test_x[" + "é" * 299 + "]"])
def test_distinct_test_ids_get_distinct_valid_file_names(test_ids: list[str]) -> None:
    names = [file_name_for_test(test_id) + SUFFIX for test_id in test_ids]
    assert len(set(names)) == len(names)
    for name in names:
        encoded = name.encode("utf-8")
        assert len(encoded) < MAX_NAME_BYTES
        assert b"\0" not in encoded
        assert "/" not in name
        assert os.sep not in name
        assert name not in (".", "..")


@settings(max_examples=300, deadline=None)
@given(st.lists(_ID_TEXT, min_size=2, max_size=6, unique=True))
def test_distinct_marker_names_get_distinct_valid_file_names(names: list[str]) -> None:
    files = [safe_file_name(name) + SUFFIX for name in names]
    assert len(set(files)) == len(files)
    assert all(len(f.encode("utf-8")) < MAX_NAME_BYTES and "/" not in f for f in files)
