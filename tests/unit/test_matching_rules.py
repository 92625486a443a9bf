from __future__ import annotations

import json

from replay_jobrun.replay.matching import compare
from replay_jobrun.scrub.scrubber import Scrubber

HOST = "https://emr-containers.us-east-1.amazonaws.com"


def as_is(operation: str, url: str, body: str | None) -> tuple[str, str | None]:
    return url, body


START = f"{HOST}/virtualclusters/vc1/jobruns"


def _start_body(**overrides: object) -> bytes:
    body = {
        "name": "nightly",
        "clientToken": "11111111-2222-3333-4444-555555555555",
        "executionRoleArn": "arn:aws:iam::123456789012:role/JobRole",
        "releaseLabel": "emr-7.10.0-latest",
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://bucket/etl.py"}},
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_a_real_account_id_matches_its_pseudonym_after_scrubbing() -> None:
    scrubber = Scrubber()
    _, recorded_body = scrubber.scrub_live("StartJobRun", START, _start_body().decode())
    assert recorded_body is not None
    assert "123456789012" not in recorded_body
    assert "s3://bucket/etl.py" not in recorded_body  # a sensitive shape: redacted
    recorded, live = ("POST", START, recorded_body), ("POST", START, _start_body())
    assert compare("StartJobRun", recorded, live, as_is) != []
    assert (
        compare(
            "StartJobRun", recorded, live, Scrubber(known_pseudonyms=scrubber.pseudonyms).scrub_live
        )
        == []
    )
