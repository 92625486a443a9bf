"""yamlload.py: cassettes load bounded in time and memory whatever the file holds.

Anchors and aliases, tags vcrpy does not write, deep nesting and oversized files are
refused before anything is built from them; an alias bomb costs what its text does.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import vcr.request
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from replay_jobrun import cli, replay
from replay_jobrun.cassette import yamlload
from replay_jobrun.cassette.bodies import DEFAULT_MAX_BYTES, MAX_BYTES_ENV
from replay_jobrun.cassette.format import (
    Cassette,
    dump_cassette,
    load_cassette,
    parse_cassette,
    read_cassette_text,
    save_cassette,
)
from replay_jobrun.errors import CassetteFormatError, ConfigError
from tests.support import CASSETTES

SOURCE = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
TEXT = SOURCE.read_text()
RESPONSE_HEADERS = "    headers:\n      Content-Length:"
# The line of the first response header (1-based), in interaction #0.
HEADER_LINE = TEXT.split(RESPONSE_HEADERS)[0].count("\n") + 2

# Where a bomb can sit: a response header, our metadata block, another tool's metadata,
# a top-level key vcrpy ignores. Each entry: (the text it replaces, its indentation).
PLACES = {
    "header": (RESPONSE_HEADERS, "      "),
    "metadata": ("  region: us-east-1\n", "  "),
    "foreign-metadata": ("version: 1\n", "  "),
    "top-level": ("version: 1\n", ""),
}


def _bomb(levels: int, fan_out: int, place: str) -> str:
    """A "billion laughs": level n is ``fan_out`` aliases of level n-1 (fan_out**levels)."""
    marker, indent = PLACES[place]
    items = ", ".join(['"lol"'] * fan_out)
    lines = [f"{indent}lol0: &l0 [{items}]"]
    for n in range(1, levels):
        lines.append(f"{indent}lol{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * fan_out) + "]")
    block = "\n".join(lines) + "\n"
    if place == "header":
        return TEXT.replace(marker, "    headers:\n" + block + "      Content-Length:", 1)
    if place == "foreign-metadata":
        return TEXT.replace(marker, marker + "metadata:\n" + block, 1)
    return TEXT.replace(marker, marker + block, 1)


def _never_constructed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("a refused document was constructed")

    monkeypatch.setattr(yamlload.Loader, "construct_document", refuse)


def _refused(text: str, tmp_path: Path) -> tuple[str, int]:
    """The message refusing ``text``, and the peak memory the refusal took."""
    path = tmp_path / "bomb.yaml"
    tracemalloc.start()
    try:
        with pytest.raises(CassetteFormatError) as raised:
            parse_cassette(text, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(raised.value)
    assert message.startswith(f"{path}: line ")
    assert "Fix: " in message
    return message, peak


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    levels=st.integers(min_value=1, max_value=40),
    fan_out=st.integers(min_value=2, max_value=12),
    place=st.sampled_from(sorted(PLACES)),
)
def test_alias_bombs_are_refused_before_they_expand(
    levels: int, fan_out: int, place: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to 12**40 strings: refused with the memory a normal cassette takes to load
    (its text size times a constant), and nothing constructed."""
    _never_constructed(monkeypatch)
    text = _bomb(levels, fan_out, place)
    message, peak = _refused(text, tmp_path)
    if levels == 1:  # an anchor no alias uses
        assert "a YAML anchor &l0" in message
    else:
        assert "a YAML alias *l0 repeats the node anchored as &l0" in message
    if place == "header":
        assert "(interaction #0)" in message
    # A normal cassette takes ~20 bytes per byte of text to load.
    assert peak < 100 * len(text) + 256 * 1024


def test_the_message_names_the_alias_line_the_anchor_line_and_the_interaction(
    tmp_path: Path,
) -> None:
    message, _ = _refused(_bomb(9, 9, "header"), tmp_path)
    assert (
        f"line {HEADER_LINE + 1} (interaction #0): a YAML alias *l0 repeats the node "
        f"anchored as &l0 (line {HEADER_LINE})"
    ) in message
    assert "'*id001'" in message  # how stock vcrpy's aliases look


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(TEXT.replace("  region: us-east-1", "  region: &r us-east-1"), id="scalar"),
        pytest.param(TEXT.replace("  operations:\n", "  operations: &ops\n"), id="sequence"),
        pytest.param(TEXT.replace("replay_jobrun:\n", "replay_jobrun: &ours\n"), id="mapping"),
        pytest.param(TEXT.replace("interactions:\n", "interactions: !!seq &i\n"), id="tagged"),
    ],
)
def test_an_anchor_without_an_alias_is_refused_too(text: str, tmp_path: Path) -> None:
    message, _ = _refused(text, tmp_path)
    assert "a YAML anchor &" in message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("a &b c", id="ampersand-word"),
        pytest.param("&amp; *star [&x] {&y: 1}", id="flow-lookalikes"),
    ],
)
def test_ampersands_inside_values_are_not_anchors(body: str) -> None:
    text = TEXT.replace('"state": "COMPLETED",', f'"state": "COMPLETED", "note": "{body}",', 1)
    assert f'"{body}"' in text
    (interaction,) = parse_cassette(text, SOURCE).interactions
    assert body.encode() in interaction.response.body


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    text = TEXT.replace("version: 1\n", "version: 1\nloop: &loop [*loop]\n")
    message, _ = _refused(text, tmp_path)
    assert "alias" in message


@pytest.mark.parametrize(
    ("tagged", "shown"),
    [
        ("!!python/object/apply:os.system ['true']", "!!python/object/apply:os.system"),
        ("!!python/object:pathlib.Path {}", "!!python/object:pathlib.Path"),
        ("!!python/object/new:_io.BytesIO {state: [abc]}", "!!python/object/new:_io.BytesIO"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!python/module:os ''", "!!python/module:os"),
        ("!!python/bytes YWJj", "!!python/bytes"),
        ("!!set {a: null}", "!!set"),
        ("!!omap [a: 1]", "!!omap"),
        ("!!pairs [a: 1]", "!!pairs"),
        ("!custom value", "!custom"),
        ("!<tag:example.com,2026:thing> value", "tag:example.com,2026:thing"),
        ("{!!merge <<: {a: 1}}", "!!merge"),
        ("!!value =", "!!value"),
    ],
)
@pytest.mark.parametrize("where", ["metadata", "header"])
def test_tags_vcrpy_does_not_write_are_refused_naming_the_line(
    tagged: str, shown: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_constructed(monkeypatch)
    if where == "metadata":
        text = TEXT.replace("  region: us-east-1", f"  region: {tagged}")
        line = TEXT.split("  region:")[0].count("\n") + 1
    else:
        text = TEXT.replace(
            RESPONSE_HEADERS, f"    headers:\n      X-Odd: {tagged}\n      Content-Length:"
        )
        line = HEADER_LINE
    message, _ = _refused(text, tmp_path)
    assert shown in message
    assert f"line {line}" in message
    assert ("(interaction #0)" in message) == (where == "header")


def test_a_merge_key_is_a_plain_string_and_merges_nothing() -> None:
    """Merging copies mappings (a bomb of its own, and vcrpy never writes one)."""
    text = TEXT.replace("  region: us-east-1", "  region: us-east-1\n  merged: {<<: {a: 1}, b: =}")
    assert parse_cassette(text, SOURCE).metadata["merged"] == {"<<": {"a": 1}, "b": "="}


def test_what_vcrpy_writes_loads(tmp_path: Path) -> None:
    """Stock vcrpy's writer: !!binary header bytes, !!python/unicode (old vcrpy), tuples."""
    interactions = {
        "requests": [
            vcr.request.Request(
                "GET",
                "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc/jobruns/j",
                None,
                {"Accept": b"application/json"},
            )
        ],
        "responses": [
            {
                "status": {"code": 200, "message": "OK"},
                "headers": {"Content-Type": [b"application/json"]},
                "body": {"string": b'{"jobRun": {"id": "j"}}'},
            }
        ],
    }
    text = serialize(interactions, yamlserializer)
    assert "!!binary" in text
    old = text.replace("message: OK", "message: !!python/unicode 'OK'").replace(
        "version: 1", "version: !!int '1'\nkept: !!python/tuple [a, b]"
    )
    for written in (text, old):
        (interaction,) = parse_cassette(written, tmp_path / "vcr.yaml").interactions
        assert interaction.response.headers == {"Content-Type": ["application/json"]}
        assert interaction.response.reason == "OK"


def test_our_writer_never_writes_an_anchor(tmp_path: Path) -> None:
    """One list in two metadata fields: libyaml's dumper would write &id001 / *id001."""
    loaded = load_cassette(SOURCE)
    shared = ["kept-value"]
    metadata = {**loaded.metadata, "keep_fields": shared, "keep_values": shared}
    cassette = Cassette(tmp_path / "shared.yaml", loaded.interactions, metadata)
    text = dump_cassette(cassette)
    assert "&id" not in text
    assert "*id" not in text
    path = save_cassette(cassette)
    assert load_cassette(path).metadata["keep_values"] == shared


def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    def nested(depth: int) -> str:
        # Our metadata block (depth 2) holds a flow sequence nested depth - 2 more.
        inner = "[" * (depth - 2) + "x" + "]" * (depth - 2)
        return TEXT.replace("  region: us-east-1", f"  region: us-east-1\n  deep: {inner}")

    assert parse_cassette(nested(yamlload.MAX_YAML_DEPTH), SOURCE).metadata["deep"]
    message, _ = _refused(nested(yamlload.MAX_YAML_DEPTH + 1), tmp_path)
    assert f"nests more than {yamlload.MAX_YAML_DEPTH} levels deep" in message
    # Far deeper: libyaml stops at its own limit (1000) before composing anything, the
    # pure-Python composer (PyYAML without libyaml) at the recursion limit.
    with pytest.raises(CassetteFormatError) as raised:
        parse_cassette(nested(100_000), SOURCE)
    assert "nesting depth" in str(raised.value) or "levels deep" in str(raised.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(TEXT)
    size = len(TEXT.encode())
    monkeypatch.setenv(MAX_BYTES_ENV, str(size - 1))
    too_large = f"{size} bytes is more than the {size - 1}"
    for load in (load_cassette, read_cassette_text):
        with pytest.raises(CassetteFormatError, match=too_large):
            load(path)
    with pytest.raises(CassetteFormatError, match=too_large), replay(path):
        pass
    for command in (["show", str(path)], ["scan", str(path)]):
        assert cli.main(command) == 2
        assert f"raise the limit with {MAX_BYTES_ENV}=BYTES" in capsys.readouterr().err
    monkeypatch.setenv(MAX_BYTES_ENV, str(size))
    assert load_cassette(path).interactions


def test_a_file_without_a_size_is_read_no_further_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A device (or a FIFO) reports size 0: reading stops one byte past the limit."""
    monkeypatch.setenv(MAX_BYTES_ENV, "4096")
    with pytest.raises(CassetteFormatError, match="4097 bytes is more than the 4096"):
        load_cassette("/dev/zero")


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1e6"])
def test_a_bad_size_limit_is_a_config_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_BYTES_ENV, value)
    with pytest.raises(ConfigError, match=f"{MAX_BYTES_ENV}: {value!r} is not a positive"):
        read_cassette_text(SOURCE)


def test_the_default_limit_leaves_room_for_any_real_cassette() -> None:
    largest = max(path.stat().st_size for path in CASSETTES.rglob("*.yaml"))
    assert 1000 * largest < DEFAULT_MAX_BYTES


def test_every_project_cassette_loads_as_plain_yaml_does() -> None:
    """The checks change nothing for what they accept."""
    for path in sorted(CASSETTES.rglob("*.yaml")):
        text = path.read_text()
        assert yamlload.load_yaml(text, path) == yaml.safe_load(text)
