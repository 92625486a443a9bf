"""Fingerprints: the schema of recorded responses, walked along the botocore model.

A fingerprint keeps what a response's *schema* is and drops what its values
are: every field path (list items as ``[*]``, keys of map shapes such as tags
and Spark properties as ``{*}``), the type each value has after botocore
parsed it (so an epoch and an ISO-8601 timestamp are both ``timestamp``) and
the values seen in enum fields. Ids, timestamps, tokens and request ids never
reach it, so two recordings of one scenario have equal fingerprints.

Fields that only exist in some job states (``finishedAt``, ``stateDetails``,
``failureReason`` …) are kept under the state they were seen with (their
:class:`Scope`), so they are only ever compared with the same state.

The walk also notes what the installed botocore does not know: fields it
would drop, enum values it does not list, values of another type than the
model's (including ones botocore's parser silently coerces).
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import model
from ..cassette.bodies import check_json_depth
from ..cassette.format import Cassette, Interaction, per_cassette
from ..cassette.parsed import parse_response
from ..errors import CassetteFormatError

# Members whose values say how a run ended: differing values are another outcome,
# not drift (only a value the model does not list is reported).
OUTCOME_MEMBERS = frozenset({"state", "failureReason"})
# Members present or absent depending on the state of the structure that holds them;
# compared only with the same state on the other side.
STATE_DEPENDENT_MEMBERS = frozenset(
    {"state", "finishedAt", "stateDetails", "failureReason", "retryPolicyExecution"}
)
NO_STATE = "(no state)"
# Error-body keys botocore's generic error parsing reads (code and message).
_ERROR_PROTOCOL_KEYS = frozenset({"__type", "code", "Code", "message", "Message"})
OK = "ok"


@dataclass(frozen=True, order=True)
class Scope:
    """Where a field was seen: operation, response (``ok`` or error code), job outcome.

    ``outcome`` is empty for fields present whatever the job's state, and the
    state (e.g. ``FAILED``) for state-dependent ones.
    """

    operation: str
    response: str = OK
    outcome: str = ""

    def __str__(self) -> str:
        parts = [self.operation]
        if self.response != OK:
            parts.append(self.response)
        if self.outcome:
            parts.append(f"[{self.outcome}]")
        return " ".join(parts)


# --- fingerprints --------------------------------------------------------------

_MODEL_TYPES = {
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "float": "float",
    "double": "float",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "blob": "blob",
    "structure": "structure",
    "map": "map",
    "list": "list",
}


# The common exact types first: one dict lookup instead of a chain of isinstance
# checks, for every value of every response walked.
_EXACT_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    datetime.datetime: "timestamp",
    bytes: "blob",
    bytearray: "blob",
    dict: "object",
    list: "list",
}


def _value_type(value: Any) -> str:
    """The JSON-ish name of a parsed (or raw) value's type."""
    exact = _EXACT_TYPES.get(type(value))
    return exact if exact is not None else _subclass_type(value)


def _subclass_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.datetime):
        return "timestamp"
    if isinstance(value, bytes | bytearray):
        return "blob"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _typed(value: Any, shape: Any) -> tuple[str, str]:
    """(type to fingerprint, type the model expects) for a parsed value."""
    expected = _MODEL_TYPES.get(shape.type_name, shape.type_name)
    seen = _value_type(value)
    if (
        seen == expected
        or (seen == "object" and expected in ("structure", "map"))
        or (seen == "integer" and expected == "float")  # JSON writes 2.0 as 2
    ):
        return expected, expected
    return seen, expected


@dataclass
class Fingerprint:
    """The schema of a set of responses (one interaction or a whole cassette).

    ``fields`` maps each scope to ``{path: {"type": …[, "enum": {values}]}}``,
    the plain structure deepdiff compares. The other members are what the
    walk learnt against the installed model, for the model check.
    """

    fields: dict[Scope, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # (scope, top-most unknown path, its JSON type)
    unknown: set[tuple[Scope, str, str]] = field(default_factory=set)
    # (scope, path, observed type, model type)
    off_model: set[tuple[Scope, str, str, str]] = field(default_factory=set)
    # (scope, path, enum value the model does not list)
    unmodelled_values: set[tuple[Scope, str, str]] = field(default_factory=set)
    # (scope, path) of members a 2xx response always holds (see always_returned), absent
    missing: set[tuple[Scope, str]] = field(default_factory=set)
    # (scope, what the body is) where a 2xx body is not a JSON object: "not JSON (…)", "a JSON list"
    bad_body: set[tuple[Scope, str]] = field(default_factory=set)

    def note(self, scope: Scope, path: str, type_name: str, enum_value: str | None = None) -> None:
        entry = self.fields.setdefault(scope, {}).setdefault(path, {"type": type_name})
        if entry["type"] != type_name and type_name not in entry["type"].split("|"):
            # One cassette holding two types at one path: keep both, sorted.
            entry["type"] = "|".join(sorted({*entry["type"].split("|"), type_name}))
        if enum_value is not None:
            entry.setdefault("enum", set()).add(enum_value)

    def update(self, other: Fingerprint) -> None:
        for scope, paths in other.fields.items():
            for path, entry in paths.items():
                for type_name in entry["type"].split("|"):
                    self.note(scope, path, type_name)
                if "enum" in entry:
                    self.fields[scope][path].setdefault("enum", set()).update(entry["enum"])
        self.unknown |= other.unknown
        self.off_model |= other.off_model
        self.unmodelled_values |= other.unmodelled_values
        self.missing |= other.missing
        self.bad_body |= other.bad_body

    def present(self, operation: str, response: str) -> set[str]:
        """Every path seen for an operation's response, whatever the outcome."""
        seen: set[str] = set()
        for scope, paths in self.fields.items():
            if scope.operation == operation and scope.response == response:
                seen.update(paths)
        return seen


# The ISO-8601 form AWS sends. Only such strings take the fast path below; dateutil,
# which botocore falls back on, parses every one of them too.
_ISO_8601 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?", re.ASCII
)


def _timestamp(raw: Any) -> Any:
    """A raw timestamp as botocore would parse it (the raw value if botocore cannot).

    Only the type of the result reaches a fingerprint, so this accepts more forms
    fast than :func:`model.parse_timestamp`, which must also give botocore's exact
    value and tzinfo. botocore tries ``float()``
    and then dateutil, ~50 µs a string; an ISO-8601 string that
    ``datetime.fromisoformat`` accepts (it checks the field ranges) parses
    either way, so that check is enough for it. Anything else asks botocore.
    """
    if isinstance(raw, str) and _ISO_8601.fullmatch(raw):
        try:
            return datetime.datetime.fromisoformat(raw)
        except ValueError:
            pass  # out of range, or a form this Python does not read: botocore decides
    from botocore.utils import parse_timestamp

    try:
        return parse_timestamp(raw) if isinstance(raw, str | int | float) else raw
    except (ValueError, TypeError, OverflowError):
        return raw


def _wire_fits(raw: Any, shape: Any) -> bool:
    """Whether a raw JSON value has a type the model allows (botocore coerces some that don't)."""
    wire = _value_type(raw)
    expected = str(_MODEL_TYPES.get(shape.type_name, shape.type_name))
    if wire == "null":
        return True  # botocore skips nulls; the parsed side reports them
    if expected == "timestamp":
        return wire in ("string", "integer", "float")  # ISO-8601 or epoch seconds
    if expected == "blob":
        return wire == "string"  # base64
    if expected in ("structure", "map"):
        return wire == "object"
    if expected == "float":
        return wire in ("integer", "float")
    return wire == expected


class _Walker:
    """Walks one raw JSON body and botocore's parse of it side by side, along the shape."""

    def __init__(self, fingerprint: Fingerprint, operation: str, response: str) -> None:
        self.fp = fingerprint
        self.base = Scope(operation, response)

    def structure(
        self,
        raw: Mapping[str, Any],
        parsed: Mapping[str, Any],
        shape: Any,
        prefix: str,
        *,
        scope: Scope,
        extra_known: frozenset[str] = frozenset(),
        always: Sequence[str] = (),
    ) -> None:
        members = shape.members
        wire = {m.serialization.get("name", name): name for name, m in members.items()}
        if self.base.response == OK:  # an error body is botocore's error parser's to read
            for name in (*shape.required_members, *always):
                member = members[name]
                if member.serialization.get("location"):
                    continue  # a header or the status code, not the body
                if raw.get(member.serialization.get("name", name)) is None:
                    self.fp.missing.add((scope, f"{prefix}{name}"))
        state_scope = scope
        if "state" in members:
            state = raw.get("state")
            outcome = state if isinstance(state, str) else NO_STATE
            state_scope = Scope(scope.operation, scope.response, outcome)
            if "state" in raw:  # its presence is schema, whatever its value
                self.fp.note(scope, f"{prefix}state", _value_type(raw["state"]))
        for key, raw_value in raw.items():
            name = wire.get(key)
            if name is None:
                if key not in extra_known:
                    self.unknown(raw_value, f"{prefix}{key}", scope)
                continue
            member_scope = state_scope if name in STATE_DEPENDENT_MEMBERS else scope
            self.value(
                raw_value,
                parsed.get(name),
                members[name],
                f"{prefix}{name}",
                member_scope,
                outcome_value=name in OUTCOME_MEMBERS,
            )

    def value(
        self,
        raw: Any,
        parsed: Any,
        shape: Any,
        path: str,
        scope: Scope,
        *,
        outcome_value: bool = False,
    ) -> None:
        unparsed = parsed is None  # botocore skips JSON nulls (or could not parse the body)
        if unparsed:
            parsed = _timestamp(raw) if shape.type_name == "timestamp" else raw
        type_name, expected = _typed(parsed, shape)
        enum = shape.enum if type_name == "string" and getattr(shape, "enum", None) else None
        compared_value = parsed if enum and not outcome_value else None
        self.fp.note(scope, path, type_name, compared_value)
        if type_name != expected:
            self.fp.off_model.add((scope, path, type_name, expected))
            return
        if not _wire_fits(raw, shape):
            # botocore coerced it ("2" -> 2, "10" -> ["1", "0"]): the code sees the
            # model's type, but AWS sent another one.
            self.fp.off_model.add((scope, path, f"{_value_type(raw)} on the wire", expected))
            return
        if enum and parsed not in enum:
            self.fp.unmodelled_values.add((scope, path, parsed))
        # Below an unparsed value every value is unparsed: walk the raw ones alone.
        if type_name == "structure" and isinstance(raw, dict):
            self.structure(raw, {} if unparsed else parsed, shape, f"{path}.", scope=scope)
        elif type_name == "list" and isinstance(raw, list):
            items = [None] * len(raw) if unparsed else parsed
            for raw_item, parsed_item in zip(raw, items, strict=False):
                self.value(raw_item, parsed_item, shape.member, f"{path}[*]", scope)
        elif type_name == "map" and isinstance(raw, dict):
            values = {} if unparsed else parsed
            for key, raw_item in raw.items():
                self.value(raw_item, values.get(key), shape.value, f"{path}{{*}}", scope)

    def unknown(self, raw: Any, path: str, scope: Scope) -> None:
        """A field the model does not have: fingerprint its JSON shape, remember its root."""
        self.fp.unknown.add((scope, path, _value_type(raw)))
        self._raw(raw, path, scope)

    def _raw(self, raw: Any, path: str, scope: Scope) -> None:
        self.fp.note(scope, path, _value_type(raw))
        if isinstance(raw, dict):
            for key, item in raw.items():
                self._raw(item, f"{path}.{key}", scope)
        elif isinstance(raw, list):
            for item in raw:
                self._raw(item, f"{path}[*]", scope)


def _json_body(interaction: Interaction) -> tuple[Any, str | None]:
    """The JSON body (``{}`` when empty, as botocore reads it), or None and why not."""
    body = interaction.response.decoded_body()
    if not body.strip():
        return {}, None
    check_json_depth(body)  # the walk recurses per level (a loaded cassette is checked)
    try:
        return json.loads(body), None
    except ValueError as err:  # UnicodeDecodeError included
        return None, f"not JSON ({err})"


@functools.cache
def always_returned(operation: str) -> tuple[str, ...]:
    """Top-level members every 2xx response of ``operation`` holds, by the installed model.

    The members the output shape lists as ``required`` (emr-containers lists none at
    the top level today; nested shapes such as ``JobTemplate`` do, and the walk checks
    those wherever they appear), and the one member of an output that has nothing
    else but pagination tokens, when that member is a structure: ``DescribeJobRun``'s
    ``jobRun``, ``DescribeVirtualCluster``'s ``virtualCluster``. Such a response is
    that resource or nothing. Lists and maps are not counted: AWS may leave out an
    empty one, and botocore's paginator reads a missing result key as no results.
    """
    shape = model.service_model().operation_model(operation).output_shape
    if shape is None:
        return ()
    body = [
        name
        for name, member in shape.members.items()
        if not member.serialization.get("location") and name not in model.page_tokens(operation)
    ]
    only = body[0] if len(body) == 1 else None
    if only is not None and shape.members[only].type_name == "structure":
        return (only,)
    return ()


def interaction_fingerprint(
    interaction: Interaction, parsed: Mapping[str, Any] | None
) -> Fingerprint:
    """The fingerprint of one response, given botocore's parse of it (None: it could not)."""
    parsed = parsed or {}
    fingerprint = Fingerprint()
    operation = interaction.operation
    if operation is None:
        return fingerprint
    raw, problem = _json_body(interaction)
    ok = interaction.response.status < 300
    if ok and problem is None and not isinstance(raw, dict):
        problem = f"a JSON {_value_type(raw)}"
    if ok and problem is not None:
        fingerprint.bad_body.add((Scope(operation), problem))
    if not isinstance(raw, dict):
        return fingerprint
    service = model.service_model()
    if ok:
        shape = service.operation_model(operation).output_shape
        walker = _Walker(fingerprint, operation, OK)
        scope = walker.base
        fingerprint.note(scope, "", "structure")
        if shape is not None:
            walker.structure(raw, parsed, shape, "", scope=scope, always=always_returned(operation))
        else:
            for key, value in raw.items():
                walker.unknown(value, key, scope)
        return fingerprint
    code = str(parsed.get("Error", {}).get("Code") or interaction.response.status)
    walker = _Walker(fingerprint, operation, code)
    fingerprint.note(walker.base, "", "structure")
    error_shape = service.shape_for_error_code(code)
    if error_shape is None:
        for key, value in raw.items():
            if key not in _ERROR_PROTOCOL_KEYS:
                walker.unknown(value, key, walker.base)
        return fingerprint
    walker.structure(
        raw, parsed, error_shape, "", scope=walker.base, extra_known=_ERROR_PROTOCOL_KEYS
    )
    return fingerprint


@per_cassette
def interaction_fingerprints(cassette: Cassette) -> tuple[Fingerprint, ...]:
    """One fingerprint per interaction, in recorded order. Read-only.

    Most responses are fingerprinted from their JSON alone: where every value
    has the model's type, botocore's parser changes no type (it turns
    timestamps into datetimes, which the walk does too, and leaves the rest as
    they are), so its output would give the same fingerprint; running it costs
    more than the walk. Where the raw walk finds a value off the model, the
    parser's output is what decides (it coerces some values, and may fail), so
    that response is parsed and walked again, as before.
    """
    found = []
    for index, interaction in enumerate(cassette.interactions):
        if _parser_free(interaction):
            raw_only = interaction_fingerprint(interaction, None)
            if not raw_only.off_model:
                found.append(raw_only)
                continue
        found.append(interaction_fingerprint(interaction, _parsed(cassette, index)))
    return tuple(found)


def _parser_free(interaction: Interaction) -> bool:
    """Whether botocore's parse of this response is its JSON body, member for member."""
    operation = interaction.operation
    return (
        operation is not None
        and interaction.response.status < 300  # errors: the parser picks the error shape
        and _body_only_output(operation)
    )


@functools.cache
def _body_only_output(operation: str) -> bool:
    """No member of the output read from headers or the status, nor a payload member."""
    shape = model.service_model().operation_model(operation).output_shape
    if shape is None:
        return True
    return "payload" not in shape.serialization and not any(
        member.serialization.get("location") for member in shape.members.values()
    )


def _parsed(cassette: Cassette, index: int) -> dict[str, Any] | None:
    """botocore's parse of one response, or None where it fails.

    A value of another type than the model's can break botocore's parser (a string
    for a structure); that is drift to report, so such responses are fingerprinted raw.
    """
    try:
        return parse_response(cassette.interactions[index], cassette.path, index).parsed
    except CassetteFormatError:
        return None


def fingerprint(cassette: Cassette) -> Fingerprint:
    """The fingerprint of a whole cassette: the union of its interactions'."""
    merged = Fingerprint()
    for one in interaction_fingerprints(cassette):
        merged.update(one)
    return merged


def unknown_fields(cassette: Cassette) -> list[tuple[int, list[str]]]:
    """Per interaction index, the response fields the installed botocore does not know."""
    found = []
    for index, one in enumerate(interaction_fingerprints(cassette)):
        paths = sorted({path for _, path, _ in one.unknown})
        if paths:
            found.append((index, paths))
    return found


@dataclass(frozen=True)
class ModelViolation:
    """Where a recorded response does not fit the installed model, for one interaction."""

    index: int
    path: str
    """The field path (``jobRun.state``), or ``""`` for the body as a whole."""
    problem: str
    unknown: bool = False
    """A field botocore does not know (what ``UnknownFieldsError`` has always named)."""

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


def model_violations(cassette: Cassette) -> list[ModelViolation]:
    """Every place a cassette's responses do not fit the installed botocore model.

    Fields botocore does not know (any response); and, in 2xx responses only (an
    error body is read by botocore's error parser, not along the output shape): a body
    that is not a JSON object, a member the operation always returns
    (:func:`always_returned`, and ``required`` members of the model's structures)
    missing or null, and an enum value the model does not list.
    """
    found = []
    version = model.botocore_version()
    for index, one in enumerate(interaction_fingerprints(cassette)):
        operation = cassette.interactions[index].operation
        for _, problem in sorted(one.bad_body):
            found.append(
                ModelViolation(
                    index,
                    "",
                    f"the body is {problem}, where {operation}'s response is a JSON object",
                )
            )
        for scope, path in sorted(one.missing):
            why = (
                "the model marks it required"
                if path not in always_returned(scope.operation)
                else "it is the response's one member"
            )
            found.append(
                ModelViolation(index, path, f"missing; {operation} always returns it ({why})")
            )
        for scope, path, value in sorted(one.unmodelled_values):
            if scope.response != OK:
                continue
            found.append(
                ModelViolation(
                    index,
                    path,
                    f"{value!r} is not a value botocore {version} knows "
                    f"(valid: {', '.join(_enum_at(scope.operation, path))})",
                )
            )
        for path in sorted({path for _, path, _ in one.unknown}):
            found.append(
                ModelViolation(index, path, f"a field botocore {version} does not know", True)
            )
    return found


def _enum_at(operation: str, path: str) -> list[str]:
    """The enum of the output member at a fingerprint path (only asked on the error path)."""
    shape = model.service_model().operation_model(operation).output_shape
    for step in re.findall(r"\[\*\]|\{\*\}|[^.\[{]+", path):
        if step == "[*]":
            shape = shape.member
        elif step == "{*}":
            shape = shape.value
        else:
            shape = shape.members[step]
    return list(getattr(shape, "enum", None) or [])
