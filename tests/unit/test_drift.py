"""drift.py piece by piece: typing, scopes, ignore rules, thresholds, the model checks."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.model import Shape

from replay_jobrun import model
from replay_jobrun.cassette.format import Cassette, save_cassette
from replay_jobrun.drift.compare import (
    FAIL_ON_CHOICES,
    OK,
    CassetteDrift,
    DriftFinding,
    DriftReport,
    IgnoreRule,
    Kind,
    check_model,
    compare,
    compare_cassettes,
    never_observed,
    parse_ignore,
)
from replay_jobrun.drift.fingerprint import (
    Fingerprint,
    Scope,
    _typed,
    fingerprint,
    interaction_fingerprints,
    unknown_fields,
)
from replay_jobrun.drift.run import drift, drift_against_model
from replay_jobrun.errors import ConfigError
from tests.drift.labelled import (
    COMPLETED_1,
    FAILED_1,
    LIFECYCLE,
    body_of,
    cassette,
    edited,
    epoch_float_timestamps,
    epoch_timestamps,
    moto,
    real,
    respond,
    set_,
)
from tests.support import CASSETTES, ROOT

DESCRIBE = Scope("DescribeJobRun")
NOT_FOUND = Scope("DescribeJobRun", "ResourceNotFoundException")


def _shape(name: str) -> Any:
    return model.service_model().shape_for(name)


def _finding(kind: Kind, path: str = "jobRun.tags") -> DriftFinding:
    return DriftFinding(kind, DESCRIBE, path)


def _with(base: Cassette, *interactions: Any) -> Cassette:
    return cassette("unit", "new", base, interactions)


# --- typing and fingerprints ------------------------------------------------------------

DOUBLE = Shape("Ratio", {"type": "double"})


@pytest.mark.parametrize(
    ("value", "shape", "typed"),
    [
        (datetime.datetime(2026, 3, 22, tzinfo=datetime.timezone.utc), "Date", "timestamp"),
        (2, "JavaInteger", "integer"),
        ({"a": "b"}, "TagMap", "map"),
        ({"maxAttempts": 2}, "RetryPolicyConfiguration", "structure"),
        (["10"], "EntryPointArguments", "list"),
        ("COMPLETED", "JobRunState", "string"),
    ],
)
def test_a_value_of_the_modelled_type_types_as_the_model_says(
    value: Any, shape: str, typed: str
) -> None:
    assert _typed(value, _shape(shape)) == (typed, typed)


@pytest.mark.parametrize("value", [2, 2.5, 0, -1.25])
def test_a_float_field_holding_a_whole_number_is_still_a_float(value: float) -> None:
    # JSON writes 2.0 as 2: an integer in a float field is not a type change.
    assert _typed(value, DOUBLE) == ("float", "float")


@pytest.mark.parametrize(
    ("value", "shape", "seen"),
    [
        ("2.5", DOUBLE, "string"),
        (True, "JavaInteger", "boolean"),  # bool is an int in Python, not in the schema
        (2.5, "JavaInteger", "float"),
        ({"value": "x"}, "ResourceNameString", "object"),
        (["emr-7.10.0-latest"], "ReleaseLabel", "list"),
        (None, "ResourceNameString", "null"),
        ("2026-03-22T22:09:13Z", "Date", "string"),  # unparsed: botocore always parses these
    ],
)
def test_a_value_of_another_type_keeps_its_own_type(value: Any, shape: Any, seen: str) -> None:
    shape = shape if isinstance(shape, Shape) else _shape(shape)
    typed, expected = _typed(value, shape)
    assert typed == seen
    assert expected != seen


@pytest.mark.parametrize("to_epoch", [epoch_timestamps, epoch_float_timestamps])
def test_epoch_and_iso_timestamps_fingerprint_alike(to_epoch: Any) -> None:
    iso = real(COMPLETED_1)
    epoch = _with(iso, *edited(iso, to_epoch))
    assert (
        body_of(epoch.interactions[0])["jobRun"]["createdAt"]
        != body_of(iso.interactions[0])["jobRun"]["createdAt"]
    )

    fields = fingerprint(epoch).fields
    assert fields == fingerprint(iso).fields
    assert fields[DESCRIBE]["jobRun.createdAt"] == {"type": "timestamp"}
    assert fields[Scope("DescribeJobRun", OK, "COMPLETED")]["jobRun.finishedAt"] == {
        "type": "timestamp"
    }


def test_fingerprints_keep_paths_types_and_enum_values_not_values() -> None:
    fields = fingerprint(real(COMPLETED_1)).fields

    assert set(fields) == {DESCRIBE, Scope("DescribeJobRun", OK, "COMPLETED")}
    base = fields[DESCRIBE]
    assert base["jobRun.tags{*}"] == {"type": "string"}
    assert base["jobRun.jobDriver.sparkSubmitJobDriver.entryPointArguments[*]"] == {
        "type": "string"
    }
    assert base["jobRun.configurationOverrides.monitoringConfiguration.persistentAppUI"] == {
        "type": "string",
        "enum": {"ENABLED"},
    }
    # The state and failure reason values name the outcome: they are not compared as enums.
    assert fields[Scope("DescribeJobRun", OK, "COMPLETED")]["jobRun.state"] == {"type": "string"}
    assert "jobRun.id" in base
    assert not any("0000000378nj1d2s7lo" in path for scope in fields for path in fields[scope])


def test_one_path_holding_two_types_keeps_both_sorted() -> None:
    fp = Fingerprint()
    fp.note(DESCRIBE, "jobRun.x", "string")
    fp.note(DESCRIBE, "jobRun.x", "integer")
    fp.note(DESCRIBE, "jobRun.x", "string")
    assert fp.fields[DESCRIBE]["jobRun.x"] == {"type": "integer|string"}

    merged = Fingerprint()
    merged.update(fp)
    merged.note(DESCRIBE, "jobRun.x", "null")
    assert merged.fields[DESCRIBE]["jobRun.x"] == {"type": "integer|null|string"}


def test_compare_finds_nothing_between_equal_fingerprints_and_reports_both_directions() -> None:
    completed = fingerprint(real(COMPLETED_1))
    retried = fingerprint(
        _with(
            real(COMPLETED_1),
            *edited(real(COMPLETED_1), set_("retryPolicyConfiguration", {"maxAttempts": 2})),
        )
    )
    assert compare(completed, completed) == []
    assert compare(completed, retried) == [
        DriftFinding(Kind.ADDED, DESCRIBE, "jobRun.retryPolicyConfiguration", new="structure")
    ]
    assert compare(retried, completed) == [
        DriftFinding(Kind.REMOVED, DESCRIBE, "jobRun.retryPolicyConfiguration", old="structure")
    ]


MONITORING = "configurationOverrides.monitoringConfiguration"


def test_a_value_the_model_lists_is_no_new_enum_value_whatever_the_old_recording_held() -> None:
    # The old recording happened to hold ENABLED and COMPLETED only; DISABLED and
    # CANCELLED are in botocore's PersistentAppUI and JobRunState enums.
    old = real(COMPLETED_1)
    new = _with(
        old,
        *edited(old, set_(f"{MONITORING}.persistentAppUI", "DISABLED"), set_("state", "CANCELLED")),
    )
    assert compare(fingerprint(old), fingerprint(new)) == []
    assert compare_cassettes(old, new).findings == ()


def test_a_value_the_model_does_not_list_is_a_new_enum_value_noting_the_old_side() -> None:
    old = real(COMPLETED_1)
    partial = _with(old, *edited(old, set_(f"{MONITORING}.persistentAppUI", "PARTIAL")))
    version = model.botocore_version()
    path = f"jobRun.{MONITORING}.persistentAppUI"
    assert compare(fingerprint(old), fingerprint(partial)) == [
        DriftFinding(Kind.NEW_ENUM_VALUE, DESCRIBE, path, f"not in botocore {version}", "PARTIAL")
    ]
    assert compare(fingerprint(partial), fingerprint(partial)) == [
        DriftFinding(
            Kind.NEW_ENUM_VALUE,
            DESCRIBE,
            path,
            f"not in botocore {version}; in the old recording too",
            "PARTIAL",
        )
    ]
    done = _with(old, *edited(old, set_("state", "DONE")))
    (finding,) = compare(fingerprint(old), fingerprint(done))
    assert (finding.kind, finding.path, finding.new) == (
        Kind.NEW_ENUM_VALUE,
        "jobRun.state",
        "DONE",
    )
    assert finding.scope.outcome == "DONE"


def test_a_scope_sharing_few_paths_with_its_counterpart_is_still_compared() -> None:
    completed = Scope("DescribeJobRun", OK, "COMPLETED")
    old, new = Fingerprint(), Fingerprint()
    for path in ("jobRun.state", "jobRun.finishedAt", "jobRun.stateDetails"):
        old.note(completed, path, "string")
    new.note(completed, "jobRun.state", "string")
    new.note(completed, "jobRun.retryPolicyExecution", "structure")
    new.note(completed, "jobRun.retryPolicyExecution.currentAttemptCount", "integer")
    # 1 path in common out of 5: with deepdiff's default threshold_to_diff_deeper (0.33)
    # old.fields[completed] -> new.fields[completed] would be one changed value, no finding.
    assert [(f.kind, f.path) for f in compare(old, new)] == [
        (Kind.ADDED, "jobRun.retryPolicyExecution"),
        (Kind.REMOVED, "jobRun.finishedAt"),
        (Kind.REMOVED, "jobRun.stateDetails"),
    ]


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("2", "string on the wire"),  # botocore's rest-json parser: int("2") == 2
        (2.5, "float on the wire"),  # int(2.5) == 2
    ],
)
def test_an_integer_field_sent_as_another_type_is_a_type_change(value: Any, wire: str) -> None:
    base = real(COMPLETED_1)
    old = _with(base, *edited(base, set_("retryPolicyConfiguration", {"maxAttempts": 2})))
    new = _with(base, *edited(base, set_("retryPolicyConfiguration", {"maxAttempts": value})))

    change = DriftFinding(
        Kind.TYPE_CHANGED,
        DESCRIBE,
        "jobRun.retryPolicyConfiguration.maxAttempts",
        "integer in the model",
        wire,
    )
    assert compare(fingerprint(old), fingerprint(new)) == [change]
    assert check_model(fingerprint(new)) == [change]
    assert check_model(fingerprint(old)) == []


# --- scopes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "text"),
    [
        (Scope("DescribeJobRun"), "DescribeJobRun"),
        (Scope("DescribeJobRun", OK, "FAILED USER_ERROR"), "DescribeJobRun [FAILED USER_ERROR]"),
        (NOT_FOUND, "DescribeJobRun ResourceNotFoundException"),
        (Scope("ListJobRuns", "400", "RUNNING"), "ListJobRuns 400 [RUNNING]"),
    ],
)
def test_scope_reads_as_operation_error_and_outcome(scope: Scope, text: str) -> None:
    assert str(scope) == text


def test_fields_of_one_state_are_scoped_by_it_the_rest_are_not() -> None:
    fields = fingerprint(real(FAILED_1)).fields
    failed = Scope("DescribeJobRun", OK, "FAILED")
    assert set(fields) == {DESCRIBE, failed}
    assert set(fields[failed]) == {
        "jobRun.state",
        "jobRun.failureReason",
        "jobRun.finishedAt",
        "jobRun.stateDetails",
    }
    # The state's presence is schema whatever its value: it is also in the unscoped part.
    assert set(fields[failed]) & set(fields[DESCRIBE]) == {"jobRun.state"}


# --- ignore rules -----------------------------------------------------------------------------


def test_parse_ignore_reads_paths_kinds_comments_and_blank_lines() -> None:
    lines = [
        "jobRun.tags",
        "added jobRun.retryPolicyConfiguration   # new in 2024",
        "",
        "   # a comment line",
        "\ttype-changed   jobRuns[*].state  ",
        "unknown-to-model *.prometheusMonitoringConfiguration",
    ]
    assert parse_ignore(lines) == [
        IgnoreRule("jobRun.tags"),
        IgnoreRule("jobRun.retryPolicyConfiguration", Kind.ADDED),
        IgnoreRule("jobRuns[*].state", Kind.TYPE_CHANGED),
        IgnoreRule("*.prometheusMonitoringConfiguration", Kind.UNKNOWN_TO_MODEL),
    ]
    assert parse_ignore(["# nothing", "  "]) == []


@pytest.mark.parametrize(
    "line",
    ["addded jobRun.tags", "added jobRun.tags jobRun.name", "jobRun.tags removed"],
)
def test_a_bad_ignore_line_is_a_config_error_naming_the_line(line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ignore(["jobRun.name", f"{line}  # why"], source="pyproject.toml jobrun_drift_ignore")
    message = str(caught.value)
    assert f"pyproject.toml jobrun_drift_ignore: {line + '  # why'!r}" in message
    assert "expected 'PATH' or 'KIND PATH'" in message
    assert "added, removed, type-changed, new-enum-value, unknown-to-model" in message


@pytest.mark.parametrize(
    ("rule", "path", "matches"),
    [
        (IgnoreRule("jobRun.tags"), "jobRun.tags", True),
        (IgnoreRule("jobRun.tags"), "jobRun.tags{*}", True),
        (IgnoreRule("jobRun.configurationOverrides"), "jobRun.configurationOverrides."
         "monitoringConfiguration.persistentAppUI", True),
        (IgnoreRule("jobRun.tags"), "jobRun.tagsByTeam", False),
        (IgnoreRule("jobRun.tags"), "jobRuns[*].tags", False),
        (IgnoreRule("jobRun.tags"), "jobRunXtags", False),  # '.' is a dot, not any character
        (IgnoreRule("tags"), "jobRun.tags", False),  # anchored at the start
        (IgnoreRule("jobRun.*Configuration"), "jobRun.retryPolicyConfiguration", True),
        (IgnoreRule("*.persistentAppUI"), "jobRun.configurationOverrides."
         "monitoringConfiguration.persistentAppUI", True),
        (IgnoreRule("*.persistentAppUI"), "jobRun.persistentAppUIs", False),
        (IgnoreRule("jobRuns[*].state"), "jobRuns[*].state", True),
        (IgnoreRule("jobRuns[*].state"), "jobRuns.state", False),  # [*] is literal
        (IgnoreRule("jobRun.tags{*}"), "jobRun.tags{*}", True),
        (IgnoreRule("jobRun.tags{*}"), "jobRun.tags", False),
    ],
)  # fmt: skip
def test_an_ignore_rule_matches_its_path_and_everything_under_it(
    rule: IgnoreRule, path: str, matches: bool
) -> None:
    assert rule.matches(_finding(Kind.ADDED, path)) is matches


def test_a_kind_qualified_rule_matches_that_kind_only() -> None:
    rule = parse_ignore(["added jobRun.tags"])[0]
    assert rule.matches(_finding(Kind.ADDED, "jobRun.tags{*}"))
    assert not rule.matches(_finding(Kind.REMOVED, "jobRun.tags"))
    assert not rule.matches(_finding(Kind.TYPE_CHANGED, "jobRun.tags{*}"))
    assert all(IgnoreRule("jobRun.tags").matches(_finding(kind)) for kind in Kind)


def test_ignored_findings_are_dropped_and_counted(tmp_path: Path) -> None:
    base = real(COMPLETED_1)
    new = _with(
        base,
        *edited(base, set_("retryPolicyConfiguration", {"maxAttempts": 2}), set_("newField", 1)),
    )
    save_cassette(base, tmp_path / "old.yaml")
    save_cassette(new, tmp_path / "new.yaml")

    everything = drift(tmp_path / "old.yaml", tmp_path / "new.yaml")
    assert [f.kind for _, f in everything.findings()] == [Kind.ADDED, Kind.UNKNOWN_TO_MODEL]

    rules: list[str | IgnoreRule] = [
        "added jobRun.retryPolicyConfiguration",
        IgnoreRule("jobRun.newField"),
    ]
    report = drift(tmp_path / "old.yaml", tmp_path / "new.yaml", ignore=rules)
    assert list(report.findings()) == []
    assert report.ignored == 2
    assert report.never_observed == everything.never_observed
    kept = compare_cassettes(base, new, ignore=[IgnoreRule("jobRun.retryPolicyConfiguration")])
    assert [f.path for f in kept.findings] == ["jobRun.newField"]


# --- thresholds -------------------------------------------------------------------------------


def _report(*kinds: Kind, never: int = 0) -> DriftReport:
    findings = tuple(_finding(kind, f"jobRun.f{n}") for n, kind in enumerate(kinds))
    info = tuple(_finding(Kind.NEVER_OBSERVED, f"jobRun.n{n}") for n in range(never))
    drifted = CassetteDrift("a.yaml", "a.yaml", "a.yaml", "compared", findings)
    return DriftReport("recordings", "old", "new", (drifted,), info)


@pytest.mark.parametrize(
    ("report", "fails_on"),
    [
        (_report(), set()),
        (_report(never=2), {"info"}),
        (_report(Kind.ADDED), {"info", "additive"}),
        (_report(Kind.NEW_ENUM_VALUE, Kind.UNKNOWN_TO_MODEL), {"info", "additive"}),
        (_report(Kind.REMOVED), {"info", "additive", "breaking"}),
        (_report(Kind.TYPE_CHANGED, never=1), {"info", "additive", "breaking"}),
    ],
)
def test_fails_at_or_above_the_threshold_and_never_with_never(
    report: DriftReport, fails_on: set[str]
) -> None:
    assert set(FAIL_ON_CHOICES) == {"info", "additive", "breaking", "never"}
    assert {choice for choice in FAIL_ON_CHOICES if report.fails(choice)} == fails_on


def test_the_default_threshold_is_additive_and_an_unknown_one_is_refused() -> None:
    assert _report(Kind.ADDED).fails()
    assert not _report(never=3).fails()
    with pytest.raises(ValueError, match="'fatal'"):
        _report().fails("fatal")


def test_counts_are_per_severity_with_never_observed_as_info() -> None:
    report = _report(Kind.ADDED, Kind.REMOVED, Kind.TYPE_CHANGED, never=4)
    assert report.counts() == {"info": 4, "additive": 1, "breaking": 2}


# --- the model checks ------------------------------------------------------------------------


def test_never_observed_lists_modelled_fields_under_observed_parents_only() -> None:
    found = never_observed(fingerprint(real(COMPLETED_1)))
    paths = {f.path for f in found}

    assert {f.kind for f in found} == {Kind.NEVER_OBSERVED}
    assert {f.scope for f in found} == {DESCRIBE}
    monitoring = "jobRun.configurationOverrides.monitoringConfiguration"
    assert {
        "jobRun.retryPolicyConfiguration",
        "jobRun.retryPolicyExecution",
        "jobRun.failureReason",
        "jobRun.configurationOverrides.applicationConfiguration",
        f"{monitoring}.s3MonitoringConfiguration",
        f"{monitoring}.managedLogs",
        "jobRun.jobDriver.sparkSqlJobDriver",
    } <= paths
    # Not the children of what was never seen, nor anything seen.
    assert "jobRun.retryPolicyConfiguration.maxAttempts" not in paths
    assert f"{monitoring}.s3MonitoringConfiguration.logUri" not in paths
    assert not paths & fingerprint(real(COMPLETED_1)).present("DescribeJobRun", OK)


def test_never_observed_covers_the_union_of_recordings_and_skips_errors() -> None:
    union = fingerprint(real(COMPLETED_1))
    union.update(fingerprint(real(FAILED_1)))
    assert "jobRun.failureReason" not in {f.path for f in never_observed(union)}

    lifecycle = never_observed(fingerprint(moto(LIFECYCLE)))
    paths = {f.path for f in lifecycle}
    assert {"jobRun.tags", "jobRun.configurationOverrides"} <= paths
    assert "jobRun.tags{*}" not in paths
    assert {f.scope.response for f in lifecycle} == {OK}
    # CreateVirtualCluster, StartJobRun and CancelJobRun returned every member they model.
    assert {f.scope.operation for f in lifecycle} == {"DescribeJobRun"}


def test_unknown_fields_are_listed_per_interaction_by_their_root() -> None:
    life = moto(LIFECYCLE)
    interactions = list(life.interactions)
    interactions[2] = edited(life, set_("newField", "x"), set_("extra", {"a": {"b": 1}}), only=[2])[
        2
    ]
    interactions[4] = edited(life, body_edits=[lambda body: body.update(warnings=["w"])], only=[4])[
        4
    ]

    assert unknown_fields(_with(life, *interactions)) == [
        (2, ["jobRun.extra", "jobRun.newField"]),
        (4, ["warnings"]),
    ]
    assert unknown_fields(life) == []


def test_an_unknown_field_in_both_recordings_is_reported_with_a_note() -> None:
    base = real(COMPLETED_1)
    old = _with(base, *edited(base, set_("newField", "x")))
    new = _with(base, *edited(base, set_("newField", "y")))
    (finding,) = compare_cassettes(old, new).findings
    assert (finding.kind, finding.path, finding.new) == (
        Kind.UNKNOWN_TO_MODEL,
        "jobRun.newField",
        "string",
    )
    assert finding.old == "in the old recording too"
    assert check_model(fingerprint(new)) == [
        DriftFinding(Kind.UNKNOWN_TO_MODEL, DESCRIBE, "jobRun.newField", None, "string")
    ]


def test_a_modelled_error_body_fingerprints_without_unknown_field_noise() -> None:
    life = moto(LIFECYCLE)
    error = life.interactions[5]
    assert error.response.status == 400
    assert set(json.loads(error.response.body)) == {"Message", "__type", "message"}

    fp = interaction_fingerprints(life)[5]
    assert fp.fields == {NOT_FOUND: {"": {"type": "structure"}, "message": {"type": "string"}}}
    assert fp.unknown == set()
    assert check_model(fp) == []
    report = drift_against_model(CASSETTES / "moto" / f"{LIFECYCLE}.yaml")
    assert list(report.findings()) == []


def test_an_unmodelled_error_code_keeps_only_its_non_protocol_keys() -> None:
    life = moto(LIFECYCLE)
    error = life.interactions[5]
    headers = {**error.response.headers, "X-Amzn-Errortype": ["AccessDeniedException"]}
    denied = respond(
        replace(error, response=replace(error.response, status=403, headers=headers)),
        {"Message": "no", "__type": "AccessDeniedException", "reason": "SCP"},
    )
    fp = interaction_fingerprints(_with(life, denied))[0]

    scope = Scope("DescribeJobRun", "AccessDeniedException")
    assert fp.fields == {scope: {"": {"type": "structure"}, "reason": {"type": "string"}}}
    assert check_model(fp) == [DriftFinding(Kind.UNKNOWN_TO_MODEL, scope, "reason", None, "string")]


@pytest.mark.parametrize(
    ("finding", "text"),
    [
        (DriftFinding(Kind.ADDED, DESCRIBE, "a", new="structure"), "field added (structure)"),
        (DriftFinding(Kind.REMOVED, DESCRIBE, "a", old="string"), "field removed (was string)"),
        (
            DriftFinding(Kind.TYPE_CHANGED, DESCRIBE, "a", "string", "object"),
            "type changed from string to object",
        ),
        (DriftFinding(Kind.NEW_ENUM_VALUE, DESCRIBE, "a", None, "DISABLED"), "new enum value 'DISABLED'"),
        (DriftFinding(Kind.NEVER_OBSERVED, DESCRIBE, "a"), "modelled field never observed in these recordings"),
    ],
)  # fmt: skip
def test_each_kind_reads_as_one_sentence(finding: DriftFinding, text: str) -> None:
    assert finding.message == text


@pytest.mark.parametrize("folder", ["real", "moto"])
def test_the_committed_cassettes_hold_nothing_the_model_does_not_know(folder: str) -> None:
    # Includes a 313-character stateDetails where the model says at most 256: lengths are
    # values, not schema (botocore accepts it too).
    report = drift_against_model(CASSETTES / folder)
    assert len(report.cassettes) >= 2
    assert {c.status for c in report.cassettes} == {"model"}
    assert list(report.findings()) == []


def test_the_public_functions_stay_functions() -> None:
    # Loading drift() imports replay_jobrun.drift, which imports replay_jobrun.replay: the
    # import system then sets that module as the package attribute `replay`.
    code = "from replay_jobrun import drift, fingerprint, replay, scan; print(drift, replay, scan, fingerprint)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "module" not in done.stdout, done.stdout
    assert done.stdout.count("<function") == 4, done.stdout
