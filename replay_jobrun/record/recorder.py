"""Record emr-containers traffic into cassettes on top of vcrpy.

vcrpy intercepts the HTTP exchange (its record modes keep their meaning);
this module narrows it to emr-containers requests, points the clients the
code under test creates at an endpoint of choice, and replaces vcrpy's
persister so that a cassette is scrubbed, leak-scanned and written atomically
— or not written at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import children, model
from ..cassette.format import (
    METADATA_VERSION,
    Cassette,
    Interaction,
    _interaction_from_vcr,
    dump_cassette,
    forget,
    normalize_all,
    parse_cassette,
    write_atomic,
)
from ..cassette.retries import (
    INVOCATION_HEADER,
    METADATA_FIELD,
    RETRY_FLAGS,
    calls_by_invocation,
    grouping_known,
    metadata_entries,
    recorded_calls,
    with_attempt_headers,
)
from ..clients import Call, CallLog, ClientPolicy, intercept_clients
from ..errors import (
    CassetteFormatError,
    CassetteWriteError,
    ConfigError,
    IgnoreParamsError,
    LeakError,
    ReplayJobrunError,
    ScrubRuleError,
)
from ..replay import matching, paths
from ..replay.network import active_vcr_cassette, is_loopback
from ..replay.sleeps import sleeps_skipped
from ..scrub.scan import scan_cassette
from ..scrub.scrubber import Scrubber, ScrubReport
from ..session import shown
from .seen import ScrubbedField, scrubbed_fields

if TYPE_CHECKING:
    from ..drift.compare import CassetteDrift, IgnoreRule


class RecordMode(str, Enum):
    """vcrpy's record modes, with vcrpy's meaning."""

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"

    @classmethod
    def parse(cls, value: str | RecordMode, source: str = "record mode") -> RecordMode:
        try:
            return cls(value)
        except ValueError:
            raise ConfigError(
                source=source,
                problem=f"unknown record mode {value!r}",
                valid=", ".join(m.value for m in cls),
            ) from None


def library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("replay-jobrun")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def _header(headers: Any, name: str) -> str:
    for key, value in dict(headers).items():
        if key.lower() == name:
            raw = value[0] if isinstance(value, list) and value else value
            return raw.decode("latin-1") if isinstance(raw, bytes) else str(raw or "")
    return ""


def is_emr_containers(headers: Any, uri: str) -> bool:
    """True for a request signed for emr-containers, or sent to its AWS hostname."""
    scope = _SCOPE.search(_header(headers, "authorization"))
    if scope is not None:
        return scope.group(2) == model.SERVICE_NAME
    return f"//{model.SERVICE_NAME}." in uri


def canonical_uri(uri: str, region: str | None) -> str:
    """The URI as sent to the service's regional AWS endpoint.

    Cassettes describe AWS, not the endpoint used to record them: a re-recording
    against another moto port does not churn the diff, and stock vcrpy replays
    the file for clients with default endpoints.
    """
    from urllib.parse import urlsplit, urlunsplit

    if not region:
        return uri
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    parts = urlsplit(uri)
    return urlunsplit(("https", f"{model.SERVICE_NAME}.{region}.{suffix}", *parts[2:]))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _merged_counts(
    old: dict[str, dict[str, int]], new: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    merged = {kind: dict(counts) for kind, counts in old.items()}
    for kind, counts in new.items():
        into = merged.setdefault(kind, {"distinct": 0, "replaced": 0})
        into["replaced"] = into.get("replaced", 0) + counts["replaced"]
        into["distinct"] = max(into.get("distinct", 0), counts["distinct"])
    return dict(sorted(merged.items()))


def build_metadata(
    cassette: Cassette,
    interactions: Sequence[Interaction],
    scrubber: Scrubber,
    report: ScrubReport,
    *,
    region: str | None,
    recorded_at: str | None,
) -> dict[str, Any]:
    """The replay_jobrun metadata block; scrubbing a scrubbed cassette leaves it as it was."""
    previous = cassette.metadata
    # A re-scrub (no recorded_at) records nothing: the versions that recorded stay.
    stamps = previous if recorded_at is None else {}
    return {
        **previous,
        "format": METADATA_VERSION,
        "library": stamps.get("library") or library_version(),
        "botocore": stamps.get("botocore") or model.botocore_version(),
        "recorded_at": recorded_at or previous.get("recorded_at") or _now(),
        "region": region or previous.get("region"),
        "operations": [i.operation for i in interactions],
        # Only the pseudonyms this file holds: one scrubber serves many cassettes.
        "pseudonyms": sorted(report.pseudonyms - scrubber.keep_values),
        "keep_fields": sorted(scrubber.keep_fields),
        **({"keep_values": sorted(scrubber.keep_values)} if scrubber.keep_values else {}),
        "scrubbed": _merged_counts(dict(previous.get("scrubbed") or {}), report.summary()),
    }


def write_scrubbed(
    cassette: Cassette,
    scrubber: Scrubber,
    *,
    region: str | None = None,
    path: Path | None = None,
    recorded_at: str | None = None,
) -> tuple[Cassette, ScrubReport]:
    """Scrub, normalize and leak-scan a cassette, then write it atomically.

    Raises :class:`LeakError` (and writes nothing) if any secret the scrubber
    learnt, or anything that looks like a credential or an unscrubbed account
    id, is still in the scrubbed cassette or its serialized text. Scrubbing a
    cassette this function wrote changes nothing (``recorded_at`` is kept
    unless given).
    """
    target = path or cassette.path
    # Attempts that cannot be grouped fail here, before anything is written.
    calls = recorded_calls(cassette)
    scrubber.learn_pseudonyms(cassette.metadata.get("pseudonyms") or ())
    try:
        interactions, report = scrubber.scrub_all(cassette.interactions)
        extra = scrubber.scrub_value(cassette.extra)  # other tools' top-level keys
    except ScrubRuleError as err:
        raise ScrubRuleError(**{**err.kwargs, "where": f"{target}: "}) from None
    interactions = with_attempt_headers(normalize_all(interactions), cassette.interactions, calls)
    metadata = build_metadata(
        cassette, interactions, scrubber, report, region=region, recorded_at=recorded_at
    )
    if grouping_known(cassette):
        # Written even when empty: its presence says no call was retried (see cassette/retries.py).
        metadata[METADATA_FIELD] = metadata_entries(calls)
    scrubbed = Cassette(
        target,
        tuple(interactions),
        metadata,
        cassette.foreign_metadata,
        extra,
    )
    text = dump_cassette(scrubbed)
    findings = scan_cassette(
        scrubbed.interactions,
        text,
        scrubber.sources,
        scrubber.pseudonyms,
        scrubber.short_secrets,
    )
    if findings:
        raise LeakError(
            path=target,
            count=len(findings),
            findings="\n".join(f"{f}\n    missed by {f.rule}" for f in findings),
            fix="add a scrub rule that covers them (README, 'Scrubbing'), then record (or "
            "`replay-jobrun scrub`) again:\n"
            + "\n".join(sorted({f"    {f.fix}" for f in findings})),
        )
    write_atomic(target, text)
    forget(target)
    return scrubbed, report


class _Persister:
    """vcrpy persister: reads cassettes as vcrpy does, writes them through write_scrubbed."""

    def __init__(self, recording: Recording) -> None:
        self._recording = recording

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError
        from vcr.serialize import deserialize

        path = Path(cassette_path)
        # "all" re-records from scratch: vcrpy would otherwise keep every old interaction
        # that no new request matches, and a cassette is an ordered script, not a pool.
        if not path.is_file() or self._recording.mode is RecordMode.ALL:
            raise CassetteNotFoundError()
        text = path.read_text(encoding="utf-8")
        # Our parser first: a broken file fails with its path and the fix, not a KeyError.
        # record() already parsed it (for drift) unless it was broken.
        ours = (self._recording.previous or parse_cassette(text, path)).metadata
        self._recording.scrubber.learn_pseudonyms(ours.get("pseudonyms") or ())
        self._recording._previous_metadata = dict(ours)
        loaded = deserialize(text, serializer)
        self._recording._previous_count = len(loaded[0])
        return loaded

    def save_cassette(
        self, cassette_path: str, cassette_dict: dict[str, Any], serializer: Any
    ) -> None:
        recording = self._recording
        if not recording.keep:
            return
        # vcrpy unpatches HTTP only after a save that returns: an error raised here would
        # leave its patches on every later test (and a garbage collection would strip the
        # next recording's). record() raises it once vcrpy has let go.
        try:
            self._save(Path(cassette_path), cassette_dict)
        except Exception as err:  # raised again by record(), once unpatched
            recording.error = _write_failure(Path(cassette_path), err)

    def _save(self, cassette_path: Path, cassette_dict: dict[str, Any]) -> None:
        recording = self._recording
        # new_episodes keeps the file's interactions, which vcrpy read without the keys it
        # does not model (beside request and response, inside request): taken from our parse.
        before = recording.previous if recording.mode is RecordMode.NEW_EPISODES else None
        kept_extra = [i.extra for i in before.interactions] if before is not None else []
        interactions = []
        for index, (request, response) in enumerate(
            zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
        ):
            raw = {"request": request._to_dict(), "response": response}
            raw["request"]["uri"] = canonical_uri(request.uri, recording.region)
            operation = model.operation_for_request(request.method, request.uri)
            interaction = _interaction_from_vcr(raw, operation)
            if index < min(recording._previous_count, len(kept_extra)):
                interaction = replace(interaction, extra=kept_extra[index])
            interactions.append(interaction)
        foreign = dict(cassette_dict.get("metadata") or {})
        foreign.pop("replay_jobrun", None)
        cassette = Cassette(
            cassette_path,
            tuple(interactions),
            recording._previous_metadata,
            foreign,
            before.extra if before is not None else {},
        )
        # Attempts of one call share botocore's random invocation id, which is not written:
        # the grouping is, in the metadata (new_episodes keeps the kept part's groups).
        previous = recording._previous_count
        kept = [
            entry
            for entry in recording._previous_metadata.get(METADATA_FIELD) or []
            if all(index < previous for index in entry.get("interactions") or [])
        ]
        new = calls_by_invocation(cassette, previous, recording._retry_flags)
        cassette = replace(
            cassette, metadata={**cassette.metadata, METADATA_FIELD: kept + metadata_entries(new)}
        )
        recording.written, recording.report = write_scrubbed(
            cassette, recording.scrubber, region=recording.region, recorded_at=_now()
        )
        recording.scrubbed_fields = _scrubbed_fields(recording)


def _scrubbed_fields(recording: Recording) -> list[ScrubbedField]:
    written, report = recording.written, recording.report
    if written is None or report is None:
        return []
    from ..cassette.parsed import parsed_calls

    log = recording._log
    live = list(zip(log.answered, log.responses, strict=True))
    # One response per call, as the code saw them: a retried call's last attempt.
    recorded = [(call.operation, call.parsed) for call in parsed_calls(written)]
    return scrubbed_fields(live, recorded, report.distinct)


_OS_FIXES = {
    errno.ENAMETOOLONG: "the path is too long for the file system: give the cassette a shorter "
    'name, e.g. @pytest.mark.jobrun_cassette("short-name")',
    errno.ENOSPC: "free space on that disk, then record again",
    errno.EDQUOT: "free space (the disk quota is used up), then record again",
    errno.EEXIST: "a file stands where a folder of the path should be: move it away, or "
    "record elsewhere (the jobrun_cassette_dir ini option or the marker's cassette path)",
    errno.EACCES: "make the folder writable, or record elsewhere (jobrun_cassette_dir)",
    errno.EPERM: "make the folder writable, or record elsewhere (jobrun_cassette_dir)",
    errno.EROFS: "the file system is read-only: record elsewhere (jobrun_cassette_dir)",
}
_OS_FIXES[errno.ENOTDIR] = _OS_FIXES[errno.EEXIST]


def _write_failure(path: Path, err: Exception) -> ReplayJobrunError:
    """What a failed save says: ours as raised, an OSError or a scrub rule's error named."""
    if isinstance(err, ReplayJobrunError):
        return err.with_traceback(None)
    if isinstance(err, OSError):
        where = f" ({err.filename})" if err.filename and str(err.filename) != str(path) else ""
        return CassetteWriteError(
            path=path,
            problem=f"{err.strerror or err}{where}",
            fix=_OS_FIXES.get(
                err.errno or 0, "check the path and the file system, then record again"
            ),
        )
    return CassetteWriteError(
        path=path,
        problem=f"scrubbing it raised {type(err).__name__}: {err}",
        fix="if it comes from a scrub rule of yours (a replacement function, the "
        "pytest_jobrun_scrub_rules hook), fix the rule; then record again",
    )


@dataclass
class Recording:
    """A recording in progress; what the ``jobrun_replay`` fixture exposes while recording."""

    path: Path
    mode: RecordMode
    endpoint_url: str | None = None
    scrubber: Scrubber = field(default_factory=Scrubber)
    region: str | None = None
    keep: bool = True
    written: Cassette | None = None
    report: ScrubReport | None = None
    scrubbed_fields: list[ScrubbedField] = field(default_factory=list)
    """Response fields the code under test saw live that the written cassette holds
    scrubbed: an assertion on their live values passes now and fails on replay."""
    previous: Cassette | None = None
    """The cassette this recording replaces, as it was before (``all``, ``new_episodes``)."""
    ignore_params: tuple[str, ...] = ()
    """Paths vcrpy's matcher leaves out when it looks for a recorded request (``new_episodes``)."""
    error: ReplayJobrunError | None = None
    """Why the cassette could not be written (raised by :func:`record` on exit)."""
    _log: CallLog = field(default_factory=CallLog, init=False)
    _previous_metadata: dict[str, Any] = field(default_factory=dict, init=False)
    _previous_count: int = field(default=0, init=False)
    # botocore's retry flags (MaxAttemptsReached) per invocation id, from after-call.
    _retry_flags: dict[str, dict[str, bool]] = field(default_factory=dict, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)
    slept: list[float] = field(default_factory=list, init=False)
    """Durations the test's thread asked to sleep for, with ``skip_sleep`` (slept for real
    unless the endpoint is on loopback), so a test that checks them records as it replays."""

    @property
    def cassette(self) -> Path:
        return self.path

    def __repr__(self) -> str:
        state = "written" if self.written is not None else "kept" if self.keep else "discarded"
        return shown("Recording", self.path, self.mode.value, len(self._log.calls), f" {state}")

    def unused(self) -> list[Any]:
        """Nothing is replayed while recording, so nothing is left unused."""
        return []

    @property
    def calls(self) -> list[Call]:
        return list(self._log.calls)

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Parsed responses received so far."""
        return list(self._log.responses)

    @property
    def client(self) -> Any:
        """An emr-containers client whose traffic is recorded (created on first use)."""
        if self._client is None:
            self._client = model.botocore_session().create_client(
                model.SERVICE_NAME, region_name=self.region or "us-east-1"
            )
        return self._client

    def drift(self, ignore: Sequence[IgnoreRule] = ()) -> CassetteDrift | None:
        """Schema drift from the replaced cassette to the one written (None if either is missing)."""
        if self.previous is None or self.written is None:
            return None
        from ..drift.compare import compare_cassettes

        return compare_cassettes(self.previous, self.written, ignore)

    def discard(self) -> None:
        """Do not write the cassette (e.g. the test failed): the previous file stays as it was."""
        self.keep = False

    def _attach(self, client: Any) -> None:
        self._log.attach(client)
        client.meta.events.register(
            "after-call.emr-containers.*", self._note_retries, unique_id="replay-jobrun-retries"
        )

    def _note_retries(self, parsed: dict[str, Any], context: Any = None, **_: Any) -> None:
        # What botocore's retry handlers put in the ResponseMetadata the caller gets: the
        # HTTP exchange does not carry it, so the recording keeps it per call.
        metadata = parsed.get("ResponseMetadata") or {}
        invocation = ((context or {}).get("retries") or {}).get("invocation-id")
        flags = {flag: True for flag in RETRY_FLAGS if metadata.get(flag)}
        if invocation and flags:
            self._retry_flags[str(invocation)] = flags

    def _matches(self, live: Any, recorded: Any) -> None:
        invocation = _header(live.headers, INVOCATION_HEADER)
        if invocation and invocation == _header(recorded.headers, INVOCATION_HEADER):
            # new_episodes would answer a retry with its own failed attempt, just recorded.
            raise AssertionError("an earlier attempt of the same call; a retry goes out")
        operation = model.operation_for_request(recorded.method, recorded.uri)
        if operation is None or model.operation_for_request(live.method, live.uri) != operation:
            raise AssertionError(
                f"{live.method} {live.uri} is not {recorded.method} {recorded.uri}"
            )
        problems = matching.compare(
            operation,
            (recorded.method, recorded.uri, recorded.body),
            (live.method, live.uri, live.body),
            self.scrubber.scrub_live,
            self.ignore_params,
        )
        if problems:
            raise AssertionError("\n".join(problems))

    def _note_child_call(
        self, request: children.ChildRequest, response: children.ChildResponse, url: str
    ) -> None:
        """A child's call, in ``calls`` and ``responses`` as this process's own calls are."""
        from botocore.awsrequest import HeadersDict

        operation = model.operation_for_request(request.method, url)
        if operation is None:
            return
        params = matching.request_params(operation, request.method, url, request.body)
        params.pop("(method)", None)
        output = model.service_model().operation_model(operation).output_shape
        raw = {"status_code": response.status, "headers": HeadersDict(response.headers)}
        parsed = model.response_parser().parse({**raw, "body": response.body}, output)
        self._log.note(Call(operation, params), parsed)

    def _keep_request(self, request: Any) -> Any:
        if not is_emr_containers(request.headers, request.uri):
            return None  # not recorded; vcrpy lets it through to the network
        if self.region is None:
            scope = _SCOPE.search(_header(request.headers, "authorization"))
            if scope is not None:
                self.region = scope.group(1)
        return request


def _is_mine(request: Any) -> bool:
    return is_emr_containers(request.headers, request.uri)


def _routing_cassette() -> type[Any]:
    """vcrpy's Cassette that keeps emr-containers requests and routes every other one
    to the cassette that was active when it was entered (pytest-recording's ``vcr``).

    vcrpy sends each request to the innermost cassette only: without this, a test
    using both plugins recorded its other traffic (S3, plain HTTP) into neither. The
    methods overridden are the ones vcrpy's connection stubs call on their cassette.
    """
    from vcr.cassette import Cassette

    # Built over the vcrpy that is imported now: a host that imported vcrpy afresh
    # (pytester's in-process runs drop what they imported) has new exception classes,
    # and our persister raises the CassetteNotFoundError of the vcrpy now imported.
    return _routing_cassette_over(Cassette)


@functools.cache
def _routing_cassette_over(Cassette: type[Any]) -> type[Any]:
    from vcr.errors import CannotOverwriteExistingCassetteException

    class RoutingCassette(Cassette):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Entered before our patches go on: what is active now is the other tool's.
            self._outer = active_vcr_cassette()

        def _other(self, request: Any) -> Any:
            return self._outer if self._outer is not None and not _is_mine(request) else None

        def can_play_response_for(self, request: Any) -> Any:
            outer = self._other(request)
            if outer is None:
                return super().can_play_response_for(request)
            if outer.can_play_response_for(request):
                return True
            if outer.write_protected and outer.filter_request(request):
                # What the outer cassette's own stub raises for a request it may not record.
                raise CannotOverwriteExistingCassetteException(
                    cassette=outer, failed_request=request
                )
            return False

        def play_response(self, request: Any) -> Any:
            outer = self._other(request)
            return super().play_response(request) if outer is None else outer.play_response(request)

        def append(self, request: Any, response: Any) -> None:
            outer = self._other(request)
            if outer is None:
                super().append(request, response)
            else:
                outer.append(request, response)

    return RoutingCassette


@contextlib.contextmanager
def _no_global_reset() -> Iterator[None]:
    """While recording, vcrpy's ``force_reset`` resets nothing: other threads lose no call.

    vcrpy's stubs build, connect and send each real connection inside
    ``vcr.patch.force_reset()``, which puts the real connection classes back on
    urllib3's and botocore's pools *for the whole process* while it runs. A
    connection another thread opens meanwhile is a real one: its exchange never
    reaches the cassette (8 threads x 5 calls kept 20-30 of 40) and goes to the
    network unseen. The stubs name what they build directly (``self._baseclass``,
    ``self.real_connection``) and never look up a patched class, so the reset buys
    nothing; ``force_reset`` is looked up on ``vcr.patch`` at each use.
    """
    import vcr.patch

    original = vcr.patch.force_reset
    vcr.patch.force_reset = contextlib.nullcontext
    try:
        yield
    finally:
        vcr.patch.force_reset = original


@contextlib.contextmanager
def _real_connections_closed() -> Iterator[None]:
    """On exit, close the connections vcrpy opened on botocore's pools inside the block.

    vcrpy (before 9.4.2) never hands a connection back to its pool once a response
    has been read from it, so ``client.close()`` cannot reach it and its socket is
    left to the garbage collector: ``ResourceWarning: unclosed <socket...>``, an
    error in a suite run with ``filterwarnings = error``. vcrpy's own clean-up at
    cassette exit covers urllib3's pools only, not botocore's, so a connection
    released to a botocore pool (vcrpy 9.4.2) stays there bound to the finished
    cassette. Both kinds are taken out and closed here; the pool's slot is kept.
    """
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    opened: list[tuple[Any, Any]] = []  # (pool, connection), appended from any thread
    undo: list[tuple[type[Any], Any]] = []
    for pool_class in (AWSHTTPConnectionPool, AWSHTTPSConnectionPool):
        new_conn = pool_class._new_conn  # vcrpy's, inherited from urllib3's pool

        def tracked(pool: Any, *args: Any, _new_conn: Any = new_conn, **kwargs: Any) -> Any:
            connection = _new_conn(pool, *args, **kwargs)
            if "real_connection" in vars(connection):  # a vcrpy stub, not a pass-through
                opened.append((pool, connection))
            return connection

        undo.append((pool_class, pool_class.__dict__.get("_new_conn")))
        pool_class._new_conn = tracked
    try:
        yield
    finally:
        for pool_class, own in undo:
            if own is None:
                del pool_class._new_conn
            else:
                pool_class._new_conn = own
        mine = {id(connection) for _, connection in opened}
        for pool in {id(pool): pool for pool, _ in opened}.values():
            _drop_from_pool(pool, mine)
        for _, connection in opened:
            connection.close()


def _drop_from_pool(pool: Any, mine: set[int]) -> None:
    """Take ``mine`` out of ``pool``'s idle queue, keeping a slot for each (urllib3's None)."""
    idle = pool.pool
    if idle is None:  # the pool was closed already
        return
    with idle.mutex:
        idle.queue = type(idle.queue)(
            None if id(connection) in mine else connection for connection in idle.queue
        )


@contextlib.contextmanager
def record(
    path: str | os.PathLike[str],
    *,
    mode: RecordMode | str = RecordMode.ONCE,
    endpoint_url: str | None = None,
    scrubber: Scrubber | None = None,
    region: str | None = None,
    skip_sleep: bool = False,
    subprocesses: bool = False,
    ignore_params: Sequence[str] = (),
) -> Iterator[Recording]:
    """Record every emr-containers call made inside the block into ``path``.

    With ``skip_sleep`` the test thread's sleeps are noted in ``Recording.slept``
    (as replay notes them); they return at once when ``endpoint_url`` is on loopback
    (a moto server or LocalStack moves a job when told, not with time), and are
    real against AWS.

    ``endpoint_url`` sends every emr-containers call made inside the block to that
    endpoint (a moto server, LocalStack): clients created inside it are built for
    it, clients made before it (at import time, in a session fixture, cached by a
    library) are redirected from their first call until the block ends. On exit the cassette is
    scrubbed, leak-scanned and written atomically, unless :meth:`Recording.discard`
    was called or the block raised (the previous cassette, if any, stays as it was).
    Calls from any number of threads are all recorded. ``ignore_params`` (paths as
    replay takes them) are left out when vcrpy looks for a recorded request
    (``new_episodes``); a path no emr-containers operation has raises
    :class:`IgnoreParamsError` before anything is recorded.
    A write that fails (:class:`LeakError`, :class:`CassetteWriteError` for a file
    system error or a scrub rule that raised) raises on exit, after HTTP is unpatched.

    With ``subprocesses``, child processes started inside the block send their
    emr-containers calls through this process (:mod:`replay_jobrun.children`), which
    signs them with its own credentials, sends them on to ``endpoint_url`` (or AWS)
    and records them into the same cassette, in the order they happened.
    """
    import vcr

    recording = Recording(
        Path(path),
        RecordMode.parse(mode),
        endpoint_url=endpoint_url,
        scrubber=scrubber or Scrubber(),
        region=region,
        ignore_params=tuple(ignore_params),
    )
    bad = paths.check(recording.ignore_params, ())  # any operation may be recorded
    if bad:
        raise IgnoreParamsError(
            path=recording.path,
            problems="\n".join(
                f"  {text!r}:\n" + "\n".join(f"    {line}" for line in lines) for text, lines in bad
            ),
            syntax=paths.SYNTAX,
        )
    if recording.mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) and recording.path.is_file():
        # Kept for drift: the file is overwritten on exit. A broken old file does not
        # stop "all" from replacing it; it just has nothing to compare with.
        with contextlib.suppress(CassetteFormatError, UnicodeDecodeError):
            recording.previous = parse_cassette(
                recording.path.read_text(encoding="utf-8"), recording.path
            )
    recorder = vcr.VCR(
        record_mode=recording.mode.value,
        match_on=["jobrun"],
        before_record_request=recording._keep_request,
        decode_compressed_response=True,
    )
    recorder.register_persister(_Persister(recording))
    recorder.register_matcher("jobrun", recording._matches)
    policy = ClientPolicy(
        on_client=recording._attach,
        endpoint_url=endpoint_url,
        on_secret_key=recording.scrubber.learn_secret_key,
        adopt_existing=True,
    )
    with contextlib.ExitStack() as stack:
        stack.callback(recording._log.detach_all)
        stack.enter_context(intercept_clients(policy))
        stack.enter_context(_no_global_reset())
        # recorder.use_cassette() with our Cassette class: other traffic goes to any
        # vcrpy cassette already active (pytest-recording's), not around it.
        config = recorder.get_merged_config(path=str(recording.path))
        stack.enter_context(_routing_cassette().use(**config))
        stack.enter_context(_real_connections_closed())
        if skip_sleep:
            local = endpoint_url is not None and is_loopback(urlsplit(endpoint_url).hostname or "")
            stack.enter_context(sleeps_skipped(recording.slept, skip=local))
        if subprocesses:
            forwarder = children.Forwarder(
                endpoint_url, region=region, on_exchange=recording._note_child_call
            )
            stack.callback(forwarder.close)
            broker = stack.enter_context(children.children_served(forwarder, offline=False))
            # Runs before the broker raises the error a child was answered with: no cassette.
            stack.callback(_discard_if, recording, broker.errors)
        try:
            yield recording
        except BaseException:
            # A partial recording never replaces a good cassette.
            recording.discard()
            raise
    if recording.error is not None:
        raise recording.error


def _discard_if(recording: Recording, errors: list[Any]) -> None:
    if errors:
        recording.discard()
