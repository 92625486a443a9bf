"""Bad cassettes found when they are loaded: every entry point gets the same clean error.

Each case is a project cassette broken in one way that a hand edit, a bad merge or a
mutation fuzzer produces. Before these checks each one raised a raw exception
(``EOFError``, ``zlib.error``, ``OverflowError``, ``ValueError``, ``RecursionError``)
from some later stage, or was accepted and misread. Now loading refuses it with a
:class:`CassetteFormatError` that names the file, the interaction and the fix, so the
fixture, ``replay()`` and every command (show, scan, scrub, drift) say the same.
"""

from __future__ import annotations

import gzip
import json
import textwrap
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from replay_jobrun import cli, replay
from replay_jobrun.cassette.bodies import MAX_JSON_DEPTH
from replay_jobrun.cassette.format import load_cassette
from replay_jobrun.errors import CassetteFormatError
from tests.support import CASSETTES

SOURCE = CASSETTES / "real" / "describe-job-run_completed_sparkpilot-1.yaml"
BODY: str = yaml.safe_load(SOURCE.read_text())["interactions"][0]["response"]["body"]["string"]


def _response(document: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = document["interactions"][0]["response"]
    return response


def _encoded(data: bytes, coding: str = "gzip") -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        _response(document)["headers"]["Content-Encoding"] = [coding]
        _response(document)["body"]["string"] = data

    return edit


def _status(code: object) -> Callable[[dict[str, Any]], None]:
    return lambda document: _response(document)["status"].__setitem__("code", code)


def _request(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["interactions"][0]["request"].__setitem__(key, value)


def _nested_body(depth: int) -> Callable[[dict[str, Any]], None]:
    # Text, not json.dumps: json's own encoder refuses to write it.
    deep = BODY.replace('"jobRun": {', '"jobRun": {"extra": ' + "[" * depth + "]" * depth + ",", 1)
    return lambda document: _response(document)["body"].__setitem__("string", deep)


GZIPPED = gzip.compress(BODY.encode(), mtime=0)

# (id, edit of the YAML document, what the message says)
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("gzip-truncated", _encoded(GZIPPED[:-12]), "gzip body is truncated"),
    ("gzip-corrupt", _encoded(GZIPPED[:10] + b"\xff" * 40 + GZIPPED[50:]), "gzip body is corrupt"),
    ("deflate-corrupt", _encoded(zlib.compress(BODY.encode())[:-5], "deflate"), "truncated"),
    ("brotli", _encoded(b"\x0b\x02\x80{}\x03", "br"), "encoded as 'br'"),
    ("status-infinite", _status(float("inf")), "must be an HTTP status code"),
    ("status-float", _status(200.5), "must be an HTTP status code"),
    ("status-text", _status("OK"), "must be an HTTP status code"),
    ("status-missing", _status(None), "must be an HTTP status code"),
    ("status-out-of-range", _status(999), "999 is not an HTTP status code"),
    (
        "uri-bad-ipv6",
        _request("uri", "https://[::1/virtualclusters/x/jobruns/y"),
        "not a valid URL",
    ),
    (
        "uri-bad-port",
        _request("uri", "https://emr-containers.us-east-1.amazonaws.com:99999/virtualclusters"),
        "not a valid URL",
    ),
    (
        "uri-relative",
        _request("uri", "/virtualclusters/x/jobruns/y"),
        "not an absolute http(s) URL",
    ),
    ("uri-not-text", _request("uri", 12), "request.uri must be a string"),
    ("method-missing", _request("method", None), "request.method must be a string"),
    ("method-not-a-method", _request("method", "GET /x"), "must be an HTTP method"),
    ("header-a-mapping", _request("headers", {"Accept": [{"a": 1}]}), "holds a dict"),
    # The body's own object and jobRun's add two levels.
    ("json-5000-deep", _nested_body(5000), "its JSON nests 5002 levels deep"),
    (
        "json-just-too-deep",
        _nested_body(MAX_JSON_DEPTH - 1),
        f"nests {MAX_JSON_DEPTH + 1} levels deep, more than the {MAX_JSON_DEPTH}",
    ),
]


def _broken(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    document = yaml.safe_load(SOURCE.read_text())
    edit(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _assert_names_it(message: str, path: Path, expected: str) -> None:
    assert str(path) in message
    assert "interaction #0" in message
    assert expected in message
    assert "Fix: " in message


@pytest.fixture(params=CASES, ids=[case[0] for case in CASES])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    _, edit, expected = request.param
    return _broken(tmp_path, edit), expected


def test_loading_refuses_it(case: tuple[Path, str]) -> None:
    path, expected = case
    with pytest.raises(CassetteFormatError) as raised:
        load_cassette(path)
    _assert_names_it(str(raised.value), path, expected)


def test_replay_refuses_it(case: tuple[Path, str]) -> None:
    path, expected = case
    with pytest.raises(CassetteFormatError) as raised, replay(path):
        pass
    _assert_names_it(str(raised.value), path, expected)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(lambda path: ["show", str(path)], id="show"),
        pytest.param(lambda path: ["scan", str(path)], id="scan"),
        pytest.param(lambda path: ["scrub", str(path)], id="scrub"),
        pytest.param(lambda path: ["drift", str(SOURCE), str(path)], id="drift"),
        pytest.param(lambda path: ["drift", "--model", str(path)], id="drift-model"),
    ],
)
def test_every_command_refuses_it_and_changes_nothing(
    case: tuple[Path, str],
    command: Callable[[Path], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = case
    before = path.read_bytes()
    assert cli.main(command(path)) == 2
    _assert_names_it(capsys.readouterr().err, path, expected)
    assert path.read_bytes() == before


def test_the_fixture_refuses_them_each_naming_its_file(pytester: pytest.Pytester) -> None:
    for name, edit, _ in CASES:
        folder = pytester.path / "cassettes" / name
        folder.mkdir(parents=True)
        _broken(folder, edit)
    pytester.makeini("[pytest]\njobrun_cassette_dir = cassettes\n")
    tests = "".join(
        textwrap.dedent(
            f"""
            @pytest.mark.jobrun_cassette("{name}/broken.yaml")
            def test_{name.replace("-", "_")}(jobrun_replay):
                pass
            """
        )
        for name, _, _ in CASES
    )
    pytester.makepyfile("import pytest\n" + tests)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=len(CASES))
    output = result.stdout.str()
    for name, _, expected in CASES:
        assert f"cassettes/{name}/broken.yaml: interaction #0" in output
        assert expected in output


def test_a_plain_body_under_a_gzip_header_still_loads(tmp_path: Path) -> None:
    """Cassettes written after inflating the body but keeping the header have always
    replayed (urllib3 would refuse them live, but they are not gzip bombs or corrupt)."""
    path = _broken(tmp_path, _encoded(BODY.encode()))
    (interaction,) = load_cassette(path).interactions
    assert json.loads(interaction.response.decoded_body())["jobRun"]["state"] == "COMPLETED"


DEEPEST = BODY.replace(
    '"jobRun": {',
    '"jobRun": {"extra": ' + "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2) + ",",
    1,
)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(_encoded(GZIPPED), BODY, id="gzip"),
        pytest.param(_encoded(GZIPPED, "x-gzip"), BODY, id="x-gzip"),
        pytest.param(_encoded(GZIPPED, "identity, gzip"), BODY, id="listed"),
        pytest.param(_encoded(zlib.compress(BODY.encode()), "deflate"), BODY, id="deflate-zlib"),
        pytest.param(
            _encoded(zlib.compress(BODY.encode())[2:-4], "deflate"), BODY, id="deflate-raw"
        ),
        pytest.param(_encoded(GZIPPED + GZIPPED), BODY + BODY, id="two-gzip-members"),
        pytest.param(_nested_body(MAX_JSON_DEPTH - 2), DEEPEST, id="json-at-the-limit"),
    ],
)
def test_what_urllib3_decodes_loads(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    (interaction,) = load_cassette(_broken(tmp_path, edit)).interactions
    assert interaction.response.decoded_body() == expected.encode()
