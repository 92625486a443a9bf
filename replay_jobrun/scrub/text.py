"""How a value is replaced in text: the text pass over URIs, headers and bodies.

In order: the account id in every ARN, access key ids, e-mails and S3 bucket
names get pseudonyms (see :mod:`.patterns`); every remembered secret is swept;
long secret-looking tokens are redacted; then the user's regex rules. A value
that already is a pseudonym is left as it is, so the pass is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..cassette.format import Headers
from . import patterns
from .learnt import CREDENTIAL_HEADERS, Learnt
from .ledger import Ledger, Memo
from .patterns import (
    ACCESS_KEY_ID,
    ARN_ACCOUNT,
    CREDENTIAL_NAME,
    TOKEN_CANDIDATE,
    credential_matches,
    find_buckets,
    find_emails,
    pseudonym_access_key_id,
    pseudonym_account_id,
    replace_matches,
    secret_parts,
    sweep_pattern,
    token_rule_applies,
)
from .rules import RegexRule


class TextPass:
    """The text rules, reading and adding to what ``learnt`` holds, noting in ``ledger``."""

    def __init__(self, learnt: Learnt, ledger: Ledger, regex_rules: Sequence[RegexRule]) -> None:
        self._learnt = learnt
        self._ledger = ledger
        self._regex_rules = tuple(regex_rules)
        # The learnt state's own containers and the ledger's methods, bound once: these
        # are read at every match.
        self._secrets = learnt.secrets
        self._pseudonyms = learnt.pseudonyms
        self._note = ledger.note
        self._holds = ledger.holds
        self.memo: Memo[tuple[str, bool], str] | None = None
        """Results by input while one cassette is scrubbed (see :meth:`Ledger.memoized`)."""

    def _pseudonym(self, original: str, derive: Callable[[str, str], str], kind: str) -> str:
        if original in self._pseudonyms:
            self._holds(original)
            return original  # already scrubbed: scrubbing is idempotent
        pseudonym = self._secrets.get(original) or derive(original, self._learnt.salt)
        self._learnt.remember(original, pseudonym, f"the built-in {kind} rule")
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
            pseudonym = patterns.pseudonym_bucket(bucket, self._learnt.salt)
            self._learnt.add_pseudonym(pseudonym)
            self._note("s3 bucket", bucket)
        self._holds(pseudonym)
        return f"{prefix}{pseudonym}"

    def _token(self, match: re.Match[str]) -> str:
        candidate = str(match.group(1))
        if candidate in self._pseudonyms:
            return candidate
        for token in secret_parts(candidate):
            replacement = self._secrets.get(token) or patterns.redacted(token, self._learnt.salt)
            self._learnt.remember(token, replacement, "the built-in secret-token rule")
            self._note("secret token", token)
            candidate = candidate.replace(token, replacement)
        return candidate

    def _swept(self, match: re.Match[str]) -> str:
        self._note("known secret", match.group(0))
        replacement = self._secrets[match.group(0)]
        if replacement in self._pseudonyms:
            self._holds(replacement)
        return replacement

    def _short_swept(self, text: str, short: set[str]) -> str:
        """Secrets too short to sweep (see SWEEP_FLOOR), replaced where they are credentials."""
        here = [s for s in short if s in text]
        if not here:
            return text
        return replace_matches(text, credential_matches(text, here), self._swept)

    def short_credential(self, name: str, value: str) -> str | None:
        """What replaces ``value`` as the whole value of a field or header ``name``: a short
        secret under a name that says credential; None when the value stays."""
        if value in self._learnt.short and CREDENTIAL_NAME.search(name):
            self._note("known secret", value)
            return self._secrets[value]
        return None

    def _builtin_rules(self, text: str, tokens: bool) -> str:
        text = ARN_ACCOUNT.sub(self._arn, text)
        text = ACCESS_KEY_ID.sub(self._access_key, text)
        text = replace_matches(text, find_emails(text), self._email)
        text = replace_matches(text, find_buckets(text), self._bucket)
        # The sweep before the token rule: a known session token must go whole, not in parts.
        # Only the secrets this text holds: one alternation of hundreds of sensitive
        # values would be tried at every character of every body.
        present = self._learnt.index.present(text)
        if present:
            text = sweep_pattern(present).sub(self._swept, text)
        short = self._learnt.short
        if short:
            text = self._short_swept(text, short)
        if tokens:
            text = TOKEN_CANDIDATE.sub(self._token, text)
        return text

    def scrub_text(self, text: str, tokens: bool = True) -> str:
        """Apply every text rule; idempotent for text this pass produced.

        ``tokens=False`` skips the secret-token rule (for request-id headers)."""
        memo = self.memo
        if memo is None:
            text = self._builtin_rules(text, tokens)
        else:
            key = (text, tokens)
            text = self._ledger.memoized(memo, key, lambda: self._builtin_rules(*key))
        for rule in self._regex_rules:
            text, count = rule.apply(text)
            if count:
                self._ledger.report.replaced["regex rule"] += count
        return text

    def scrub_bytes(self, body: bytes | None) -> bytes | None:
        if not body:
            return body
        text = body.decode("utf-8", errors="surrogateescape")
        return self.scrub_text(text).encode("utf-8", errors="surrogateescape")

    def scrub_headers(self, headers: Headers) -> dict[str, list[str]]:
        """Credential headers dropped (whose secrets ``learnt`` must have seen), the rest scrubbed."""
        kept: dict[str, list[str]] = {}
        for name, values in headers.items():
            lowered = name.lower()
            if lowered in CREDENTIAL_HEADERS:
                self._note("credential header", lowered)
                continue
            tokens = token_rule_applies(name)
            kept[name] = [
                self.short_credential(name, v) or self.scrub_text(v, tokens) for v in values
            ]
        return kept
