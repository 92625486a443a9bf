from __future__ import annotations

import base64
import gzip
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette import Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.scrub import (
    Scrubber,
    pseudonym_access_key_id,
    pseudonym_account_id,
    scan_file,
    scan_text,
)
from tests.support import CASSETTES

ACCOUNT = "604193857261"


def test_account_pseudonym_is_twelve_digits_stable_and_salted() -> None:
    pseudonym = pseudonym_account_id(ACCOUNT)
    assert re.fullmatch(r"\d{12}", pseudonym)
    assert pseudonym != ACCOUNT
    assert pseudonym_account_id(ACCOUNT) == pseudonym
    assert pseudonym_account_id(ACCOUNT, salt="project-salt") != pseudonym


def test_access_key_pseudonym_keeps_prefix_and_length() -> None:
    original = "ASIAQWERTYUIOPASDFGH"
    pseudonym = pseudonym_access_key_id(original)
    assert pseudonym.startswith("ASIA")
    assert len(pseudonym) == len(original)
    assert pseudonym != original


def test_arns_in_every_partition_and_encoding_keep_all_but_the_account() -> None:
    scrubber = Scrubber()
    fake = pseudonym_account_id(ACCOUNT)
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:role/JobRole",
        f"arn:aws-cn:emr-containers:cn-north-1:{ACCOUNT}:/virtualclusters/abc",
        f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/R/user@example.com",
    ):
        assert scrubber.scrub_text(arn) == arn.replace(ACCOUNT, fake)
    encoded = f"/tags/arn%3Aaws%3Aemr-containers%3Aus-east-1%3A{ACCOUNT}%3A%2Fvirtualclusters%2Fabc"
    assert scrubber.scrub_text(encoded) == encoded.replace(ACCOUNT, fake)


def test_twelve_digit_numbers_outside_arns_are_not_account_ids() -> None:
    text = "run 328ba1b7-8b0d-41fa-a9e8-713398061344 at 202602242037"
    assert Scrubber().scrub_text(text) == text


def test_an_account_id_glued_into_a_bucket_is_swept_even_before_its_arn() -> None:
    bucket = f"s3://sparkpilot-live-{ACCOUNT}-20260224203702/scripts/x.py"
    first = Interaction(
        RecordedRequest("GET", "https://emr-containers.us-east-1.amazonaws.com/virtualclusters"),
        RecordedResponse(200, "OK", {}, f'{{"entryPoint": "{bucket}"}}'.encode()),
    )
    second = Interaction(
        RecordedRequest("GET", "https://emr-containers.us-east-1.amazonaws.com/virtualclusters"),
        RecordedResponse(200, "OK", {}, f'{{"arn": "arn:aws:iam::{ACCOUNT}:role/r"}}'.encode()),
    )
    scrubbed, report = Scrubber().scrub_all([first, second])
    assert ACCOUNT not in scrubbed[0].response.body.decode()
    assert "-20260224203702/" in scrubbed[0].response.body.decode()
    assert report.summary()["account id"]["distinct"] == 1


def test_credential_headers_are_dropped_and_their_values_swept_everywhere() -> None:
    key, token = "AKIAQWERTYUIOPASDFGH", "FQoGZXIvYXdzEXAMPLEtokenValue0123456789abcdef"
    interaction = Interaction(
        RecordedRequest(
            "POST",
            "https://emr-containers.us-east-1.amazonaws.com/virtualclusters",
            {
                "Authorization": [
                    f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/emr-containers/aws4_request"
                ],
                "X-Amz-Security-Token": [token],
                "Content-Type": ["application/json"],
            },
            f'{{"name": "echo {token}"}}'.encode(),
        ),
        RecordedResponse(200, "OK", {}, f'{{"createdBy": "{key}"}}'.encode()),
    )
    scrubber = Scrubber()
    (scrubbed,), _ = scrubber.scrub_all([interaction])
    assert set(scrubbed.request.headers) == {"Content-Type"}
    everything = repr(scrubbed)
    assert key not in everything
    assert token not in everything
    assert set(scrubber.secrets) >= {key, token}


def test_scrubbing_is_idempotent_also_for_a_fresh_scrubber_told_the_pseudonyms() -> None:
    text = f"arn:aws:iam::{ACCOUNT}:role/r AKIAQWERTYUIOPASDFGH"
    scrubber = Scrubber()
    once = scrubber.scrub_text(text)
    assert scrubber.scrub_text(once) == once
    assert Scrubber(known_pseudonyms=scrubber.pseudonyms).scrub_text(once) == once


def test_scan_decodes_base64_and_gzip_and_masks_what_it_reports() -> None:
    key = "AKIAQWERTYUIOPASDFGH"
    plain = base64.b64encode(f"Credential={key}/x".encode()).decode()
    zipped = base64.b64encode(gzip.compress(f'{{"k": "{key}"}}'.encode())).decode()
    for blob in (plain, zipped):
        findings = scan_text(f"headers:\n  X-Thing:\n  - !!binary |\n    {blob}\n")
        assert [f.kind for f in findings] == ["access key id"]
        assert key not in str(findings[0])
        assert str(findings[0]).endswith("AKIA" + "*" * 12)


def test_every_project_cassette_scans_clean() -> None:
    cassettes = sorted(CASSETTES.rglob("*.yaml"))
    assert cassettes
    assert {path.name: scan_file(path) for path in cassettes} == {
        path.name: [] for path in cassettes
    }


@settings(max_examples=40, deadline=None)
@given(
    account=st.from_regex(r"\A[0-9]{12}\Z"),
    before=st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=40),
    role=st.from_regex(r"\A[A-Za-z][A-Za-z0-9+=,.@_-]{0,20}\Z"),
)
def test_no_account_id_survives_in_an_arn_in_any_text(account: str, before: str, role: str) -> None:
    text = f'{before} "arn:aws:iam::{account}:role/{role}" {before}'
    scrubbed = Scrubber().scrub_text(text)
    assert f"::{account}:" not in scrubbed
    assert re.search(r"arn:aws:iam::\d{12}:role/", scrubbed)


def _shape(operation: str, direction: str) -> object:
    from replay_jobrun import model

    operation_model = model.service_model().operation_model(operation)
    return operation_model.output_shape if direction == "out" else operation_model.input_shape


RUN = {
    "jobRun": {
        "id": "job1",
        "virtualClusterId": "vc1",
        "state": "RUNNING",
        "jobDriver": {
            "sparkSubmitJobDriver": {
                "entryPoint": "s3://payments-prod/etl.py",
                "entryPointArguments": ["--password", "hunter2hunter2"],
                "sparkSubmitParameters": "--conf spark.hadoop.fs.s3a.secret.key=abc123",
            }
        },
        "configurationOverrides": {
            "applicationConfiguration": [
                {"classification": "spark-defaults", "properties": {"spark.secret": "s3cr3t-value"}}
            ]
        },
        "tags": {"owner": "jane.doe@example.com", "cost-center": "cc-4711"},
    }
}


def test_tag_values_and_sensitive_shapes_are_redacted_keys_and_ids_kept() -> None:
    scrubbed = Scrubber().scrub_json(RUN, _shape("DescribeJobRun", "out"))["jobRun"]
    assert scrubbed["id"] == "job1"
    assert scrubbed["state"] == "RUNNING"
    assert set(scrubbed["tags"]) == {"owner", "cost-center"}
    driver = scrubbed["jobDriver"]["sparkSubmitJobDriver"]
    redacted = [
        *scrubbed["tags"].values(),
        driver["entryPoint"],
        *driver["entryPointArguments"],
        driver["sparkSubmitParameters"],
        scrubbed["configurationOverrides"]["applicationConfiguration"][0]["properties"][
            "spark.secret"
        ],
    ]
    assert all(re.fullmatch(r"REDACTED-[0-9a-f]{8}", value) for value in redacted), redacted
    assert (
        scrubbed["configurationOverrides"]["applicationConfiguration"][0]["classification"]
        == "spark-defaults"
    )
    # Every redacted value still satisfies its shape's `.*\S.*` pattern.
    assert all(re.fullmatch(r".*\S.*", value) for value in redacted)


def test_redaction_is_deterministic_idempotent_and_salted() -> None:
    shape = _shape("DescribeJobRun", "out")
    once = Scrubber().scrub_json(RUN, shape)
    assert Scrubber().scrub_json(RUN, shape) == once
    assert Scrubber().scrub_json(once, shape) == once
    assert Scrubber(salt="other").scrub_json(RUN, shape) != once


def test_keep_fields_leave_chosen_members_alone() -> None:
    scrubbed = Scrubber(keep_fields={"entryPoint", "tags"}).scrub_json(
        RUN, _shape("DescribeJobRun", "out")
    )
    run = scrubbed["jobRun"]
    assert run["jobDriver"]["sparkSubmitJobDriver"]["entryPoint"] == "s3://payments-prod/etl.py"
    assert run["tags"]["owner"] == "jane.doe@example.com"
    assert run["jobDriver"]["sparkSubmitJobDriver"]["sparkSubmitParameters"].startswith("REDACTED-")


def test_start_job_run_requests_get_the_same_redaction_as_responses() -> None:
    body = json.dumps({"name": "n", **{k: RUN["jobRun"][k] for k in ("jobDriver", "tags")}})
    _, live = Scrubber().scrub_live("StartJobRun", "https://x/virtualclusters/vc1/jobruns", body)
    response = Scrubber().scrub_json(RUN, _shape("DescribeJobRun", "out"))["jobRun"]
    assert live is not None
    assert json.loads(live)["tags"] == response["tags"]
    assert json.loads(live)["jobDriver"] == response["jobDriver"]
