"""Mutations of real cassettes: the damage a hand edit, a bad merge or a hostile pull request does.

Used by ``tests/property/test_fuzz_cassettes.py`` (bounded, in the suite) and
``tools/fuzz_cassettes.py`` (the long run). ``mutate(original, kind, rng)`` is a
pure function of the original bytes, the kind and the ``random.Random``: the same
seed gives the same file, so every failure is reproducible from (cassette, kind, seed).

Two levels of damage:

- text level (YAML and encoding damage), on the file's bytes: ``truncate``,
  ``flip_bytes``, ``insert_bytes``, ``non_utf8``, ``bad_state`` (a value outside
  the model's enum, edited in place), ``duplicate_keys``;
- structure level (semantic damage): the file is parsed with ``yaml.safe_load``,
  changed, and written again with ``yaml.safe_dump``: ``gzip_body``,
  ``retype_scalar``, ``delete_key``, ``add_key``, ``json_body``,
  ``unknown_operation``, ``malformed_uri``, ``alias_bomb``, ``anchors`` (shared
  nodes, which ``safe_dump`` writes as anchors and aliases), ``unknown_tag``;
- ``bad_path`` keeps the bytes and breaks the path instead (see ``PATH_VARIANTS``).

Values that ``safe_dump`` cannot write (a tag, an int past Python's 4,300-digit
limit) go in as a placeholder string replaced in the emitted text.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

# A file whose creation proves that a YAML tag ran code (the runner's cwd is the case folder).
CANARY = "fuzz-canary-executed"

# How ``bad_path`` breaks the path (the runner builds it; the bytes are the original's).
PATH_VARIANTS = ("long-name", "symlink-loop", "nul-in-name", "directory")


@dataclass(frozen=True)
class Mutant:
    """One mutated cassette: the bytes to write, and what was done to them."""

    kind: str
    detail: str
    data: bytes
    path_variant: str | None = None


# --- YAML in and out -----------------------------------------------------------


# libyaml when available: the engine parses and re-emits thousands of cassettes a run.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_SafeDumper):  # type: ignore[misc]
    """safe_dump, with multi-line strings as block literals: reproducers stay readable."""


def _represent_str(dumper: Any, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


class _Raw:
    """A value written into the emitted YAML as given (a tag, a huge int)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _load(original: bytes) -> Any:
    return yaml.load(original.decode("utf-8"), Loader=_SafeLoader)


def _dump(doc: Any) -> bytes:
    raws: list[str] = []

    def swap(node: Any) -> Any:  # placeholders for _Raw values, without walking shared nodes twice
        seen: dict[int, Any] = {}

        def walk(value: Any) -> Any:
            if isinstance(value, _Raw):
                raws.append(value.text)
                return f"FUZZRAW{len(raws) - 1}X"
            if isinstance(value, (dict, list)):
                if id(value) in seen:
                    return seen[id(value)]
                if isinstance(value, dict):
                    out: Any = {}
                    seen[id(value)] = out
                    out.update({k: walk(v) for k, v in value.items()})
                else:
                    out = []
                    seen[id(value)] = out
                    out.extend(walk(v) for v in value)
                return out
            return value

        return walk(node)

    text = yaml.dump(
        swap(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, indent=2
    )
    for index, raw in enumerate(raws):
        text = text.replace(f"FUZZRAW{index}X", raw, 1)
    return text.encode("utf-8")


# --- places in a cassette --------------------------------------------------------


def _interactions(doc: Any) -> list[dict[str, Any]]:
    found = doc.get("interactions") if isinstance(doc, dict) else None
    return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []


def levels(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """The mappings of a cassette that keys are deleted from or added to, with their path
    (``""`` for the top level; see :func:`resolve`)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(doc, dict):
        out.append(("", doc))
        if isinstance(doc.get("replay_jobrun"), dict):
            out.append(("replay_jobrun", doc["replay_jobrun"]))
    for index, interaction in enumerate(_interactions(doc)):
        out.append((f"interactions[{index}]", interaction))
        for part in ("request", "response"):
            node = interaction.get(part)
            if not isinstance(node, dict):
                continue
            out.append((f"interactions[{index}].{part}", node))
            for sub in ("status", "headers", "body"):
                if isinstance(node.get(sub), dict):
                    out.append((f"interactions[{index}].{part}.{sub}", node[sub]))
    return out


def join(label: str, key: Any) -> str:
    """The path of ``key`` under the node at ``label``."""
    if isinstance(key, int):
        return f"{label}[{key}]"
    return f"{label}.{key}" if label else str(key)


_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def resolve(doc: Any, label: str) -> Any:
    """The node at a path such as ``interactions[0].response.status.code``."""
    node = doc
    for index, key in _STEP.findall(label):
        node = node[int(index)] if index else node[key]
    return node


def split(label: str) -> tuple[str, Any]:
    """(parent path, key) of a path."""
    steps = _STEP.findall(label)
    index, key = steps[-1]
    parent = label[: len(label) - (len(index) + 2 if index else len(key))].rstrip(".")
    return parent, int(index) if index else key


def _positions(node: Any, label: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every (label, container, key) of the document, containers before what they hold."""
    items: Any
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        sub = join(label, key)
        yield sub, node, key
        yield from _positions(value, sub)


# Where wrong values hurt most: what the loader, the matcher and the parser read first.
HOT_SPOTS = (
    "version",
    "interactions",
    "replay_jobrun",
    "replay_jobrun.operations",
    "replay_jobrun.region",
    "replay_jobrun.pseudonyms",
    "interactions[0]",
    "interactions[0].request",
    "interactions[0].request.method",
    "interactions[0].request.uri",
    "interactions[0].request.headers",
    "interactions[0].request.body",
    "interactions[0].response",
    "interactions[0].response.status",
    "interactions[0].response.status.code",
    "interactions[0].response.status.message",
    "interactions[0].response.headers",
    "interactions[0].response.body",
    "interactions[0].response.body.string",
)


def _pick_position(doc: Any, rng: random.Random) -> tuple[str, Any, Any]:
    """A third of the time a hot spot (status.code, request.uri, ...), a third a key of a
    named level, else any node of the document."""
    draw = rng.random()
    if draw < 1 / 3:
        interactions = _interactions(doc)
        spot = rng.choice(HOT_SPOTS).replace("[0]", f"[{rng.randrange(max(1, len(interactions)))}]")
        with contextlib.suppress(KeyError, IndexError, TypeError):
            parent, key = split(spot)
            container = resolve(doc, parent)
            if key in container if isinstance(container, dict) else key < len(container):
                return spot, container, key
    if draw < 2 / 3:
        candidates = [(label, node) for label, node in levels(doc) if node]
        if candidates:
            label, node = rng.choice(candidates)
            key = rng.choice(list(node))
            return join(label, key), node, key
    return rng.choice(list(_positions(doc)))


def _response_bodies(doc: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, response) of each interaction whose response body is a non-empty string."""
    out = []
    for index, interaction in enumerate(_interactions(doc)):
        response = interaction.get("response")
        if not isinstance(response, dict):
            continue
        body = response.get("body")
        text = body.get("string") if isinstance(body, dict) else body
        if isinstance(text, str) and text.strip():
            out.append((index, response))
    return out


def _body_text(response: dict[str, Any]) -> str:
    body = response["body"]
    return str(body["string"] if isinstance(body, dict) else body)


def _set_body(response: dict[str, Any], value: Any) -> None:
    if isinstance(response.get("body"), dict):
        response["body"]["string"] = value
    else:
        response["body"] = {"string": value}


# --- the palette of wrong values ----------------------------------------------------


def wrong_value(rng: random.Random) -> tuple[str, Any]:
    """A value of some other type, with a short description."""
    choices: list[tuple[str, Callable[[], Any]]] = [
        (".inf", lambda: float("inf")),
        ("-.inf", lambda: float("-inf")),
        (".nan", lambda: float("nan")),
        ("-1", lambda: -1),
        ("0", lambda: 0),
        ("2**64", lambda: 2**64),
        ("an int of 5,000 digits", lambda: _Raw("1" * 5000)),
        ("a list", lambda: [1, "two", None]),
        ("{}", dict),
        ("a nested mapping", lambda: {"nested": {"x": 1}}),
        ("null", lambda: None),
        ("true", lambda: True),
        ("''", str),
        ("a 1,000,000-character string", lambda: "x" * 1_000_000),
        ("a 100,000-character string", lambda: "y" * 100_000),
        ("!!binary bytes", lambda: b"\x00\xff\xfebinary"),
        ("1.5", lambda: 1.5),
        ("control characters", lambda: "\x00\x07\x1b[31m"),
        ("a date", lambda: _Raw("2026-01-01")),
    ]
    name, make = rng.choice(choices)
    return name, make()


# --- text-level kinds -------------------------------------------------------------


def _truncate(original: bytes, rng: random.Random) -> Mutant:
    cut = rng.randrange(0, len(original))
    return Mutant("truncate", f"truncated at byte {cut} of {len(original)}", original[:cut])


def _flip_bytes(original: bytes, rng: random.Random) -> Mutant:
    data = bytearray(original)
    flips = []
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data))
        bit = 1 << rng.randrange(8)
        data[at] ^= bit
        flips.append(f"{at}^{bit:#04x}")
    return Mutant("flip_bytes", f"flipped bits at {', '.join(flips)}", bytes(data))


_INSERTS = (
    b"\x00",
    b"\xff",
    b"\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\r",
    b"\t",
    b"\x1b[31m",
    b"\xe2\x80\xa8",
    b"\x85",
    b"\n",
    b": ",
    b"- ",
    b"'",
    b'"',
    b"&x ",
    b"*x ",
    b"!",
    b"%",
    b"{",
    b"]",
)


def _insert_bytes(original: bytes, rng: random.Random) -> Mutant:
    data = bytearray(original)
    inserts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.3:
            chunk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            chunk = rng.choice(_INSERTS)
        at = rng.randrange(len(data) + 1)
        data[at:at] = chunk
        inserts.append(f"{chunk!r}@{at}")
    return Mutant("insert_bytes", f"inserted {', '.join(inserts)}", bytes(data))


_NOT_UTF8 = (b"\xff", b"\xc3\x28", b"\x80", b"\xed\xa0\x80", b"caf\xe9", b"\xf8\x88\x80\x80\x80")


def _non_utf8(original: bytes, rng: random.Random) -> Mutant:
    """One invalid UTF-8 sequence inside a scalar: the YAML stays well-formed, the text does not."""
    lines = original.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if re.search(rb"[\w\"']\s*$", line)]
    index = rng.choice(candidates)
    line = lines[index]
    at = rng.randrange(len(line) - len(line.lstrip()) + 1, len(line) + 1)
    chunk = rng.choice(_NOT_UTF8)
    lines[index] = line[:at] + chunk + line[at:]
    return Mutant("non_utf8", f"{chunk!r} inserted in line {index + 1}", b"\n".join(lines))


_ENUM_FIELD = re.compile(rb'"(state|persistentAppUI|failureReason|type)": "([A-Za-z_]+)"')
_NOT_IN_ENUM = ("DONE", "completed", "", "RUNNING ", "\u00c9TAT", "Z" * 1000)


def _bad_state(original: bytes, rng: random.Random) -> Mutant:
    """A value the model's enum lacks, edited into the JSON body text in place."""
    value = rng.choice(_NOT_IN_ENUM)
    matches = list(_ENUM_FIELD.finditer(original))
    if not matches:  # no enum field recorded: plant a state in the first JSON object
        doc = _load(original)
        _, response = _response_bodies(doc)[0]
        _set_body(response, json.dumps({"state": value, "body": _body_text(response)}))
        return Mutant("bad_state", f"state {value!r} planted in a body", _dump(doc))
    match = rng.choice(matches)
    field = match.group(1).decode()
    new = json.dumps(value, ensure_ascii=False).encode("utf-8")
    data = original[: match.start(2) - 1] + new + original[match.end(2) + 1 :]
    return Mutant(
        "bad_state",
        f'"{field}": "{match.group(2).decode()}" -> {value[:20]!r} at byte {match.start()}',
        data,
    )


_KEY_LINE = re.compile(rb"^( *)(?:- )?([A-Za-z_][\w-]*): (\S.*)$", re.MULTILINE)


def _duplicate_keys(original: bytes, rng: random.Random) -> Mutant:
    variant = rng.choice(["scalar key", "interactions", "replay_jobrun", "version"])
    if variant == "interactions":
        data = original.rstrip(b"\n") + b"\ninteractions: []\n"
    elif variant == "replay_jobrun":
        data = original.rstrip(b"\n") + b"\nreplay_jobrun: {operations: [ListJobRuns], format: 1}\n"
    elif variant == "version":
        data = original.rstrip(b"\n") + b"\nversion: 2\n"
    else:
        match = rng.choice(list(_KEY_LINE.finditer(original)))
        indent = match.group(1) + (
            b"  " if original[match.start(2) - 2 : match.start(2)] == b"- " else b""
        )
        value = rng.choice([b"500", b"POST", b"''", b"null", b"[]", b"other", match.group(3)])
        line = indent + match.group(2) + b": " + value
        data = original[: match.end()] + b"\n" + line + original[match.end() :]
        variant = f"{match.group(2).decode()} (line at byte {match.start()}) repeated as {value.decode()!r}"
    return Mutant("duplicate_keys", f"duplicate {variant}", data)


# --- structure-level kinds ----------------------------------------------------------


_GZIP_VARIANTS = (
    "truncated",
    "flipped",
    "no-trailer",
    "garbage",
    "bad-crc",
    "trailing-junk",
    "intact",
)


def gzip_variant(compressed: bytes, variant: str, rng: random.Random) -> bytes:
    """A gzip stream damaged as ``variant`` says (``intact`` leaves it valid)."""
    if variant == "truncated":
        return compressed[: rng.randrange(2, len(compressed) - 8)]
    if variant == "flipped":
        data = bytearray(compressed)
        data[rng.randrange(10, len(data) - 8)] ^= 1 << rng.randrange(8)
        return bytes(data)
    if variant == "no-trailer":
        return compressed[:-8]
    if variant == "garbage":
        return b"\x1f\x8b" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    if variant == "bad-crc":
        return compressed[:-8] + bytes(b ^ 0xFF for b in compressed[-8:-4]) + compressed[-4:]
    if variant == "trailing-junk":
        return compressed + b"junk"
    return compressed


def _gzip_body(original: bytes, rng: random.Random) -> Mutant:
    """A response body stored gzip-compressed (Content-Encoding: gzip, !!binary), then damaged."""
    doc = _load(original)
    index, response = rng.choice(_response_bodies(doc))
    variant = rng.choice(_GZIP_VARIANTS)
    compressed = gzip.compress(_body_text(response).encode("utf-8"), mtime=0)
    _set_body(response, gzip_variant(compressed, variant, rng))
    headers = response.get("headers")
    if not isinstance(headers, dict):
        headers = response["headers"] = {}
    headers["Content-Encoding"] = ["gzip"]
    return Mutant("gzip_body", f"interactions[{index}] body gzip, {variant}", _dump(doc))


def _retype_scalar(original: bytes, rng: random.Random) -> Mutant:
    doc = _load(original)
    label, container, key = _pick_position(doc, rng)
    old = container[key]
    name, value = wrong_value(rng)
    while type(value) is type(old) and value == old:  # {} for {}, null for null: no damage
        name, value = wrong_value(rng)
    container[key] = value
    return Mutant("retype_scalar", f"{label} = {name}", _dump(doc))


def _delete_key(original: bytes, rng: random.Random) -> Mutant:
    doc = _load(original)
    label, node = rng.choice([(label, node) for label, node in levels(doc) if node])
    key = rng.choice(list(node))
    del node[key]
    return Mutant("delete_key", f"deleted {join(label, key)}", _dump(doc))


_NEW_KEYS = ("url", "extra", "string", "code", "encoding", "recorded_with", "Content-Encoding", "0")


def _add_key(original: bytes, rng: random.Random) -> Mutant:
    doc = _load(original)
    label, node = rng.choice(levels(doc))
    key = rng.choice([k for k in _NEW_KEYS if k not in node] or ["fuzz"])
    name, value = ("a URL", "https://example.com/x") if rng.random() < 0.3 else wrong_value(rng)
    node[key] = value
    return Mutant("add_key", f"added {join(label, key)} = {name}", _dump(doc))


def _nested(depth: int, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


_JSON_WRONG = ("[]", '"text"', "42", "null", '{"jobRun": "x"}', '{"jobRun": []}', "Infinity")
_NOT_JSON = (
    "<html><body>502 Bad Gateway</body></html>",
    "",
    "   ",
    "\ufeff{}",
    "{} trailing",
    '{"a": 1, "a": 2}',
)


def _json_leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*path, key)
            yield from _json_leaf_paths(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield (*path, index)
            yield from _json_leaf_paths(sub, (*path, index))


def _json_body(original: bytes, rng: random.Random) -> Mutant:
    """A JSON body with a missing comma, nested thousands deep, of the wrong type, or not JSON."""
    doc = _load(original)
    index, response = rng.choice(_response_bodies(doc))
    text = _body_text(response)
    variant = rng.choice(
        ["missing-comma", "deep", "wrong-type", "wrong-field-type", "body {}", "not-json", "cut"]
    )
    detail = variant
    if variant == "missing-comma":
        commas = [m.start() for m in re.finditer(",", text)] or [text.rindex("}")]
        at = rng.choice(commas)
        _set_body(response, text[:at] + text[at + 1 :])
        detail = f"missing comma at char {at}"
    elif variant == "deep":
        depth = rng.choice([1_000, 5_000, 50_000])
        parsed = json.loads(text)
        key = rng.choice(list(parsed)) if isinstance(parsed, dict) and parsed else "jobRun"
        placeholder = "FUZZDEEP"
        nested = (
            {key: placeholder} if not isinstance(parsed, dict) else {**parsed, key: placeholder}
        )
        _set_body(
            response, json.dumps(nested, indent=2).replace(f'"{placeholder}"', _nested(depth, rng))
        )
        detail = f"{key} nested {depth} deep"
    elif variant == "wrong-type":
        wrong = rng.choice(_JSON_WRONG)
        _set_body(response, wrong)
        detail = f"body {wrong}"
    elif variant == "wrong-field-type":
        parsed = json.loads(text)
        path = rng.choice(list(_json_leaf_paths(parsed)) or [("jobRun",)])
        target = parsed
        for step in path[:-1]:
            target = target[step]
        value = rng.choice([None, 7, -1, "not a timestamp", [], {}, True, "x" * 10_000, 1e300])
        if isinstance(target, (dict, list)):
            target[path[-1]] = value
        _set_body(response, json.dumps(parsed, indent=2))
        detail = f"{'.'.join(map(str, path))} = {reprlib_short(value)}"
    elif variant == "body {}":
        response["body"] = rng.choice([{}, None, {"string": None}, {"encoding": "utf-8"}, []])
        detail = f"body: {response['body']!r}"
    elif variant == "not-json":
        wrong = rng.choice(_NOT_JSON)
        _set_body(response, wrong)
        detail = f"body {wrong!r}"
    else:
        at = rng.randrange(len(text))
        _set_body(response, text[:at])
        detail = f"JSON cut at char {at}"
    return Mutant("json_body", f"interactions[{index}] response {detail}", _dump(doc))


def reprlib_short(value: Any) -> str:
    """``repr`` cut to 40 characters, for mutation details."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_BAD_OPERATIONS = (
    "DescribeJobRunz",
    "describeJobRun",
    "DescribeJobRun ",
    "",
    "GetObject",
    "Describe/JobRun",
    "X" * 300,
    "ListJobRuns",
    "CancelJobRun",
    "StartJobRun",
)


def _unknown_operation(original: bytes, rng: random.Random) -> Mutant:
    """An operation in the ``replay_jobrun`` block that the model lacks (or that is not the call)."""
    doc = _load(original)
    block = doc.setdefault("replay_jobrun", {})
    if not isinstance(block, dict):
        block = doc["replay_jobrun"] = {}
    operations = block.get("operations")
    if not isinstance(operations, list) or not operations:
        operations = block["operations"] = [None] * max(1, len(_interactions(doc)))
    index = rng.randrange(len(operations))
    name = rng.choice([n for n in _BAD_OPERATIONS if n != operations[index]])
    operations[index] = name
    return Mutant("unknown_operation", f"operations[{index}] = {name[:40]!r}", _dump(doc))


_BAD_URIS = (
    "http://[::1/virtualclusters/a/jobruns/b",
    "https://emr-containers.us-east-1.amazonaws.com:99999/virtualclusters/a/jobruns/b",
    "https://emr-containers.us-east-1.amazonaws.com:port/virtualclusters/a/jobruns/b",
    "not a uri",
    "",
    "//",
    "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/%zz/jobruns/%",
    "https://emr-containers.us-east-1.amazonaws.com/virtualclusters//jobruns/",
    "ftp://emr-containers.us-east-1.amazonaws.com/virtualclusters/a/jobruns/b",
    "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/a b/jobruns/c\nd",
    "https://user:pass@emr-containers.us-east-1.amazonaws.com/virtualclusters/a/jobruns/b",
    "https://emr-containers.us-east-1.amazonaws.com/" + "a/" * 5000,
    "https://\u00e9mr-containers.example/virtualclusters/\u2603/jobruns/x",
    "https://emr-containers.us-east-1.amazonaws.com/virtualclusters/a/jobruns/b?x=%ff&&=",
)


def _malformed_uri(original: bytes, rng: random.Random) -> Mutant:
    doc = _load(original)
    requests = [
        (i, x["request"])
        for i, x in enumerate(_interactions(doc))
        if isinstance(x.get("request"), dict)
    ]
    index, request = rng.choice(requests)
    uri = rng.choice(_BAD_URIS)
    request["uri"] = uri
    return Mutant("malformed_uri", f"interactions[{index}].request.uri = {uri[:60]!r}", _dump(doc))


def alias_bomb(levels_: int, width: int) -> list[Any]:
    """A billion-laughs list: ``width ** levels_`` leaves, ``levels_`` shared nodes."""
    node: list[Any] = ["lol"] * width
    for _ in range(levels_ - 1):
        node = [node] * width
    return node


_BOMB_PLACES = (
    "top-level key",
    "replay_jobrun key",
    "replay_jobrun.pseudonyms",
    "interaction key",
    "request headers",
    "response header value",
    "status message",
    "response body",
    "request body",
    "interactions",
)


def _alias_bomb(original: bytes, rng: random.Random) -> Mutant:
    """A few hundred bytes of anchors and aliases that expand to ``width ** levels`` values."""
    doc = _load(original)
    depth, width = rng.choice([(6, 9), (8, 9), (9, 9), (10, 10), (12, 8)])
    bomb = alias_bomb(depth, width)
    place = rng.choice(_BOMB_PLACES)
    interaction = rng.choice(_interactions(doc))
    if place == "top-level key":
        doc["lol"] = bomb
    elif place == "replay_jobrun key":
        doc.setdefault("replay_jobrun", {})["lol"] = bomb
    elif place == "replay_jobrun.pseudonyms":
        doc.setdefault("replay_jobrun", {})["pseudonyms"] = bomb
    elif place == "interaction key":
        interaction["lol"] = bomb
    elif place == "request headers":
        interaction["request"]["headers"] = {"X-Lol": bomb}
    elif place == "response header value":
        interaction["response"].setdefault("headers", {})["Content-Type"] = bomb
    elif place == "status message":
        interaction["response"]["status"]["message"] = bomb
    elif place == "response body":
        interaction["response"]["body"] = {"string": bomb}
    elif place == "request body":
        interaction["request"]["body"] = bomb
    else:
        doc["interactions"] = [*doc["interactions"], bomb]
    return Mutant("alias_bomb", f"{width}**{depth} values at {place}", _dump(doc))


def _anchors(original: bytes, rng: random.Random) -> Mutant:
    """Harmless-looking anchors and aliases: one node shared by two places."""
    doc = _load(original)
    interactions = _interactions(doc)
    variant = rng.choice(["repeated interaction", "shared headers", "shared status", "shared list"])
    if variant == "repeated interaction":
        index = rng.randrange(len(interactions))
        doc["interactions"].append(interactions[index])
        operations = (doc.get("replay_jobrun") or {}).get("operations")
        if isinstance(operations, list) and index < len(operations):
            operations.append(operations[index])
        variant += f" #{index}"
    elif variant == "shared headers":
        first = interactions[0]
        first["request"]["headers"] = first["response"].setdefault("headers", {})
    elif variant == "shared status":
        status = interactions[0]["response"]["status"]
        for interaction in interactions:
            interaction["response"]["status"] = status
        doc["status"] = status
    else:
        block = doc.setdefault("replay_jobrun", {})
        block["keep_fields"] = block["keep_values"] = block.get("pseudonyms") or ["x"]
    return Mutant("anchors", variant, _dump(doc))


_TAGS = (
    f'!!python/object/apply:os.system ["touch {CANARY}"]',
    f'!!python/object/apply:subprocess.check_output [["touch", "{CANARY}"]]',
    "!!python/name:os.system ''",
    "!!python/module:os ''",
    "!!python/object/new:builtins.dict {}",
    "!!python/tuple [1, 2]",
    "!!python/unicode 'text'",
    "!!python/bytes 'AAEC'",
    "!custom 1",
    "!<tag:example.com,2000:app/foo> bar",
    "!!binary 'not*base64'",
    "!!set {a: null, b: null}",
    "!!omap [{a: 1}]",
    "!!timestamp 2026-01-01T00:00:00Z",
    "!!float 'not a float'",
    "!!str 200",
)


def _unknown_tag(original: bytes, rng: random.Random) -> Mutant:
    doc = _load(original)
    label, container, key = _pick_position(doc, rng)
    tag = rng.choice(_TAGS)
    container[key] = _Raw(tag)
    return Mutant("unknown_tag", f"{label} = {tag}", _dump(doc))


def _bad_path(original: bytes, rng: random.Random) -> Mutant:
    variant = rng.choice(PATH_VARIANTS)
    return Mutant("bad_path", f"path: {variant}", original, path_variant=variant)


MUTATORS: dict[str, Callable[[bytes, random.Random], Mutant]] = {
    "truncate": _truncate,
    "flip_bytes": _flip_bytes,
    "insert_bytes": _insert_bytes,
    "non_utf8": _non_utf8,
    "gzip_body": _gzip_body,
    "retype_scalar": _retype_scalar,
    "delete_key": _delete_key,
    "add_key": _add_key,
    "json_body": _json_body,
    "unknown_operation": _unknown_operation,
    "malformed_uri": _malformed_uri,
    "bad_state": _bad_state,
    "alias_bomb": _alias_bomb,
    "anchors": _anchors,
    "unknown_tag": _unknown_tag,
    "duplicate_keys": _duplicate_keys,
    "bad_path": _bad_path,
}
KINDS = tuple(MUTATORS)


def mutate(original: bytes, kind: str, rng: random.Random) -> Mutant:
    """``original`` (a cassette's bytes) damaged as ``kind`` says, chosen by ``rng``."""
    return MUTATORS[kind](original, rng)


def case_rng(seed: int, index: int) -> random.Random:
    """The generator of case ``index`` of a run with ``seed`` (independent of the other cases)."""
    return random.Random(f"{seed}:{index}")
