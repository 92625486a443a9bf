from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
import vcr.request
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from replay_jobrun.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
    load_cassette,
    normalize_for_review,
    parse_cassette,
    save_cassette,
)
from replay_jobrun.errors import CassetteFormatError

URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1"
BODY = b'{"jobRun": {"state": "RUNNING", "id": "job1", "virtualClusterId": "vc1"}}'


def _interaction(body: bytes = BODY, headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("GET", URI, {"Content-Type": ["application/json"]}, None),
        RecordedResponse(200, "OK", headers or {"Content-Type": ["application/json"]}, body),
        "DescribeJobRun",
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.yaml", (_interaction(),), {"operations": ["DescribeJobRun"]})
    parsed = parse_cassette(dump_cassette(cassette), cassette.path)
    assert parsed.interactions == cassette.interactions
    assert parsed.metadata == {"operations": ["DescribeJobRun"]}


def test_stock_vcrpy_loads_what_we_write_and_we_load_what_it_writes(tmp_path: Path) -> None:
    text = dump_cassette(Cassette(tmp_path / "c.yaml", (normalize_for_review(_interaction()),)))
    requests, responses, *_ = deserialize(text, yamlserializer)
    assert requests[0].uri == URI
    assert json.loads(responses[0]["body"]["string"]) == json.loads(BODY)

    stock = serialize(
        {
            "requests": [
                vcr.request.Request("GET", URI, None, {"Authorization": b"AWS4-HMAC-SHA256 x"})
            ],
            "responses": [
                {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": BODY}}
            ],
        },
        yamlserializer,
    )
    assert "!!binary" in stock
    loaded = parse_cassette(stock, tmp_path / "stock.yaml")
    assert loaded.interactions[0].request.headers == {"Authorization": ["AWS4-HMAC-SHA256 x"]}
    assert loaded.interactions[0].operation == "DescribeJobRun"  # derived from the service model


def test_written_cassettes_are_reviewable(tmp_path: Path) -> None:
    text = dump_cassette(Cassette(tmp_path / "c.yaml", (normalize_for_review(_interaction()),)))
    assert "!!binary" not in text
    assert "string: |\n" in text
    assert '      "state": "RUNNING",\n' in text  # one field per line, sorted keys


def test_normalize_drops_volatile_headers_inflates_gzip_and_fixes_content_length() -> None:
    headers = {
        "Date": ["Wed, 25 Nov 2026 06:32:30 GMT"],
        "Server": ["Werkzeug"],
        "Content-Encoding": ["gzip"],
        "Content-Length": ["3"],
        "x-amzn-RequestId": ["req-1"],
    }
    raw = Interaction(
        RecordedRequest(
            "GET",
            URI,
            {"User-Agent": ["Botocore/1"], "X-Amz-Date": ["x"], "amz-sdk-request": ["a"]},
        ),
        RecordedResponse(200, "OK", headers, gzip.compress(BODY)),
        "DescribeJobRun",
    )
    clean = normalize_for_review(raw)
    assert clean.request.headers == {}
    assert set(clean.response.headers) == {"Content-Length", "x-amzn-RequestId"}
    assert json.loads(clean.response.body) == json.loads(BODY)
    assert clean.response.headers["Content-Length"] == [str(len(clean.response.body))]


def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = save_cassette(Cassette(tmp_path / "c.yaml", (_interaction(),)))
    first = load_cassette(path)
    assert load_cassette(path) is first
    save_cassette(Cassette(path, (_interaction(), _interaction())))
    assert len(load_cassette(path).interactions) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("interactions: [\n", "not valid YAML"),
        ("- a\n- b\n", "no top-level 'interactions' list"),
        (
            "version: 1\ninteractions:\n- request: {method: GET}\n  response: {}\n",
            "interaction #0 is malformed",
        ),
        ("version: 9\ninteractions: []\n", "format version 9"),
    ],
)
def test_broken_files_name_the_path_the_problem_and_the_fix(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError) as raised:
        load_cassette(path)
    message = str(raised.value)
    assert str(path) in message
    assert problem in message
    assert "Fix: " in message


def test_a_failed_write_leaves_the_old_cassette_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(Cassette(tmp_path / "c.yaml", (_interaction(),)))
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_cassette(Cassette(path, (_interaction(), _interaction())))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]
