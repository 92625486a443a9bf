"""Scrub secrets out of interactions before they reach disk, and scan for leaks.

Rules, each a small function of text:
- credential headers (Authorization, X-Amz-Security-Token, cookies) are dropped,
  and the access key id and token they carried are remembered as secrets;
- the account id inside every ARN (any partition, ``:`` or ``%3A`` separated)
  becomes a pseudonym, and every other occurrence of an account id learnt that
  way (e.g. glued into an S3 bucket name) gets the same pseudonym;
- AWS access key ids (AKIA…/ASIA…) become pseudonyms of the same shape;
- any remembered secret is swept out of all text.

Pseudonyms are deterministic (re-recording does not churn git diffs), keyed by
a salt and derived with scrypt, so a 12-digit account id cannot be recovered
by hashing all 10^12 candidates. They are listed in the cassette metadata, so
a later scrub (of a cassette or of live params during replay) leaves them be.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import gzip
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cassette import Headers, Interaction, RecordedRequest, RecordedResponse

DEFAULT_SALT = "replay-jobrun/v1"
PLACEHOLDER_SECRET = "REDACTED"
# What a redacted field becomes: deterministic per value, recognisable, and within
# the model's `.*\S.*` pattern and length limits of every sensitive emr-containers shape.
REDACTED_VALUE = re.compile(r"\AREDACTED-[0-9a-f]{8}\Z")

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "x-amz-security-token",
        "cookie",
        "set-cookie",
        "x-amz-content-sha256",
        "proxy-authorization",
    }
)

_SEP = r"(?::|%3[aA])"
# arn:partition:service:region:ACCOUNT:resource — group 1 keeps everything up to the account.
ARN_ACCOUNT = re.compile(
    rf"(arn{_SEP}aws[a-zA-Z-]*{_SEP}[a-zA-Z0-9-]*{_SEP}[a-zA-Z0-9-]*{_SEP})(\d{{12}})(?={_SEP})"
)
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16})(?![A-Z0-9])")
_CREDENTIAL_IN_AUTH = re.compile(r"Credential=([A-Z0-9]{16,128})/")


@functools.lru_cache(maxsize=4096)
def _derive(kind: str, original: str, salt: str) -> bytes:
    # scrypt makes each guess cost ~16 MiB and milliseconds: brute-forcing the
    # 10^12 possible account ids is out of reach, unlike a plain salted hash.
    return hashlib.scrypt(
        original.encode("utf-8"),
        salt=f"{salt}/{kind}".encode(),
        n=2**14,
        r=8,
        p=1,
        dklen=32,
    )


def pseudonym_account_id(original: str, salt: str = DEFAULT_SALT) -> str:
    """A 12-digit pseudonym for an account id, so it still matches the model's ``\\d{12}``."""
    digest = _derive("account-id", original, salt)
    value = f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"
    return value if value != original else value[::-1]


def pseudonym_access_key_id(original: str, salt: str = DEFAULT_SALT) -> str:
    """Same prefix (AKIA/ASIA…) and length as the original, other characters derived."""
    digest = _derive("access-key-id", original, salt)
    body = base64.b32encode(digest).decode("ascii")[: len(original) - 4]
    return original[:4] + body


@dataclass
class ScrubReport:
    """What a scrubber changed: counts by kind, never the values."""

    replaced: Counter[str] = field(default_factory=Counter)
    distinct: dict[str, set[str]] = field(default_factory=dict)

    def note(self, kind: str, original: str, count: int = 1) -> None:
        self.replaced[kind] += count
        self.distinct.setdefault(kind, set()).add(original)

    def summary(self) -> dict[str, dict[str, int]]:
        """``{kind: {"distinct": n, "replaced": m}}``, safe to print and to store."""
        return {
            kind: {"distinct": len(self.distinct.get(kind, ())), "replaced": count}
            for kind, count in sorted(self.replaced.items())
        }


class Scrubber:
    """Applies the scrub rules to text, headers and whole interactions.

    One scrubber per recording run: pseudonyms stay consistent across every
    cassette it writes, and it remembers the originals so the leak scan can
    prove none of them reached the file.
    """

    def __init__(
        self,
        salt: str | None = None,
        known_pseudonyms: Iterable[str] = (),
        keep_fields: Iterable[str] = (),
    ) -> None:
        self.salt = salt or DEFAULT_SALT
        self.keep_fields = frozenset(keep_fields)
        self.report = ScrubReport()
        self._secrets: dict[str, str] = {}  # original -> replacement
        self._pseudonyms: set[str] = set(known_pseudonyms)
        self._sweep: re.Pattern[str] | None = None

    # -- state shared with the leak scan -----------------------------------
    @property
    def secrets(self) -> Mapping[str, str]:
        """Originals seen so far, mapped to what replaced them (never persisted)."""
        return self._secrets

    @property
    def pseudonyms(self) -> frozenset[str]:
        return frozenset(self._pseudonyms)

    def learn_pseudonyms(self, values: Iterable[str]) -> None:
        self._pseudonyms.update(values)

    def _remember(self, original: str, replacement: str) -> None:
        if original not in self._secrets:
            self._secrets[original] = replacement
            self._sweep = None
        if replacement != PLACEHOLDER_SECRET:
            self._pseudonyms.add(replacement)

    # -- rules ---------------------------------------------------------------
    def _pseudonym(self, original: str, derive: Callable[[str, str], str]) -> str:
        if original in self._pseudonyms:
            return original  # already scrubbed: scrubbing is idempotent
        pseudonym = self._secrets.get(original) or derive(original, self.salt)
        self._remember(original, pseudonym)
        return pseudonym

    def _account(self, original: str) -> str:
        return self._pseudonym(original, pseudonym_account_id)

    def _access_key(self, original: str) -> str:
        return self._pseudonym(original, pseudonym_access_key_id)

    def _sweep_pattern(self) -> re.Pattern[str] | None:
        if self._sweep is None and self._secrets:
            # Longest first so a token is never half-replaced by a shorter secret inside it.
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._sweep = re.compile(
                "|".join(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])" for s in alternatives)
            )
        return self._sweep

    def scrub_text(self, text: str) -> str:
        """Apply every text rule; idempotent for text this scrubber produced."""

        def arn(match: re.Match[str]) -> str:
            original = match.group(2)
            replacement = self._account(original)
            if replacement != original:
                self.report.note("account id", original)
            return match.group(1) + replacement

        def key(match: re.Match[str]) -> str:
            original = match.group(1)
            replacement = self._access_key(original)
            if replacement != original:
                self.report.note("access key id", original)
            return replacement

        text = ARN_ACCOUNT.sub(arn, text)
        text = ACCESS_KEY_ID.sub(key, text)
        sweep = self._sweep_pattern()
        if sweep is not None:

            def known(match: re.Match[str]) -> str:
                self.report.note("known secret", match.group(0))
                return self._secrets[match.group(0)]

            text = sweep.sub(known, text)
        return text

    def scrub_bytes(self, body: bytes | None) -> bytes | None:
        if not body:
            return body
        text = body.decode("utf-8", errors="surrogateescape")
        return self.scrub_text(text).encode("utf-8", errors="surrogateescape")

    def _learn_credentials(self, name: str, values: Sequence[str]) -> None:
        lowered = name.lower()
        for value in values:
            if lowered == "authorization":
                for access_key in _CREDENTIAL_IN_AUTH.findall(value):
                    self._remember(access_key, pseudonym_access_key_id(access_key, self.salt))
            elif lowered == "x-amz-security-token" and value:
                self._remember(value, PLACEHOLDER_SECRET)

    def scrub_headers(self, headers: Headers) -> dict[str, list[str]]:
        """Drop credential headers (learning their secrets first), scrub the rest."""
        for name, values in headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
                self._learn_credentials(name, values)
        kept: dict[str, list[str]] = {}
        for name, values in headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
                self.report.note("credential header", name.lower())
                continue
            kept[name] = [self.scrub_text(v) for v in values]
        return kept

    # -- model-driven rules ----------------------------------------------------
    def _redact(self, original: str, shape: Any, kind: str) -> str:
        if not original or REDACTED_VALUE.match(original):
            return original
        digest = hmac.new(self.salt.encode(), original.encode(), hashlib.sha256).hexdigest()
        value = f"REDACTED-{digest[:8]}"
        limit = shape.metadata.get("max") if shape is not None else None
        if isinstance(limit, int) and len(value) > limit:
            value = value[:limit]
        # Replaced where the model puts it, not swept from other text: a tag value is often
        # an id (the virtual cluster's) that requests and assertions must still see.
        self.report.note(kind, original)
        return value

    def scrub_json(self, value: Any, shape: Any) -> Any:
        """Walk a JSON value along its botocore shape: tag values and ``sensitive`` shapes
        are redacted, every other string goes through the text rules."""
        if isinstance(value, str):
            if shape is not None and shape.metadata.get("sensitive"):
                return self._redact(value, shape, "sensitive field")
            return value
        if shape is None:
            return value
        kind = shape.type_name
        if kind == "structure" and isinstance(value, dict):
            members = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}
            out = {}
            for key, item in value.items():
                name, member = members.get(key, (key, None))
                out[key] = item if name in self.keep_fields else self.scrub_json(item, member)
            return out
        if kind == "list" and isinstance(value, list):
            return [self.scrub_json(item, shape.member) for item in value]
        if kind == "map" and isinstance(value, dict):
            redact = bool(shape.metadata.get("sensitive")) or shape.name.endswith("TagMap")
            label = "tag value" if shape.name.endswith("TagMap") else "sensitive field"
            return {
                key: self._redact(item, shape.value, label)
                if redact and isinstance(item, str)
                else self.scrub_json(item, shape.value)
                for key, item in value.items()
            }
        return value

    def scrub_body(self, body: bytes | None, shape: Any) -> bytes | None:
        """Model rules on a JSON body (when its shape is known), then the text rules."""
        if body and shape is not None:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                body = json.dumps(self.scrub_json(decoded, shape), ensure_ascii=False).encode()
        return self.scrub_bytes(body)

    def scrub_live(self, operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        """A live request scrubbed with the rules its recording went through (for matching)."""
        scrubbed = self.scrub_body(body.encode() if body else None, _input_shape(operation))
        return self.scrub_text(url), scrubbed.decode() if scrubbed else body

    def scrub_request(
        self, request: RecordedRequest, operation: str | None = None
    ) -> RecordedRequest:
        headers = self.scrub_headers(request.headers)
        shape = _input_shape(operation) if operation else None
        return replace(
            request,
            uri=self.scrub_text(request.uri),
            headers=headers,
            body=self.scrub_body(request.body, shape),
        )

    def scrub_response(
        self, response: RecordedResponse, operation: str | None = None
    ) -> RecordedResponse:
        headers = self.scrub_headers(response.headers)
        shape = _output_shape(operation) if operation and response.status < 300 else None
        body = self.scrub_body(response.decoded_body(), shape) or b""
        headers = {k: v for k, v in headers.items() if k.lower() != "content-encoding"}
        return replace(response, headers=headers, body=body)

    def scrub_interaction(self, interaction: Interaction) -> Interaction:
        """Scrub both sides; the request first, so its credentials are known for the sweep."""
        request = self.scrub_request(interaction.request, interaction.operation)
        response = self.scrub_response(interaction.response, interaction.operation)
        return replace(interaction, request=request, response=response)

    def learn(self, interactions: Iterable[Interaction]) -> None:
        """Learn every secret of a cassette before scrubbing any of it, so a value that shows
        up bare (an account id glued into a bucket name) before the ARN that reveals it is
        still swept."""
        for interaction in interactions:
            for headers in (interaction.request.headers, interaction.response.headers):
                for name, values in headers.items():
                    if name.lower() in CREDENTIAL_HEADERS:
                        self._learn_credentials(name, values)
            for text in (interaction.request.uri, *_body_texts(interaction)):
                for match in ARN_ACCOUNT.finditer(text):
                    self._account(match.group(2))

    def scrub_all(
        self, interactions: Iterable[Interaction]
    ) -> tuple[list[Interaction], ScrubReport]:
        """Scrub a cassette's interactions; the report covers just these (and adds to the total)."""
        interactions = list(interactions)
        self.learn(interactions)
        total, self.report = self.report, ScrubReport()
        try:
            scrubbed = [self.scrub_interaction(i) for i in interactions]
            return scrubbed, self.report
        finally:
            for kind, count in self.report.replaced.items():
                total.replaced[kind] += count
                total.distinct.setdefault(kind, set()).update(self.report.distinct.get(kind, ()))
            self.report = total


def _input_shape(operation: str) -> Any:
    from . import model

    return model.service_model().operation_model(operation).input_shape


def _output_shape(operation: str) -> Any:
    from . import model

    return model.service_model().operation_model(operation).output_shape


def _body_texts(interaction: Interaction) -> list[str]:
    texts = []
    if interaction.request.body:
        texts.append(interaction.request.body.decode("utf-8", errors="replace"))
    with contextlib.suppress(OSError):
        texts.append(interaction.response.decoded_body().decode("utf-8", errors="replace"))
    return texts


# --- leak scan -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One possible secret: where it is and a masked prefix, never the value."""

    interaction: int | None
    where: str
    kind: str
    masked: str

    def __str__(self) -> str:
        place = f"interaction #{self.interaction}" if self.interaction is not None else "file"
        return f"  {place}, {self.where}: {self.kind} {self.masked}"


def mask(value: str, keep: int = 4) -> str:
    return value[:keep] + "*" * max(3, min(len(value) - keep, 12))


_BINARY_BLOCK = re.compile(r"!!binary\s*\|?\s*\n?((?:\s*[A-Za-z0-9+/=]+\s*\n?)+)")


def _decoded_views(text: str) -> list[str]:
    """The text plus every base64 ``!!binary`` block in it, decoded (and gunzipped)."""
    views = [text]
    for match in _BINARY_BLOCK.finditer(text):
        try:
            raw = base64.b64decode("".join(match.group(1).split()), validate=False)
        except (binascii.Error, ValueError):
            continue
        if raw[:2] == b"\x1f\x8b":
            with contextlib.suppress(OSError):
                raw = gzip.decompress(raw)
        views.append(raw.decode("utf-8", errors="replace"))
    return views


def interaction_texts(interaction: Interaction) -> Iterable[tuple[str, str]]:
    """``(where, text)`` for every part of an interaction a secret could hide in."""
    request, response = interaction.request, interaction.response
    yield "request.uri", request.uri
    for name, values in request.headers.items():
        for value in values:
            yield f"request.headers.{name}", f"{name}: {value}"
    if request.body:
        yield "request.body", request.body.decode("utf-8", errors="replace")
    for name, values in response.headers.items():
        for value in values:
            yield f"response.headers.{name}", f"{name}: {value}"
    try:
        body = response.decoded_body()
    except OSError:
        body = response.body
    yield "response.body", body.decode("utf-8", errors="replace")


def _text_findings(
    text: str, secrets: Iterable[str], pseudonyms: frozenset[str]
) -> Iterable[tuple[str, str]]:
    for secret in secrets:
        if secret and secret != PLACEHOLDER_SECRET and secret in text:
            yield "known secret", mask(secret)
    for match in ARN_ACCOUNT.finditer(text):
        if match.group(2) not in pseudonyms:
            yield "account id in ARN", mask(match.group(2))
    for match in ACCESS_KEY_ID.finditer(text):
        if match.group(1) not in pseudonyms:
            yield "access key id", mask(match.group(1))
    lowered = text.lower()
    for header in ("authorization:", "x-amz-security-token:"):
        if header in lowered:
            yield "credential header", header.rstrip(":")


def scan_interactions(
    interactions: Sequence[Interaction],
    secrets: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
) -> list[Finding]:
    """Findings in parsed interactions (headers decoded, gzip bodies inflated)."""
    secret_list = [s for s in secrets if s]
    known = frozenset(pseudonyms)
    findings = []
    for index, interaction in enumerate(interactions):
        for where, text in interaction_texts(interaction):
            for kind, masked in _text_findings(text, secret_list, known):
                findings.append(Finding(index, where, kind, masked))
    return findings


def scan_text(
    text: str, secrets: Iterable[str] = (), pseudonyms: Iterable[str] = ()
) -> list[Finding]:
    """Findings in the serialized file, including base64 ``!!binary`` blocks."""
    secret_list = [s for s in secrets if s]
    known = frozenset(pseudonyms)
    findings = []
    for view_index, view in enumerate(_decoded_views(text)):
        where = "file text" if view_index == 0 else f"base64 block {view_index}"
        for kind, masked in _text_findings(view, secret_list, known):
            findings.append(Finding(None, where, kind, masked))
    return findings


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.interaction, finding.where, finding.kind, finding.masked), finding)
    return list(seen.values())


def scan_file(path: Path) -> list[Finding]:
    """Leak-scan a cassette file as written, trusting the pseudonyms its metadata lists."""
    from .cassette import parse_cassette

    text = path.read_text(encoding="utf-8")
    cassette = parse_cassette(text, path)
    pseudonyms = tuple(cassette.metadata.get("pseudonyms") or ())
    return dedupe(
        scan_interactions(cassette.interactions, (), pseudonyms) + scan_text(text, (), pseudonyms)
    )
