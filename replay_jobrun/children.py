"""Child processes of the code under test: their emr-containers calls go through the cassette.

A command-line program that a test starts (``subprocess.run(["emr", "run",
"--wait"])``) is another process: no patch of this one reaches its botocore.
What reaches it is the environment it inherits. While :func:`children_served`
is active, a broker listens on 127.0.0.1 (a free port) and ``os.environ``
points every child's emr-containers calls at it with
``AWS_ENDPOINT_URL_EMR_CONTAINERS``: the service-specific endpoint variable
that botocore (since 1.31), the AWS CLI and the other AWS SDKs read, so the
child need not be Python, load anything of ours or cooperate. The broker hands
each request to this process's cassette (replay: the same queue, request
matching and unused-interaction accounting as the process's own calls; record:
re-signed with this process's credentials and sent on, so that vcrpy records
it here) and answers the child with the status, headers and body of the
recorded or live response. One cassette; calls in the order they reach it.

While replaying, a child reaches nothing else of AWS either: ``AWS_ENDPOINT_URL``
(and any ``AWS_ENDPOINT_URL_<SERVICE>`` not on loopback or an allowed host)
points its other services at the broker, which answers them with an error the
child prints; the child gets fake credentials, a region when it has none, and
no instance-metadata look-up.

This process's own clients keep their endpoints: botocore reads configured
endpoints through ``ConfiguredEndpointProvider``, which is handed the
environment as it was before (in record mode, a client created here still
sends straight to its endpoint and is recorded once, not a second time through
the broker).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import model
from .errors import ConfigError, ReplayJobrunError, shown_url

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

SERVICE_ENDPOINT_ENV = "AWS_ENDPOINT_URL_EMR_CONTAINERS"
GLOBAL_ENDPOINT_ENV = "AWS_ENDPOINT_URL"
_OTHER_SERVICE_ENDPOINT = re.compile(r"AWS_ENDPOINT_URL_[A-Z0-9_]+")
# What a replayed child signs with: never sent beyond the broker, which ignores signatures.
FAKE_KEY = "replay-jobrun-child-no-credentials"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
# Not passed on between the child, the broker and the endpoint: hop-by-hop, recomputed,
# or the child's signature (made for 127.0.0.1, with credentials that are not ours).
_NOT_FORWARDED = frozenset(
    {
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "expect",
        "host",
        "keep-alive",
        "transfer-encoding",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
    }
)


_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass(frozen=True)
class ChildRequest:
    """One HTTP request a child process sent to the broker."""

    method: str
    target: str
    """Path and query string, as the child sent them."""
    headers: Mapping[str, str]
    body: bytes

    @property
    def signed_for(self) -> tuple[str | None, str | None]:
        """(region, service) of the child's SigV4 signature, if it signed the request."""
        authorization = next(
            (v for k, v in self.headers.items() if k.lower() == "authorization"), ""
        )
        scope = _SCOPE.search(authorization)
        return (scope.group(1), scope.group(2)) if scope else (None, None)

    def forwarded_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}


@dataclass(frozen=True)
class ChildResponse:
    """What the broker answers: a recorded or live response."""

    status: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""


Handler = Callable[[ChildRequest], ChildResponse]


@dataclass
class Broker:
    """An HTTP server on 127.0.0.1 that answers child processes through ``handler``.

    The first error the handler raised is kept in ``errors`` (the child got it as an
    error response, and may well have swallowed it); :func:`children_served` raises it
    when its block ends.
    """

    handler: Handler
    offline: bool
    errors: list[ReplayJobrunError] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _token: str = field(default_factory=lambda: os.urandom(16).hex(), init=False, repr=False)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        # The path is a secret of this test's children (SDKs put an endpoint's path before
        # the operation's): another local process cannot have requests signed or answered.
        return f"http://{host!s}:{port}/{self._token}"

    def start(self) -> None:
        # Imported here: http.server (and the email package under it) costs every replay
        # ~10 ms of start-up, and only cassettes with subprocesses=True need it.
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        broker = self

        class _Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = ChildRequest(self.command, self.path, dict(self.headers.items()), body)
                response = broker.answer(request)
                self.send_response(response.status)
                for name, value in response.headers:
                    if name.lower() not in _NOT_FORWARDED:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the child's output and the test's are the user's, not ours

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Request)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, name="replay-jobrun-children", daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, request: ChildRequest) -> ChildResponse:
        service = request.signed_for[1]
        if service != model.service_model().signing_name:
            if self.offline:
                return blocked_response(request, service)
            # Record mode points only emr-containers at the broker: this cannot be a child's.
            return _error_response(
                400, "NotEmrContainers", "replay_jobrun: not an emr-containers request"
            )
        prefix = f"/{self._token}"
        if not request.target.startswith((f"{prefix}/", f"{prefix}?")):
            return _error_response(
                403,
                "NotAChild",
                "replay_jobrun: this broker answers the test's child processes only",
            )
        request = dataclasses.replace(request, target=request.target[len(prefix) :])
        try:
            return self.handler(request)
        except ReplayJobrunError as error:
            with self._lock:
                self.errors.append(error)
            return _error_response(400, "ReplayJobrunError", str(error))
        except Exception as error:  # the endpoint unreachable while recording, say
            # A gateway error, as a proxy would answer: the child retries, then reports it.
            return _error_response(502, "ReplayJobrunBrokerError", f"replay_jobrun: {error}")


def _error_response(status: int, code: str, message: str) -> ChildResponse:
    # rest-json, as emr-containers answers: botocore raises ClientError(code, message).
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return ChildResponse(status, headers, body)


BLOCKED_MESSAGE = (
    "replay_jobrun blocked the {service} call of a child process: while a cassette replays "
    "with subprocesses=True, a child's AWS calls other than emr-containers are answered with "
    "this error and never leave the machine. Fix: stub that call, or point the child at a "
    "local endpoint (loopback or an allowed host) with AWS_ENDPOINT_URL_<SERVICE>."
)


def blocked_response(request: ChildRequest, service: str | None) -> ChildResponse:
    """403 with a message the child's SDK shows: JSON for JSON protocols, XML otherwise."""
    from xml.sax.saxutils import escape

    message = BLOCKED_MESSAGE.format(service=service or "unsigned")
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type:
        return _error_response(403, "NetworkBlocked", message)
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>NetworkBlocked</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        "<RequestId>replay-jobrun-blocked</RequestId></ErrorResponse>"
    ).encode()
    return ChildResponse(403, [("Content-Type", "text/xml")], body)


class _EnvironmentAsItWas(Mapping[str, str]):
    """``os.environ`` with the variables :func:`children_served` set shown as they were."""

    def __init__(self, saved: Mapping[str, str | None]) -> None:
        self._saved = saved

    def __getitem__(self, name: str) -> str:
        if name in self._saved:
            value = self._saved[name]
            if value is None:
                raise KeyError(name)
            return value
        return os.environ[name]

    def __iter__(self) -> Iterator[str]:
        return iter(
            {*os.environ, *(k for k, v in self._saved.items() if v is not None)}
            - {k for k, v in self._saved.items() if v is None}
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


@contextlib.contextmanager
def _own_endpoints_kept(saved: Mapping[str, str | None]) -> Iterator[None]:
    """This process's new clients resolve configured endpoints from the environment as it was.

    botocore builds one ``ConfiguredEndpointProvider`` per client; without an
    ``environ`` it reads ``os.environ``. A botocore without it (before 1.31) reads no
    endpoint from the environment at all, in this process or in a child.
    """
    from botocore import configprovider

    provider = getattr(configprovider, "ConfiguredEndpointProvider", None)
    if provider is None:  # pragma: no cover - botocore < 1.31
        yield
        return
    original = provider.__init__
    as_it_was = _EnvironmentAsItWas(saved)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) < 4 and kwargs.get("environ") is None:
            kwargs["environ"] = as_it_was
        original(self, *args, **kwargs)

    provider.__init__ = init
    try:
        yield
    finally:
        provider.__init__ = original


def _permitted(url: str, permitted: Callable[[str], bool]) -> bool:
    return permitted(urlsplit(url).hostname or "")


def child_environment(
    broker_url: str,
    *,
    offline: bool,
    region: str | None,
    permitted: Callable[[str], bool],
    environ: Mapping[str, str],
) -> dict[str, str | None]:
    """The variables to set (``None``: to remove) so that children use the broker."""
    changes: dict[str, str | None] = {SERVICE_ENDPOINT_ENV: broker_url}
    if offline:
        # A child's other AWS services go to the broker (which refuses them), unless the
        # user pointed them at a host that replay lets through anyway.
        if not _permitted(environ.get(GLOBAL_ENDPOINT_ENV, ""), permitted):
            changes[GLOBAL_ENDPOINT_ENV] = broker_url
        for name, value in environ.items():
            other = _OTHER_SERVICE_ENDPOINT.fullmatch(name) and name != SERVICE_ENDPOINT_ENV
            if other and not _permitted(value, permitted):
                changes[name] = broker_url
        changes.update(
            AWS_ACCESS_KEY_ID=FAKE_KEY,
            AWS_SECRET_ACCESS_KEY=FAKE_KEY,
            AWS_SESSION_TOKEN=None,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=None,
        )
        if not environ.get("AWS_DEFAULT_REGION"):
            changes["AWS_DEFAULT_REGION"] = environ.get("AWS_REGION") or region or "us-east-1"
    if any(environ.get(name) for name in _PROXIES):
        # The broker is on loopback: a child must not send its requests to a proxy.
        for name in ("NO_PROXY", "no_proxy"):
            changes[name] = ",".join(filter(None, (environ.get(name), "127.0.0.1")))
    return changes


_active = threading.Lock()


@contextlib.contextmanager
def children_served(
    handler: Handler,
    *,
    offline: bool,
    region: str | None = None,
    permitted: Callable[[str], bool] = lambda host: False,
    source: str = "subprocesses=True",
) -> Iterator[Broker]:
    """Point child processes started inside the block at a broker that answers through ``handler``.

    ``offline`` (replay): children's other AWS calls are refused, and they get fake
    credentials; ``permitted(host)`` says which endpoints they may keep. When the
    block ends the broker stops: a child still running then gets "connection refused"
    on its next call. The first error ``handler`` raised is raised here, unless the
    block raised.
    """
    if not _active.acquire(blocking=False):
        raise ConfigError(
            source=source,
            problem="another cassette already serves child processes",
            valid="one cassette with subprocesses=True at a time (the environment is per process)",
        )
    try:
        broker = Broker(handler, offline=offline)
        broker.start()
        try:
            changes = child_environment(
                broker.url, offline=offline, region=region, permitted=permitted, environ=os.environ
            )
            saved = {name: os.environ.get(name) for name in changes}
            with _own_endpoints_kept(saved):
                _apply(changes)
                try:
                    yield broker
                finally:
                    _apply(saved)
        finally:
            broker.stop()
    finally:
        _active.release()
    if broker.errors:
        raise broker.errors[0]


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class Forwarder:
    """Record: a child's request, re-signed with this process's credentials, sent on.

    The child signed for 127.0.0.1 with whatever credentials it has; the request
    goes on as it was otherwise (path, query, body, the SDK's headers), signed as
    this process's own clients sign, to the endpoint they use: ``endpoint_url``
    (``--jobrun-endpoint-url``) or the one botocore resolves for the region the child
    signed for. Sent through botocore's HTTP session, which vcrpy records. No
    retries here: the child retries as it would against AWS, each attempt one
    interaction, as in this process.
    """

    def __init__(
        self,
        endpoint_url: str | None,
        *,
        region: str | None = None,
        on_exchange: Callable[[ChildRequest, ChildResponse, str], None] | None = None,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._on_exchange = on_exchange
        self._targets: dict[str, tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self._http: Any = None

    def _target(self, region: str) -> tuple[str, Any]:
        """(endpoint URL, credentials) for a region: as a client made here would use them."""
        with self._lock:
            if region not in self._targets:
                import botocore.session

                session = botocore.session.Session()
                # Created while recording: the recording learns its secret key, as it does
                # for every client the code under test creates.
                client = session.create_client(
                    model.SERVICE_NAME, region_name=region, endpoint_url=self._endpoint_url
                )
                credentials = session.get_credentials()
                if credentials is None:
                    raise ConfigError(
                        source="subprocesses=True (recording)",
                        problem="no AWS credentials in this process to sign a child's call with",
                        valid="the credentials this process's own clients would use "
                        "(environment, profile)",
                    )
                self._targets[region] = (client.meta.endpoint_url, credentials)
            return self._targets[region]

    def __call__(self, request: ChildRequest) -> ChildResponse:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.httpsession import URLLib3Session
        from botocore.utils import get_environ_proxies

        region = request.signed_for[0] or self._region or "us-east-1"
        endpoint, credentials = self._target(region)
        host = next((v for k, v in request.headers.items() if k.lower() == "host"), None)
        if urlsplit(endpoint).netloc == host:
            raise ConfigError(
                source="subprocesses=True (recording)",
                problem="the endpoint of this process's clients is the broker itself "
                f"({shown_url(endpoint)})",
                valid="an endpoint to record from: --jobrun-endpoint-url=URL, or AWS",
            )
        url = endpoint.rstrip("/") + request.target
        outgoing = AWSRequest(
            method=request.method,
            url=url,
            data=request.body,
            headers=request.forwarded_headers(),
        )
        signing_name = model.service_model().signing_name
        SigV4Auth(credentials.get_frozen_credentials(), signing_name, region).add_auth(outgoing)
        with self._lock:
            if self._http is None:
                self._http = URLLib3Session(proxies=get_environ_proxies(url))
            http = self._http
        live = http.send(outgoing.prepare())
        response = ChildResponse(live.status_code, list(live.headers.items()), live.content)
        if self._on_exchange is not None:
            self._on_exchange(request, response, url)
        return response

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
