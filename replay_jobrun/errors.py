"""One exception hierarchy for everything replay_jobrun raises on purpose.

Each error carries what failed, where (cassette file, interaction index) and
the next step, formatted once from a ``fmt`` template, as botocore's own
exceptions are.
"""

from __future__ import annotations

import re
from typing import Any


class ReplayJobrunError(Exception):
    """Base class of every error raised by replay_jobrun."""

    fmt = "{message}"

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        super().__init__(self.fmt.format(**kwargs))

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickling calls cls(*args); ours take keywords. Errors raised in a
        # drift worker process cross back to the parent pickled.
        return (_rebuild, (type(self), self.kwargs))


def _rebuild(cls: type[ReplayJobrunError], kwargs: dict[str, Any]) -> ReplayJobrunError:
    return cls(**kwargs)


# scheme://user:password@ (the password may hold an "@"; the host part never a "/?#").
_USER_INFO = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")


def shown_url(url: str) -> str:
    """A URL as a message may print it: without user info (``https://user:token@host``
    gives ``https://host``). Every message that prints an endpoint URL goes through this."""
    return _USER_INFO.sub(lambda m: f"{m.group(1) or ''}//", url, count=1)


class CassetteNotFoundError(ReplayJobrunError, FileNotFoundError):
    """Replay needs a cassette that does not exist yet."""

    fmt = (
        "No cassette at {path}.\n"
        "Record mode {mode!r} replays only. Record it once against AWS (or a moto server / "
        "LocalStack) with:\n\n    {command}\n"
    )


class CassetteFormatError(ReplayJobrunError, ValueError):
    """A cassette file cannot be read as a vcrpy cassette."""

    fmt = "{path}: {problem}\nFix: {fix}"


class LeakError(ReplayJobrunError):
    """A cassette still holds a secret after scrubbing; it was not written."""

    fmt = (
        "Refusing to write {path}: after scrubbing it still holds {count} possible "
        "secret(s) (nothing was written; the previous file, if any, is unchanged; "
        "values are never shown):\n{findings}\n"
        "Fix: {fix}"
    )


class CassetteWriteError(ReplayJobrunError):
    """Writing a recorded cassette failed (a file system error, a scrub rule that raised)."""

    fmt = (
        "Could not write {path}: {problem} (nothing was written; the previous file, if any, "
        "is unchanged).\nFix: {fix}"
    )


class ReplayError(ReplayJobrunError, AssertionError):
    """The code under test asked for something the cassette does not hold.

    It subclasses AssertionError so that pytest shows it as a test failure.
    """


class UnexpectedCallError(ReplayError):
    """A call past the end of the cassette, or of an operation no unused interaction has.

    ``closest`` (optional) lists the closest unused interactions, a line each."""

    fmt = (
        "{path}: interaction #{index}: the code under test called {actual}, but {expected}.\n"
        "{closest}{fix}"
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("closest", "")
        super().__init__(**kwargs)


class RequestMismatchError(ReplayError):
    """The live request matches no unused recorded one; the closest one is named first.

    ``others`` (optional) lists the next closest unused interactions of the same
    operation, each with why it did not match."""

    fmt = (
        "{path}: interaction #{index} ({operation}): the request differs from the recording.\n"
        "{differences}\n{others}{fix}"
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("others", "")
        super().__init__(**kwargs)


class UnusedInteractionsError(ReplayError):
    """The test finished with recorded responses that nobody asked for."""

    fmt = (
        "{path}: {count} recorded response(s) were not requested by the test:\n{unused}\n"
        "If this is on purpose, mark the test with "
        "@pytest.mark.jobrun_cassette(allow_unused=True); otherwise re-record the cassette."
    )


class UnknownFieldsError(ReplayError):
    """A cassette holds response fields the installed botocore does not know (schema drift)."""

    fmt = (
        "{path}: the recorded responses hold field(s) that botocore {version} does not know "
        "(the cassette was recorded with botocore {recorded}); the live client would drop them:\n"
        "{fields}\n"
        "Fix: upgrade botocore to a version that knows them, or replay without them (with a "
        'warning): @pytest.mark.jobrun_cassette(unknown_fields="drop"), the ini option '
        'jobrun_unknown_fields = drop, or replay(..., unknown_fields="drop").'
    )


class UnknownFieldsWarning(UserWarning):
    """Replay dropped response fields the installed botocore does not know."""


class LegacyCassetteNameWarning(UserWarning):
    """A test's cassette was found under its name from before ``.jobrun.yaml`` and used."""


class ConfigError(ReplayJobrunError, ValueError):
    """An option, marker argument or environment variable has an invalid value."""

    fmt = "{source}: {problem}\nValid: {valid}"


class IgnoreParamsError(ConfigError):
    """An ``ignore_params`` path that is malformed or names nothing in the cassette's requests."""

    fmt = (
        "{path}: ignore_params path(s) that name nothing in the requests of the operations "
        "they apply to (the cassette's, or any while recording):\n{problems}\n"
        "Paths are written as a mismatch message prints them: {syntax}.\n"
        "Fix: correct the path (copy it from the mismatch message), or remove it."
    )


class MarkerOptionError(ConfigError, TypeError):
    """A marker option that does not exist, or a positional argument where none goes.

    A TypeError too, as calling a keyword-only signature wrongly is."""


class NetworkBlockedError(ReplayError):
    """A replayed client tried to send a request: while replaying nothing leaves the process."""

    fmt = (
        "replay_jobrun: a replayed {service} client tried to send {method} {url} over the "
        "network; while replaying, nothing is sent (the cassette's Stubber answers every call).\n"
        "Fix: keep botocore's Stubber handlers on the client (do not unregister 'before-call' "
        "handlers), or record instead: --jobrun-record-mode=once with --jobrun-endpoint-url=URL."
    )

    def __init__(self, **kwargs: Any) -> None:
        if isinstance(kwargs.get("url"), str):
            kwargs["url"] = shown_url(kwargs["url"])
        super().__init__(**kwargs)


class BlockedHostError(NetworkBlockedError):
    """The code under test tried to reach a host while a cassette replayed."""

    fmt = (
        "replay_jobrun: {what} to {host} was blocked: while a cassette replays, nothing but "
        "emr-containers calls (answered from the cassette) and loopback traffic leaves the "
        "process.\n"
        "Fix: if this test may reach {host}, allow it with "
        '@pytest.mark.jobrun_cassette(allowed_hosts=["{host}"]), the jobrun_allowed_hosts '
        "ini option or --jobrun-allowed-hosts={host}; otherwise stub that call in the test."
    )


class UnrecordedRetriesWarning(UserWarning):
    """A cassette from before retries were recorded holds a failure then the same request."""

    fmt = (
        "{path}: this cassette does not say which calls botocore retried (it was recorded "
        "before replay_jobrun kept that), and here a failed call is followed by the same "
        "request; each interaction replays as a call of its own, as before:\n{pairs}\n"
        "If botocore retried these calls, the code under test now sees every attempt as a "
        "call. Fix: re-record the cassette; replay then serves each retried call as the one "
        "call it was. If the code under test made these calls itself, nothing is wrong: "
        'silence this with filterwarnings "ignore::replay_jobrun.errors.UnrecordedRetriesWarning".'
    )

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        super().__init__(self.fmt.format(**kwargs))


class MissingExtraError(ReplayJobrunError, ImportError):
    """A feature needs an optional dependency that is not installed."""

    fmt = "{feature} needs {package}, which is not installed.\nFix: pip install '{install}'"


class CassetteBodyError(CassetteFormatError):
    """A recorded body cannot be read: a Content-Encoding that is corrupt or not one
    replay_jobrun decodes, bytes that are not UTF-8 where JSON belongs, or JSON nested
    deeper than :data:`replay_jobrun.cassette.bodies.MAX_JSON_DEPTH`.

    Loading a cassette raises it naming the file and the interaction; the same check on
    a body that is not from a file (a live response while recording) names the body."""


class ModelViolationError(UnknownFieldsError):
    """Recorded responses that do not fit the installed botocore model.

    A 2xx body that is not a JSON object, a member the operation always returns
    missing, an enum value the model does not list, besides unknown fields. An
    :class:`UnknownFieldsError`, so one ``except`` and one ``unknown_fields`` policy
    cover every way a cassette and the model disagree."""

    fmt = (
        "{path}: the recorded responses do not fit botocore {version}'s model of "
        "emr-containers (the cassette was recorded with botocore {recorded}):\n"
        "{fields}\n"
        "Fix: if the file was edited or merged by hand, restore it from version control or "
        "re-record it. If AWS really sent this (a newer API), upgrade botocore, or replay it "
        "as botocore parses it (with a warning): "
        '@pytest.mark.jobrun_cassette(unknown_fields="drop"), the ini option '
        'jobrun_unknown_fields = drop, or replay(..., unknown_fields="drop").'
    )


class ModelViolationWarning(UnknownFieldsWarning):
    """Replay served responses that do not fit the installed model (``unknown_fields="drop"``)."""


class ScrubRuleError(ReplayJobrunError):
    """A scrub rule of the user's raised, or returned no string, while applied to a value.

    The message names the rule (pattern or path, and its replacement), never the value:
    that is what the rule was meant to hide. ``where`` (optional) names the cassette."""

    fmt = (
        "{where}the scrub rule {rule} failed: {error} (the value it was applied to is not "
        "shown).\nFix: correct the rule (a replacement function must take a string and "
        "return one); then record or scrub again."
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("where", "")
        super().__init__(**kwargs)


class CassettePathError(ConfigError):
    """A cassette path that cannot be used: outside ``jobrun_cassette_dir``, not a valid
    file name, a symlink loop, or an old file name two tests' cassettes shared."""

    fmt = "{source}: {problem}\nFix: {fix}"


class SharedCassetteError(CassettePathError):
    """Tests that share one cassette, one of them recording it, on different xdist workers."""
