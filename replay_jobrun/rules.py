"""Scrub rules for a conftest.py or ``--rules MODULE:ATTRIBUTE``: :func:`regex`, :func:`field`, :func:`keep`.

The public home of the rule factories; they live in :mod:`replay_jobrun.scrub.rules`.
"""

from .scrub.rules import FieldRule, KeepRule, RegexRule, Rule, field, keep, regex

__all__ = ["FieldRule", "KeepRule", "RegexRule", "Rule", "field", "keep", "regex"]
