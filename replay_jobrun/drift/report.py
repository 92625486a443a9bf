"""Renderings of a :class:`~replay_jobrun.drift.DriftReport`, one per consumer.

``text`` is for terminals, ``json`` for tools (its format is
``drift-report.schema.json``, shipped in this package), ``markdown`` for a
GitHub job summary or pull-request comment, ``junit`` for CI test-report
views and ``github`` for GitHub Actions annotations. Every rendering is
computed from the report alone and says the same thing: the findings, and
whether they fail ``--fail-on``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from contextlib import suppress
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..options import drift_fail_on
from .compare import CassetteDrift, DriftFinding, DriftReport, Severity

FORMATS = ("text", "json", "markdown", "junit", "github")
SCHEMA_ID = "replay_jobrun.drift-report/1"
SCHEMA_FILE = "drift-report.schema.json"

_MOST_SEVERE_FIRST = (Severity.BREAKING, Severity.ADDITIVE, Severity.INFO)


def render(report: DriftReport, fmt: str, *, fail_on: str = "additive") -> str:
    """``report`` as ``fmt`` (one of :data:`FORMATS`), judged against ``fail_on``.

    ``github`` annotations name each cassette file by its path from the
    working directory: GitHub resolves annotation paths from the repository
    root, which is where workflow steps run unless told otherwise.

    Raises :class:`~replay_jobrun.errors.ConfigError` for an unknown format
    or threshold.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ConfigError(
            source=f"drift report format {fmt!r}",
            problem="no such format",
            valid=", ".join(FORMATS),
        )
    drift_fail_on(fail_on, f"drift report fail_on={fail_on!r}")
    return renderer(report, fail_on)


def report_dict(report: DriftReport, *, fail_on: str = "additive") -> dict[str, Any]:
    """The JSON document of ``report`` (format ``replay_jobrun.drift-report/1``).

    See :func:`json_schema` for the exact format; ``render(report, "json")``
    writes this dict with sorted keys.
    """
    drift_fail_on(fail_on, f"drift report fail_on={fail_on!r}")
    return {
        "schema": SCHEMA_ID,
        "mode": report.mode,
        "old": report.old,
        "new": report.new,
        "botocore": report.botocore,
        "fail_on": fail_on,
        "failed": report.fails(fail_on),
        "summary": {
            **report.counts(),
            "cassettes": len(report.cassettes),
            "cassettes_with_drift": sum(1 for c in report.cassettes if c.findings),
            "ignored": report.ignored,
        },
        "cassettes": [
            {
                "name": c.name,
                "old": c.old,
                "new": c.new,
                "status": c.status,
                "findings": [_finding_dict(f) for f in c.findings],
            }
            for c in report.cassettes
        ],
        "never_observed": [
            {"operation": f.scope.operation, "path": f.path} for f in report.never_observed
        ],
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`report_dict`'s document."""
    text = (
        resources.files(__package__ or "replay_jobrun.drift")
        .joinpath(SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def _finding_dict(finding: DriftFinding) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "severity": finding.severity.value,
        "operation": finding.scope.operation,
        "response": finding.scope.response,
        "outcome": finding.scope.outcome or None,
        "path": finding.path,
        "old": finding.old,
        "new": finding.new,
        "message": finding.message,
    }


# --- shared wording ----------------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _tally(findings: Iterable[DriftFinding]) -> str:
    """``2 breaking, 1 additive``: the severities present, most severe first."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return ", ".join(f"{counts[s]} {s.value}" for s in _MOST_SEVERE_FIRST if counts[s])


def _line(finding: DriftFinding) -> str:
    """One finding on one line, for formats without columns."""
    what = f"{finding.severity.value} {finding.kind.value}"
    return f"{what}: {finding.path} ({finding.scope}): {finding.message}"


def _header(report: DriftReport) -> str:
    if report.mode == "model":
        return f"jobrun drift: {report.new} against the botocore {report.botocore} model"
    return f"jobrun drift: {report.old} -> {report.new} (botocore {report.botocore})"


def _verdict(report: DriftReport, fail_on: str) -> str:
    """The last word: what drifted and whether it fails ``fail_on``."""
    found = [f for _, f in report.findings()]
    checked = sum(1 for c in report.cassettes if c.status != "deleted")
    failed = report.fails(fail_on)
    judged = f"{'fails' if failed else 'passes'} --fail-on {fail_on}"
    if found:
        drifted = sum(1 for c in report.cassettes if c.findings)
        return f"drift: {_tally(found)} in {drifted} of {_plural(checked, 'cassette')} ({judged})"
    verdict = f"no drift in {_plural(checked, 'cassette')}"
    if failed:  # only never-observed fields can fail a report without findings
        verdict += (
            f" ({judged}: {_plural(len(report.never_observed), 'modelled field')} never observed)"
        )
    return verdict


def _status_note(cassette: CassetteDrift) -> str:
    return " (new: checked against the botocore model only)" if cassette.status == "new" else ""


# --- text ----------------------------------------------------------------------------


def cassette_lines(cassette: CassetteDrift) -> list[str]:
    """One cassette's findings as aligned text lines (severity, kind, path, scope, message).

    The plugin's terminal summary prints these for each re-recorded cassette.
    """
    return _aligned(cassette.findings, cassette.findings)


def _aligned(findings: Iterable[DriftFinding], siblings: Iterable[DriftFinding]) -> list[str]:
    """``findings`` in columns as wide as the widest among ``siblings``."""

    def columns(f: DriftFinding) -> tuple[str, str, str, str]:
        return f.severity.value, f.kind.value, f.path, str(f.scope)

    all_columns = [columns(f) for f in siblings]
    widths = [max((len(c[i]) for c in all_columns), default=0) for i in range(4)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(columns(f), widths, strict=True)), f.message])
        for f in findings
    ]


def _text(report: DriftReport, fail_on: str) -> str:
    # Widths over the whole report, so paths start in one column in every block.
    every = [f for _, f in report.findings()]
    lines = [_header(report)]
    for cassette in report.cassettes:
        if cassette.findings:
            lines += ["", cassette.name + _status_note(cassette)]
            lines += ["  " + line for line in _aligned(cassette.findings, every)]
    quiet = [c for c in report.cassettes if not c.findings and c.status != "deleted"]
    notes = []
    if quiet:
        notes.append(f"{_plural(len(quiet), 'cassette')} without drift")
    notes += [
        f"new: {c.name} (checked against the botocore model only)"
        for c in quiet
        if c.status == "new"
    ]
    notes += [
        f"deleted: {c.name} (only in {report.old})"
        for c in report.cassettes
        if c.status == "deleted"
    ]
    if report.ignored:
        notes.append(f"{_plural(report.ignored, 'finding')} ignored by the ignore list")
    if notes:
        lines += ["", *notes]
    if report.never_observed:
        count = _plural(len(report.never_observed), "modelled field")
        lines += ["", f"information: {count} never observed"]
        lines += [f"  {f.scope.operation}: {f.path}" for f in report.never_observed]
    lines += ["", _verdict(report, fail_on)]
    return "\n".join(lines) + "\n"


# --- json ----------------------------------------------------------------------------


def _json(report: DriftReport, fail_on: str) -> str:
    return json.dumps(report_dict(report, fail_on=fail_on), indent=2, sort_keys=True) + "\n"


# --- markdown ------------------------------------------------------------------------

# Characters that would start Markdown or HTML syntax in a table cell; `|` would end it.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def _md_text(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(value.splitlines()))


def _md_code(value: str) -> str:
    """``value`` as a code span that survives backticks and sits in a table cell."""
    value = " ".join(value.splitlines())
    fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
    # CommonMark strips one space from each end of a padded span, so pad when needed.
    if value.startswith("`") or value.endswith("`") or (value[:1] == value[-1:] == " "):
        value = f" {value} "
    # GFM splits table cells before parsing code spans: `\|` is a pipe even inside one.
    return fence + value.replace("|", "\\|") + fence


def _markdown(report: DriftReport, fail_on: str) -> str:
    if report.mode == "model":
        compared = f"Checked {_md_code(report.new)} against the botocore {report.botocore} model."
    else:
        compared = (
            f"Compared {_md_code(report.old or '')} with {_md_code(report.new)} "
            f"(botocore {report.botocore})."
        )
    lines = ["## jobrun drift", "", f"**{_md_text(_verdict(report, fail_on))}**", "", compared]
    for cassette in report.cassettes:
        if not cassette.findings:
            continue
        lines += [
            "",
            f"### {_md_code(cassette.name)}{_md_text(_status_note(cassette))}",
            "",
            "| severity | kind | path | where | change |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {f.severity.value} | {f.kind.value} | {_md_code(f.path)} "
            f"| {_md_text(str(f.scope))} | {_md_text(f.message)} |"
            for f in cassette.findings
        ]
    quiet = sum(1 for c in report.cassettes if not c.findings and c.status != "deleted")
    notes = [f"{_plural(quiet, 'cassette')} without drift."] if quiet else []
    deleted = [_md_code(c.name) for c in report.cassettes if c.status == "deleted"]
    if deleted:
        notes.append(f"Deleted (only in {_md_code(report.old or '')}): {', '.join(deleted)}.")
    if report.ignored:
        notes.append(f"{_plural(report.ignored, 'finding')} ignored by the ignore list.")
    if notes:
        lines += ["", " ".join(notes)]
    if report.never_observed:
        count = _plural(len(report.never_observed), "modelled field")
        lines += ["", "<details>", f"<summary>Information: {count} never observed</summary>", ""]
        lines += [
            f"- {_md_text(f.scope.operation)}: {_md_code(f.path)}" for f in report.never_observed
        ]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


# --- junit -----------------------------------------------------------------------------

# Characters XML 1.0 cannot hold at all, not even escaped; ElementTree writes them as is.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(value: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _junit(report: DriftReport, fail_on: str) -> str:
    suites = ET.Element("testsuites", name="replay-jobrun drift")
    suite = ET.SubElement(suites, "testsuite", name="jobrun drift")
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("mode", report.mode),
        ("old", report.old or ""),
        ("new", report.new),
        ("botocore", report.botocore),
        ("fail_on", fail_on),
    ):
        ET.SubElement(properties, "property", name=name, value=_xml(value))
    cases: list[tuple[str, str, list[str], list[str]]] = []  # name, skipped, failing, other
    for cassette in report.cassettes:
        skipped = f"deleted: only in {report.old}" if cassette.status == "deleted" else ""
        failing = [_line(f) for f in cassette.findings if f.fails(fail_on)]
        other = [_line(f) for f in cassette.findings if not f.fails(fail_on)]
        cases.append((cassette.name, skipped, failing, other))
    if report.never_observed:
        # A case of its own, so that --fail-on info fails here exactly when the report fails.
        lines = [f"{f.scope.operation}: {f.path}" for f in report.never_observed]
        failing_info = report.never_observed[0].fails(fail_on)
        cases.append(
            (
                "modelled fields never observed",
                "",
                lines if failing_info else [],
                [] if failing_info else lines,
            )
        )
    for name, skipped, failing, other in cases:
        case = ET.SubElement(suite, "testcase", classname="jobrun.drift", name=_xml(name), time="0")
        if skipped:
            ET.SubElement(case, "skipped", message=_xml(skipped))
        if failing:
            message = f"{len(failing)} finding(s) at or above --fail-on {fail_on}"
            failure = ET.SubElement(case, "failure", message=message, type="drift")
            failure.text = _xml("\n".join(failing))
        if other:
            ET.SubElement(case, "system-out").text = _xml("\n".join(other))
    counts = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c[2]),
        "errors": 0,
        "skipped": sum(1 for c in cases if c[1]),
    }
    for element in (suites, suite):
        for key, count in counts.items():
            element.set(key, str(count))
    suite.set("time", "0")
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


# --- github ------------------------------------------------------------------------------

_COMMANDS = {Severity.BREAKING: "error", Severity.ADDITIVE: "warning", Severity.INFO: "notice"}


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def _workflow_command(command: str, properties: dict[str, str], message: str) -> str:
    props = ",".join(f"{key}={_gh_property(value)}" for key, value in properties.items())
    return f"::{command} {props}::{_gh_data(message)}"


def _cassette_file(cassette: CassetteDrift) -> str:
    """The cassette's file, relative to the working directory when it lies below it."""
    path = Path(cassette.new or cassette.old or cassette.name)
    if path.is_absolute():
        with suppress(ValueError):
            path = path.relative_to(Path.cwd())
    return path.as_posix()


def _github(report: DriftReport, fail_on: str) -> str:
    """GitHub Actions workflow commands: one annotation per finding.

    ``file=`` is the cassette file the finding is in, as the report names it
    (relative to the working directory when below it): GitHub resolves it from
    the repository root, where workflow steps run by default. Never-observed
    fields get one notice between them; deleted cassettes, which are not
    findings, none.
    """
    lines = [
        _workflow_command(
            _COMMANDS[finding.severity],
            {
                "file": _cassette_file(cassette),
                "title": f"jobrun drift: {finding.kind.value}",
            },
            f"{finding.path} ({finding.scope}): {finding.message}",
        )
        for cassette, finding in report.findings()
    ]
    if report.never_observed:
        fields = ", ".join(f"{f.scope.operation} {f.path}" for f in report.never_observed)
        count = _plural(len(report.never_observed), "modelled field")
        lines.append(
            _workflow_command(
                "notice",
                {"title": "jobrun drift: never-observed"},
                f"{count} never observed in these recordings: {fields}",
            )
        )
    return "".join(line + "\n" for line in lines)


_RENDERERS: dict[str, Callable[[DriftReport, str], str]] = {
    "text": _text,
    "json": _json,
    "markdown": _markdown,
    "junit": _junit,
    "github": _github,
}
