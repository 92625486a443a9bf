"""emit.py and pretty_json: what dump_cassette writes is byte for byte what libyaml and
json.dumps write, on awkward values as on ordinary ones."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.format import (
    _emitter,
    _yaml,
    dump_cassette,
    parse_cassette,
    pretty_json,
)
from tests.support import CASSETTES

pytestmark = pytest.mark.skipif(
    not yaml.__with_libyaml__, reason="the template writer stands in for libyaml only"
)

# Pieces that decide libyaml's scalar style: indicators first or inside, things that read
# back as another type, quotes, spaces (folding), line breaks, non-ASCII and non-printables.
PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "0",
        "12",
        "1.5",
        "0x1F",
        "-",
        "--",
        "---",
        "...",
        ".",
        "?",
        ":",
        ": ",
        " :",
        "#",
        " #",
        "# ",
        ",",
        "[",
        "]",
        "{",
        "}",
        "&",
        "*",
        "!",
        "|",
        ">",
        "'",
        '"',
        "%",
        "@",
        "`",
        "=",
        "<<",
        "~",
        "/",
        "\\",
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        "\x7f",
        "\x85",
        "\u2028",
        "é",
        "\ufeff",
        "true",
        "no",
        "null",
        "NULL",
        "2026-03-22",
        "2026-03-22T10:00:00Z",
        "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc/jobruns/j?x=1#y",
        "x" * 60,
        "word " * 12,
    ]
)
# Any of them (mostly written by libyaml), or only one-line printable ASCII ones (mostly
# written from the template, which has to get every style decision right).
ANY_TEXT = st.lists(PIECES, max_size=12).map("".join)
ASCII_TEXT = st.lists(
    PIECES.filter(lambda piece: piece.isascii() and piece.isprintable()), max_size=6
).map("".join)


def _json_body(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A JSON body as the recorder writes it, sometimes with a value that stretches a line."""
    values = st.one_of(text, st.integers(), st.none(), st.lists(text, max_size=2))
    return st.dictionaries(text, values, max_size=4).map(
        lambda value: json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


@st.composite
def documents(draw: Any, text: st.SearchStrategy[str], odd: bool = True) -> dict[str, Any]:
    """Cassette documents in to_vcr_dict's layout, with awkward scalars everywhere
    (``odd``: also binary bodies and headers without values, which the template leaves
    to libyaml)."""
    body = st.one_of(st.none(), text, _json_body(text), *[st.binary(max_size=20)] * odd)
    headers = st.dictionaries(
        text, st.lists(text, min_size=0 if odd else 1, max_size=2), max_size=3
    )
    interactions = [
        {
            "request": {
                "method": draw(st.sampled_from(["GET", "POST", "get", "null"])),
                "uri": draw(text),
                "headers": draw(headers),
                "body": draw(body),
            },
            "response": {
                "status": {
                    "code": draw(st.integers(-1, 999)),
                    "message": draw(st.one_of(st.just("OK"), text)),
                },
                "headers": draw(headers),
                "body": {"string": draw(body.filter(lambda b: b is not None))},
            },
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    document: dict[str, Any] = {"version": 1}
    if draw(st.booleans()):
        document["replay_jobrun"] = {"pseudonyms": draw(st.lists(text, max_size=3))}
    document["interactions"] = interactions
    return document


@settings(max_examples=300, deadline=None)
@given(st.one_of(documents(ASCII_TEXT, odd=False), documents(ASCII_TEXT), documents(ANY_TEXT)))
@example({"version": 1, "interactions": []})
@example({"version": 1, "metadata": {"x": "tail\n\n"}, "interactions": []})
@example(  # a key longer than 128 characters is written as an explicit "? " key, not a value
    {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": "https://" + "u" * 300,  # a long value stays on its line
                    "headers": {"x" * 129: ["v" * 200]},
                    "body": None,
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": ""},
                },
            }
        ],
    }
)
def test_the_template_writer_writes_what_libyaml_writes(document: dict[str, Any]) -> None:
    emitter = _emitter()
    assert emitter is not None
    assert emitter.document(document) == _yaml(document)


# Every first character libyaml treats as an indicator, then each rule of its scalar
# analysis at its edge, and spaces that bring a line to the width from every column.
INDICATORS = "#,[]{}&*!|>'\"%@`-?:=~<."
TRICKY = sorted(
    {
        *(c + "x" for c in INDICATORS),
        *("x" + c + "y" for c in INDICATORS),
        *("x" + c for c in INDICATORS),
        *(c + " x" for c in INDICATORS),
        *INDICATORS,
        "a: b",
        "a:b",
        "a :b",
        "a #b",
        "a# b",
        " x",
        "x ",
        "x  y",
        "---x",
        "...x",
        "--x",
        "..x",
        "it's",
        "''",
        "0",
        "007",
        "1e3",
        "0o17",
        ".5",
        "+1",
        "-1",
        ".inf",
        "true",
        "Yes",
        "off",
        "~",
        "null",
        "Null",
        "2026-03-22",
        "<<",
        *("word " * (n // 5) + "w" * (n % 5) for n in range(60, 100)),
    }
)


def _one_interaction(**slots: Any) -> dict[str, Any]:
    """A document of one interaction, ``slots`` in place of its ordinary values."""
    request = {"method": "GET", "uri": "u", "headers": {"H": ["v"]}, "body": None}
    status = {"code": 200, "message": "OK"}
    headers = {"H": ["v"]}
    for name, value in slots.items():
        target = {"method": request, "uri": request, "body": request, "message": status}
        if name in target:
            target[name][name] = value
        elif name == "request_header":
            request["headers"] = {value: [value]}
        elif name == "response_header":
            headers = {"Name": [value]}
    response = {"status": status, "headers": headers, "body": {"string": "x"}}
    return {"version": 1, "interactions": [{"request": request, "response": response}]}


@pytest.mark.parametrize(
    "slot", ["method", "uri", "body", "message", "request_header", "response_header"]
)
def test_every_tricky_scalar_in_every_place_is_written_as_libyaml_writes_it(slot: str) -> None:
    emitter = _emitter()
    assert emitter is not None
    for value in TRICKY:
        document = _one_interaction(**{slot: value})
        assert emitter.document(document) == _yaml(document), value


def test_a_block_kept_with_its_trailing_lines_makes_libyaml_write_the_whole_document() -> None:
    # libyaml ends such a stream with "...": only a whole-document dump puts it in its place.
    plain = {"request": {"method": "GET", "uri": "u", "headers": {}, "body": None}}
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}
    kept = {**plain, "response": {**response, "body": {"string": "x\n\n"}}}
    document = {"version": 1, "interactions": [kept, {**plain, "response": response}]}
    emitter = _emitter()
    assert emitter is not None
    assert emitter.document(document) == _yaml(document)
    assert _yaml(document).endswith("\n...\n")


@pytest.mark.parametrize("path", sorted(CASSETTES.rglob("*.yaml")), ids=lambda p: p.name)
def test_project_cassettes_dump_as_written(path: Any) -> None:
    text = path.read_text(encoding="utf-8")
    assert dump_cassette(parse_cassette(text, path)) == text


JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
@example({"b": [1, 2.5, None, True], "a": {}, "c": [], "é": '\u2028\x00"\\'})
@example([math.inf, -math.inf, math.nan, 1e300, -0.0, 10**30])
def test_pretty_json_writes_what_json_dumps_writes(value: Any) -> None:
    # Only containers are re-indented; lone surrogates cannot be written as UTF-8.
    body = json.dumps(value).encode()
    expected = json.dumps(json.loads(body), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if not isinstance(value, (dict, list)):
        assert pretty_json(body) == body
        return
    try:
        wanted = expected.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            pretty_json(body)
        return
    assert pretty_json(body) == wanted
