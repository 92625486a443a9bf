"""Write a cassette's YAML fast: the bytes PyYAML's libyaml dumper writes, without it.

A cassette document always has one shape (see ``cassette.to_vcr_dict``), and a
generic dumper spends most of its time on it in Python: representing some fifty
nodes per interaction and resolving the tag of every scalar. Here an interaction
is written from a template instead, when every scalar in it is one whose libyaml
rendering is short to state and checked by the tests against libyaml itself:

- a one-line printable ASCII string: plain where libyaml writes it plain (no
  indicator where YAML gives one meaning, not read back as another type), else
  single-quoted; with a space in it, only if it cannot reach the line width,
  where libyaml would fold it;
- a multi-line printable ASCII string (a pretty-printed JSON body) that
  libyaml writes as a literal block with no indentation or chomping indicator;
- ``None``, and the integer status code.

Any other interaction is handed to libyaml whole, as a one-item list: the list
of interactions is written at column 0 (indentless under its key), so an item
comes out the same on its own as inside the document. The part before it
(version and metadata) is libyaml's too. When libyaml would end the stream
with a ``...`` marker (after a ``|+`` block anywhere in it), the whole document
goes to libyaml.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_WIDTH = 100  # what dump_cassette asks libyaml for
_SIMPLE_KEY_MAX = 128  # libyaml writes a longer mapping key in the explicit "? " form

# One line of printable ASCII (libyaml's IS_PRINTABLE, restricted to ASCII: no tab, no DEL).
_ONE_LINE = re.compile(r"[ -~]+\Z")
# Lines of printable ASCII, each ending with a newline: neither empty (libyaml leaves an
# empty line unindented) nor ending with a space (no literal block then), the first not
# starting with a space (an indentation indicator then). One newline at the end: clip.
_LITERAL = re.compile(r"(?:[!-~][ -~]*(?<! )\n)(?:[ -~]*[!-~]\n)*\Z")
# libyaml's analyze_scalar, for one line of printable ASCII in block context (so ",?[]{}"
# inside a scalar are fine): what keeps a scalar from being written plain.
_NOT_PLAIN = re.compile(
    r"\A(?:[#,\[\]{}&*!|>'\"%@`]|[-?:](?: |\Z)|---|\.\.\.)"  # an indicator first
    r"|: |:\Z| #"  # a mapping value or a comment further on
    r"|\A | \Z"  # a leading or trailing space
)


class Emitter:
    """Writes cassette documents as ``dump`` (a libyaml dumper's ``yaml.dump``) would.

    ``resolvers`` are the dumper's implicit resolvers (``yaml_implicit_resolvers``):
    a string that resolves to another type cannot be written plain.
    """

    def __init__(
        self,
        dump: Callable[[Any], str],
        resolvers: Mapping[str | None, Sequence[tuple[str, re.Pattern[str]]]],
    ) -> None:
        self._dump = dump
        self._resolvers = resolvers
        self._tag = functools.lru_cache(maxsize=4096)(self._resolve)

    def _resolve(self, value: str) -> str:
        """PyYAML's ``Resolver.resolve`` for a plain scalar (the dumper has no path resolvers)."""
        candidates = [*self._resolvers.get(value[:1], ()), *self._resolvers.get(None, ())]
        for tag, regexp in candidates:
            if regexp.match(value):
                return tag
        return _STR_TAG

    def _scalar(self, value: str, column: int, key: bool = False) -> str | None:
        """A one-line string starting at ``column`` (a mapping key if ``key``), or None
        when libyaml may write it otherwise (double-quoted, folded, as an explicit key)."""
        if not value:
            return "''"  # plain would read back as null
        if not _ONE_LINE.match(value) or (key and len(value) > _SIMPLE_KEY_MAX):
            return None
        # libyaml breaks a plain or quoted line at a space once past the width.
        if " " in value and column + len(value) + 2 > _WIDTH:
            return None
        if not _NOT_PLAIN.search(value) and self._tag(value) == _STR_TAG:
            return value
        return "'" + value.replace("'", "''") + "'"

    def _value(self, value: Any, column: int, indent: int) -> str | None:
        """``value`` with its line end, as it follows ``key: `` where it starts at ``column``
        (a block scalar's lines at ``indent``); None if it is not for the template."""
        if value is None:
            return "null\n"
        if type(value) is int:
            text = str(value)
            return text + "\n" if self._tag(text) == _INT_TAG else None
        if type(value) is not str:
            return None
        if "\n" not in value:
            line = self._scalar(value, column)
            return None if line is None else line + "\n"
        if not _LITERAL.match(value):
            return None
        pad = " " * indent
        return "|\n" + pad + value[:-1].replace("\n", "\n" + pad) + "\n"

    def _headers(self, headers: Any) -> str | None:
        """A headers mapping after ``headers:`` at column 4 (names at 6, values after "- ")."""
        if type(headers) is not dict:
            return None
        if not headers:
            return " {}\n"
        lines = ["\n"]
        for name, values in headers.items():
            key = self._scalar(name, 6, key=True) if type(name) is str and name else None
            if key is None or type(values) is not list or not values:
                return None
            lines.append(f"      {key}:\n")
            for value in values:
                text = self._scalar(value, 8) if type(value) is str else None
                if text is None:
                    return None
                lines.append(f"      - {text}\n")
        return "".join(lines)

    def _interaction(self, interaction: Any) -> str | None:
        """One item of the interactions list, or None if it is not for the template."""
        try:
            request, response = interaction["request"], interaction["response"]
            status, body = response["status"], response["body"]
            if (
                list(interaction) != ["request", "response"]
                or list(request) != ["method", "uri", "headers", "body"]
                or list(response) != ["status", "headers", "body"]
                or list(status) != ["code", "message"]
                or list(body) != ["string"]
            ):
                return None
        except (TypeError, KeyError):
            return None
        parts = (
            self._value(request["method"], 12, 6),
            self._value(request["uri"], 9, 6),
            self._headers(request["headers"]),
            self._value(request["body"], 10, 6),
            self._value(status["code"], 12, 8),
            self._value(status["message"], 15, 8),
            self._headers(response["headers"]),
            self._value(body["string"], 14, 8),
        )
        if any(part is None for part in parts):
            return None
        method, uri, request_headers, request_body, code, message, headers, string = parts
        return (
            f"- request:\n    method: {method}    uri: {uri}"
            f"    headers:{request_headers}    body: {request_body}"
            f"  response:\n    status:\n      code: {code}      message: {message}"
            f"    headers:{headers}    body:\n      string: {string}"
        )

    def document(self, document: Mapping[str, Any]) -> str:
        """The YAML of a cassette document (``to_vcr_dict``'s layout, interactions last)."""
        interactions = document.get("interactions")
        # An empty list is written in flow style ("interactions: []"): libyaml's too.
        if (
            list(document)[-1:] != ["interactions"]
            or type(interactions) is not list
            or not interactions
        ):
            return self._dump(dict(document))
        head = self._dump({k: v for k, v in document.items() if k != "interactions"})
        pieces = [head, "interactions:\n"]
        for interaction in interactions:
            piece = self._interaction(interaction)
            pieces.append(piece if piece is not None else self._dump([interaction]))
        if any(piece.endswith("\n...\n") for piece in pieces):
            return self._dump(dict(document))  # the end marker belongs at the stream's end
        return "".join(pieces)
