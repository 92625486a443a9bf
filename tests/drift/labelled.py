"""A labelled corpus of recording pairs for the drift detector.

Each :class:`LabelledPair` is two in-memory cassettes (the project's own
``cassettes/real`` recordings, the scrubbed real AWS bodies of
``shared/real_responses``, and ``cassettes/moto`` ones, their JSON bodies
edited; the suite reads committed cassettes only) and the exact set of findings ``replay_jobrun.drift`` should report
from the old one to the new one, as ``(kind, path, outcome)``: the outcome is
empty except for fields kept under a job outcome (``state``, ``finishedAt``,
``stateDetails``, ``failureReason``, ``retryPolicyExecution``).

Three categories:

- ``volatile``: what changes between two recordings of one scenario (ids,
  names, ARNs, timestamps and their encoding, request ids, client tokens, tag
  and Spark property keys and values, list lengths, empty vs non-empty lists
  and maps, key order, gzip, the number of RUNNING polls). No findings.
- ``state``: the same job seen in another state (RUNNING vs COMPLETED, FAILED
  USER_ERROR vs INTERNAL_ERROR, ListJobRuns pages of other mixes). No findings.
- ``drift``: each kind of finding alone, several together, and drift hidden
  inside a state-dependent field with the same outcome on both sides.

A pair with ``bug`` set is labelled with what a user expects where drift.py
answers otherwise; its test is ``xfail(strict=True)`` with that reason. None
today: the drift.py bugs this corpus found are fixed, their pairs kept.

Shared by ``tests/drift/test_labelled_corpus.py``, ``tools/drift_corpus.py``
and ``benchmarks/drift_throughput.py``.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from replay_jobrun.cassette.format import Cassette, Interaction, dump_cassette, load_cassette
from replay_jobrun.drift.compare import DriftFinding, DriftReport, Kind
from replay_jobrun.drift.run import drift
from tests.support import CASSETTES

VOLATILE = "volatile"
STATE = "state"
DRIFT = "drift"
CATEGORIES = (VOLATILE, STATE, DRIFT)

MONITORING = "configurationOverrides.monitoringConfiguration"
JOB_MONITORING = f"jobRun.{MONITORING}"


@dataclass(frozen=True, order=True)
class Expect:
    """One expected finding: kind (its report spelling), path and job outcome."""

    kind: str
    path: str
    outcome: str = ""

    def __str__(self) -> str:
        where = f" [{self.outcome}]" if self.outcome else ""
        return f"{self.kind} {self.path}{where}"


def expect(kind: Kind, path: str, outcome: str = "") -> Expect:
    return Expect(kind.value, path, outcome)


def observed(findings: Iterable[DriftFinding]) -> frozenset[Expect]:
    """Findings as labels: ``(kind, path, outcome)``."""
    return frozenset(Expect(f.kind.value, f.path, f.scope.outcome) for f in findings)


@dataclass(frozen=True)
class LabelledPair:
    name: str
    category: str
    description: str
    old: Cassette
    new: Cassette
    expected: frozenset[Expect] = frozenset()
    bug: str | None = None  # drift.py answers otherwise today: why

    @property
    def relpath(self) -> str:
        """Where the pair lives under an ``old/`` and a ``new/`` folder."""
        return f"{self.category}/{self.name}.yaml"


# --- building cassettes ------------------------------------------------------------

Json = dict[str, Any]
RunEdit = Callable[[Json], None]
BodyEdit = Callable[[Json], None]


@cache
def _recording(folder: str, name: str) -> Cassette:
    return load_cassette(CASSETTES / folder / f"{name}.yaml")


def real(name: str) -> Cassette:
    return _recording("real", name)


def moto(name: str) -> Cassette:
    return _recording("moto", name)


COMPLETED_1 = "describe-job-run_completed_sparkpilot-1"
COMPLETED_2 = "describe-job-run_completed_sparkpilot-2"
FAILED_1 = "describe-job-run_failed-user-error_sparkpilot-1"
FAILED_2 = "describe-job-run_failed-user-error_sparkpilot-2"
CANCELLED = "describe-job-run_cancelled_sparkpilot"
LIST_COMPLETED = "list-job-runs_completed_cli-v2"
LIST_RUNNING = "list-job-runs_running_cli-v2"
LIFECYCLE = "job-lifecycle"  # Create, Start, Describe RUNNING, Cancel, Describe CANCELLED, 400
_JOB_OPERATIONS = ("DescribeJobRun", "ListJobRuns")


def body_of(interaction: Interaction) -> Any:
    return json.loads(interaction.response.decoded_body())


def runs_in(body: Json) -> list[Json]:
    """The job runs a DescribeJobRun or ListJobRuns body holds."""
    if isinstance(body.get("jobRun"), dict):
        return [body["jobRun"]]
    return [run for run in body.get("jobRuns", []) if isinstance(run, dict)]


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def respond(
    interaction: Interaction,
    body: Any,
    *,
    gzipped: bool = False,
    compact: bool = False,
    reverse_keys: bool = False,
    request_id: str | None = None,
) -> Interaction:
    """The interaction answering ``body`` (headers follow: length, encoding, request id)."""
    if reverse_keys:
        text = json.dumps(_reversed_keys(body), indent=None if compact else 2)
    elif compact:
        text = json.dumps(body, separators=(",", ":"))
    else:
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    data = text.encode()
    if gzipped:
        data = gzip.compress(data, mtime=0)
    headers: dict[str, list[str]] = {}
    for name, values in interaction.response.headers.items():
        lower = name.lower()
        if lower == "content-length":
            headers[name] = [str(len(data))]
        elif lower == "x-amzn-requestid" and request_id is not None:
            headers[name] = [request_id]
        elif lower != "content-encoding":
            headers[name] = list(values)
    if gzipped:
        headers["Content-Encoding"] = ["gzip"]
    return replace(interaction, response=replace(interaction.response, headers=headers, body=data))


def edited(
    base: Cassette,
    *run_edits: RunEdit,
    body_edits: Sequence[BodyEdit] = (),
    only: Sequence[int] | None = None,
    **respond_options: Any,
) -> tuple[Interaction, ...]:
    """Interactions of ``base``, job-run responses (or those at ``only``) edited."""
    out = []
    for index, interaction in enumerate(base.interactions):
        chosen = index in only if only is not None else interaction.operation in _JOB_OPERATIONS
        if not chosen or (only is None and interaction.response.status >= 300):
            out.append(interaction)
            continue
        body = copy.deepcopy(body_of(interaction))
        for body_edit in body_edits:
            body_edit(body)
        for run in runs_in(body):
            for run_edit in run_edits:
                run_edit(run)
        out.append(respond(interaction, body, **respond_options))
    return tuple(out)


def cassette(
    name: str, side: str, template: Cassette, interactions: Sequence[Interaction]
) -> Cassette:
    """A cassette like ``template`` holding ``interactions`` (metadata follows them)."""
    metadata = dict(template.metadata)
    metadata["operations"] = [i.operation for i in interactions]
    return Cassette(
        path=Path("labelled") / name / f"{side}.yaml",
        interactions=tuple(interactions),
        metadata=metadata,
        foreign_metadata=dict(template.foreign_metadata),
    )


def _walk(run: Json, path: str) -> tuple[Json, str]:
    *parents, leaf = path.split(".")
    node = run
    for key in parents:
        node = node.setdefault(key, {})
    return node, leaf


def set_(path: str, value: Any) -> RunEdit:
    """Set a dotted path inside each job run (a copy of ``value``)."""

    def edit(run: Json) -> None:
        node, leaf = _walk(run, path)
        node[leaf] = copy.deepcopy(value)

    return edit


def drop(path: str) -> RunEdit:
    def edit(run: Json) -> None:
        node, leaf = _walk(run, path)
        node.pop(leaf)

    return edit


def poll(base: Cassette, *run_edits: RunEdit) -> Interaction:
    """The first response of ``base``, edited: one poll of a lifecycle built from real ones."""
    return edited(base, *run_edits, only=[0])[0]


def running(run: Json) -> None:
    """The job as a RUNNING poll sees it: no finishedAt, stateDetails or failureReason."""
    run["state"] = "RUNNING"
    for member in ("finishedAt", "stateDetails", "failureReason"):
        run.pop(member, None)


def new_identity(run: Json) -> None:
    """Other ids, name, ARNs (another account), client token and creator."""
    job, vc, account = "0000000399zzq8w2k1x", "p4w8e1r6t3y9u2i5o7a0s1d3f", "318274650193"
    run["id"], run["virtualClusterId"] = job, vc
    run["name"] = "nightly-rollup-20260401-0f3c2a"
    run["arn"] = f"arn:aws:emr-containers:eu-west-1:{account}:/virtualclusters/{vc}/jobruns/{job}"
    run["executionRoleArn"] = f"arn:aws:iam::{account}:role/NightlyRollupRole"
    run["createdBy"] = f"arn:aws:sts::{account}:assumed-role/Deployer/ci-4411"
    run["clientToken"] = "3c1f3b0e-8a5d-4e0f-9f6b-2d7c5a9e1b44"


def epoch_timestamps(run: Json) -> None:
    run["createdAt"] = 1774217353
    if "finishedAt" in run:
        run["finishedAt"] = 1774217447


def epoch_float_timestamps(run: Json) -> None:
    run["createdAt"] = 1774217353.125
    if "finishedAt" in run:
        run["finishedAt"] = 1774217447.5


def other_iso_timestamps(run: Json) -> None:
    run["createdAt"] = "2026-04-01T03:14:15.926+00:00"
    if "finishedAt" in run:
        run["finishedAt"] = "2026-04-01T03:20:00.000+00:00"


def tag_values(run: Json) -> None:
    run["tags"] = {key: f"other-{n}" for n, key in enumerate(run.get("tags", {}))}


def tag_keys(run: Json) -> None:
    run["tags"] = {"team": "data", "cost-center": "cc-118", "owner": "etl", "env": "prod"}


def _configuration(classification: str, properties: Mapping[str, str]) -> Json:
    return {"classification": classification, "properties": dict(properties)}


SPARK_DEFAULTS = [_configuration("spark-defaults", {"spark.executor.memory": "2g"})]
SPARK_OTHER = [
    _configuration(
        "spark-defaults",
        {"spark.dynamicAllocation.enabled": "true", "spark.executor.cores": "4"},
    ),
    _configuration("spark-log4j", {"log4j.rootCategory": "WARN, console"}),
    _configuration("emrfs-site", {}),
]


def _lifecycle(polls: int, *, request_ids: str = "rq") -> tuple[Interaction, ...]:
    """moto's job lifecycle with ``polls`` RUNNING DescribeJobRun polls before the cancel."""
    base = moto(LIFECYCLE).interactions
    start, poll, rest = base[:2], base[2], base[3:]
    polls_ = tuple(
        respond(poll, body_of(poll), request_id=f"{request_ids}-{n:04d}") for n in range(polls)
    )
    return start + polls_ + rest


def _list_page(*states: tuple[str, str | None]) -> Json:
    """A ListJobRuns body with one run per (state, failureReason), ids varied."""
    run = runs_in(body_of(real(LIST_COMPLETED).interactions[0]))[0]
    runs = []
    for n, (state, reason) in enumerate(states):
        item = copy.deepcopy(run)
        item["id"] = f"00000002vhi7od3s{n:03d}"
        item["state"] = state
        if state in ("RUNNING", "PENDING", "SUBMITTED"):
            for member in ("finishedAt", "stateDetails", "failureReason"):
                item.pop(member, None)
        else:
            item.setdefault("finishedAt", "2022-01-07T01:55:03+00:00")
            item.setdefault("stateDetails", f"JobRun {state.lower()}.")
        if reason is not None:
            item["failureReason"] = reason
        runs.append(item)
    return {"jobRuns": runs}


def _list_cassette(name: str, side: str, body: Json) -> Cassette:
    template = real(LIST_COMPLETED)
    return cassette(name, side, template, (respond(template.interactions[0], body),))


# --- the corpus ----------------------------------------------------------------------


@dataclass
class _Builder:
    pairs: list[LabelledPair] = field(default_factory=list)

    def add(
        self,
        category: str,
        name: str,
        description: str,
        old: Cassette | Sequence[Interaction],
        new: Sequence[Interaction] | Cassette,
        *expected: Expect,
        template: Cassette | None = None,
        bug: str | None = None,
    ) -> None:
        def side(which: str, value: Cassette | Sequence[Interaction]) -> Cassette:
            if isinstance(value, Cassette):
                return cassette(name, which, value, value.interactions)
            if template is None:
                raise TypeError(f"{name}: interactions need a template cassette")
            return cassette(name, which, template, value)

        self.pairs.append(
            LabelledPair(
                name,
                category,
                description,
                side("old", old),
                side("new", new),
                frozenset(expected),
                bug,
            )
        )


def _volatile(b: _Builder) -> None:
    # fmt: off
    c1, f1, life = real(COMPLETED_1), real(FAILED_1), moto(LIFECYCLE)
    add = b.add
    add(VOLATILE, "real-completed-1-vs-2", "the two real COMPLETED recordings of one scenario",
        c1, real(COMPLETED_2))
    add(VOLATILE, "real-failed-1-vs-2", "the two real FAILED USER_ERROR recordings of one scenario",
        f1, real(FAILED_2))
    add(VOLATILE, "real-completed-2-vs-1", "the real COMPLETED pair, the other way round",
        real(COMPLETED_2), c1)
    add(VOLATILE, "ids-names-arns", "other job id, name, cluster, ARNs (account, region), creator",
        c1, edited(c1, new_identity), template=c1)
    add(VOLATILE, "client-token-and-request-id", "another client token and x-amzn-RequestId",
        c1, edited(c1, set_("clientToken", "b7f0e2aa-1c9d-4f3e-8a6b-0d5c4e3f2a19"),
                   request_id="0f9e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c"), template=c1)
    add(VOLATILE, "iso-timestamps-other-values", "other ISO-8601 timestamps, with millis and offset",
        c1, edited(c1, other_iso_timestamps), template=c1)
    add(VOLATILE, "epoch-vs-iso-timestamps", "epoch seconds in the new recording, ISO in the old",
        c1, edited(c1, epoch_timestamps), template=c1)
    add(VOLATILE, "iso-vs-epoch-float-timestamps", "ISO in the new, fractional epoch in the old",
        edited(f1, epoch_float_timestamps), f1, template=f1)
    add(VOLATILE, "tag-values", "other tag values", c1, edited(c1, tag_values), template=c1)
    add(VOLATILE, "tag-keys", "other tag keys, and another number of them",
        c1, edited(c1, tag_keys), template=c1)
    add(VOLATILE, "tags-empty-vs-full", "an empty tag map in the old recording",
        edited(c1, set_("tags", {})), c1, template=c1)
    add(VOLATILE, "tags-full-vs-empty", "an empty tag map in the new recording",
        c1, edited(c1, set_("tags", {})), template=c1)
    add(VOLATILE, "more-entry-point-arguments", "three entry point arguments instead of one",
        c1, edited(c1, set_("jobDriver.sparkSubmitJobDriver.entryPointArguments",
                            ["10", "--verbose", "s3://bucket/out/"])), template=c1)
    add(VOLATILE, "no-entry-point-arguments", "an empty argument list in the new recording",
        c1, edited(c1, set_("jobDriver.sparkSubmitJobDriver.entryPointArguments", [])),
        template=c1)
    add(VOLATILE, "spark-properties", "other Spark classifications, property keys and values",
        edited(c1, set_("configurationOverrides.applicationConfiguration", SPARK_DEFAULTS)),
        edited(c1, set_("configurationOverrides.applicationConfiguration", SPARK_OTHER)),
        template=c1)
    add(VOLATILE, "application-configuration-empty-vs-full", "an empty configuration list, then three",
        edited(c1, set_("configurationOverrides.applicationConfiguration", [])),
        edited(c1, set_("configurationOverrides.applicationConfiguration", SPARK_OTHER)),
        template=c1)
    add(VOLATILE, "spark-submit-parameters", "other sparkSubmitParameters and release label values",
        c1, edited(c1, set_("jobDriver.sparkSubmitJobDriver.sparkSubmitParameters",
                            "--conf spark.executor.instances=8"),
                   set_("releaseLabel", "emr-6.15.0-latest")), template=c1)
    add(VOLATILE, "key-order", "every object's keys in reverse order, compact JSON",
        c1, edited(c1, reverse_keys=True, compact=True), template=c1)
    add(VOLATILE, "gzip-vs-plain", "the new body gzip-encoded (Content-Encoding: gzip)",
        c1, edited(c1, gzipped=True), template=c1)
    add(VOLATILE, "lifecycle-one-vs-three-polls", "three RUNNING polls instead of one",
        life, _lifecycle(3), template=life)
    add(VOLATILE, "lifecycle-two-vs-no-polls", "no RUNNING poll before the cancel",
        _lifecycle(2), _lifecycle(0), template=life)
    add(VOLATILE, "lifecycle-error-message", "another job id in the 404's message",
        life, edited(life, body_edits=[lambda body: body.update(
            message="Job run 0000000000othrjob doesn't exist.",
            Message="Job run 0000000000othrjob doesn't exist.")], only=[5]), template=life)
    add(VOLATILE, "list-one-vs-three-runs", "a ListJobRuns page of one run, then of three",
        _list_cassette("list-one-vs-three-runs", "old", _list_page(("COMPLETED", None))),
        _list_cassette("list-one-vs-three-runs", "new", _list_page(*[("COMPLETED", None)] * 3)))
    add(VOLATILE, "everything-at-once", "ids, epoch timestamps, tags, request id, gzip, key order",
        c1, edited(c1, new_identity, epoch_timestamps, tag_keys, gzipped=True,
                   reverse_keys=True, request_id="11111111-2222-3333-4444-555555555555"),
        template=c1)
    page = _list_page(("COMPLETED", None))
    # Values the installed model lists for the field: not new, whatever the old recording held.
    add(VOLATILE, "enum-persistent-ui-disabled", "persistentAppUI ENABLED -> DISABLED (in the model)",
        c1, edited(c1, set_(f"{MONITORING}.persistentAppUI", "DISABLED")), template=c1)
    add(VOLATILE, "enum-managed-logs-disabled", "allowAWSToRetainLogs ENABLED -> DISABLED (in the model)",
        edited(c1, set_(f"{MONITORING}.managedLogs", {"allowAWSToRetainLogs": "ENABLED"})),
        edited(c1, set_(f"{MONITORING}.managedLogs", {"allowAWSToRetainLogs": "DISABLED"})),
        template=c1)
    add(VOLATILE, "list-next-token", "the new recording's page has a next page (nextToken)",
        _list_cassette("list-next-token", "old", page),
        _list_cassette("list-next-token", "new", {**page, "nextToken": "eyJwYWdlIjogMn0="}))
    # fmt: on


def _state(b: _Builder) -> None:
    # fmt: off
    c1, f1, life = real(COMPLETED_1), real(FAILED_1), moto(LIFECYCLE)
    add = b.add
    add(STATE, "running-vs-completed", "a RUNNING poll, then the COMPLETED job",
        edited(c1, running), c1, template=c1)
    add(STATE, "completed-vs-running", "the COMPLETED job, then a RUNNING poll",
        c1, edited(c1, running), template=c1)
    add(STATE, "submitted-vs-completed", "SUBMITTED, then COMPLETED",
        edited(c1, running, set_("state", "SUBMITTED")), c1, template=c1)
    add(STATE, "completed-vs-failed", "real COMPLETED, then real FAILED USER_ERROR", c1, f1)
    add(STATE, "failed-vs-completed", "real FAILED USER_ERROR, then real COMPLETED", f1, c1)
    add(STATE, "completed-vs-cancelled", "real COMPLETED, then real CANCELLED", c1, real(CANCELLED))
    add(STATE, "user-error-vs-internal-error", "FAILED USER_ERROR, then FAILED INTERNAL_ERROR",
        f1, edited(f1, set_("failureReason", "INTERNAL_ERROR")), template=f1)
    add(STATE, "retry-execution-only-when-failed", "retryPolicyExecution only on the FAILED job",
        edited(c1, set_("retryPolicyConfiguration", {"maxAttempts": 2})),
        edited(f1, set_("retryPolicyConfiguration", {"maxAttempts": 2}),
               set_("retryPolicyExecution", {"currentAttemptCount": 2})), template=c1)
    add(STATE, "list-mixed-states", "a page [COMPLETED, RUNNING], then [RUNNING, FAILED, CANCELLED]",
        _list_cassette("list-mixed-states", "old",
                       _list_page(("COMPLETED", None), ("RUNNING", None))),
        _list_cassette("list-mixed-states", "new", _list_page(
            ("RUNNING", None), ("FAILED", "USER_ERROR"), ("CANCELLED", None))))
    add(STATE, "polls-running-completed-vs-pending-failed",
        "polls RUNNING then COMPLETED; re-recorded, PENDING then FAILED USER_ERROR",
        (poll(c1, running), poll(c1)), (poll(c1, running, set_("state", "PENDING")), poll(f1)),
        template=c1)
    add(STATE, "list-running-vs-completed", "the real RUNNING page, then the real COMPLETED one",
        real(LIST_RUNNING), real(LIST_COMPLETED))
    add(STATE, "lifecycle-cancelled-vs-completed", "a lifecycle ending COMPLETED, not CANCELLED",
        life, edited(life, set_("state", "COMPLETED"),
                     set_("stateDetails", "JobRun completed successfully. It ran for 60 Seconds"),
                     only=[4]), template=life)
    # fmt: on


def _drift(b: _Builder) -> None:
    # fmt: off
    c1, f1, life = real(COMPLETED_1), real(FAILED_1), moto(LIFECYCLE)
    add, e = b.add, expect
    retry = set_("retryPolicyConfiguration", {"maxAttempts": 2})
    # added
    add(DRIFT, "added-retry-policy", "retryPolicyConfiguration appears (root only, not maxAttempts)",
        c1, edited(c1, retry), e(Kind.ADDED, "jobRun.retryPolicyConfiguration"), template=c1)
    add(DRIFT, "added-s3-monitoring", "s3MonitoringConfiguration appears",
        c1, edited(c1, set_(f"{MONITORING}.s3MonitoringConfiguration", {"logUri": "s3://logs/"})),
        e(Kind.ADDED, f"{JOB_MONITORING}.s3MonitoringConfiguration"), template=c1)
    add(DRIFT, "added-application-configuration", "applicationConfiguration appears, with items",
        c1, edited(c1, set_("configurationOverrides.applicationConfiguration", SPARK_OTHER)),
        e(Kind.ADDED, "jobRun.configurationOverrides.applicationConfiguration"), template=c1)
    add(DRIFT, "added-tags-lifecycle", "tags appear on every poll of the moto lifecycle",
        life, edited(life, set_("tags", {"team": "data"})), e(Kind.ADDED, "jobRun.tags"),
        template=life)
    add(DRIFT, "added-in-list-items", "ListJobRuns runs gain configurationOverrides",
        real(LIST_COMPLETED),
        edited(real(LIST_COMPLETED), set_(f"{MONITORING}.persistentAppUI", "ENABLED")),
        e(Kind.ADDED, "jobRuns[*].configurationOverrides"), template=real(LIST_COMPLETED))
    add(DRIFT, "added-inside-list-item", "configuration items gain nested configurations",
        edited(c1, set_("configurationOverrides.applicationConfiguration", SPARK_DEFAULTS)),
        edited(c1, set_("configurationOverrides.applicationConfiguration",
                        [{**SPARK_DEFAULTS[0], "configurations": SPARK_OTHER}])),
        e(Kind.ADDED, "jobRun.configurationOverrides.applicationConfiguration[*].configurations"),
        template=c1)
    # removed
    add(DRIFT, "removed-release-label", "releaseLabel is gone",
        c1, edited(c1, drop("releaseLabel")), e(Kind.REMOVED, "jobRun.releaseLabel"), template=c1)
    add(DRIFT, "removed-cloudwatch", "cloudWatchMonitoringConfiguration is gone (root only)",
        c1, edited(c1, drop(f"{MONITORING}.cloudWatchMonitoringConfiguration")),
        e(Kind.REMOVED, f"{JOB_MONITORING}.cloudWatchMonitoringConfiguration"), template=c1)
    add(DRIFT, "removed-configuration-overrides", "configurationOverrides is gone (root only)",
        c1, edited(c1, drop("configurationOverrides")),
        e(Kind.REMOVED, "jobRun.configurationOverrides"), template=c1)
    add(DRIFT, "removed-in-list-items", "ListJobRuns runs lose releaseLabel",
        real(LIST_RUNNING), edited(real(LIST_RUNNING), drop("releaseLabel")),
        e(Kind.REMOVED, "jobRuns[*].releaseLabel"), template=real(LIST_RUNNING))
    add(DRIFT, "removed-state", "state is gone: the one field every poller reads",
        c1, edited(c1, drop("state")), e(Kind.REMOVED, "jobRun.state"), template=c1)
    # type changed
    add(DRIFT, "type-name-to-object", "name, a string, becomes an object",
        c1, edited(c1, set_("name", {"value": "x"})), e(Kind.TYPE_CHANGED, "jobRun.name"),
        template=c1)
    add(DRIFT, "type-release-label-to-list", "releaseLabel, a string, becomes a list",
        c1, edited(c1, set_("releaseLabel", ["emr-7.10.0-latest"])),
        e(Kind.TYPE_CHANGED, "jobRun.releaseLabel"), template=c1)
    add(DRIFT, "type-tag-value-to-integer", "a tag value becomes a number",
        c1, edited(c1, set_("tags", {"team": 7})), e(Kind.TYPE_CHANGED, "jobRun.tags{*}"),
        template=c1)
    add(DRIFT, "type-created-by-to-null", "createdBy becomes JSON null",
        c1, edited(c1, set_("createdBy", None)), e(Kind.TYPE_CHANGED, "jobRun.createdBy"),
        template=c1)
    add(DRIFT, "type-max-attempts-to-string", "maxAttempts 2 becomes \"2\"",
        edited(c1, retry), edited(c1, set_("retryPolicyConfiguration", {"maxAttempts": "2"})),
        e(Kind.TYPE_CHANGED, "jobRun.retryPolicyConfiguration.maxAttempts"), template=c1)
    add(DRIFT, "type-max-attempts-to-float", "maxAttempts 2 becomes 2.5",
        edited(c1, retry), edited(c1, set_("retryPolicyConfiguration", {"maxAttempts": 2.5})),
        e(Kind.TYPE_CHANGED, "jobRun.retryPolicyConfiguration.maxAttempts"), template=c1)
    add(DRIFT, "type-arguments-list-to-string", "entryPointArguments [\"10\"] becomes \"10\"",
        c1, edited(c1, set_("jobDriver.sparkSubmitJobDriver.entryPointArguments", "10")),
        e(Kind.TYPE_CHANGED, "jobRun.jobDriver.sparkSubmitJobDriver.entryPointArguments"),
        template=c1)
    add(DRIFT, "type-structure-to-string", "retryPolicyConfiguration becomes a string",
        edited(c1, retry), edited(c1, set_("retryPolicyConfiguration", "2 attempts")),
        e(Kind.TYPE_CHANGED, "jobRun.retryPolicyConfiguration"), template=c1)
    add(DRIFT, "type-map-to-list", "tags, a map, becomes a list",
        c1, edited(c1, set_("tags", ["team=data"])), e(Kind.TYPE_CHANGED, "jobRun.tags"),
        template=c1)
    add(DRIFT, "type-timestamp-unparseable", "createdAt in a format botocore cannot parse",
        c1, edited(c1, set_("createdAt", "last Tuesday")),
        e(Kind.TYPE_CHANGED, "jobRun.createdAt"), template=c1)
    add(DRIFT, "type-overrides-to-null", "configurationOverrides becomes null (children implied)",
        c1, edited(c1, set_("configurationOverrides", None)),
        e(Kind.TYPE_CHANGED, "jobRun.configurationOverrides"), template=c1)
    # new enum values
    add(DRIFT, "enum-state-queued", "state QUEUED, not in the model",
        c1, edited(c1, running, set_("state", "QUEUED")),
        e(Kind.NEW_ENUM_VALUE, "jobRun.state", "QUEUED"), template=c1)
    add(DRIFT, "enum-persistent-ui-unmodelled", "persistentAppUI PARTIAL, not in the model",
        c1, edited(c1, set_(f"{MONITORING}.persistentAppUI", "PARTIAL")),
        e(Kind.NEW_ENUM_VALUE, f"{JOB_MONITORING}.persistentAppUI"), template=c1)
    add(DRIFT, "enum-failure-reason-unmodelled", "FAILED with failureReason QUOTA_EXCEEDED",
        f1, edited(f1, set_("failureReason", "QUOTA_EXCEEDED")),
        e(Kind.NEW_ENUM_VALUE, "jobRun.failureReason", "FAILED"), template=f1)
    add(DRIFT, "enum-list-state-queued", "a ListJobRuns run in state QUEUED",
        real(LIST_RUNNING), edited(real(LIST_RUNNING), set_("state", "QUEUED")),
        e(Kind.NEW_ENUM_VALUE, "jobRuns[*].state", "QUEUED"), template=real(LIST_RUNNING))
    # unknown to the model
    add(DRIFT, "unknown-job-run-field", "jobRun.newField, unknown to botocore",
        c1, edited(c1, set_("newField", "x")), e(Kind.UNKNOWN_TO_MODEL, "jobRun.newField"),
        template=c1)
    add(DRIFT, "unknown-nested-object", "an unknown object under monitoringConfiguration (root only)",
        c1, edited(c1, set_(f"{MONITORING}.prometheusMonitoringConfiguration",
                            {"remoteWriteUrl": "https://aps/", "scrape": {"interval": 30}})),
        e(Kind.UNKNOWN_TO_MODEL, f"{JOB_MONITORING}.prometheusMonitoringConfiguration"),
        template=c1)
    add(DRIFT, "unknown-deep-string", "an unknown string under cloudWatchMonitoringConfiguration",
        c1, edited(c1, set_(f"{MONITORING}.cloudWatchMonitoringConfiguration.logGroupClass",
                            "INFREQUENT_ACCESS")),
        e(Kind.UNKNOWN_TO_MODEL,
          f"{JOB_MONITORING}.cloudWatchMonitoringConfiguration.logGroupClass"), template=c1)
    add(DRIFT, "unknown-top-level", "an unknown key beside jobRun",
        c1, edited(c1, body_edits=[lambda body: body.update(warnings=["deprecated"])]),
        e(Kind.UNKNOWN_TO_MODEL, "warnings"), template=c1)
    add(DRIFT, "unknown-in-list-items", "ListJobRuns runs gain an unknown field",
        real(LIST_COMPLETED), edited(real(LIST_COMPLETED), set_("priority", 5)),
        e(Kind.UNKNOWN_TO_MODEL, "jobRuns[*].priority"), template=real(LIST_COMPLETED))
    add(DRIFT, "unknown-in-both", "an unknown field in both recordings is still reported",
        edited(c1, set_("newField", "x")), edited(c1, set_("newField", "y")),
        e(Kind.UNKNOWN_TO_MODEL, "jobRun.newField"), template=c1)
    add(DRIFT, "unknown-in-error-body", "the 404's body gains an unknown key",
        life, edited(life, body_edits=[lambda body: body.update(resourceId="x")], only=[5]),
        e(Kind.UNKNOWN_TO_MODEL, "resourceId"), template=life)
    # several at once
    add(DRIFT, "combination", "added, removed, type-changed, new enum value, unknown in one pair",
        c1, edited(c1, retry, drop("releaseLabel"), set_("name", {"value": "x"}),
                   set_(f"{MONITORING}.persistentAppUI", "PARTIAL"), set_("newField", 1)),
        e(Kind.ADDED, "jobRun.retryPolicyConfiguration"),
        e(Kind.REMOVED, "jobRun.releaseLabel"),
        e(Kind.TYPE_CHANGED, "jobRun.name"),
        e(Kind.NEW_ENUM_VALUE, f"{JOB_MONITORING}.persistentAppUI"),
        e(Kind.UNKNOWN_TO_MODEL, "jobRun.newField"), template=c1)
    add(DRIFT, "added-subtree-with-unknown", "an added s3MonitoringConfiguration with an unknown key",
        c1, edited(c1, set_(f"{MONITORING}.s3MonitoringConfiguration",
                            {"logUri": "s3://logs/", "logFormat": "json"})),
        e(Kind.ADDED, f"{JOB_MONITORING}.s3MonitoringConfiguration"),
        e(Kind.UNKNOWN_TO_MODEL, f"{JOB_MONITORING}.s3MonitoringConfiguration.logFormat"),
        template=c1)
    add(DRIFT, "added-subtree-with-unmodelled-enum", "an added managedLogs with an unknown value",
        c1, edited(c1, set_(f"{MONITORING}.managedLogs", {"allowAWSToRetainLogs": "SOMETIMES"})),
        e(Kind.ADDED, f"{JOB_MONITORING}.managedLogs"),
        e(Kind.NEW_ENUM_VALUE, f"{JOB_MONITORING}.managedLogs.allowAWSToRetainLogs"),
        template=c1)
    add(DRIFT, "volatile-plus-one-removal", "every volatile change, and logStreamNamePrefix gone",
        c1, edited(c1, new_identity, epoch_timestamps, tag_keys,
                   drop(f"{MONITORING}.cloudWatchMonitoringConfiguration.logStreamNamePrefix"),
                   gzipped=True, reverse_keys=True),
        e(Kind.REMOVED,
          f"{JOB_MONITORING}.cloudWatchMonitoringConfiguration.logStreamNamePrefix"),
        template=c1)
    add(DRIFT, "state-change-plus-removal", "RUNNING then COMPLETED (fine), releaseLabel gone",
        edited(c1, running), edited(c1, drop("releaseLabel")),
        e(Kind.REMOVED, "jobRun.releaseLabel"), template=c1)
    # hidden in a state-dependent field, same outcome on both sides
    add(DRIFT, "hidden-state-details-integer", "both COMPLETED; stateDetails becomes a number",
        c1, edited(c1, set_("stateDetails", 43)),
        e(Kind.TYPE_CHANGED, "jobRun.stateDetails", "COMPLETED"), template=c1)
    add(DRIFT, "hidden-finished-at-removed", "both FAILED USER_ERROR; finishedAt is gone",
        f1, edited(f1, drop("finishedAt")),
        e(Kind.REMOVED, "jobRun.finishedAt", "FAILED"), template=f1)
    add(DRIFT, "hidden-retry-execution-added", "both COMPLETED; retryPolicyExecution appears",
        edited(c1, retry),
        edited(c1, retry, set_("retryPolicyExecution", {"currentAttemptCount": 1})),
        e(Kind.ADDED, "jobRun.retryPolicyExecution", "COMPLETED"), template=c1)
    add(DRIFT, "hidden-lifecycle-cancelled-details", "the CANCELLED poll's stateDetails is a number",
        life, edited(life, set_("stateDetails", 0), only=[4]),
        e(Kind.TYPE_CHANGED, "jobRun.stateDetails", "CANCELLED"), template=life)
    add(DRIFT, "hidden-failure-reason-removed", "both FAILED; failureReason is gone",
        f1, edited(f1, drop("failureReason")),
        e(Kind.REMOVED, "jobRun.failureReason", "FAILED"), template=f1)
    add(DRIFT, "hidden-details-gone-other-reason",
        "both FAILED (USER_ERROR, then INTERNAL_ERROR); stateDetails is gone",
        f1, edited(f1, set_("failureReason", "INTERNAL_ERROR"), drop("stateDetails")),
        e(Kind.REMOVED, "jobRun.stateDetails", "FAILED"), template=f1)
    add(DRIFT, "hidden-three-changes-one-outcome",
        "both COMPLETED; finishedAt and stateDetails gone, retryPolicyExecution appears",
        c1, edited(c1, drop("finishedAt"), drop("stateDetails"),
                   set_("retryPolicyExecution", {"currentAttemptCount": 1})),
        e(Kind.REMOVED, "jobRun.finishedAt", "COMPLETED"),
        e(Kind.REMOVED, "jobRun.stateDetails", "COMPLETED"),
        e(Kind.ADDED, "jobRun.retryPolicyExecution", "COMPLETED"), template=c1)
    add(DRIFT, "polls-other-states-plus-removal",
        "polls RUNNING, COMPLETED; re-recorded PENDING, FAILED, and releaseLabel gone",
        (poll(c1, running), poll(c1)),
        (poll(c1, running, set_("state", "PENDING"), drop("releaseLabel")),
         poll(f1, drop("releaseLabel"))),
        e(Kind.REMOVED, "jobRun.releaseLabel"), template=c1)
    # fmt: on


@cache
def corpus() -> tuple[LabelledPair, ...]:
    """Every labelled pair, built once per process (cassettes are read-only: share them)."""
    builder = _Builder()
    _volatile(builder)
    _state(builder)
    _drift(builder)
    names = [pair.name for pair in builder.pairs]
    assert len(names) == len(set(names)), "pair names must be unique"
    return tuple(builder.pairs)


# --- scoring ---------------------------------------------------------------------------


def write_pair(
    pair: LabelledPair, old_root: Path, new_root: Path, relpath: str | None = None
) -> None:
    """Both sides as cassette files (``dump_cassette``'s vcrpy YAML) under the two roots.

    Plain writes, not ``save_cassette``: its fsync per file would dominate a benchmark.
    """
    for root, side in ((old_root, pair.old), (new_root, pair.new)):
        target = root / (relpath or pair.relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_cassette(side), encoding="utf-8")


def write_corpus(pairs: Iterable[LabelledPair], old_root: Path, new_root: Path) -> None:
    for pair in pairs:
        write_pair(pair, old_root, new_root)


def run_corpus(
    pairs: Sequence[LabelledPair], root: Path
) -> tuple[DriftReport, list[tuple[LabelledPair, frozenset[Expect]]]]:
    """Write every pair under ``root/old`` and ``root/new``, run ``drift()`` once on both folders."""
    write_corpus(pairs, root / "old", root / "new")
    report = drift(root / "old", root / "new")
    found = report_findings(report)
    missing = [pair.relpath for pair in pairs if pair.relpath not in found]
    if missing:
        raise LookupError(f"the drift report has no entry for {missing}")
    return report, [(pair, found[pair.relpath]) for pair in pairs]


def report_findings(report: DriftReport) -> dict[str, frozenset[Expect]]:
    """A report's findings by cassette name, as labels (cassettes without findings included)."""
    found: dict[str, set[Expect]] = {c.name: set() for c in report.cassettes}
    for drift_cassette, finding in report.findings():
        found[drift_cassette.name] |= observed([finding])
    return {name: frozenset(labels) for name, labels in found.items()}


@dataclass
class Tally:
    pairs: int = 0
    expected: int = 0
    found: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    wrong_pairs: list[str] = field(default_factory=list)

    def add(self, pair: LabelledPair, found: frozenset[Expect]) -> None:
        self.pairs += 1
        self.expected += len(pair.expected)
        self.found += len(found)
        extra, missed = found - pair.expected, pair.expected - found
        self.false_positives += len(extra)
        self.false_negatives += len(missed)
        if extra or missed:
            what = [f"+{x}" for x in sorted(extra)] + [f"-{x}" for x in sorted(missed)]
            self.wrong_pairs.append(f"{pair.category}/{pair.name}: {', '.join(what)}")


KNOWN_BUGS = "known bugs"


def score(results: Iterable[tuple[LabelledPair, frozenset[Expect]]]) -> dict[str, Tally]:
    """Tallies per category, pairs with a known bug apart, and a ``total`` of the others."""
    tallies = {name: Tally() for name in (*CATEGORIES, "total", KNOWN_BUGS)}
    for pair, found in results:
        if pair.bug:
            tallies[KNOWN_BUGS].add(pair, found)
            continue
        tallies[pair.category].add(pair, found)
        tallies["total"].add(pair, found)
    return tallies


def table(tallies: Mapping[str, Tally]) -> str:
    lines = [f"{'category':<22}{'pairs':>7}{'expected':>10}{'found':>7}{'FP':>5}{'FN':>5}"]
    for name, tally in tallies.items():
        if name == KNOWN_BUGS and not tally.pairs:
            continue
        label = f"{name} (xfail)" if name == KNOWN_BUGS else name
        lines.append(
            f"{label:<22}{tally.pairs:>7}{tally.expected:>10}{tally.found:>7}"
            f"{tally.false_positives:>5}{tally.false_negatives:>5}"
        )
    return "\n".join(lines)


def mismatches(tallies: Mapping[str, Tally]) -> Iterator[str]:
    for name, tally in tallies.items():
        if name != "total":
            yield from tally.wrong_pairs
