from __future__ import annotations

import base64
import gzip
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replay_jobrun.cassette.format import Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.scrub.scan import scan_text
from replay_jobrun.scrub.scrubber import Scrubber


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
        assert str(findings[0]).endswith(": access key id")
        assert "AKIA" not in str(findings[0])


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


# --- e-mails, buckets, tokens, sweeps and user rules over whole interactions ---------------

HOST = "https://emr-containers.us-east-1.amazonaws.com"
VC = "k3v9q0x7r2m8w1t5z6b4n0c2d"
DESCRIBE_URI = f"{HOST}/virtualclusters/{VC}/jobruns/0000000378nj1d2s7lo"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _describe(run: dict[str, object], headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("GET", DESCRIBE_URI),
        RecordedResponse(
            200,
            "OK",
            headers or {"Content-Type": ["application/json"]},
            json.dumps({"jobRun": run}).encode(),
        ),
        "DescribeJobRun",
    )


def _run_of(interaction: Interaction) -> dict[str, object]:
    return json.loads(interaction.response.decoded_body())["jobRun"]  # type: ignore[no-any-return]


def test_emails_buckets_and_tokens_in_free_text_become_pseudonyms() -> None:
    run = {
        "createdBy": "arn:aws:sts::604193857261:assumed-role/Admin/jane.doe@example.com",
        "stateDetails": f"fs.s3a.secret.key={SECRET_KEY} denied for s3://payments-prod/in",
        "configurationOverrides": {
            "monitoringConfiguration": {
                "s3MonitoringConfiguration": {"logUri": "s3://payments-prod/logs/"}
            }
        },
    }
    scrubber = Scrubber()
    (scrubbed,), report = scrubber.scrub_all([_describe(run)])
    out = _run_of(scrubbed)
    text = json.dumps(out)
    for secret in ("604193857261", "jane.doe@example.com", "payments-prod", SECRET_KEY):
        assert secret not in text
    assert re.fullmatch(
        r"arn:aws:sts::\d{12}:assumed-role/Admin/user-[0-9a-f]{3}@example\.com",
        str(out["createdBy"]),
    )
    log_uri = out["configurationOverrides"]["monitoringConfiguration"]["s3MonitoringConfiguration"][
        "logUri"
    ]  # type: ignore[index]
    bucket = log_uri.split("/")[2]
    assert re.fullmatch(r"bucket-[0-9a-f]{6}", bucket)  # as long as "payments-prod"
    assert f"s3://{bucket}/in" in str(out["stateDetails"])  # the same bucket, the same pseudonym
    assert {"e-mail", "s3 bucket", "secret token", "account id"} <= set(report.summary())
    # Idempotent: a fresh scrubber told the pseudonyms changes nothing.
    again, _ = Scrubber(known_pseudonyms=scrubber.pseudonyms).scrub_all([scrubbed])
    assert again == [scrubbed]


def test_a_sensitive_value_is_swept_from_other_text_unless_the_request_uri_holds_it() -> None:
    entry_point = "local:///opt/jobs/payroll_2026.py"
    run = {
        "jobDriver": {
            "sparkSubmitJobDriver": {"entryPoint": entry_point, "entryPointArguments": [VC, "--x"]}
        },
        "stateDetails": f"{entry_point} failed on cluster {VC} with --x",
    }
    (scrubbed,), _ = Scrubber().scrub_all([_describe(run)])
    out = _run_of(scrubbed)
    driver = out["jobDriver"]["sparkSubmitJobDriver"]  # type: ignore[index]
    assert driver["entryPoint"].startswith("REDACTED-")
    assert str(out["stateDetails"]).startswith(driver["entryPoint"] + " failed")
    # The virtual cluster id is an argument (redacted there) but the URI needs it: not swept.
    assert driver["entryPointArguments"][0].startswith("REDACTED-")
    assert VC in str(out["stateDetails"])
    assert VC in scrubbed.request.uri
    assert "with --x" in str(out["stateDetails"])  # too short to sweep


def test_a_short_sensitive_value_swept_from_other_text_never_lengthens_it() -> None:
    # "REDACTED-xxxxxxxx" is 17 characters: put for a 10-character value inside a field
    # already at its limit, it would break the model's max length (hypothesis found it).
    entry_point = "etl_job.py"
    details = f"{entry_point} " + "x" * (256 - len(entry_point) - 1)
    run = {
        "jobDriver": {"sparkSqlJobDriver": {"entryPoint": entry_point}},
        "stateDetails": details,
    }
    (scrubbed,), _ = Scrubber().scrub_all([_describe(run)])
    out = _run_of(scrubbed)
    assert out["jobDriver"]["sparkSqlJobDriver"]["entryPoint"].startswith("REDACTED-")  # type: ignore[index]
    assert entry_point not in str(out["stateDetails"])
    assert str(out["stateDetails"]).startswith("REDACTED-")
    assert len(str(out["stateDetails"])) == len(details) == 256


def test_a_gzip_body_without_content_encoding_is_scrubbed_and_stays_gzip() -> None:
    run = {"createdBy": "arn:aws:sts::604193857261:assumed-role/Admin/jane.doe@example.com"}
    interaction = _describe(run)
    zipped = Interaction(
        interaction.request,
        RecordedResponse(200, "OK", {}, gzip.compress(interaction.response.body, mtime=0)),
        "DescribeJobRun",
    )
    (scrubbed,), _ = Scrubber().scrub_all([zipped])
    assert scrubbed.response.body[:2] == b"\x1f\x8b"
    assert b"604193857261" not in gzip.decompress(scrubbed.response.body)
    assert b"jane.doe" not in gzip.decompress(scrubbed.response.body)


def test_field_regex_and_keep_rules_extend_the_built_in_ones() -> None:
    from replay_jobrun import rules

    run = {
        "name": "payroll-nightly-cc4711",
        "tags": {"team": "payroll", "owner": "Jane Doe"},
        "stateDetails": "job payroll-nightly-cc4711 for cc4711",
        "executionRoleArn": "arn:aws:iam::604193857261:role/payroll",
    }
    scrubber = Scrubber(
        rules=[
            rules.field("jobRun.name", lambda name: name.rsplit("-", 1)[0]),
            rules.regex(r"cc\d{4}", "cc0000"),
            rules.keep("jobRun.tags.team"),
        ]
    )
    (scrubbed,), report = scrubber.scrub_all([_describe(run)])
    out = _run_of(scrubbed)
    assert out["name"] == "payroll-nightly"
    assert out["stateDetails"] == "job payroll-nightly for cc0000"  # field value swept too
    assert out["tags"] == {"team": "payroll", "owner": out["tags"]["owner"]}  # type: ignore[index]
    assert str(out["tags"]["owner"]).startswith("REDACTED-")  # type: ignore[index]
    # A keep rule never switches off the built-in text rules.
    assert "604193857261" not in str(out["executionRoleArn"])
    assert scrubber.keep_fields == {"jobRun.tags.team"}
    assert report.summary()["field rule"]["replaced"] == 1


def test_live_requests_go_through_the_same_user_rules() -> None:
    from replay_jobrun import rules

    start = {
        "name": "payroll-cc4711",
        "virtualClusterId": VC,
        "clientToken": "t",
        "executionRoleArn": "arn:aws:iam::604193857261:role/payroll",
        "releaseLabel": "emr-7.10.0-latest",
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://payroll-jobs/run.py"}},
    }
    made = [rules.field("name", "job"), rules.regex(r"cc\d{4}", "cc0000")]
    url = f"{HOST}/virtualclusters/{VC}/jobruns"
    recorded = Interaction(
        RecordedRequest("POST", url, {}, json.dumps(start).encode()),
        RecordedResponse(200, "OK", {}, b"{}"),
        "StartJobRun",
    )
    (scrubbed,), _ = Scrubber(rules=made).scrub_all([recorded])
    _, live = Scrubber(rules=made).scrub_live("StartJobRun", url, json.dumps(start))
    assert live is not None
    assert json.loads(live) == json.loads(scrubbed.request.body or b"")
    assert json.loads(live)["name"] == "job"


def test_a_sensitive_value_with_quotes_or_backslashes_is_swept_from_json_text() -> None:
    entry_point = 'C:\\jobs\\run "nightly".py'
    run = {
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": entry_point}},
        "stateDetails": f"could not start {entry_point}",
    }
    (scrubbed,), _ = Scrubber().scrub_all([_describe(run)])
    out = _run_of(scrubbed)
    assert entry_point not in json.dumps(out)
    assert entry_point not in str(out["stateDetails"])
    redacted = out["jobDriver"]["sparkSubmitJobDriver"]["entryPoint"]  # type: ignore[index]
    assert out["stateDetails"] == f"could not start {redacted}"


def test_where_a_secret_was_learnt_never_names_a_map_key() -> None:
    secret_key = "token-AKIAQWERTYUIOPASDFGH"
    run = {
        "configurationOverrides": {
            "applicationConfiguration": [
                {"classification": "spark-defaults", "properties": {secret_key: "value-of-it"}}
            ]
        }
    }
    scrubber = Scrubber()
    scrubber.scrub_all([_describe(run)])
    sources = set(scrubber.sources.values())
    assert (
        "the sensitive field jobRun.configurationOverrides.applicationConfiguration.properties.*"
        in sources
    )
    assert not any("AKIA" in source or "token-" in source for source in sources)
