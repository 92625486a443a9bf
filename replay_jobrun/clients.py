"""Reach every emr-containers client the code under test creates.

botocore has no process-wide event for "a client was created": each Session
has its own emitter. ``Session.create_client`` is the one call that
``boto3.client``, ``boto3.Session().client`` and botocore sessions all go
through, so this module wraps that single method while a recording or a
replay is active; everything after that (Stubber, call log) uses the
client's own event system.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

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


_lock = threading.RLock()


@contextlib.contextmanager
def intercept_clients(policy: ClientPolicy) -> Iterator[None]:
    """While active, every new emr-containers client is adjusted and handed to ``policy.on_client``."""
    import botocore.session

    original = botocore.session.Session.create_client
    signature = _signature(original)

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = bound.arguments
        if arguments.get("service_name") != SERVICE_NAME:
            return original(self, *args, **kwargs)
        if policy.endpoint_url is not None:
            arguments["endpoint_url"] = policy.endpoint_url
        if policy.default_region and not _has_region(self, arguments):
            arguments["region_name"] = policy.default_region
        if policy.fake_credentials and arguments.get("aws_access_key_id") is None:
            arguments["aws_access_key_id"] = FAKE_ACCESS_KEY
            arguments["aws_secret_access_key"] = FAKE_SECRET_KEY
            arguments["aws_session_token"] = None
        client = original(*bound.args, **bound.kwargs)
        if policy.on_secret_key is not None:
            secret = arguments.get("aws_secret_access_key") or _session_secret_key(self)
            if secret and secret != FAKE_SECRET_KEY:
                policy.on_secret_key(secret)
        policy.on_client(client)
        return client

    with _lock:
        botocore.session.Session.create_client = create_client
    try:
        yield
    finally:
        with _lock:
            botocore.session.Session.create_client = original


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


@dataclass
class CallLog:
    """Calls and parsed responses seen on intercepted clients, in order."""

    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register_first(
            "before-parameter-build.emr-containers.*",
            self._on_call,
            unique_id="replay-jobrun-calls",
        )
        events.register_last(
            "after-call.emr-containers.*", self._on_response, unique_id="replay-jobrun-responses"
        )

    def _on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(Call(model.name, copy.deepcopy(params)))

    def _on_response(self, parsed: dict[str, Any], **_: Any) -> None:
        self.responses.append(copy.deepcopy(parsed))
