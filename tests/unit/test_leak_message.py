"""LeakError names the kind, the interaction and the place of a finding: nothing of the value."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import replay_jobrun
from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.errors import LeakError
from replay_jobrun.record.recorder import write_scrubbed
from replay_jobrun.scrub.scrubber import Scrubber

SECRET = "Zq7Lm2Xp9Rt4Vw8Y"  # a learnt secret key at the sweep floor (16 characters)
URI = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/vc1/jobruns/j1"


def test_leak_error_shows_no_character_of_a_learnt_secret(tmp_path: Path) -> None:
    # base64 of the key: the scrubber does not decode it (24 characters, no token), the
    # leak scan does, and refuses the write.
    hidden = base64.b64encode(SECRET.encode()).decode()
    body = {"jobRun": {"stateDetails": hidden}}
    interaction = Interaction(
        RecordedRequest("GET", URI),
        RecordedResponse(200, "OK", {}, json.dumps(body).encode()),
        "DescribeJobRun",
    )
    target = tmp_path / "leaky.yaml"
    scrubber = Scrubber()
    scrubber.learn_secret_key(SECRET)
    with pytest.raises(LeakError) as raised:
        write_scrubbed(Cassette(target, (interaction,)), scrubber)
    message = str(raised.value)
    assert "interaction #0, response.body jobRun.stateDetails: known secret\n" in message
    assert "the client's secret access key" in message
    assert hidden not in message
    slices = {SECRET[i : i + 4] for i in range(len(SECRET) - 3)}
    assert [s for s in slices if s in message] == []
    assert not target.exists()


def test_scan_takes_a_str_path(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    interaction = Interaction(RecordedRequest("GET", URI), RecordedResponse(200, "OK", {}, b"{}"))
    write_scrubbed(Cassette(path, (interaction,)), Scrubber())
    assert replay_jobrun.scan(str(path)) == []
