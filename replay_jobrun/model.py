"""The emr-containers service model, loaded once per process.

Everything model-driven (which operation an HTTP request was, how to parse
its response, which members are idempotency tokens) asks this module, so the
model JSON is read from disk once however many cassettes and tests use it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SERVICE_NAME = "emr-containers"


@functools.lru_cache(maxsize=1)
def botocore_session() -> Any:
    """A botocore session shared by replay_jobrun: one data loader, one model cache."""
    import botocore.session

    return botocore.session.Session()


@functools.lru_cache(maxsize=1)
def data_loader() -> Any:
    """The data loader of :func:`botocore_session`: model JSON read once per process."""
    return botocore_session().get_component("data_loader")


@functools.lru_cache(maxsize=1)
def service_model() -> Any:
    """The installed botocore model of emr-containers."""
    return botocore_session().get_service_model(SERVICE_NAME)


@functools.lru_cache(maxsize=1)
def response_parser() -> Any:
    """botocore's own response parser for the service's protocol."""
    from botocore.parsers import create_parser

    return create_parser(service_model().metadata["protocol"])


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    path: re.Pattern[str]
    literal_segments: int


def _route_for(operation_model: Any) -> _Route:
    http = operation_model.http
    template = http["requestUri"].split("?", 1)[0]
    pattern = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", template):
        if not piece:
            continue
        if piece.startswith("{"):
            # {Label+} is a greedy label that may span slashes.
            pattern += ".+" if piece.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(piece)
            literal += piece.count("/") + len(piece)
    return _Route(operation_model.name, http["method"].upper(), re.compile(pattern + "/?"), literal)


@functools.lru_cache(maxsize=1)
def _routes() -> tuple[_Route, ...]:
    model = service_model()
    routes = [_route_for(model.operation_model(name)) for name in model.operation_names]
    # The most literal template wins: /virtualclusters/{id}/jobruns before /virtualclusters/{id}.
    return tuple(sorted(routes, key=lambda r: -r.literal_segments))


def operation_for_request(method: str, uri: str) -> str | None:
    """The operation whose HTTP method and URI template match a recorded request."""
    # Labels are percent-encoded on the wire, so a label never spans a raw "/".
    path = urlsplit(uri).path or "/"
    for route in _routes():
        if route.method == method.upper() and route.path.fullmatch(path):
            return route.operation
    return None


@functools.cache
def idempotency_members(operation: str) -> frozenset[str]:
    """Wire names of top-level input members that botocore fills with a fresh UUID."""
    input_shape = service_model().operation_model(operation).input_shape
    if input_shape is None:
        return frozenset()
    return frozenset(
        shape.serialization.get("name", name)
        for name, shape in input_shape.members.items()
        if shape.metadata.get("idempotencyToken")
    )


@functools.cache
def page_tokens(operation: str) -> frozenset[str]:
    """Output members that only exist when more pages follow (botocore's paginator model)."""
    try:
        config = botocore_session().get_paginator_model(SERVICE_NAME).get_paginator(operation)
    except ValueError:  # not a paginated operation
        return frozenset()
    token = config.get("output_token")
    tokens = token if isinstance(token, list) else [token] if token else []
    return frozenset(str(t) for t in tokens)
