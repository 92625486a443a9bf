"""Replay a cassette through botocore's Stubber to every emr-containers client.

Each recorded HTTP response is parsed once by botocore's own parser for its
operation (:mod:`replay_jobrun.cassette.parsed`), exactly as the live path
would parse the same bytes; the attempts of a call botocore retried while recording
are served together as that one call (its last response, with the recorded
``RetryAttempts``), since the Stubber answers before botocore's retry loop runs.
Responses are served in recorded order from one queue shared by all clients
the code under test creates: before each call the next response is staged on
that client's ``Stubber``, the live request is checked against the recorded
one, and the Stubber answers. Nothing is sent, nothing is signed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import warnings
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
    RequestMismatchError,
    UnexpectedCallError,
    UnknownFieldsError,
    UnknownFieldsWarning,
    UnrecordedRetriesWarning,
    UnusedInteractionsError,
)
from ..options import unknown_fields_policy
from ..session import shown
from . import matching, network, sleeps

if TYPE_CHECKING:
    from ..scrub.rules import Rule
    from ..scrub.scrubber import Scrubber

RERECORD_HINT = (
    "If the code under test changed on purpose, re-record the cassette: "
    "pytest --jobrun-record-mode=all --jobrun-endpoint-url=URL (or replay-jobrun record)."
)


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
        """botocore's Stubber, minus re-validating responses that parsed_responses validated.

        Validation is most of ``add_response``'s cost (~0.1 ms per response); the
        queue, the handlers and what the client returns are Stubber's own.
        """

        def _validate_operation_response(self, operation_name: str, response: Any) -> None:
            pass

    return PrevalidatedStubber


class _ClientStub:
    """A Stubber on one client, fed just in time from the shared queue."""

    def __init__(self, replay: Replay, client: Any) -> None:
        self._replay = replay
        self._client = client
        self._stubber_class = _stubber_class()
        self._staged: int | None = None
        events = client.meta.events
        # Registered before Stubber.activate(): first-section handlers of the same
        # event run in registration order, so ours stage the response before
        # Stubber checks that its queue holds one.
        events.register_first(
            "before-parameter-build.*.*", self._stage, unique_id="replay-jobrun-stage"
        )
        events.register_first("before-call.*.*", self._check, unique_id="replay-jobrun-check")
        self._stubber = self._stubber_class(client)
        self._stubber.activate()

    def detach(self) -> None:
        """Leave the client as it was before: no stage, no check, no Stubber."""
        events = self._client.meta.events
        events.unregister("before-parameter-build.*.*", unique_id="replay-jobrun-stage")
        events.unregister("before-call.*.*", unique_id="replay-jobrun-check")
        self._stubber.deactivate()

    def _stage(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        if context and context.get("is_presign_request"):
            return
        self._replay._calls.append(Call(model.name, fresh_copy(params)))
        index = self._replay._peek(model.name)
        if self._staged == index:
            return
        if self._staged is not None:
            # A previous call on this client failed before it was sent (e.g. param
            # validation) and another client consumed the response: start afresh.
            self._stubber.deactivate()
            self._stubber = self._stubber_class(self._client)
            self._stubber.activate()
        self._replay._stage_on(self._stubber, index)
        self._staged = index

    def _check(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        index = self._staged
        if index is None:  # pragma: no cover - Stubber raises first
            return
        self._replay._consume(index, model.name, params)
        self._staged = None


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
    ignore_params: Sequence[str] = ()
    scrubber: Scrubber | None = None
    region: str | None = None
    salt: str | None = None
    rules: Sequence[Rule] = ()
    unknown_fields: str = "fail"
    mode: str = "none"
    """The record mode in force (the cassette existed, so it replays)."""
    _parsed: tuple[ParsedResponse, ...] = field(init=False, repr=False)
    """One per logical call: the attempts of a retried call are served as one."""
    _next: int = field(default=0, init=False)
    _served: set[int] = field(default_factory=set, init=False)
    _calls: list[Call] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)
    _stubs: list[_ClientStub] = field(default_factory=list, init=False, repr=False)
    _secret_keys: list[str] = field(default_factory=list, init=False, repr=False)
    slept: list[float] = field(default_factory=list, init=False)
    """Durations passed to ``time.sleep`` while sleeping was skipped."""

    def __post_init__(self) -> None:
        self._parsed = parsed_calls(self.loaded)
        self._check_unknown_fields()
        self._warn_unrecorded_retries()
        if self.region is None:
            self.region = self.loaded.metadata.get("region") or _region_from(self.loaded)

    def _check_unknown_fields(self) -> None:
        # botocore's parser drops fields its model lacks, as the live client would; a
        # cassette from a newer API must not pass silently as if nothing were missing.
        from ..drift.fingerprint import unknown_fields

        found = unknown_fields(self.loaded)
        if not found:
            return
        error = UnknownFieldsError(
            path=self.path,
            version=model.botocore_version(),
            recorded=self.loaded.metadata.get("botocore") or "an unknown version",
            fields="\n".join(
                f"  #{index} {self.loaded.interactions[index].label}: {', '.join(paths)}"
                for index, paths in found
            ),
        )
        if self.unknown_fields == "fail":
            raise error
        fields = error.kwargs["fields"]
        warnings.warn(
            f"{self.path}: replaying without the field(s) botocore "
            f"{model.botocore_version()} does not know:\n{fields}",
            UnknownFieldsWarning,
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
            f" served={len(self._served)}/{len(self.loaded.interactions)}",
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
        return [
            (index, interaction)
            for index, interaction in enumerate(self.loaded.interactions)
            if index not in self._served
        ]

    def assert_all_used(self) -> None:
        """Raise :class:`UnusedInteractionsError` naming every response nobody asked for."""
        __tracebackhide__ = True
        unused = self.unused()
        if unused:
            raise UnusedInteractionsError(
                path=self.path,
                count=len(unused),
                unused="\n".join(
                    f"  {p.call.label(self.loaded)}"
                    for p in self._parsed
                    if p.call is not None and p.call.first not in self._served
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
    def _peek(self, operation: str) -> int:
        with self._lock:
            index = self._next
        if index >= len(self._parsed):
            expected = f"the cassette holds only {len(self.loaded.interactions)} interaction(s)"
            if len(self._parsed) != len(self.loaded.interactions):
                expected += f" ({len(self._parsed)} call(s), counting retried attempts as one)"
            at = len(self.loaded.interactions)
        elif self._parsed[index].operation != operation:
            expected = f"the recording has {self._label(index)} next"
            at = self._first(index)
        else:
            return index
        raise UnexpectedCallError(
            path=self.path, index=at, actual=operation, expected=expected, fix=RERECORD_HINT
        )

    def _first(self, unit: int) -> int:
        """The first interaction of a served unit (the one named in messages)."""
        call = self._parsed[unit].call
        return call.first if call is not None else unit

    def _label(self, unit: int) -> str:
        call = self._parsed[unit].call
        if call is None or len(call.interactions) == 1:
            return self.loaded.interactions[self._first(unit)].label
        return call.label(self.loaded)

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

    def _consume(self, index: int, operation: str, request: dict[str, Any]) -> None:
        first = self._first(index)
        # Every attempt of a retried call sent the same request (checked on load).
        interaction = self.loaded.interactions[first]
        if self.match_requests:
            recorded = (
                interaction.request.method,
                interaction.request.uri,
                interaction.request.body,
            )
            live = (request["method"], request["url"], request.get("body"))
            problems = matching.compare(
                operation, recorded, live, self._scrub_live, self.ignore_params
            )
            if problems:
                raise RequestMismatchError(
                    path=self.path,
                    index=first,
                    operation=operation,
                    differences="\n".join(problems),
                    fix="If the difference is expected, ignore it with "
                    "@pytest.mark.jobrun_cassette(ignore_params=[...]); " + RERECORD_HINT,
                )
        with self._lock:
            if index != self._next:  # another client consumed it meanwhile
                raise UnexpectedCallError(
                    path=self.path,
                    index=first,
                    actual=operation,
                    expected="another client consumed that interaction concurrently",
                    fix="replayed calls must happen in the recorded order",
                )
            self._next += 1
            self._served.update(self._parsed[index].interactions)

    def _answer_child(self, request: children.ChildRequest) -> children.ChildResponse:
        """A child process's request (``subprocesses=True``), served from the same queue,
        matched and accounted for as this process's own calls are."""
        url = f"https://{model.SERVICE_NAME}.{self.region or 'us-east-1'}.amazonaws.com"
        url += request.target
        operation = model.operation_for_request(request.method, url)
        if operation is None:
            raise UnexpectedCallError(
                path=self.path,
                index=self._next,
                actual=f"{request.method} {request.target} (a child process)",
                expected="no emr-containers operation has that method and path",
                fix=RERECORD_HINT,
            )
        params = matching.request_params(operation, request.method, url, request.body)
        params.pop("(method)", None)
        self._calls.append(Call(operation, params))
        index = self._peek(operation)
        self._consume(
            index, operation, {"method": request.method, "url": url, "body": request.body}
        )
        recorded = self.loaded.interactions[index].response
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
    ``Replay.slept``), so pollers replay in milliseconds; other threads sleep as usual. Response fields the installed botocore does not know raise
    :class:`UnknownFieldsError` unless ``unknown_fields="drop"``, which replays
    without them and warns (:class:`UnknownFieldsWarning`).

    With ``subprocesses``, child processes started inside the block are served from
    the same queue (:mod:`replay_jobrun.children`): their emr-containers calls are
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
