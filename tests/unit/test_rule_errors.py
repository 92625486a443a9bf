"""A scrub rule that fails says which rule, never the value it was applied to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay_jobrun import rules
from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.errors import ScrubRuleError
from replay_jobrun.record.recorder import write_scrubbed
from replay_jobrun.scrub.scrubber import Scrubber

VALUE = "team-hunter2secret"
URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/j1"


def as_number(value: str) -> str:
    return str(int(value))  # ValueError: invalid literal for int() with base 10: '<value>'


def as_nothing(value: str) -> str:
    return None  # type: ignore[return-value]


def _interaction() -> Interaction:
    body = {"jobRun": {"name": VALUE, "stateDetails": f"owner {VALUE}"}}
    return Interaction(
        RecordedRequest("GET", URI),
        RecordedResponse(200, "OK", {}, json.dumps(body).encode()),
        "DescribeJobRun",
    )


def _assert_hides_the_value(message: str) -> None:
    assert VALUE not in message
    assert "hunter2" not in message
    assert "invalid literal" not in message


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        (
            rules.regex("team-[a-z0-9]+", as_number),
            f"regex('team-[a-z0-9]+', {__name__}.as_number)",
        ),
        (
            rules.regex("team-[a-z0-9]+", as_nothing),
            f"regex('team-[a-z0-9]+', {__name__}.as_nothing)",
        ),
        (
            rules.regex("team-[a-z0-9]+", r"\g<9>"),
            "regex('team-[a-z0-9]+', " + repr(r"\g<9>") + ")",
        ),
        (rules.field("jobRun.name", as_number), f"field('jobRun.name', {__name__}.as_number)"),
    ],
)
def test_a_failing_rule_is_named_and_the_value_is_not(
    rule: rules.Rule, named: str, tmp_path: Path
) -> None:
    target = tmp_path / "c.yaml"
    target.write_text("previous\n")
    cassette = Cassette(target, (_interaction(),))
    with pytest.raises(ScrubRuleError) as raised:
        write_scrubbed(cassette, Scrubber(rules=[rule]))
    message = str(raised.value)
    assert message.startswith(f"{target}: the scrub rule ")
    assert named in message
    _assert_hides_the_value(message)
    # Nor in what a traceback would print: the original error is not chained.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert target.read_text() == "previous\n"


def test_the_cli_names_the_rule_not_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    from replay_jobrun.cassette.format import save_cassette
    from replay_jobrun.cli.main import main

    module = types.ModuleType("failing_rules")
    module.RULES = [rules.field("jobRun.name", as_number)]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "failing_rules", module)
    path = save_cassette(Cassette(tmp_path / "c.yaml", (_interaction(),)))
    before = path.read_text()
    assert main(["scrub", "--rules", "failing_rules:RULES", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"field('jobRun.name', {__name__}.as_number)" in err
    _assert_hides_the_value(err)
    assert path.read_text() == before
