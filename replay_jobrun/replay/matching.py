"""Compare a live request with a recorded one, at the level of the operation's params.

Both sides are HTTP requests (the recorded one from the cassette, the live one
as botocore serialized it). Each is mapped back to ``{param: wire value}``
through the service model: URI labels, query string members and JSON body
members. Idempotency tokens (fresh UUIDs botocore generates per call) and
params the user chose to ignore are left out. The live side is scrubbed with
the cassette's rules first, so a real account id matches its pseudonym.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import model
from . import paths


@dataclass(frozen=True)
class _Layout:
    labels: re.Pattern[str]
    label_params: Mapping[str, str]  # label wire name -> param name
    query_params: Mapping[str, str]
    body_params: Mapping[str, str]


@functools.cache
def _layout(operation: str) -> _Layout:
    operation_model = model.service_model().operation_model(operation)
    template = operation_model.http["requestUri"].split("?", 1)[0]
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{"):
            name = piece[1:-1].rstrip("+")
            group = re.sub(r"\W", "_", name)
            pattern += f"(?P<{group}>.+)" if piece.endswith("+}") else f"(?P<{group}>[^/]+)"
        elif piece:
            pattern += re.escape(piece)
    labels: dict[str, str] = {}
    query: dict[str, str] = {}
    body: dict[str, str] = {}
    shape = operation_model.input_shape
    for param, member in shape.members.items() if shape is not None else ():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", param)
        if location == "uri":
            labels[re.sub(r"\W", "_", wire)] = param
        elif location == "querystring":
            query[wire] = param
        elif location is None:
            body[wire] = param
    return _Layout(re.compile(pattern + "/?"), labels, query, body)


def request_params(
    operation: str, method: str, url: str, body: bytes | str | None
) -> dict[str, Any]:
    """``{param: value}`` of a serialized request; idempotency tokens left out."""
    layout = _layout(operation)
    split = urlsplit(url)
    params: dict[str, Any] = {"(method)": method.upper()}
    match = layout.labels.fullmatch(split.path)
    if match is None:
        params["(path)"] = unquote(split.path)
    else:
        for group, value in match.groupdict().items():
            params[layout.label_params.get(group, group)] = unquote(value)
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        name = layout.query_params.get(key, key)
        existing = params.get(name)
        if existing is None:
            params[name] = value
        else:
            params[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
    if body:
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        try:
            decoded = json.loads(text)
        except ValueError:
            params["(body)"] = text
        else:
            if isinstance(decoded, dict):
                for key, value in decoded.items():
                    params[layout.body_params.get(key, key)] = value
            else:
                params["(body)"] = decoded
    for token in model.idempotency_members(operation):
        params.pop(layout.body_params.get(token, token), None)
    return params


_MISSING = object()


def without(params: dict[str, Any], ignored: Iterable[str]) -> dict[str, Any]:
    """A copy of params without what the ignored paths name (syntax: :mod:`.paths`)."""
    copied: dict[str, Any] = json.loads(json.dumps(params, default=str))
    for path in ignored:
        paths.drop(copied, paths.parse(path))
    return copied


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _child(path: str, key: Any) -> str:
    """``path.key``, ``path[2]`` for a list item, ``path['spark.app.name']`` for an odd key."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def _leaf_differences(path: str, old: Any, new: Any, lines: list[str]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _leaf_differences(
                _child(path, key), old.get(key, _MISSING), new.get(key, _MISSING), lines
            )
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            _leaf_differences(_child(path, index), before, after, lines)
        return
    # Values in full: a value cut short can hide the very character that differs.
    if old is _MISSING:
        lines.append(f"  {path}: not in the recording, live {new!r}")
    elif new is _MISSING:
        lines.append(f"  {path}: recorded {old!r}, missing from the live call")
    else:
        lines.append(f"  {path}: recorded {old!r}, live {new!r}")


def differences(recorded: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """One line per leaf that differs, by its path (``jobDriver.sparkSubmitJobDriver.entryPoint``,
    ``tags['cost center']``, ``entryPointArguments[1]``), recorded value first, both in full."""
    lines: list[str] = []
    for name in sorted(set(recorded) | set(live)):
        _leaf_differences(name, recorded.get(name, _MISSING), live.get(name, _MISSING), lines)
    return lines


def _text(body: bytes | str | None) -> str | None:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return body or None


def compare(
    operation: str,
    recorded: tuple[str, str, bytes | str | None],
    live: tuple[str, str, bytes | str | None],
    scrub_live: Callable[[str, str, str | None], tuple[str, str | None]],
    ignored: Iterable[str] = (),
) -> list[str]:
    """Differences between a recorded and a live request (empty when they match).

    ``scrub_live(operation, url, body)`` applies the recording's scrub rules to the live side.
    """
    return LiveRequest(operation, live, scrub_live, tuple(ignored)).differences(recorded)


class LiveRequest:
    """One live request, compared with any number of recorded ones.

    The live side is scrubbed and mapped to params once, on the first comparison
    that needs it (a byte-for-byte equal recording needs neither).
    """

    def __init__(
        self,
        operation: str,
        live: tuple[str, str, bytes | str | None],
        scrub_live: Callable[[str, str, str | None], tuple[str, str | None]],
        ignored: tuple[str, ...] = (),
    ) -> None:
        method, url, body = live
        self.operation = operation
        self._raw = (method.upper(), url, _text(body))
        self._scrub_live = scrub_live
        self._ignored = ignored
        self._params: dict[str, Any] | None = None

    def equals(self, recorded: tuple[str, str, bytes | str | None]) -> bool:
        """The recording is this request byte for byte (nothing to scrub or compare)."""
        return self._raw == (recorded[0].upper(), recorded[1], _text(recorded[2]))

    def params(self) -> dict[str, Any]:
        """The live params, scrubbed, without the ignored paths."""
        if self._params is None:
            method, url, body = self._raw
            scrubbed = (method, *self._scrub_live(self.operation, url, body))
            self._params = without(request_params(self.operation, *scrubbed), self._ignored)
        return self._params

    def recorded_params(self, recorded: tuple[str, str, bytes | str | None]) -> dict[str, Any]:
        """A recorded request's params, without the ignored paths."""
        return without(request_params(self.operation, *recorded), self._ignored)

    def differences(
        self,
        recorded: tuple[str, str, bytes | str | None],
        recorded_params: dict[str, Any] | None = None,
    ) -> list[str]:
        """Leaf differences from ``recorded`` (its params, if already known, spare the work)."""
        if self.equals(recorded):
            # Scrubbing values that were already pseudonyms would only disturb them.
            return []
        if recorded_params is None:
            recorded_params = self.recorded_params(recorded)
        return differences(recorded_params, self.params())
