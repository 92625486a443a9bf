"""Leak scan: find what scrubbing should have removed, in every encoding vcrpy writes.

It reads each interaction as the client would (headers, URL-decoded URIs,
gzip bodies inflated whatever the headers say, JSON bodies leaf by leaf, so a
finding names its field, and base64-looking values decoded) and the file text
itself, with each ``!!binary`` block decoded. It uses the detectors the
scrubber uses (:mod:`.patterns`), so every finding names the rule that should
have removed it and the rule to add. A finding shows its kind and place, never
a character of the value.

A clean cassette is the common case, and a poller's cassette repeats itself
line after line, so each scan first runs the detectors once over the distinct
lines of everything it reads (:func:`_texts_clean`). Every detector matches
within a line, so a finding anywhere is a finding in some distinct line: only
when that pass finds something does the scan go part by part, to name where.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..cassette.bodies import decode_content
from ..cassette.format import Interaction
from ..errors import CassetteBodyError
from .patterns import (
    ACCESS_KEY_ID,
    ARN_ACCOUNT,
    CREDENTIAL_NAME,
    PLACEHOLDER_SECRET,
    REDACTED_VALUE,
    TOKEN_CANDIDATE,
    SecretIndex,
    credential_matches,
    find_buckets,
    find_emails,
    secret_parts,
    sweep_pattern,
    token_rule_applies,
)

# The rule that removes each kind of finding, as a finding tells it.
RULES = {
    "account id in ARN": "the built-in account id rule",
    "access key id": "the built-in access key id rule",
    "e-mail address": "the built-in e-mail rule",
    "S3 bucket name": "the built-in S3 bucket rule",
    "secret-looking token": "the built-in secret-token rule",
    "credential header": "credential headers are dropped",
}


@dataclass(frozen=True)
class Finding:
    """One possible secret: where it is, its kind, and the rule that should have removed
    it; never any character of the value (``masked`` is always ``***``)."""

    interaction: int | None
    where: str
    kind: str
    masked: str
    field: str | None = None
    rule: str = ""
    # Tells two values found at one place apart (dedupe), without holding either.
    distinct: int = dataclass_field(default=0, repr=False, compare=False)

    @property
    def place(self) -> str:
        where = self.where
        if self.field:
            where += f".{self.field}" if where.endswith(".headers") else f" {self.field}"
        index = f"interaction #{self.interaction}" if self.interaction is not None else "file"
        return f"{index}, {where}"

    @property
    def fix(self) -> str:
        """The rule to add so scrubbing removes this (for recordings that refused to write)."""
        if self.field and self.where.endswith(".body"):
            return f"jobrun_scrub_fields = {self.field} -> REDACTED"
        return "jobrun_scrub_regex = <a pattern that matches it> -> REDACTED"

    def __str__(self) -> str:
        # A credential header's finding names the header; no other shows anything of its value.
        shown = f" {self.masked}" if self.kind == "credential header" else ""
        return f"  {self.place}: {self.kind}{shown}"


MASK = "***"


def mask(value: str, keep: int = 0) -> str:
    """What a message shows of a possible secret: nothing of it (not its length either).
    ``keep`` is ignored: a prefix of a secret is part of it."""
    return MASK


# A YAML !!binary scalar: a block (`|`) of indented base64 lines, or an inline value.
_BINARY_BLOCK = re.compile(
    r"!!binary[ \t]*(?:\|[-+]?[ \t]*\n((?:[ \t]+[A-Za-z0-9+/=]+[ \t]*(?:\n|\Z))+)"
    r"|[\"']?([A-Za-z0-9+/=]+)[\"']?)"
)
_BASE64_VALUE = re.compile(r"\A[A-Za-z0-9+/]{16,}={0,2}\Z")
# A JSON string that _BASE64_VALUE matches, in JSON text with no backslash (where every
# quote is a string's own).
_QUOTED_BASE64 = re.compile(r'"([A-Za-z0-9+/]{16,}={0,2})"')


def _inflate(raw: bytes) -> bytes:
    # Bounded: a small gzip value must not inflate into gigabytes in a pre-commit hook.
    with contextlib.suppress(CassetteBodyError):
        return decode_content(raw, "gzip")
    return raw


def _b64_text(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return _inflate(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decoded_views(text: str) -> list[tuple[str, str]]:
    """The file text with its ``!!binary`` blocks blanked, then each block decoded."""
    views: list[tuple[str, str]] = []
    for number, match in enumerate(_BINARY_BLOCK.finditer(text), 1):
        blob = "".join((match.group(1) or match.group(2) or "").split())
        with contextlib.suppress(binascii.Error, ValueError):
            raw = _inflate(base64.b64decode(blob + "=" * (-len(blob) % 4)))
            views.append((f"base64 block {number}", raw.decode("utf-8", errors="replace")))
    # Blanked so that base64 lines are not read as tokens: they were decoded above.
    plain = _BINARY_BLOCK.sub(lambda m: " " * len(m.group(0)), text)
    return [("file text", plain), *views]


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every key and string in a JSON value (list items left out)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _leaves(item, child)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    elif isinstance(value, str):
        yield path, value
        if _BASE64_VALUE.match(value):
            decoded = _b64_text(value)
            if decoded is not None:
                yield path, decoded


def _body_parts(body: bytes) -> Iterator[tuple[str | None, str]]:
    text = _inflate(body).decode("utf-8", errors="replace")
    try:
        decoded = json.loads(text)
    except ValueError:
        yield None, text
        return
    if isinstance(decoded, (dict, list)):
        yield from _leaves(decoded)
    else:
        yield None, text


def interaction_parts(interaction: Interaction) -> Iterator[tuple[str, str | None, str]]:
    """``(where, field, text)`` for every part of an interaction a secret could hide in.

    ``field`` is the JSON path inside a body, or the header name."""
    request, response = interaction.request, interaction.response
    yield "request.uri", None, request.uri
    if "%" in request.uri:
        yield "request.uri", None, unquote(request.uri)
    for side, headers in (("request", request.headers), ("response", response.headers)):
        for name, values in headers.items():
            for value in values:
                yield f"{side}.headers", name, f"{name}: {value}"
    if request.body:
        for path, text in _body_parts(request.body):
            yield "request.body", path, text
    try:
        body = response.decoded_body()
    except OSError:
        body = response.body
    for path, text in _body_parts(body):
        yield "response.body", path, text
    for path, text in _extra_leaves(interaction.extra):
        yield path, None, text


def _extra_leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every key and string of what an interaction holds beyond its
    modelled fields (``response.url``), bytes decoded as a body is."""
    if isinstance(value, bytes):
        yield path, _inflate(value).decode("utf-8", errors="replace")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            if isinstance(item, str):  # as the value of its key: "password: test"
                yield child, f"{key}: {item}"
            yield from _extra_leaves(item, child)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _extra_leaves(item, path)
    else:
        yield from _leaves(value, path)


def _text_findings(
    text: str,
    secrets: Mapping[str, str],
    pseudonyms: frozenset[str],
    tokens: bool = True,
    index: SecretIndex | None = None,
    *,
    short: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, str, str, str]]:
    """``(kind, value, masked, rule)`` for every possible secret in one text; ``tokens=False``
    where the secret-token rule does not apply (request-id headers, the raw file text).
    ``index`` holds (at least) the keys of ``secrets``: a faster way to find those present.
    ``short`` are the secrets below the sweep floor, found only where they are credentials.

    A known secret counts where it stands alone, as the sweep replaces it: a swept
    date ``2026-03-22`` inside a timestamp ``2026-03-22T10:00:00Z`` is not a leak."""
    if index is None:
        found = [s for s in secrets if s in text]
    else:
        found = [s for s in index.present(text) if s in secrets]
    # Secrets below the sweep floor count only where they stand as credentials, as the
    # scrubber replaces them: "test" in "test-cluster" is no leak.
    present = [s for s in found if s not in short]
    credentials = [s for s in found if s in short]
    matches = sweep_pattern(present).finditer(text) if present else iter(())
    for match in [*matches, *(credential_matches(text, credentials) if credentials else ())]:
        secret = match.group(0)
        rule = f"the sweep of values learnt from {secrets[secret]}"
        yield "known secret", secret, mask(secret), rule
    for match in ARN_ACCOUNT.finditer(text):
        if match.group(2) not in pseudonyms:
            yield (
                "account id in ARN",
                match.group(2),
                mask(match.group(2)),
                RULES["account id in ARN"],
            )
    for match in ACCESS_KEY_ID.finditer(text):
        if match.group(1) not in pseudonyms:
            yield "access key id", match.group(1), mask(match.group(1)), RULES["access key id"]
    for match in find_emails(text):
        address = f"{match.group(1)}@{match.group(3)}"
        if address not in pseudonyms:
            yield "e-mail address", match.group(0), mask(address, 2), RULES["e-mail address"]
    for match in find_buckets(text):
        if match.group(2) not in pseudonyms:
            yield "S3 bucket name", match.group(2), mask(match.group(2), 2), RULES["S3 bucket name"]
    for match in TOKEN_CANDIDATE.finditer(text) if tokens else ():
        for token in secret_parts(match.group(1)):
            if token not in pseudonyms:
                yield "secret-looking token", token, mask(token), RULES["secret-looking token"]
    lowered = text.lower()
    for header in ("authorization:", "x-amz-security-token:"):
        if header in lowered:
            name = header.rstrip(":")
            yield "credential header", name, name, RULES["credential header"]


def _masked_path(
    path: str | None, secrets: Mapping[str, str], pseudonyms: frozenset[str]
) -> str | None:
    """The field path with any secret in it (a map key can be one) masked."""
    if path is None:
        return None
    for kind, value, masked, _ in list(_text_findings(path, secrets, pseudonyms)):
        if kind != "credential header":
            path = path.replace(value, masked)
    return path


def _known(secrets: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    pairs: Iterable[tuple[str, str]] = (
        secrets.items() if isinstance(secrets, Mapping) else ((s, "the scrubber") for s in secrets)
    )
    return {
        s: str(source)
        for s, source in pairs
        if s and s != PLACEHOLDER_SECRET and not REDACTED_VALUE.match(s)
    }


def scan_interactions(
    interactions: Sequence[Interaction],
    secrets: Mapping[str, str] | Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
    short: Iterable[str] = (),
) -> list[Finding]:
    """Findings in parsed interactions. ``secrets`` are values that must not appear (with
    where each was learnt, if known); ``pseudonyms`` are replacements that may; ``short``
    those of ``secrets`` that count only where they stand as credentials (below the sweep
    floor: ``"test"`` in ``test-cluster`` is no leak)."""
    known, allowed, short = _known(secrets), frozenset(pseudonyms), frozenset(short)
    secret_index = SecretIndex(known)
    if _interactions_clean(interactions, known, allowed, secret_index, short=short):
        return []
    findings = []
    for index, interaction in enumerate(interactions):
        parts = list(interaction_parts(interaction))
        # The whole interaction first, in one pass; leaf by leaf only to locate a finding.
        # Headers alone are token-exempt, so they are left out of the whole.
        whole = "\n".join(text for where, _, text in parts if not where.endswith(".headers"))
        # The secrets to look for part by part, headers included.
        every_part = "\n".join(text for _, _, text in parts)
        here = {s: known[s] for s in secret_index.present(every_part)}
        named = [part for part in parts if _is_credential_value(part, short)]
        for where, path, text in named:
            rule = f"the sweep of values learnt from {here[text]}"
            shown = _masked_path(path, here, allowed)
            findings.append(Finding(index, where, "known secret", MASK, shown, rule, hash(text)))
        if not named and not any(_text_findings(whole, here, allowed, short=short)):
            parts = [part for part in parts if part[0].endswith(".headers")]
        for where, path, text in parts:
            tokens = not where.endswith(".headers") or not path or token_rule_applies(path)
            for kind, value, masked, rule in _text_findings(
                text, here, allowed, tokens, short=short
            ):
                shown = _masked_path(path, here, allowed)
                findings.append(Finding(index, where, kind, masked, shown, rule, hash(value)))
    return dedupe(findings)


def _is_credential_value(part: tuple[str, str | None, str], short: frozenset[str]) -> bool:
    """A field's whole value that is a short learnt secret, under a name that says credential
    (``"password": "test"``): what the scrubber replaces (see ``TextPass.short_credential``)."""
    _, path, text = part
    return (
        path is not None
        and text in short
        and CREDENTIAL_NAME.search(path.rsplit(".", 1)[-1]) is not None
    )


def _body_texts(bodies: Iterable[bytes], texts: set[str]) -> None:
    """Add to ``texts`` what :func:`_body_parts` yields for each body, or text that holds
    it: the JSON text itself when it has no backslash (then each string stands verbatim
    between its quotes, and every detector stops at a quote), and each distinct
    base64-looking string, decoded."""
    encoded: set[str] = set()
    for body in bodies:
        text = _inflate(body).decode("utf-8", errors="replace")
        if "\\" in text:  # escapes: the strings are not verbatim in the text
            texts.update(part for _, part in _body_parts(body))
        else:
            texts.add(text)
            encoded.update(_QUOTED_BASE64.findall(text))
    for value in encoded:
        decoded = _b64_text(value)
        if decoded is not None:
            texts.add(decoded)


def _interactions_clean(
    interactions: Sequence[Interaction],
    known: Mapping[str, str],
    allowed: frozenset[str],
    index: SecretIndex,
    *,
    short: frozenset[str] = frozenset(),
) -> bool:
    """True if :func:`interaction_parts` of every interaction hold nothing to report
    (False means: look part by part)."""
    # Each distinct text once: a poller's requests and responses repeat.
    loud: set[str] = set()  # every rule applies
    quiet: set[str] = set()  # request-id headers: no secret-token rule
    bodies: set[bytes] = set()
    for interaction in interactions:
        request, response = interaction.request, interaction.response
        loud.add(request.uri)
        if "%" in request.uri:
            loud.add(unquote(request.uri))
        for headers in (request.headers, response.headers):
            for name, values in headers.items():
                texts = loud if token_rule_applies(name) else quiet
                texts.update([f"{name}: {value}" for value in values])
        if request.body:
            bodies.add(request.body)
        loud.update(text for _, text in _extra_leaves(interaction.extra))
        try:
            bodies.add(response.decoded_body())
        except OSError:
            bodies.add(response.body)
    _body_texts(bodies, loud)
    return _texts_clean(loud, quiet, known, allowed, index, short=short)


def _lines(texts: Iterable[str]) -> set[str]:
    """The distinct lines of some texts, leading spaces dropped."""
    lines: set[str] = set()
    for text in texts:
        if "\n" in text:
            lines.update(text.split("\n"))
        else:
            lines.add(text)
    return {line.lstrip(" ") for line in lines}


def _texts_clean(
    loud: set[str],
    quiet: set[str],
    known: Mapping[str, str],
    allowed: frozenset[str],
    index: SecretIndex,
    *,
    short: frozenset[str] = frozenset(),
) -> bool:
    """True if no detector finds anything in these texts (the secret-token rule only in
    ``loud`` ones), checked over their distinct lines.

    Every detector matches within a line and none at a line's leading spaces (the
    file's indentation, dropped so that a body's lines match the file's), so a text's
    findings are its lines' findings; but for a known secret that spans lines or starts
    with a space. Such a secret is looked for in the texts themselves: if any holds it,
    the answer is False (the slow way); if none does, it cannot be found anywhere."""
    awkward = [s for s in known if "\n" in s or s.startswith(" ")]
    if any(s in text for s in awkward for text in (*loud, *quiet)):
        return False
    if awkward:
        known = {s: source for s, source in known.items() if s not in awkward}
    loud_lines = _lines(loud)
    quiet_lines = _lines(quiet) - loud_lines
    for lines, tokens in ((loud_lines, True), (quiet_lines, False)):
        text = "\n".join(lines)
        if any(_text_findings(text, known, allowed, tokens, index, short=short)):
            return False
    return True


def scan_text(
    text: str,
    secrets: Mapping[str, str] | Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
    short: Iterable[str] = (),
) -> list[Finding]:
    """Findings in the serialized file, including its base64 ``!!binary`` blocks.

    The secret-token rule is left to :func:`scan_interactions`, which knows which
    header or field a value is in (request ids look random too)."""
    known, allowed, short = _known(secrets), frozenset(pseudonyms), frozenset(short)
    index = SecretIndex(known)
    views = _decoded_views(text)
    if _texts_clean(set(), {view for _, view in views}, known, allowed, index, short=short):
        return []
    findings = [
        Finding(None, where, kind, masked, None, rule, hash(value))
        for where, view in views
        for kind, value, masked, rule in _text_findings(
            view, known, allowed, False, index, short=short
        )
    ]
    return dedupe(findings)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        key = (finding.interaction, finding.where, finding.field, finding.kind, finding.distinct)
        seen.setdefault(key, finding)
    return list(seen.values())


def scan_cassette(
    interactions: Sequence[Interaction],
    text: str,
    secrets: Mapping[str, str] | Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
    short: Iterable[str] = (),
) -> list[Finding]:
    """Findings in a cassette: its parsed interactions, then its serialized ``text``
    (``short``: see :func:`scan_interactions`)."""
    pseudonyms, short = frozenset(pseudonyms), frozenset(short)
    # No overlap to dedupe: interaction findings carry an index, file findings none.
    return scan_interactions(interactions, secrets, pseudonyms, short) + scan_text(
        text, secrets, pseudonyms, short
    )


def scan_file(path: str | os.PathLike[str]) -> list[Finding]:
    """Leak-scan a cassette file as written, trusting the pseudonyms its metadata lists."""
    from ..cassette.format import parse_cassette, read_cassette_text

    path = Path(path)
    text = read_cassette_text(path)  # size-limited, and a clean error for bytes not UTF-8
    cassette = parse_cassette(text, path)
    metadata = cassette.metadata
    # Values the recording's keep rules left readable are as legitimate as its pseudonyms.
    trusted = [*(metadata.get("pseudonyms") or ()), *(metadata.get("keep_values") or ())]
    return scan_cassette(cassette.interactions, text, (), trusted)


scan = scan_file
