"""Recorded bodies as the client reads them, within bounds whatever the file holds.

A cassette is input the library does not control (edited by hand, merged badly,
opened from an untrusted pull request), and every stage reads its bodies: replay
parses them, drift and scrub walk their JSON recursively, the leak scan decodes
them. So each body is checked once, when the cassette is loaded:

- its ``Content-Encoding`` is undone as urllib3 would (gzip, deflate), into at
  most :func:`max_body_bytes` bytes (a 40 KB gzip bomb inflates to gigabytes);
  an encoding replay_jobrun cannot undo (``br``, ``zstd``) is refused, not read
  as if it were plain;
- JSON may nest at most :data:`MAX_JSON_DEPTH` deep, so that no recursive walk
  of it (ours, deepdiff's, json's own C parser) can reach Python's recursion
  limit.

The walks that also see bodies from outside a file (a live response while
recording, a live request while replaying) call :func:`check_json_depth` too.
"""

from __future__ import annotations

import itertools
import os
import re
import zlib

from ..errors import CassetteBodyError, ConfigError

# Real emr-containers bodies nest less than 10 deep (a JobRun's configurationOverrides
# with nested classifications is the deepest). 100 leaves room for any real
# applicationConfiguration, while the deepest walk of a body (fingerprint: ~3 frames
# a level) stays far below Python's default recursion limit of 1000, with the caller's
# own frames (a pytest run, a thread) on top.
MAX_JSON_DEPTH = 100

MAX_BYTES_ENV = "REPLAY_JOBRUN_MAX_CASSETTE_BYTES"
# Far above any real cassette (the project's largest is 9 KB; a day of polling a few
# MB), far below what it takes to exhaust a CI machine's memory once parsed (~10x).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

WHAT_DECODES = "gzip, x-gzip, deflate and identity"
_GZIP_MAGIC = b"\x1f\x8b"


def max_body_bytes() -> int:
    """The most bytes a cassette file, or one decoded body, may hold.

    ``REPLAY_JOBRUN_MAX_CASSETTE_BYTES`` raises (or lowers) it; the default is 64 MiB.
    """
    raw = os.environ.get(MAX_BYTES_ENV)
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
        if value <= 0:
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(
            source=MAX_BYTES_ENV,
            problem=f"{raw!r} is not a positive number of bytes",
            valid=f"a positive integer (the default is {DEFAULT_MAX_BYTES}, 64 MiB)",
        ) from None
    return value


def _body_error(problem: str, fix: str) -> CassetteBodyError:
    return CassetteBodyError(path="a recorded body", problem=problem, fix=fix)


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    """One zlib stream (gzip: every member), never more than ``limit`` bytes out."""
    out: list[bytes] = []
    total = 0
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            # max_length caps the output: one byte over the limit is enough to refuse.
            chunk = inflater.decompress(data, limit - total + 1)
        except zlib.error as err:
            raise _body_error(
                f"the {coding} body is corrupt ({err})",
                "restore the cassette from version control or re-record it",
            ) from None
        total += len(chunk)
        out.append(chunk)
        if total > limit:
            raise _body_error(
                f"the {coding} body inflates to more than {limit} bytes",
                f"re-record it; if the response really is that large, raise {MAX_BYTES_ENV}",
            )
        if not inflater.eof:
            raise _body_error(
                f"the {coding} body is truncated (it ends before its compressed stream does)",
                "restore the cassette from version control or re-record it",
            )
        data = inflater.unused_data
        # gzip allows several members one after another (urllib3 reads them all).
        if not data or wbits != 31 or data[:2] != _GZIP_MAGIC:
            break
    if data.strip(b"\x00"):
        raise _body_error(
            f"the {coding} body has {len(data)} byte(s) after its compressed stream",
            "restore the cassette from version control or re-record it",
        )
    return b"".join(out)


def _zlib_header(body: bytes) -> bool:
    """Whether ``deflate`` is zlib-wrapped, as RFC 9110 says, or raw, as some servers send
    (urllib3 reads both): RFC 1950's header, method 8 and a check value."""
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def decode_content(body: bytes, content_encoding: str | None) -> bytes:
    """``body`` with its ``Content-Encoding`` undone, as urllib3 hands it to botocore.

    Codings apply in the order listed, so they are undone last first. A body under
    ``gzip`` that is not gzip is returned as it is: a cassette written after
    inflating the body kept the header (older replay_jobrun, hand edits) and has
    always replayed. Raises :class:`~replay_jobrun.errors.CassetteBodyError`.
    """
    if not content_encoding:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    for coding in reversed([c for c in codings if c and c != "identity"]):
        if coding in ("gzip", "x-gzip"):
            if body[:2] == _GZIP_MAGIC:
                body = _inflate(body, 31, max_body_bytes(), coding)
        elif coding == "deflate":
            body = _inflate(body, 15 if _zlib_header(body) else -15, max_body_bytes(), coding)
        else:
            raise _body_error(
                f"the body is encoded as {coding!r}, which replay_jobrun cannot decode "
                f"(it decodes {WHAT_DECODES})",
                "decode the body and remove the Content-Encoding header by hand, or "
                "re-record the cassette (replay_jobrun writes bodies decoded)",
            )
    return body


# A JSON string with its escapes (the unrolled form: no backtracking per character).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (0: a scalar), read without
    parsing it, so a text nested beyond any parser's limit is measured all the same.

    Brackets inside strings do not count; in a text that is not JSON, the brackets
    outside anything that looks like a string do."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json_depth(body: bytes | str | None) -> None:
    """Refuse a body whose JSON nests deeper than :data:`MAX_JSON_DEPTH` with
    :class:`~replay_jobrun.errors.CassetteBodyError`; cheap for every real body."""
    if not body:
        return
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    # Fewer brackets than the limit cannot nest past it: counting is C-fast.
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise _body_error(
            f"its JSON nests {depth} levels deep, more than the {MAX_JSON_DEPTH} replay_jobrun "
            "reads (real emr-containers bodies nest less than 10 deep)",
            "restore the cassette from version control or re-record it",
        )
