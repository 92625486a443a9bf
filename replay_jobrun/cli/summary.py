"""Human-readable summaries of a cassette: what is in it, what was scrubbed, the job states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import model
from ..cassette.format import Cassette
from ..cassette.parsed import ParsedResponse, parsed_responses
from ..cassette.retries import recorded_calls


def outcome(response: ParsedResponse) -> str:
    """The job state(s) a response reports, or the error it raised."""
    parsed = response.parsed
    if response.is_error:
        return f"error {parsed.get('Error', {}).get('Code', response.status)}"
    if "jobRun" in parsed:
        return str(parsed["jobRun"].get("state", "-"))
    if "jobRuns" in parsed:
        states = [str(run.get("state", "-")) for run in parsed["jobRuns"]]
        return f"{len(states)} job run(s): {', '.join(states)}" if states else "no job runs"
    if "id" in parsed:
        return f"id {parsed['id']}"
    return "ok"


def scrub_lines(scrubbed: Mapping[str, Mapping[str, int]]) -> list[str]:
    if not scrubbed:
        return ["  (no scrub record: not written by replay_jobrun)"]
    lines = []
    for kind, counts in scrubbed.items():
        verb = "dropped" if kind == "credential header" else "replaced"
        lines.append(
            f"  {kind:<18} {counts.get('replaced', 0):>4} {verb}, {counts.get('distinct', 0)} distinct"
        )
    return lines


def timeline_lines(operations: Sequence[str], outcomes: Sequence[str]) -> list[str]:
    width = max((len(op) for op in operations), default=0)
    return [
        f"  #{n:<3} {op:<{width}}  {out}"
        for n, (op, out) in enumerate(zip(operations, outcomes, strict=False))
    ]


def retry_notes(cassette: Cassette) -> dict[int, str]:
    """``attempt 2/3`` for each interaction that is an attempt of a call botocore retried."""
    notes = {}
    for call in recorded_calls(cassette):
        if len(call.interactions) > 1:
            for attempt, index in enumerate(call.interactions, start=1):
                notes[index] = f"  (attempt {attempt}/{len(call.interactions)} of one call)"
    return notes


def model_problems(cassette: Cassette) -> dict[int, list[str]]:
    """Per interaction, where its response does not fit the installed model (replay
    fails on it by default), a line each."""
    from ..drift.fingerprint import model_violations

    found: dict[int, list[str]] = {}
    for violation in model_violations(cassette):
        label = cassette.interactions[violation.index].label
        found.setdefault(violation.index, []).append(f"  #{violation.index} {label}: {violation}")
    return found


def describe(cassette: Cassette) -> str:
    """The text ``replay-jobrun show`` prints."""
    meta: Mapping[str, Any] = cassette.metadata
    responses = parsed_responses(cassette)
    notes = retry_notes(cassette)
    problems = model_problems(cassette)
    for index in problems:
        notes[index] = notes.get(index, "") + "  NOT OK (see below)"
    header = [
        f"cassette   {cassette.path}",
        f"recorded   {meta.get('recorded_at', 'unknown')} with botocore {meta.get('botocore', '?')}, "
        f"region {meta.get('region') or '?'}",
        f"interactions {len(responses)}",
        "scrubbed:",
        *scrub_lines(meta.get("scrubbed") or {}),
        "timeline:",
        *timeline_lines(
            [r.operation for r in responses],
            [outcome(r) + notes.get(n, "") for n, r in enumerate(responses)],
        ),
    ]
    if problems:
        header += [
            f"NOT OK: the responses do not fit botocore {model.botocore_version()}'s model "
            '(replay fails; unknown_fields="drop" replays them with a warning):',
            *(line for lines in problems.values() for line in lines),
        ]
    return "\n".join(header)
