"""Record, scrub and replay Amazon EMR on EKS (emr-containers) traffic in tests.

The public API is importable from here; nothing heavy (botocore, vcrpy,
deepdiff) is imported until a function that needs it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Call",
    "Cassette",
    "Finding",
    "Interaction",
    "RecordMode",
    "Recording",
    "Replay",
    "ReplayJobrunError",
    "ScrubReport",
    "Scrubber",
    "load_cassette",
    "record",
    "replay",
    "scan",
]

_LAZY = {
    "Call": "clients",
    "Cassette": "cassette",
    "Interaction": "cassette",
    "load_cassette": "cassette",
    "Recording": "record",
    "RecordMode": "record",
    "record": "record",
    "Replay": "replay",
    "replay": "replay",
    "Scrubber": "scrub",
    "ScrubReport": "scrub",
    "scan": "scan",
    "Finding": "scan",
    "ReplayJobrunError": "errors",
}

if TYPE_CHECKING:
    from .cassette import Cassette, Interaction, load_cassette
    from .clients import Call
    from .errors import ReplayJobrunError
    from .record import Recording, RecordMode, record
    from .replay import Replay, replay
    from .scan import Finding, scan
    from .scrub import Scrubber, ScrubReport


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'replay_jobrun' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value
