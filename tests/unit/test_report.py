"""Renderings of a drift report: JSON against its shipped schema, text, Markdown, JUnit, GitHub."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from replay_jobrun.drift.compare import CassetteDrift, DriftFinding, DriftReport, Kind
from replay_jobrun.drift.fingerprint import Scope
from replay_jobrun.drift.report import (
    FORMATS,
    SCHEMA_ID,
    cassette_lines,
    json_schema,
    render,
    report_dict,
)
from replay_jobrun.drift.run import drift
from replay_jobrun.errors import ConfigError
from tests.support import CASSETTES, edited_cassette

DESCRIBE = Scope("DescribeJobRun")
LONG_PATH = "jobRun.configurationOverrides.applicationConfiguration[*].properties{*}"
REMOVED = DriftFinding(Kind.REMOVED, DESCRIBE, "jobRun.releaseLabel", old="string")
ADDED = DriftFinding(
    Kind.ADDED, Scope("DescribeJobRun", outcome="FAILED USER_ERROR"), LONG_PATH, new="string"
)
UNKNOWN = DriftFinding(Kind.UNKNOWN_TO_MODEL, DESCRIBE, "jobRun.x", new="object")
NEVER = (
    DriftFinding(Kind.NEVER_OBSERVED, DESCRIBE, "jobRun.retryPolicyConfiguration"),
    DriftFinding(Kind.NEVER_OBSERVED, Scope("ListJobRuns"), "nextToken"),
)


def _report(*cassettes: CassetteDrift, never: tuple[DriftFinding, ...] = NEVER) -> DriftReport:
    return DriftReport("recordings", "old", "new", cassettes, never, ignored=3, botocore="1.2.3")


def _compared(name: str, *findings: DriftFinding) -> CassetteDrift:
    return CassetteDrift(name, name, name, "compared", findings)


SAMPLE = _report(
    _compared("a.yaml", ADDED, REMOVED),
    CassetteDrift("b.yaml", None, "b.yaml", "new", (UNKNOWN,)),
    _compared("c.yaml"),
    _compared("d.yaml"),
    CassetteDrift("gone.yaml", "gone.yaml", None, "deleted"),
)


# --- formats and thresholds -------------------------------------------------------


def test_an_unknown_format_is_a_config_error_naming_every_format() -> None:
    with pytest.raises(ConfigError) as caught:
        render(SAMPLE, "yaml")
    assert "'yaml'" in str(caught.value)
    assert "text, json, markdown, junit, github" in str(caught.value)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_fail_on_is_a_config_error_in_every_format(fmt: str) -> None:
    with pytest.raises(ConfigError, match=r"info, additive, breaking, never"):
        render(SAMPLE, fmt, fail_on="severe")


# --- json -------------------------------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_json_is_the_report_dict_with_sorted_keys_and_validates_against_the_schema() -> None:
    text = render(SAMPLE, "json")
    document = json.loads(text)
    assert text == json.dumps(report_dict(SAMPLE), indent=2, sort_keys=True) + "\n"
    _validator().validate(document)
    assert document["schema"] == SCHEMA_ID
    assert (document["mode"], document["old"], document["new"]) == ("recordings", "old", "new")
    assert (document["botocore"], document["fail_on"], document["failed"]) == (
        "1.2.3",
        "additive",
        True,
    )
    assert document["summary"] == {
        "breaking": 1,
        "additive": 2,
        "info": 2,
        "cassettes": 5,
        "cassettes_with_drift": 2,
        "ignored": 3,
    }
    assert [c["status"] for c in document["cassettes"]] == [
        "compared",
        "new",
        "compared",
        "compared",
        "deleted",
    ]
    added, removed = document["cassettes"][0]["findings"]
    assert added == {
        "kind": "added",
        "severity": "additive",
        "operation": "DescribeJobRun",
        "response": "ok",
        "outcome": "FAILED USER_ERROR",
        "path": LONG_PATH,
        "old": None,
        "new": "string",
        "message": "field added (string)",
    }
    assert removed["outcome"] is None  # '' in the Scope: present whatever the state
    assert document["cassettes"][4]["new"] is None
    assert document["never_observed"] == [
        {"operation": "DescribeJobRun", "path": "jobRun.retryPolicyConfiguration"},
        {"operation": "ListJobRuns", "path": "nextToken"},
    ]


@pytest.mark.parametrize(
    ("fail_on", "failed"),
    [("info", True), ("additive", True), ("breaking", False), ("never", False)],
)
def test_json_failed_follows_fail_on(fail_on: str, failed: bool) -> None:
    report = _report(_compared("a.yaml", UNKNOWN))
    document = report_dict(report, fail_on=fail_on)
    assert (document["fail_on"], document["failed"]) == (fail_on, failed)
    _validator().validate(document)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d.update(extra=1), id="unknown top-level key"),
        pytest.param(lambda d: d["summary"].pop("ignored"), id="missing summary count"),
        pytest.param(lambda d: d.update(schema="replay_jobrun.drift-report/2"), id="version"),
        pytest.param(
            lambda d: d["cassettes"][0]["findings"][1].update(severity="additive"),
            id="removed is breaking",
        ),
        pytest.param(
            lambda d: d["cassettes"][0]["findings"][1].update(outcome=""), id="outcome null not ''"
        ),
        pytest.param(lambda d: d["cassettes"][0].update(status="moved"), id="status"),
    ],
)
def test_the_schema_rejects_documents_that_are_not_the_format(tamper: Any) -> None:
    document = report_dict(SAMPLE)
    tamper(document)
    assert not _validator().is_valid(document)


def test_the_schema_names_exactly_the_keys_report_dict_writes() -> None:
    schema = json_schema()
    document = report_dict(SAMPLE)
    assert set(schema["required"]) == set(schema["properties"]) == set(document)
    finding = schema["$defs"]["finding"]
    assert set(finding["required"]) == set(document["cassettes"][0]["findings"][0])
    assert set(schema["$defs"]["cassette"]["required"]) == set(document["cassettes"][0])


# --- text -------------------------------------------------------------------------


def test_text_aligns_paths_across_the_whole_report() -> None:
    lines = render(SAMPLE, "text").splitlines()
    findings = [line for line in lines if line.startswith(("  additive", "  breaking"))]
    assert len(findings) == 3
    starts = {
        line.index(path)
        for line, path in zip(findings, [LONG_PATH, "jobRun.release", "jobRun.x "], strict=True)
    }
    assert len(starts) == 1
    scopes = {line.index("DescribeJobRun") for line in findings}
    assert len(scopes) == 1  # the scope column lines up too, after the longest path


def test_text_lists_blocks_quiet_cassettes_information_and_a_verdict() -> None:
    text = render(SAMPLE, "text")
    lines = text.splitlines()
    assert lines[0] == "jobrun drift: old -> new (botocore 1.2.3)"
    assert "a.yaml" in lines
    assert "b.yaml (new: checked against the botocore model only)" in lines
    assert "2 cassettes without drift" in lines
    assert "deleted: gone.yaml (only in old)" in lines
    assert "3 findings ignored by the ignore list" in lines
    info = lines.index("information: 2 modelled fields never observed")
    assert lines[info + 1 : info + 3] == [
        "  DescribeJobRun: jobRun.retryPolicyConfiguration",
        "  ListJobRuns: nextToken",
    ]
    assert (
        lines[-1] == "drift: 1 breaking, 2 additive in 2 of 4 cassettes (fails --fail-on additive)"
    )
    assert "\x1b" not in text
    assert text.endswith("\n")


@pytest.mark.parametrize(
    ("report", "fail_on", "verdict"),
    [
        pytest.param(
            _report(_compared("a.yaml"), _compared("b.yaml")),
            "additive",
            "no drift in 2 cassettes",
            id="clean",
        ),
        pytest.param(
            _report(_compared("a.yaml"), _compared("b.yaml")),
            "info",
            "no drift in 2 cassettes (fails --fail-on info: 2 modelled fields never observed)",
            id="never-observed-fails-info",
        ),
        pytest.param(
            _report(_compared("a.yaml", UNKNOWN)),
            "breaking",
            "drift: 1 additive in 1 of 1 cassette (passes --fail-on breaking)",
            id="below-threshold",
        ),
    ],
)
def test_the_text_verdict_says_whether_the_report_fails(
    report: DriftReport, fail_on: str, verdict: str
) -> None:
    assert render(report, "text", fail_on=fail_on).splitlines()[-1] == verdict


def test_cassette_lines_align_one_cassettes_findings() -> None:
    lines = cassette_lines(_compared("a.yaml", ADDED, REMOVED))
    assert lines[0].startswith("additive  added    " + LONG_PATH + "  DescribeJobRun [FAILED")
    assert lines[1].index("jobRun.releaseLabel") == lines[0].index(LONG_PATH)
    assert lines[1].endswith("field removed (was string)")


# --- markdown -----------------------------------------------------------------------

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def test_markdown_has_a_table_per_drifted_cassette_and_escapes_pipes_and_backticks() -> None:
    odd = DriftFinding(Kind.NEW_ENUM_VALUE, DESCRIBE, "jobRun.we|ird`key", new="A|B`C")
    report = _report(_compared("a.yaml", REMOVED, odd), _compared("c.yaml"))
    text = render(report, "markdown")
    lines = text.splitlines()
    assert lines[0] == "## jobrun drift"
    assert (
        "**drift: 1 breaking, 1 additive in 1 of 2 cassettes (fails --fail-on additive)**" in lines
    )
    heading = lines.index("### `a.yaml`")
    assert lines[heading + 2] == "| severity | kind | path | where | change |"
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(rows) == 3
    for row in rows:  # a pipe in a value must not add a cell
        assert len(_CELL_SPLIT.split(row)) == 7, row
    odd_row = rows[2]
    assert "``jobRun.we\\|ird`key``" in odd_row  # a longer fence around the backtick
    assert "new enum value 'A\\|B\\`C'" in odd_row
    assert "1 cassette without drift." in text


def test_markdown_puts_never_observed_fields_in_a_details_block() -> None:
    lines = render(SAMPLE, "markdown").splitlines()
    start, end = lines.index("<details>"), lines.index("</details>")
    block = lines[start:end]
    assert "<summary>Information: 2 modelled fields never observed</summary>" in block
    assert "- DescribeJobRun: `jobRun.retryPolicyConfiguration`" in block
    assert "- ListJobRuns: `nextToken`" in block
    assert "Deleted (only in `old`): `gone.yaml`." in "\n".join(lines)


def test_markdown_code_spans_pad_values_that_start_with_a_backtick() -> None:
    odd = DriftFinding(Kind.ADDED, DESCRIBE, "`tick", new="string")
    text = render(_report(_compared("a.yaml", odd), never=()), "markdown")
    assert "| `` `tick `` |" in text
    assert "<details>" not in text


# --- junit ----------------------------------------------------------------------------


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "jobrun drift"
    return suite


def _case(suite: ET.Element, name: str) -> ET.Element:
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == name]
    assert case.get("classname") == "jobrun.drift"
    return case


def test_junit_fails_cassettes_at_or_above_fail_on_and_skips_deleted_ones() -> None:
    suite = _suite(render(SAMPLE, "junit"))
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "2", "1")
    failure = _case(suite, "a.yaml").find("failure")
    assert failure is not None
    assert failure.get("type") == "drift"
    assert failure.text is not None
    assert failure.text.splitlines() == [
        f"additive added: {LONG_PATH} (DescribeJobRun [FAILED USER_ERROR]): field added (string)",
        "breaking removed: jobRun.releaseLabel (DescribeJobRun): field removed (was string)",
    ]
    assert _case(suite, "b.yaml").find("failure") is not None
    assert list(_case(suite, "c.yaml")) == []
    skipped = _case(suite, "gone.yaml").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "deleted: only in old"
    never = _case(suite, "modelled fields never observed")
    assert never.find("failure") is None  # info does not fail --fail-on additive
    out = never.find("system-out")
    assert out is not None
    assert out.text == "DescribeJobRun: jobRun.retryPolicyConfiguration\nListJobRuns: nextToken"


def test_junit_puts_findings_below_fail_on_into_system_out() -> None:
    suite = _suite(render(SAMPLE, "junit", fail_on="breaking"))
    assert suite.get("failures") == "1"
    a = _case(suite, "a.yaml")
    failure, out = a.find("failure"), a.find("system-out")
    assert failure is not None
    assert out is not None
    assert failure.text == (
        "breaking removed: jobRun.releaseLabel (DescribeJobRun): field removed (was string)"
    )
    assert out.text is not None
    assert out.text.startswith("additive added: ")
    assert _case(suite, "b.yaml").find("failure") is None


def test_junit_fails_never_observed_fields_exactly_when_fail_on_is_info() -> None:
    report = _report(_compared("a.yaml"))
    suite = _suite(render(report, "junit", fail_on="info"))
    assert suite.get("failures") == "1"
    assert _case(suite, "modelled fields never observed").find("failure") is not None
    assert report.fails("info")


def test_junit_stays_parseable_with_control_characters_in_values() -> None:
    odd = DriftFinding(Kind.NEW_ENUM_VALUE, DESCRIBE, "jobRun.state", new="RUN\x01NING\x1b")
    suite = _suite(render(_report(_compared("a\x02.yaml", odd)), "junit"))
    case = _case(suite, "a\\x02.yaml")
    failure = case.find("failure")
    assert failure is not None
    assert failure.text is not None
    assert "RUN\\x01NING\\x1b" in failure.text


# --- github ------------------------------------------------------------------------------

_COMMAND = re.compile(r"^::(?P<command>\w+) (?P<props>[^:]*)::(?P<data>.*)$")


def _unescape(value: str) -> str:
    """What the Actions runner does to a command's data and property values."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def _commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    parsed = []
    for line in text.splitlines():
        match = _COMMAND.match(line)
        assert match, line
        props = dict(prop.split("=", 1) for prop in match["props"].split(","))
        parsed.append(
            (
                match["command"],
                {k: _unescape(v) for k, v in props.items()},
                _unescape(match["data"]),
            )
        )
    return parsed


def test_github_emits_one_command_per_finding_by_severity_and_one_notice_for_never_observed() -> (
    None
):
    commands = _commands(render(SAMPLE, "github"))
    assert [c[0] for c in commands] == ["warning", "error", "warning", "notice"]
    _, props, data = commands[1]
    # No folder "new" here, so the names are taken as paths (see the test on files below).
    assert props == {"file": "a.yaml", "title": "jobrun drift: removed"}
    assert data == "jobRun.releaseLabel (DescribeJobRun): field removed (was string)"
    assert commands[2][1]["file"] == "b.yaml"
    notice = commands[3]
    assert notice[1] == {"title": "jobrun drift: never-observed"}
    assert notice[2] == (
        "2 modelled fields never observed in these recordings: "
        "DescribeJobRun jobRun.retryPolicyConfiguration, ListJobRuns nextToken"
    )


def test_github_escapes_newlines_percent_commas_and_colons() -> None:
    odd = DriftFinding(Kind.NEW_ENUM_VALUE, DESCRIBE, "jobRun.state", new="50%\r\nDONE")
    report = _report(_compared("runs,2026/a:b%\n.yaml", odd), never=())
    text = render(report, "github")
    assert text.count("\n") == 1  # one command, one line
    assert (
        "::warning file=runs%2C2026/a%3Ab%25%0A.yaml,title=jobrun drift%3A new-enum-value::" in text
    )
    assert "'50%25\\r\\nDONE'" in text  # the message quotes the value with repr()
    ((command, props, data),) = _commands(text)
    assert command == "warning"
    assert props["file"] == "runs,2026/a:b%\n.yaml"
    assert data == "jobRun.state (DescribeJobRun): new enum value '50%\\r\\nDONE'"


def test_github_escapes_a_newline_in_the_message_itself() -> None:
    # Not from repr: a type name carries a raw newline into the message.
    odd = DriftFinding(Kind.ADDED, DESCRIBE, "jobRun.x", new="str\ning")
    text = render(_report(_compared("a.yaml", odd), never=()), "github")
    assert text.endswith("field added (str%0Aing)\n")
    assert text.count("\n") == 1


def test_github_file_is_the_cassette_file_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def file_of(cassette: CassetteDrift) -> str:
        report = DriftReport("recordings", "old", "new", (cassette,), botocore="1.2.3")
        ((_, props, _),) = _commands(render(report, "github"))
        return props["file"]

    def drifted(old: str | None, new: str | None) -> CassetteDrift:
        return CassetteDrift("one.yaml", old, new, "compared" if new else "deleted", (UNKNOWN,))

    assert file_of(drifted("old/one.yaml", "recorded/one.yaml")) == "recorded/one.yaml"
    absolute = str(tmp_path / "recorded" / "one.yaml")
    assert file_of(drifted("old/one.yaml", absolute)) == "recorded/one.yaml"
    outside = str(tmp_path.parent / "elsewhere.yaml")
    assert file_of(drifted(None, outside)) == Path(outside).as_posix()
    # A deleted cassette's findings point at the file it was.
    assert file_of(drifted("before/gone.yaml", None)) == "before/gone.yaml"


def test_github_annotations_of_a_real_folder_comparison_name_the_new_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replay_jobrun.drift.run import drift

    monkeypatch.chdir(tmp_path)
    source = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
    (tmp_path / "old").mkdir()
    shutil.copy(source, tmp_path / "old" / "one.yaml")

    def drop_release_label(body: dict[str, Any]) -> None:
        del body["jobRun"]["releaseLabel"]

    edited_cassette(source, tmp_path / "new" / "one.yaml", drop_release_label)
    ((_, props, _),) = _commands(render(drift("old", "new"), "github").splitlines()[0] + "\n")
    assert props["file"] == "new/one.yaml"


def test_github_is_empty_without_findings() -> None:
    assert render(_report(_compared("a.yaml"), never=()), "github") == ""


# --- end to end: real cassettes, a modified copy -------------------------------------------

COMPLETED = "describe-job-run_completed_sparkpilot-1.yaml"
CANCELLED = "describe-job-run_cancelled_sparkpilot.yaml"


def _modify_body(path: Path, change: Any) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    body = document["interactions"][0]["response"]["body"]
    payload = json.loads(body["string"])
    change(payload)
    body["string"] = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


@pytest.fixture
def drifted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DriftReport:
    """Real DescribeJobRun cassettes against a copy with a field added, one removed, one deleted."""
    monkeypatch.chdir(tmp_path)
    for side in ("old", "new"):
        (tmp_path / side).mkdir()
        for source in sorted((CASSETTES / "real").glob("describe-job-run_*.yaml")):
            shutil.copy(source, tmp_path / side / source.name)

    def change(payload: dict[str, Any]) -> None:
        payload["jobRun"]["schedulingInfo"] = {"queue": "default", "priority": 3}
        del payload["jobRun"]["releaseLabel"]

    _modify_body(tmp_path / "new" / COMPLETED, change)
    (tmp_path / "new" / CANCELLED).unlink()
    return drift("old", "new")


def test_end_to_end_every_format_reports_the_planted_drift(drifted: DriftReport) -> None:
    planted = {(f.kind, f.path) for _, f in drifted.findings()}
    assert {
        (Kind.REMOVED, "jobRun.releaseLabel"),
        (Kind.UNKNOWN_TO_MODEL, "jobRun.schedulingInfo"),
    } <= planted
    outputs = {fmt: render(drifted, fmt) for fmt in FORMATS}

    document = json.loads(outputs["json"])
    _validator().validate(document)
    assert document["failed"] is True
    assert document["summary"]["breaking"] >= 1
    by_name = {c["name"]: c for c in document["cassettes"]}
    assert by_name[CANCELLED]["status"] == "deleted"
    paths = {f["path"] for f in by_name[COMPLETED]["findings"]}
    assert {"jobRun.releaseLabel", "jobRun.schedulingInfo"} <= paths

    text = outputs["text"]
    assert f"deleted: {CANCELLED} (only in old)" in text
    assert text.splitlines()[-1].startswith("drift: ")
    assert text.splitlines()[-1].endswith("(fails --fail-on additive)")

    assert f"### `{COMPLETED}`" in outputs["markdown"]
    assert "| `jobRun.releaseLabel` |" in outputs["markdown"]

    suite = _suite(outputs["junit"])
    assert suite.get("skipped") == "1"
    assert _case(suite, COMPLETED).find("failure") is not None
    assert _case(suite, CANCELLED).find("skipped") is not None
    failures = [c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None]
    assert failures == [COMPLETED]

    commands = _commands(outputs["github"])
    errors = [c for c in commands if c[0] == "error"]
    assert any(
        props["file"] == f"new/{COMPLETED}" and data.startswith("jobRun.releaseLabel ")
        for _, props, data in errors
    )
    assert Path(f"new/{COMPLETED}").is_file()  # the annotation points at a real file
    assert [c[0] for c in commands].count("notice") <= 1


def test_end_to_end_unchanged_recordings_have_no_drift() -> None:
    report = drift(CASSETTES / "real", CASSETTES / "real")
    text = render(report, "text")
    count = len(report.cassettes)
    assert text.splitlines()[-1] == f"no drift in {count} cassettes"
    document = report_dict(report)
    _validator().validate(document)
    assert document["summary"]["cassettes_with_drift"] == 0
    assert document["failed"] is False
    assert render(report, "github").count("\n") == (1 if report.never_observed else 0)
