"""Schema drift of one pair: fingerprints (fingerprint.py) of two recordings compared by deepdiff.

Two recordings of one scenario have equal fingerprints; what differs is drift.
A field seen under a job state on one side only is not compared (a RUNNING
recording against a COMPLETED one is not drift). deepdiff's tree view computes the differences between two fingerprints; this
module turns its paths into findings. Walking a response against the
installed botocore model also finds what that botocore does not know:
fields it would drop, enum values it does not list, values of another type
than the model says.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .. import model
from ..cassette.format import Cassette
from ..errors import ConfigError
from ..options import DRIFT_FAIL_ON, drift_fail_on
from .fingerprint import OK, Fingerprint, Scope, fingerprint


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

    def fails(self, fail_on: str = "additive") -> bool:
        """True if this finding is at or above ``fail_on`` (``never`` never fails)."""
        return _at_or_above((self,), fail_on)

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
    between = {(f.kind, f.scope, f.path) for f in findings}
    for finding in _model_findings(new, old):
        if (finding.kind, finding.scope, finding.path) in between:
            continue  # already reported as a change between the recordings
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
    # No finding from enum values one recording has and the other lacks: a value the
    # installed model lists is one AWS may send any day (DISABLED after ENABLED), and
    # one it does not list is reported against the model (_model_findings), once.
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
    on_both_sides: dict[tuple[str, str], set[str]] = {}
    findings = set()
    for scope, path, type_name in entries:
        if any((scope.operation, scope.response, a) in roots for a in _ancestors(path)):
            continue  # reported at the root of the subtree, or as its type change
        key = (scope.operation, scope.response)
        if key not in on_both_sides:
            on_both_sides[key] = old.present(*key) & new.present(*key)
        if not all(e in on_both_sides[key] for e in _element_ancestors(path)):
            continue  # a list or map empty on one side hides its items' fields
        if path in model.page_tokens(scope.operation):
            continue  # there only when more pages follow
        if kind is Kind.ADDED and (scope, path) in unknown:
            continue  # reported as unknown-to-model, once
        old_type, new_type = (None, type_name) if kind is Kind.ADDED else (type_name, None)
        findings.add(DriftFinding(kind, scope, path, old_type, new_type))
    return findings


def _model_findings(fingerprint: Fingerprint, old: Fingerprint | None = None) -> set[DriftFinding]:
    """Enum values and value types the installed model does not allow.

    A new enum value is a value the installed model does not list for its field,
    whatever the older recording held (noted when it held that value too).
    """
    version = model.botocore_version()
    before = old.unmodelled_values if old is not None else set()
    found = {
        DriftFinding(
            Kind.NEW_ENUM_VALUE,
            scope,
            path,
            f"not in botocore {version}"
            + ("; in the old recording too" if (scope, path, value) in before else ""),
            value,
        )
        for scope, path, value in fingerprint.unmodelled_values
    }
    found.update(
        DriftFinding(Kind.TYPE_CHANGED, scope, path, f"{expected} in the model", seen)
        for scope, path, seen, expected in fingerprint.off_model
    )
    # A 2xx response without what its operation always returns, or whose body is
    # no JSON object at all: what the code under test reads is gone.
    found.update(
        DriftFinding(Kind.REMOVED, scope, path, "always returned per the model")
        for scope, path in fingerprint.missing
    )
    found.update(
        DriftFinding(Kind.TYPE_CHANGED, scope, "", "a JSON object in the model", problem)
        for scope, problem in fingerprint.bad_body
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


def pair_drift(
    before: Fingerprint | None, after: Fingerprint, *, alone: str, ignore: Sequence[IgnoreRule]
) -> tuple[str, tuple[DriftFinding, ...], int]:
    """(status, findings kept, how many ignored) of one pair of a set.

    ``compared`` when there is an old side; else the new side against the model
    alone, with status ``alone``.
    """
    if before is not None:
        status, found = "compared", compare(before, after)
    else:
        status, found = alone, check_model(after)
    return (status, *kept_findings(found, ignore))


def kept_findings(
    findings: Iterable[DriftFinding], ignore: Sequence[IgnoreRule]
) -> tuple[tuple[DriftFinding, ...], int]:
    """(the findings no ignore rule matches, how many were ignored)."""
    all_findings = list(findings)
    kept = tuple(f for f in all_findings if not any(rule.matches(f) for rule in ignore))
    return kept, len(all_findings) - len(kept)


def compare_cassettes(
    old: Cassette, new: Cassette, ignore: Sequence[IgnoreRule] = ()
) -> CassetteDrift:
    """Drift between two recordings of one scenario (what the plugin runs on re-recording)."""
    kept, _ = kept_findings(compare(fingerprint(old), fingerprint(new)), ignore)
    return CassetteDrift(str(new.path), str(old.path), str(new.path), "compared", kept)
