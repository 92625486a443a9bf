from __future__ import annotations

import base64
import gzip
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette import Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.scan import scan_text
from replay_jobrun.scrub import Scrubber


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


def test_scan_decodes_base64_and_gzip_and_masks_what_it_reports() -> None:
    key = "AKIAQWERTYUIOPASDFGH"
    plain = base64.b64encode(f"Credential={key}/x".encode()).decode()
    zipped = base64.b64encode(gzip.compress(f'{{"k": "{key}"}}'.encode())).decode()
    for blob in (plain, zipped):
        findings = scan_text(f"headers:\n  X-Thing:\n  - !!binary |\n    {blob}\n")
        assert [f.kind for f in findings] == ["access key id"]
        assert key not in str(findings[0])
        assert str(findings[0]).endswith("AKIA" + "*" * 12)


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
