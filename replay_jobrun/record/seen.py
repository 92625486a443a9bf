"""Fields the code under test saw live that the written cassette holds scrubbed.

A test that passes while recording should pass on replay. When scrubbing
replaced a value inside a response the code was given (a bucket name quoted in
``stateDetails``, a tag value), an assertion on that value passes live and fails
on replay. The recording run names such fields and the scrub rule that changed
each, never their values.

Live responses are paired with the written ones per operation, in order; a
field counts when the two differ and the live value holds something a scrub
rule replaced, so a pairing that is off (calls from threads) cannot report a
field scrubbing did not touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Kinds whose notes are not values a response can hold (credential header names).
_NOT_VALUES = frozenset({"credential header"})


@dataclass(frozen=True, order=True)
class ScrubbedField:
    """A response field the code under test saw with a value the cassette replaced."""

    operation: str
    path: str
    rules: tuple[str, ...]
    """The scrub rules (kinds, as in the scrub report) whose originals the value held."""

    def __str__(self) -> str:
        return f"{self.operation} {self.path}: {', '.join(self.rules)}"


def scrubbed_fields(
    live: Iterable[tuple[str, Any]],
    written: Iterable[tuple[str, Any]],
    originals: Mapping[str, Iterable[str]],
) -> list[ScrubbedField]:
    """Fields of ``live`` responses whose value differs in ``written``, by scrubbing.

    ``live`` and ``written`` are ``(operation, parsed response)`` pairs in call order;
    ``originals`` maps each scrub kind to the values it replaced (a ScrubReport's
    ``distinct``). One entry per operation and path, whatever the number of calls.
    """
    values = {
        kind: sorted(found, key=len, reverse=True)
        for kind, found in originals.items()
        if kind not in _NOT_VALUES and found
    }
    if not values:
        return []
    queues: dict[str, list[Any]] = {}
    for operation, parsed in written:
        queues.setdefault(operation, []).append(parsed)
    taken: dict[str, int] = {}
    found: dict[tuple[str, str], set[str]] = {}
    for operation, parsed in live:
        queue = queues.get(operation, [])
        position = taken.get(operation, 0)
        taken[operation] = position + 1
        counterpart = queue[position] if position < len(queue) else None
        for path, value in _differing_leaves("", parsed, counterpart):
            if path.startswith("ResponseMetadata"):
                continue  # request ids and headers: not what a test asserts on
            kinds = {kind for kind, seen in values.items() if any(o in value for o in seen)}
            if kinds:
                found.setdefault((operation, path), set()).update(kinds)
    return sorted(
        ScrubbedField(operation, path, tuple(sorted(kinds)))
        for (operation, path), kinds in found.items()
    )


def _differing_leaves(path: str, live: Any, written: Any) -> Iterator[tuple[str, str]]:
    """``(path, live text)`` of each string leaf of ``live`` that ``written`` holds otherwise."""
    if isinstance(live, dict):
        other = written if isinstance(written, dict) else {}
        for key, value in live.items():
            yield from _differing_leaves(_joined(path, key), value, other.get(key))
    elif isinstance(live, (list, tuple)):
        others: Sequence[Any] = written if isinstance(written, (list, tuple)) else ()
        for index, value in enumerate(live):
            yield from _differing_leaves(
                f"{path}[{index}]", value, others[index] if index < len(others) else None
            )
    elif isinstance(live, str) and live != written:
        yield path, live


def _joined(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
