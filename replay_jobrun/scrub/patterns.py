"""What secrets look like in emr-containers traffic, and what replaces them.

The scrubber and the leak scan share these detectors, so the scan flags
exactly what scrubbing should have removed. Replacements keep the shape the
botocore model and user code expect: an account id stays 12 digits, an access
key id keeps its prefix and length, a bucket stays a valid bucket name, an
e-mail stays an e-mail.

Pseudonyms are deterministic (re-recording does not churn git diffs) and keyed
by a salt through scrypt, so a 12-digit account id or a guessable e-mail
cannot be recovered by hashing candidates, even under the public default salt.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable

DEFAULT_SALT = "replay-jobrun/v1"
PLACEHOLDER_SECRET = "REDACTED"
# What a redacted value becomes: deterministic per value, recognisable, and within the
# `.*\S.*` pattern and length limits of every sensitive emr-containers shape.
REDACTED_VALUE = re.compile(r"\AREDACTED-[0-9a-f]{8}\Z")

_SEP = r"(?::|%3[aA])"
# arn:partition:service:region:ACCOUNT:resource, in every partition (aws, aws-cn,
# aws-us-gov, aws-iso, aws-iso-b, ...); group 1 is everything up to the account.
ARN_ACCOUNT = re.compile(
    rf"(arn{_SEP}aws[a-zA-Z-]*{_SEP}[a-zA-Z0-9-]*{_SEP}[a-zA-Z0-9-]*{_SEP})(\d{{12}})(?={_SEP})"
)
# The literal prefix first (the boundary checked behind it) lets the engine search for it fast.
ACCESS_KEY_ID = re.compile(
    r"((?:AKIA|ASIA|AROA|AIDA|AGPA|ANPA|ANVA|APKA|ASCA|AIPA)(?<![A-Z0-9].{4})[A-Z0-9]{16})(?![A-Z0-9])"
)
CREDENTIAL_IN_AUTH = re.compile(r"Credential=([A-Z0-9]{16,128})/")
# Local part and domain; "@" may be URL-encoded (role session names travel in URLs).
EMAIL = re.compile(
    r"(?:(?<=%2[fF])|(?<![A-Za-z0-9._%+-]))([A-Za-z0-9](?:[A-Za-z0-9._+-]|%2[bB]){0,63})(@|%40)"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![A-Za-z0-9-])"
)
# s3://bucket/..., Spark's s3a:// and s3n://, and bucket ARNs (no region, no account).
# The partition is bounded (the longest real one is aws-us-gov) so that find_buckets'
# look-back of 30 characters before ":s3:::" always reaches the "arn:" of a match.
S3_BUCKET = re.compile(
    r"(\bs3[an]?://|\barn:aws[a-zA-Z-]{0,16}:s3:::)([A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9])(?![A-Za-z0-9._-])"
)


def _anchored(
    pattern: re.Pattern[str], text: str, anchors: tuple[str, ...], before: int, after: int
) -> list[re.Match[str]]:
    """``pattern.finditer(text)``, searched only near the anchors every match contains.

    EMAIL and S3_BUCKET begin with a character class or a lookbehind, so the engine
    would try them at every position of every body; an ``@`` or an ``s3`` is rare."""
    positions = sorted(i for anchor in anchors for i in _positions(text, anchor))
    matches: list[re.Match[str]] = []
    end = 0
    for position in positions:
        start = max(end, position - before)
        while start <= position:
            # The window's end is only a search bound: lookaheads must see the real text,
            # so the match is taken again from where the window found one.
            found = pattern.search(text, start, position + after)
            if found is None or found.start() > position:
                break  # a match further on holds a later anchor
            full = pattern.match(text, found.start())
            if full is not None:
                matches.append(full)
                end = full.end()
                break
            start = found.start() + 1
    return matches


def _positions(text: str, anchor: str) -> list[int]:
    found, index = [], text.find(anchor)
    while index != -1:
        found.append(index)
        index = text.find(anchor, index + 1)
    return found


def find_emails(text: str) -> list[re.Match[str]]:
    """Every EMAIL match in the text, in order."""
    if "@" not in text and "%40" not in text:
        return []  # most texts: no call into _anchored
    return _anchored(EMAIL, text, ("@", "%40"), before=70, after=300)


def find_buckets(text: str) -> list[re.Match[str]]:
    """Every S3_BUCKET match in the text, in order."""
    if "s3" not in text:  # in every anchor
        return []
    return _anchored(S3_BUCKET, text, ("s3://", "s3a://", "s3n://", ":s3:::"), 30, 100)


def replace_matches(
    text: str, matches: list[re.Match[str]], replacement: Callable[[re.Match[str]], str]
) -> str:
    """``pattern.sub(replacement, text)`` for matches found another way."""
    if not matches:
        return text
    pieces, last = [], 0
    for match in matches:
        pieces += [text[last : match.start()], replacement(match)]
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


# Candidates for a long secret: API tokens, AWS secret access keys (40 chars with / and +),
# session tokens, url-safe tokens. Whether a candidate is a secret is up to looks_secret().
TOKEN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9+/_-])([A-Za-z0-9+/_-]{32,}={0,2})(?![A-Za-z0-9+/=_-])"
)
# Response headers that carry request ids (random base62 in moto, often): ids, not tokens.
ID_HEADER = re.compile(r"request-?id|-id-2\Z|apigw-id|trace-id|cf-id", re.IGNORECASE)
_SEGMENT = re.compile(r"[A-Za-z0-9+=]+")


@functools.lru_cache(maxsize=256)  # a handful of header names, cassette after cassette
def token_rule_applies(header: str) -> bool:
    """Whether the secret-token rule applies to a header's values (not to request ids)."""
    return not ID_HEADER.search(header)


_LOWER_SINGLE = re.compile(r"(?<![a-z])[a-z](?![a-z])")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])[A-Za-z]|(?<=[A-Za-z])[0-9]")


@functools.lru_cache(maxsize=8192)  # the same ids and names, body after body
def looks_secret(candidate: str) -> bool:
    """True for a long token that looks random rather than made of words.

    Names are words: ``SparkPilotByocLiteRoleAdmin``, ``EKS2024``,
    ``sparkpilot-53d8b69e``. Random base62/base64 text keeps breaking the
    pattern: lowercase letters standing alone between capitals or digits,
    and letters and digits alternating. Only mixed-case segments count, so
    UUIDs, hex digests and EMR's lowercase ids never qualify. On random
    32-character base62 tokens this misses about 1 in 400; on AWS secret
    access keys (40 characters) about 1 in 2,500.
    """
    singles = switches = 0
    for segment in _SEGMENT.findall(candidate):
        if segment.lower() == segment or segment.upper() == segment:
            continue
        singles += len(_LOWER_SINGLE.findall(segment))
        switches += len(_DIGIT_LETTER.findall(segment))
    return singles >= 2 or switches >= 4


def sweep_pattern(secrets: Iterable[str]) -> re.Pattern[str]:
    """Matches any of ``secrets`` standing alone (not inside a longer word or number);
    the sweep and the leak scan agree on this, so what one leaves the other accepts."""
    return _sweep_pattern(frozenset(secrets))


@functools.lru_cache(maxsize=1024)
def _sweep_pattern(secrets: frozenset[str]) -> re.Pattern[str]:
    # Longest first so a token is never half-replaced by a shorter secret inside it.
    alternatives = "|".join(re.escape(s) for s in sorted(secrets, key=lambda s: (-len(s), s)))
    return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])")


# Real AWS secret access keys are 40 characters, session tokens hundreds, access key ids
# 20. A learnt credential shorter than this is likely an ordinary word too (moto's and
# LocalStack's secret key "test" is in "test-cluster"): it is never swept from text, only
# replaced where it stands as a credential (see credential_matches), and the leak scan
# looks for it only there. Account ids and e-mail addresses are short but no word:
# their shape says what they are. (Values of sensitive fields have their own floor,
# walk.MIN_SWEPT_LENGTH: they are what a field held, not a default like "test".)
SWEEP_FLOOR = 16
_SHAPED = re.compile(r"\d{12}\Z|[^@\s]+@[^@\s]+\Z")


def swept_anywhere(secret: str) -> bool:
    """Whether a learnt credential is swept wherever it stands alone, or only where it
    stands as a credential (:func:`credential_matches`)."""
    return len(secret) >= SWEEP_FLOOR or _SHAPED.match(secret) is not None


# What names a credential: "secretAccessKey", "AWS_SECRET_ACCESS_KEY", "password",
# "spark.hadoop.fs.s3a.secret.key", "x-api-key", "Authorization".
_CREDENTIAL_WORD = (
    r"(?i:secret|passw(?:or)?d|pwd|token|credential|auth|api[_.-]?key|access[_.-]?key"
    r"|private[_.-]?key)"
)
CREDENTIAL_NAME = re.compile(_CREDENTIAL_WORD)
# Just before a value that is a credential: such a name and what separates it from its
# value (key=value, "key": "value", key: value), or a URL's user info (scheme://user:).
_CREDENTIAL_BEFORE = re.compile(
    rf"(?:{_CREDENTIAL_WORD}[A-Za-z0-9_.-]*[\"']?[ \t]*[:=][ \t]*[\"']?|://[^/@\s:]*:)\Z"
)
_LOOK_BACK = 120  # longest name and separator looked for before a value


def credential_matches(text: str, secrets: Iterable[str]) -> list[re.Match[str]]:
    """Where one of ``secrets`` (short ones: see :data:`SWEEP_FLOOR`) stands as a
    credential in ``text``: a whole token (not part of "test-cluster" or "testing") right
    after a credential's name and "=" or ":", or as a URL's password."""
    found = []
    for match in _credential_pattern(frozenset(secrets)).finditer(text):
        start = match.start()
        if _CREDENTIAL_BEFORE.search(text, max(0, start - _LOOK_BACK), start):
            found.append(match)
    return found


@functools.lru_cache(maxsize=256)
def _credential_pattern(secrets: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(s) for s in sorted(secrets, key=lambda s: (-len(s), s)))
    # A token's own characters on neither side: "test" is not in "test-cluster" or "a.test".
    return re.compile(rf"(?<![A-Za-z0-9_.+/-])(?:{alternatives})(?![A-Za-z0-9_.+/=-])")


_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+")
# bytes.translate table: ASCII letters and digits kept, every other byte (UTF-8 lead and
# continuation bytes included) a space, so that split() yields the runs of [0-9A-Za-z].
_RUN_TABLE = bytes(c if chr(c).isascii() and chr(c).isalnum() else 0x20 for c in range(256))


def alnum_runs(text: str) -> set[bytes]:
    """The maximal runs of ``[0-9A-Za-z]`` in ``text``, as ASCII bytes."""
    # One C pass (encode, translate, split) instead of a regex or a loop per character.
    return set(text.encode("utf-8", "surrogatepass").translate(_RUN_TABLE).split())


class SecretIndex:
    """Which of many known secrets may stand alone in a text, found in one pass over it.

    A secret matches the sweep only standing alone (:func:`sweep_pattern`), so
    each of its maximal runs of letters and digits is a whole run of the text
    there: the lookbehind and lookahead close the runs at its ends, its own
    other characters the runs inside. Indexed by its longest run, a secret is a
    candidate only when the text has that run. Checking hundreds of secrets
    with ``in``, each a pass over the text, cost more than the rest of a scrub.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._keyed: dict[bytes, list[str]] = {}
        self._keys: set[bytes] = set()  # of _keyed: set & set loops over the smaller
        self._unkeyed: list[str] = []  # no letter or digit at all: checked with ``in``
        self._seen: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, secret: str) -> None:
        if secret in self._seen:
            return
        self._seen.add(secret)
        runs = _ALNUM_RUN.findall(secret)
        if runs:
            key = max(runs, key=len).encode("ascii")
            self._keyed.setdefault(key, []).append(secret)
            self._keys.add(key)
        else:
            self._unkeyed.append(secret)

    def present(self, text: str) -> list[str]:
        """The secrets that occur in ``text``, at least every one that stands alone there."""
        found = [s for s in self._unkeyed if s in text]
        if self._keys:
            for key in alnum_runs(text) & self._keys:
                found += [s for s in self._keyed[key] if s in text]
        return found


_PATH_WORD = re.compile(r"\A[a-z][a-z-]{2,}\Z")


def secret_parts(candidate: str) -> list[str]:
    """The parts of a token candidate to replace: the whole candidate, or in a path
    (``role/<token>``, ``jobs/<token>/run``: one part is a lowercase word) only the
    parts that look secret, so the path keeps its shape."""
    return list(_secret_parts(candidate))


@functools.lru_cache(maxsize=8192)  # the same ARN paths and ids, body after body
def _secret_parts(candidate: str) -> tuple[str, ...]:
    parts = candidate.split("/")
    if len(parts) > 1 and any(_PATH_WORD.match(part) for part in parts):
        return tuple(part for part in parts if len(part) >= 16 and looks_secret(part))
    return (candidate,) if looks_secret(candidate) else ()


@functools.lru_cache(maxsize=8192)
def _derive(kind: str, original: str, salt: str) -> bytes:
    # scrypt makes each guess cost ~16 MiB and tens of milliseconds: brute-forcing the
    # 10^12 possible account ids (or a staff list of e-mails) is out of reach, unlike
    # a plain salted hash under a salt that may be the public default.
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


@functools.lru_cache(maxsize=1024)  # each request's Authorization header names one
def pseudonym_access_key_id(original: str, salt: str = DEFAULT_SALT) -> str:
    """Same prefix (AKIA/ASIA…) and length as the original, other characters derived."""
    digest = _derive("access-key-id", original, salt)
    body = base64.b32encode(digest).decode("ascii")[: len(original) - 4]
    return original[:4] + body


def pseudonym_email(original: str, salt: str = DEFAULT_SALT) -> str:
    """``user-<hex>@example.com``, as long as the original where it can be, so a field
    near its length limit stays within it; still an e-mail and a valid role session name."""
    digest = _derive("email", original.lower(), salt).hex()
    length = len(original)
    if length >= len("user-123@example.com"):
        return f"user-{digest[: length - 17]}@example.com"
    # Short addresses: hex at a reserved test domain (RFC 2606), never shorter than 8.
    return f"{digest[: max(1, length - 7)]}@x.test"


def pseudonym_bucket(original: str, salt: str = DEFAULT_SALT) -> str:
    """A valid S3 bucket name (lowercase, 3 to 63 characters) as long as the original:
    ``bucket-<hex>``, or plain hex for names shorter than 10."""
    digest = _derive("s3-bucket", original, salt).hex()
    length = len(original)
    return f"bucket-{digest[: length - 7]}" if length >= 10 else digest[:length]


def redacted(original: str, salt: str = DEFAULT_SALT, limit: int | None = None) -> str:
    """``REDACTED-<hmac8>``: the same value always redacts the same way (stable diffs).

    HMAC, not scrypt: the value is gone, and these are free-form strings that
    nobody can enumerate; the hash only keeps equal values equal.
    """
    digest = hmac.new(salt.encode(), original.encode(), hashlib.sha256).hexdigest()
    value = f"REDACTED-{digest[:8]}"
    return value[:limit] if limit is not None and len(value) > limit else value
