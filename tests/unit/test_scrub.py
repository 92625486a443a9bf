"""scrub.py: pseudonyms, the text rules, credential headers, idempotency and the leak scan."""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.format import Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.scrub.ledger import Ledger
from replay_jobrun.scrub.patterns import (
    PLACEHOLDER_SECRET,
    pseudonym_access_key_id,
    pseudonym_account_id,
)
from replay_jobrun.scrub.scrubber import Scrubber

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


# --- property ---------------------------------------------------------------------------------

SAFE = string.ascii_letters + string.digits + " \t\n.,;:=-_/\"'{}[]()"


@settings(max_examples=40, deadline=None)
@example(account="000000000000", before="", after="", name="A@A.AA")
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
    assume(not re.search(r"s3[an]?://\Z", before))  # "s3://arn" is a bucket called "arn"
    text = f"{before}arn:aws:iam::{account}:role/{name}{after}"
    scrubber = Scrubber()
    scrubbed = scrubber.scrub_text(text)
    assert account not in scrubbed
    assert IAM_ROLE_ARN.search(scrubbed)
    # Random text can look like a token, and a role name like "A@A.AA" is an e-mail.
    if not {"secret token", "e-mail"} & set(scrubber.report.replaced):
        assert scrubbed == text.replace(account, pseudonym_account_id(account))


# --- memoized passes --------------------------------------------------------------------
# A poller's cassette repeats bodies and headers; the scrubber reuses a step's result for
# the same input while nothing new was learnt. Same output, same counts, same learning.
OTHER_ACCOUNT = "318274650193"
SESSION = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789abcdefGHIJKL"
RANDOM_TOKEN = "ghp_Zk3pQ9vL2xR7mN4bT8wY1cH6jD5sA0eGuIoE"
FRAGMENTS = st.sampled_from(
    [
        KEY,
        RANDOM_TOKEN,
        SESSION,
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:role/Admin",
        f"arn:aws:kms:us-east-1:{OTHER_ACCOUNT}:key/k",
        "jane@example.com",
        f"s3://team-{ACCOUNT}/jobs/etl.py",
        "s3://data/x",
        "--conf spark.x=1",
        "nightly-etl",
        "REDACTED",
        "entry.py",
        " ",
        "/",
        '"',
        "\\",
        "é",
    ]
)
FREE_TEXT = st.lists(FRAGMENTS, max_size=4).map("".join)


@st.composite
def _run_bodies(draw: st.DrawFn) -> bytes:
    """A DescribeJobRun body: sensitive fields, tags and free text mixing secrets."""
    run = {
        "jobRun": {
            "id": "job1",
            "virtualClusterId": "vc1",
            "arn": f"arn:aws:emr-containers:us-east-1:{ACCOUNT}:/virtualclusters/vc1/jobruns/job1",
            "state": draw(st.sampled_from(["PENDING", "RUNNING", "COMPLETED"])),
            "name": draw(FREE_TEXT),
            "stateDetails": draw(FREE_TEXT),
            "tags": draw(st.dictionaries(st.sampled_from(["team", "owner"]), FREE_TEXT)),
            "jobDriver": {
                "sparkSubmitJobDriver": {
                    "entryPoint": draw(FREE_TEXT),
                    "entryPointArguments": draw(st.lists(FREE_TEXT, max_size=2)),
                }
            },
        }
    }
    return json.dumps(run).encode()


@st.composite
def _polls(draw: st.DrawFn) -> list[Interaction]:
    """Polls that answer with a few distinct bodies, each repeated, in any order."""
    bodies = draw(st.lists(_run_bodies(), min_size=1, max_size=3))
    order = draw(st.lists(st.integers(0, len(bodies) - 1), min_size=1, max_size=8))
    headers = {
        "Authorization": [f"AWS4-HMAC-SHA256 Credential={KEY}/20260322/us-east-1/emr/aws4"],
        "X-Amz-Security-Token": [SESSION],
        "X-Custom": [draw(FREE_TEXT)],
    }
    return [
        Interaction(
            RecordedRequest("GET", URI, headers),
            RecordedResponse(200, "OK", {"x-amzn-RequestId": [draw(FREE_TEXT)]}, bodies[i]),
            "DescribeJobRun",
        )
        for i in order
    ]


RULE_SETS = st.sampled_from(
    [
        (),
        ("regex",),
        ("field",),
        ("keep",),
        ("regex", "field", "keep"),
    ]
)


def _scrubber(rule_set: tuple[str, ...]) -> Scrubber:
    from replay_jobrun import rules

    made = {
        "regex": rules.regex("nightly-(etl)", r"batch-\1"),
        "field": rules.field("jobRun.stateDetails", "details"),
        "keep": rules.keep("jobRun.tags.team"),
    }
    return Scrubber(rules=[made[name] for name in rule_set])


@settings(max_examples=150, deadline=None)
@given(polls=st.lists(_polls(), min_size=1, max_size=2), rule_set=RULE_SETS)
def test_memoized_passes_scrub_exactly_as_running_every_step(
    polls: list[list[Interaction]], rule_set: tuple[str, ...]
) -> None:
    def scrub(memoize: bool) -> tuple[object, ...]:
        scrubber = _scrubber(rule_set)
        with pytest.MonkeyPatch.context() as patched:
            if not memoize:
                patched.setattr(Ledger, "memoized", lambda self, memo, key, step: step())
            # One scrubber, several cassettes: what the first learnt changes the second.
            results = [scrubber.scrub_all(cassette) for cassette in polls]
        return (
            [
                (scrubbed, report.summary(), sorted(report.pseudonyms))
                for scrubbed, report in results
            ],
            list(scrubber.sources.items()),
            list(scrubber.secrets.items()),
            sorted(scrubber.pseudonyms),
            scrubber.report.summary(),
        )

    assert scrub(memoize=True) == scrub(memoize=False)
