"""Fidelity: a Stubber-replayed response equals what botocore returns for the same bytes over HTTP.

For every interaction of every cassette in ``cassettes/``, the same call is made
twice: once through stock vcrpy (the recorded bytes come back over botocore's
real HTTP path) and once through ``replay_jobrun.replay`` (the Stubber path).
Results, ``ResponseMetadata`` included, and raised exception classes must be equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
import vcr
from botocore import xform_name
from botocore.exceptions import ClientError

from replay_jobrun import load_cassette, replay
from replay_jobrun.replay.matching import request_params
from tests.support import CASSETTES

CASSETTE_FILES = sorted(CASSETTES.rglob("*.yaml"))


def _calls(path: Path) -> list[tuple[str, dict[str, Any]]]:
    calls = []
    for interaction in load_cassette(path).interactions:
        assert interaction.operation is not None
        params = request_params(
            interaction.operation,
            interaction.request.method,
            interaction.request.uri,
            interaction.request.body,
        )
        calls.append(
            (interaction.operation, {k: v for k, v in params.items() if not k.startswith("(")})
        )
    return calls


def _outcomes(
    client: Any, calls: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    outcomes = []
    for operation, params in calls:
        try:
            outcomes.append(("ok", getattr(client, xform_name(operation))(**params)))
        except ClientError as err:
            outcomes.append((type(err).__name__, err.response))
    return outcomes


def test_the_project_has_cassettes_from_moto_and_from_real_aws() -> None:
    folders = {path.parent.name for path in CASSETTE_FILES}
    assert {"moto", "real"} <= folders
    assert len(CASSETTE_FILES) >= 9


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_stubber_replay_equals_vcrpy_http_replay(path: Path) -> None:
    calls = _calls(path)
    region = load_cassette(path).metadata["region"]

    # Stock vcrpy, default matching, a client with the default endpoint: the live HTTP path.
    http_client = botocore.session.get_session().create_client("emr-containers", region_name=region)
    with vcr.use_cassette(str(path), record_mode="none") as stock:
        over_http = _outcomes(http_client, calls)
    assert stock.all_played

    with replay(path) as replaying:
        over_stubber = _outcomes(replaying.client, calls)
    assert replaying.unused() == []

    assert len(over_http) == len(over_stubber) == len(calls)
    for index, (http_outcome, stub_outcome) in enumerate(zip(over_http, over_stubber, strict=True)):
        assert stub_outcome == http_outcome, f"interaction #{index} differs"
        metadata = stub_outcome[1]["ResponseMetadata"]
        assert {"HTTPStatusCode", "RequestId", "HTTPHeaders", "RetryAttempts"} <= set(metadata)


def test_error_interactions_raise_the_modeled_exception_class() -> None:
    path = CASSETTES / "moto" / "job-lifecycle.yaml"
    with replay(path) as replaying:
        outcomes = _outcomes(replaying.client, _calls(path))
    errors = [name for name, _ in outcomes if name != "ok"]
    assert errors == ["ResourceNotFoundException"]
    response = outcomes[-1][1]
    assert (
        response["ResponseMetadata"]["HTTPStatusCode"]
        == load_cassette(path).interactions[-1].response.status
    )
    assert response["message"] == response["Error"]["Message"]
