"""Mutated project cassettes get library errors, through every entry point, and stay unchanged.

Each example damages one of the project's cassettes (``cassettes/real``,
``cassettes/moto``) as one kind of ``fuzz_mutations.KINDS`` says, then runs
load, replay, show, scan, scrub and drift on it in a child process capped in
memory and time (``fuzz_runner``). The test asserts only what the runner calls
a violation: an exception that is not a ``ReplayJobrunError`` (for the command:
anything escaping ``main()``, an exit status other than 0, 1 or 2), a file of
the case changed (scrub may rewrite the cassette on success), code run by a
YAML tag, the memory cap or the time limit reached.

The same examples every run (``derandomize``, no database, no shrinking: the
failure message names the cassette, the kind and the seed, which rebuild the
file). Examples per kind: ``REPLAY_JOBRUN_FUZZ_EXAMPLES`` (default 8);
``tools/fuzz_cassettes.py`` runs the long version and tabulates it.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.property.fuzz_mutations import KINDS, mutate
from tests.property.fuzz_runner import Case, FuzzWorker
from tests.support import CASSETTES

EXAMPLES = int(os.environ.get("REPLAY_JOBRUN_FUZZ_EXAMPLES", "8"))
ORIGINALS = sorted([*CASSETTES.glob("real/*.yaml"), *CASSETTES.glob("moto/*.yaml")])
# Far above what a case needs (under 100 MB resident); an alias bomb expanded reaches it.
MEMORY_MB = 256
# Per entry point; a case takes well under a second even on a loaded machine.
TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def fuzz_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorker]:
    log = tmp_path_factory.mktemp("fuzz-log") / "child-stderr.log"
    with FuzzWorker(memory_mb=MEMORY_MB, timeout=TIMEOUT_S, log=log) as worker:
        yield worker


def test_the_corpus_is_the_projects_cassettes() -> None:
    assert {path.parent.name for path in ORIGINALS} == {"real", "moto"}
    assert len(ORIGINALS) >= 9


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_cassette_gets_a_library_error_and_is_left_unchanged(
    kind: str, fuzz_worker: FuzzWorker, tmp_path_factory: pytest.TempPathFactory
) -> None:
    numbers = itertools.count()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(original=st.sampled_from(ORIGINALS), seed=st.integers(0, 2**32 - 1))
    def check(original: Path, seed: int) -> None:
        mutant = mutate(original.read_bytes(), kind, random.Random(seed))
        root = tmp_path_factory.getbasetemp() / f"fuzz-{kind}" / str(next(numbers))
        result = fuzz_worker.run(
            Case(root, original, mutant.data, mutant.path_variant), stop_on_violation=True
        )
        assert not result.violations, (
            f"{original.relative_to(CASSETTES)} damaged by {kind} ({mutant.detail}):\n  "
            + "\n  ".join(result.violations)
            + f"\nThe damaged file: {root / 'input.bin'}; rebuild it with "
            f"tests.property.fuzz_mutations.mutate(Path({str(original)!r}).read_bytes(), "
            f"{kind!r}, random.Random({seed}))"
        )

    check()
