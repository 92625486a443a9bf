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
    "drift": "drift",
    "drift_against_model": "drift",
    "fingerprint": "fingerprint",
    "DriftReport": "drift",
    "DriftFinding": "drift",
    "CassetteDrift": "drift",
}

if TYPE_CHECKING:
    from .cassette import Cassette, Interaction, load_cassette
    from .clients import Call
    from .drift import (
        CassetteDrift,
        DriftFinding,
        DriftReport,
        drift,
        drift_against_model,
    )
    from .errors import ReplayJobrunError
    from .fingerprint import fingerprint
    from .record import Recording, RecordMode, record
    from .replay import Replay, replay
    from .scan import Finding, scan
    from .scrub import Scrubber, ScrubReport


class _Package(types.ModuleType):
    """Keeps ``replay``, ``record``, ``scan``, ``drift`` and ``fingerprint`` the public functions.

    Importing a submodule sets the package attribute of its name to the module,
    so once ``replay_jobrun.replay`` is imported (by the plugin, or by ``drift``),
    ``from replay_jobrun import replay`` would give the module, not the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if _LAZY.get(name) == name and isinstance(value, types.ModuleType):
            return  # the submodule stays reachable in sys.modules and by from-imports
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
