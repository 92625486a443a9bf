"""Schema drift: fingerprints of recorded responses, compared by deepdiff.

A fingerprint keeps what a response's *schema* is and drops what its values
are: every field path (list items as ``[*]``, keys of map shapes such as tags
and Spark properties as ``{*}``), the type each value has after botocore
parsed it (so an epoch and an ISO-8601 timestamp are both ``timestamp``) and
the values seen in enum fields. Ids, timestamps, tokens and request ids never
reach it, so two recordings of one scenario have equal fingerprints and
nothing to report.

Fields that only exist in some job states (``finishedAt``, ``stateDetails``,
``failureReason`` …) are kept under the outcome they were seen with, and are
only compared with the same outcome on the other side: a RUNNING recording
against a COMPLETED one is not drift.

deepdiff's tree view computes the differences between two fingerprints; this
module turns its paths into findings. Walking a response against the
installed botocore model also finds what that botocore does not know:
fields it would drop, enum values it does not list, values of another type
than the model says.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from . import model
from .cassette import Cassette, Interaction, load_cassette
from .errors import CassetteFormatError, ConfigError
from .options import DRIFT_FAIL_ON, drift_fail_on
from .replay import parse_response, parsed_responses

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


class Kind(str, Enum):
    """What changed. The value is the spelling in reports and ignore lists."""

    ADDED = "added"
    REMOVED = "removed"
    TYPE_CHANGED = "type-changed"
    NEW_ENUM_VALUE = "new-enum-value"
    UNKNOWN_TO_MODEL = "unknown-to-model"
    NEVER_OBSERVED = "never-observed"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]


class Severity(str, Enum):
    """How much a finding matters, for ``--fail-on``: info < additive < breaking."""

    INFO = "info"
    ADDITIVE = "additive"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return _RANK[self]


_SEVERITY = {
    Kind.ADDED: Severity.ADDITIVE,
    Kind.NEW_ENUM_VALUE: Severity.ADDITIVE,
    Kind.UNKNOWN_TO_MODEL: Severity.ADDITIVE,
    Kind.REMOVED: Severity.BREAKING,
    Kind.TYPE_CHANGED: Severity.BREAKING,
    Kind.NEVER_OBSERVED: Severity.INFO,
}
_RANK = {Severity.INFO: 0, Severity.ADDITIVE: 1, Severity.BREAKING: 2}
FAIL_ON_CHOICES = DRIFT_FAIL_ON


@dataclass(frozen=True, order=True)
class Scope:
    """Where a field was seen: operation, response (``ok`` or error code), job outcome.

    ``outcome`` is empty for fields present whatever the job's state, and
    e.g. ``FAILED USER_ERROR`` for state-dependent ones.
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


@dataclass(frozen=True, order=True)
class DriftFinding:
    """One schema difference; ``old``/``new`` are types, enum values or model facts."""

    kind: Kind
    scope: Scope
    path: str
    old: str | None = None
    new: str | None = None

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    @property
    def message(self) -> str:
        """One sentence for humans, the same in every report format."""
        if self.kind is Kind.ADDED:
            return f"field added ({self.new})"
        if self.kind is Kind.REMOVED:
            return f"field removed (was {self.old})"
        if self.kind is Kind.TYPE_CHANGED:
            return f"type changed from {self.old} to {self.new}"
        if self.kind is Kind.NEW_ENUM_VALUE:
            return f"new enum value {self.new!r}" + (f" ({self.old})" if self.old else "")
        if self.kind is Kind.UNKNOWN_TO_MODEL:
            return f"{self.new} field unknown to botocore {model.botocore_version()}" + (
                f" ({self.old})" if self.old else ""
            )
        return "modelled field never observed in these recordings"


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


def _value_type(value: Any) -> str:
    """The JSON-ish name of a parsed (or raw) value's type."""
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

    def present(self, operation: str, response: str) -> set[str]:
        """Every path seen for an operation's response, whatever the outcome."""
        seen: set[str] = set()
        for scope, paths in self.fields.items():
            if scope.operation == operation and scope.response == response:
                seen.update(paths)
        return seen


def _timestamp(raw: Any) -> Any:
    """A raw timestamp as botocore would parse it, for responses it could not parse whole."""
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
    ) -> None:
        members = shape.members
        wire = {m.serialization.get("name", name): name for name, m in members.items()}
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


def _json_body(interaction: Interaction) -> Any:
    body = interaction.response.decoded_body()
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError:
        return None


def interaction_fingerprint(
    interaction: Interaction, parsed: Mapping[str, Any] | None
) -> Fingerprint:
    """The fingerprint of one response, given botocore's parse of it (None: it could not)."""
    parsed = parsed or {}
    fingerprint = Fingerprint()
    operation = interaction.operation
    raw = _json_body(interaction)
    if operation is None or not isinstance(raw, dict):
        return fingerprint
    service = model.service_model()
    if interaction.response.status < 300:
        shape = service.operation_model(operation).output_shape
        walker = _Walker(fingerprint, operation, OK)
        scope = walker.base
        fingerprint.note(scope, "", "structure")
        if shape is not None:
            walker.structure(raw, parsed, shape, "", scope=scope)
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


# Like replay's parsed responses: computed once per loaded cassette, freed with it.
_fingerprint_cache: weakref.WeakKeyDictionary[Cassette, tuple[Fingerprint, ...]] = (
    weakref.WeakKeyDictionary()
)


def interaction_fingerprints(cassette: Cassette) -> tuple[Fingerprint, ...]:
    """One fingerprint per interaction, in recorded order. Read-only."""
    found = _fingerprint_cache.get(cassette)
    if found is None:
        found = tuple(
            interaction_fingerprint(interaction, parsed)
            for interaction, parsed in zip(cassette.interactions, _parsed(cassette), strict=True)
        )
        _fingerprint_cache[cassette] = found
    return found


def _parsed(cassette: Cassette) -> list[dict[str, Any] | None]:
    try:
        return [response.parsed for response in parsed_responses(cassette)]
    except CassetteFormatError:
        # A value of another type than the model's can break botocore's parser (a string
        # for a structure); that is drift to report, so fingerprint such responses raw.
        found: list[dict[str, Any] | None] = []
        for index, interaction in enumerate(cassette.interactions):
            try:
                found.append(parse_response(interaction, cassette.path, index).parsed)
            except CassetteFormatError:
                found.append(None)
        return found


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


# --- comparing -----------------------------------------------------------------


def _element_ancestors(path: str) -> Iterator[str]:
    """``a[*].b{*}.c`` -> ``a[*]``, ``a[*].b{*}``: the list items / map values it lies in."""
    for match in re.finditer(r"\[\*\]|\{\*\}", path):
        yield path[: match.end()]


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("[*]"), path.rfind("{*}"))
    return path[:cut] if cut > 0 else ""


def _ancestors(path: str) -> Iterator[str]:
    parent = _parent(path)
    while parent:
        yield parent
        parent = _parent(parent)


def compare(old: Fingerprint, new: Fingerprint) -> list[DriftFinding]:
    """Schema differences from ``old`` to ``new``, plus ``new`` against the installed model."""
    unknown = {(scope, path): type_name for scope, path, type_name in new.unknown}
    findings = _between(old, new, set(unknown)) if old.fields != new.fields else set()
    old_unknown = {(scope, path) for scope, path, _ in old.unknown}
    for (scope, path), type_name in unknown.items():
        note = "in the old recording too" if (scope, path) in old_unknown else None
        findings.add(DriftFinding(Kind.UNKNOWN_TO_MODEL, scope, path, note, type_name))
    typed = {(f.scope, f.path) for f in findings if f.kind is Kind.TYPE_CHANGED}
    for finding in _model_findings(new):
        if finding.kind is Kind.TYPE_CHANGED and (finding.scope, finding.path) in typed:
            continue  # already reported as a change between the recordings
        if finding.kind is Kind.NEW_ENUM_VALUE:
            # One finding per value: the model's note says more than "not seen before".
            findings.discard(
                DriftFinding(Kind.NEW_ENUM_VALUE, finding.scope, finding.path, None, finding.new)
            )
        findings.add(finding)
    return sorted(findings)


def _between(
    old: Fingerprint, new: Fingerprint, unknown: set[tuple[Scope, str]]
) -> set[DriftFinding]:
    """What deepdiff finds between two fingerprints, as findings."""
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: deepdiff >= 8 would report a dict sharing few keys
    # with its counterpart as one changed value, hiding every path inside it.
    tree = DeepDiff(*_differing(old.fields, new.fields), view="tree", threshold_to_diff_deeper=0)
    findings = set()
    for level in tree.get("values_changed", ()):
        keys = level.path(output_format="list")
        if len(keys) == 3 and keys[2] == "type":
            findings.add(DriftFinding(Kind.TYPE_CHANGED, keys[0], keys[1], level.t1, level.t2))
    for level in tree.get("set_item_added", ()):
        keys = level.path(output_format="list")
        if len(keys) >= 3 and keys[2] == "enum":
            findings.add(DriftFinding(Kind.NEW_ENUM_VALUE, keys[0], keys[1], None, str(level.t2)))
    retyped = {(f.scope.operation, f.scope.response, f.path) for f in findings}
    for kind, report in (
        (Kind.ADDED, "dictionary_item_added"),
        (Kind.REMOVED, "dictionary_item_removed"),
    ):
        entries = []
        for level in tree.get(report, ()):
            keys = level.path(output_format="list")
            if len(keys) == 2:  # a whole scope on one side only is not like with like
                entry = level.t2 if kind is Kind.ADDED else level.t1
                entries.append((keys[0], keys[1], entry["type"]))
        findings |= _subtree_roots(kind, entries, old, new, retyped=retyped, unknown=unknown)
    return findings


def _differing(
    old: Mapping[Scope, dict[str, dict[str, Any]]], new: Mapping[Scope, dict[str, dict[str, Any]]]
) -> tuple[dict[Scope, dict[str, Any]], dict[Scope, dict[str, Any]]]:
    """Only the paths that differ, in the scopes both sides have: what deepdiff needs to see.

    A scope on one side only is not compared (not like with like), and equal paths
    give no findings; leaving both out makes deepdiff's work proportional to the drift.
    """
    old_part: dict[Scope, dict[str, Any]] = {}
    new_part: dict[Scope, dict[str, Any]] = {}
    for scope in old.keys() & new.keys():
        before, after = old[scope], new[scope]
        if before == after:
            continue
        paths = [p for p in before.keys() | after.keys() if before.get(p) != after.get(p)]
        old_part[scope] = {p: before[p] for p in paths if p in before}
        new_part[scope] = {p: after[p] for p in paths if p in after}
    return old_part, new_part


def _subtree_roots(
    kind: Kind,
    entries: list[tuple[Scope, str, str]],
    old: Fingerprint,
    new: Fingerprint,
    *,
    retyped: set[tuple[str, str, str]],
    unknown: set[tuple[Scope, str]],
) -> set[DriftFinding]:
    """Added (or removed) paths worth a finding: the roots of what really appeared."""
    roots = {(s.operation, s.response, p) for s, p, _ in entries} | retyped
    findings = set()
    for scope, path, type_name in entries:
        if any((scope.operation, scope.response, a) in roots for a in _ancestors(path)):
            continue  # reported at the root of the subtree, or as its type change
        both = old.present(scope.operation, scope.response) & new.present(
            scope.operation, scope.response
        )
        if not all(e in both for e in _element_ancestors(path)):
            continue  # a list or map empty on one side hides its items' fields
        if path in model.page_tokens(scope.operation):
            continue  # there only when more pages follow
        if kind is Kind.ADDED and (scope, path) in unknown:
            continue  # reported as unknown-to-model, once
        old_type, new_type = (None, type_name) if kind is Kind.ADDED else (type_name, None)
        findings.add(DriftFinding(kind, scope, path, old_type, new_type))
    return findings


def _model_findings(fingerprint: Fingerprint) -> set[DriftFinding]:
    """Enum values and value types the installed model does not allow."""
    version = model.botocore_version()
    found = {
        DriftFinding(Kind.NEW_ENUM_VALUE, scope, path, f"not in botocore {version}", value)
        for scope, path, value in fingerprint.unmodelled_values
    }
    found.update(
        DriftFinding(Kind.TYPE_CHANGED, scope, path, f"{expected} in the model", seen)
        for scope, path, seen, expected in fingerprint.off_model
    )
    return found


def check_model(fp: Fingerprint) -> list[DriftFinding]:
    """A fingerprint against the installed botocore model alone."""
    findings = {
        DriftFinding(Kind.UNKNOWN_TO_MODEL, scope, path, None, type_name)
        for scope, path, type_name in fp.unknown
    }
    return sorted(findings | _model_findings(fp))


def never_observed(fp: Fingerprint) -> list[DriftFinding]:
    """Modelled fields no recording holds, whose parent some recording holds (information)."""
    service = model.service_model()
    found = []
    operations = sorted({s.operation for s in fp.fields if s.response == OK})
    for operation in operations:
        shape = service.operation_model(operation).output_shape
        if shape is None:
            continue
        present = fp.present(operation, OK)
        stack: list[tuple[str, Any]] = [("", shape)]
        while stack:
            path, node = stack.pop()
            for child_path, child in _children(path, node):
                if child_path in present:
                    stack.append((child_path, child))
                else:
                    found.append(DriftFinding(Kind.NEVER_OBSERVED, Scope(operation), child_path))
    return sorted(found)


def _children(path: str, shape: Any) -> Iterator[tuple[str, Any]]:
    if shape.type_name == "structure":
        prefix = f"{path}." if path else ""
        for name, member in shape.members.items():
            if not member.serialization.get("location"):  # headers and status are not fields
                yield f"{prefix}{name}", member
    elif shape.type_name == "list":
        yield f"{path}[*]", shape.member
    elif shape.type_name == "map":
        yield f"{path}{{*}}", shape.value


# --- ignore lists ----------------------------------------------------------------


@dataclass(frozen=True)
class IgnoreRule:
    """``[KIND] PATH``: drop findings of KIND (any, if omitted) at PATH or under it.

    ``*`` in PATH matches any characters; ``[*]`` and ``{*}`` are literal.
    """

    pattern: str
    kind: Kind | None = None

    def matches(self, finding: DriftFinding) -> bool:
        if self.kind is not None and finding.kind is not self.kind:
            return False
        return _path_regex(self.pattern).match(finding.path) is not None


@functools.lru_cache(maxsize=256)
def _path_regex(pattern: str) -> re.Pattern[str]:
    # Split on the literal "[*]" / "{*}" first, so only the other "*" are wildcards.
    pieces = re.split(r"(\[\*\]|\{\*\})", pattern)
    body = "".join(
        re.escape(piece) if piece in ("[*]", "{*}") else ".*".join(map(re.escape, piece.split("*")))
        for piece in pieces
    )
    return re.compile(rf"(?:{body})(?:$|[.\[{{].*)", re.DOTALL)


def parse_ignore(lines: Iterable[str], source: str = "jobrun_drift_ignore") -> list[IgnoreRule]:
    """Ignore rules from config lines: ``PATH`` or ``KIND PATH``; ``#`` starts a comment."""
    rules = []
    kinds = {k.value: k for k in Kind}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        words = text.split()
        if len(words) == 1:
            rules.append(IgnoreRule(words[0]))
        elif len(words) == 2 and words[0] in kinds:
            rules.append(IgnoreRule(words[1], kinds[words[0]]))
        else:
            raise ConfigError(
                source=f"{source}: {line.strip()!r}",
                problem="expected 'PATH' or 'KIND PATH'",
                valid="KIND is one of " + ", ".join(kinds) + "; e.g. 'added jobRun.tags'",
            )
    return rules


# --- reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class CassetteDrift:
    """The findings for one cassette (or pair): ``status`` says what was compared.

    ``compared``: both recordings; ``new``: only the new side exists (checked
    against the model); ``deleted``: only the old side exists; ``model``:
    checked against the installed model alone. ``old`` and ``new`` say where
    each side was read: a file path, or ``REF:path`` for a git ref.
    """

    name: str
    old: str | None
    new: str | None
    status: str
    findings: tuple[DriftFinding, ...] = ()

    def fails(self, fail_on: str = "additive") -> bool:
        """True if any finding is at or above ``fail_on`` (``never`` never fails)."""
        return _at_or_above(self.findings, fail_on)


@dataclass(frozen=True)
class DriftReport:
    """Everything ``replay-jobrun drift`` found; report.py renders it."""

    mode: str  # "recordings" or "model"
    old: str | None
    new: str
    cassettes: tuple[CassetteDrift, ...]
    never_observed: tuple[DriftFinding, ...] = ()
    ignored: int = 0
    botocore: str = field(default_factory=model.botocore_version)

    def findings(self) -> Iterator[tuple[CassetteDrift, DriftFinding]]:
        for cassette in self.cassettes:
            for finding in cassette.findings:
                yield cassette, finding

    def counts(self) -> dict[str, int]:
        """Findings per severity, never-observed fields included as info."""
        counts = {s.value: 0 for s in Severity}
        for _, finding in self.findings():
            counts[finding.severity.value] += 1
        counts[Severity.INFO.value] += len(self.never_observed)
        return counts

    def fails(self, fail_on: str = "additive") -> bool:
        """True if any finding is at or above ``fail_on`` (``never`` never fails)."""
        everything = [f for _, f in self.findings()] + list(self.never_observed)
        return _at_or_above(everything, fail_on)


def _at_or_above(findings: Iterable[DriftFinding], fail_on: str) -> bool:
    if drift_fail_on(fail_on, "fail_on") == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in findings)


# --- cassette sets -------------------------------------------------------------


@dataclass(frozen=True)
class CassetteSource:
    """Where a cassette of a set comes from: ``where`` for reports, ``load`` on demand."""

    where: str
    load: Callable[[], Cassette]


CassetteSet = Mapping[str, CassetteSource]
"""Cassettes by name: their path relative to the set's root (or the repository's)."""


def file_source(path: Path) -> CassetteSource:
    return CassetteSource(path.as_posix(), functools.partial(load_cassette, path))


def cassettes_at(path: str | os.PathLike[str]) -> dict[str, CassetteSource]:
    """A cassette file, or every ``*.yaml``/``*.yml`` under a folder, by relative name."""
    root = Path(path)
    if root.is_file():
        return {root.name: file_source(root)}
    if not root.is_dir():
        raise FileNotFoundError(2, "no such file or folder", str(root))
    return {
        file.relative_to(root).as_posix(): file_source(file)
        for file in sorted(root.rglob("*"))
        if file.suffix in (".yaml", ".yml") and file.is_file()
    }


def _kept(
    findings: Iterable[DriftFinding], ignore: Sequence[IgnoreRule]
) -> tuple[tuple[DriftFinding, ...], int]:
    all_findings = list(findings)
    kept = tuple(f for f in all_findings if not any(rule.matches(f) for rule in ignore))
    return kept, len(all_findings) - len(kept)


def compare_sets(
    old: CassetteSet,
    new: CassetteSet,
    *,
    old_label: str,
    new_label: str,
    ignore: Sequence[IgnoreRule] = (),
) -> DriftReport:
    """Drift between two sets of recordings paired by name, and of the new set against the model."""
    cassettes = []
    ignored = 0
    union = Fingerprint()
    for name in sorted(old.keys() | new.keys()):
        before = old.get(name)
        after = new.get(name)
        if after is None:
            assert before is not None
            cassettes.append(CassetteDrift(name, before.where, None, "deleted"))
            continue
        new_fp = fingerprint(after.load())
        union.update(new_fp)
        if before is not None:
            found, status = compare(fingerprint(before.load()), new_fp), "compared"
        else:
            found, status = check_model(new_fp), "new"
        kept, dropped = _kept(found, ignore)
        ignored += dropped
        where = before.where if before is not None else None
        cassettes.append(CassetteDrift(name, where, after.where, status, kept))
    info, dropped = _kept(never_observed(union), ignore)
    return DriftReport(
        "recordings", old_label, new_label, tuple(cassettes), info, ignored + dropped
    )


def check_sets(
    cassettes: CassetteSet, *, label: str, ignore: Sequence[IgnoreRule] = ()
) -> DriftReport:
    """Every cassette of a set against the installed botocore model."""
    results = []
    ignored = 0
    union = Fingerprint()
    for name in sorted(cassettes):
        source = cassettes[name]
        fp = fingerprint(source.load())
        union.update(fp)
        kept, dropped = _kept(check_model(fp), ignore)
        ignored += dropped
        results.append(CassetteDrift(name, None, source.where, "model", kept))
    info, dropped = _kept(never_observed(union), ignore)
    return DriftReport("model", None, label, tuple(results), info, ignored + dropped)


def compare_cassettes(
    old: Cassette, new: Cassette, ignore: Sequence[IgnoreRule] = ()
) -> CassetteDrift:
    """Drift between two recordings of one scenario (what the plugin runs on re-recording)."""
    kept, _ = _kept(compare(fingerprint(old), fingerprint(new)), ignore)
    return CassetteDrift(str(new.path), str(old.path), str(new.path), "compared", kept)


def drift(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    ignore: Iterable[str | IgnoreRule] = (),
) -> DriftReport:
    """Schema drift from the cassettes at ``old`` to those at ``new`` (two files or two folders).

    ``ignore`` takes rules or ignore-list lines (``PATH`` or ``KIND PATH``).
    """
    old_set, new_set = cassettes_at(old), cassettes_at(new)
    if Path(old).is_file() and Path(new).is_file():  # two files pair whatever their names
        old_set = {name: next(iter(old_set.values())) for name in new_set}
    return compare_sets(
        old_set,
        new_set,
        old_label=str(old),
        new_label=str(new),
        ignore=_rules(ignore),
    )


def drift_against_model(
    path: str | os.PathLike[str], *, ignore: Iterable[str | IgnoreRule] = ()
) -> DriftReport:
    """Schema drift of the cassettes at ``path`` against the installed botocore model."""
    return check_sets(cassettes_at(path), label=str(path), ignore=_rules(ignore))


def _rules(ignore: Iterable[str | IgnoreRule]) -> list[IgnoreRule]:
    items = list(ignore)
    rules = [r for r in items if isinstance(r, IgnoreRule)]
    return rules + parse_ignore(r for r in items if isinstance(r, str))
