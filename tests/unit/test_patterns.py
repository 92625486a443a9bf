"""Detectors and pseudonyms shared by the scrubber and the leak scan."""

from __future__ import annotations

import random
import re
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from replay_jobrun.scrub.patterns import (
    EMAIL,
    S3_BUCKET,
    TOKEN_CANDIDATE,
    SecretIndex,
    find_buckets,
    find_emails,
    looks_secret,
    pseudonym_bucket,
    pseudonym_email,
    redacted,
    secret_parts,
    sweep_pattern,
)

# What the botocore model and S3 require of the replacements.
BUCKET_NAME = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
ROLE_SESSION_NAME = re.compile(r"\A[\w+=,.@-]{2,64}\Z")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("assumed-role/Admin/jane.doe@example.com", "jane.doe@example.com"),
        ("owner: ops+ci@corp.example.co.uk.", "ops+ci@corp.example.co.uk"),
        ("assumed-role%2FAdmin%2Fjane%40example.com", "jane%40example.com"),
    ],
)
def test_email_detector_finds_addresses_also_url_encoded(text: str, found: str) -> None:
    (match,) = EMAIL.finditer(text)
    assert match.group(0) == found


@pytest.mark.parametrize(
    "text", ["spark@3.5", "image@sha256:abc", "user@localhost", "a@b", "emr-7.10.0@latest"]
)
def test_email_detector_ignores_what_is_not_an_address(text: str) -> None:
    assert EMAIL.search(text) is None


def test_email_pseudonym_is_an_email_and_a_valid_session_name() -> None:
    pseudonym = pseudonym_email("jane.doe@example.com")
    assert EMAIL.fullmatch(pseudonym)
    assert ROLE_SESSION_NAME.match(pseudonym)
    assert pseudonym == pseudonym_email("Jane.Doe@example.com")  # addresses ignore case
    assert pseudonym != pseudonym_email("jane.doe@example.com", salt="other")


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        (
            "s3://sparkpilot-live-604193857261-20260224203702/scripts/x.py",
            "sparkpilot-live-604193857261-20260224203702",
        ),
        ("--conf spark.jars=s3a://jars.corp/lib.jar", "jars.corp"),
        ("s3n://old_bucket", "old_bucket"),
        ("arn:aws:s3:::payments-prod/*", "payments-prod"),
        ("arn:aws-cn:s3:::payments-prod", "payments-prod"),
    ],
)
def test_bucket_detector_finds_the_bucket_of_every_s3_uri_form(text: str, bucket: str) -> None:
    (match,) = S3_BUCKET.finditer(text)
    assert match.group(2) == bucket


@pytest.mark.parametrize("original", ["abc", "my-bucket", "Payments_Prod.Legacy", "b" * 63])
def test_bucket_pseudonym_is_a_valid_bucket_name_of_the_same_length(original: str) -> None:
    pseudonym = pseudonym_bucket(original)
    assert BUCKET_NAME.match(pseudonym)
    assert len(pseudonym) == len(original)  # a field near its length limit stays within it
    assert pseudonym == pseudonym_bucket(original)


@pytest.mark.parametrize(
    "original", ["a@b.io", "ab@cd.io", "jane.doe@example.com", "x" * 40 + "@corp.example.com"]
)
def test_email_pseudonym_is_never_longer_than_needed(original: str) -> None:
    pseudonym = pseudonym_email(original)
    assert EMAIL.fullmatch(pseudonym)
    assert len(pseudonym) == max(len(original), 8)


RANDOM = random.Random(20261125)
BASE62 = string.ascii_letters + string.digits


@pytest.mark.parametrize(
    "token",
    [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS's documented example secret key
        "ghp_" + "".join(RANDOM.choice(BASE62) for _ in range(36)),
        "".join(RANDOM.choice(BASE62 + "-_") for _ in range(43)),  # token_urlsafe(32)
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",  # a JWT header segment
    ],
)
def test_long_random_tokens_look_secret(token: str) -> None:
    (match,) = TOKEN_CANDIDATE.finditer(f"key={token} ")
    assert looks_secret(match.group(1))


@pytest.mark.parametrize(
    "text",
    [
        "assumed-role/SparkPilotByocLiteRoleAdmin/sparkpilot-53d8b69e",
        "virtualclusters/k3v9q0x7r2m8w1t5z6b4n0c2d/jobruns/0000000378nj1d2s7lo",
        "AWSEMRServiceRoleForEKS2024ProductionCluster",
        "SparkPilotEmrExecutionRole1234567890abcdef",
        "org_apache_spark_SparkSubmitCommandLineParser2",
        "89b43f2d-2a48-4be6-9723-9732b0df8223",
        "0f" * 32,  # a hex digest
    ],
)
def test_names_ids_and_digests_do_not_look_secret(text: str) -> None:
    assert not any(looks_secret(m.group(1)) for m in TOKEN_CANDIDATE.finditer(text))


def test_random_tokens_are_caught_at_the_documented_rate() -> None:
    tokens = ["".join(RANDOM.choice(BASE62) for _ in range(32)) for _ in range(4000)]
    missed = sum(not looks_secret(t) for t in tokens)
    assert missed <= 4000 / 200  # documented: about 1 in 400


def test_redaction_respects_the_shape_length_limit() -> None:
    assert re.fullmatch(r"REDACTED-[0-9a-f]{8}", redacted("value"))
    assert redacted("value", limit=10) == redacted("value")[:10]


def test_a_token_inside_a_path_is_replaced_alone_so_the_path_keeps_its_shape() -> None:
    token = "ghp_" + "".join(RANDOM.choice(BASE62) for _ in range(36))
    (match,) = TOKEN_CANDIDATE.finditer(f"jobs/{token}/run")
    assert secret_parts(match.group(1)) == [token]
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # no path word: judged whole
    assert secret_parts(key) == [key]


PIECES = st.sampled_from(
    [
        "@",
        "%40",
        "%2F",
        "%2B",
        ".",
        "-",
        "+",
        "_",
        "/",
        " ",
        '"',
        "s3://",
        "s3a://",
        ":s3:::",
        "arn:aws",
        "example.com",
        "corp.io",
        "jane",
        "a",
        "7",
        "x" * 70,
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
@example("arn:aws" + "x" * 70 + ":s3:::s3a://")  # a partition longer than the look-back
# Lookaheads at the search window's end must see the text after it.
@example("s3://" + "x" * 70 + "@s3://" + "x" * 70)
@example(
    "s3://@@@@@%40%40%40%40s3://%40s3://example.comexample.comexample.coms3://s3://s3://@s3a://example.com"
)
def test_anchored_search_finds_exactly_what_finditer_finds(text: str) -> None:
    assert [m.span() for m in find_emails(text)] == [m.span() for m in EMAIL.finditer(text)]
    assert [m.span() for m in find_buckets(text)] == [m.span() for m in S3_BUCKET.finditer(text)]


# Secrets and the text around them: runs of letters and digits of every kind, separators,
# non-ASCII letters (which end an ASCII run) and pieces with no letter or digit at all.
RUN_PIECES = st.sampled_from(
    ["ab", "AB", "a1", "7", "2026", "x", "-", ".", "/", " ", "\n", '"', "\\", "é", "ß1", "_", "=="]
)
SECRET = st.lists(RUN_PIECES, min_size=1, max_size=6).map("".join)


@settings(max_examples=500, deadline=None)
@given(
    secrets=st.lists(SECRET, min_size=1, max_size=6),
    pieces=st.lists(st.one_of(RUN_PIECES, SECRET), max_size=20),
)
@example(secrets=["--"], pieces=["a", "--", "b"])
@example(secrets=["ab-cd", "ab"], pieces=["ab-cd"])
def test_the_secret_index_finds_every_secret_the_sweep_would(
    secrets: list[str], pieces: list[str]
) -> None:
    text = "".join(pieces)
    present = SecretIndex(secrets).present(text)
    assert all(secret in text for secret in present)
    for secret in secrets:
        if sweep_pattern([secret]).search(text):
            assert secret in present, (secret, text)
    # Only the secrets that do stand alone matter, so the sweep over what the index returns
    # replaces exactly what the sweep over every secret replaces.
    assert sweep_pattern(present or ["\x00"]).sub("#", text) == sweep_pattern(secrets).sub(
        "#", text
    )
