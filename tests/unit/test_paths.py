"""paths.py: ignore_params paths as mismatch messages print them, wildcards, the model check."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import vcr.request
from hypothesis import given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.errors import ConfigError, IgnoreParamsError
from replay_jobrun.record.recorder import Recording, RecordMode, record
from replay_jobrun.replay.matching import compare, differences, without
from replay_jobrun.replay.paths import IGNORED, PathSyntaxError, check, parse
from replay_jobrun.replay.replayer import replay
from replay_jobrun.scrub.scrubber import Scrubber

HOST = "https://emr-containers.us-east-1.amazonaws.com"
JOBRUNS = f"{HOST}/virtualclusters/vc1/jobruns"
RUN_ID = "spark.kubernetes.driver.label.dagster/run-id"


def as_is(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
    return url, body


def _start_body(run_id: str = "run-1", app: str = "etl", tag: str = "run-1") -> str:
    return json.dumps(
        {
            "name": "nightly",
            "executionRoleArn": "arn:aws:iam::123456789012:role/JobRole",
            "releaseLabel": "emr-7.10.0-latest",
            "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://b/etl.py"}},
            "configurationOverrides": {
                "applicationConfiguration": [
                    {"classification": "spark-defaults", "properties": {"spark.app.name": app}},
                    {
                        "classification": "spark-defaults",
                        "properties": {RUN_ID: run_id, "spark.executor.cores": "2"},
                    },
                ]
            },
            "tags": {"dagster/run-id": tag, "team": "data"},
        }
    )


def _differences(ignored: tuple[str, ...], **live: str) -> list[str]:
    return compare(
        "StartJobRun",
        ("POST", JOBRUNS, _start_body()),
        ("POST", JOBRUNS, _start_body(**live)),
        as_is,
        ignored,
    )


# --- the syntax is what a mismatch prints ----------------------------------------------------


def test_every_path_a_mismatch_prints_parses_back_to_the_same_leaf() -> None:
    recorded = json.loads(_start_body())
    live = json.loads(_start_body(run_id="run-2", app="other", tag="run-2"))
    lines = differences(recorded, live)
    printed = [line.strip().split(": recorded", 1)[0] for line in lines]
    assert printed == [
        "configurationOverrides.applicationConfiguration[0].properties['spark.app.name']",
        f"configurationOverrides.applicationConfiguration[1].properties['{RUN_ID}']",
        "tags['dagster/run-id']",
    ]
    # Ignoring exactly the printed paths leaves nothing to report.
    assert differences(without(recorded, printed), without(live, printed)) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("createdAfter", [{"key": "createdAfter"}]),
        ("tags.team", [{"key": "tags"}, {"key": "team"}]),
        ("tags.*", [{"key": "tags"}, {}]),
        ("args[2]", [{"key": "args"}, {"index": 2}]),
        ("args[*]", [{"key": "args"}, {}]),
        ("p['spark.app.name']", [{"key": "p"}, {"key": "spark.app.name"}]),
        ('p["it\'s"]', [{"key": "p"}, {"key": "it's"}]),
        ("p['a\\'b']", [{"key": "p"}, {"key": "a'b"}]),
    ],
)
def test_parse(path: str, expected: list[dict[str, Any]]) -> None:
    steps = parse(path).steps
    assert [
        {k: v for k, v in (("key", s.key), ("index", s.index)) if v is not None} for s in steps
    ] == expected


def test_a_star_inside_a_quoted_key_matches_any_characters() -> None:
    (_, step) = parse("p['spark.kubernetes.*']").steps
    assert step.pattern is not None
    assert step.keys({"spark.kubernetes.a/b": 1, "spark.app.name": 2, "spark.kubernetes.": 3}) == [
        "spark.kubernetes.a/b",
        "spark.kubernetes.",
    ]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("", "expected a param name at position 0"),
        ("tags.", "at position 4: tags^."),
        ("args[x]", "at position 4"),
        ("p['unclosed]", "at position 1"),
        ("p.spark.app-name.['x']", "at position 16"),
        ("[0]", "a param name at position 0"),
    ],
)
def test_a_malformed_path_says_where(path: str, where: str) -> None:
    with pytest.raises(PathSyntaxError) as raised:
        parse(path)
    assert where in str(raised.value)
    assert repr(path) in str(raised.value)


# --- what a path leaves out ------------------------------------------------------------------


def test_every_key_of_a_map() -> None:
    assert _differences(("tags.*",), tag="run-2") == []


def test_a_wildcard_list_item_and_a_quoted_key() -> None:
    ignored = (f"configurationOverrides.applicationConfiguration[*].properties['{RUN_ID}']",)
    assert _differences(ignored, run_id="run-2") == []
    # Only that key: another property still differs, and is named.
    (line,) = _differences(ignored, run_id="run-2", app="other")
    assert line == (
        "  configurationOverrides.applicationConfiguration[0].properties['spark.app.name']: "
        "recorded 'etl', live 'other'"
    )


def test_a_glob_in_a_quoted_key() -> None:
    ignored = (
        "configurationOverrides.applicationConfiguration[*].properties['spark.kubernetes.*']",
    )
    assert _differences(ignored, run_id="run-2") == []
    assert _differences(ignored, app="other") != []


def test_one_list_item_by_index_keeps_the_other_items_and_their_indexes() -> None:
    params = {"args": ["a", "b", "c"]}
    assert without(params, ["args[1]"]) == {"args": ["a", IGNORED, "c"]}
    assert without(params, ["args[*]"]) == {"args": [IGNORED] * 3}
    assert without(params, ["args[7]", "nope.deeper", "args.key"]) == params


# --- the model check -------------------------------------------------------------------------


def test_paths_that_fit_the_model_pass() -> None:
    assert (
        check(
            [
                "tags.*",
                "tags['dagster/run-id']",
                "configurationOverrides.applicationConfiguration[*].properties.*",
                "configurationOverrides.applicationConfiguration[0].classification",
                "jobDriver.sparkSubmitJobDriver.entryPointArguments[*]",
                "jobDriver.*",
            ],
            ["StartJobRun"],
        )
        == []
    )


def test_a_path_that_fits_any_operation_of_the_cassette_passes() -> None:
    assert check(["createdAfter"], ["DescribeJobRun", "ListJobRuns"]) == []
    ((path, problems),) = check(["createdAfter"], ["DescribeJobRun", "StartJobRun"])
    assert path == "createdAfter"
    assert problems[0].startswith("DescribeJobRun: the request has no member 'createdAfter'")
    assert problems[1].startswith("StartJobRun: the request has no member 'createdAfter'")


def test_a_typo_names_the_valid_members_and_the_closest() -> None:
    ((_, (problem,)),) = check(["jobDriver.sparkSubmitJobDriver.entryPiont"], ["StartJobRun"])
    assert problem.startswith(
        "StartJobRun: jobDriver.sparkSubmitJobDriver has no member 'entryPiont' "
        "(did you mean 'entryPoint'?); its members: entryPoint, entryPointArguments, "
        "sparkSubmitParameters"
    )


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tags[0]", "tags is a map: use .key, ['key'] or .* for its keys, not [0]"),
        (
            "configurationOverrides.applicationConfiguration.properties",
            "configurationOverrides.applicationConfiguration is a list: use [N] or [*]",
        ),
        (
            "configurationOverrides.applicationConfiguration[*].properties.spark.app",
            "configurationOverrides.applicationConfiguration[*].properties[key] is a string: "
            "nothing is below it",
        ),
        ("name[0]", "name is a string: nothing is below it"),
    ],
)
def test_a_path_into_the_wrong_kind_of_value_says_what_it_is(path: str, problem: str) -> None:
    ((_, (found,)),) = check([path], ["StartJobRun"])
    assert problem in found


def test_a_malformed_path_is_reported_by_check() -> None:
    ((path, (problem,)),) = check(["tags..team"], ["StartJobRun"])
    assert path == "tags..team"
    assert "at position 4" in problem


def test_no_operation_at_all_checks_against_every_operation() -> None:
    assert check(["createdAfter", "tags.*"], []) == []
    assert check(["notAParamOfAnything"], []) != []


# --- at replay and record start --------------------------------------------------------------


def _cassette(tmp_path: Path) -> Cassette:
    body = {"jobRun": {"id": "j1", "virtualClusterId": "vc1", "state": "RUNNING"}}
    interaction = Interaction(
        RecordedRequest("GET", f"{JOBRUNS}/j1"),
        RecordedResponse(
            200, "OK", {"Content-Type": ["application/json"]}, json.dumps(body).encode()
        ),
        "DescribeJobRun",
    )
    return Cassette(tmp_path / "typo.yaml", (interaction,), {})


def test_replay_refuses_to_start_on_a_path_that_names_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(IgnoreParamsError) as raised,
        replay(_cassette(tmp_path), ignore_params=("idd",)),
    ):
        pytest.fail("replay started")  # pragma: no cover
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'typo.yaml'}: ignore_params path(s)")
    assert (
        "'idd':\n    DescribeJobRun: the request has no member 'idd' (did you mean 'id'?)"
        in message
    )
    assert "its members: id, virtualClusterId" in message
    assert "tags.*" in message  # the syntax, with an example
    assert isinstance(raised.value, ConfigError)


def test_record_refuses_to_start_on_a_path_no_operation_has(tmp_path: Path) -> None:
    with (
        pytest.raises(IgnoreParamsError) as raised,
        record(tmp_path / "new.yaml", ignore_params=("tags[0]",)),
    ):
        pytest.fail("record started")  # pragma: no cover
    assert "tags is a map" in str(raised.value)
    assert not (tmp_path / "new.yaml").exists()


def test_the_recorders_vcrpy_matcher_leaves_out_ignored_paths(tmp_path: Path) -> None:
    scrubber = Scrubber()
    _, scrubbed = scrubber.scrub_live("StartJobRun", JOBRUNS, _start_body())  # as in a cassette
    recorded = vcr.request.Request("POST", JOBRUNS, scrubbed, {})
    live = vcr.request.Request("POST", JOBRUNS, _start_body(tag="run-2"), {})
    strict = Recording(tmp_path / "c.yaml", RecordMode.NEW_EPISODES, scrubber=scrubber)
    strict._matches(vcr.request.Request("POST", JOBRUNS, _start_body(), {}), recorded)
    with pytest.raises(AssertionError, match=r"tags\['dagster/run-id'\]: recorded 'REDACTED-"):
        strict._matches(live, recorded)
    lenient = Recording(
        tmp_path / "c.yaml", RecordMode.NEW_EPISODES, scrubber=scrubber, ignore_params=("tags.*",)
    )
    lenient._matches(live, recorded)  # no AssertionError: vcrpy plays the recorded response


# --- any printed path, ignored, removes exactly its difference ------------------------------

_keys = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True),
    st.text(min_size=0, max_size=10),  # dots, quotes, backslashes, spaces, anything
)
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # the names of params
_leaves = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none())
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(_keys, inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def _leaf_paths(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(tree, dict):
        return [p for key, value in tree.items() for p in _leaf_paths(value, (*path, key))]
    if isinstance(tree, list):
        return [p for index, value in enumerate(tree) for p in _leaf_paths(value, (*path, index))]
    return [path]


@settings(max_examples=200, deadline=None)
@given(tree=st.dictionaries(_keys.filter(_PARAM.fullmatch), _trees, min_size=1), data=st.data())
def test_the_path_a_difference_prints_ignores_exactly_that_difference(
    tree: dict[str, Any], data: st.DataObject
) -> None:
    leaf = data.draw(st.sampled_from(_leaf_paths(tree)))
    changed = json.loads(json.dumps(tree))
    target = changed
    for key in leaf[:-1]:
        target = target[key]
    target[leaf[-1]] = ["a value no generated leaf has"]
    (line,) = differences(tree, changed)
    printed = line.strip().split(": recorded ", 1)[0]
    assert differences(without(tree, [printed]), without(changed, [printed])) == []
    assert without(tree, [printed]) == without(changed, [printed])
