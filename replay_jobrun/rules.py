"""Scrub rules for a conftest.py or ``--rules MODULE:ATTRIBUTE``: :func:`regex`, :func:`field`,
:func:`keep`, :func:`keep_value`.

The public home of the rule factories; they live in :mod:`replay_jobrun.scrub.rules`.
"""

from .scrub.rules import (
    FieldRule,
    KeepRule,
    KeepValueRule,
    RegexRule,
    Rule,
    field,
    keep,
    keep_value,
    regex,
)

__all__ = [
    "FieldRule",
    "KeepRule",
    "KeepValueRule",
    "RegexRule",
    "Rule",
    "field",
    "keep",
    "keep_value",
    "regex",
]
