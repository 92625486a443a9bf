"""bodies.py: Content-Encoding undone within bounds, JSON depth measured without parsing."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.bodies import (
    MAX_BYTES_ENV,
    MAX_JSON_DEPTH,
    check_json_depth,
    decode_content,
    json_depth,
)
from replay_jobrun.cassette.format import Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.drift.fingerprint import interaction_fingerprint
from replay_jobrun.errors import CassetteBodyError
from replay_jobrun.scrub.scrubber import Scrubber

URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1"
DEEP = ('{"jobRun": {"id": "job1", "tags": ' + "[" * 5000 + "]" * 5000 + "}}").encode()


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}é \n'), max_size=6)
JSON = st.recursive(
    st.none() | st.integers() | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_json_depth_is_the_depth_of_the_parsed_value(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    """Brackets and escaped quotes inside strings do not count."""
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    assert json_depth(text) == _depth(value)


def test_a_body_nested_past_the_limit_is_refused_at_any_size() -> None:
    check_json_depth(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    check_json_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    for depth in (MAX_JSON_DEPTH + 1, 5000, 1_000_000):
        with pytest.raises(CassetteBodyError, match=f"its JSON nests {depth} levels deep"):
            check_json_depth(b"[" * depth + b"]" * depth)


def _deep_response() -> Interaction:
    return Interaction(
        RecordedRequest("GET", URI),
        RecordedResponse(200, "OK", {"Content-Type": ["application/json"]}, DEEP),
        "DescribeJobRun",
    )


def test_scrubbing_a_deep_body_not_from_a_file_fails_cleanly() -> None:
    """Live traffic while recording: scrub_json would recurse past the recursion limit."""
    with pytest.raises(CassetteBodyError, match="nests 5002 levels deep"):
        Scrubber().scrub_all([_deep_response()])


def test_fingerprinting_a_deep_body_not_from_a_file_fails_cleanly() -> None:
    with pytest.raises(CassetteBodyError, match="nests 5002 levels deep"):
        interaction_fingerprint(_deep_response(), None)


BODY = json.dumps({"jobRun": {"id": "job1", "state": "RUNNING"}}).encode()


@pytest.mark.parametrize(
    ("encoded", "coding"),
    [
        pytest.param(BODY, None, id="none"),
        pytest.param(BODY, "identity", id="identity"),
        pytest.param(gzip.compress(BODY), "GZIP", id="gzip-any-case"),
        pytest.param(zlib.compress(BODY), "deflate", id="deflate"),
        pytest.param(zlib.compress(zlib.compress(BODY)), "deflate, deflate", id="twice"),
        pytest.param(gzip.compress(zlib.compress(BODY)), "deflate, gzip", id="in-order"),
        pytest.param(gzip.compress(BODY) + b"\0\0", "gzip", id="zero-padding"),
    ],
)
def test_decode_content_undoes_what_urllib3_undoes(encoded: bytes, coding: str | None) -> None:
    assert decode_content(encoded, coding) == BODY


@pytest.mark.parametrize(
    ("encoded", "coding", "problem"),
    [
        pytest.param(gzip.compress(BODY) + b"junk", "gzip", r"4 byte\(s\) after", id="trailing"),
        pytest.param(zlib.compress(BODY)[:-8], "deflate", "truncated", id="deflate-truncated"),
        pytest.param(b"\x1f\x8b\x08garbage!", "gzip", "corrupt", id="gzip-garbage"),
        pytest.param(BODY, "zstd", "encoded as 'zstd'", id="zstd"),
        pytest.param(BODY, "compress", "encoded as 'compress'", id="compress"),
    ],
)
def test_decode_content_refuses_what_it_cannot_undo(
    encoded: bytes, coding: str, problem: str
) -> None:
    with pytest.raises(CassetteBodyError, match=problem):
        decode_content(encoded, coding)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compression_bomb_is_refused_without_inflating_it(
    coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MiB of zeros compress to ~64 KB; inflating stops one byte past the limit."""
    limit = 1024 * 1024
    monkeypatch.setenv(MAX_BYTES_ENV, str(limit))
    zeros = bytes(64 * 1024 * 1024)
    bomb = gzip.compress(zeros) if coding == "gzip" else zlib.compress(zeros)
    del zeros
    tracemalloc.start()
    try:
        with pytest.raises(CassetteBodyError, match=f"inflates to more than {limit} bytes"):
            decode_content(bomb, coding)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * limit


def test_the_scrubber_and_the_leak_scan_bound_a_gzip_body_without_its_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gzip with no Content-Encoding is inflated to be scrubbed and scanned, never past the limit."""
    from replay_jobrun.scrub.scan import scan_interactions

    limit = 1024 * 1024
    monkeypatch.setenv(MAX_BYTES_ENV, str(limit))
    bomb = gzip.compress(bytes(32 * 1024 * 1024))
    interaction = Interaction(
        RecordedRequest("GET", URI, {}, None),
        RecordedResponse(200, "OK", {"Content-Type": ["application/json"]}, bomb),
        "DescribeJobRun",
    )
    small = replace(interaction, response=replace(interaction.response, body=b"{}"))
    scan_interactions(Scrubber().scrub_all([small])[0])  # the model and the patterns, loaded
    tracemalloc.start()
    try:
        scrubbed, _ = Scrubber().scrub_all([interaction])
        scan_interactions(scrubbed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * limit
