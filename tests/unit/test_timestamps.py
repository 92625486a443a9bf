"""model.parse_timestamp: botocore's timestamp parsing, with a fast path that must not differ."""

from __future__ import annotations

import datetime

import pytest
from botocore.utils import parse_timestamp as botocore_parse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from replay_jobrun import model

MOMENTS = st.datetimes(
    min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(9999, 12, 30)
)
SUFFIXES = st.sampled_from(["Z", "z", "", "+00:00", "+02:00", "-0530", " UTC", "GMT"])


def _same(ours: datetime.datetime, theirs: datetime.datetime) -> None:
    assert ours == theirs
    assert ours.replace(tzinfo=None) == theirs.replace(tzinfo=None)
    assert type(ours.tzinfo) is type(theirs.tzinfo)
    assert ours.utcoffset() == theirs.utcoffset()


@settings(max_examples=500, deadline=None)
@given(MOMENTS, st.integers(min_value=0, max_value=9), SUFFIXES, st.sampled_from("T "))
@example(datetime.datetime(2026, 3, 22, 22, 9, 13), 0, "Z", "T")
@example(datetime.datetime(2026, 3, 22, 22, 9, 13, 123456), 6, "Z", "T")
@example(datetime.datetime(2026, 3, 22, 22, 9, 13, 100000), 1, "Z", "T")
def test_every_iso_string_parses_as_botocore_parses_it(
    moment: datetime.datetime, digits: int, suffix: str, separator: str
) -> None:
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}{'123'}"[:digits]
    text += suffix
    _same(model.parse_timestamp(text), botocore_parse(text))


@pytest.mark.parametrize(
    "value",
    [
        1774214571,
        1774214571.25,
        "1774214571",
        "Sun, 22 Mar 2026 22:09:13 GMT",
        "2026-02-30T00:00:00Z",
    ],
)
def test_other_forms_go_to_botocore(value: object) -> None:
    try:
        theirs = botocore_parse(value)
    except Exception as err:  # botocore's own error for what it cannot read
        with pytest.raises(type(err)):
            model.parse_timestamp(value)
        return
    _same(model.parse_timestamp(value), theirs)


def test_the_response_parser_reads_timestamps_with_it() -> None:
    assert model.response_parser()._timestamp_parser is model.parse_timestamp
