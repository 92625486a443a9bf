"""options.py: record-mode precedence, marker arguments, actions, cassette paths, commands."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import pytest

from replay_jobrun.errors import ConfigError
from replay_jobrun.options import (
    DRIFT_FAIL_ON,
    RECORD_MODE_ENV,
    RECORD_MODES,
    Action,
    CassetteOptions,
    cassette_options,
    cassette_path,
    choose_action,
    drift_fail_on,
    legacy_cassette_paths,
    merged_marker_arguments,
    record_command,
    resolve_record_mode,
    safe_file_name,
    unknown_fields_policy,
)

MARKER_SOURCE = "@pytest.mark.jobrun_cassette(record_mode=...)"
VALID = "none, once, new_episodes, all"

# --- resolve_record_mode ------------------------------------------------------


@pytest.mark.parametrize(
    ("cli", "env", "marker", "ini", "expected"),
    [
        pytest.param("all", "once", "new_episodes", "none", "all", id="cli-beats-everything"),
        pytest.param(None, "once", "new_episodes", "all", "once", id="env-beats-marker-and-ini"),
        pytest.param(None, None, "new_episodes", "all", "new_episodes", id="marker-beats-ini"),
        pytest.param(None, None, None, "once", "once", id="ini-alone"),
        pytest.param(None, None, None, None, "none", id="default-none"),
        pytest.param(None, "", "all", None, "all", id="empty-env-is-unset"),
        pytest.param(None, None, None, "", "none", id="empty-ini-is-unset"),
        pytest.param("none", "all", None, None, "none", id="cli-none-still-wins"),
    ],
)
def test_record_mode_precedence(
    cli: str | None, env: str | None, marker: str | None, ini: str | None, expected: str
) -> None:
    environ = {} if env is None else {RECORD_MODE_ENV: env}
    assert resolve_record_mode(cli=cli, env=environ, marker=marker, ini=ini) == expected


def test_only_the_record_mode_variable_of_the_environment_counts() -> None:
    environ = {"RECORD_MODE": "all", "VCR_RECORD_MODE": "all", "PATH": "/usr/bin"}
    assert resolve_record_mode(cli=None, env=environ, marker=None, ini=None) == "none"


@pytest.mark.parametrize(
    ("kwargs", "source"),
    [
        pytest.param({"cli": "sometimes"}, "--jobrun-record-mode", id="cli"),
        pytest.param({"env": {RECORD_MODE_ENV: "sometimes"}}, RECORD_MODE_ENV, id="env"),
        pytest.param({"marker": "sometimes"}, MARKER_SOURCE, id="marker"),
        pytest.param({"ini": "sometimes"}, "jobrun_record_mode (ini)", id="ini"),
    ],
)
def test_an_invalid_record_mode_names_its_source_and_lists_the_valid_modes(
    kwargs: dict[str, object], source: str
) -> None:
    arguments: dict[str, object] = {"cli": None, "env": {}, "marker": None, "ini": None}
    arguments.update(kwargs)
    with pytest.raises(ConfigError) as raised:
        resolve_record_mode(**arguments)  # type: ignore[arg-type]
    message = str(raised.value)
    assert message.startswith(f"{source}: ")
    assert "unknown record mode 'sometimes'" in message
    assert f"Valid: {VALID}" in message
    assert raised.value.kwargs["source"] == source


def test_a_higher_source_is_validated_before_a_lower_one_is_consulted() -> None:
    # A valid marker cannot hide a typo on the command line.
    with pytest.raises(ConfigError, match="--jobrun-record-mode"):
        resolve_record_mode(cli="ALL", env={}, marker="all", ini="all")


def test_record_modes_are_case_sensitive() -> None:
    with pytest.raises(ConfigError, match="'Once'"):
        resolve_record_mode(cli=None, env={RECORD_MODE_ENV: "Once"}, marker=None, ini=None)


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown record mode"):
        resolve_record_mode(cli=None, env={}, marker=None, ini="bogus")


# --- cassette_options ----------------------------------------------------------


def test_default_options() -> None:
    options = cassette_options()
    assert options == CassetteOptions()
    assert options.name is None
    assert options.record_mode is None
    assert options.allow_unused is False
    assert options.skip_sleep is False
    assert options.ignore_params == ()
    assert options.match_requests is True
    assert options.region is None
    assert options.unknown_fields is None  # the ini option decides


def test_every_option_is_taken() -> None:
    options = cassette_options(
        "shared/poll.yaml",
        record_mode="once",
        allow_unused=True,
        skip_sleep=True,
        ignore_params=["createdAfter", "jobDriver.sparkSubmitJobDriver.entryPoint"],
        match_requests=False,
        region="eu-west-1",
        unknown_fields="drop",
    )
    assert options == CassetteOptions(
        name="shared/poll.yaml",
        record_mode="once",
        allow_unused=True,
        skip_sleep=True,
        ignore_params=("createdAfter", "jobDriver.sparkSubmitJobDriver.entryPoint"),
        match_requests=False,
        region="eu-west-1",
        unknown_fields="drop",
    )


def test_options_are_frozen() -> None:
    options = cassette_options()
    with pytest.raises(AttributeError):
        options.skip_sleep = True  # type: ignore[misc]


def test_a_misspelt_keyword_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="skip_sleeep"):
        cassette_options(skip_sleeep=True)


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        ((), {"skip_sleeep": True}, "unknown option 'skip_sleeep' (did you mean 'skip_sleep'?)"),
        ((), {"name": "x"}, "the cassette name or path goes first, without a keyword"),
        (("a", "once"), {}, "2 positional arguments ('a', 'once')"),
    ],
)
def test_a_wrong_marker_argument_lists_the_valid_options_and_no_internal_name(
    args: tuple[str, ...], kwargs: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        cassette_options(*args, **kwargs)
    message = str(raised.value)
    assert message.startswith("@pytest.mark.jobrun_cassette: ")
    assert problem in message
    assert "Valid: record_mode, allow_unused, skip_sleep, ignore_params, match_requests" in message
    assert "allowed_hosts" in message
    assert "_marker_signature" not in message


def test_options_other_than_the_name_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        cassette_options("name", "once")


def test_the_name_is_positional_only() -> None:
    with pytest.raises(TypeError):
        cassette_options(name="lifecycle")


@pytest.mark.parametrize("mode", ["always", "", "None", "ONCE"])
def test_a_bad_record_mode_in_the_marker_is_a_config_error(mode: str) -> None:
    with pytest.raises(ConfigError) as raised:
        cassette_options(record_mode=mode)
    message = str(raised.value)
    assert message.startswith(MARKER_SOURCE)
    assert f"unknown record mode {mode!r}" in message
    assert VALID in message


@pytest.mark.parametrize("mode", RECORD_MODES)
def test_every_valid_record_mode_is_accepted_by_the_marker(mode: str) -> None:
    assert cassette_options(record_mode=mode).record_mode == mode


def test_a_string_ignore_params_is_one_param_not_its_characters() -> None:
    assert cassette_options(ignore_params="createdAfter").ignore_params == ("createdAfter",)


def test_ignore_params_of_any_sequence_become_a_tuple() -> None:
    options = cassette_options(ignore_params=["a", "b.c"])
    assert options.ignore_params == ("a", "b.c")
    assert isinstance(options.ignore_params, tuple)


def test_truthy_flags_are_normalised_to_bools() -> None:
    options = cassette_options(allow_unused=1, skip_sleep="yes", match_requests=0)  # type: ignore[arg-type]
    assert options.allow_unused is True
    assert options.skip_sleep is True
    assert options.match_requests is False


# --- choose_action -----------------------------------------------------------------


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


def test_the_action_table_covers_every_record_mode() -> None:
    table = {
        (mode, exists): choose_action(mode, exists)
        for mode in RECORD_MODES
        for exists in (True, False)
    }
    assert len(table) == 8
    # Only "none" ever reports a missing cassette; only an existing cassette is replayed.
    assert [key for key, action in table.items() if action is Action.MISSING] == [("none", False)]
    assert {key for key, action in table.items() if action is Action.REPLAY} == {
        ("none", True),
        ("once", True),
    }


# --- cassette_path -----------------------------------------------------------------

DIR = Path("cassettes")
MODULE = "tests/test_poll.py"


def _path(test_name: str, name: str | None = None, cassette_dir: Path = DIR) -> str:
    return cassette_path(cassette_dir, MODULE, test_name, name).as_posix()


def test_default_path_is_dir_module_test_name() -> None:
    assert (
        _path("test_poll_until_done")
        == "cassettes/tests/test_poll/test_poll_until_done.jobrun.yaml"
    )


def test_the_module_suffix_is_dropped_but_its_folders_kept() -> None:
    path = cassette_path(DIR, "tests/integration/test_jobs.py", "TestJobs::test_a")
    assert path.as_posix() == "cassettes/tests/integration/test_jobs/TestJobs.test_a.jobrun.yaml"


def test_a_name_without_a_slash_replaces_the_test_name_in_the_module_folder() -> None:
    assert _path("test_x", "lifecycle") == "cassettes/tests/test_poll/lifecycle.jobrun.yaml"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "shared/lifecycle", "cassettes/shared/lifecycle.yaml", id="slash-suffix-added"
        ),
        pytest.param("shared/lifecycle.yaml", "cassettes/shared/lifecycle.yaml", id="slash-yaml"),
        pytest.param("lifecycle.yaml", "cassettes/lifecycle.yaml", id="yaml-no-slash"),
        pytest.param("lifecycle.yml", "cassettes/lifecycle.yml", id="yml-kept"),
        pytest.param("a/b/c", "cassettes/a/b/c.yaml", id="nested"),
        pytest.param("shared/v1.2", "cassettes/shared/v1.2.yaml", id="dotted-name-gets-suffix"),
    ],
)
def test_a_name_with_a_slash_or_suffix_is_relative_to_the_cassette_dir(
    name: str, expected: str
) -> None:
    assert _path("test_x", name) == expected


def test_an_absolute_name_allowed_outside_stays_where_it_is(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "poll.yaml"
    assert cassette_path(DIR, MODULE, "test_x", str(target), allow_outside=True) == target
    without_suffix = cassette_path(
        DIR, MODULE, "test_x", str(tmp_path / "poll"), allow_outside=True
    )
    assert without_suffix == tmp_path / "poll.yaml"
    assert without_suffix.is_absolute()


def test_an_absolute_cassette_dir_gives_absolute_paths(tmp_path: Path) -> None:
    path = cassette_path(tmp_path, MODULE, "test_x")
    assert path == tmp_path / "tests" / "test_poll" / "test_x.jobrun.yaml"


@pytest.mark.parametrize(
    ("test_name", "file_name"),
    [
        ("test_x[a/b c]", "test_x[a-b-c]-14810733.jobrun.yaml"),
        ("TestPoll::test_x[a/b c]", "TestPoll.test_x[a-b-c]-038987f2.jobrun.yaml"),
        ("test_x[..\\..\\etc]", "test_x[..-..-etc]-b147ec1f.jobrun.yaml"),
        ("test_x[a:b*c?d<e>f|g\"h']", "test_x[a-b-c-d-e-f-g-h-]-b87e2251.jobrun.yaml"),
        ("test_x[tab\there\nnl]", "test_x[tab-here-nl]-27701e8b.jobrun.yaml"),
        ("test_x[1-2,k=v+w@x]", "test_x[1-2,k=v+w@x].jobrun.yaml"),
    ],
)
def test_unsafe_characters_in_test_names_are_sanitized(test_name: str, file_name: str) -> None:
    path = cassette_path(DIR, MODULE, test_name)
    assert path.parent.as_posix() == "cassettes/tests/test_poll"
    assert path.name == file_name


def test_a_parametrized_name_never_escapes_the_module_folder() -> None:
    path = cassette_path(DIR, MODULE, "test_x[../../../etc/passwd]")
    assert path.parent == DIR / "tests" / "test_poll"
    assert "/" not in path.name


def test_a_marker_name_without_slash_is_sanitized_too() -> None:
    assert (
        _path("test_x", "my cassette")
        == "cassettes/tests/test_poll/my-cassette-ae9199f1.jobrun.yaml"
    )


def test_default_names_never_are_pytest_recordings_for_a_module_at_the_rootdir() -> None:
    """pytest-recording's default is ``<module folder>/cassettes/<module>/<test>.yaml``:
    for ``test_poll.py`` at the rootdir, the folder ours uses too."""
    ours = cassette_path(DIR, "test_poll.py", "TestPoll::test_x[a]")
    theirs = Path("cassettes/test_poll/TestPoll.test_x[a].yaml")
    assert ours.parent == theirs.parent
    assert ours != theirs
    assert ours.name == "TestPoll.test_x[a].jobrun.yaml"


@pytest.mark.parametrize(
    ("name", "legacy"),
    [
        pytest.param(None, "cassettes/tests/test_poll/test_x.yaml", id="default"),
        pytest.param("lifecycle", "cassettes/tests/test_poll/lifecycle.yaml", id="bare-name"),
        pytest.param("shared/lifecycle", None, id="path-not-moved"),
        pytest.param("lifecycle.yaml", None, id="yaml-name-not-moved"),
    ],
)
def test_the_legacy_path_is_the_name_before_jobrun_yaml(
    name: str | None, legacy: str | None
) -> None:
    found = legacy_cassette_paths(DIR, MODULE, "test_x", name)
    assert [path.as_posix() for path in found] == ([legacy] if legacy else [])
    if legacy is not None:
        assert _path("test_x", name) == legacy.removesuffix(".yaml") + ".jobrun.yaml"


def test_a_very_long_test_name_gives_a_portable_file_name() -> None:
    path = cassette_path(DIR, MODULE, "test_x[" + "a" * 500 + "]")
    assert len(path.name) <= 255


def test_distinct_long_parametrized_names_get_distinct_cassettes() -> None:
    prefix = "test_x[" + "s3://bucket/" + "p" * 200
    first = cassette_path(DIR, MODULE, prefix + "-1]")
    second = cassette_path(DIR, MODULE, prefix + "-2]")
    assert first != second
    assert len(first.name) <= 255


def test_a_long_safe_name_is_cut_and_hashed() -> None:
    name = "test_x[" + "a" * 300 + "]"
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    assert safe_file_name(name) == "test_x[" + "a" * 184 + "-" + digest
    assert len(safe_file_name(name)) == 200
    assert safe_file_name(name) == safe_file_name(name)


def test_names_differing_only_in_replaced_characters_get_distinct_cassettes() -> None:
    names = {safe_file_name(name) for name in ("a/b", "a b", "a-b")}
    assert len(names) == 3
    assert "a-b" in names  # an already-safe name is used as it is
    assert all(name.startswith("a-b") for name in names)
    assert len({_path("test_x[a/b]"), _path("test_x[a b]"), _path("test_x[a-b]")}) == 3
    assert _path("test_x[a-b]") == "cassettes/tests/test_poll/test_x[a-b].jobrun.yaml"


@pytest.mark.parametrize(
    "name",
    [
        "test_describe[running]",
        "test_poll_until_done",
        "TestJobs.test_a",
        "test_x[1-2,k=v+w@x]",
        "describe-job-run_completed_sparkpilot-1",
        "x" * 200,
    ],
)
def test_a_safe_name_of_up_to_200_characters_is_kept_as_it_is(name: str) -> None:
    assert safe_file_name(name) == name


def test_an_empty_name_becomes_cassette_and_a_hash() -> None:
    assert safe_file_name("") == "cassette-" + hashlib.sha256(b"").hexdigest()[:8]


# --- record_command -----------------------------------------------------------------


def test_record_command_for_a_plain_node_id() -> None:
    assert record_command("tests/test_x.py::test_y") == (
        "pytest tests/test_x.py::test_y --jobrun-record-mode=once"
    )


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_x.py::test_y[a b]",
        "tests/test_x.py::test_y[it's]",
        "tests/test_x.py::TestZ::test_y[$HOME;rm -rf /]",
        'tests/test_x.py::test_y["quoted" `tick`]',
    ],
)
def test_record_command_quotes_the_node_id_for_a_posix_shell(nodeid: str) -> None:
    command = record_command(nodeid)
    assert shlex.split(command) == ["pytest", nodeid, "--jobrun-record-mode=once"]


def test_record_command_with_an_endpoint() -> None:
    assert record_command("t.py::t", "http://127.0.0.1:5000") == (
        "pytest t.py::t --jobrun-record-mode=once --jobrun-endpoint-url=http://127.0.0.1:5000"
    )
    url = "http://127.0.0.1:5000/?a=1&b=2"
    assert shlex.split(record_command("t.py::t[x y]", url)) == [
        "pytest",
        "t.py::t[x y]",
        "--jobrun-record-mode=once",
        f"--jobrun-endpoint-url={url}",
    ]


def test_record_command_without_endpoint_has_no_endpoint_option() -> None:
    assert "--jobrun-endpoint-url" not in record_command("t.py::t", None)
    assert "--jobrun-endpoint-url" not in record_command("t.py::t", "")


def test_unknown_fields_takes_fail_or_drop_and_names_the_marker_otherwise() -> None:
    assert unknown_fields_policy("fail") == "fail"
    assert unknown_fields_policy("drop") == "drop"
    with pytest.raises(
        ConfigError, match=r"unknown_fields=\.\.\.\): unknown value 'ignore'\nValid: fail, drop"
    ):
        cassette_options(unknown_fields="ignore")


def test_drift_fail_on_names_its_source_and_the_valid_thresholds() -> None:
    assert [drift_fail_on(value) for value in DRIFT_FAIL_ON] == list(DRIFT_FAIL_ON)
    with pytest.raises(
        ConfigError, match=r"^--fail-on: unknown value 'any'\nValid: info, additive"
    ):
        drift_fail_on("any", "--fail-on")


def test_drift_fail_on_matches_the_severities_of_drift() -> None:
    from replay_jobrun.drift.compare import Severity

    assert (*(s.value for s in sorted(Severity, key=lambda s: s.rank)), "never") == DRIFT_FAIL_ON


# --- markers of a test, its class and its module ------------------------------------------


@pytest.mark.parametrize(
    ("closest_first", "expected"),
    [
        pytest.param([], ((), {}), id="no-marker"),
        pytest.param([((), {"skip_sleep": True})], ((), {"skip_sleep": True}), id="one"),
        pytest.param(
            [((), {"allow_unused": True}), (("shared.yaml",), {"skip_sleep": True})],
            (("shared.yaml",), {"allow_unused": True, "skip_sleep": True}),
            id="options-add-up",
        ),
        pytest.param(
            [((), {"skip_sleep": False}), ((), {"skip_sleep": True, "region": "eu-west-1"})],
            ((), {"skip_sleep": False, "region": "eu-west-1"}),
            id="closest-value-wins-per-option",
        ),
        pytest.param(
            [(("test.yaml",), {}), (("class.yaml",), {}), (("module.yaml",), {})],
            (("test.yaml",), {}),
            id="closest-name-wins",
        ),
        pytest.param(
            [((), {}), (("class.yaml",), {}), (("module.yaml",), {})],
            (("class.yaml",), {}),
            id="name-from-the-closest-that-gives-one",
        ),
    ],
)
def test_markers_merge_closest_first(
    closest_first: list[tuple[tuple[str, ...], dict[str, object]]],
    expected: tuple[tuple[str, ...], dict[str, object]],
) -> None:
    assert merged_marker_arguments(closest_first) == expected


def test_a_typo_in_any_merged_marker_is_still_refused() -> None:
    args, kwargs = merged_marker_arguments([((), {"skip_sleep": True}), ((), {"skip_sleeep": 1})])
    with pytest.raises(TypeError, match="skip_sleeep"):
        cassette_options(*args, **kwargs)
