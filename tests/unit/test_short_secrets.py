"""Learnt secrets below the sweep floor: replaced as credentials only, and scanned the same way."""

from __future__ import annotations

import pytest

from replay_jobrun.scrub.patterns import SWEEP_FLOOR, swept_anywhere
from replay_jobrun.scrub.scan import scan_text
from replay_jobrun.scrub.scrubber import Scrubber

ORDINARY = [
    "test-cluster",
    "testing",
    "a.test",
    "unit_test",
    '{"name": "test-cluster", "namespace": "ns-test"}',
    "logs/test/run",
    "the test passed",
]
AS_CREDENTIAL = [
    ("AWS_SECRET_ACCESS_KEY=test", "AWS_SECRET_ACCESS_KEY=REDACTED"),
    (
        "--conf spark.hadoop.fs.s3a.secret.key=test",
        "--conf spark.hadoop.fs.s3a.secret.key=REDACTED",
    ),
    (
        '{"secretAccessKey": "test", "name": "test-job"}',
        '{"secretAccessKey": "REDACTED", "name": "test-job"}',
    ),
    ("password: 'test' for test-cluster", "password: 'REDACTED' for test-cluster"),
    ("http://ci:test@localhost:8443/x", "http://ci:REDACTED@localhost:8443/x"),
    ("/upload?token=test&run=test-run", "/upload?token=REDACTED&run=test-run"),
]


KEY = {"test": "the client's secret access key"}


def _scrubber(secret: str = "test") -> Scrubber:
    scrubber = Scrubber()
    scrubber.learn_secret_key(secret)
    return scrubber


def test_the_floor_is_below_every_real_aws_credential() -> None:
    assert SWEEP_FLOOR <= 20  # access key ids are 20 characters, secret keys 40
    assert not swept_anywhere("test")
    assert not swept_anywhere("x" * (SWEEP_FLOOR - 1))
    assert swept_anywhere("x" * SWEEP_FLOOR)
    # Account ids and e-mail addresses are short, but their shape is no word.
    assert swept_anywhere("123456789012")
    assert swept_anywhere("jo@example.com")


@pytest.mark.parametrize("text", ORDINARY)
def test_a_short_secret_is_never_swept_from_ordinary_words(text: str) -> None:
    scrubber = _scrubber()
    assert scrubber.short_secrets == {"test"}
    assert scrubber.scrub_text(text) == text
    assert scan_text(text, KEY, short=["test"]) == []


@pytest.mark.parametrize(("text", "scrubbed"), AS_CREDENTIAL)
def test_a_short_secret_is_replaced_where_it_stands_as_a_credential(
    text: str, scrubbed: str
) -> None:
    assert _scrubber().scrub_text(text) == scrubbed
    # The scan applies the same rule: it finds what was there, nothing in what is left.
    findings = scan_text(text, KEY, short=["test"])
    assert [f.kind for f in findings] == ["known secret"]
    assert scan_text(scrubbed, KEY, short=["test"]) == []


def test_a_short_secret_as_a_credential_header_or_field_value() -> None:
    scrubber = _scrubber()
    headers = scrubber.scrub_headers({"X-Api-Key": ["test"], "X-Cluster": ["test"]})
    assert headers == {"X-Api-Key": ["REDACTED"], "X-Cluster": ["test"]}
    kept = scrubber.scrub_value({"password": "test", "cluster": "test", "note": "test-run"})
    assert kept == {"password": "REDACTED", "cluster": "test", "note": "test-run"}


def test_a_one_letter_secret_key_changes_nothing_else() -> None:
    text = '{"name": "x", "path": "s3://b/x.py", "expr": "x + y"}'
    assert _scrubber("x").scrub_text(text) == text
    assert scan_text(text, {"x": "the client's secret access key"}, short=["x"]) == []


def test_a_secret_at_the_floor_is_swept_wherever_it_stands_alone() -> None:
    secret = "k" * SWEEP_FLOOR
    scrubber = _scrubber(secret)
    assert scrubber.scrub_text(f"name-{secret}-x") == "name-REDACTED-x"
    assert [f.kind for f in scan_text(f"name-{secret}-x", {secret: "the key"})] == ["known secret"]
