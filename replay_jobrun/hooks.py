"""Hooks that a conftest.py can implement (registered by the plugin)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .scrub.rules import Rule


@pytest.hookspec
def pytest_jobrun_scrub_rules(config: pytest.Config) -> Sequence[Rule]:
    """Extra scrub rules for this run, made with :mod:`replay_jobrun.rules`::

        from replay_jobrun import rules

        def pytest_jobrun_scrub_rules(config):
            return [
                rules.regex(r"team-[a-z]+", "team-x"),
                rules.field("jobRun.name", lambda name: name.split("-")[0]),
                rules.keep("jobRun.tags.team"),
            ]

    They apply when recording and to live requests before replay matching,
    after the ``jobrun_scrub_*`` ini options. Every implementation is called;
    their rules are added together.
    """
    raise NotImplementedError  # pragma: no cover - a specification, never called
