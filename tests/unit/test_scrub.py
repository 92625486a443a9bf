"""scrub.py: pseudonyms, the text rules, credential headers, idempotency and the leak scan."""

from __future__ import annotations

import base64
import gzip
import json
import re
import string
from pathlib import Path

import pytest
import vcr.request
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from replay_jobrun.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    save_cassette,
)
from replay_jobrun.patterns import PLACEHOLDER_SECRET
from replay_jobrun.scan import scan_file, scan_text
from replay_jobrun.scrub import Scrubber, pseudonym_access_key_id, pseudonym_account_id
from tests.support import CASSETTES

ACCOUNT = "604193857261"
FAKE = pseudonym_account_id(ACCOUNT)
KEY = "AKIAQWERTYUIOPASDFGH"
URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/job1"
IAM_ROLE_ARN = re.compile(r"arn:aws:iam::\d{12}:role/")


def _interaction(
    body: str, headers: dict[str, list[str]] | None = None, request_body: str | None = None
) -> Interaction:
    return Interaction(
        RecordedRequest(
            "GET", URI, headers or {}, request_body.encode() if request_body is not None else None
        ),
        RecordedResponse(200, "OK", {"Content-Type": ["application/json"]}, body.encode()),
    )


# --- pseudonyms -------------------------------------------------------------------------


def test_account_pseudonym_is_twelve_digits_deterministic_and_not_the_original() -> None:
    assert re.fullmatch(r"\d{12}", FAKE)
    assert FAKE != ACCOUNT
    assert pseudonym_account_id(ACCOUNT) == FAKE
    assert pseudonym_account_id("000000000001") != FAKE


def test_account_pseudonym_changes_with_the_salt() -> None:
    salted = pseudonym_account_id(ACCOUNT, salt="team-salt")
    assert re.fullmatch(r"\d{12}", salted)
    assert salted != FAKE
    assert Scrubber(salt="team-salt").scrub_text(f"arn:aws:iam::{ACCOUNT}:root") == (
        f"arn:aws:iam::{salted}:root"
    )


@pytest.mark.parametrize("original", [KEY, "ASIAZXCVBNMLKJHGFDSA"])
def test_access_key_pseudonym_keeps_prefix_and_length(original: str) -> None:
    pseudonym = pseudonym_access_key_id(original)
    assert pseudonym[:4] == original[:4]
    assert len(pseudonym) == len(original)
    assert pseudonym != original
    assert re.fullmatch(r"[A-Z0-9]+", pseudonym)
    assert pseudonym_access_key_id(original) == pseudonym
    assert pseudonym_access_key_id(original, salt="other") != pseudonym


def test_access_key_ids_in_text_become_their_pseudonym() -> None:
    text = f'{{"createdBy": "{KEY}"}}'
    assert Scrubber().scrub_text(text) == text.replace(KEY, pseudonym_access_key_id(KEY))


# --- account ids in ARNs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "arn:aws:iam::{}:role/SparkPilotEmrExecutionRole",
        "arn:aws:emr-containers:us-east-1:{}:/virtualclusters/k3v9/jobruns/0000000378ndnj64mdt",
        "arn:aws:sts::{}:assumed-role/Admin/sparkpilot-53d8b69e",
        "arn:aws-cn:emr-containers:cn-north-1:{}:/virtualclusters/abc",
        "arn:aws-cn:iam::{}:role/x",
        "arn:aws-us-gov:iam::{}:role/x",
        "arn:aws-us-gov:emr-containers:us-gov-west-1:{}:/virtualclusters/abc",
        "arn%3Aaws%3Aiam%3A%3A{}%3Arole%2Fx",
        "arn%3aaws-cn%3aemr-containers%3acn-north-1%3a{}%3a%2Fvirtualclusters%2Fabc",
    ],
)
def test_only_the_account_of_an_arn_is_replaced(template: str) -> None:
    original = template.format(ACCOUNT)
    scrubbed = Scrubber().scrub_text(original)
    assert scrubbed == template.format(FAKE)
    assert ACCOUNT not in scrubbed


def test_every_arn_of_a_text_is_scrubbed_consistently() -> None:
    text = json.dumps(
        {
            "arn": f"arn:aws:emr-containers:us-east-1:{ACCOUNT}:/virtualclusters/vc1",
            "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
            "other": "arn:aws:iam::111122223333:role/r",
        }
    )
    scrubbed = json.loads(Scrubber().scrub_text(text))
    assert scrubbed["arn"].split(":")[4] == FAKE
    assert scrubbed["executionRoleArn"].split(":")[4] == FAKE
    assert scrubbed["other"].split(":")[4] == pseudonym_account_id("111122223333")


@pytest.mark.parametrize(
    "text",
    [
        "run 328ba1b7-8b0d-41fa-a9e8-713398061344 finished",
        "bucket sparkpilot-live-20260224203702 at 202602242037",
        '{"count": 123456789012, "id": "0000000378ndnj64mdt"}',
        "arn:aws:route53:::hostedzone/Z123456789012",  # an ARN without an account field
    ],
)
def test_twelve_digit_numbers_outside_an_arn_account_field_are_untouched(text: str) -> None:
    scrubber = Scrubber()
    assert scrubber.scrub_text(text) == text
    assert scrubber.report.summary() == {}


def test_a_glued_account_id_is_replaced_when_an_arn_of_the_cassette_reveals_it() -> None:
    prefix = f"spark-{ACCOUNT}-20260224203702"
    first = _interaction(json.dumps({"logStreamNamePrefix": prefix}))
    second = _interaction(json.dumps({"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}))
    (one, two), report = Scrubber().scrub_all([first, second])
    assert json.loads(one.response.body)["logStreamNamePrefix"] == f"spark-{FAKE}-20260224203702"
    assert json.loads(two.response.body)["executionRoleArn"] == f"arn:aws:iam::{FAKE}:role/r"
    assert report.summary()["account id"]["distinct"] == 1


def test_a_glued_account_id_with_no_arn_anywhere_is_left_alone() -> None:
    prefix = f"spark-{ACCOUNT}-20260224203702"
    (one,), _ = Scrubber().scrub_all([_interaction(json.dumps({"logStreamNamePrefix": prefix}))])
    assert json.loads(one.response.body)["logStreamNamePrefix"] == prefix


def test_scrub_all_reports_per_cassette_and_adds_to_the_running_total() -> None:
    scrubber = Scrubber()
    arn = f"arn:aws:iam::{ACCOUNT}:role/r"
    _, first = scrubber.scrub_all([_interaction(json.dumps({"a": arn, "b": arn}))])
    _, second = scrubber.scrub_all([_interaction(json.dumps({"a": arn}))])
    assert first.summary() == {"account id": {"distinct": 1, "replaced": 2}}
    assert second.summary() == {"account id": {"distinct": 1, "replaced": 1}}
    assert scrubber.report.summary() == {"account id": {"distinct": 1, "replaced": 3}}
    assert ACCOUNT not in repr(first.summary())


# --- credential headers ----------------------------------------------------------------------

# Not shaped like AKIA…: found only because the Authorization header names it.
HEADER_KEY = "TESTKEY0123456789XYZ"
TOKEN = "FQoGZXIvYXdzEXAMPLEtokenValue0123456789abcdef+/=="


def _signed() -> Interaction:
    return Interaction(
        RecordedRequest(
            "POST",
            "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns",
            {
                "authorization": [
                    f"AWS4-HMAC-SHA256 Credential={HEADER_KEY}/20260101/us-east-1/"
                    "emr-containers/aws4_request, SignedHeaders=host, Signature=abc"
                ],
                "X-Amz-Security-Token": [TOKEN],
                "X-Amz-Content-SHA256": ["e3b0c442"],
                "Content-Type": ["application/json"],
            },
            json.dumps({"name": f"job of {HEADER_KEY}", "note": f"token {TOKEN} !"}).encode(),
        ),
        RecordedResponse(
            200,
            "OK",
            {"Set-Cookie": ["session=1"], "x-amzn-RequestId": ["req-1"]},
            json.dumps({"createdBy": HEADER_KEY, "echo": TOKEN}).encode(),
        ),
    )


def test_credential_headers_are_dropped_in_any_case() -> None:
    (scrubbed,), report = Scrubber().scrub_all([_signed()])
    assert scrubbed.request.headers == {"Content-Type": ["application/json"]}
    assert scrubbed.response.headers == {"x-amzn-RequestId": ["req-1"]}
    assert report.summary()["credential header"]["replaced"] == 4


def test_the_key_and_token_of_credential_headers_are_swept_from_bodies() -> None:
    scrubber = Scrubber()
    (scrubbed,), _ = scrubber.scrub_all([_signed()])
    request_body = json.loads(scrubbed.request.body or b"")
    response_body = json.loads(scrubbed.response.body)
    fake_key = pseudonym_access_key_id(HEADER_KEY)
    assert request_body == {"name": f"job of {fake_key}", "note": f"token {PLACEHOLDER_SECRET} !"}
    assert response_body == {"createdBy": fake_key, "echo": PLACEHOLDER_SECRET}
    everything = repr(scrubbed)
    assert HEADER_KEY not in everything
    assert TOKEN not in everything
    assert scrubber.secrets[HEADER_KEY] == fake_key
    assert scrubber.secrets[TOKEN] == PLACEHOLDER_SECRET


def test_a_secret_inside_a_longer_word_is_not_half_replaced() -> None:
    scrubber = Scrubber()
    scrubber.scrub_headers({"Authorization": [f"AWS4-HMAC-SHA256 Credential={HEADER_KEY}/x"]})
    text = f"{HEADER_KEY}SUFFIX and {HEADER_KEY}"
    assert scrubber.scrub_text(text) == (
        f"{HEADER_KEY}SUFFIX and {pseudonym_access_key_id(HEADER_KEY)}"
    )


# --- idempotency ------------------------------------------------------------------------------

MIXED = (
    f"arn:aws:iam::{ACCOUNT}:role/r s3://bucket-{ACCOUNT}-2026/x {KEY} "
    f"arn%3Aaws%3Aiam%3A%3A{ACCOUNT}%3Arole%2Fx"
)


def test_scrubbing_scrubbed_text_again_changes_nothing() -> None:
    scrubber = Scrubber()
    once = scrubber.scrub_text(MIXED)
    assert ACCOUNT not in once
    assert KEY not in once
    assert scrubber.scrub_text(once) == once


def test_a_new_scrubber_told_the_pseudonyms_leaves_scrubbed_text_alone() -> None:
    first = Scrubber()
    once = first.scrub_text(MIXED)
    second = Scrubber(known_pseudonyms=first.pseudonyms)
    assert second.scrub_text(once) == once
    assert second.report.summary() == {}
    assert {FAKE, pseudonym_access_key_id(KEY)} <= first.pseudonyms


def test_scrubbing_whole_interactions_twice_is_stable() -> None:
    scrubber = Scrubber()
    once, _ = scrubber.scrub_all([_signed(), _interaction(MIXED)])
    twice, _ = Scrubber(known_pseudonyms=scrubber.pseudonyms).scrub_all(once)
    assert twice == once


# --- the leak scan ---------------------------------------------------------------------------


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
    assert finding.masked == "AKIA" + "*" * 12
    assert KEY not in str(finding)
    assert KEY[4:8] not in str(finding)
    assert "base64 block 1: access key id AKIA" in str(finding)


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
    assert finding.masked == TOKEN[:4] + "*" * 12
    assert TOKEN not in str(finding)


def test_scan_text_trusts_listed_pseudonyms() -> None:
    text = f"arn:aws:iam::{FAKE}:role/r {pseudonym_access_key_id(KEY)}"
    assert len(scan_text(text)) == 2
    assert scan_text(text, pseudonyms=[FAKE, pseudonym_access_key_id(KEY)]) == []


def test_scan_file_flags_a_cassette_holding_a_real_account(tmp_path: Path) -> None:
    leaky = _interaction(json.dumps({"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}))
    path = save_cassette(Cassette(tmp_path / "leaky.yaml", (leaky,)))
    findings = scan_file(path)
    assert {(f.kind, f.masked) for f in findings} == {("account id in ARN", "6041********")}
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


# --- property ---------------------------------------------------------------------------------

SAFE = string.ascii_letters + string.digits + " \t\n.,;:=-_/\"'{}[]()"


@settings(max_examples=40, deadline=None)
@given(
    account=st.from_regex(r"\A[0-9]{12}\Z"),
    before=st.text(alphabet=SAFE, max_size=40),
    after=st.text(alphabet=SAFE, max_size=40),
    name=st.from_regex(r"\A[A-Za-z][A-Za-z+=,.@_-]{0,30}\Z"),
)
def test_no_account_id_survives_in_an_arn_embedded_in_any_text(
    account: str, before: str, after: str, name: str
) -> None:
    assume(account not in before and account not in after)
    text = f"{before}arn:aws:iam::{account}:role/{name}{after}"
    scrubbed = Scrubber().scrub_text(text)
    assert account not in scrubbed
    assert IAM_ROLE_ARN.search(scrubbed)
    assert scrubbed == text.replace(account, pseudonym_account_id(account))
