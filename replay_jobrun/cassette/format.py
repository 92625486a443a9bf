"""Load and save vcrpy cassettes: the format, the metadata block, atomic writes.

A cassette on disk is plain vcrpy YAML (``version: 1`` + ``interactions``),
so stock vcrpy and pytest-recording replay it. replay_jobrun adds a top-level
``replay_jobrun`` block that vcrpy ignores (not under vcrpy's own ``metadata``
key: from vcrpy 9.4 on, a cassette with ``metadata`` loads as three values,
and pytest-recording 0.15's persister, expecting two, cannot load it), and
writes files to be reviewed in pull requests: headers as text (never base64
``!!binary``), JSON bodies pretty-printed with sorted keys as YAML block
literals, volatile headers dropped, so a re-recording's diff shows changed
fields line by line.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import reprlib
import secrets
import stat
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml

from ..errors import CassetteBodyError, CassetteFormatError
from .bodies import MAX_BYTES_ENV, check_json_depth, decode_content, max_body_bytes
from .emit import Emitter
from .yamlload import load_yaml

# What json.dumps(..., ensure_ascii=False) quotes a string with (C, when available).
_json_string: Callable[[str], str] = json.encoder.encode_basestring

VCR_FORMAT_VERSION = 1
METADATA_KEY = "replay_jobrun"
# Where older cassettes hold the block: under vcrpy's ``metadata`` (still read).
LEGACY_METADATA_KEY = "metadata"
# Bumped when the metadata block changes shape; load() migrates older ones.
METADATA_VERSION = 1

Headers = Mapping[str, Sequence[str]]

try:  # libyaml writes several times faster than the pure-Python dumper.
    _BaseDumper: type[Any] = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseDumper = yaml.SafeDumper


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Writes multi-line strings (pretty JSON bodies) as reviewable block literals, and
    never an anchor or alias (the loader refuses them): an object that appears twice
    (one list in two metadata fields) is written out twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: Any, value: str) -> Any:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Bytes that were not UTF-8 (a header value read from !!binary) go back as
            # they came: as bytes, never refused or altered.
            return dumper.represent_binary(value.encode("utf-8", errors="surrogateescape"))
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    uri: str
    headers: Headers = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    reason: str
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively."""
        wanted = name.lower()
        for key, values in self.headers.items():
            if key.lower() == wanted and values:
                return values[0]
        return None

    def decoded_body(self) -> bytes:
        """The body as the client sees it: urllib3 undoes its Content-Encoding.

        Raises :class:`~replay_jobrun.errors.CassetteBodyError` for an encoding that is
        corrupt or not one replay_jobrun decodes (a loaded cassette never holds one)."""
        return self._decoded

    @functools.cached_property
    def _decoded(self) -> bytes:
        # Once per response: load, parse, drift, scrub and the scan each read it, and
        # inflating gzip is the costly part (the instance is frozen, so it cannot go stale).
        return decode_content(self.body, self.header("content-encoding"))


@dataclass(frozen=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    operation: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """What the file holds that the fields above do not model (another tool's ``url``
    under ``response``, a key of its own beside ``request``): the interaction's mapping
    with only those keys, nested as found, written back as they were (see
    :func:`unknown_keys`)."""

    @property
    def label(self) -> str:
        """Short description for messages: ``DescribeJobRun GET /virtualclusters/…``."""
        try:
            target = urlsplit(self.request.uri)
        except ValueError:  # not from a file (a loaded cassette's URIs are checked)
            path = self.request.uri
        else:
            path = target.path + (f"?{target.query}" if target.query else "")
        return f"{self.operation or '?'} {self.request.method} {path} -> {self.response.status}"


@dataclass(frozen=True, eq=False)
class Cassette:
    """An in-memory cassette: interactions in recorded order plus our metadata."""

    path: Path
    interactions: tuple[Interaction, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # Metadata of other tools (vcrpy's get_metadata) is kept as found.
    foreign_metadata: Mapping[str, Any] = field(default_factory=dict)
    # Top-level keys of other tools (not version, interactions or a metadata block).
    extra: Mapping[str, Any] = field(default_factory=dict)


_T = TypeVar("_T")


def per_cassette(compute: Callable[[Cassette], _T]) -> Callable[[Cassette], _T]:
    """Memoize ``compute`` per loaded cassette object.

    load_cassette shares one object while the file is unchanged, so whatever is
    derived from a cassette (parsed responses, fingerprints) is computed once per
    session and freed with the cassette.
    """
    cache: weakref.WeakKeyDictionary[Cassette, _T] = weakref.WeakKeyDictionary()

    @functools.wraps(compute)
    def cached(cassette: Cassette) -> _T:
        try:
            return cache[cassette]
        except KeyError:
            found = cache[cassette] = compute(cassette)
            return found

    return cached


# --- reading -----------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return str(value)


def _body_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    raise TypeError(f"unsupported body type {type(value).__name__}")


def _headers(raw: Any, what: str) -> dict[str, list[str]]:
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise TypeError(f"{what} must be a mapping of name to list of values")
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        seq = values if isinstance(values, (list, tuple)) else [values]
        for value in seq:
            if isinstance(value, (Mapping, list, tuple, set)):
                raise TypeError(
                    f"{what}[{str(name)!r}] holds a {type(value).__name__}, not a header value"
                )
        out[str(name)] = [_text(v) for v in seq]
    return out


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _string(value: Any, what: str) -> str:
    if isinstance(value, bytes):
        return _text(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {reprlib.repr(value)}")
    return value


# Three ASCII digits: what http.client reads from a status line (int() alone would
# also take 200.0 from YAML, or "٢٠٠").
_STATUS_TEXT = re.compile(r"[0-9]{3}")


def _status_code(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and _STATUS_TEXT.fullmatch(value.strip()):
        return int(value)
    raise ValueError(
        f"response.status.code must be an HTTP status code (an integer such as 200), "
        f"not {reprlib.repr(value)}"
    )


# The keys of an interaction the data model reads (None: the whole value); every other
# key is kept as found in Interaction.extra. A scrub or a re-recording drops nothing.
_MODELLED: dict[str, Any] = {
    "request": {"method": None, "uri": None, "headers": None, "body": None},
    "response": {
        "status": {"code": None, "message": None},
        "headers": None,
        "body": {"string": None},
    },
}
# Top-level keys the data model reads.
_MODELLED_TOP = frozenset({"version", "interactions", METADATA_KEY, LEGACY_METADATA_KEY})


def unknown_keys(raw: Mapping[Any, Any], modelled: Mapping[str, Any] = _MODELLED) -> dict[Any, Any]:
    """The part of ``raw`` that ``modelled`` does not read: its other keys, and within a
    modelled mapping (``response.status``) that mapping's other keys, nested as found."""
    out: dict[Any, Any] = {}
    for key, value in raw.items():
        if key not in modelled:
            out[key] = value
        elif modelled[key] is not None and isinstance(value, Mapping):
            inner = unknown_keys(value, modelled[key])
            if inner:
                out[key] = inner
    return out


def _with_unknown(built: dict[Any, Any], extra: Mapping[Any, Any]) -> dict[Any, Any]:
    """``built`` (a modelled mapping) with the keys ``extra`` holds put back, after its own."""
    for key, value in extra.items():
        if key not in built:
            built[key] = value
        elif isinstance(built[key], dict) and isinstance(value, Mapping):
            _with_unknown(built[key], value)
    return built


def _interaction_from_vcr(raw: Any, operation: str | None) -> Interaction:
    raw = _mapping(raw, "an interaction")
    req = _mapping(raw["request"], "request")
    resp = _mapping(raw["response"], "response")
    status = _mapping(resp["status"], "response.status")
    body = resp.get("body") or {}
    return Interaction(
        request=RecordedRequest(
            method=_string(req["method"], "request.method").upper(),
            uri=_string(req["uri"], "request.uri"),
            headers=_headers(req.get("headers"), "request.headers"),
            body=_body_bytes(req.get("body")),
        ),
        response=RecordedResponse(
            status=_status_code(status["code"]),
            reason=str(status.get("message") or ""),
            headers=_headers(resp.get("headers"), "response.headers"),
            body=_body_bytes(body.get("string") if isinstance(body, Mapping) else body) or b"",
        ),
        operation=operation,
        extra=unknown_keys(raw),
    )


# An HTTP method as RFC 9110 writes one (a token); real ones are letters.
_METHOD = re.compile(r"[A-Z]+")


def _checked_request(request: RecordedRequest) -> None:
    """What replay, matching and messages read from a recorded request, checked once."""
    if not _METHOD.fullmatch(request.method):
        raise ValueError(
            f"request.method must be an HTTP method such as GET, not {request.method!r}"
        )
    try:
        split = urlsplit(request.uri)
        split.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError as err:
        raise ValueError(f"request.uri {request.uri!r} is not a valid URL ({err})") from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ValueError(
            f"request.uri {request.uri!r} is not an absolute http(s) URL (vcrpy records "
            "https://host/path?query)"
        )


def _checked_body(body: bytes | None, side: str) -> None:
    if body and body.lstrip()[:1] in (b"{", b"["):
        try:
            check_json_depth(body)
        except CassetteBodyError as err:
            raise CassetteBodyError(
                path="", problem=f"the {side} body: {err.kwargs['problem']}", fix=err.kwargs["fix"]
            ) from None


def _checked_bodies(interaction: Interaction) -> None:
    """Each body as every stage reads it: decodable, and not nested past what the
    recursive walks of drift, scrub and the leak scan handle.

    Bytes that are not UTF-8 load as they are (``!!binary`` round-trips any body): every
    stage reads them without failing, and replay refuses a response botocore cannot parse.
    """
    request, response = interaction.request, interaction.response
    _checked_body(request.body, "request")
    try:
        body = response.decoded_body()
    except CassetteBodyError as err:
        raise CassetteBodyError(
            path="", problem=f"the response body: {err.kwargs['problem']}", fix=err.kwargs["fix"]
        ) from None
    _checked_body(body, "response")


def _is_str_list(value: Any, *, allow_none_items: bool = False) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) or (allow_none_items and item is None) for item in value
    )


def _is_count_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(kind, str)
        and isinstance(counts, Mapping)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())
        for kind, counts in value.items()
    )


# The fields of our block that the library reads, each with its check and the
# shape a message names. A missing or null field means "not recorded".
_METADATA_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "format": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "region": (lambda v: isinstance(v, str), "a string"),
    "operations": (
        lambda v: _is_str_list(v, allow_none_items=True),
        "a list of operation names (or nulls)",
    ),
    "pseudonyms": (_is_str_list, "a list of strings"),
    "keep_fields": (_is_str_list, "a list of strings"),
    "keep_values": (_is_str_list, "a list of strings"),
    "scrubbed": (_is_count_map, "a mapping of kind to {distinct: int, replaced: int}"),
}


def _metadata(data: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Other tools' metadata (vcrpy's ``metadata``) and our block, checking our fields.

    Our block is the top-level ``replay_jobrun`` key; cassettes written before it moved
    there hold it at ``metadata.replay_jobrun``, which is read when the top-level one
    is absent (and written at the top level the next time the file is written).
    """
    fix = (
        f"fix or delete the '{METADATA_KEY}' block by hand (it is rebuilt when the "
        "cassette is re-recorded or re-scrubbed), or re-record the cassette"
    )
    name = METADATA_KEY
    try:
        raw = data.get(LEGACY_METADATA_KEY)
        all_metadata = {} if raw is None else dict(_mapping(raw, f"'{LEGACY_METADATA_KEY}'"))
        legacy = all_metadata.pop(METADATA_KEY, None)
        ours_raw = data.get(METADATA_KEY)
        if ours_raw is None and legacy is not None:
            ours_raw, name = legacy, f"{LEGACY_METADATA_KEY}.{METADATA_KEY}"
        if ours_raw is None:
            return all_metadata, {}
        ours = dict(_mapping(ours_raw, f"'{name}'"))
    except TypeError as err:
        raise CassetteFormatError(path=path, problem=str(err), fix=fix) from None
    for field_name, (valid, shape) in _METADATA_FIELDS.items():
        value = ours.get(field_name)
        if value is not None and not valid(value):
            raise CassetteFormatError(
                path=path,
                problem=f"'{name}.{field_name}' must be {shape}, not {reprlib.repr(value)}",
                fix=fix,
            )
    return all_metadata, ours


def _too_large(path: Path, size: int, limit: int) -> CassetteFormatError:
    return CassetteFormatError(
        path=path,
        problem=f"{size} bytes is more than the {limit} a cassette may hold (real ones hold "
        "kilobytes; reading a larger file would take the memory of the machine)",
        fix=f"check that this file is a cassette; if it is, raise the limit with "
        f"{MAX_BYTES_ENV}=BYTES",
    )


def _checked_status(response: RecordedResponse) -> None:
    if not 100 <= response.status <= 599:
        raise ValueError(
            f"response.status.code {response.status} is not an HTTP status code (100 to 599)"
        )


def parse_cassette(text: str, path: Path) -> Cassette:
    """Parse cassette YAML (ours, stock vcrpy's or pytest-recording's).

    Everything every stage reads is checked here, once: the YAML (no aliases, no
    foreign tags, bounded nesting: see ``yamlload``), each interaction's shape, its
    method, URI and status, and its bodies (``_checked_bodies``). Anything else raises
    :class:`~replay_jobrun.errors.CassetteFormatError` naming the file, the interaction
    and the fix.
    """
    from .. import model

    limit = max_body_bytes()
    if len(text) > limit:  # characters: never more than the bytes they were read from
        raise _too_large(path, len(text), limit)
    data = load_yaml(text, path)
    if not isinstance(data, Mapping) or not isinstance(data.get("interactions"), list):
        raise CassetteFormatError(
            path=path,
            problem="not a vcrpy cassette (no top-level 'interactions' list)",
            fix="point the test at a cassette written by replay_jobrun or vcrpy, or re-record it",
        )
    if data.get("version", VCR_FORMAT_VERSION) != VCR_FORMAT_VERSION:
        raise CassetteFormatError(
            path=path,
            problem=f"vcrpy cassette format version {data.get('version')!r} is not supported",
            fix=f"re-record it, or migrate it with vcrpy's migration script to version {VCR_FORMAT_VERSION}",
        )
    all_metadata, ours = _metadata(data, path)
    recorded_ops: list[str | None] = list(ours.get("operations") or [])
    model.check_recorded_operations(recorded_ops, path)
    interactions = []
    for index, raw in enumerate(data["interactions"]):
        try:
            interaction = _interaction_from_vcr(raw, None)
            _checked_request(interaction.request)
            _checked_status(interaction.response)
            if index < len(recorded_ops):
                operation = recorded_ops[index]
            else:
                operation = model.operation_for_request(
                    interaction.request.method, interaction.request.uri
                )
            interaction = replace(interaction, operation=operation)
        except (KeyError, TypeError, ValueError) as err:
            raise CassetteFormatError(
                path=path,
                problem=f"interaction #{index} is malformed ({type(err).__name__}: {err})",
                fix="each interaction needs request.method, request.uri and response.status.code; "
                "correct it by hand or re-record the cassette",
            ) from err
        try:
            _checked_bodies(interaction)
        except CassetteBodyError as err:
            raise CassetteBodyError(
                path=path,
                problem=f"interaction #{index} ({interaction.label}): {err.kwargs['problem']}",
                fix=err.kwargs["fix"],
            ) from None
        interactions.append(interaction)
    return Cassette(
        path=path,
        interactions=tuple(interactions),
        metadata=ours,
        foreign_metadata=all_metadata,
        extra={k: v for k, v in data.items() if k not in _MODELLED_TOP},
    )


_cache: dict[Path, tuple[tuple[int, int], Cassette]] = {}


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Load a cassette, once per process while the file is unchanged.

    Raises :class:`FileNotFoundError` if the file does not exist and
    :class:`~replay_jobrun.errors.CassetteFormatError` if it is not a cassette.
    The result is shared between callers: treat it as read-only.
    """
    # abspath, not resolve(): no syscall per path component on this per-test path.
    resolved = Path(os.path.abspath(path))
    try:
        stat = resolved.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = _cache.get(resolved)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = _read_bounded(resolved)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:  # a folder, a loop, a name too long, a NUL byte
        raise CassetteFormatError(
            path=path,
            problem=f"cannot be read ({getattr(err, 'strerror', None) or err})",
            fix="name a cassette file: a readable regular file, by a path without NUL bytes "
            "whose every part is under 255 bytes and no symbolic link loops",
        ) from None
    cassette = parse_cassette_bytes(data, resolved)
    _cache[resolved] = (stamp, cassette)
    return cassette


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refused past the size limit before they are read (a FIFO or
    a device, which have no size, is read no further than the limit either)."""
    limit = max_body_bytes()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise _too_large(path, size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _too_large(path, len(data), limit)
    return data


def read_cassette_text(path: str | os.PathLike[str]) -> str:
    """A cassette file's text as :func:`load_cassette` reads it (size-limited, UTF-8,
    universal newlines), or :class:`~replay_jobrun.errors.CassetteFormatError`."""
    return _text_of(_read_bounded(Path(path)), Path(path))


def _text_of(data: bytes, path: Path) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise CassetteFormatError(
            path=path,
            problem=f"not UTF-8 text: byte offset {err.start} (line {line}) holds "
            f"0x{data[err.start]:02x} ({err.reason})",
            fix="cassettes are UTF-8 YAML: restore the file from version control, "
            "convert it to UTF-8 (iconv -t utf-8), or re-record it",
        ) from err
    # What reading the file in text mode does (universal newlines).
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_cassette_bytes(data: bytes, path: Path) -> Cassette:
    """Parse a cassette file's bytes, as :func:`load_cassette` reads the file (no caching).

    For callers that already hold the bytes (drift keys its caches on them).
    """
    limit = max_body_bytes()
    if len(data) > limit:
        raise _too_large(path, len(data), limit)
    return parse_cassette(_text_of(data, path), path)


# --- writing -----------------------------------------------------------------

# Headers that change on every recording or identify the recording machine;
# they carry nothing a parser or a reviewer needs.
VOLATILE_REQUEST_HEADERS = frozenset(
    {
        "x-amz-date",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "user-agent",
        "x-amz-user-agent",
        "content-length",
        "expect",
    }
)
VOLATILE_RESPONSE_HEADERS = frozenset({"date", "connection", "server", "keep-alive"})


def pretty_json(body: bytes | None) -> bytes | None:
    """Re-indent a JSON body with sorted keys; anything else is returned unchanged."""
    if not body:
        return body
    check_json_depth(body)  # json.loads, then _indented, recurse per level
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if not isinstance(parsed, (dict, list)):
        return body
    try:
        text = _indented(parsed, "")
    except (RecursionError, TypeError):  # what json.dumps makes of it, error or not
        text = json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _indented(value: Any, indent: str) -> str:
    """``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)`` for what
    ``json.loads`` returns, in half the time: json's C encoder cannot indent, and its
    Python one goes through a generator per container."""
    kind = type(value)
    if kind is str:
        return _json_string(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = indent + "  "
        items = (f"{_json_string(k)}: {_indented(value[k], inner)}" for k in sorted(value))
        return "{\n" + inner + f",\n{inner}".join(items) + "\n" + indent + "}"
    if kind is list:
        if not value:
            return "[]"
        inner = indent + "  "
        values = (_indented(v, inner) for v in value)
        return "[\n" + inner + f",\n{inner}".join(values) + "\n" + indent + "]"
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return _json_float(value)
    raise TypeError(f"not a JSON value: {kind.__name__}")


def _json_float(value: float) -> str:
    # json.encoder's floatstr with allow_nan=True.
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _filtered(headers: Headers, volatile: frozenset[str]) -> dict[str, list[str]]:
    # Sorted: servers (moto) vary header order, and re-recording must not churn diffs.
    return {
        name: list(values)
        for name, values in sorted(headers.items(), key=lambda item: item[0].lower())
        if name.lower() not in volatile
    }


def normalize_for_review(
    interaction: Interaction, pretty: Callable[[bytes | None], bytes | None] = pretty_json
) -> Interaction:
    """Drop volatile headers and pretty-print JSON bodies (Content-Length follows the body).

    ``pretty`` stands for :func:`pretty_json` (see :func:`normalize_all`)."""
    response = interaction.response
    body = pretty(response.decoded_body()) or b""
    headers = _filtered(response.headers, VOLATILE_RESPONSE_HEADERS)
    headers = {
        k: v
        for k, v in headers.items()
        if k.lower() not in {"content-encoding", "transfer-encoding"}
    }
    for name in list(headers):
        if name.lower() == "content-length":
            headers[name] = [str(len(body))]
    request = interaction.request
    return replace(
        interaction,
        request=replace(
            request,
            headers=_filtered(request.headers, VOLATILE_REQUEST_HEADERS),
            body=pretty(request.body),
        ),
        response=replace(response, headers=headers, body=body),
    )


def normalize_all(interactions: Iterable[Interaction]) -> list[Interaction]:
    """:func:`normalize_for_review` of each, pretty-printing each distinct body once (a
    poller's cassette repeats the same response many times)."""
    done: dict[bytes, bytes | None] = {}

    def pretty(body: bytes | None) -> bytes | None:
        if not body:
            return body
        found = done.get(body)
        if found is None:
            found = done[body] = pretty_json(body)
        return found

    return [normalize_for_review(i, pretty) for i in interactions]


def _body_for_yaml(body: bytes | None) -> str | bytes | None:
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # genuinely binary: YAML !!binary is the only faithful form


def to_vcr_dict(cassette: Cassette) -> dict[str, Any]:
    """The YAML document of a cassette, in the layout stock vcrpy reads."""
    interactions = [
        _with_unknown(
            {
                "request": {
                    "method": i.request.method,
                    "uri": i.request.uri,
                    "headers": {k: list(v) for k, v in i.request.headers.items()},
                    "body": _body_for_yaml(i.request.body),
                },
                "response": {
                    "status": {"code": i.response.status, "message": i.response.reason},
                    "headers": {k: list(v) for k, v in i.response.headers.items()},
                    "body": {"string": _body_for_yaml(i.response.body) or ""},
                },
            },
            i.extra,
        )
        for i in cassette.interactions
    ]
    document: dict[str, Any] = {"version": VCR_FORMAT_VERSION}
    if cassette.metadata:
        document[METADATA_KEY] = dict(cassette.metadata)
    if cassette.foreign_metadata:  # another tool's, e.g. vcrpy's get_metadata(): kept as found
        document[LEGACY_METADATA_KEY] = dict(cassette.foreign_metadata)
    # Other tools' keys as found; interactions last, where the fast emitter wants them.
    document.update((k, v) for k, v in cassette.extra.items() if k not in document)
    document["interactions"] = interactions
    return document


def _yaml(data: Any) -> str:
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


@functools.lru_cache(maxsize=1)
def _emitter() -> Emitter | None:
    # Its templates are checked against libyaml's output; the pure-Python emitter and path
    # resolvers (none here) are left to yaml.dump.
    if _BaseDumper is not getattr(yaml, "CSafeDumper", None) or _Dumper.yaml_path_resolvers:
        return None
    return Emitter(_yaml, _Dumper.yaml_implicit_resolvers)


def dump_cassette(cassette: Cassette) -> str:
    """The cassette's YAML: what ``yaml.dump`` writes with libyaml, several times faster."""
    emitter = _emitter()
    document = to_vcr_dict(cassette)
    return _yaml(document) if emitter is None else emitter.document(document)


# A temporary file of ours: ".<name>.<writer pid>.<8 hex>.tmp" (before the pid was part
# of the name: ".<name>.<8 hex>.tmp").
_TEMP_END = ".tmp"
# A temporary file older than this is no write in progress, whatever its writer pid says
# (the pid may be reused, or of another host or container sharing the folder).
STALE_TEMP_SECONDS = 3600.0


def _create_temp(folder: Path, name: str) -> tuple[int, str]:
    """Open a new, empty temporary file next to the target, for writing only.

    Unlike ``tempfile.mkstemp`` (always 0600) it asks for mode 0666, so the kernel
    applies the process umask (and any default ACL of the folder) at creation:
    the file gets the mode any new file there would. This never calls
    ``os.umask``, whose read-by-setting is process-global and racy in threads.
    The name carries the writer's pid, so a later write can tell a temporary file
    a killed writer left from one being written (:func:`remove_stale_temps`).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    tail = f".{os.getpid()}.{'0' * 8}{_TEMP_END}"
    # A name near the 255-byte limit would leave no room for the tail: cut it.
    while len(os.fsencode(f".{name}{tail}")) > 255:
        name = name[:-1]
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}{_TEMP_END}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name for {name} in {folder}")


def _temp_writer(name: str) -> tuple[bool, int | None]:
    """Whether ``name`` is a temporary file of ours, and the writer pid it holds (None
    for the older names without one)."""
    if not name.startswith(".") or not name.endswith(_TEMP_END):
        return False, None
    parts = name[1 : -len(_TEMP_END)].rsplit(".", 2)
    token = parts[-1]
    if len(parts) < 2 or len(token) != 8 or token.strip("0123456789abcdef"):
        return False, None
    pid = parts[1] if len(parts) == 3 else ""
    if pid.isascii() and pid.isdigit() and int(pid) > 0:
        return True, int(pid)
    return True, None


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there: the age rule decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, OSError):  # no pid this system has
        return False
    return True


def remove_stale_temps(folder: Path, now: float) -> list[Path]:
    """Remove the temporary files of ours in ``folder`` that no write is using: their
    writer's pid is no running process (it was killed mid-write), or they are older
    than ``STALE_TEMP_SECONDS``. Safe beside concurrent writers (xdist workers,
    threads): a live writer's file is never touched. Returns the files removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        ours, writer = _temp_writer(entry.name)
        if not ours:
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS
            if not entry.is_file(follow_symlinks=False):
                continue
            if old or (writer is not None and not _alive(writer)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already (another writer cleaned it), or not ours to remove
            continue
    return removed


def write_atomic(path: Path, text: str) -> None:
    """Write text to path via a temporary file and rename: never a half-written file.

    A file that exists keeps its permission bits; a new one gets ``0666 & ~umask``.
    On any failure the temporary file is removed and the old file is untouched.
    Temporary files an interrupted write left in the folder (a writer killed with
    SIGKILL) are removed (:func:`remove_stale_temps`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = _create_temp(path.parent, path.name)
    try:
        # The folder's clock, as the other temporary files' times are.
        remove_stale_temps(path.parent, os.fstat(fd).st_mtime)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if mode is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(handle.fileno(), mode)
                else:  # pragma: no cover - Windows before Python 3.13
                    os.chmod(tmp, mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_cassette(cassette: Cassette, path: str | os.PathLike[str] | None = None) -> Path:
    """Serialize and write a cassette atomically; returns the path written.

    Callers that record should go through :func:`replay_jobrun.record.write_scrubbed`,
    which scrubs and leak-scans first; this function writes what it is given.
    """
    target = Path(path) if path is not None else cassette.path
    write_atomic(target, dump_cassette(cassette))
    forget(target)
    return target


def forget(path: str | os.PathLike[str]) -> None:
    """Drop a cassette from the load cache (after writing it)."""
    _cache.pop(Path(os.path.abspath(path)), None)
