"""Record, scrub and replay Amazon EMR on EKS (emr-containers) traffic in tests.

The public API is importable from here; nothing heavy (botocore, vcrpy,
deepdiff) is imported until a function that needs it is called.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = [
    "Call",
    "Cassette",
    "CassetteDrift",
    "DriftFinding",
    "DriftReport",
    "Finding",
    "Interaction",
    "JobrunCassette",
    "RecordMode",
    "Recording",
    "Replay",
    "ReplayJobrunError",
    "ScrubReport",
    "Scrubber",
    "drift",
    "drift_against_model",
    "fingerprint",
    "load_cassette",
    "record",
    "replay",
    "scan",
]

_LAZY = {  # public name -> the module that defines it
    "Call": "clients",
    "Cassette": "cassette.format",
    "Interaction": "cassette.format",
    "JobrunCassette": "session",
    "load_cassette": "cassette.format",
    "Recording": "record.recorder",
    "RecordMode": "record.recorder",
    "record": "record.recorder",
    "Replay": "replay.replayer",
    "replay": "replay.replayer",
    "Scrubber": "scrub.scrubber",
    "ScrubReport": "scrub.ledger",
    "scan": "scrub.scan",
    "Finding": "scrub.scan",
    "ReplayJobrunError": "errors",
    "drift": "drift.run",
    "drift_against_model": "drift.run",
    "fingerprint": "drift.fingerprint",
    "DriftReport": "drift.compare",
    "DriftFinding": "drift.compare",
    "CassetteDrift": "drift.compare",
}

if TYPE_CHECKING:
    from .cassette.format import Cassette, Interaction, load_cassette
    from .clients import Call
    from .drift.compare import CassetteDrift, DriftFinding, DriftReport
    from .drift.fingerprint import fingerprint
    from .drift.run import drift, drift_against_model
    from .errors import ReplayJobrunError
    from .record.recorder import Recording, RecordMode, record
    from .replay.replayer import Replay, replay
    from .scrub.ledger import ScrubReport
    from .scrub.scan import Finding, scan
    from .scrub.scrubber import Scrubber
    from .session import JobrunCassette


class _Package(types.ModuleType):
    """Keeps ``record``, ``replay`` and ``drift`` the public functions, not the stages' subpackages.

    Importing a subpackage sets the package attribute of its name to it, so once
    ``replay_jobrun.replay`` is imported (by the plugin, or by ``drift``),
    ``from replay_jobrun import replay`` would give the subpackage, not the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the subpackage stays reachable in sys.modules and by from-imports
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'replay_jobrun' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value
