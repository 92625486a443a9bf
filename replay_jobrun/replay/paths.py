"""``ignore_params`` paths: the syntax a mismatch message prints, plus wildcards, checked on the model.

A path starts with a param name and goes down as a mismatch message prints it
(``matching.differences``), so a user can copy the path from the message:

- ``jobDriver.sparkSubmitJobDriver.entryPoint``: members of structures;
- ``tags.team``: a key of a map; ``properties['spark.app.name']``: a key that is not
  a plain name (dots, slashes, spaces) goes in quotes, as Python writes a string;
- ``entryPointArguments[1]``: an item of a list.

Wildcards: ``[*]`` every item of a list, ``.*`` every key of a map (every member of
a structure), and ``*`` inside a quoted key any run of characters:
``configurationOverrides.applicationConfiguration[*].properties['spark.kubernetes.*']``.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import model

SYNTAX = (
    "a param name, then .member or .key, ['any key'] (quoted as Python quotes a string), "
    "[N] for a list item, and the wildcards .* (every key), [*] (every item) and * inside "
    "a quoted key (any characters), e.g. tags.*, "
    "configurationOverrides.applicationConfiguration[*].properties['spark.app.name']"
)

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_FIRST = re.compile(rf"(?P<name>{_NAME})")
_STEP = re.compile(
    rf"\.(?P<name>{_NAME})|\.(?P<dot_any>\*)|\[(?:(?P<index>\d+)|(?P<any>\*)|(?P<quoted>{_QUOTED}))\]"
)


class PathSyntaxError(ValueError):
    """A path that does not follow :data:`SYNTAX`; the message points at the place."""


@dataclass(frozen=True)
class Step:
    """One step down: a member or map key (``key``, maybe a ``*`` pattern), an item, or all."""

    key: str | None = None
    index: int | None = None
    pattern: re.Pattern[str] | None = None  # a quoted key with * in it

    @property
    def every(self) -> bool:
        return self.key is None and self.index is None and self.pattern is None

    def keys(self, target: Any) -> list[Any]:
        """The keys (or indexes) of ``target`` this step selects."""
        if isinstance(target, dict):
            if self.key is not None:
                return [self.key] if self.key in target else []
            if self.pattern is not None:
                return [k for k in target if isinstance(k, str) and self.pattern.fullmatch(k)]
            return list(target) if self.index is None else []
        if isinstance(target, list):
            if self.index is not None:
                return [self.index] if self.index < len(target) else []
            return list(range(len(target))) if self.every else []
        return []


@dataclass(frozen=True)
class ParamPath:
    """A parsed ``ignore_params`` path."""

    text: str
    steps: tuple[Step, ...]


@functools.lru_cache(maxsize=256)
def parse(text: str) -> ParamPath:
    """Parse one path; :class:`PathSyntaxError` names the place that does not follow the syntax."""
    first = _FIRST.match(text)
    if first is None:
        raise PathSyntaxError(_syntax_problem(text, 0, "a param name"))
    steps = [Step(key=first.group("name"))]
    position = first.end()
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None:
            raise PathSyntaxError(
                _syntax_problem(text, position, ".member, .*, [N], [*] or ['key']")
            )
        if step.group("name") is not None:
            steps.append(Step(key=step.group("name")))
        elif step.group("index") is not None:
            steps.append(Step(index=int(step.group("index"))))
        elif step.group("quoted") is not None:
            key = str(ast.literal_eval(step.group("quoted")))
            if "*" in key:
                pattern = ".*".join(re.escape(part) for part in key.split("*"))
                steps.append(Step(pattern=re.compile(pattern, re.DOTALL)))
            else:
                steps.append(Step(key=key))
        else:
            steps.append(Step())
        position = step.end()
    return ParamPath(text, tuple(steps))


def _syntax_problem(text: str, position: int, expected: str) -> str:
    return (
        f"{text!r}: expected {expected} at position {position}: {text[:position]}^{text[position:]}"
    )


# -- dropping ignored values ------------------------------------------------------------------

IGNORED = "(ignored)"
"""What an ignored list item becomes on both sides: the items after it keep their index."""


def drop(params: dict[str, Any], path: ParamPath) -> None:
    """Remove (in place) what ``path`` names from ``params``; paths that name nothing do nothing."""
    _drop(params, path.steps)


def _drop(target: Any, steps: tuple[Step, ...]) -> None:
    step, rest = steps[0], steps[1:]
    for key in step.keys(target):
        if rest:
            _drop(target[key], rest)
        elif isinstance(target, dict):
            del target[key]
        else:
            target[key] = IGNORED


# -- checking against the model ---------------------------------------------------------------


def problems(path: ParamPath, operations: Iterable[str]) -> list[str]:
    """Why ``path`` names nothing in the input of each operation; empty if it fits any of them."""
    found = []
    for operation in operations:
        shape = model.service_model().operation_model(operation).input_shape
        problem = _shape_problem(path.steps, shape, "")
        if problem is None:
            return []
        found.append(f"{operation}: {problem}")
    return found


def check(paths: Sequence[str], operations: Iterable[str]) -> list[tuple[str, list[str]]]:
    """``(path, problems)`` for every path that is malformed or fits none of ``operations``.

    No operation at all (an empty cassette) checks against every operation of the service.
    """
    operations = sorted(set(operations)) or list(model.service_model().operation_names)
    bad: list[tuple[str, list[str]]] = []
    for text in paths:
        try:
            parsed = parse(text)
        except PathSyntaxError as err:
            bad.append((text, [str(err)]))
            continue
        found = problems(parsed, operations)
        if found:
            bad.append((text, found))
    return bad


def _shape_problem(steps: tuple[Step, ...], shape: Any, where: str) -> str | None:
    if not steps:
        return None
    step, rest = steps[0], steps[1:]
    here = where or "the request"
    type_name = getattr(shape, "type_name", None)
    if type_name == "structure":
        members = shape.members
        if step.index is not None:
            return f"{here} is a structure, not a list: [{step.index}] names nothing"
        if step.key is not None:
            if step.key not in members:
                close = difflib.get_close_matches(step.key, list(members), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                return (
                    f"{here} has no member {step.key!r}{hint}; "
                    f"its members: {', '.join(members) or 'none'}"
                )
            return _shape_problem(rest, members[step.key], _joined(where, step.key))
        pattern = step.pattern
        chosen = [name for name in members if pattern is None or pattern.fullmatch(name)]
        if not chosen:
            return f"{here} has no member that matches; its members: {', '.join(members)}"
        inner = [_shape_problem(rest, members[name], _joined(where, name)) for name in chosen]
        return None if any(problem is None for problem in inner) else inner[0]
    if type_name == "map":
        if step.index is not None:
            return f"{here} is a map: use .key, ['key'] or .* for its keys, not [{step.index}]"
        return _shape_problem(rest, shape.value, f"{here}[key]")
    if type_name == "list":
        if step.index is None and not step.every:
            return f"{here} is a list: use [N] or [*] for its items, not a key"
        return _shape_problem(rest, shape.member, f"{here}[*]")
    return f"{here} is a {type_name or 'value'}: nothing is below it"


def _joined(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
