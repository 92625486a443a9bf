"""Which interactions of a cassette are attempts of one logical call that botocore retried.

botocore retries a throttled or failed call (429, 5xx) inside one client call:
every attempt is its own HTTP exchange, so vcrpy records each as an
interaction, while the code under test saw one call, with the last attempt's
outcome and ``ResponseMetadata.RetryAttempts``. Replay must serve the
attempts together, as that one call.

Where a cassette says so, in order of trust:

1. ``retries`` in the ``replay_jobrun`` block (what replay_jobrun writes): one entry
   per call that was retried or whose ResponseMetadata carried botocore's
   retry flags, ``{interactions: [i, j, ...]}`` in attempt order plus the
   flags (``MaxAttemptsReached: true``). The key is written by every
   recording, empty when nothing was retried: its presence is what says the
   grouping is known. Each attempt also keeps its ``amz-sdk-request:
   attempt=N; max=M`` header for readers.
2. ``amz-sdk-invocation-id`` headers (stock vcrpy and pytest-recording keep
   them): the same id on every attempt of one call.
3. Neither (cassettes recorded before retries were recorded): every
   interaction is its own call, as replay always did; an error followed by
   the same request is reported by :func:`unrecorded_retries` so that replay
   can warn instead of guessing.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import CassetteFormatError
from .format import METADATA_KEY, Cassette, Interaction, per_cassette

ATTEMPT_HEADER = "amz-sdk-request"
INVOCATION_HEADER = "amz-sdk-invocation-id"
METADATA_FIELD = "retries"
# The retry flags botocore's retry handlers put in a call's ResponseMetadata; the HTTP
# exchange cannot tell them, so a recording keeps them per call.
RETRY_FLAGS = ("MaxAttemptsReached", "RetryQuotaReached")

_ATTEMPT = re.compile(r"(?:^|;)\s*attempt=(\d+)")
_MAX = re.compile(r"(?:^|;)\s*max=(\d+)")
_FIX = (
    "re-record the cassette (pytest --jobrun-record-mode=all --jobrun-endpoint-url=URL), "
    f"or repair '{METADATA_KEY}.{METADATA_FIELD}' and the attempts' "
    f"'{ATTEMPT_HEADER}' headers by hand"
)


@dataclass(frozen=True)
class RecordedCall:
    """One logical call: the interactions of its attempts, in attempt order.

    The last interaction's response is what the caller got; ``flags`` are botocore's
    retry flags on its ResponseMetadata (``MaxAttemptsReached``), as recorded."""

    interactions: tuple[int, ...]
    flags: Mapping[str, bool] = field(default_factory=dict)

    @property
    def retry_attempts(self) -> int:
        """``ResponseMetadata.RetryAttempts`` as botocore set it: attempts minus one."""
        return len(self.interactions) - 1

    @property
    def first(self) -> int:
        return self.interactions[0]

    @property
    def last(self) -> int:
        return self.interactions[-1]

    def label(self, cassette: Cassette) -> str:
        """``#3: <label>`` for a call made once; ``#3-#5: ...`` (or ``#3,#5: ...``) for a
        retried one, with every attempt's status."""
        first = cassette.interactions[self.first]
        if len(self.interactions) == 1:
            return f"#{self.first}: {first.label}"
        numbers = ",".join(f"#{n}" for n in self.interactions)
        if self.interactions == tuple(range(self.first, self.last + 1)):
            numbers = f"#{self.first}-#{self.last}"
        statuses = ", ".join(
            str(cassette.interactions[n].response.status) for n in self.interactions
        )
        head = first.label.rsplit(" -> ", 1)[0]
        return f"{numbers}: {head} -> {statuses} (one call, {len(self.interactions)} attempts)"


def header(interaction: Interaction, name: str) -> str | None:
    """First value of a request header, case-insensitively."""
    wanted = name.lower()
    for key, values in interaction.request.headers.items():
        if key.lower() == wanted and values:
            return values[0]
    return None


def stable_attempt(value: str) -> str:
    """``amz-sdk-request`` without its ``ttl`` (a clock time that churns every recording)."""
    parts = [p.strip() for p in value.split(";")]
    return "; ".join(p for p in parts if p and not p.startswith("ttl="))


def attempt_number(interaction: Interaction) -> int | None:
    """The attempt an interaction was, from its ``amz-sdk-request`` header (None if absent)."""
    value = header(interaction, ATTEMPT_HEADER)
    found = _ATTEMPT.search(value) if value else None
    return int(found.group(1)) if found else None


def grouping_known(cassette: Cassette) -> bool:
    """Whether the cassette says which interactions are attempts of one call."""
    return cassette.metadata.get(METADATA_FIELD) is not None or any(
        header(i, INVOCATION_HEADER) for i in cassette.interactions
    )


def metadata_entries(calls: Sequence[RecordedCall]) -> list[dict[str, Any]]:
    """The ``retries`` metadata field for these calls: only those retried or flagged."""
    return [
        {"interactions": list(call.interactions), **dict(sorted(call.flags.items()))}
        for call in calls
        if len(call.interactions) > 1 or call.flags
    ]


def _error(cassette: Cassette, problem: str) -> CassetteFormatError:
    return CassetteFormatError(path=cassette.path, problem=problem, fix=_FIX)


def _from_metadata(cassette: Cassette, raw: Any) -> list[RecordedCall]:
    where = f"'{METADATA_KEY}.{METADATA_FIELD}'"
    shape = (
        f"{where} must be a list of {{interactions: [index, ...]}} mappings "
        f"(optionally with {' / '.join(RETRY_FLAGS)}: true)"
    )
    if not isinstance(raw, list):
        raise _error(cassette, f"{shape}, not {type(raw).__name__}")
    calls = []
    for number, entry in enumerate(raw):
        indices = entry.get("interactions") if isinstance(entry, Mapping) else None
        if (
            not isinstance(entry, Mapping)
            or not isinstance(indices, list)
            or not indices
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices)
            or set(entry) - {"interactions", *RETRY_FLAGS}
            or not all(isinstance(entry[f], bool) for f in RETRY_FLAGS if f in entry)
        ):
            raise _error(cassette, f"{shape}; entry {number} is {reprlib.repr(entry)}")
        flags = {f: bool(entry[f]) for f in RETRY_FLAGS if entry.get(f)}
        calls.append(RecordedCall(tuple(indices), flags))
    return calls


def calls_by_invocation(
    cassette: Cassette, start: int = 0, flags: Mapping[str, Mapping[str, bool]] | None = None
) -> list[RecordedCall]:
    """Interactions from ``start`` on grouped by their ``amz-sdk-invocation-id``.

    ``flags`` are botocore's retry flags per invocation id, as a recording saw them;
    without them (a stock vcrpy cassette) ``MaxAttemptsReached`` is inferred as botocore
    sets it: the last attempt failed and was attempt ``max``. Calls made once and
    unflagged are left out."""
    groups: dict[str, list[int]] = {}
    for index in range(start, len(cassette.interactions)):
        invocation = header(cassette.interactions[index], INVOCATION_HEADER)
        if invocation:
            groups.setdefault(invocation, []).append(index)
    calls = []
    for invocation, indices in groups.items():
        if flags is not None:
            found = dict(flags.get(invocation) or {})
        else:
            last = cassette.interactions[indices[-1]]
            limit = _MAX.search(header(last, ATTEMPT_HEADER) or "")
            exhausted = (
                last.response.status >= 300
                and limit is not None
                and attempt_number(last) == int(limit.group(1))
            )
            found = {"MaxAttemptsReached": True} if exhausted and len(indices) > 1 else {}
        if len(indices) > 1 or found:
            calls.append(RecordedCall(tuple(indices), found))
    return calls


def with_attempt_headers(
    written: Sequence[Interaction], source: Sequence[Interaction], calls: Sequence[RecordedCall]
) -> list[Interaction]:
    """``written`` (normalized: volatile headers dropped) with the ``amz-sdk-request`` header of
    ``source`` back on the attempts of retried calls, without its clock-time ``ttl``: a
    reader sees ``attempt=2; max=4`` where a call was retried, and nothing changes elsewhere."""
    out = list(written)
    for call in calls:
        if len(call.interactions) < 2:
            continue
        for index in call.interactions:
            value = header(source[index], ATTEMPT_HEADER)
            if value:
                request = out[index].request
                headers = {**request.headers, ATTEMPT_HEADER: [stable_attempt(value)]}
                headers = dict(sorted(headers.items(), key=lambda item: item[0].lower()))
                out[index] = replace(out[index], request=replace(request, headers=headers))
    return out


def _check(cassette: Cassette, calls: list[RecordedCall]) -> None:
    """Every call's attempts: real indices, in order, one call each, the same request,
    failures before the last, attempt numbers 1, 2, ... where the headers say them."""
    count = len(cassette.interactions)
    owner: dict[int, RecordedCall] = {}
    for call in calls:
        for index in call.interactions:
            if not 0 <= index < count:
                raise _error(
                    cassette,
                    f"a retried call names interaction #{index}, but the cassette holds "
                    f"{count} interaction(s)",
                )
            if index in owner:
                raise _error(cassette, f"interaction #{index} is an attempt of two calls")
            owner[index] = call
        if list(call.interactions) != sorted(call.interactions):
            raise _error(
                cassette,
                f"the attempts of one call, interactions {list(call.interactions)}, are not in "
                "recorded order",
            )
        first = cassette.interactions[call.first]
        for position, index in enumerate(call.interactions):
            attempt = cassette.interactions[index]
            if (attempt.operation, attempt.request.method, attempt.request.uri) != (
                first.operation,
                first.request.method,
                first.request.uri,
            ) or attempt.request.body != first.request.body:
                raise _error(
                    cassette,
                    f"interaction #{index} ({attempt.label}) is grouped as a retry of "
                    f"interaction #{call.first} ({first.label}), but its request differs: "
                    "botocore retries the same request",
                )
            if index != call.last and attempt.response.status < 300:
                raise _error(
                    cassette,
                    f"interaction #{index} ({attempt.label}) succeeded, yet interaction "
                    f"#{call.interactions[position + 1]} is grouped as its retry: botocore "
                    "retries failed attempts only",
                )
            number = attempt_number(attempt)
            if number is not None and len(call.interactions) > 1 and number != position + 1:
                raise _error(
                    cassette,
                    f"interaction #{index} ({attempt.label}) says {ATTEMPT_HEADER}: "
                    f"attempt={number}, but it is attempt {position + 1} of the call "
                    f"{list(call.interactions)}: attempt numbers are out of order",
                )
    for index, interaction in enumerate(cassette.interactions):
        number = attempt_number(interaction)
        grouped = owner.get(index)
        if number is not None and number > 1 and (grouped is None or grouped.first == index):
            raise _error(
                cassette,
                f"interaction #{index} ({interaction.label}) says {ATTEMPT_HEADER}: "
                f"attempt={number}, but no earlier attempt of that call is grouped with it",
            )


@per_cassette
def recorded_calls(cassette: Cassette) -> tuple[RecordedCall, ...]:
    """The logical calls of a cassette in the order they started, every interaction in
    exactly one. Checked once per loaded cassette; raises
    :class:`~replay_jobrun.errors.CassetteFormatError` for attempts that cannot be grouped."""
    raw = cassette.metadata.get(METADATA_FIELD)
    grouped = _from_metadata(cassette, raw) if raw is not None else calls_by_invocation(cassette)
    _check(cassette, grouped)
    by_first = {call.first: call for call in grouped}
    covered = {index for call in grouped for index in call.interactions}
    calls = [
        by_first.get(index) or RecordedCall((index,))
        for index in range(len(cassette.interactions))
        if index in by_first or index not in covered
    ]
    return tuple(calls)


@per_cassette
def unrecorded_retries(cassette: Cassette) -> tuple[tuple[int, int], ...]:
    """In a cassette that does not say how its calls were retried, each failed
    interaction followed at once by the same request: (failed, next) pairs.

    Such a pair may be one call botocore retried or two calls of code that retries
    by itself; nothing in the file tells which, so replay serves them apart (as it
    always did) and warns. Once per loaded cassette (replay asks on every test)."""
    if grouping_known(cassette):
        return ()
    found = []
    for index, (one, two) in enumerate(
        zip(cassette.interactions, cassette.interactions[1:], strict=False)
    ):
        if _retryable(one) and (
            one.operation,
            one.request.method,
            one.request.uri,
            one.request.body,
        ) == (two.operation, two.request.method, two.request.uri, two.request.body):
            found.append((index, index + 1))
    return tuple(found)


# What botocore's retry handlers retry on: throttling (429, or a throttling error code on
# a 400) and server errors. A 404 then the same request is a poller waiting for a job to
# exist, never a retry.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 509})


def _retryable(interaction: Interaction) -> bool:
    response = interaction.response
    if response.status in _RETRYABLE_STATUSES:
        return True
    if response.status != 400:
        return False
    kind = " ".join(
        value
        for name, values in response.headers.items()
        if name.lower() == "x-amzn-errortype"
        for value in values
    )
    return "Throttl" in kind or b"Throttl" in response.body
