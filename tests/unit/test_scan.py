"""The leak scan: every encoding vcrpy writes, masked findings that name field and rule."""

from __future__ import annotations

import base64
import gzip
import importlib
import json
from pathlib import Path

import pytest
import vcr.request
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from replay_jobrun.cassette.format import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
    save_cassette,
)
from replay_jobrun.scrub.patterns import pseudonym_access_key_id, pseudonym_account_id
from replay_jobrun.scrub.scan import scan_cassette, scan_file, scan_interactions, scan_text
from tests.support import CASSETTES

# The module: the package's own ``scan`` attribute is the scan function.
scan_module = importlib.import_module("replay_jobrun.scrub.scan")
ACCOUNT = "604193857261"
FAKE = pseudonym_account_id(ACCOUNT)
KEY = "AKIAQWERTYUIOPASDFGH"
TOKEN = "FQoGZXIvYXdzEXAMPLEtokenValue0123456789abcdef"
URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1"


def _interaction(body: str, headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("GET", URI, {}, None),
        RecordedResponse(
            200, "OK", headers or {"Content-Type": ["application/json"]}, body.encode()
        ),
    )


def _binary_block(raw: bytes) -> str:
    return f"    headers:\n      X-Thing:\n      - !!binary |\n        {base64.b64encode(raw).decode()}\n"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(f"AWS4-HMAC-SHA256 Credential={KEY}/2026".encode(), id="base64"),
        pytest.param(gzip.compress(f'{{"createdBy": "{KEY}"}}'.encode(), mtime=0), id="gzip"),
    ],
)
def test_scan_text_finds_an_access_key_in_a_binary_block_and_masks_it(raw: bytes) -> None:
    text = _binary_block(raw)
    assert KEY not in text
    findings = scan_text(text)
    assert [(f.kind, f.where) for f in findings] == [("access key id", "base64 block 1")]
    (finding,) = findings
    assert finding.masked == "***"
    assert KEY not in str(finding)
    assert "AKIA" not in str(finding)
    assert str(finding) == "  file, base64 block 1: access key id"


def _stock_cassette(headers: dict[str, bytes], body: bytes) -> str:
    return serialize(
        {
            "requests": [vcr.request.Request("GET", URI, None, headers)],
            "responses": [
                {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": body},
                }
            ],
        },
        yamlserializer,
    )


def test_scan_text_finds_keys_in_a_stock_vcrpy_cassette() -> None:
    header = f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/x".encode()
    body = gzip.compress(f'{{"createdBy": "{KEY}", "n": 1}}'.encode(), mtime=0)
    # Padded base64 (see the xfail tests below for the unpadded case).
    assert len(header) % 3 != 0
    assert len(body) % 3 != 0
    text = _stock_cassette({"Authorization": header}, body)
    assert KEY not in text
    findings = scan_text(text)
    assert {f.kind for f in findings} == {"access key id", "credential header"}
    assert sum(f.kind == "access key id" for f in findings) == 2
    assert all(KEY not in str(f) for f in findings)


def test_scan_text_finds_a_key_in_an_unpadded_binary_block_followed_by_a_header() -> None:
    header = f"Credential={KEY}/x".encode()
    assert len(header) % 3 == 0  # base64 without padding
    text = _stock_cassette({"Authorization": header, "X-Other": b"v"}, b"{}")
    assert [f.kind for f in scan_text(text) if f.kind == "access key id"] == ["access key id"]


def test_scan_file_finds_a_key_in_an_unpadded_gzip_body(tmp_path: Path) -> None:
    body = gzip.compress(f'{{"createdBy": "{KEY}"}}'.encode(), mtime=0)
    assert len(body) % 3 == 0
    path = tmp_path / "leaky.yaml"
    path.write_text(_stock_cassette({}, body), encoding="utf-8")
    findings = scan_file(path)
    # Found twice: in the inflated body of the interaction and in the decoded file text.
    assert {(f.kind, f.where) for f in findings} == {
        ("access key id", "response.body"),
        ("access key id", "base64 block 1"),
    }


def test_scan_text_reports_known_secrets_masked() -> None:
    text = f"note: {TOKEN}\n"
    (finding,) = scan_text(text, secrets=[TOKEN])
    assert finding.kind == "known secret"
    assert finding.masked == "***"
    # No character of a learnt secret: not even four of them in a row.
    assert not any(TOKEN[i : i + 4] in str(finding) for i in range(len(TOKEN) - 3))


def test_scan_text_trusts_listed_pseudonyms() -> None:
    text = f"arn:aws:iam::{FAKE}:role/r {pseudonym_access_key_id(KEY)}"
    assert len(scan_text(text)) == 2
    assert scan_text(text, pseudonyms=[FAKE, pseudonym_access_key_id(KEY)]) == []


def test_scan_file_flags_a_cassette_holding_a_real_account(tmp_path: Path) -> None:
    leaky = _interaction(json.dumps({"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}))
    path = save_cassette(Cassette(tmp_path / "leaky.yaml", (leaky,)))
    findings = scan_file(path)
    assert {(f.kind, f.masked) for f in findings} == {("account id in ARN", "***")}
    assert {f.interaction for f in findings} == {0, None}
    assert all(ACCOUNT not in str(f) for f in findings)


def test_scan_file_trusts_the_pseudonyms_listed_in_the_metadata(tmp_path: Path) -> None:
    scrubbed = _interaction(json.dumps({"executionRoleArn": f"arn:aws:iam::{FAKE}:role/r"}))
    bare = save_cassette(Cassette(tmp_path / "bare.yaml", (scrubbed,)))
    assert scan_file(bare) != []
    listed = save_cassette(Cassette(tmp_path / "listed.yaml", (scrubbed,), {"pseudonyms": [FAKE]}))
    assert scan_file(listed) == []


PROJECT_CASSETTES = sorted(CASSETTES.rglob("*.yaml"))


def test_the_project_has_cassettes_to_scan() -> None:
    assert len(PROJECT_CASSETTES) >= 9


@pytest.mark.parametrize(
    "path", PROJECT_CASSETTES, ids=lambda p: p.relative_to(CASSETTES).as_posix()
)
def test_every_project_cassette_scans_clean(path: Path) -> None:
    assert scan_file(path) == []


def test_findings_in_json_bodies_name_the_field_and_the_rule() -> None:
    body = json.dumps(
        {
            "jobRun": {
                "createdBy": "arn:aws:sts::604193857261:assumed-role/Admin/jane.doe@example.com",
                "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://payments-prod/x.py"}},
            }
        }
    )
    findings = scan_interactions([_interaction(body)])
    assert {(f.field, f.kind, f.rule) for f in findings} == {
        ("jobRun.createdBy", "account id in ARN", "the built-in account id rule"),
        ("jobRun.createdBy", "e-mail address", "the built-in e-mail rule"),
        (
            "jobRun.jobDriver.sparkSubmitJobDriver.entryPoint",
            "S3 bucket name",
            "the built-in S3 bucket rule",
        ),
    }
    by_kind = {f.kind: f for f in findings}
    assert str(by_kind["e-mail address"]) == (
        "  interaction #0, response.body jobRun.createdBy: e-mail address"
    )
    assert by_kind["S3 bucket name"].fix == (
        "jobrun_scrub_fields = jobRun.jobDriver.sparkSubmitJobDriver.entryPoint -> REDACTED"
    )
    assert all("jane" not in str(f) and "payments" not in str(f) for f in findings)


def test_a_secret_base64_encoded_inside_a_json_value_is_found() -> None:
    hidden = base64.b64encode(f"aws_access_key_id={KEY}".encode()).decode()
    findings = scan_interactions([_interaction(json.dumps({"jobRun": {"name": hidden}}))])
    # The base64 text is itself a secret-looking token; decoded, it holds an access key.
    assert {(f.field, f.kind) for f in findings} == {
        ("jobRun.name", "access key id"),
        ("jobRun.name", "secret-looking token"),
    }


def test_request_id_headers_are_not_tokens_but_other_headers_are() -> None:
    moto_id = "89JFPmSG5qTCTYIc6StrZlqK1rrbAt3dMHDrRZ8Q7VrFTyeMtQgB"
    headers = {"x-amzn-RequestId": [moto_id], "x-api-key": [moto_id]}
    findings = scan_interactions([_interaction("{}", headers)])
    assert [(f.where, f.field, f.kind) for f in findings] == [
        ("response.headers", "x-api-key", "secret-looking token")
    ]
    assert str(findings[0]).startswith("  interaction #0, response.headers.x-api-key: ")


def test_known_secrets_name_where_the_scrubber_learnt_them() -> None:
    (finding,) = scan_text(f"note: {TOKEN}\n", {TOKEN: "the X-Amz-Security-Token header"})
    assert finding.rule == "the sweep of values learnt from the X-Amz-Security-Token header"


def test_recording_refuses_to_write_what_the_scan_flags_and_says_which_rule_to_add(
    tmp_path: Path,
) -> None:
    from replay_jobrun.errors import LeakError
    from replay_jobrun.record.recorder import write_scrubbed
    from replay_jobrun.scrub.scrubber import Scrubber

    hidden = base64.b64encode(KEY.encode()).decode()  # 28 characters: not a token
    target = tmp_path / "leaky.yaml"
    target.write_text("previous good cassette\n")
    cassette = Cassette(target, (_interaction(json.dumps({"jobRun": {"name": hidden}})),))
    with pytest.raises(LeakError) as raised:
        write_scrubbed(cassette, Scrubber())
    message = str(raised.value)
    assert "interaction #0, response.body jobRun.name: access key id\n" in message
    assert "missed by the built-in access key id rule" in message
    assert "jobrun_scrub_fields = jobRun.name -> REDACTED" in message
    assert KEY not in message
    assert hidden not in message
    assert target.read_text() == "previous good cassette\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_swept_value_inside_a_longer_token_is_not_a_leak(tmp_path: Path) -> None:
    """A job argument ``2026-03-22`` is sensitive and swept where it stands alone; the
    same characters inside a timestamp are not that value, for the sweep nor the scan."""
    from replay_jobrun.record.recorder import write_scrubbed
    from replay_jobrun.scrub.scrubber import Scrubber

    run = {
        "jobRun": {
            "createdAt": "2026-03-22T10:00:00Z",
            "stateDetails": "run for 2026-03-22 failed",
            "jobDriver": {"sparkSubmitJobDriver": {"entryPointArguments": ["2026-03-22"]}},
        }
    }
    interaction = Interaction(
        RecordedRequest("GET", URI),
        RecordedResponse(200, "OK", {}, json.dumps(run).encode()),
        "DescribeJobRun",
    )
    written, _ = write_scrubbed(Cassette(tmp_path / "dated.yaml", (interaction,)), Scrubber())
    body = json.loads(written.interactions[0].response.body)["jobRun"]
    assert body["createdAt"] == "2026-03-22T10:00:00Z"
    assert "2026-03-22" not in body["stateDetails"]


def test_a_secret_in_a_json_key_is_masked_in_the_field_it_names() -> None:
    body = json.dumps({"jobRun": {"tags": {f"owner-{KEY}": "x"}}})
    findings = scan_interactions([_interaction(body)])
    assert findings
    assert all(KEY not in (f.field or "") and KEY not in str(f) for f in findings)
    assert any(f.field == "jobRun.tags.owner-***" for f in findings)


# --- the first pass over distinct lines ---------------------------------------------------
# Pieces of traffic: each kind of finding, near misses (pseudonyms, request ids), and what
# changes how a part is read (escapes, quotes, line breaks, base64, URL encoding, non-ASCII).
SWEPT = "sensitive value 17"
LEAKS = [
    KEY,
    TOKEN,
    SWEPT,
    f"arn:aws:iam::{ACCOUNT}:role/x",
    f"arn%3Aaws%3Aiam%3A%3A{ACCOUNT}%3Arole",
    ACCOUNT,
    "jane@example.com",
    "s3://payroll-bucket/key",
    base64.b64encode(KEY.encode()).decode(),
    base64.b64encode(gzip.compress(b"jane@example.com", mtime=0)).decode(),
    "Authorization: x",
]
HARMLESS = [
    f"arn:aws:iam::{FAKE}:role/x",
    "user-0a1b2c@example.com",
    base64.b64encode(b"nothing to see here").decode(),
    "ok",
    " ",
    "  ",
    "/",
    ":",
    "-",
    '"',
    "\\",
    "\n",
    "%40",
    "é",
]
# Mostly harmless text: the first pass has to clear it without missing the leak among it.
TEXT = st.one_of(
    st.lists(st.sampled_from(HARMLESS), max_size=6),
    st.lists(st.sampled_from(HARMLESS + LEAKS), max_size=6),
).map("".join)
JSON_VALUE = st.recursive(
    st.one_of(TEXT, st.integers(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(TEXT, children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[bytes, dict[str, list[str]]]:
    """A body and the headers that go with it: JSON (compact or pretty), text or gzip."""
    value = draw(JSON_VALUE)
    text = draw(
        st.sampled_from(
            [
                json.dumps(value),
                json.dumps(value, indent=2, ensure_ascii=False),
                json.dumps(value, ensure_ascii=False),
            ]
        )
        | TEXT
    )
    body = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        return body, {}
    encoded = {"Content-Encoding": ["gzip"]} if draw(st.booleans()) else {}
    return gzip.compress(body, mtime=0), encoded


def _part(uri: str = URI, body: str = "{}") -> Interaction:
    """An interaction that holds nothing but ``uri`` and a response ``body``."""
    return Interaction(RecordedRequest("GET", uri), RecordedResponse(200, "OK", {}, body.encode()))


@st.composite
def _interactions(draw: st.DrawFn) -> Interaction:
    names = st.sampled_from(["Content-Type", "x-amzn-RequestId", "X-Custom", "x-api-key", ""])
    # A random request id: fine in a request-id header, a token in any other.
    values = TEXT | st.just("89JFPmSG5qTCTYIc6StrZlqK1rrbAt3dMHDrRZ8Q7VrFTyeMtQgB")
    headers = st.dictionaries(names, st.lists(values, max_size=2), max_size=3)
    request_body, _ = draw(_bodies())
    response_body, encoding = draw(_bodies())
    return Interaction(
        RecordedRequest("POST", URI + draw(TEXT), draw(headers), request_body or None),
        RecordedResponse(200, "OK", {**draw(headers), **encoding}, response_body),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    interactions=st.lists(_interactions(), min_size=1, max_size=3),
    known=st.lists(
        st.sampled_from([TOKEN, ACCOUNT, SWEPT, "two\nlines", " leading", "é-secret"]), max_size=3
    ),
    pseudonyms=st.sampled_from(
        [[FAKE, "user-0a1b2c@example.com"], [FAKE, "user-0a1b2c@example.com", KEY], [FAKE], []]
    ),
    repeat=st.booleans(),
)
# A leak that only one way of reading shows: decoded from base64, from a JSON escape or
# from the URL; a known secret across a line break, or starting in a line's indentation.
@example([_part(body=json.dumps({"name": base64.b64encode(KEY.encode()).decode()}))], [], [], False)
@example([_part(body='{"name": "\\u0041KIAQWERTYUIOPASDFGH"}')], [], [], False)
@example([_part(uri=URI + "?k=%41KIAQWERTYUIOPASDFGH")], [], [], False)
@example([_part(body="x two\nlines y")], ["two\nlines"], [], False)
@example([_part(body="x\n  leading y")], [" leading"], [], False)
def test_the_first_pass_never_clears_what_the_full_scan_flags(
    interactions: list[Interaction],
    known: list[str],
    pseudonyms: list[str],
    repeat: bool,
) -> None:
    """Every finding is in some distinct line, so the scan gives the same findings with its
    first pass as without: it goes part by part exactly when there is something to name."""
    if repeat:  # a poller's cassette: the same responses again
        interactions = interactions * 2
    cassette = Cassette(Path("c.yaml"), tuple(interactions), {"pseudonyms": sorted(pseudonyms)})
    texts = [dump_cassette(cassette), serialize(_as_vcrpy(interactions), yamlserializer)]
    secrets = dict.fromkeys(known, "a test")
    fast = [scan_cassette(interactions, text, secrets, pseudonyms) for text in texts]
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(scan_module, "_texts_clean", lambda *args, **kwargs: False)
        slow = [scan_cassette(interactions, text, secrets, pseudonyms) for text in texts]
    assert fast == slow


def _as_vcrpy(interactions: list[Interaction]) -> dict[str, list[object]]:
    """What stock vcrpy would write for these interactions (headers as !!binary)."""
    return {
        "requests": [
            vcr.request.Request(
                i.request.method,
                i.request.uri,
                i.request.body,
                {
                    k: v[0].encode("utf-8", "surrogatepass")
                    for k, v in i.request.headers.items()
                    if v
                },
            )
            for i in interactions
        ],
        "responses": [
            {
                "status": {"code": i.response.status, "message": i.response.reason},
                "headers": dict(i.response.headers),
                "body": {"string": i.response.body},
            }
            for i in interactions
        ],
    }
