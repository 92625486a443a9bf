"""The emr-containers service model, loaded once per process.

Everything model-driven (which operation an HTTP request was, how to parse
its response, which members are idempotency tokens) asks this module, so the
model JSON is read from disk once however many cassettes and tests use it.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import CassetteFormatError

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
    """botocore's own response parser for the service's protocol (see :func:`parse_timestamp`)."""
    from botocore.parsers import ResponseParserFactory

    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    return factory.create_parser(service_model().metadata["protocol"])


# The form AWS sends: UTC, at most microseconds. botocore hands every string to dateutil
# (~35 µs each); for these the result is the datetime fromisoformat reads, with the tzinfo
# dateutil gives "Z" in this process (tzlocal() where local time is UTC, else tzutc()).
_ISO_8601_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z", re.ASCII)


def parse_timestamp(value: Any) -> Any:
    """botocore's ``parse_timestamp``, with a fast path for ISO-8601 UTC strings."""
    if isinstance(value, str) and _ISO_8601_UTC.fullmatch(value):
        try:
            naive = datetime.datetime.fromisoformat(value[:-1])
        except ValueError:
            pass  # out of range, or a form this Python's fromisoformat does not read
        else:
            utc = _utc_as_botocore_reads_it()
            if utc is not None:
                return naive.replace(tzinfo=utc)
    from botocore.utils import parse_timestamp as botocore_parse

    return botocore_parse(value)


@functools.cache
def _utc_as_botocore_reads_it() -> Any:
    """The tzinfo botocore gives a "Z" string, if it is one fixed UTC zone (else None)."""
    from botocore.utils import parse_timestamp as botocore_parse

    winter, summer = (botocore_parse(f"2000-{month}-01T00:00:00Z") for month in ("01", "07"))
    same = winter.tzinfo == summer.tzinfo and winter.utcoffset() == summer.utcoffset()
    return winter.tzinfo if same and not winter.utcoffset() else None


def check_recorded_operations(names: Sequence[str | None], path: Path) -> None:
    """Refuse operation names (a cassette's metadata block) that the installed model lacks.

    botocore would raise ``OperationNotFoundError`` from deep inside whichever step
    first asks the model (parse, scrub, drift); one clear error here names the file,
    the interaction and the names that are valid.
    """
    if all(name is None for name in names):  # no model load for a cassette that names none
        return
    valid = service_model().operation_names
    known = set(valid)
    for index, name in enumerate(names):
        if name is None or name in known:
            continue
        close = difflib.get_close_matches(name, valid, n=1) if isinstance(name, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CassetteFormatError(
            path=path,
            problem=f"interaction #{index}: the metadata block names operation {name!r}, which "
            f"botocore {botocore_version()}'s {SERVICE_NAME} model does not have{hint}; "
            f"valid operations: {', '.join(valid)}",
            fix=f"correct entry #{index} of 'replay_jobrun.operations' by hand, or re-record the "
            "cassette; a cassette recorded with a newer botocore needs that botocore to replay",
        )


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
