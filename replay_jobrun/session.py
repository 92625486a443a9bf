"""What the ``jobrun_replay`` fixture is, replaying or recording: one shape, one Protocol.

A test written against these attributes passes the same way when its cassette
is recorded and when it is replayed. The repr of either shows where the
cassette is and how far the test got, never a live param or response (pytest
prints it in every failing test's traceback, before anything is scrubbed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .clients import Call


@runtime_checkable
class JobrunCassette(Protocol):
    """The ``jobrun_replay`` fixture: a :class:`~replay_jobrun.Replay` or a
    :class:`~replay_jobrun.Recording`."""

    @property
    def path(self) -> Path:
        """The cassette file."""

    @property
    def cassette(self) -> Path:
        """The cassette file (the same as ``path``)."""

    @property
    def mode(self) -> str:
        """The record mode in force: ``none``, ``once``, ``new_episodes`` or ``all``."""

    @property
    def client(self) -> Any:
        """A ready emr-containers client, replayed or recorded like any other."""

    @property
    def calls(self) -> list[Call]:
        """What the code under test asked for, in order."""

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Responses as botocore parsed them: the cassette's, or those received so far."""

    @property
    def slept(self) -> list[float]:
        """Durations the test's thread asked ``time.sleep`` / ``asyncio.sleep`` for."""

    def unused(self) -> list[Any]:
        """Recorded interactions nobody asked for (none while recording)."""


def shown(kind: str, path: Path, mode: str, calls: int, more: str = "") -> str:
    """The repr both shapes share: no value the code under test sent or received."""
    return f"<{kind} {str(path)!r} mode={mode} calls={calls}{more}>"
