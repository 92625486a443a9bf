from __future__ import annotations

from pathlib import Path

import pytest

from replay_jobrun.errors import ConfigError
from replay_jobrun.options import (
    Action,
    CassetteOptions,
    cassette_options,
    cassette_path,
    choose_action,
    record_command,
    resolve_record_mode,
)

ENV = "REPLAY_JOBRUN_RECORD_MODE"


@pytest.mark.parametrize(
    ("cli", "env", "marker", "ini", "expected"),
    [
        ("all", {ENV: "once"}, "new_episodes", "once", "all"),
        (None, {ENV: "once"}, "new_episodes", "all", "once"),
        (None, {}, "new_episodes", "all", "new_episodes"),
        (None, {ENV: ""}, None, "all", "all"),
        (None, {}, None, "", "none"),
        (None, {}, None, None, "none"),
    ],
)
def test_record_mode_precedence(
    cli: str | None, env: dict[str, str], marker: str | None, ini: str | None, expected: str
) -> None:
    assert resolve_record_mode(cli=cli, env=env, marker=marker, ini=ini) == expected


def test_invalid_record_mode_names_its_source_and_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        resolve_record_mode(cli=None, env={ENV: "sometimes"}, marker=None, ini=None)
    message = str(raised.value)
    assert ENV in message
    assert "'sometimes'" in message
    assert "none, once, new_episodes, all" in message


@pytest.mark.parametrize(
    ("mode", "exists", "action"),
    [
        ("none", True, Action.REPLAY),
        ("none", False, Action.MISSING),
        ("once", True, Action.REPLAY),
        ("once", False, Action.RECORD),
        ("new_episodes", True, Action.RECORD),
        ("new_episodes", False, Action.RECORD),
        ("all", True, Action.RECORD),
        ("all", False, Action.RECORD),
    ],
)
def test_choose_action(mode: str, exists: bool, action: Action) -> None:
    assert choose_action(mode, exists) is action


def test_marker_options_are_keyword_only_and_validated() -> None:
    assert cassette_options() == CassetteOptions()
    opts = cassette_options("shared", skip_sleep=True, ignore_params="createdAfter")
    assert opts.name == "shared"
    assert opts.skip_sleep is True
    assert opts.ignore_params == ("createdAfter",)
    with pytest.raises(TypeError, match="skip_sleeep"):
        cassette_options(skip_sleeep=True)
    with pytest.raises(TypeError):
        cassette_options("a", "b")
    with pytest.raises(ConfigError, match="unknown record mode 'always'"):
        cassette_options(record_mode="always")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "cassettes/tests/test_poll/TestPoll.test_x[a-b-c].yaml"),
        ("lifecycle", "cassettes/tests/test_poll/lifecycle.yaml"),
        ("shared/lifecycle", "cassettes/shared/lifecycle.yaml"),
        ("lifecycle.yml", "cassettes/lifecycle.yml"),
        ("/abs/elsewhere.yaml", "/abs/elsewhere.yaml"),
    ],
)
def test_cassette_path(name: str | None, expected: str) -> None:
    path = cassette_path(Path("cassettes"), "tests/test_poll.py", "TestPoll.test_x[a/b c]", name)
    assert path.as_posix() == expected


def test_record_command_is_copy_pasteable() -> None:
    assert record_command("tests/test_x.py::test_y[a b]") == (
        "pytest 'tests/test_x.py::test_y[a b]' --jobrun-record-mode=once"
    )
    assert record_command("t.py::t", "http://127.0.0.1:5000").endswith(
        "--jobrun-endpoint-url=http://127.0.0.1:5000"
    )
