"""Scrub secrets out of interactions before they reach disk.

Two passes over a cassette, both sides of every interaction:

1. **Model pass** (:mod:`.walk`) over JSON bodies, along the botocore shape
   of the operation: tag values and ``sensitive`` members redacted, user field
   and keep rules applied; a sensitive value is also remembered, so that the
   same value elsewhere is swept in pass 2.
2. **Text pass** (:mod:`.text`) over the URI, headers and bodies: credential
   headers dropped, pseudonyms for the account id in every ARN, access key
   ids, e-mails, S3 buckets and secret-looking tokens; every remembered value
   swept; then user regex rules.

Before either pass the scrubber learns from the whole cassette (:mod:`.learnt`:
credentials, account ids in ARNs), so a value that shows up bare before the
field that reveals it is still swept. Values found in a request URI are
identifiers the request needs, never swept. Pseudonyms are listed in the
cassette metadata, so scrubbing a scrubbed cassette (or a live request during
replay) changes nothing. What was changed is counted in a :class:`ScrubReport`
(:mod:`.ledger`), never with the values.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..cassette.bodies import decode_content
from ..cassette.format import Headers, Interaction, RecordedResponse
from ..errors import CassetteBodyError, ConfigError
from .learnt import CREDENTIAL_HEADERS, Learnt
from .ledger import Ledger, ScrubReport
from .patterns import (
    DEFAULT_SALT,
    PLACEHOLDER_SECRET,
    pseudonym_access_key_id,
    pseudonym_account_id,
)
from .rules import RULE_TYPES, FieldRule, KeepRule, KeepValueRule, RegexRule, Rule, keep_value
from .text import TextPass
from .walk import ModelPass, input_shape, output_shape

__all__ = [
    "CREDENTIAL_HEADERS",
    "DEFAULT_SALT",
    "ScrubReport",
    "Scrubber",
    "pseudonym_access_key_id",
    "pseudonym_account_id",
]


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
        keep_values: Iterable[str] = (),
    ) -> None:
        self.salt = salt or DEFAULT_SALT
        self.rules = tuple(rules)
        for rule in self.rules:
            if not isinstance(rule, RULE_TYPES):
                raise ConfigError(
                    source="scrub rules",
                    problem=f"{rule!r} is not a rule",
                    valid="values made by replay_jobrun.rules.regex(), field(), keep() "
                    "or keep_value()",
                )
        self.keep_fields = frozenset(
            [*keep_fields, *(r.path for r in self.rules if isinstance(r, KeepRule))]
        )
        self.keep_values = frozenset(
            [
                *(keep_value(value).value for value in keep_values),
                *(r.value for r in self.rules if isinstance(r, KeepValueRule)),
            ]
        )
        # A kept value is treated as a pseudonym: the text pass leaves it, the leak scan
        # trusts it. Credentials the scrubber learns are still swept wherever they are.
        self._learnt = Learnt(self.salt, [*known_pseudonyms, *self.keep_values])
        self._ledger = Ledger(self._learnt)
        self._text = TextPass(
            self._learnt, self._ledger, [r for r in self.rules if isinstance(r, RegexRule)]
        )
        self._model = ModelPass(
            self._learnt,
            self._ledger,
            [r for r in self.rules if isinstance(r, FieldRule)],
            sorted(self.keep_fields),
        )

    # -- state shared with the leak scan -----------------------------------
    @property
    def report(self) -> ScrubReport:
        """What this scrubber changed so far."""
        return self._ledger.report

    @property
    def secrets(self) -> Mapping[str, str]:
        """Originals seen so far, mapped to what replaced them (never persisted)."""
        return self._learnt.secrets

    @property
    def sources(self) -> Mapping[str, str]:
        """Originals seen so far, mapped to the rule or field they were learnt from."""
        return self._learnt.sources

    @property
    def short_secrets(self) -> frozenset[str]:
        """Credentials below the sweep floor: replaced, and looked for by the leak scan, only
        where they stand as credentials (``patterns.SWEEP_FLOOR``)."""
        return frozenset(self._learnt.short)

    @property
    def pseudonyms(self) -> frozenset[str]:
        return frozenset(self._learnt.pseudonyms)

    def learn_pseudonyms(self, values: Iterable[str]) -> None:
        for value in values:
            self._learnt.add_pseudonym(value)

    def learn_secret_key(self, secret_key: str) -> None:
        """Sweep a client's secret access key wherever it shows up (it is never on the wire)."""
        self._learnt.remember(
            secret_key, PLACEHOLDER_SECRET, "the client's secret access key", credential=True
        )

    # -- the passes on their own ---------------------------------------------------
    def scrub_text(self, text: str, tokens: bool = True) -> str:
        """Apply every text rule; idempotent for text this scrubber produced.

        ``tokens=False`` skips the secret-token rule (for request-id headers)."""
        return self._text.scrub_text(text, tokens)

    def scrub_bytes(self, body: bytes | None) -> bytes | None:
        return self._text.scrub_bytes(body)

    def scrub_headers(self, headers: Headers) -> dict[str, list[str]]:
        """Drop credential headers (learning their secrets first), scrub the rest."""
        for name, values in headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
                self._learnt.learn_credentials(name, values)
        return self._text.scrub_headers(headers)

    def scrub_json(self, value: Any, shape: Any, path: str = "") -> Any:
        """The model pass alone, on one JSON value with its botocore shape (``None`` when
        unknown): see :meth:`~replay_jobrun.scrub.walk.ModelPass.scrub_json`."""
        return self._model.scrub_json(value, shape, path)

    def scrub_value(self, value: Any) -> Any:
        """Every string in a YAML value (keys too), bytes as text, through the text pass;
        anything else as it is. For what a cassette holds beyond the fields it models
        (another tool's keys): kept, with what a secret would be swept from."""
        if isinstance(value, str):
            return self._text.scrub_text(value)
        if isinstance(value, bytes):
            return self._text.scrub_bytes(value)
        if isinstance(value, Mapping):
            return {self.scrub_value(k): self._scrub_item(k, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub_value(v) for v in value)
        return value

    def _scrub_item(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and isinstance(value, str):
            return self._text.short_credential(key, value) or self._text.scrub_text(value)
        return self.scrub_value(value)

    def scrub_live(self, operation: str, url: str, body: str | None) -> tuple[str, str | None]:
        """A live request scrubbed with the rules its recording went through (for matching)."""
        self._learnt.add_identifier(url)
        self._learnt.learn_arns((url, body or ""))
        modeled = self._model.scrub_body(body.encode() if body else None, input_shape(operation))
        scrubbed = self._text.scrub_bytes(modeled)
        return self._text.scrub_text(url), scrubbed.decode() if scrubbed else body

    # -- whole interactions --------------------------------------------------------
    def learn(self, interactions: Iterable[Interaction]) -> None:
        """Learn the credentials, request URIs and account ids of a cassette before scrubbing
        any of it, so a value that shows up bare (an account id glued into a bucket name)
        before the ARN that reveals it is still swept."""
        learnt = self._learnt
        seen: set[str] = set()  # learning from a text twice learns nothing more
        for interaction in interactions:
            for headers in (interaction.request.headers, interaction.response.headers):
                for name, values in headers.items():
                    if name.lower() in CREDENTIAL_HEADERS:
                        learnt.learn_credentials(name, values)
            learnt.add_identifier(interaction.request.uri)
            texts = [
                t
                for t in (
                    interaction.request.uri,
                    *_body_texts(interaction),
                    *_strings(interaction.extra),
                )
                if t not in seen
            ]
            seen.update(texts)
            learnt.learn_arns(texts)

    def _modeled(self, interaction: Interaction) -> tuple[bytes | None, bytes, bool]:
        """Pass 1: both bodies through the model rules (learning sensitive values)."""
        operation, response = interaction.operation, interaction.response
        request_shape = input_shape(operation) if operation else None
        request_body = self._model.scrub_body(interaction.request.body, request_shape)
        body, gzipped = _plain_body(response)
        response_shape = output_shape(operation) if operation and response.status < 300 else None
        return request_body, self._model.scrub_body(body, response_shape) or b"", gzipped

    def _texted(
        self, interaction: Interaction, modeled: tuple[bytes | None, bytes, bool]
    ) -> Interaction:
        """Pass 2: the text rules on every part of the interaction."""
        text = self._text
        request_body, response_body, gzipped = modeled
        request, response = interaction.request, interaction.response
        # learn() has seen these headers' credentials: learning them again would change nothing.
        request = replace(
            request,
            uri=text.scrub_text(request.uri),
            headers=text.scrub_headers(request.headers),
            body=text.scrub_bytes(request_body),
        )
        headers = {
            k: v
            for k, v in text.scrub_headers(response.headers).items()
            if k.lower() != "content-encoding"
        }
        body = text.scrub_bytes(response_body) or b""
        if gzipped:  # gzip without a Content-Encoding header is the body itself: keep it so
            body = gzip.compress(body, mtime=0)
        return replace(
            interaction,
            request=request,
            response=replace(response, headers=headers, body=body),
            extra=self.scrub_value(interaction.extra) if interaction.extra else interaction.extra,
        )

    def scrub_all(
        self, interactions: Iterable[Interaction]
    ) -> tuple[list[Interaction], ScrubReport]:
        """Scrub a cassette's interactions; the report covers just these (and adds to the total)."""
        interactions = list(interactions)
        self.learn(interactions)
        ledger = self._ledger
        total = ledger.report
        report = ledger.report = ScrubReport()
        # Memos for this cassette only: they hold its bodies.
        self._text.memo, self._model.memo = {}, {}
        try:
            modeled = [self._modeled(i) for i in interactions]
            scrubbed = [self._texted(i, m) for i, m in zip(interactions, modeled, strict=True)]
            return scrubbed, report
        finally:
            self._text.memo = self._model.memo = None
            total.add(report)
            ledger.report = total


def _plain_body(response: RecordedResponse) -> tuple[bytes, bool]:
    """The body as the client reads it, and whether it was gzip with no Content-Encoding."""
    with contextlib.suppress(OSError):
        body = response.decoded_body()
        if body[:2] == b"\x1f\x8b":
            with contextlib.suppress(CassetteBodyError):  # bounded, as loading is
                return decode_content(body, "gzip"), True
        return body, False
    return response.body, False


def _body_texts(interaction: Interaction) -> list[str]:
    texts = []
    if interaction.request.body:
        texts.append(interaction.request.body.decode("utf-8", errors="replace"))
    texts.append(_plain_body(interaction.response)[0].decode("utf-8", errors="replace"))
    return texts


def _strings(value: Any) -> list[str]:
    """Every string in a YAML value (keys too, bytes decoded)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes):
        return [value.decode("utf-8", errors="replace")]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []
