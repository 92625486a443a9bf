"""A generated corpus of emr-containers traffic with planted secrets, and the checks run on it.

Payloads (the StartJobRun request, the StartJobRun and DescribeJobRun responses)
are built by walking botocore's emr-containers shapes: no field list is kept
here. Every string the model allows to carry one gets one or more planted
secrets, each recorded as a :class:`Plant` so planted and surviving secrets can
be counted by kind. A local HTTP server on 127.0.0.1 answers the calls with the
generated bodies; :func:`run_example` records them with ``replay_jobrun.record``,
then checks the written file (no planted secret in any encoding, every string
still within its shape's pattern and length) and replays it.

Shared by ``tests/property/test_scrub_corpus.py`` and ``tools/scrub_corpus.py``.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import gzip
import json
import random
import re
import string
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import yaml
from hypothesis import strategies as st

from replay_jobrun import model
from replay_jobrun.drift.fingerprint import always_returned

REGION = "us-east-1"

# --- kinds of planted secrets ------------------------------------------------------

ARN_ACCOUNT = "account id in ARN"
BARE_ACCOUNT = "account id, bare"
ACCESS_KEY = "access key id"
CLIENT_KEY = "client access key id"
SESSION_TOKEN = "client session token"
TOKEN = "secret token"
EMAIL = "e-mail address"
BUCKET = "S3 bucket name"
TAG_VALUE = "tag value"
SENSITIVE = "sensitive value"
KINDS = (
    ARN_ACCOUNT,
    BARE_ACCOUNT,
    ACCESS_KEY,
    CLIENT_KEY,
    SESSION_TOKEN,
    TOKEN,
    EMAIL,
    BUCKET,
    TAG_VALUE,
    SENSITIVE,
)
# What can be embedded in a string; tag and sensitive values are whole strings, chosen by the model.
FRAGMENT_KINDS = (
    ARN_ACCOUNT,
    BARE_ACCOUNT,
    ACCESS_KEY,
    TOKEN,
    EMAIL,
    BUCKET,
    SESSION_TOKEN,
    SENSITIVE,
)
HEADER_KINDS = (ARN_ACCOUNT, BARE_ACCOUNT, ACCESS_KEY, TOKEN, EMAIL, BUCKET)

PARTITIONS: dict[str, tuple[str, ...]] = {
    "aws": ("us-east-1", "eu-west-1", "ap-southeast-2"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
    "aws-iso": ("us-iso-east-1",),
    "aws-iso-b": ("us-isob-east-1",),
}

LOWER36 = string.ascii_lowercase + string.digits
UPPER36 = string.ascii_uppercase + string.digits
BASE62 = string.ascii_letters + string.digits
SECRET_KEY_ALPHABET = BASE62 + "/+"

PLAIN_WORDS = (
    "spark",
    "job",
    "driver",
    "executor",
    "etl",
    "nightly",
    "run",
    "batch",
    "stage",
    "output",
    "logs",
    "prod",
    "team",
    "report",
)
# Punctuation, quotes, backslashes and non-ASCII exercise JSON and YAML escaping around secrets.
RICH_WORDS = (
    *PLAIN_WORDS,
    "--conf",
    "spark.executor.instances=2",
    "spark.driver.memory=4g",
    "exit-code:1",
    "Failed.",
    "(retrying)",
    "naïve",
    "Größe",
    "東京",
    "50%",
    "a&b",
    "<none>",
    "C:\\tmp",
    'say "hi"',
)
ROLE_NAMES = ("EMRContainers-JobExecutionRole", "spark-jobs", "DataPlatformAdmin", "emr_eks.runner")
FIRST_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
TLDS = ("example", "com", "io", "co.uk", "dev")
BUCKET_WORDS = (
    "analytics",
    "spark",
    "emr",
    "logs",
    "artifacts",
    "data",
    "scripts",
    "raw",
    "curated",
)
DECORATIONS = (
    ("", ""),
    ("<", ">"),
    ("(", ")"),
    ('"', '"'),
    ("'", "'"),
    ("=", ""),
    ("", ","),
    ("", "."),
    (":", ""),
)
MAX_DEPTH = 7


@dataclass(frozen=True)
class Plant:
    """One secret put somewhere in the traffic."""

    kind: str
    value: str
    where: str
    detail: str = ""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str


@dataclass(frozen=True)
class Pool:
    """Fresh secret material of one example; strings reuse it, as real payloads do."""

    credentials: Credentials
    accounts: tuple[str, ...]
    access_keys: tuple[str, ...]
    tokens: tuple[str, ...]
    emails: tuple[str, ...]
    buckets: tuple[str, ...]


@dataclass(frozen=True)
class QueuedResponse:
    operation: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class PlannedCall:
    operation: str
    method: str  # the botocore client method
    params: dict[str, Any]


@dataclass
class Example:
    """One cassette's worth of traffic: the calls, the server's answers, what was planted."""

    credentials: Credentials
    calls: list[PlannedCall]
    responses: list[QueuedResponse]
    plants: list[Plant]


# --- Java-style model patterns ------------------------------------------------------


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    # botocore's patterns are Java regexes; the emr-containers ones are valid Python too
    # (\uXXXX escapes included). re.ASCII gives \w, \d, \s Java's ASCII meaning.
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None


def pattern_of(shape: Any) -> re.Pattern[str] | None:
    pattern = shape.metadata.get("pattern")
    return _compiled(pattern) if pattern else None


def fits(shape: Any, value: str) -> bool:
    """Whether a string satisfies its shape's length limits, enum and (whole-string) pattern."""
    metadata = shape.metadata
    if "enum" in metadata:
        return value in metadata["enum"]
    if len(value) < metadata.get("min", 0):
        return False
    if "max" in metadata and len(value) > metadata["max"]:
        return False
    pattern = pattern_of(shape)
    # Whole-string match: the stricter reading, and the one every generated value meets.
    return pattern is None or pattern.fullmatch(value) is not None


@functools.cache
def _separator(pattern: str | None) -> str | None:
    compiled = _compiled(pattern) if pattern else None
    for sep in (" ", "-", "_", "/", "."):
        if compiled is None or compiled.fullmatch(f"job{sep}run"):
            return sep
    return None


def separator(shape: Any) -> str | None:
    """How words join in this shape's strings; None if it allows no multi-word value."""
    return _separator(shape.metadata.get("pattern"))


# --- secret material ----------------------------------------------------------------


def _rand(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def account_id(rng: random.Random) -> str:
    return f"{rng.randrange(10**12):012d}"


def access_key_id(rng: random.Random) -> str:
    return rng.choice(("AKIA", "ASIA")) + _rand(rng, UPPER36, 16)


def secret_access_key(rng: random.Random) -> str:
    return _rand(rng, SECRET_KEY_ALPHABET, 40)


def api_token(rng: random.Random) -> str:
    while True:  # looks random: upper, lower and digits all present
        token = _rand(rng, BASE62, rng.randint(32, 48))
        if all(
            any(c in group for c in token)
            for group in (string.ascii_uppercase, string.ascii_lowercase, string.digits)
        ):
            return token


def session_token(rng: random.Random) -> str:
    # STS tokens are base64 starting "IQoJb3JpZ2lu"; kept short enough to fit 256-char strings.
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(rng.randbytes(rng.randint(48, 180))).decode()


def email_address(rng: random.Random) -> str:
    first = rng.choice(FIRST_NAMES)
    local = rng.choice(
        (
            f"{first}.{_rand(rng, LOWER36, 4)}",
            f"{first}{_rand(rng, string.digits, 3)}",
            f"{first}+{rng.choice(PLAIN_WORDS)}{_rand(rng, LOWER36, 2)}",
        )
    )
    if rng.random() < 0.25:
        local = local.capitalize()
    domain = f"{rng.choice(('corp', 'mail', 'team'))}-{_rand(rng, string.ascii_lowercase, 5)}"
    return f"{local}@{domain}.{rng.choice(TLDS)}"


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def valid_bucket(name: str) -> bool:
    """S3's general purpose bucket naming rules."""
    return (
        _BUCKET.fullmatch(name) is not None
        and ".." not in name
        and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
        and not name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )


def bucket_name(rng: random.Random, account: str | None = None) -> str:
    first, last = rng.choice(BUCKET_WORDS), rng.choice(BUCKET_WORDS)
    if account is not None:  # an account id glued in, as teams name buckets
        name = rng.choice((f"{first}-{account}-{last}", f"{first}-{account}", f"{account}-{last}"))
    else:
        sep = rng.choice("-.")
        name = f"{first}{sep}{_rand(rng, LOWER36, 8)}{sep}{last}"
    assert valid_bucket(name), name
    return name


def s3_key(rng: random.Random) -> str:
    word = rng.choice(PLAIN_WORDS)
    return rng.choice(
        (
            f"scripts/{word}_{_rand(rng, LOWER36, 4)}.py",
            f"{word}/",
            f"{word}/2026/part-0000.parquet",
            "",
        )
    )


def make_pool(draw: Callable[[Any], Any], rng: random.Random) -> Pool:
    credentials = Credentials(access_key_id(rng), secret_access_key(rng), session_token(rng))
    # Small pools: each distinct account id and access key id costs the scrubber one scrypt.
    tokens = [credentials.secret_access_key]
    tokens += [
        rng.choice((secret_access_key, api_token))(rng) for _ in range(draw(st.integers(1, 2)))
    ]
    return Pool(
        credentials=credentials,
        accounts=tuple(account_id(rng) for _ in range(draw(st.integers(1, 3)))),
        access_keys=tuple(access_key_id(rng) for _ in range(draw(st.integers(1, 2)))),
        tokens=tuple(tokens),
        emails=tuple(email_address(rng) for _ in range(draw(st.integers(1, 2)))),
        buckets=tuple(bucket_name(rng) for _ in range(draw(st.integers(1, 2)))),
    )


# --- ARNs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArnParts:
    partition: str
    region: str
    account: str
    role: str
    session: str
    virtual_cluster: str
    job_run: str
    key_id: str
    name: str


# Which of these an ARN-shaped member takes is decided by its model pattern (see arn_templates).
ARN_TEMPLATES: dict[str, Callable[[ArnParts], str]] = {
    "iam-role": lambda p: f"arn:{p.partition}:iam::{p.account}:role/{p.role}",
    "iam-role-path": lambda p: f"arn:{p.partition}:iam::{p.account}:role/service-role/{p.role}",
    "iam-user": lambda p: f"arn:{p.partition}:iam::{p.account}:user/{p.name}",
    "sts-assumed-role": lambda p: (
        f"arn:{p.partition}:sts::{p.account}:assumed-role/{p.role}/{p.session}"
    ),
    "kms-key": lambda p: f"arn:{p.partition}:kms:{p.region}:{p.account}:key/{p.key_id}",
    "emr-job-run": lambda p: (
        f"arn:{p.partition}:emr-containers:{p.region}:{p.account}:"
        f"/virtualclusters/{p.virtual_cluster}/jobruns/{p.job_run}"
    ),
    "emr-virtual-cluster": lambda p: (
        f"arn:{p.partition}:emr-containers:{p.region}:{p.account}:/virtualclusters/{p.virtual_cluster}"
    ),
    "log-group": lambda p: (
        f"arn:{p.partition}:logs:{p.region}:{p.account}:log-group:/aws/emr-containers/{p.name}:*"
    ),
    "secret": lambda p: f"arn:{p.partition}:secretsmanager:{p.region}:{p.account}:secret:{p.name}",
}
_PROBE = ArnParts(
    "aws",
    "us-east-1",
    "123456789012",
    "Role",
    "session",
    "a" * 25,
    "b" * 19,
    str(uuid.UUID(int=0)),
    "n",
)


def is_arn_shape(shape: Any) -> bool:
    return "arn:" in (shape.metadata.get("pattern") or "")


@functools.cache
def _arn_templates(pattern: str, low: int, high: int) -> tuple[str, ...]:
    compiled = _compiled(pattern)
    names = []
    for name, template in ARN_TEMPLATES.items():
        probes = [
            template(replace(_PROBE, partition=partition, region=regions[0]))
            for partition, regions in PARTITIONS.items()
        ]
        if all(
            low <= len(p) <= high and (compiled is None or compiled.fullmatch(p)) for p in probes
        ):
            names.append(name)
    return tuple(names)


def arn_templates(shape: Any) -> tuple[str, ...]:
    """Names of the ARN templates whose ARNs satisfy this shape, in every partition."""
    metadata = shape.metadata
    return _arn_templates(metadata["pattern"], metadata.get("min", 0), metadata.get("max", 10**6))


# --- building payloads from shapes ----------------------------------------------------


class Builder:
    """Walks botocore shapes into payloads, planting secrets in every string that can take one.

    ``ids`` are fixed values for members that travel in the URI (plain ids: a secret
    there would be a different request path, not a scrubbing question).
    """

    def __init__(
        self, draw: Callable[[Any], Any], rng: random.Random, pool: Pool, ids: dict[str, str]
    ) -> None:
        self.draw = draw
        self.rng = rng
        self.pool = pool
        self.ids = ids
        self.plants: list[Plant] = []
        self._side = "request"
        self._always: tuple[str, ...] = ()
        # Accounts seen inside ARNs and sensitive values, earlier in the cassette and in
        # the payload being built: a bare account id or an echoed sensitive value is only
        # planted where the scrubber can have learnt it.
        self._arn_accounts: dict[str, list[str]] = {"cassette": [], "payload": []}
        self._sensitive: dict[str, list[str]] = {"cassette": [], "payload": []}

    # -- entry points ------------------------------------------------------------------
    def payload(
        self, shape: Any, side: str, where: str, always: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """A request's params (side "request") or a response's JSON body (side "response");
        ``always``: top-level members it must hold besides the model's required ones."""
        self._side = side
        self._always = always
        self._arn_accounts["payload"] = []
        self._sensitive["payload"] = []
        value = self.value(shape, where, 0)
        for learnt in (self._arn_accounts, self._sensitive):
            learnt["cassette"] += [v for v in learnt["payload"] if v not in learnt["cassette"]]
        assert isinstance(value, dict)
        return value

    def response(self, operation: str, index: int) -> QueuedResponse:
        label = f"#{index} {operation} response"
        shape = model.service_model().operation_model(operation).output_shape
        # What replay holds every response to: DescribeJobRun's jobRun, for one.
        body = self.payload(shape, "response", f"{label} body", always_returned(operation))
        request_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
        if self.draw(st.booleans()):
            headers.append(("x-amz-meta-owner", self.header_value(f"{label} header")))
        text = json.dumps(body)
        if self.draw(st.booleans()):
            text = escape_json(text)
        raw = text.encode()
        if self.draw(st.booleans()):
            raw = gzip.compress(raw, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        return QueuedResponse(operation, 200, tuple(headers), raw)

    def header_value(self, where: str) -> str:
        for _ in range(3):
            made = self.fragment(self.draw(st.sampled_from(HEADER_KINDS)), where)
            if made is not None:
                text, plants = made
                self._accept(plants)
                return text
        address = self.draw(st.sampled_from(self.pool.emails))
        self._accept([Plant(EMAIL, address, where)])
        return address

    # -- the walk --------------------------------------------------------------------------
    def value(self, shape: Any, where: str, depth: int, name: str | None = None) -> Any:
        if name in self.ids:
            return self.ids[name]
        kind = shape.type_name
        if kind == "structure":
            out = {}
            for member_name, member in shape.members.items():
                required = member_name in shape.required_members or (
                    depth == 0 and member_name in self._always
                )
                if required or (depth < MAX_DEPTH and self.draw(st.booleans())):
                    out[member_name] = self.value(
                        member, f"{where}.{member_name}", depth + 1, member_name
                    )
            return out
        if kind == "list":
            return [
                self.value(shape.member, f"{where}[{i}]", depth + 1)
                for i in range(self._count(shape, depth))
            ]
        if kind == "map":
            return self._map(shape, where, depth)
        if kind == "string":
            return self.string(shape, where, SENSITIVE if shape.metadata.get("sensitive") else None)
        if kind == "timestamp":
            return self._timestamp()
        if kind in ("integer", "long"):
            metadata = shape.metadata
            return self.draw(st.integers(metadata.get("min", 0), metadata.get("max", 10**6)))
        if kind == "boolean":
            return self.draw(st.booleans())
        if kind in ("float", "double"):
            return self.draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
        if kind == "blob":
            raw = self.draw(st.binary(max_size=16))
            return raw if self._side == "request" else base64.b64encode(raw).decode()
        raise NotImplementedError(f"{where}: shape type {kind}")

    def _count(self, shape: Any, depth: int) -> int:
        low = shape.metadata.get("min", 0)
        high = min(shape.metadata.get("max", low + 3), low + 3) if depth < MAX_DEPTH else low
        return int(self.draw(st.integers(low, high)))

    def _map(self, shape: Any, where: str, depth: int) -> dict[str, Any]:
        if shape.name.endswith("TagMap"):
            whole: str | None = TAG_VALUE
        elif shape.metadata.get("sensitive"):
            whole = SENSITIVE
        else:
            whole = None
        out: dict[str, Any] = {}
        for _ in range(self._count(shape, depth)):
            key = self.string(shape.key, f"{where} key")
            if key in out:
                continue
            if shape.value.type_name == "string":
                if whole is None and shape.value.metadata.get("sensitive"):
                    whole = SENSITIVE
                out[key] = self.string(shape.value, f"{where}[{key!r}]", whole)
            else:
                out[key] = self.value(shape.value, f"{where}[{key!r}]", depth + 1)
        return out

    def _timestamp(self) -> Any:
        import datetime as dt

        moment = self.draw(st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31)))
        if self._side == "request":
            return moment.replace(tzinfo=dt.timezone.utc)
        style = self.draw(st.sampled_from(("iso", "iso-millis", "epoch", "epoch-float")))
        if style == "iso":
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == "iso-millis":
            return moment.isoformat(timespec="milliseconds") + "+00:00"
        epoch = moment.replace(tzinfo=dt.timezone.utc).timestamp()
        return int(epoch) if style == "epoch" else round(epoch, 3)

    # -- strings ---------------------------------------------------------------------------
    def string(self, shape: Any, where: str, whole: str | None = None) -> str:
        """A value satisfying the shape, with secrets planted where the shape allows them.

        ``whole``: the entire value is itself a secret of that kind (tag value, sensitive).
        """
        metadata = shape.metadata
        if "enum" in metadata:
            return str(self.draw(st.sampled_from(metadata["enum"])))
        if is_arn_shape(shape) and whole is None:
            arn = self._arn_member(shape, where)
            if arn is not None:
                return arn
        sep = separator(shape)
        pieces: list[str] = []
        pending: list[Plant] = []
        if sep is not None:
            for _ in range(self.draw(st.integers(0, 3))):
                pieces = self._with_word(shape, sep, pieces)
        for _ in range(self.draw(st.integers(1, 3))):
            made = self.fragment(self.draw(st.sampled_from(FRAGMENT_KINDS)), where)
            if made is None:
                continue
            text, plants = made
            before, after = self.draw(st.sampled_from(DECORATIONS))
            for candidate_text in (f"{before}{text}{after}", text):
                if sep is None:
                    if not pieces and fits(shape, candidate_text):
                        pieces, pending = [candidate_text], pending + plants
                        break
                    continue
                at = self.draw(st.integers(0, len(pieces)))
                candidate = [*pieces[:at], candidate_text, *pieces[at:]]
                if fits(shape, sep.join(candidate)):
                    pieces, pending = candidate, pending + plants
                    break
        if whole is not None and sep is not None:
            # A random word makes the value unique, so "absent from the file" means something.
            marker = _rand(self.rng, string.ascii_lowercase, 10)
            at = self.draw(st.integers(0, len(pieces)))
            candidate = [*pieces[:at], marker, *pieces[at:]]
            if fits(shape, sep.join(candidate)):
                pieces = candidate
        if not pieces:
            if sep is None:
                return self._from_regex(shape)
            pieces = self._with_word(shape, sep, pieces) or ["x"]
        value = sep.join(pieces) if sep is not None else pieces[0]
        if sep is not None:
            value = self._padded(shape, sep, value)
        assert fits(shape, value), f"generator bug: {where}: {value!r} does not fit {shape.name}"
        self._accept(pending)
        if whole is not None:
            self._accept([Plant(whole, value, where)])
        return value

    def _with_word(self, shape: Any, sep: str, pieces: list[str]) -> list[str]:
        for words in (RICH_WORDS, PLAIN_WORDS):
            candidate = [*pieces, self.draw(st.sampled_from(words))]
            if fits(shape, sep.join(candidate)):
                return candidate
        return pieces

    def _padded(self, shape: Any, sep: str, value: str) -> str:
        """Sometimes fill the value up to its max length: a longer replacement must not overflow."""
        high = shape.metadata.get("max")
        # 3, not 0: hypothesis favours 0, and padding every string would crowd out the rest.
        if high is None or high > 1024 or self.draw(st.integers(0, 4)) != 3:
            return value
        target = high - self.draw(st.integers(0, 3))
        while len(value) + len(sep) + 1 <= target:
            filler = "x" * min(8, target - len(value) - len(sep))
            if not fits(shape, value + sep + filler):
                break
            value += sep + filler
        return value

    def _from_regex(self, shape: Any) -> str:
        # Strings no secret fits (RotationSize, ids): any value the pattern allows.
        pattern = pattern_of(shape)
        assert pattern is not None, shape.name
        strategy = st.from_regex(pattern, fullmatch=True, alphabet=st.characters(codec="ascii"))
        return str(self.draw(strategy.filter(functools.partial(fits, shape))))

    def _arn_member(self, shape: Any, where: str) -> str | None:
        names = arn_templates(shape)
        if not names:
            return None
        # createdBy is the member that carries a role session name (often an e-mail).
        if "sts-assumed-role" in names and self.draw(st.booleans()):
            name = "sts-assumed-role"
        else:
            name = self.draw(st.sampled_from(names))
        for plain_session in (False, True):
            text, plants = self.arn(name, where, plain_session=plain_session)
            if fits(shape, text):
                self._accept(plants)
                return text
        return None

    def arn(
        self, template: str, where: str, plain_session: bool = False
    ) -> tuple[str, list[Plant]]:
        partition = self.draw(st.sampled_from(sorted(PARTITIONS)))
        account = self.draw(st.sampled_from(self.pool.accounts))
        plants = [Plant(ARN_ACCOUNT, account, where, partition)]
        session = f"botocore-session-{self.rng.randrange(10**10)}"
        if template == "sts-assumed-role" and not plain_session and self.draw(st.booleans()):
            session = self.draw(st.sampled_from(self.pool.emails))
            plants.append(Plant(EMAIL, session, where, "role session name"))
        parts = ArnParts(
            partition=partition,
            region=self.draw(st.sampled_from(PARTITIONS[partition])),
            account=account,
            role=self.draw(st.sampled_from(ROLE_NAMES)),
            session=session,
            virtual_cluster=self.ids.get("virtualClusterId", "vc"),
            job_run=self.ids.get("id", "jr"),
            key_id=str(uuid.UUID(int=self.rng.getrandbits(128))),
            name=f"{self.draw(st.sampled_from(PLAIN_WORDS))}-{_rand(self.rng, LOWER36, 6)}",
        )
        return ARN_TEMPLATES[template](parts), plants

    def fragment(self, kind: str, where: str) -> tuple[str, list[Plant]] | None:
        """Text carrying one secret of ``kind`` (and the plants it holds), or None if not here."""
        draw, rng, pool = self.draw, self.rng, self.pool
        if kind == ARN_ACCOUNT:
            text, plants = self.arn(draw(st.sampled_from(sorted(ARN_TEMPLATES))), where)
            if draw(st.booleans()):  # as in console links and tag-resource paths
                text = quote(text, safe="")
                plants = [replace(p, detail=f"{p.detail}, url-encoded") for p in plants]
            return text, plants
        if kind == BARE_ACCOUNT:
            eligible = self._eligible(self._arn_accounts)
            if not eligible:
                return None
            account = draw(st.sampled_from(eligible))
            style = draw(st.sampled_from(("plain", "bucket", "ecr")))
            if style == "plain":
                return account, [Plant(BARE_ACCOUNT, account, where)]
            if style == "bucket":
                name = bucket_name(rng, account)
                return f"s3://{name}/{s3_key(rng)}", [
                    Plant(BARE_ACCOUNT, account, where, "in a bucket name"),
                    Plant(BUCKET, name, where, "account id glued in"),
                ]
            image = f"{account}.dkr.ecr.{REGION}.amazonaws.com/spark/emr-6.15.0:latest"
            return image, [Plant(BARE_ACCOUNT, account, where, "ECR image")]
        if kind == ACCESS_KEY:
            key = draw(st.sampled_from(pool.access_keys))
            return key, [Plant(ACCESS_KEY, key, where)]
        if kind == TOKEN:
            token = draw(st.sampled_from(pool.tokens))
            detail = "client secret key" if token == pool.credentials.secret_access_key else ""
            return token, [Plant(TOKEN, token, where, detail)]
        if kind == EMAIL:
            address = draw(st.sampled_from(pool.emails))
            return address, [Plant(EMAIL, address, where)]
        if kind == BUCKET:
            name = draw(st.sampled_from(pool.buckets))
            return f"s3://{name}/{s3_key(rng)}", [Plant(BUCKET, name, where, "s3:// URI")]
        if kind == SESSION_TOKEN:
            if self._side != "response":
                return None  # replay cannot know it: live requests are not signed
            token = pool.credentials.session_token
            return token, [Plant(SESSION_TOKEN, token, where, "response body")]
        if kind == SENSITIVE:
            eligible = self._eligible(self._sensitive)
            if not eligible:
                return None
            value = draw(st.sampled_from(eligible))
            return value, [Plant(SENSITIVE, value, where, "echoed outside its member")]
        raise ValueError(kind)

    def _eligible(self, learnt: dict[str, list[str]]) -> list[str]:
        # A live request is scrubbed alone at replay: only what it holds itself can match.
        if self._side == "request":
            return list(learnt["payload"])
        return learnt["cassette"] + [v for v in learnt["payload"] if v not in learnt["cassette"]]

    def _accept(self, plants: Sequence[Plant]) -> None:
        for plant in plants:
            self.plants.append(plant)
            if plant.kind == ARN_ACCOUNT and plant.value not in self._arn_accounts["payload"]:
                self._arn_accounts["payload"].append(plant.value)
            if (
                plant.kind == SENSITIVE
                and not plant.detail
                and plant.value not in self._sensitive["payload"]
            ):
                self._sensitive["payload"].append(plant.value)


_JSON_ESCAPES = {
    "/": "\\/",
    "@": "\\u0040",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "=": "\\u003d",
}


def escape_json(text: str) -> str:
    """Same JSON, with characters escaped as some servers do (``\\/``, ``\\u0040``).

    These characters occur only inside JSON strings, so replacing them everywhere is safe.
    """
    return "".join(_JSON_ESCAPES.get(c, c) for c in text)


@st.composite
def examples(draw: Callable[[Any], Any]) -> Example:
    """A StartJobRun and one to three DescribeJobRun calls, with answers and planted secrets."""
    # Secret material comes from a PRNG: hypothesis' own strings would be "AAAA…", which no
    # detector of random-looking tokens should flag. Four small ints, not one big one:
    # hypothesis re-uses a drawn value across examples far less often that way.
    rng = random.Random(repr(draw(st.tuples(*[st.integers(0, 2**16 - 1)] * 4))))
    pool = make_pool(draw, rng)
    ids = {"virtualClusterId": _rand(rng, LOWER36, 25), "id": _rand(rng, LOWER36, 19)}
    builder = Builder(draw, rng, pool, ids)
    start_shape = model.service_model().operation_model("StartJobRun").input_shape
    params = builder.payload(start_shape, "request", "#0 StartJobRun request")
    calls = [PlannedCall("StartJobRun", "start_job_run", params)]
    responses = [builder.response("StartJobRun", 0)]
    for index in range(1, draw(st.integers(1, 3)) + 1):
        calls.append(PlannedCall("DescribeJobRun", "describe_job_run", dict(ids)))
        responses.append(builder.response("DescribeJobRun", index))
    credentials = pool.credentials
    plants = [
        Plant(CLIENT_KEY, credentials.access_key_id, "every request", "Authorization header"),
        Plant(SESSION_TOKEN, credentials.session_token, "every request", "X-Amz-Security-Token"),
        *builder.plants,
    ]
    return Example(credentials, calls, responses, plants)


# --- the local server -------------------------------------------------------------------


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True
    owner: QueueServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Httpd

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        queued = self.server.owner._next(self.command, self.path, body)
        if queued is None:
            # 400, not 5xx: botocore would retry a 5xx and eat the next example's answers.
            queued = QueuedResponse(
                "", 400, (("Content-Type", "application/json"),), b'{"message": "nothing queued"}'
            )
        self.send_response(queued.status)
        for name, value in queued.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(queued.body)))
        self.end_headers()
        self.wfile.write(queued.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no per-request lines on stderr


class QueueServer:
    """HTTP on 127.0.0.1 (free port) answering each request with the next queued response."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[QueuedResponse] = deque()
        self.received: list[tuple[str, str]] = []
        self._httpd = _Httpd(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="scrub-corpus-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> QueueServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def load(self, responses: Sequence[QueuedResponse]) -> None:
        with self._lock:
            self._queue = deque(responses)
            self.received = []

    def _next(self, method: str, path: str, body: bytes) -> QueuedResponse | None:
        with self._lock:
            self.received.append((method, path))
            return self._queue.popleft() if self._queue else None


# --- recording, checking, replaying --------------------------------------------------------


@functools.cache
def _botocore_session() -> Any:
    import botocore.session

    # One session for every client: a new one re-reads the endpoint data (~0.1 s a client).
    return botocore.session.get_session()


def make_client(credentials: Credentials) -> Any:
    """An emr-containers client signing with the example's own credentials."""
    return _botocore_session().create_client(
        "emr-containers",
        region_name=REGION,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


def _call_all(example: Example) -> list[dict[str, Any]]:
    client = make_client(example.credentials)
    try:
        return [
            getattr(client, call.method)(**copy.deepcopy(call.params)) for call in example.calls
        ]
    finally:
        client.close()


def secret_forms(secret: str) -> set[str]:
    """The secret as it could be written: plain, URL-, JSON-, base64-encoded (lowercased)."""
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        escape_json(json.dumps(secret)[1:-1]),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form.lower() for form in forms if form}


def _strings(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
        try:
            decoded = json.loads(value)
        except ValueError:
            return
        if not isinstance(decoded, str):
            _strings(decoded, into)
    elif isinstance(value, bytes):
        if value[:2] == b"\x1f\x8b":
            with contextlib.suppress(OSError):
                value = gzip.decompress(value)
        _strings(value.decode("utf-8", errors="replace"), into)
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(key, into)
            _strings(item, into)
    elif isinstance(value, list):
        for item in value:
            _strings(item, into)


_BINARY_BLOCK = re.compile(r"!!binary\s*\|?\s*\n?((?:[ \t]*[A-Za-z0-9+/=]+[ \t]*\n?)+)")


def file_views(text: str) -> str:
    """Everything the file says, decoded every way, lowercased and joined.

    The raw text; every YAML scalar (folded lines joined, escapes undone); every
    ``!!binary`` block decoded and gunzipped; every JSON body parsed and its keys
    and values unescaped; each of those also URL-decoded.
    """
    views = [text]
    # Not YAML: the raw text (and the !!binary blocks below) is all there is.
    with contextlib.suppress(yaml.YAMLError):
        _strings(yaml.load(text, Loader=yaml.SafeLoader), views)
    for match in _BINARY_BLOCK.finditer(text):
        try:
            _strings(base64.b64decode("".join(match.group(1).split())), views)
        except ValueError:
            continue
    decoded = [unquote(v) for v in views] + [unquote_plus(v) for v in views]
    return "\x00".join(views + decoded).lower()


def survivors(plants: Sequence[Plant], text: str) -> list[Plant]:
    """The plants whose secret is still in the file, in any of its forms."""
    haystack = file_views(text)
    found: dict[str, bool] = {}
    out = []
    for plant in plants:
        if plant.value not in found:
            found[plant.value] = any(form in haystack for form in secret_forms(plant.value))
        if found[plant.value]:
            out.append(plant)
    return out


def shape_violations(value: Any, shape: Any, where: str) -> list[str]:
    """Where a wire (JSON) value breaks its shape: string patterns, lengths, enums, members."""
    kind = shape.type_name
    if kind == "string":
        if isinstance(value, str) and fits(shape, value):
            return []
        limits = {
            k: shape.metadata[k] for k in ("min", "max", "pattern", "enum") if k in shape.metadata
        }
        return [f"{where}: {value!r} breaks {shape.name} {limits}"]
    if kind == "structure" and isinstance(value, dict):
        members = {
            m.serialization.get("name", n): m
            for n, m in shape.members.items()
            if not m.serialization.get("location")
        }
        out = []
        for key, item in value.items():
            if key not in members:
                out.append(f"{where}: unexpected member {key!r}")
            else:
                out += shape_violations(item, members[key], f"{where}.{key}")
        return out
    if kind == "list" and isinstance(value, list):
        return [
            v
            for i, item in enumerate(value)
            for v in shape_violations(item, shape.member, f"{where}[{i}]")
        ]
    if kind == "map" and isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += shape_violations(key, shape.key, f"{where} key")
            out += shape_violations(item, shape.value, f"{where}[{key!r}]")
        return out
    return []


def _body(value: Any) -> bytes:
    if isinstance(value, dict):
        value = value.get("string")
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    return value or b""


def body_violations(document: dict[str, Any]) -> list[str]:
    """Shape violations in every request and response body of a loaded cassette document."""
    operations = document["replay_jobrun"]["operations"]
    service = model.service_model()
    out = []
    for index, (operation, interaction) in enumerate(
        zip(operations, document["interactions"], strict=True)
    ):
        op = service.operation_model(operation)
        for side, shape, raw in (
            ("request", op.input_shape, interaction["request"]["body"]),
            ("response", op.output_shape, interaction["response"]["body"]),
        ):
            data = _body(raw)
            if data and shape is not None:
                out += shape_violations(json.loads(data), shape, f"#{index} {operation} {side}")
    return out


def parse_recorded(document: dict[str, Any]) -> list[dict[str, Any]]:
    """botocore's parse of each recorded response, straight from the file (no ResponseMetadata)."""
    from botocore.awsrequest import HeadersDict

    operations = document["replay_jobrun"]["operations"]
    parser = model.response_parser()
    out = []
    for operation, interaction in zip(operations, document["interactions"], strict=True):
        response = interaction["response"]
        headers = {name: ", ".join(values) for name, values in response["headers"].items()}
        parsed = parser.parse(
            {
                "headers": HeadersDict(headers),
                "status_code": response["status"]["code"],
                "body": _body(response["body"]),
            },
            model.service_model().operation_model(operation).output_shape,
        )
        parsed.pop("ResponseMetadata", None)
        out.append(parsed)
    return out


def skeleton(value: Any, shape: Any) -> Any:
    """A parsed value with free strings blanked: what scrubbing must leave as it was."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: skeleton(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if kind == "list" and isinstance(value, list):
        return [skeleton(v, shape.member) for v in value]
    if kind == "map":
        return "<map>"  # keys may carry secrets, so may change
    if kind == "string":
        return value if "enum" in shape.metadata else "<str>"
    return value


@dataclass
class Outcome:
    """What one example's checks found; empty lists mean it passed."""

    example: Example
    path: Path
    interactions: int = 0
    survivors: list[Plant] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    replay: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.survivors or self.violations or self.findings or self.replay or self.error)

    def describe(self) -> str:
        lines = [f"cassette {self.path}"]
        if self.error:
            lines.append(f"recording failed: {self.error}")
        lines += [
            f"survived: {p.kind} {p.value!r} at {p.where} {p.detail}".rstrip()
            for p in self.survivors
        ]
        lines += [f"pattern/length: {v}" for v in self.violations]
        lines += [f"scan_file: {f}" for f in self.findings]
        lines += [f"replay: {r}" for r in self.replay]
        return "\n".join(lines)


def run_example(example: Example, server: QueueServer, path: Path) -> Outcome:
    """Record the example over HTTP from ``server`` into ``path``, check the file, replay it."""
    from replay_jobrun.errors import ReplayJobrunError
    from replay_jobrun.record.recorder import record
    from replay_jobrun.replay.replayer import replay
    from replay_jobrun.scrub.scan import scan_file
    from replay_jobrun.scrub.scrubber import Scrubber

    outcome = Outcome(example, path)
    server.load(example.responses)
    try:
        with record(path, mode="all", endpoint_url=server.url, scrubber=Scrubber()):
            live = _call_all(example)
    except ReplayJobrunError as err:  # LeakError: the scrubber's own scan refused the file
        outcome.error = f"{type(err).__name__}: {err}"
        return outcome
    assert len(server.received) == len(example.calls), server.received
    text = path.read_text(encoding="utf-8")
    document = yaml.load(text, Loader=yaml.SafeLoader)
    outcome.interactions = len(document["interactions"])
    outcome.survivors = survivors(example.plants, text)
    outcome.violations = body_violations(document)
    outcome.findings = [str(f) for f in scan_file(path)]
    outcome.replay = _replay_problems(example, path, document, live, replay, ReplayJobrunError)
    return outcome


def _replay_problems(
    example: Example,
    path: Path,
    document: dict[str, Any],
    live: list[dict[str, Any]],
    replay: Callable[..., Any],
    error_type: type[Exception],
) -> list[str]:
    try:
        with replay(path) as session:
            replayed = _call_all(example)
            unused = session.unused()
    except error_type as err:
        return [f"{type(err).__name__}: {err}"]
    problems = [f"unused interactions: {[i for i, _ in unused]}"] if unused else []
    service = model.service_model()
    for index, (call, got, recorded, original) in enumerate(
        zip(example.calls, replayed, parse_recorded(document), live, strict=True)
    ):
        result = {k: v for k, v in got.items() if k != "ResponseMetadata"}
        if result != recorded:
            problems.append(f"#{index}: replayed {result!r} is not the recorded {recorded!r}")
        shape = service.operation_model(call.operation).output_shape
        if skeleton(result, shape) != skeleton(original, shape):
            problems.append(
                f"#{index}: replay lost non-secret content: {got!r} vs live {original!r}"
            )
    return problems
