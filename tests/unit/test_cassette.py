"""cassette.py: the vcrpy YAML format, reviewable output, the load cache, atomic writes."""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path

import pytest
import vcr.request
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from replay_jobrun.cassette.format import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
    load_cassette,
    normalize_for_review,
    parse_cassette,
    save_cassette,
    write_atomic,
)
from replay_jobrun.errors import CassetteFormatError

HOST = "https://emr-containers.us-east-1.amazonaws.com"
DESCRIBE_URI = f"{HOST}/virtualclusters/vc1/jobruns/job1"
START_URI = f"{HOST}/virtualclusters/vc1/jobruns"
RUN = {"jobRun": {"virtualClusterId": "vc1", "id": "job1", "state": "RUNNING", "name": "nightly"}}
BODY = json.dumps(RUN).encode()


def _describe(body: bytes = BODY, headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("GET", DESCRIBE_URI, {"Accept": ["application/json"]}, None),
        RecordedResponse(
            200,
            "OK",
            headers
            if headers is not None
            else {"Content-Type": ["application/json"], "x-amzn-RequestId": ["req-1"]},
            body,
        ),
        "DescribeJobRun",
    )


def _start() -> Interaction:
    request_body = json.dumps({"name": "nightly", "releaseLabel": "emr-7.10.0-latest"}).encode()
    return Interaction(
        RecordedRequest("POST", START_URI, {"Content-Type": ["application/json"]}, request_body),
        RecordedResponse(
            200,
            "OK",
            {"Content-Type": ["application/json"]},
            b'{"id": "job1", "name": "nightly", "virtualClusterId": "vc1"}',
        ),
        "StartJobRun",
    )


def _cassette(path: Path, *interactions: Interaction) -> Cassette:
    return Cassette(path, interactions, {"operations": [i.operation for i in interactions]})


# --- round trip ---------------------------------------------------------------------


def test_dump_then_parse_preserves_every_interaction(tmp_path: Path) -> None:
    original = _cassette(tmp_path / "c.yaml", _start(), _describe())
    parsed = parse_cassette(dump_cassette(original), original.path)
    assert parsed.path == original.path
    assert parsed.interactions == original.interactions
    started, described = parsed.interactions
    assert (started.request.method, started.request.uri) == ("POST", START_URI)
    assert json.loads(started.request.body or b"") == {
        "name": "nightly",
        "releaseLabel": "emr-7.10.0-latest",
    }
    assert started.request.headers == {"Content-Type": ["application/json"]}
    assert described.request.body is None
    assert described.response.status == 200
    assert described.response.reason == "OK"
    assert described.response.body == BODY
    assert described.response.headers["x-amzn-RequestId"] == ["req-1"]
    assert [i.operation for i in parsed.interactions] == ["StartJobRun", "DescribeJobRun"]


def test_the_operation_comes_from_the_metadata_before_the_uri(tmp_path: Path) -> None:
    odd = Interaction(
        RecordedRequest("GET", "http://127.0.0.1:5000/not/a/route"),
        RecordedResponse(200, "OK", {}, b"{}"),
        "DescribeJobRun",
    )
    with_metadata = Cassette(tmp_path / "c.yaml", (odd,), {"operations": ["DescribeJobRun"]})
    assert parse_cassette(dump_cassette(with_metadata), tmp_path / "c.yaml").interactions[
        0
    ].operation == ("DescribeJobRun")
    without = Cassette(tmp_path / "c.yaml", (odd,))
    assert (
        parse_cassette(dump_cassette(without), tmp_path / "c.yaml").interactions[0].operation
        is None
    )


def test_without_metadata_the_operation_is_derived_from_method_and_uri(tmp_path: Path) -> None:
    bare = Cassette(tmp_path / "c.yaml", (_start(), _describe()))
    parsed = parse_cassette(dump_cassette(bare), bare.path)
    assert [i.operation for i in parsed.interactions] == ["StartJobRun", "DescribeJobRun"]


def test_metadata_ours_and_foreign_survive_a_round_trip(tmp_path: Path) -> None:
    cassette = Cassette(
        tmp_path / "c.yaml",
        (_describe(),),
        {"operations": ["DescribeJobRun"], "region": "us-east-1", "pseudonyms": ["123"]},
        {"other_tool": {"answer": 42}},
    )
    parsed = parse_cassette(dump_cassette(cassette), cassette.path)
    assert parsed.metadata == cassette.metadata
    assert parsed.foreign_metadata == {"other_tool": {"answer": 42}}


def test_a_binary_body_round_trips_byte_for_byte(tmp_path: Path) -> None:
    raw = bytes(range(256))
    cassette = _cassette(tmp_path / "c.yaml", _describe(body=raw))
    text = dump_cassette(cassette)
    assert "!!binary" in text  # the only faithful form of bytes that are not UTF-8
    assert parse_cassette(text, cassette.path).interactions[0].response.body == raw


@settings(max_examples=50, deadline=None)
@given(
    body=st.binary(max_size=80) | st.text(max_size=80).map(str.encode),
    header=st.text(max_size=30),
    request_body=st.none() | st.binary(max_size=40),
    status=st.integers(min_value=100, max_value=599),
)
def test_any_interaction_round_trips(
    body: bytes, header: str, request_body: bytes | None, status: int
) -> None:
    interaction = Interaction(
        RecordedRequest("POST", START_URI, {"X-Custom": [header]}, request_body),
        RecordedResponse(status, "Reason", {"Content-Type": ["application/json"]}, body),
        "StartJobRun",
    )
    cassette = _cassette(Path("c.yaml"), interaction)
    assert parse_cassette(dump_cassette(cassette), cassette.path).interactions == (interaction,)


# --- stock vcrpy and the reviewable layout ---------------------------------------------


def test_stock_vcrpy_loads_what_we_write(tmp_path: Path) -> None:
    cassette = _cassette(
        tmp_path / "c.yaml", normalize_for_review(_start()), normalize_for_review(_describe())
    )
    # No vcrpy "metadata": vcrpy >= 9.4 would return it as a third value, and
    # pytest-recording's persister, which unpacks two, could not load the file.
    requests, responses, *metadata = deserialize(dump_cassette(cassette), yamlserializer)
    assert metadata == []
    assert [(r.method, r.uri) for r in requests] == [("POST", START_URI), ("GET", DESCRIBE_URI)]
    assert json.loads(requests[0].body) == {"name": "nightly", "releaseLabel": "emr-7.10.0-latest"}
    assert requests[1].body is None
    assert requests[0].headers["Content-Type"] == "application/json"
    assert [r["status"]["code"] for r in responses] == [200, 200]
    assert json.loads(responses[1]["body"]["string"]) == RUN
    assert responses[1]["headers"]["x-amzn-RequestId"] == ["req-1"]


def test_json_bodies_are_block_literals_and_headers_are_text(tmp_path: Path) -> None:
    text = dump_cassette(_cassette(tmp_path / "c.yaml", normalize_for_review(_describe())))
    assert "!!binary" not in text
    assert "      string: |\n" in text
    # One field per line, keys sorted, so a re-recording diffs line by line.
    fields = [line.strip() for line in text.splitlines() if line.startswith(" " * 12)]
    assert fields == [
        '"id": "job1",',
        '"name": "nightly",',
        '"state": "RUNNING",',
        '"virtualClusterId": "vc1"',
    ]
    assert "      x-amzn-RequestId:\n      - req-1\n" in text
    assert "      Content-Type:\n      - application/json\n" in text


def test_the_written_file_is_plain_safe_yaml(tmp_path: Path) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["replay_jobrun"]["operations"] == ["DescribeJobRun"]
    assert "metadata" not in document
    assert document["interactions"][0]["response"]["body"]["string"] == BODY.decode()


# --- normalize_for_review ------------------------------------------------------------


def test_normalize_drops_volatile_headers_on_both_sides() -> None:
    raw = Interaction(
        RecordedRequest(
            "GET",
            DESCRIBE_URI,
            {
                "User-Agent": ["Botocore/1.34"],
                "X-Amz-Date": ["20260101T000000Z"],
                "amz-sdk-invocation-id": ["f00"],
                "amz-sdk-request": ["attempt=1"],
                "Content-Length": ["0"],
                "Accept": ["application/json"],
            },
        ),
        RecordedResponse(
            200,
            "OK",
            {
                "Date": ["Wed, 25 Nov 2026 06:32:30 GMT"],
                "server": ["Werkzeug/3.0"],
                "Connection": ["keep-alive"],
                "Content-Type": ["application/json"],
                "x-amzn-RequestId": ["req-1"],
            },
            BODY,
        ),
        "DescribeJobRun",
    )
    clean = normalize_for_review(raw)
    assert clean.request.headers == {"Accept": ["application/json"]}
    assert clean.response.headers == {
        "Content-Type": ["application/json"],
        "x-amzn-RequestId": ["req-1"],
    }
    assert clean.operation == "DescribeJobRun"
    assert (clean.request.method, clean.request.uri) == ("GET", DESCRIBE_URI)
    assert (clean.response.status, clean.response.reason) == (200, "OK")


def test_normalize_pretty_prints_json_with_sorted_keys_and_fixes_content_length() -> None:
    body = json.dumps({"jobRun": {"state": "FAILED", "name": "réconcile", "id": "j"}}).encode()
    raw = _describe(
        body, {"Content-Type": ["application/json"], "Content-Length": [str(len(body))]}
    )
    clean = normalize_for_review(raw)
    expected = (
        json.dumps(json.loads(body), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()
    assert clean.response.body == expected
    assert clean.response.body != body
    # The length of the new body in bytes (the é takes two), not of the old one.
    assert clean.response.headers["Content-Length"] == [str(len(expected))]
    assert len(expected) != len(expected.decode())


def test_normalize_pretty_prints_request_bodies_too() -> None:
    clean = normalize_for_review(_start())
    assert (
        clean.request.body == b'{\n  "name": "nightly",\n  "releaseLabel": "emr-7.10.0-latest"\n}\n'
    )


def test_normalize_inflates_gzip_bodies_and_drops_the_encoding() -> None:
    raw = _describe(
        gzip.compress(BODY),
        {
            "Content-Type": ["application/json"],
            "content-encoding": ["GZIP"],
            "Transfer-Encoding": ["chunked"],
            "Content-Length": ["12"],
        },
    )
    clean = normalize_for_review(raw)
    assert json.loads(clean.response.body) == RUN
    assert {name.lower() for name in clean.response.headers} == {"content-type", "content-length"}
    assert clean.response.headers["Content-Length"] == [str(len(clean.response.body))]


def test_normalize_leaves_a_body_that_is_not_json_alone() -> None:
    raw = _describe(b"<html>Service Unavailable</html>", {"Content-Type": ["text/html"]})
    assert normalize_for_review(raw).response.body == b"<html>Service Unavailable</html>"
    scalar = _describe(b'"just a string"', {})
    assert normalize_for_review(scalar).response.body == b'"just a string"'


def test_normalize_is_idempotent() -> None:
    once = normalize_for_review(_describe(gzip.compress(BODY), {"Content-Encoding": ["gzip"]}))
    assert normalize_for_review(once) == once


# --- load_cassette and its cache ---------------------------------------------------------


def test_load_returns_the_same_object_while_the_file_is_unchanged(tmp_path: Path) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    first = load_cassette(path)
    assert load_cassette(path) is first
    assert load_cassette(str(path)) is first
    assert first.path == path.absolute()


def test_load_reads_again_after_the_file_changes(tmp_path: Path) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    first = load_cassette(path)
    # Changed behind the cache's back (not through save_cassette), same size, other mtime.
    text = path.read_text(encoding="utf-8")
    changed = text.replace('"RUNNING"', '"PENDING"')
    assert len(changed) == len(text)
    path.write_text(changed, encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(stamp, stamp))
    second = load_cassette(path)
    assert second is not first
    assert b'"PENDING"' in second.interactions[0].response.body
    assert load_cassette(path) is second


def test_save_cassette_invalidates_the_cache(tmp_path: Path) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    first = load_cassette(path)
    save_cassette(_cassette(path, _describe(), _describe()))
    second = load_cassette(path)
    assert second is not first
    assert len(second.interactions) == 2


def test_loading_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_cassette(tmp_path / "missing.yaml")


# --- CassetteFormatError ------------------------------------------------------------------

GOOD = """\
- request:
    method: GET
    uri: https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1
  response:
    status: {code: 200, message: OK}
    body: {string: '{}'}
"""


def _load_text(tmp_path: Path, text: str) -> CassetteFormatError:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteFormatError) as raised:
        load_cassette(path)
    message = str(raised.value)
    assert str(path) in message
    assert "\nFix: " in message
    return raised.value


def test_invalid_yaml_is_a_format_error(tmp_path: Path) -> None:
    error = _load_text(tmp_path, "version: 1\ninteractions: [\n  {request: \n")
    assert "not valid YAML" in str(error)
    assert "re-record" in str(error)
    assert isinstance(error.__cause__, yaml.YAMLError)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- a\n- b\n", id="a-list"),
        pytest.param("version: 1\n", id="no-interactions"),
        pytest.param("version: 1\ninteractions: {a: 1}\n", id="interactions-not-a-list"),
        pytest.param("just text\n", id="a-scalar"),
        pytest.param("", id="empty-file"),
    ],
)
def test_a_document_without_an_interactions_list_is_a_format_error(
    tmp_path: Path, text: str
) -> None:
    error = _load_text(tmp_path, text)
    assert "no top-level 'interactions' list" in str(error)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("- request: {method: GET}\n  response: {status: {code: 200}}\n", id="no-uri"),
        pytest.param("- response: {status: {code: 200}}\n", id="no-request"),
        pytest.param(
            "- request: {method: GET, uri: 'https://x/y'}\n  response: {status: {code: OK}}\n",
            id="status-not-a-number",
        ),
        pytest.param(
            "- request: {method: GET, uri: 'https://x/y'}\n  response: {body: {string: ''}}\n",
            id="no-status",
        ),
        pytest.param(
            "- request: {method: GET, uri: 'https://x/y', headers: [a, b]}\n"
            "  response: {status: {code: 200}}\n",
            id="headers-not-a-mapping",
        ),
        pytest.param("- just a string\n", id="not-a-mapping"),
    ],
)
def test_a_malformed_interaction_names_its_index_and_the_fix(tmp_path: Path, bad: str) -> None:
    error = _load_text(tmp_path, "version: 1\ninteractions:\n" + GOOD + bad)
    message = str(error)
    assert "interaction #1 is malformed" in message
    assert "each interaction needs request.method, request.uri and response.status.code" in message


@pytest.mark.parametrize("response", ["oops", "[200, OK]", "null"])
def test_a_response_that_is_not_a_mapping_is_a_format_error(tmp_path: Path, response: str) -> None:
    bad = f"- request: {{method: GET, uri: 'https://x/y'}}\n  response: {response}\n"
    error = _load_text(tmp_path, "version: 1\ninteractions:\n" + GOOD + bad)
    assert "interaction #1 is malformed" in str(error)
    assert "response must be a mapping" in str(error)
    assert "re-record the cassette" in str(error)


@pytest.mark.parametrize(
    ("interaction", "problem"),
    [
        pytest.param(
            "- request: oops\n  response: {status: {code: 200}}\n",
            "request must be a mapping",
            id="request-a-string",
        ),
        pytest.param(
            "- request: [GET, 'https://x/y']\n  response: {status: {code: 200}}\n",
            "request must be a mapping",
            id="request-a-list",
        ),
        pytest.param(
            "- request: {method: GET, uri: 'https://x/y'}\n  response: {status: 200}\n",
            "response.status must be a mapping",
            id="status-a-number",
        ),
    ],
)
def test_a_request_or_status_that_is_not_a_mapping_is_a_format_error(
    tmp_path: Path, interaction: str, problem: str
) -> None:
    error = _load_text(tmp_path, "version: 1\ninteractions:\n" + GOOD + interaction)
    assert "interaction #1 is malformed" in str(error)
    assert problem in str(error)


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        pytest.param("[1, 2]", "'metadata' must be a mapping", id="metadata-a-list"),
        pytest.param("just text", "'metadata' must be a mapping", id="metadata-a-string"),
        pytest.param(
            "{replay_jobrun: recorded by hand}",
            "'metadata.replay_jobrun' must be a mapping",
            id="block-a-string",
        ),
        pytest.param(
            "{replay_jobrun: [a, b]}",
            "'metadata.replay_jobrun' must be a mapping",
            id="block-a-list",
        ),
        pytest.param(
            "{replay_jobrun: {operations: 5}}",
            "'metadata.replay_jobrun.operations' must be a list",
            id="operations-a-number",
        ),
        pytest.param(
            "{replay_jobrun: {operations: DescribeJobRun}}",
            "'metadata.replay_jobrun.operations' must be a list",
            id="operations-a-string",
        ),
        pytest.param(
            "{replay_jobrun: {operations: [1]}}",
            "'metadata.replay_jobrun.operations' must be a list",
            id="operations-of-numbers",
        ),
        pytest.param(
            "{replay_jobrun: {pseudonyms: '123456789012'}}",
            "'metadata.replay_jobrun.pseudonyms' must be a list of strings",
            id="pseudonyms-a-string",
        ),
        pytest.param(
            "{replay_jobrun: {pseudonyms: [123456789012]}}",
            "'metadata.replay_jobrun.pseudonyms' must be a list of strings",
            id="pseudonyms-of-numbers",
        ),
        pytest.param(
            "{replay_jobrun: {keep_fields: {name: true}}}",
            "'metadata.replay_jobrun.keep_fields' must be a list of strings",
            id="keep-fields-a-mapping",
        ),
        pytest.param(
            "{replay_jobrun: {region: [us-east-1]}}",
            "'metadata.replay_jobrun.region' must be a string",
            id="region-a-list",
        ),
        pytest.param(
            "{replay_jobrun: {format: one}}",
            "'metadata.replay_jobrun.format' must be an integer",
            id="format-a-string",
        ),
        pytest.param(
            "{replay_jobrun: {scrubbed: [account id]}}",
            "'metadata.replay_jobrun.scrubbed' must be a mapping",
            id="scrubbed-a-list",
        ),
        pytest.param(
            "{replay_jobrun: {scrubbed: {account id: {replaced: many}}}}",
            "'metadata.replay_jobrun.scrubbed' must be a mapping",
            id="scrubbed-count-not-a-number",
        ),
    ],
)
def test_malformed_metadata_is_a_format_error(tmp_path: Path, metadata: str, problem: str) -> None:
    error = _load_text(tmp_path, f"version: 1\nmetadata: {metadata}\ninteractions:\n" + GOOD)
    assert problem in str(error)
    assert "fix or delete the 'replay_jobrun' block" in str(error)


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        pytest.param("recorded by hand", "'replay_jobrun' must be a mapping", id="a-string"),
        pytest.param(
            "{operations: [1]}", "'replay_jobrun.operations' must be a list", id="operations"
        ),
        pytest.param(
            "{pseudonyms: '1'}", "'replay_jobrun.pseudonyms' must be a list", id="pseudonyms"
        ),
    ],
)
def test_a_malformed_top_level_block_is_a_format_error(
    tmp_path: Path, block: str, problem: str
) -> None:
    error = _load_text(tmp_path, f"version: 1\nreplay_jobrun: {block}\ninteractions:\n" + GOOD)
    assert problem in str(error)


def test_the_block_where_older_cassettes_hold_it_is_read_and_moved_on_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\nmetadata:\n  other: [1, 2]\n  replay_jobrun:\n"
        "    operations: [ListJobRuns]\n    region: eu-west-1\ninteractions:\n" + GOOD,
        encoding="utf-8",
    )
    cassette = load_cassette(path)
    assert cassette.interactions[0].operation == "ListJobRuns"
    assert cassette.metadata == {"operations": ["ListJobRuns"], "region": "eu-west-1"}
    document = yaml.safe_load(dump_cassette(cassette))
    assert document["replay_jobrun"] == {"operations": ["ListJobRuns"], "region": "eu-west-1"}
    assert document["metadata"] == {"other": [1, 2]}  # another tool's, as found


def test_null_metadata_fields_are_not_recorded_rather_than_malformed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\nmetadata:\n  other: [1, 2]\n  replay_jobrun:\n"
        "    operations: [null]\n    pseudonyms: null\n    region: null\n"
        "interactions:\n" + GOOD,
        encoding="utf-8",
    )
    cassette = load_cassette(path)
    assert cassette.interactions[0].operation is None
    assert cassette.foreign_metadata == {"other": [1, 2]}
    assert cassette.metadata == {"operations": [None], "pseudonyms": None, "region": None}


def test_an_unsupported_format_version_is_a_format_error(tmp_path: Path) -> None:
    error = _load_text(tmp_path, "version: 2\ninteractions: []\n")
    assert "format version 2 is not supported" in str(error)


def test_a_file_that_is_not_utf8_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\ninteractions: []\n# caf\xe9\n")
    with pytest.raises(CassetteFormatError, match="not UTF-8") as raised:
        load_cassette(path)
    assert str(path) in str(raised.value)


def test_format_errors_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="interactions"):
        parse_cassette("{}", tmp_path / "x.yaml")


# --- atomic writes ---------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    before = path.read_bytes()
    attempts: list[tuple[str, str]] = []

    def failing_replace(src: str, dst: str) -> None:
        attempts.append((str(src), str(dst)))
        raise OSError("simulated: disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated: disk full"):
        save_cassette(_cassette(path, _describe(), _start()))
    monkeypatch.undo()
    assert len(attempts) == 1
    assert attempts[0][1] == str(path)
    assert Path(attempts[0][0]).parent == tmp_path
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["c.yaml"]
    assert len(load_cassette(path).interactions) == 1


def test_a_failed_rename_of_a_new_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: str, dst: str) -> None:
        raise PermissionError("simulated")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        write_atomic(tmp_path / "new.yaml", "version: 1\ninteractions: []\n")
    monkeypatch.undo()
    assert _leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("old content\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "new content \udcff that cannot be encoded\n")
    assert path.read_text(encoding="utf-8") == "old content\n"
    assert _leftovers(tmp_path) == ["c.yaml"]


def test_write_atomic_creates_parent_folders_and_writes_lf(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.yaml"
    write_atomic(path, "line1\nline2\n")
    assert path.read_bytes() == b"line1\nline2\n"
    assert _leftovers(path.parent) == ["c.yaml"]


def test_save_cassette_writes_to_an_explicit_path(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path / "original.yaml", _describe())
    written = save_cassette(cassette, tmp_path / "copy.yaml")
    assert written == tmp_path / "copy.yaml"
    assert not (tmp_path / "original.yaml").exists()
    assert load_cassette(written).interactions == cassette.interactions


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_rewriting_a_cassette_keeps_its_permissions(tmp_path: Path) -> None:
    path = save_cassette(_cassette(tmp_path / "c.yaml", _describe()))
    path.chmod(0o644)
    save_cassette(_cassette(path, _describe(), _describe()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o640)
    write_atomic(path, "version: 1\ninteractions: []\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == ["c.yaml"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_cassette_gets_the_mode_the_umask_allows(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "new.yaml", "version: 1\ninteractions: []\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="os.fchmod")
def test_a_failure_to_copy_the_mode_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("old content\n", encoding="utf-8")

    def failing_fchmod(fd: int, mode: int) -> None:
        raise PermissionError("simulated")

    monkeypatch.setattr(os, "fchmod", failing_fchmod)
    with pytest.raises(PermissionError, match="simulated"):
        write_atomic(path, "new content\n")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old content\n"
    assert _leftovers(tmp_path) == ["c.yaml"]


# --- stock vcrpy cassettes ------------------------------------------------------------------


def _stock_cassette() -> str:
    return serialize(
        {
            "requests": [
                vcr.request.Request(
                    "GET",
                    DESCRIBE_URI,
                    None,
                    {
                        "Authorization": b"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/x",
                        "User-Agent": b"Botocore/1.34",
                    },
                )
            ],
            "responses": [
                {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": BODY},
                }
            ],
        },
        yamlserializer,
    )


def test_a_stock_vcrpy_cassette_with_binary_headers_loads(tmp_path: Path) -> None:
    text = _stock_cassette()
    assert "!!binary" in text
    path = tmp_path / "stock.yaml"
    path.write_text(text, encoding="utf-8")
    (interaction,) = load_cassette(path).interactions
    assert interaction.request.headers == {
        "Authorization": ["AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/x"],
        "User-Agent": ["Botocore/1.34"],
    }
    assert all(isinstance(v, str) for vs in interaction.request.headers.values() for v in vs)
    assert interaction.request.method == "GET"
    assert interaction.response.status == 200
    assert interaction.response.body == BODY
    assert interaction.operation == "DescribeJobRun"


def test_a_stock_cassette_is_written_back_without_binary(tmp_path: Path) -> None:
    loaded = parse_cassette(_stock_cassette(), tmp_path / "stock.yaml")
    text = dump_cassette(loaded)
    assert "!!binary" not in text
    assert "- AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/x\n" in text


def test_python_tags_of_old_vcrpy_are_read(tmp_path: Path) -> None:
    text = (
        "version: 1\ninteractions:\n- request:\n    method: !!python/unicode 'GET'\n"
        f"    uri: !!python/str '{DESCRIBE_URI}'\n"
        "    headers: {Accept: !!python/tuple [application/json]}\n"
        "  response:\n    status: {code: 200, message: OK}\n    body: {string: '{}'}\n"
    )
    (interaction,) = parse_cassette(text, tmp_path / "old.yaml").interactions
    assert interaction.request.uri == DESCRIBE_URI
    assert interaction.request.headers == {"Accept": ["application/json"]}


def test_arbitrary_python_tags_are_refused(tmp_path: Path) -> None:
    text = "version: 1\ninteractions: !!python/object/apply:os.system ['true']\n"
    with pytest.raises(CassetteFormatError, match="line 2: the YAML tag '!!python/object/apply"):
        parse_cassette(text, tmp_path / "evil.yaml")
