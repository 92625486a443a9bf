"""Reach every emr-containers client the code under test creates.

botocore has no process-wide event for "a client was created": each Session
has its own emitter. ``Session.create_client`` is the one call that
``boto3.client``, ``boto3.Session().client`` and botocore sessions all go
through, so this module wraps that single method while a recording or a
replay is active; everything after that (Stubber, call log) uses the
client's own event system. A client made before (at import time, in a session
fixture, in another thread, inside a library that caches it) is reached where
every client's every call goes, ``BaseClient._make_api_call``: it is handed
over on its first call, and left as it was when interception ends. A built
client cannot be rebuilt for another endpoint, so while recording an adopted
client is redirected per request, before signing (``before-sign``): the
signature is computed for the host the request goes to. aiobotocore, when
installed, is reached at its own two places: ``AioSession._create_client`` and
``AioBaseClient._make_api_call`` (coroutines); its clients take the same
synchronous event handlers.

Replayed clients are built "offline": their HTTP transport refuses to send
(the Stubber answers every call, so a request that reaches it is a bug), which
also spares them botocore's proxy lookup, SSL context and connection pool; they
share the process's emr-containers ServiceModel, endpoint rule set and memo of
aliased event names (immutable, or pure functions of immutable data: resolved
shapes, endpoint resolutions, alias lookups); and a session the
code under test creates gets replay_jobrun's data loader, so a new
``boto3.Session()`` per test does not read the model JSON again. Each client
keeps its own events, config, Stubber and responses.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import importlib
import importlib.util
import inspect
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import model
from .errors import NetworkBlockedError
from .model import SERVICE_NAME

# Passed to replayed clients that were given none, so botocore never walks the
# credential chain (config files, SSO, IMDS on 169.254.169.254). Never sent anywhere:
# a replayed call is answered before signing.
FAKE_ACCESS_KEY = "replay-jobrun-no-credentials"
FAKE_SECRET_KEY = "replay-jobrun-no-credentials"


@dataclass(frozen=True)
class ClientPolicy:
    """How clients created while intercepting are built."""

    on_client: Callable[[Any], None]
    endpoint_url: str | None = None
    default_region: str | None = None
    fake_credentials: bool = False
    # Told each client's secret access key: it signs requests but never travels in
    # them, so scrubbing cannot learn it from the traffic.
    on_secret_key: Callable[[str], None] | None = None
    # Replay: clients never send; they share replay_jobrun's parsed model data.
    offline: bool = False
    # Also hand over clients created before interception began (at import time, in a
    # session fixture, inside a library that caches its client), on their first call;
    # with endpoint_url, their requests are redirected there until interception ends.
    adopt_existing: bool = False
    # Told of every call of a client of another service (with adopt_existing); raises
    # to stop it. Replay: nothing else leaves the process.
    on_other_call: Callable[[Any, str], None] | None = None


_lock = threading.RLock()
# Set while an offline emr-containers client is being built, in the thread building it.
_building_offline: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replay_jobrun_building_offline", default=False
)


class OfflineHTTPSession:
    """The HTTP transport of replayed clients: nothing leaves the process.

    Takes botocore's ``URLLib3Session`` constructor arguments and ignores them.
    """

    def __init__(self, **_: Any) -> None:
        pass

    def send(self, request: Any) -> Any:
        raise NetworkBlockedError(service=SERVICE_NAME, method=request.method, url=request.url)

    def close(self) -> None:
        pass


def _share_data_loader(session: Any) -> None:
    """Give ``session`` the loader of replay_jobrun's own session, if both read the same paths.

    botocore reads and caches the model JSON per loader, and a new session makes a
    new loader: ~40 ms per ``boto3.Session()``. The loader only caches what it read.
    """
    shared = model.botocore_session()
    if session is shared:
        return
    if session.get_config_variable("data_path") == shared.get_config_variable("data_path"):
        session.register_component("data_loader", model.data_loader())


# Event names as botocore's EventAliaser rewrites them: a pure function of the alias
# table, which every new client's aliaser otherwise recomputes (~50 µs a name, a dozen
# names a test).
_aliased_event_names: dict[str, str] = {}


def _share_event_aliases(client: Any) -> None:
    """Let an offline client's event aliaser use the process-wide memo of aliased names."""
    from botocore.hooks import EVENT_ALIASES, EventAliaser

    events = client.meta.events
    own = getattr(events, "_alias_name_cache", None)
    if type(events) is not EventAliaser or not isinstance(own, dict):
        return
    if getattr(events, "_event_aliases", None) != EVENT_ALIASES:
        return  # another alias table: other names
    _aliased_event_names.update(own)
    events._alias_name_cache = _aliased_event_names


@contextlib.contextmanager
def intercept_clients(policy: ClientPolicy) -> Iterator[None]:
    """While active, every new emr-containers client is adjusted and handed to ``policy.on_client``.

    With ``policy.adopt_existing``, so is every emr-containers client made before,
    on its first call while active: a client cannot be adjusted after it is built,
    but its own event system takes a Stubber whenever.
    """
    import botocore.session

    original = botocore.session.Session.create_client
    signature = _signature(original)
    handed: weakref.WeakSet[Any] = weakref.WeakSet()  # clients on_client has seen

    def prepare(session: Any, arguments: dict[str, Any]) -> bool:
        """Adjust a create_client call's arguments; True if it builds an emr-containers client."""
        if arguments.get("service_name") != SERVICE_NAME:
            if policy.offline:
                # Replay: an s3 or logs client beside the emr-containers one is built without
                # looking for a region or credentials (no ~/.aws, no instance metadata); its
                # calls are refused by on_other_call, not by a failed credential look-up.
                _built_offline_friendly(session, arguments, policy)
            return False
        if policy.endpoint_url is not None:
            arguments["endpoint_url"] = policy.endpoint_url
        _built_offline_friendly(session, arguments, policy)
        return True

    def hand_over(client: Any, secret: str | None) -> None:
        if policy.on_secret_key is not None and secret and secret != FAKE_SECRET_KEY:
            policy.on_secret_key(secret)
        with _lock:
            handed.add(client)
        policy.on_client(client)

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = bound.arguments
        if not prepare(self, arguments):
            if not policy.offline:
                return original(self, *args, **kwargs)
            return original(*bound.args, **bound.kwargs)
        if policy.offline:
            _share_data_loader(self)
            token = _building_offline.set(True)
            try:
                client = original(*bound.args, **bound.kwargs)
            finally:
                _building_offline.reset(token)
            _share_event_aliases(client)
        else:
            client = original(*bound.args, **bound.kwargs)
        secret = None
        if policy.on_secret_key is not None:
            secret = arguments.get("aws_secret_access_key") or _session_secret_key(self)
        hand_over(client, secret)
        return client

    with contextlib.ExitStack() as patches:
        patches.enter_context(_patched(botocore.session.Session, "create_client", create_client))
        if policy.offline:
            _patch_offline_building(patches)
        aio = _aiobotocore()
        if aio is not None:
            _patch_aio_creation(patches, aio, prepare, hand_over)
        if policy.adopt_existing:
            _patch_first_calls(patches, policy, handed)
        yield


@functools.cache
def _aiobotocore() -> Any | None:
    """aiobotocore's modules if it is installed (its clients are reached too), else None.

    Imported on the first cassette, not on the first aiobotocore client: code that
    imports it inside the test (Airflow's triggers do) must be reached all the same.
    """
    if importlib.util.find_spec("aiobotocore") is None:
        return None
    try:
        client = importlib.import_module("aiobotocore.client")
        session = importlib.import_module("aiobotocore.session")
    except ImportError:  # pragma: no cover - an aiobotocore its botocore cannot load
        return None
    return types.SimpleNamespace(AioBaseClient=client.AioBaseClient, AioSession=session.AioSession)


def _patch_aio_creation(
    patches: contextlib.ExitStack,
    aio: Any,
    prepare: Callable[[Any, dict[str, Any]], bool],
    hand_over: Callable[[Any, str | None], None],
) -> None:
    """aiobotocore's sessions build clients in a coroutine of their own: wrap it as create_client.

    Replayed aiobotocore clients keep their own transport: the Stubber answers before
    anything is sent, and the network guard stands behind it.
    """
    original = aio.AioSession._create_client
    signature = _signature(original)

    async def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        if not prepare(self, bound.arguments):
            return await original(*bound.args, **bound.kwargs)
        client = await original(*bound.args, **bound.kwargs)
        secret = bound.arguments.get("aws_secret_access_key") or _client_secret_key(
            client, load=False
        )
        hand_over(client, secret)
        return client

    patches.enter_context(_patched(aio.AioSession, "_create_client", create_client))


def _patch_first_calls(
    patches: contextlib.ExitStack, policy: ClientPolicy, handed: weakref.WeakSet[Any]
) -> None:
    """Hand an emr-containers client made before interception to ``on_client`` on its first call.

    Every operation of every botocore client goes through ``BaseClient._make_api_call``,
    whoever built the client, in whichever thread, and whenever: the one place that
    reaches them all. With ``policy.endpoint_url`` the client is redirected there
    until interception ends.
    """
    from botocore.client import BaseClient

    make_api_call = BaseClient._make_api_call
    on_other_call = policy.on_other_call
    redirected: weakref.WeakSet[Any] = weakref.WeakSet()

    def adopt(client: Any, *, load: bool) -> None:
        if policy.endpoint_url is not None:
            _redirect(client, policy.endpoint_url)
            redirected.add(client)
        if policy.on_secret_key is not None:
            # An adopted client signs with its own credentials, not the session's.
            secret = _client_secret_key(client, load=load)
            if secret and secret != FAKE_SECRET_KEY:
                policy.on_secret_key(secret)
        policy.on_client(client)

    def reach(client: Any, operation_name: str, *, load: bool) -> None:
        __tracebackhide__ = True
        if client.meta.service_model.service_name == SERVICE_NAME:
            # Handed over under the lock, marked only once wired: a second thread's
            # first call on the same client waits rather than going out unwired.
            with _lock:
                if client not in handed:
                    adopt(client, load=load)
                    handed.add(client)
        elif on_other_call is not None:
            on_other_call(client, operation_name)

    def first_call_adopts(self: Any, operation_name: str, api_params: Any) -> Any:
        __tracebackhide__ = True
        if self not in handed:
            reach(self, operation_name, load=not policy.offline)
        return make_api_call(self, operation_name, api_params)

    aio = _aiobotocore()
    if aio is not None:
        aio_make_api_call = aio.AioBaseClient._make_api_call

        async def first_aio_call_adopts(self: Any, operation_name: str, api_params: Any) -> Any:
            __tracebackhide__ = True
            if self not in handed:
                # aiobotocore's credentials load in coroutines: read what they hold.
                reach(self, operation_name, load=False)
            return await aio_make_api_call(self, operation_name, api_params)

        patches.enter_context(_patched(aio.AioBaseClient, "_make_api_call", first_aio_call_adopts))

    def restore() -> None:
        for client in list(redirected):
            client.meta.events.unregister(f"before-sign.{SERVICE_NAME}", unique_id=_REDIRECT_ID)

    patches.callback(restore)
    patches.enter_context(_patched(BaseClient, "_make_api_call", first_call_adopts))


_REDIRECT_ID = "replay-jobrun-redirect"


def _redirect(client: Any, endpoint_url: str) -> None:
    """Send every request of a built ``client`` to ``endpoint_url``, signed for that host.

    ``before-sign`` runs after the request URL is resolved and before the signature
    (which covers the host) is computed, on every attempt of every call.
    """
    target = urlsplit(endpoint_url)
    prefix = target.path.rstrip("/")
    own_prefix = urlsplit(client.meta.endpoint_url).path.rstrip("/")

    def to_endpoint(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        path = parts.path
        if own_prefix and path.startswith(own_prefix):
            path = path[len(own_prefix) :]
        request.url = urlunsplit(
            (target.scheme, target.netloc, prefix + path, parts.query, parts.fragment)
        )

    client.meta.events.register_first(
        f"before-sign.{SERVICE_NAME}", to_endpoint, unique_id=_REDIRECT_ID
    )


def _client_secret_key(client: Any, *, load: bool) -> str | None:
    """The secret access key a built client signs with.

    ``load=False`` reads only what its credentials already hold: a refresh (an
    assume-role, a metadata request) is a network call replay must not make.
    """
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if credentials is None:
        return None
    if load:
        secret = credentials.get_frozen_credentials().secret_key
    else:
        held = vars(credentials)
        secret = held.get("secret_key") or held.get("_secret_key")
    return str(secret) if secret else None


def _built_offline_friendly(session: Any, arguments: dict[str, Any], policy: ClientPolicy) -> None:
    """A default region and fake credentials where the call gives none, as the policy says."""
    if policy.default_region and not _has_region(session, arguments):
        arguments["region_name"] = policy.default_region
    if policy.fake_credentials and arguments.get("aws_access_key_id") is None:
        arguments["aws_access_key_id"] = FAKE_ACCESS_KEY
        arguments["aws_secret_access_key"] = FAKE_SECRET_KEY
        arguments["aws_session_token"] = None


@contextlib.contextmanager
def _patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    with _lock:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        with _lock:
            setattr(owner, name, original)


def _patch_offline_building(patches: contextlib.ExitStack) -> None:
    """While an offline client is built, give it an offline endpoint and the shared model."""
    from botocore.client import ClientCreator
    from botocore.endpoint import EndpointCreator

    create_endpoint = EndpointCreator.create_endpoint

    def offline_endpoint(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _building_offline.get():
            kwargs["http_session_cls"] = OfflineHTTPSession
            if kwargs.get("proxies") is None:
                kwargs["proxies"] = {}  # never used: skips scanning the environment
        return create_endpoint(self, *args, **kwargs)

    patches.enter_context(_patched(EndpointCreator, "create_endpoint", offline_endpoint))

    _patch_shared_endpoint_provider(patches)
    load_service_model = getattr(ClientCreator, "_load_service_model", None)
    if load_service_model is None:  # a botocore without it: clients build their own model
        return

    def shared_service_model(self: Any, service_name: str, api_version: Any = None) -> Any:
        # The ServiceModel is immutable once built; sharing it keeps the shapes that
        # parsing and validation resolved, instead of resolving them again per client.
        loader = getattr(self, "_loader", None)
        if (
            _building_offline.get()
            and service_name == SERVICE_NAME
            and api_version is None
            and loader is model.data_loader()
        ):
            return model.service_model()
        return load_service_model(self, service_name, api_version)

    patches.enter_context(_patched(ClientCreator, "_load_service_model", shared_service_model))


# (ruleset data, partition data, provider): the data are the shared loader's, so identity is a
# key. A few at most (one per loader); bounded for sessions that keep loaders of their own.
_providers: list[tuple[Any, Any, Any]] = []
_MAX_PROVIDERS = 8


def _patch_shared_endpoint_provider(patches: contextlib.ExitStack) -> None:
    """Offline clients share one EndpointProvider per ruleset, and so its resolution cache.

    A provider is the parsed endpoint rule set plus an LRU cache of resolved
    endpoints: a pure function of its data that botocore builds per client.
    """
    import botocore.regions

    provider_class = getattr(botocore.regions, "EndpointProvider", None)
    if provider_class is None:
        return

    def shared_provider(*args: Any, **kwargs: Any) -> Any:
        ruleset, partitions = kwargs.get("ruleset_data"), kwargs.get("partition_data")
        if args or kwargs.get("excluded_params") or ruleset is None or not _building_offline.get():
            return provider_class(*args, **kwargs)
        with _lock:
            for known_ruleset, known_partitions, provider in _providers:
                if known_ruleset is ruleset and known_partitions is partitions:
                    return provider
            provider = provider_class(*args, **kwargs)
            _providers.append((ruleset, partitions, provider))
            del _providers[:-_MAX_PROVIDERS]
            return provider

    patches.enter_context(_patched(botocore.regions, "EndpointProvider", shared_provider))


def _session_secret_key(session: Any) -> str | None:
    # Already resolved by create_client when no keys were passed: no extra lookup.
    credentials = session.get_credentials()
    if credentials is None:
        return None
    return str(credentials.get_frozen_credentials().secret_key or "") or None


@functools.lru_cache(maxsize=4)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _has_region(session: Any, arguments: dict[str, Any]) -> bool:
    if arguments.get("region_name"):
        return True
    config = arguments.get("config")
    if config is not None and getattr(config, "region_name", None):
        return True
    return bool(session.get_config_variable("region"))


@dataclass(frozen=True)
class Call:
    """One call the code under test made: the operation and the params it passed."""

    operation: str
    params: dict[str, Any]

    def __repr__(self) -> str:
        # Param names only: live values are unscrubbed, and tracebacks print reprs.
        return f"Call({self.operation!r}, params=<{', '.join(self.params) or 'none'}>)"


@dataclass
class CallLog:
    """Calls and parsed responses seen on intercepted clients, in order (repr: counts only)."""

    calls: list[Call] = field(default_factory=list, repr=False)
    responses: list[dict[str, Any]] = field(default_factory=list, repr=False)
    answered: list[str] = field(default_factory=list, repr=False)
    """The operation of each entry of ``responses``."""
    _clients: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet, repr=False)

    def attach(self, client: Any) -> None:
        """Log the calls and responses of ``client`` until :meth:`detach_all`."""
        events = client.meta.events
        events.register_first(
            "before-parameter-build.emr-containers.*",
            self._on_call,
            unique_id="replay-jobrun-calls",
        )
        events.register_last(
            "after-call.emr-containers.*", self._on_response, unique_id="replay-jobrun-responses"
        )
        with _lock:
            self._clients.add(client)

    def detach_all(self) -> None:
        """Log nothing more: a client that outlives the log is left as it was before."""
        with _lock:
            clients, self._clients = list(self._clients), weakref.WeakSet()
        for client in clients:
            events = client.meta.events
            events.unregister(
                "before-parameter-build.emr-containers.*", unique_id="replay-jobrun-calls"
            )
            events.unregister("after-call.emr-containers.*", unique_id="replay-jobrun-responses")

    def _on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(Call(model.name, copy.deepcopy(params)))

    def _on_response(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        # One lock for both lists: calls from threads keep each response with its operation.
        with _lock:
            self.responses.append(copy.deepcopy(parsed))
            self.answered.append(model.name)
