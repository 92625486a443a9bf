"""Replay a cassette through botocore's Stubber to every emr-containers client.

Each recorded HTTP response is parsed once by botocore's own parser for its
operation (:mod:`replay_jobrun.cassette.parsed`), exactly as the live path
would parse the same bytes. Every call is answered by its request, whichever
client or thread makes it: in ``before-call``, with the request serialized, the
earliest unused recorded interaction whose request matches is reserved
(atomically: never twice), staged on that client's ``Stubber`` (whose queue is
per thread) and popped by the Stubber. So a poller's calls (same params) get
their responses in recorded order, and concurrent calls with different params
each get their own. ``strict_order=True`` serves the recorded order instead.
The attempts of a call botocore retried while recording are one unit, served as
that one call (its last response, with the recorded ``RetryAttempts``), since the
Stubber answers before botocore's retry loop runs. Nothing is sent, nothing is signed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import children, model, options
from ..cassette.format import Cassette, Interaction, load_cassette
from ..cassette.parsed import ParsedResponse, parsed_calls
from ..cassette.retries import unrecorded_retries
from ..clients import Call, ClientPolicy, intercept_clients
from ..errors import (
    BlockedHostError,
    IgnoreParamsError,
    ModelViolationError,
    ModelViolationWarning,
    ReplayError,
    RequestMismatchError,
    UnexpectedCallError,
    UnknownFieldsError,
    UnknownFieldsWarning,
    UnrecordedRetriesWarning,
    UnusedInteractionsError,
)
from ..options import unknown_fields_policy
from ..session import shown
from . import matching, network, paths, sleeps

if TYPE_CHECKING:
    from ..scrub.rules import Rule
    from ..scrub.scrubber import Scrubber

RERECORD_HINT = (
    "If the code under test changed on purpose, re-record the cassette: "
    "pytest --jobrun-record-mode=all --jobrun-endpoint-url=URL (or replay-jobrun record)."
)
MISMATCH_HINT = (
    "If the difference is expected, ignore it with "
    "@pytest.mark.jobrun_cassette(ignore_params=[...]); " + RERECORD_HINT
)
# How many unused interactions a no-match error lists.
CLOSEST = 3


def fresh_copy(value: Any) -> Any:
    """A copy of a parsed response; dicts and lists are new, leaves are immutable."""
    if isinstance(value, dict):
        return {key: fresh_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fresh_copy(item) for item in value]
    return value


@functools.cache
def _stubber_class() -> type[Any]:
    from botocore.stub import Stubber

    class PrevalidatedStubber(Stubber):  # type: ignore[misc]
        """botocore's Stubber with a queue per thread, minus checks replay does itself.

        The queue is per thread: a response is staged and popped within one
        ``before-call`` event, and two threads calling one shared client must never
        pop each other's. ``add_response``, the pop and what the client returns stay
        Stubber's own.
        """

        def __init__(self, client: Any) -> None:
            self._local = threading.local()
            super().__init__(client)

        @property
        def _queue(self) -> Any:
            try:
                return self._local.queue
            except AttributeError:
                queue: deque[Any] = deque()
                self._local.queue = queue
                return queue

        @_queue.setter
        def _queue(self, value: Any) -> None:
            self._local.queue = value

        def _validate_operation_response(self, operation_name: str, response: Any) -> None:
            # parsed_responses validated every response once; this is most of
            # add_response's cost (~0.1 ms per response).
            pass

        def _assert_expected_params(self, *args: Any, **kwargs: Any) -> None:
            # No response is staged yet at before-parameter-build: replay chooses it in
            # before-call, from the serialized request, and compares params itself.
            # Stubber's call-order check still runs when the response is popped.
            pass

    return PrevalidatedStubber


class _ClientStub:
    """A Stubber on one client; each call gets the response replay chooses for its request."""

    def __init__(self, replay: Replay, client: Any) -> None:
        self._replay = replay
        self._client = client
        events = client.meta.events
        # Registered before Stubber.activate(): first-section handlers of the same
        # event run in registration order, so ours stage the response before
        # Stubber pops it.
        events.register_first(
            "before-parameter-build.*.*", self._log_call, unique_id="replay-jobrun-stage"
        )
        events.register_first("before-call.*.*", self._stage, unique_id="replay-jobrun-check")
        self._stubber = _stubber_class()(client)
        self._stubber.activate()

    def detach(self) -> None:
        """Leave the client as it was before: no stage, no check, no Stubber."""
        events = self._client.meta.events
        events.unregister("before-parameter-build.*.*", unique_id="replay-jobrun-stage")
        events.unregister("before-call.*.*", unique_id="replay-jobrun-check")
        self._stubber.deactivate()

    def _log_call(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        if context and context.get("is_presign_request"):
            return
        self._replay._calls.append(Call(model.name, fresh_copy(params)))

    def _stage(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        __tracebackhide__ = True  # a no-match error points at the test's call, not here
        position = self._replay._choose(model.name, params)
        queue = self._stubber._queue
        # Left by a call of this thread that failed after staging (an error raised by
        # a later before-call handler): this call's response must be the one popped.
        queue.clear()
        self._replay._stage_on(self._stubber, position)


@dataclass
class Replay:
    """A cassette being replayed; what the ``jobrun_replay`` fixture exposes.

    ``cassette`` is the file; ``calls`` lists what the code under test asked
    for; ``responses`` are the cassette's parsed responses in order, one per call
    (a call botocore retried is one; each access returns fresh copies);
    ``loaded`` is the cassette as read.
    """

    loaded: Cassette
    match_requests: bool = True
    ignore_params: tuple[str, ...] = ()
    scrubber: Scrubber | None = None
    region: str | None = None
    salt: str | None = None
    rules: Sequence[Rule] = ()
    unknown_fields: str = "fail"
    mode: str = "none"
    """The record mode in force (the cassette existed, so it replays)."""
    strict_order: bool = False
    """Serve responses in recorded order across all calls, as recorded, instead of by request."""
    _parsed: tuple[ParsedResponse, ...] = field(init=False, repr=False)
    """One per logical call: the attempts of a retried call are served as one."""
    _next: int = field(default=0, init=False)
    """strict_order: the position the next call gets."""
    _served: set[int] = field(default_factory=set, init=False)
    """Positions in ``_parsed`` given to a call (reserved under ``_lock``)."""
    _by_operation: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)
    _first_unused: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _recorded_params: dict[int, dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False
    )
    _calls: list[Call] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)
    _stubs: list[_ClientStub] = field(default_factory=list, init=False, repr=False)
    _secret_keys: list[str] = field(default_factory=list, init=False, repr=False)
    slept: list[float] = field(default_factory=list, init=False)
    """Durations passed to ``time.sleep`` while sleeping was skipped."""

    def __post_init__(self) -> None:
        self._parsed = parsed_calls(self.loaded)
        self.ignore_params = tuple(self.ignore_params)
        self._check_ignore_params()
        self._check_unknown_fields()
        self._warn_unrecorded_retries()
        for position, response in enumerate(self._parsed):
            self._by_operation.setdefault(response.operation, []).append(position)
        if self.region is None:
            self.region = self.loaded.metadata.get("region") or _region_from(self.loaded)

    def _check_ignore_params(self) -> None:
        bad = paths.check(self.ignore_params, (p.operation for p in self._parsed))
        if bad:
            raise IgnoreParamsError(
                path=self.path,
                problems="\n".join(
                    f"  {text!r}:\n" + "\n".join(f"    {line}" for line in lines)
                    for text, lines in bad
                ),
                syntax=paths.SYNTAX,
            )

    def _check_unknown_fields(self) -> None:
        # botocore's parser drops fields its model lacks, and serves bodies that do not
        # fit the model as they are (an unparseable body as an empty response), as the
        # live client would; a cassette that does not fit the installed model must not
        # pass silently. `unknown_fields` decides for every such problem.
        from ..drift.fingerprint import model_violations

        found = model_violations(self.loaded)
        if not found:
            return
        interactions = self.loaded.interactions
        version = model.botocore_version()
        recorded = self.loaded.metadata.get("botocore") or "an unknown version"
        if all(v.unknown for v in found):
            by_index: dict[int, list[str]] = {}
            for violation in found:
                by_index.setdefault(violation.index, []).append(violation.path)
            fields = "\n".join(
                f"  #{index} {interactions[index].label}: {', '.join(paths)}"
                for index, paths in by_index.items()
            )
            error: UnknownFieldsError = UnknownFieldsError(
                path=self.path, version=version, recorded=recorded, fields=fields
            )
            warning = f"replaying without the field(s) botocore {version} does not know"
            category: type[UnknownFieldsWarning] = UnknownFieldsWarning
        else:
            lines: list[str] = []
            for violation in found:
                label = f"  #{violation.index} {interactions[violation.index].label}:"
                if label not in lines:
                    lines.append(label)
                lines.append(f"    {violation}")
            fields = "\n".join(lines)
            error = ModelViolationError(
                path=self.path, version=version, recorded=recorded, fields=fields
            )
            warning = (
                f"replaying responses that do not fit botocore {version}'s model, "
                "as botocore parses them"
            )
            category = ModelViolationWarning
        if self.unknown_fields == "fail":
            raise error
        warnings.warn(
            f"{self.path}: {warning}:\n{fields}",
            category,
            stacklevel=_outside_this_package(),
        )

    def _warn_unrecorded_retries(self) -> None:
        # An old cassette cannot say whether a failure then the same request was one call
        # botocore retried or two calls: replay serves them apart, as it always did, and says so.
        pairs = unrecorded_retries(self.loaded)
        if pairs:
            interactions = self.loaded.interactions
            warnings.warn(
                UnrecordedRetriesWarning(
                    path=self.path,
                    pairs="\n".join(
                        f"  #{a} {interactions[a].label}, then #{b} {interactions[b].label}"
                        for a, b in pairs
                    ),
                ),
                stacklevel=_outside_this_package(),
            )

    def live_scrubber(self) -> Scrubber:
        """The scrubber live requests go through before matching (built on first need)."""
        if self.scrubber is None:
            from ..scrub.rules import KeepRule, KeepValueRule
            from ..scrub.scrubber import Scrubber

            # The live side must go through the rules the recording went through; which
            # fields were kept is the recording's to say, in its metadata.
            meta = self.loaded.metadata
            self.scrubber = Scrubber(
                salt=self.salt,
                known_pseudonyms=meta.get("pseudonyms") or (),
                keep_fields=meta.get("keep_fields") or (),
                keep_values=meta.get("keep_values") or (),
                rules=[r for r in self.rules if not isinstance(r, (KeepRule, KeepValueRule))],
            )
            for secret in self._secret_keys:
                self.scrubber.learn_secret_key(secret)
        return self.scrubber

    def _learn_secret_key(self, secret: str) -> None:
        # A key the code under test passes in a param was swept from the recording too.
        if self.scrubber is None:
            self._secret_keys.append(secret)
        else:
            self.scrubber.learn_secret_key(secret)

    def _scrub_live(self, operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        return self.live_scrubber().scrub_live(operation, url, body)

    # -- public ------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.loaded.path

    @property
    def cassette(self) -> Path:
        """The cassette file (the same as ``path``, as while recording)."""
        return self.loaded.path

    def __repr__(self) -> str:
        return shown(
            "Replay",
            self.path,
            self.mode,
            len(self._calls),
            f" served={len(self._served_interactions())}/{len(self.loaded.interactions)}",
        )

    @property
    def responses(self) -> list[dict[str, Any]]:
        return [fresh_copy(p.parsed) for p in self._parsed]

    @property
    def calls(self) -> list[Call]:
        return list(self._calls)

    @property
    def client(self) -> Any:
        """An emr-containers client wired to this replay (created on first use)."""
        if self._client is None:
            self._client = model.botocore_session().create_client(
                model.SERVICE_NAME, region_name=self.region
            )
        return self._client

    def unused(self) -> list[tuple[int, Interaction]]:
        """Recorded interactions no call was answered with (every attempt of a retried call)."""
        served = self._served_interactions()
        return [
            (index, interaction)
            for index, interaction in enumerate(self.loaded.interactions)
            if index not in served
        ]

    def _served_interactions(self) -> set[int]:
        with self._lock:
            positions = list(self._served)
        return {index for p in positions for index in self._parsed[p].interactions}

    def assert_all_used(self) -> None:
        """Raise :class:`UnusedInteractionsError` naming every response nobody asked for."""
        __tracebackhide__ = True
        unused = self.unused()
        if unused:
            raise UnusedInteractionsError(
                path=self.path,
                count=len(unused),
                unused="\n".join(
                    f"  {self._numbered(p)}"
                    for p in range(len(self._parsed))
                    if p not in self._served
                ),
            )

    def attach(self, client: Any) -> None:
        """Serve this cassette to ``client`` (done for you while :func:`replay` is active)."""
        stub = _ClientStub(self, client)
        with self._lock:
            self._stubs.append(stub)

    def detach_all(self) -> None:
        """Serve this cassette to no client any more (done for you when :func:`replay` ends).

        A client that outlives the block (a module-level client, one a library caches)
        is then the client it was, ready for the next cassette."""
        with self._lock:
            stubs, self._stubs = self._stubs, []
        for stub in stubs:
            stub.detach()

    # -- called by the per-client stubs --------------------------------------
    # A position is an index into ``_parsed``: the unit one call is served (one
    # interaction, or the attempts of a retried call). These helpers are the only place
    # that maps it to the recording.
    def _recorded_request(self, position: int) -> tuple[str, str, bytes | str | None]:
        # Every attempt of a retried call sent the same request (checked on load).
        request = self.loaded.interactions[self._first(position)].request
        return request.method, request.uri, request.body

    def _first(self, position: int) -> int:
        """The first interaction of a unit: the one error messages name."""
        call = self._parsed[position].call
        return call.first if call is not None else position

    def _label(self, position: int) -> str:
        """``<label>`` of a call made once; a retried one's numbered label (every attempt)."""
        call = self._parsed[position].call
        if call is None or len(call.interactions) == 1:
            return self.loaded.interactions[self._first(position)].label
        return call.label(self.loaded)

    def _numbered(self, position: int) -> str:
        """``#3: <label>``, or ``#3-#5: <label> -> 429, 429, 200 (one call, 3 attempts)``."""
        call = self._parsed[position].call
        if call is None:
            return f"#{position}: {self.loaded.interactions[position].label}"
        return call.label(self.loaded)

    def _holds_only(self) -> str:
        """``the cassette holds only N interaction(s)`` (and how many calls, if retried)."""
        count = len(self.loaded.interactions)
        text = f"the cassette holds only {count} interaction(s)"
        if len(self._parsed) != count:
            text += f" ({len(self._parsed)} call(s), counting retried attempts as one)"
        return text

    def _choose(self, operation: str, request: dict[str, Any]) -> int:
        """Reserve the position that answers this call: atomically, never twice."""
        __tracebackhide__ = True
        if self.strict_order:
            return self._choose_in_order(operation, request)
        live = self._live(operation, request)
        candidates = self._by_operation.get(operation, ())
        start = self._first_unused.get(operation, 0)
        for offset in range(start, len(candidates)):
            position = candidates[offset]
            if position in self._served:
                continue
            if self.match_requests and not self._matches(live, position):
                continue
            with self._lock:
                if position in self._served:  # another thread reserved it meanwhile
                    continue
                self._served.add(position)
                if offset == start:
                    while start < len(candidates) and candidates[start] in self._served:
                        start += 1
                    self._first_unused[operation] = start
            return position
        raise self._no_match(operation, live)

    def _live(self, operation: str, request: dict[str, Any]) -> matching.LiveRequest:
        return matching.LiveRequest(
            operation,
            (request["method"], request["url"], request.get("body")),
            self._scrub_live,
            self.ignore_params,
        )

    def _matches(self, live: matching.LiveRequest, position: int) -> bool:
        recorded = self._recorded_request(position)
        if live.equals(recorded):
            return True
        return not live.differences(recorded, self._params_of(live, position))

    def _params_of(self, live: matching.LiveRequest, position: int) -> dict[str, Any]:
        params = self._recorded_params.get(position)
        if params is None:
            params = self._recorded_params[position] = live.recorded_params(
                self._recorded_request(position)
            )
        return params

    def _choose_in_order(self, operation: str, request: dict[str, Any]) -> int:
        __tracebackhide__ = True
        with self._lock:
            position = self._next
        if position >= len(self._parsed):
            expected = self._holds_only()
            at = len(self.loaded.interactions)
        elif self._parsed[position].operation != operation:
            expected = f"the recording has {self._label(position)} next"
            at = self._first(position)
        else:
            expected = ""
        if expected:
            raise UnexpectedCallError(
                path=self.path,
                index=at,
                actual=operation,
                expected=expected,
                fix=RERECORD_HINT,
            )
        if self.match_requests:
            live = self._live(operation, request)
            problems = live.differences(self._recorded_request(position))
            if problems:
                raise RequestMismatchError(
                    path=self.path,
                    index=self._first(position),
                    operation=operation,
                    differences="\n".join(problems),
                    fix=MISMATCH_HINT,
                )
        with self._lock:
            if position != self._next:  # another call took it meanwhile
                raise UnexpectedCallError(
                    path=self.path,
                    index=self._first(position),
                    actual=operation,
                    expected="another client consumed that interaction concurrently",
                    fix="with strict_order=True, replayed calls must happen in the recorded "
                    "order; without it, each call is answered by its request.",
                )
            self._next += 1
            self._served.add(position)
        return position

    def _no_match(self, operation: str, live: matching.LiveRequest) -> ReplayError:
        """The error for a call no unused position answers, naming the closest ones and why."""
        unused = [p for p in range(len(self._parsed)) if p not in self._served]
        same = [p for p in unused if self._parsed[p].operation == operation]
        if not same:
            shown_ones = unused[:CLOSEST]
            closest = "".join(f"  {self._numbered(p)}: another operation\n" for p in shown_ones)
            if closest:
                more = len(unused) - len(shown_ones)
                closest = (
                    "The closest unused interaction(s):\n"
                    + closest
                    + (f"  ... and {more} more\n" if more else "")
                )
            if not unused:
                expected = self._holds_only()
            elif operation in self._by_operation:
                count = len(self._by_operation[operation])
                expected = f"each of the {count} recorded {operation} call(s) was answered already"
            else:
                expected = f"the cassette holds no {operation}"
            return UnexpectedCallError(
                path=self.path,
                index=self._first(unused[0]) if unused else len(self.loaded.interactions),
                actual=operation,
                expected=expected,
                closest=closest,
                fix=RERECORD_HINT,
            )
        ranked = sorted(
            (
                (live.differences(self._recorded_request(p), self._params_of(live, p)), p)
                for p in same
            ),
            key=lambda found: (len(found[0]), found[1]),
        )
        (first, position), rest = ranked[0], ranked[1:CLOSEST]
        others = ""
        if rest:
            others = (
                f"No unused {operation} matches; the next closest, each with why it did not:\n"
                + "".join(
                    f"  {self._numbered(p)}:\n" + "".join(f"  {line}\n" for line in lines)
                    for lines, p in rest
                )
            )
            if len(ranked) > CLOSEST:
                others += f"  ... and {len(ranked) - CLOSEST} more\n"
        return RequestMismatchError(
            path=self.path,
            index=self._first(position),
            operation=operation,
            differences="\n".join(first),
            others=others,
            fix=MISMATCH_HINT,
        )

    def _stage_on(self, stubber: Any, index: int) -> None:
        response = self._parsed[index]
        method = _method_name(response.operation)
        parsed = fresh_copy(response.parsed)
        if not response.is_error:
            stubber.add_response(method, parsed)
            return
        error = dict(parsed.pop("Error", {}))
        metadata = dict(parsed.pop("ResponseMetadata", {}))
        status = metadata.pop("HTTPStatusCode", response.status)
        stubber.add_client_error(
            method,
            service_error_code=error.pop("Code", ""),
            service_message=error.pop("Message", ""),
            http_status_code=status,
            service_error_meta=error or None,
            response_meta=metadata or None,
            modeled_fields=parsed or None,
        )

    def _answer_child(self, request: children.ChildRequest) -> children.ChildResponse:
        """A child process's request (``subprocesses=True``), answered by request as this
        process's own calls are, from the same recording.

        A retried call is served its last response: the child's own botocore saw it after
        its retries, which replay skips."""
        url = f"https://{model.SERVICE_NAME}.{self.region or 'us-east-1'}.amazonaws.com"
        url += request.target
        operation = model.operation_for_request(request.method, url)
        if operation is None:
            raise UnexpectedCallError(
                path=self.path,
                index=len(self.loaded.interactions),
                actual=f"{request.method} {request.target} (a child process)",
                expected="no emr-containers operation has that method and path",
                fix=RERECORD_HINT,
            )
        params = matching.request_params(operation, request.method, url, request.body)
        params.pop("(method)", None)
        self._calls.append(Call(operation, params))
        position = self._choose(
            operation, {"method": request.method, "url": url, "body": request.body}
        )
        call = self._parsed[position].call
        last = call.last if call is not None else position
        recorded = self.loaded.interactions[last].response
        headers = [(name, value) for name, values in recorded.headers.items() for value in values]
        return children.ChildResponse(recorded.status, headers, recorded.decoded_body())


_PACKAGE = __name__.partition(".")[0]


def _outside_this_package() -> int:
    """The stacklevel of the first caller outside replay_jobrun (and contextlib)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and str(frame.f_globals.get("__name__")).startswith(
        (_PACKAGE, "contextlib")
    ):
        frame, level = frame.f_back, level + 1
    return level


@functools.cache
def _method_name(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


_REGION_IN_HOST = re.compile(r"emr-containers\.([a-z0-9-]+)\.amazonaws")
_REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:emr-containers:([a-z0-9-]+):")


def _region_from(cassette: Cassette) -> str | None:
    """The region a stock vcrpy cassette was recorded in, from its hosts or ARNs."""
    for interaction in cassette.interactions:
        match = _REGION_IN_HOST.search(interaction.request.uri) or _REGION_IN_ARN.search(
            interaction.response.body.decode("utf-8", "replace")
        )
        if match:
            return match.group(1)
    return None


@contextlib.contextmanager
def replay(
    cassette: Cassette | str | os.PathLike[str],
    *,
    match_requests: bool = True,
    ignore_params: Sequence[str] = (),
    region: str | None = None,
    scrubber: Scrubber | None = None,
    skip_sleep: bool = False,
    salt: str | None = None,
    rules: Sequence[Rule] = (),
    unknown_fields: str = "fail",
    allowed_hosts: Sequence[str] = (),
    mode: str = "none",
    strict_order: bool = False,
    subprocesses: bool = False,
) -> Iterator[Replay]:
    """Serve a cassette to every emr-containers client in the process while the block runs.

    Clients created inside the block are built offline; clients made before it (at
    import time, in a session fixture, cached by a library) are served from their
    first call inside the block, and are left as they were when it ends.

    No socket is opened and no credentials are needed: clients created without
    explicit credentials get fake ones, so botocore never looks for real ones.
    ``salt`` must be the scrub salt the cassette was recorded with (live params
    are scrubbed with it before matching), and ``rules`` the extra scrub rules
    (the keep list comes from the cassette's metadata). Nothing else leaves the
    process: a call of another AWS service, a name look-up or a connection to any
    host but loopback and ``allowed_hosts`` raises :class:`BlockedHostError`; clients
    of other services are still built (region and credentials faked where none
    are given), so code runs until it calls them. With ``skip_sleep``, ``time.sleep``
    and ``asyncio.sleep`` (also where a module bound them to its own name) return at
    once in the thread that entered the block (the durations asked for are kept in
    ``Replay.slept``), so pollers replay in milliseconds; other threads sleep as usual.
    Each call gets the earliest unused interaction whose request matches it
    (``ignore_params`` paths left out: :mod:`replay_jobrun.replay.paths`), from any
    thread; ``strict_order=True`` requires the recorded order across all calls.
    Response fields the installed botocore does not know raise
    :class:`UnknownFieldsError` unless ``unknown_fields="drop"``, which replays
    without them and warns (:class:`UnknownFieldsWarning`). So do, as
    :class:`ModelViolationError` / :class:`ModelViolationWarning`, 2xx responses
    whose body is no JSON object, lacks a member the operation always returns, or
    holds an enum value the model does not list (``drop`` replays what botocore
    parses from them).

    With ``subprocesses``, child processes started inside the block are served from
    the same recording (:mod:`replay_jobrun.children`): their emr-containers calls are
    matched and answered as this process's are, and their other AWS calls refused.
    """
    loaded = cassette if isinstance(cassette, Cassette) else load_cassette(cassette)
    session = Replay(
        loaded,
        match_requests=match_requests,
        ignore_params=tuple(ignore_params),
        region=region,
        scrubber=scrubber,
        salt=salt,
        rules=tuple(rules),
        unknown_fields=unknown_fields_policy(unknown_fields, "replay(unknown_fields=...)"),
        mode=mode,
        strict_order=strict_order,
    )
    policy = ClientPolicy(
        on_client=session.attach,
        default_region=session.region or "us-east-1",
        fake_credentials=True,
        on_secret_key=session._learn_secret_key,
        offline=True,
        adopt_existing=True,
        on_other_call=_refuse_other_services,
    )
    allowed = options.allowed_hosts_value(allowed_hosts, "replay(allowed_hosts=...)")
    with contextlib.ExitStack() as stack:
        stack.callback(session.detach_all)
        stack.enter_context(network.network_blocked(allowed))
        stack.enter_context(intercept_clients(policy))
        if skip_sleep:
            stack.enter_context(sleeps.sleeps_skipped(session.slept))
        if subprocesses:
            stack.enter_context(
                children.children_served(
                    session._answer_child,
                    offline=True,
                    region=session.region,
                    permitted=network.permitted,
                )
            )
        yield session


def _refuse_other_services(client: Any, operation: str) -> None:
    """A call of another AWS service goes nowhere during replay, unless its host is allowed."""
    __tracebackhide__ = True  # pytest shows the test's own call, not this frame
    host = urlsplit(client.meta.endpoint_url).hostname or ""
    # pytest-recording's cassette answers it without a socket (a real send is still blocked).
    if not network.permitted(host) and network.active_vcr_cassette() is None:
        service = client.meta.service_model.service_name
        raise BlockedHostError(what=f"the {service} call {operation}", host=host)
