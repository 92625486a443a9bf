"""The fingerprint's fast paths give what the parser-driven walk gives.

``interaction_fingerprints`` walks a response's JSON alone and runs botocore's
parser only where that walk finds a value off the model; ``_timestamp`` checks
ISO-8601 strings without dateutil. Both must be invisible: every fingerprint
equals the one walked alongside botocore's parse, as drift did before.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.utils import parse_timestamp

from replay_jobrun.cassette.format import Cassette, Interaction, load_cassette
from replay_jobrun.cassette.parsed import parse_response
from replay_jobrun.drift.fingerprint import (
    Fingerprint,
    _timestamp,
    _value_type,
    interaction_fingerprint,
    interaction_fingerprints,
)
from replay_jobrun.errors import CassetteFormatError
from tests.drift.labelled import COMPLETED_1, corpus, real, respond
from tests.support import CASSETTES


def _parser_driven(cassette: Cassette) -> list[Fingerprint]:
    """Every interaction walked alongside botocore's parse of it (None where that fails)."""
    found = []
    for index, interaction in enumerate(cassette.interactions):
        try:
            parsed: dict[str, Any] | None = parse_response(interaction, cassette.path, index).parsed
        except CassetteFormatError:
            parsed = None
        found.append(interaction_fingerprint(interaction, parsed))
    return found


def _cassettes() -> Iterator[tuple[str, Cassette]]:
    for path in sorted(CASSETTES.rglob("*.yaml")):
        yield path.relative_to(CASSETTES).as_posix(), load_cassette(path)
    for pair in corpus():
        yield f"{pair.category}/{pair.name} old", pair.old
        yield f"{pair.category}/{pair.name} new", pair.new


CASSETTE_LIST = list(_cassettes())


@pytest.mark.parametrize(("name", "cassette"), CASSETTE_LIST, ids=[n for n, _ in CASSETTE_LIST])
def test_each_fingerprint_equals_the_parser_driven_one(name: str, cassette: Cassette) -> None:
    assert list(interaction_fingerprints(cassette)) == _parser_driven(cassette)


def test_the_corpus_takes_both_paths() -> None:
    # Some responses are off the model (coerced strings, nulls, broken timestamps):
    # those must have gone through the parser, and still compared equal above.
    quick = off_model = 0
    for _, cassette in CASSETTE_LIST:
        for one in _parser_driven(cassette):
            if one.off_model:
                off_model += 1
            else:
                quick += 1
    assert quick > 100
    assert off_model > 5


def _with_body(body: Any) -> Cassette:
    base = real(COMPLETED_1)
    interaction: Interaction = respond(base.interactions[0], body)
    return Cassette(base.path, (interaction,), base.metadata, base.foreign_metadata)


def _job(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(real(COMPLETED_1).interactions[0].response.decoded_body())
    body["jobRun"].update(changes)
    return body


@pytest.mark.parametrize(
    "changes",
    [
        {"createdAt": "2026-03-22T22:09:13Z"},
        {"createdAt": "2026-03-22T22:09:13.123456789+02:00"},
        {"createdAt": "2026-02-30T22:09:13Z"},  # no such day: botocore cannot parse it
        {"createdAt": "Sun, 22 Mar 2026 22:09:13 GMT"},  # RFC 822: dateutil does
        {"createdAt": "1774217353"},  # epoch seconds as a string
        {"createdAt": 1774217353.25},
        {"createdAt": None},
        {"retryPolicyConfiguration": {"maxAttempts": "2"}},  # coerced to 2 by botocore
        {"retryPolicyConfiguration": {"maxAttempts": 2.5}},
        {"retryPolicyConfiguration": "2"},  # a string for a structure: the parse fails
        {"tags": {"a": 1}},
        {"state": 7},
        {"somethingNew": {"nested": [1, "x"]}},
    ],
    ids=repr,
)
def test_an_odd_value_fingerprints_as_the_parser_driven_walk_says(changes: Any) -> None:
    cassette = _with_body(_job(**changes))
    assert list(interaction_fingerprints(cassette)) == _parser_driven(cassette)


def _iso_strings() -> Iterator[str]:
    rng = random.Random(5)
    for _ in range(100):
        moment = datetime.datetime(2000, 1, 1) + datetime.timedelta(
            seconds=rng.randrange(0, 40 * 365 * 86400), microseconds=rng.randrange(10**6)
        )
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        fraction = rng.choice(["", ".1", ".123", f".{moment.microsecond:06d}", ".123456789"])
        zone = rng.choice(["", "Z", "+00:00", "-07:30", "+14:00"])
        yield text + fraction + zone
    yield from [
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:59:60Z",
        "2026-01-01T23:60:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00.Z",
        "2026-01-01 00:00:00Z",
        "2026-01-01",
        "not a date",
        "",
    ]


@pytest.mark.parametrize("text", list(_iso_strings()))
def test_a_timestamp_string_parses_exactly_when_botocore_parses_it(text: str) -> None:
    try:
        parse_timestamp(text)
        botocore_parses = True
    except (ValueError, TypeError, OverflowError):
        botocore_parses = False
    assert isinstance(_timestamp(text), datetime.datetime) == botocore_parses


class _Str(str):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (3, "integer"),
        (2.5, "float"),
        ("x", "string"),
        (datetime.datetime(2026, 1, 1), "timestamp"),
        (b"x", "blob"),
        ({}, "object"),
        ([], "list"),
        (_Str("x"), "string"),
        (_Dict(), "object"),
        (datetime.date(2026, 1, 1), "date"),
    ],
)
def test_value_types_of_exact_types_and_subclasses(value: Any, name: str) -> None:
    assert _value_type(value) == name
