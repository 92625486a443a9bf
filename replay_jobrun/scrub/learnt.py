"""What a scrubber has learnt: the originals it must sweep, the pseudonyms it wrote, the URIs.

Every rule reads this state and most add to it. A secret is learnt where it is
revealed (a credential header, an ARN, a ``sensitive`` field) and swept
wherever else it shows up; a pseudonym is never scrubbed again, which keeps
scrubbing idempotent; a value inside a request URI is an identifier the
request needs, never swept. ``version`` changes whenever any of it does, so
a memoized step (see :mod:`.ledger`) is reused only while it would still do
the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from .patterns import (
    ARN_ACCOUNT,
    CREDENTIAL_IN_AUTH,
    PLACEHOLDER_SECRET,
    REDACTED_VALUE,
    SecretIndex,
    pseudonym_access_key_id,
    pseudonym_account_id,
    swept_anywhere,
)

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


class Learnt:
    """Originals and what replaced them, pseudonyms, request URIs; keyed by one salt."""

    def __init__(self, salt: str, known_pseudonyms: Iterable[str] = ()) -> None:
        self.salt = salt
        self.secrets: dict[str, str] = {}  # original -> replacement
        self.sources: dict[str, str] = {}  # original -> where it was learnt
        self.pseudonyms: set[str] = set(known_pseudonyms)
        self.index = SecretIndex()  # the keys of secrets swept wherever they stand alone
        # Keys of secrets too short to sweep from text: replaced only as credentials.
        self.short: set[str] = set()
        self._identifiers: dict[str, None] = {}  # request URIs, each once, in order
        self._joined_identifiers = ""
        self.version = 0

    def add_pseudonym(self, value: str) -> None:
        if value not in self.pseudonyms:
            self.pseudonyms.add(value)
            self.version += 1

    def _learn_secret(self, original: str, replacement: str, source: str, credential: bool) -> None:
        self.secrets[original] = replacement
        self.sources[original] = source
        if credential and not swept_anywhere(original):
            self.short.add(original)
        else:
            self.index.add(original)
        self.version += 1

    def remember(
        self, original: str, replacement: str, source: str, credential: bool = False
    ) -> None:
        """Sweep ``original`` as ``replacement`` from now on; ``source`` says where it was found.

        A ``credential`` (a secret access key, a session token) shorter than the sweep floor
        is replaced only where it stands as a credential (see ``patterns.SWEEP_FLOOR``)."""
        if original not in self.secrets:
            self._learn_secret(original, replacement, source, credential)
            # Bodies are swept as JSON text, where a backslash or a quote stands escaped.
            escaped = json.dumps(original, ensure_ascii=False)[1:-1]
            if escaped != original:
                escaped_replacement = json.dumps(replacement, ensure_ascii=False)[1:-1]
                self._learn_secret(escaped, escaped_replacement, source, credential)
        if replacement != PLACEHOLDER_SECRET and not REDACTED_VALUE.match(replacement):
            self.add_pseudonym(replacement)

    def add_identifier(self, uri: str) -> None:
        if uri not in self._identifiers:  # a poller asks for the same URI many times
            self._identifiers[uri] = None
            self._joined_identifiers = ""
            self.version += 1

    def is_identifier(self, value: str) -> bool:
        """Whether ``value`` stands in a request URI seen so far."""
        if not self._joined_identifiers and self._identifiers:
            self._joined_identifiers = "\n".join(self._identifiers)
        return value in self._joined_identifiers

    def learn_credentials(self, name: str, values: Sequence[str]) -> None:
        """The access key id in an Authorization header, the session token in its header."""
        lowered = name.lower()
        for value in values:
            if lowered == "authorization":
                for access_key in CREDENTIAL_IN_AUTH.findall(value):
                    replacement = pseudonym_access_key_id(access_key, self.salt)
                    self.remember(access_key, replacement, "the Authorization header")
            elif lowered == "x-amz-security-token" and value:
                self.remember(
                    value, PLACEHOLDER_SECRET, "the X-Amz-Security-Token header", credential=True
                )

    def learn_arns(self, texts: Iterable[str]) -> None:
        """The account id of every ARN in ``texts``."""
        for text in texts:
            for match in ARN_ACCOUNT.finditer(text):
                original = match.group(2)
                if original not in self.pseudonyms:
                    replacement = pseudonym_account_id(original, self.salt)
                    self.remember(original, replacement, "the built-in account id rule")
