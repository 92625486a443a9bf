"""Generated traffic with planted secrets records into a clean cassette that still replays.

Each example is a StartJobRun and one to three DescribeJobRun calls built from
botocore's shapes, answered over HTTP by a server on 127.0.0.1 and recorded with
the per-example credentials (see ``corpus.py``). Examples per run:
``REPLAY_JOBRUN_CORPUS_EXAMPLES`` (default 50); ``tools/scrub_corpus.py`` runs
many more and prints counts by kind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.property.corpus import (
    ARN_ACCOUNT,
    KINDS,
    PARTITIONS,
    Example,
    QueueServer,
    examples,
    run_example,
)

EXAMPLES = int(os.environ.get("REPLAY_JOBRUN_CORPUS_EXAMPLES", "50"))
# Big generated payloads and ~60 ms of scrypt per distinct account id or access key.
SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


@pytest.fixture(scope="module")
def corpus_server() -> Iterator[QueueServer]:
    with QueueServer() as server:
        yield server


# In CI the same examples every run: the token detector is a heuristic with a documented
# miss rate (about 1 in 400 random 32-character tokens), and CI must not be flaky; locally
# and in tools/scrub_corpus.py every run explores new examples.
DERANDOMIZE = bool(os.environ.get("CI"))


# No shrinking: an example costs ~0.5 s to record and replay, shrinking one ran past
# hypothesis' 5-minute cap, and the failure message already names every surviving
# secret, its place and the cassette. A failing example is still saved and re-run first.
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=SLOW_IS_FINE,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    derandomize=DERANDOMIZE,
)
@given(example=examples())
def test_no_planted_secret_survives_and_the_cassette_still_replays(
    example: Example, corpus_server: QueueServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # tmp_path would be shared by every example: one fresh folder each.
    path = tmp_path_factory.mktemp("scrub-corpus") / "cassette.yaml"
    outcome = run_example(example, corpus_server, path)
    assert outcome.ok, outcome.describe()
    assert outcome.interactions == len(example.calls)


def test_the_corpus_plants_every_kind_in_every_partition() -> None:
    """Generation alone (no recording): the strategies reach every kind the test claims."""
    kinds: Counter[str] = Counter()
    arn_details: set[str] = set()

    @settings(
        max_examples=60,
        phases=[Phase.generate],
        database=None,
        derandomize=True,  # the same examples every run: a coverage check must not be flaky
        deadline=None,
        suppress_health_check=SLOW_IS_FINE,
    )
    @given(examples())
    def collect(example: Example) -> None:
        kinds.update(plant.kind for plant in example.plants)
        arn_details.update(p.detail for p in example.plants if p.kind == ARN_ACCOUNT)

    collect()
    assert set(kinds) == set(KINDS), f"never planted: {set(KINDS) - set(kinds)}"
    assert {detail.split(",")[0] for detail in arn_details} == set(PARTITIONS)
    assert any(detail.endswith("url-encoded") for detail in arn_details)
