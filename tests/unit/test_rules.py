"""User rules: factories, ini lines, Python specs and path matching."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from replay_jobrun.errors import ConfigError
from replay_jobrun.scrub import rules
from replay_jobrun.scrub.rules import FieldRule, KeepRule, PathMatcher, RegexRule


def test_regex_rules_take_a_string_with_groups_or_a_function() -> None:
    assert rules.regex(r"team-([a-z]+)", r"team-<\1>").apply("team-data, team-ml") == (
        "team-<data>, team-<ml>",
        2,
    )
    assert rules.regex(r"cc-\d+", lambda found: "cc-" + "0" * (len(found) - 3)).apply(
        "cc-4711"
    ) == ("cc-0000", 1)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("name", "name", True),
        ("name", "jobRun.name", True),  # a bare key matches at any depth
        ("name", "jobRun.surname", False),
        ("jobRun.tags.*", "jobRun.tags.owner", True),
        ("jobRun.tags.*", "jobRun.tagsx", False),
        ("*.entryPoint", "jobDriver.sparkSubmitJobDriver.entryPoint", True),
        ("jobRun.name", "name", False),  # a dotted path is anchored at the body's root
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert (PathMatcher([pattern]).match(path) == 0) is matches


def test_the_first_matching_pattern_wins() -> None:
    assert PathMatcher(["a.b", "*.b"]).match("x.b") == 1
    assert PathMatcher(["a.b", "*.b"]).match("a.b") == 0


@pytest.mark.parametrize("path", ["", ".name", "name.", "a..b", " name"])
def test_a_bad_path_is_a_config_error(path: str) -> None:
    with pytest.raises(ConfigError, match="not a field path"):
        rules.field(path)


def test_ini_lines_become_rules_with_redacted_as_the_default_replacement() -> None:
    parsed = rules.parse_lines(
        [r"cc-\d+ -> cc-0", "", r"team-[a-z]+"],
        ["jobRun.name -> job", "*.owner"],
        ["jobRun.tags.team"],
    )
    assert [type(r) for r in parsed] == [RegexRule, RegexRule, FieldRule, FieldRule, KeepRule]
    assert parsed[0].apply("cc-4711") == ("cc-0", 1)  # type: ignore[union-attr]
    assert parsed[1].replacement == "REDACTED"  # type: ignore[union-attr]
    assert parsed[2] == FieldRule("jobRun.name", "job")
    assert parsed[4] == KeepRule("jobRun.tags.team")


def test_a_bad_regex_line_names_the_option_and_the_pattern() -> None:
    with pytest.raises(ConfigError, match=r"jobrun_scrub_regex: '\(unclosed' is not a regular"):
        rules.parse_lines(["(unclosed -> x"], [], [])


def test_rules_load_from_a_module_attribute_or_function(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    (tmp_path / "team_rules.py").write_text(
        textwrap.dedent(
            """
            from replay_jobrun import rules
            RULES = [rules.regex("secret-[0-9]+")]
            def make():
                return [rules.keep("jobRun.tags.team")]
            NOT_RULES = ["secret-[0-9]+"]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "team_rules", raising=False)
    # Imported below from tmp_path: another test's team_rules must not find it cached.
    request.addfinalizer(lambda: sys.modules.pop("team_rules", None))
    assert [type(r) for r in rules.load_rules("team_rules:RULES")] == [RegexRule]
    assert rules.load_rules("team_rules:make") == [KeepRule("jobRun.tags.team")]
    with pytest.raises(ConfigError, match="is not a rule"):
        rules.load_rules("team_rules:NOT_RULES")
    with pytest.raises(ConfigError, match="cannot load 'team_rules:missing'"):
        rules.load_rules("team_rules:missing")
    with pytest.raises(ConfigError, match="has no ':'"):
        rules.load_rules("team_rules")


def test_a_scrubber_refuses_what_is_not_a_rule() -> None:
    from replay_jobrun.scrub.scrubber import Scrubber

    with pytest.raises(ConfigError, match=r"'team-\[a-z\]\+' is not a rule"):
        Scrubber(rules=["team-[a-z]+"])  # type: ignore[list-item]
