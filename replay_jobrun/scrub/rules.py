"""Extra scrub rules: regex → replacement, field path → replacement, keep.

Rules are small values built by three factories (:func:`regex`,
:func:`field`, :func:`keep`), from ini lines (:func:`parse_line`) or from a
``module:attribute`` spec (:func:`load_rules`), and handed to
:class:`~replay_jobrun.scrub.Scrubber`. They run after the built-in rules,
which they extend but cannot switch off: a keep rule spares a field the
model-driven redaction, never the account-id, access-key or credential
rules.

Field paths are the JSON keys of a request or response body joined by dots,
with list items left out and map keys included: ``jobRun.name``,
``jobRun.tags.owner``, ``jobDriver.sparkSubmitJobDriver.entryPoint``. A path
may use ``*`` (any characters, dots included); a bare name without dots or
``*`` matches that key at any depth.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..errors import ConfigError, ScrubRuleError

Replacement = str | Callable[[str], str]
DEFAULT_REPLACEMENT = "REDACTED"
_ARROW = "->"


@dataclass(frozen=True)
class RegexRule:
    """Replace every match of ``pattern`` in any text of an interaction."""

    pattern: re.Pattern[str]
    replacement: Replacement = DEFAULT_REPLACEMENT

    def apply(self, text: str) -> tuple[str, int]:
        """The text with every match replaced, and how many there were.

        A replacement that raises (or returns no string) raises :class:`ScrubRuleError`
        naming this rule, never the text it was applied to."""
        replacement = self.replacement
        try:
            if callable(replacement):
                function = replacement
                return self.pattern.subn(lambda m: _checked(function(m.group(0)), self), text)
            return self.pattern.subn(lambda m: m.expand(replacement), text)
        except ScrubRuleError:
            raise
        except Exception as err:
            # from None: the original message may quote the value (int('s3cr3t')).
            raise ScrubRuleError(rule=describe(self), error=type(err).__name__) from None


@dataclass(frozen=True)
class FieldRule:
    """Replace the value of the body fields at ``path`` (every string beneath it)."""

    path: str
    replacement: Replacement = DEFAULT_REPLACEMENT

    def replace(self, value: str) -> str:
        """The replacement of ``value``; :class:`ScrubRuleError` (naming this rule, not the
        value) if a replacement function raises or returns no string."""
        if not callable(self.replacement):
            return self.replacement
        try:
            return _checked(self.replacement(value), self)
        except ScrubRuleError:
            raise
        except Exception as err:
            raise ScrubRuleError(rule=describe(self), error=type(err).__name__) from None


@dataclass(frozen=True)
class KeepRule:
    """Leave the fields at ``path`` as recorded by the model-driven redaction."""

    path: str


@dataclass(frozen=True)
class KeepValueRule:
    """Leave this exact value (a bucket name, an e-mail address, a token that only looks
    random) as recorded by the text pass, wherever it appears."""

    value: str


def _checked(replaced: object, rule: RegexRule | FieldRule) -> str:
    if not isinstance(replaced, str):
        problem = f"returned {type(replaced).__name__}, not a string"
        raise ScrubRuleError(rule=describe(rule), error=problem)
    return replaced


def describe(rule: RegexRule | FieldRule) -> str:
    """A rule as its user wrote it: pattern or path, and the replacement (a function by
    its qualified name); never a value it was applied to."""
    replacement = rule.replacement
    if callable(replacement):
        module = getattr(replacement, "__module__", None) or "?"
        name = getattr(replacement, "__qualname__", None) or type(replacement).__name__
        shown = f"{module}.{name}"
    else:
        shown = repr(replacement)
    if isinstance(rule, RegexRule):
        return f"regex({rule.pattern.pattern!r}, {shown})"
    return f"field({rule.path!r}, {shown})"


Rule = RegexRule | FieldRule | KeepRule | KeepValueRule
RULE_TYPES = (RegexRule, FieldRule, KeepRule, KeepValueRule)
_RULE_FACTORIES = "values made by replay_jobrun.rules.regex(), field(), keep() or keep_value()"


def regex(
    pattern: str | re.Pattern[str], replacement: Replacement = DEFAULT_REPLACEMENT
) -> RegexRule:
    """A text rule: ``regex(r"team-[a-z]+", "team-x")``; a string replacement may use ``\\1``."""
    return RegexRule(re.compile(pattern) if isinstance(pattern, str) else pattern, replacement)


def field(path: str, replacement: Replacement = DEFAULT_REPLACEMENT) -> FieldRule:
    """A field rule: ``field("jobRun.name", "job")`` or ``field("*.owner", my_function)``."""
    return FieldRule(_checked_path(path), replacement)


def keep(path: str) -> KeepRule:
    """A keep rule: ``keep("jobRun.tags.team")`` leaves that tag value readable."""
    return KeepRule(_checked_path(path))


# Never kept: the leak scan refuses them in any cassette, kept or not.
_UNKEEPABLE = re.compile(r"\d{12}|(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}")


def keep_value(value: str) -> KeepValueRule:
    """A keep rule for one value: ``keep_value("my-test-bucket")`` leaves that bucket name
    readable wherever it appears. Account ids and access key ids cannot be kept."""
    if not isinstance(value, str) or not value.strip() or value.strip() != value:
        raise ConfigError(
            source="scrub rule",
            problem=f"{value!r} is not a value to keep",
            valid="a non-empty string without surrounding white space, e.g. my-test-bucket",
        )
    if _UNKEEPABLE.fullmatch(value):
        raise ConfigError(
            source="scrub rule",
            problem=f"{value[:4]}... looks like an account id or an access key id, "
            "which no cassette may hold",
            valid="a bucket name, an e-mail address or a token that only looks random",
        )
    return KeepValueRule(value)


def _checked_path(path: str) -> str:
    if (
        not path
        or path.strip() != path
        or ".." in path
        or path.startswith(".")
        or path.endswith(".")
    ):
        raise ConfigError(
            source="scrub rule",
            problem=f"{path!r} is not a field path",
            valid="JSON keys joined by dots, e.g. jobRun.tags.owner, *.entryPoint, or a bare key",
        )
    return path


class PathMatcher:
    """Which of some path patterns a body path matches."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._regexes = [
            re.compile(rf"(?:.*\.)?{re.escape(p)}\Z")
            if "." not in p and "*" not in p
            else re.compile(fnmatch.translate(p))
            for p in self.patterns
        ]

    def __bool__(self) -> bool:
        return bool(self._regexes)

    def match(self, path: str) -> int | None:
        """Index of the first pattern that matches the whole path, or None."""
        for index, pattern in enumerate(self._regexes):
            if pattern.match(path):
                return index
        return None


def parse_line(line: str, kind: str) -> Rule:
    """An ini line: ``PATTERN -> REPLACEMENT`` (kind ``regex``), ``PATH -> REPLACEMENT``
    (kind ``field``), ``PATH`` (kind ``keep``) or ``VALUE`` (kind ``keep_value``). The
    replacement defaults to REDACTED."""
    text, _, replacement = (part.strip() for part in line.partition(_ARROW))
    replacement = replacement or DEFAULT_REPLACEMENT
    if kind == "keep":
        return keep(line.strip())
    if kind == "keep_value":
        return keep_value(line.strip())
    if kind == "field":
        return field(text, replacement)
    try:
        return regex(text, replacement)
    except re.error as err:
        raise ConfigError(
            source="jobrun_scrub_regex",
            problem=f"{text!r} is not a regular expression: {err}",
            valid="a Python regular expression, then ' -> ', then the replacement",
        ) from None


def parse_lines(
    regexes: Iterable[str],
    fields: Iterable[str],
    keeps: Iterable[str],
    keep_values: Iterable[str] = (),
) -> list[Rule]:
    """The rules of the ``jobrun_scrub_regex``, ``jobrun_scrub_fields``, ``jobrun_scrub_keep``
    and ``jobrun_scrub_keep_values`` ini options, in that order; blank lines are skipped."""
    rules: list[Rule] = []
    kinds = (("regex", regexes), ("field", fields), ("keep", keeps), ("keep_value", keep_values))
    for kind, lines in kinds:
        rules.extend(parse_line(line, kind) for line in lines if line.strip())
    return rules


def load_rules(spec: str) -> list[Rule]:
    """Rules from ``package.module:attribute``: a list of rules, or a function returning one."""
    module_name, _, attribute = spec.partition(":")
    valid = "package.module:attribute, naming a list of rules or a function that returns one"
    if not module_name or not attribute:
        raise ConfigError(source="scrub rules", problem=f"{spec!r} has no ':'", valid=valid)
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ConfigError(
            source="scrub rules", problem=f"cannot load {spec!r}: {err}", valid=valid
        ) from err
    rules = list(value() if callable(value) else value)
    for rule in rules:
        if not isinstance(rule, RULE_TYPES):
            raise ConfigError(
                source=f"scrub rules {spec}",
                problem=f"{rule!r} is not a rule",
                valid=_RULE_FACTORIES,
            )
    return rules
