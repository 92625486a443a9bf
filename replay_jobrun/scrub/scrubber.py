"""Scrub secrets out of interactions before they reach disk.

Two passes over a cassette, both sides of every interaction:

1. **Model pass** over JSON bodies, along the botocore shape of the
   operation: tag values (``*TagMap``) and members the model marks
   ``sensitive`` become ``REDACTED-<hmac8>``; user field rules apply; keep
   rules spare a field. A sensitive value is also remembered, so that the
   same value elsewhere is swept in pass 2.
2. **Text pass** over the URI, headers and bodies: credential headers are
   dropped (their access key id and token remembered); the account id in
   every ARN, access key ids, e-mails, S3 bucket names in ``s3://`` URIs and
   long secret-looking tokens get pseudonyms (see :mod:`.patterns`); every
   remembered value is swept; then user regex rules.

Before either pass the scrubber learns from the whole cassette (credentials,
account ids in ARNs, sensitive values), so a value that shows up bare before
the field that reveals it is still swept. Values found in a request URI are
identifiers the request needs, never swept. Pseudonyms are listed in the
cassette metadata, so scrubbing a scrubbed cassette (or a live request during
replay) changes nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..cassette.format import Headers, Interaction, RecordedResponse
from ..errors import ConfigError
from . import patterns
from .patterns import (
    ACCESS_KEY_ID,
    ARN_ACCOUNT,
    CREDENTIAL_IN_AUTH,
    DEFAULT_SALT,
    PLACEHOLDER_SECRET,
    REDACTED_VALUE,
    TOKEN_CANDIDATE,
    SecretIndex,
    find_buckets,
    find_emails,
    pseudonym_access_key_id,
    pseudonym_account_id,
    replace_matches,
    secret_parts,
    sweep_pattern,
    token_rule_applies,
)
from .rules import FieldRule, KeepRule, PathMatcher, RegexRule, Rule

__all__ = [
    "CREDENTIAL_HEADERS",
    "DEFAULT_SALT",
    "ScrubReport",
    "Scrubber",
    "pseudonym_access_key_id",
    "pseudonym_account_id",
]

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
# Shorter sensitive values are too likely to be ordinary words to sweep from other text.
MIN_SWEPT_LENGTH = 8

# What a memoized step did to the report, to do again on a hit: (kind, original) for a
# note, (None, pseudonym) for a pseudonym the file holds.
_Journal = list[tuple[str | None, str]]
_K = TypeVar("_K")
_T = TypeVar("_T")
# A memoized result: the state version it holds at, the result, the journal, its report.
_Memo = tuple[int, _T, _Journal, "ScrubReport | None"]


@dataclass
class ScrubReport:
    """What a scrubber changed: counts by kind, never the values."""

    replaced: Counter[str] = field(default_factory=Counter)
    distinct: dict[str, set[str]] = field(default_factory=dict)
    pseudonyms: set[str] = field(default_factory=set)
    """Pseudonyms written (new, or kept from an earlier scrub): what the file may hold."""

    def note(self, kind: str, original: str, count: int = 1) -> None:
        self.replaced[kind] += count
        self.distinct.setdefault(kind, set()).add(original)

    @classmethod
    def of(cls, journal: _Journal) -> ScrubReport:
        """The report of a journal's entries: what they add to a report."""
        report = cls()
        for kind, value in journal:
            if kind is None:
                report.pseudonyms.add(value)
            else:
                report.note(kind, value)
        return report

    def add(self, other: ScrubReport) -> None:
        """Add another report's counts, originals and pseudonyms to this one."""
        for kind, count in other.replaced.items():
            self.replaced[kind] += count
            self.distinct.setdefault(kind, set()).update(other.distinct.get(kind, ()))
        self.pseudonyms |= other.pseudonyms

    def summary(self) -> dict[str, dict[str, int]]:
        """``{kind: {"distinct": n, "replaced": m}}``, safe to print and to store."""
        return {
            kind: {"distinct": len(self.distinct.get(kind, ())), "replaced": count}
            for kind, count in sorted(self.replaced.items())
        }


class Scrubber:
    """Applies the scrub rules to text, headers, bodies and whole interactions.

    One scrubber per recording run: pseudonyms stay consistent across every
    cassette it writes, and it remembers the originals (with the rule that
    found each) so the leak scan can prove none of them reached the file.

    ``keep_fields`` and ``rules`` (see :mod:`replay_jobrun.rules`) extend the
    built-in rules; the salt keys every pseudonym.
    """

    def __init__(
        self,
        salt: str | None = None,
        known_pseudonyms: Iterable[str] = (),
        keep_fields: Iterable[str] = (),
        rules: Sequence[Rule] = (),
    ) -> None:
        self.salt = salt or DEFAULT_SALT
        self.rules = tuple(rules)
        for rule in self.rules:
            if not isinstance(rule, (RegexRule, FieldRule, KeepRule)):
                raise ConfigError(
                    source="scrub rules",
                    problem=f"{rule!r} is not a rule",
                    valid="values made by replay_jobrun.rules.regex(), field() or keep()",
                )
        self.keep_fields = frozenset(
            [*keep_fields, *(r.path for r in self.rules if isinstance(r, KeepRule))]
        )
        self._keep = PathMatcher(sorted(self.keep_fields))
        self._field_rules = [r for r in self.rules if isinstance(r, FieldRule)]
        self._fields = PathMatcher([r.path for r in self._field_rules])
        self._regex_rules = [r for r in self.rules if isinstance(r, RegexRule)]
        self._path_rules = bool(self._keep) or bool(self._fields)
        self.report = ScrubReport()
        self._secrets: dict[str, str] = {}  # original -> replacement
        self._sources: dict[str, str] = {}  # original -> where it was learnt
        self._pseudonyms: set[str] = set(known_pseudonyms)
        self._index = SecretIndex()  # the keys of _secrets, for the sweep
        self._identifiers: dict[str, None] = {}  # request URIs, each once, in order
        self._joined_identifiers = ""
        self._redactions: dict[tuple[str, int | None, str], str] = {}
        # Bumped whenever what the rules read changes (secrets, pseudonyms, identifiers):
        # a memoized result stands for a step run again only at the version it was made at.
        self._version = 0
        self._journal: _Journal | None = None
        # Per scrub_all: results of the text and model passes by input (see _memoized).
        self._text_memo: dict[tuple[str, bool], _Memo[str]] | None = None
        self._model_memo: dict[tuple[bytes, str | None], _Memo[bytes]] | None = None
        # A callable field replacement may not be a function of its input alone: no memo.
        self._model_memoizable = not any(callable(r.replacement) for r in self._field_rules)

    # -- state shared with the leak scan -----------------------------------
    @property
    def secrets(self) -> Mapping[str, str]:
        """Originals seen so far, mapped to what replaced them (never persisted)."""
        return self._secrets

    @property
    def sources(self) -> Mapping[str, str]:
        """Originals seen so far, mapped to the rule or field they were learnt from."""
        return self._sources

    @property
    def pseudonyms(self) -> frozenset[str]:
        return frozenset(self._pseudonyms)

    def learn_pseudonyms(self, values: Iterable[str]) -> None:
        for value in values:
            self._add_pseudonym(value)

    def _add_pseudonym(self, value: str) -> None:
        if value not in self._pseudonyms:
            self._pseudonyms.add(value)
            self._version += 1

    def _learn_secret(self, original: str, replacement: str, source: str) -> None:
        self._secrets[original] = replacement
        self._sources[original] = source
        self._index.add(original)
        self._version += 1

    def _remember(self, original: str, replacement: str, source: str) -> None:
        if original not in self._secrets:
            self._learn_secret(original, replacement, source)
            # Bodies are swept as JSON text, where a backslash or a quote stands escaped.
            escaped = json.dumps(original, ensure_ascii=False)[1:-1]
            if escaped != original:
                escaped_replacement = json.dumps(replacement, ensure_ascii=False)[1:-1]
                self._learn_secret(escaped, escaped_replacement, source)
        if replacement != PLACEHOLDER_SECRET and not REDACTED_VALUE.match(replacement):
            self._add_pseudonym(replacement)

    def _add_identifier(self, uri: str) -> None:
        if uri not in self._identifiers:  # a poller asks for the same URI many times
            self._identifiers[uri] = None
            self._joined_identifiers = ""
            self._version += 1

    # -- the report, journaled for memoized steps ----------------------------------
    def _note(self, kind: str, original: str) -> None:
        self.report.note(kind, original)
        if self._journal is not None:
            self._journal.append((kind, original))

    def _holds(self, pseudonym: str) -> None:
        """The file holds this pseudonym (for the metadata)."""
        self.report.pseudonyms.add(pseudonym)
        if self._journal is not None:
            self._journal.append((None, pseudonym))

    def _memoized(self, memo: dict[_K, _Memo[_T]], key: _K, step: Callable[[], _T]) -> _T:
        """``step()``, a function of ``key`` and of the rules' state, run once per key and
        state version: a poller's cassette repeats its bodies and headers many times.

        A hit does to the report what the step did, so counts stay exact. A step that
        learnt something (a new secret or pseudonym) is not kept: run again, it could
        take another path (sweep a secret it had found by its pattern)."""
        hit = memo.get(key)
        if hit is not None and hit[0] == self._version:
            _, found, entries, summary = hit
            if entries:
                if self._journal is not None:
                    self._journal += entries
                if summary is None:  # made on the first hit: most results never get one
                    summary = ScrubReport.of(entries)
                    memo[key] = (self._version, found, entries, summary)
                self.report.add(summary)
            return found
        version, outer = self._version, self._journal
        journal: _Journal = []
        self._journal = journal
        try:
            result = step()
        finally:
            self._journal = outer
        if outer is not None:
            outer += journal
        if self._version == version:
            memo[key] = (version, result, journal, None)
        return result

    def _is_identifier(self, value: str) -> bool:
        if not self._joined_identifiers and self._identifiers:
            self._joined_identifiers = "\n".join(self._identifiers)
        return value in self._joined_identifiers

    # -- text rules ----------------------------------------------------------
    def _pseudonym(self, original: str, derive: Callable[[str, str], str], kind: str) -> str:
        if original in self._pseudonyms:
            self._holds(original)
            return original  # already scrubbed: scrubbing is idempotent
        pseudonym = self._secrets.get(original) or derive(original, self.salt)
        self._remember(original, pseudonym, f"the built-in {kind} rule")
        self._note(kind, original)
        self._holds(pseudonym)
        return pseudonym

    def _arn(self, match: re.Match[str]) -> str:
        return match.group(1) + self._pseudonym(match.group(2), pseudonym_account_id, "account id")

    def _access_key(self, match: re.Match[str]) -> str:
        return self._pseudonym(match.group(1), pseudonym_access_key_id, "access key id")

    def _email(self, match: re.Match[str]) -> str:
        local, at, domain = match.groups()
        pseudonym = self._pseudonym(f"{local}@{domain}", patterns.pseudonym_email, "e-mail")
        return pseudonym.replace("@", at)

    def _bucket(self, match: re.Match[str]) -> str:
        prefix, bucket = match.groups()
        if bucket in self._pseudonyms:
            pseudonym = bucket
        else:
            # Not remembered for the sweep: a bucket called "data" must not scrub every "data".
            pseudonym = patterns.pseudonym_bucket(bucket, self.salt)
            self._add_pseudonym(pseudonym)
            self._note("s3 bucket", bucket)
        self._holds(pseudonym)
        return f"{prefix}{pseudonym}"

    def _token(self, match: re.Match[str]) -> str:
        candidate = str(match.group(1))
        if candidate in self._pseudonyms:
            return candidate
        for token in secret_parts(candidate):
            replacement = self._secrets.get(token) or patterns.redacted(token, self.salt)
            self._remember(token, replacement, "the built-in secret-token rule")
            self._note("secret token", token)
            candidate = candidate.replace(token, replacement)
        return candidate

    def _swept(self, match: re.Match[str]) -> str:
        self._note("known secret", match.group(0))
        replacement = self._secrets[match.group(0)]
        if replacement in self._pseudonyms:
            self._holds(replacement)
        return replacement

    def _builtin_text_rules(self, text: str, tokens: bool) -> str:
        text = ARN_ACCOUNT.sub(self._arn, text)
        text = ACCESS_KEY_ID.sub(self._access_key, text)
        text = replace_matches(text, find_emails(text), self._email)
        text = replace_matches(text, find_buckets(text), self._bucket)
        # The sweep before the token rule: a known session token must go whole, not in parts.
        # Only the secrets this text holds: one alternation of hundreds of sensitive
        # values would be tried at every character of every body.
        present = self._index.present(text)
        if present:
            text = sweep_pattern(present).sub(self._swept, text)
        if tokens:
            text = TOKEN_CANDIDATE.sub(self._token, text)
        return text

    def scrub_text(self, text: str, tokens: bool = True) -> str:
        """Apply every text rule; idempotent for text this scrubber produced.

        ``tokens=False`` skips the secret-token rule (for request-id headers)."""
        memo = self._text_memo
        if memo is None:
            text = self._builtin_text_rules(text, tokens)
        else:
            key = (text, tokens)
            text = self._memoized(memo, key, lambda: self._builtin_text_rules(*key))
        for rule in self._regex_rules:
            text, count = rule.apply(text)
            if count:
                self.report.replaced["regex rule"] += count
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
                for access_key in CREDENTIAL_IN_AUTH.findall(value):
                    replacement = pseudonym_access_key_id(access_key, self.salt)
                    self._remember(access_key, replacement, "the Authorization header")
            elif lowered == "x-amz-security-token" and value:
                self._remember(value, PLACEHOLDER_SECRET, "the X-Amz-Security-Token header")

    def learn_secret_key(self, secret_key: str) -> None:
        """Sweep a client's secret access key wherever it shows up (it is never on the wire)."""
        self._remember(secret_key, PLACEHOLDER_SECRET, "the client's secret access key")

    def scrub_headers(self, headers: Headers) -> dict[str, list[str]]:
        """Drop credential headers (learning their secrets first), scrub the rest."""
        for name, values in headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
                self._learn_credentials(name, values)
        return self._scrub_learnt_headers(headers)

    def _scrub_learnt_headers(self, headers: Headers) -> dict[str, list[str]]:
        """:meth:`scrub_headers` for headers whose credentials :meth:`learn` has seen."""
        kept: dict[str, list[str]] = {}
        for name, values in headers.items():
            lowered = name.lower()
            if lowered in CREDENTIAL_HEADERS:
                self._note("credential header", lowered)
                continue
            tokens = token_rule_applies(name)
            kept[name] = [self.scrub_text(v, tokens) for v in values]
        return kept

    # -- model pass ----------------------------------------------------------------
    def _redact(self, original: str, shape: Any, kind: str, where: str) -> str:
        if not original or REDACTED_VALUE.match(original):
            return original
        limit = shape.metadata.get("max") if shape is not None else None
        limit = limit if isinstance(limit, int) else None
        self._note(kind, original)
        value = self._redactions.get((original, limit, kind))
        if value is not None:  # seen before: remembered (or not) then
            return value
        value = patterns.redacted(original, self.salt, limit)
        self._redactions[original, limit, kind] = value
        # Tag values are replaced only here: they often repeat ids and names (the virtual
        # cluster, the namespace) that log prefixes, requests and assertions still need.
        if (
            kind != "tag value"
            and len(original) >= MIN_SWEPT_LENGTH
            and not self._is_identifier(original)
        ):
            # Elsewhere it stands inside other text, within that field's limit: never longer.
            self._remember(original, value[: len(original)], f"the {kind} {where}")
        return value

    def _field_rule(self, value: Any, rule: FieldRule) -> Any:
        if isinstance(value, str):
            if not value or value in self._pseudonyms:
                self._holds(value)
                return value
            replacement = rule.replace(value)
            self._holds(replacement)
            if replacement != value:
                self._note("field rule", value)
                self._add_pseudonym(replacement)
                if len(value) >= MIN_SWEPT_LENGTH and not self._is_identifier(value):
                    self._remember(value, replacement, f"the field rule for {rule.path}")
            return replacement
        if isinstance(value, dict):
            return {k: self._field_rule(v, rule) for k, v in value.items()}
        if isinstance(value, list):
            return [self._field_rule(v, rule) for v in value]
        return value

    def scrub_json(
        self,
        value: Any,
        shape: Any,
        path: str = "",
        redact: str | None = None,
        where: str = "",
    ) -> Any:
        """Walk a JSON value along its botocore shape (``None`` when unknown): tag values and
        ``sensitive`` shapes are redacted, field and keep rules apply by ``path``.

        ``where`` is the path with every key the model does not name (map keys, unknown
        members) as ``*``: safe to print, since a map key can hold a secret too."""
        paths = self._path_rules
        if redact is None and not paths and (shape is None or _inert(shape)):
            return value  # nothing beneath can be redacted: not walked
        if path and paths:
            if self._keep and self._keep.match(path) is not None:
                return value
            if self._fields:
                index = self._fields.match(path)
                if index is not None:
                    return self._field_rule(value, self._field_rules[index])
        if isinstance(value, str):
            if redact is None and shape is not None and shape.metadata.get("sensitive"):
                redact = "sensitive field"
            return self._redact(value, shape, redact, where) if redact else value
        kind = shape.type_name if shape is not None else None
        if isinstance(value, dict):
            # Paths are for keep and field rules: without any, not built at every node.
            prefix = (f"{path}." if path else "") if paths else None
            shown = f"{where}." if where else ""
            if kind == "map":
                if shape.name.endswith("TagMap"):
                    redact = "tag value"
                elif shape.metadata.get("sensitive"):
                    redact = "sensitive field"
                return {
                    k: self.scrub_json(
                        v, shape.value, "" if prefix is None else prefix + k, redact, shown + "*"
                    )
                    for k, v in value.items()
                }
            members = _members(shape) if kind == "structure" else {}
            return {
                k: self.scrub_json(
                    v,
                    members.get(k),
                    "" if prefix is None else prefix + k,
                    redact,
                    shown + (k if k in members else "*"),
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            member = shape.member if kind == "list" else None
            return [self.scrub_json(item, member, path, redact, where) for item in value]
        return value

    def _model_body(self, body: bytes | None, shape: Any) -> bytes | None:
        if not body or (shape is None and not self._fields):
            return body
        memo = self._model_memo
        if memo is None or not self._model_memoizable:
            return self._modeled_body(body, shape)
        key = (body, None if shape is None else shape.name)
        return self._memoized(memo, key, lambda: self._modeled_body(body, shape))

    def _modeled_body(self, body: bytes, shape: Any) -> bytes:
        try:
            decoded = json.loads(body)
        except ValueError:
            return body
        if not isinstance(decoded, dict):
            return body
        return json.dumps(self.scrub_json(decoded, shape), ensure_ascii=False).encode()

    def scrub_live(self, operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        """A live request scrubbed with the rules its recording went through (for matching)."""
        self._add_identifier(url)
        self._learn_arns((url, body or ""))
        modeled = self._model_body(body.encode() if body else None, _input_shape(operation))
        scrubbed = self.scrub_bytes(modeled)
        return self.scrub_text(url), scrubbed.decode() if scrubbed else body

    # -- whole interactions --------------------------------------------------------
    def _learn_arns(self, texts: Iterable[str]) -> None:
        for text in texts:
            for match in ARN_ACCOUNT.finditer(text):
                original = match.group(2)
                if original not in self._pseudonyms:
                    replacement = pseudonym_account_id(original, self.salt)
                    self._remember(original, replacement, "the built-in account id rule")

    def learn(self, interactions: Iterable[Interaction]) -> None:
        """Learn the credentials, request URIs and account ids of a cassette before scrubbing
        any of it, so a value that shows up bare (an account id glued into a bucket name)
        before the ARN that reveals it is still swept."""
        seen: set[str] = set()  # learning from a text twice learns nothing more
        for interaction in interactions:
            for headers in (interaction.request.headers, interaction.response.headers):
                for name, values in headers.items():
                    if name.lower() in CREDENTIAL_HEADERS:
                        self._learn_credentials(name, values)
            self._add_identifier(interaction.request.uri)
            texts = [
                t for t in (interaction.request.uri, *_body_texts(interaction)) if t not in seen
            ]
            seen.update(texts)
            self._learn_arns(texts)

    def _modeled(self, interaction: Interaction) -> tuple[bytes | None, bytes, bool]:
        """Pass 1: both bodies through the model rules (learning sensitive values)."""
        operation, response = interaction.operation, interaction.response
        request_shape = _input_shape(operation) if operation else None
        request_body = self._model_body(interaction.request.body, request_shape)
        body, gzipped = _plain_body(response)
        response_shape = _output_shape(operation) if operation and response.status < 300 else None
        return request_body, self._model_body(body, response_shape) or b"", gzipped

    def _texted(
        self, interaction: Interaction, modeled: tuple[bytes | None, bytes, bool]
    ) -> Interaction:
        """Pass 2: the text rules on every part of the interaction."""
        request_body, response_body, gzipped = modeled
        request, response = interaction.request, interaction.response
        # learn() has seen these headers' credentials: learning them again would change nothing.
        request = replace(
            request,
            uri=self.scrub_text(request.uri),
            headers=self._scrub_learnt_headers(request.headers),
            body=self.scrub_bytes(request_body),
        )
        headers = {
            k: v
            for k, v in self._scrub_learnt_headers(response.headers).items()
            if k.lower() != "content-encoding"
        }
        body = self.scrub_bytes(response_body) or b""
        if gzipped:  # gzip without a Content-Encoding header is the body itself: keep it so
            body = gzip.compress(body, mtime=0)
        return replace(
            interaction, request=request, response=replace(response, headers=headers, body=body)
        )

    def scrub_all(
        self, interactions: Iterable[Interaction]
    ) -> tuple[list[Interaction], ScrubReport]:
        """Scrub a cassette's interactions; the report covers just these (and adds to the total)."""
        interactions = list(interactions)
        self.learn(interactions)
        total, self.report = self.report, ScrubReport()
        # Memos for this cassette only: they hold its bodies.
        self._text_memo, self._model_memo = {}, {}
        try:
            modeled = [self._modeled(i) for i in interactions]
            scrubbed = [self._texted(i, m) for i, m in zip(interactions, modeled, strict=True)]
            return scrubbed, self.report
        finally:
            self._text_memo = self._model_memo = None
            total.add(self.report)
            self.report = total


_MEMBERS: dict[str, dict[str, Any]] = {}


def _members(shape: Any) -> dict[str, Any]:
    """A structure's members by their JSON key (every shape comes from the one service model)."""
    members = _MEMBERS.get(shape.name)
    if members is None:
        members = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        _MEMBERS[shape.name] = members
    return members


_INERT: dict[str, bool] = {}


def _inert(shape: Any) -> bool:
    """True if no value of this shape holds anything the model pass redacts: no
    ``sensitive`` shape and no tag map anywhere beneath it."""
    inert = _INERT.get(shape.name)
    if inert is None:
        _INERT[shape.name] = False  # a shape that contains itself: walked, to be safe
        inert = _INERT[shape.name] = _inert_uncached(shape)
    return inert


def _inert_uncached(shape: Any) -> bool:
    if shape.metadata.get("sensitive"):
        return False
    kind = shape.type_name
    if kind == "structure":
        return all(_inert(member) for member in shape.members.values())
    if kind == "map":
        return not shape.name.endswith("TagMap") and _inert(shape.value)
    if kind == "list":
        return _inert(shape.member)
    return True


def _input_shape(operation: str) -> Any:
    from .. import model

    return model.service_model().operation_model(operation).input_shape


def _output_shape(operation: str) -> Any:
    from .. import model

    return model.service_model().operation_model(operation).output_shape


def _plain_body(response: RecordedResponse) -> tuple[bytes, bool]:
    """The body as the client reads it, and whether it was gzip with no Content-Encoding."""
    with contextlib.suppress(OSError):
        body = response.decoded_body()
        if body[:2] == b"\x1f\x8b":
            with contextlib.suppress(OSError, EOFError):
                return gzip.decompress(body), True
        return body, False
    return response.body, False


def _body_texts(interaction: Interaction) -> list[str]:
    texts = []
    if interaction.request.body:
        texts.append(interaction.request.body.decode("utf-8", errors="replace"))
    texts.append(_plain_body(interaction.response)[0].decode("utf-8", errors="replace"))
    return texts
