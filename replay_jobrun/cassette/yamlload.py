"""Read a cassette's YAML at libyaml's speed, bounded in time and memory whatever the file.

vcrpy writes plain YAML: mappings, sequences and scalars, with ``!!binary`` for
bytes (and, in old cassettes, ``!!python/unicode``, ``!!python/str`` and
``!!python/tuple``); our writer (``emit.py``, ``format._Dumper``) writes less.
Anything else is refused, with the line, before a single Python object is built:

- anchors and aliases. An alias refers to a node again, so a 9.6 KB "billion
  laughs" file is nine references to nine references ... to a string: loading
  shares the objects, but every walk of the result afterwards (ours, a repr, a
  dump) meets 10^9 strings. A merge key (``<<``), which copies the mappings it
  merges, is read as the string it looks like;
- tags outside :data:`ALLOWED_TAGS` (``!!python/object``, which runs code in
  unsafe loaders, ``!!set``, ``!!omap``, local tags);
- nesting deeper than :data:`MAX_YAML_DEPTH`;
- more than :func:`~replay_jobrun.cassette.bodies.max_body_bytes` of text (the
  caller checks the size before reading the file, see ``format.read_cassette_text``).

How: libyaml composes the node graph in C (an alias is the anchored node object
again, so composing is linear in the file; libyaml >= 0.2.5, which every PyYAML
wheel bundles, stops nesting at 1000 levels), one pass in Python checks each
node's tag, depth and that no node is reached twice (an alias), and only then
the constructor builds the objects. An anchor that no alias uses leaves no
trace in the graph: a search of the text finds where one may stand, and only
then the event stream (bounded too: events never expand an alias) decides.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import CassetteFormatError

try:  # libyaml is ~15x faster than the pure-Python loader on a cassette.
    _BaseLoader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

_CORE = "tag:yaml.org,2002:"
# What vcrpy's writer and ours put in a cassette, explicitly or by resolution: the core
# schema, !!binary, timestamps (an unquoted date resolves to one), and the Python tags
# vcrpy wrote for text and tuples before Python 3.
ALLOWED_TAGS = frozenset(
    _CORE + name
    for name in (
        "map",
        "seq",
        "str",
        "int",
        "float",
        "bool",
        "null",
        "binary",
        "timestamp",
        "python/str",
        "python/unicode",
        "python/tuple",
    )
)

# A cassette nests 6 levels of collections (the document, interactions, an interaction,
# response, headers, a header's values); our metadata 5. Other tools' metadata is kept as found and written
# back by recursive code: 64 levels leave it room and keep every walk of it shallow.
MAX_YAML_DEPTH = 64

# An anchor is "&name" after a space, a line start or a flow indicator. The search starts
# at the "&" (a literal first is ~100x faster than a class) and looks behind in Python;
# inside a JSON body ("a &b") it finds candidates that the event stream then clears.
_AMPERSAND_NAME = re.compile(r"&[^\s\[\]{},]")
_BEFORE_ANCHOR = frozenset(" \t\r\n[]{},:")


def _may_hold_an_anchor(text: str) -> bool:
    return "&" in text and any(
        match.start() == 0 or text[match.start() - 1] in _BEFORE_ANCHOR
        for match in _AMPERSAND_NAME.finditer(text)
    )


_FIX_RESTORE = "restore the file from version control or re-record it"
_FIX_ALIAS = (
    "write the value out in full where each alias stands and drop the anchor (stock vcrpy "
    "writes '&id001' and '*id001' when it saved one object twice; replay_jobrun never "
    "does), or re-record the cassette"
)


class Loader(_BaseLoader):  # type: ignore[misc]
    """libyaml's safe loader that constructs :data:`ALLOWED_TAGS` and nothing else.

    Use it through :func:`load_yaml`: the loader alone does not refuse aliases."""


# Without the merge ("<<") and value ("=") resolvers, those plain scalars are strings:
# merging copies the mappings it merges (a bomb of its own), and vcrpy writes neither.
# Every tag left to resolve to is then in ALLOWED_TAGS.
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in ALLOWED_TAGS]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
Loader.yaml_implicit_resolvers = _RESOLVERS

Loader.yaml_constructors = {
    tag: construct
    for tag, construct in _BaseLoader.yaml_constructors.items()
    if tag is None or tag in ALLOWED_TAGS  # None: any other tag raises
}


def _python_str(loader: Any, node: Any) -> Any:
    return loader.construct_scalar(node)


def _python_tuple(loader: Any, node: Any) -> Any:
    return tuple(loader.construct_sequence(node))


Loader.add_constructor(_CORE + "python/str", _python_str)
Loader.add_constructor(_CORE + "python/unicode", _python_str)
Loader.add_constructor(_CORE + "python/tuple", _python_tuple)


_TAG = operator.attrgetter("tag")


class _Refused(Exception):
    def __init__(self, node: Node, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.node, self.problem, self.fix = node, problem, fix


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _refused_tag(level: list[Node]) -> _Refused:
    node = next(node for node in level if node.tag not in ALLOWED_TAGS)
    return _Refused(
        node,
        f"the YAML tag {_short(node.tag)!r} is not one a cassette holds (vcrpy writes plain "
        "YAML, and !!binary for bytes)",
        "write the value as a plain (quoted) string without the tag, or re-record the cassette",
    )


def _check_graph(root: Node, explicit_tags: bool) -> None:
    """One pass over the composed nodes, a level at a time: no node reached twice (an
    alias), no collection deeper than MAX_YAML_DEPTH, and, if the text has explicit tags
    (``explicit_tags``: a "!" in it), only allowed tags; without one, every tag is
    resolved from :data:`_RESOLVERS`, all allowed.

    The per-node work is done by builtins over each level (this pass costs a few percent
    of a load); Python loops only over the collections."""
    seen: set[int] = set()
    level: list[Node] = [root]
    for depth in itertools.count(1):
        count = len(seen)
        seen.update(map(id, level))
        if len(seen) - count != len(level):
            raise _Refused(level[0], "alias", _FIX_ALIAS)  # the event stream says where
        if explicit_tags and not ALLOWED_TAGS.issuperset(map(_TAG, level)):
            raise _refused_tag(level)
        collections = [node for node in level if type(node) is not ScalarNode]
        if not collections:
            return
        if depth > MAX_YAML_DEPTH:
            raise _Refused(
                collections[0],
                f"the YAML nests more than {MAX_YAML_DEPTH} levels deep (a cassette nests 6)",
                _FIX_RESTORE,
            )
        level = []
        for node in collections:
            if type(node) is MappingNode:
                level.extend(itertools.chain.from_iterable(node.value))
            else:
                level.extend(node.value)


def _anchor_and_alias(text: str) -> tuple[Any, Any]:
    """The first anchor event and the first alias event of the text (None: none).

    Events never expand an alias: this is linear in the text, whatever it holds."""
    first_anchor = None
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            return first_anchor, event
        if first_anchor is None and getattr(event, "anchor", None) is not None:
            first_anchor = event
    return first_anchor, None


def _interaction_of(root: Node, line: int) -> int | None:
    """Which interaction the 0-based ``line`` falls in (None: outside them)."""
    if not isinstance(root, MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "interactions":
            if not isinstance(value, SequenceNode) or value.tag != _CORE + "seq" or not value.value:
                return None
            if not value.value[0].start_mark.line <= line <= value.end_mark.line:
                return None
            starts = [item.start_mark.line for item in value.value]
            return bisect.bisect_right(starts, line) - 1
    return None


def _error(path: Path, root: Node, line: int, problem: str, fix: str) -> CassetteFormatError:
    index = _interaction_of(root, line)
    where = f"line {line + 1}" + ("" if index is None else f" (interaction #{index})")
    return CassetteFormatError(path=path, problem=f"{where}: {problem}", fix=fix)


def _alias_error(path: Path, root: Node, text: str) -> CassetteFormatError:
    anchor, alias = _anchor_and_alias(text)
    if alias is not None:
        target = f" &{anchor.anchor} (line {anchor.start_mark.line + 1})" if anchor else ""
        return _error(
            path,
            root,
            alias.start_mark.line,
            f"a YAML alias *{alias.anchor} repeats the node anchored as{target or ' it'}: "
            "expanding anchors and aliases is how a small file exhausts memory",
            _FIX_ALIAS,
        )
    assert anchor is not None  # _check_graph saw a node twice, so there is an alias
    return _anchor_error(path, root, anchor)


def _anchor_error(path: Path, root: Node, anchor: Any) -> CassetteFormatError:
    return _error(
        path,
        root,
        anchor.start_mark.line,
        f"a YAML anchor &{anchor.anchor}: cassettes hold no anchors or aliases "
        "(expanding them is how a small file exhausts memory)",
        _FIX_ALIAS,
    )


def load_yaml(text: str, path: Path) -> Any:
    """The YAML document of a cassette, or :class:`CassetteFormatError` naming ``path``,
    the line and the interaction, raised before anything it refuses is built."""
    loader = Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:  # the pure-Python composer recurses per level
            raise CassetteFormatError(
                path=path,
                problem=f"the YAML nests more than {MAX_YAML_DEPTH} levels deep",
                fix=_FIX_RESTORE,
            ) from None
        if root is None:
            return None
        try:
            _check_graph(root, "!" in text)
        except _Refused as refused:
            if refused.problem == "alias":
                raise _alias_error(path, root, text) from None
            raise _error(
                path, root, refused.node.start_mark.line, refused.problem, refused.fix
            ) from None
        if _may_hold_an_anchor(text):
            anchor, _ = _anchor_and_alias(text)
            if anchor is not None:
                raise _anchor_error(path, root, anchor)
        try:
            return loader.construct_document(root)
        except (ValueError, OverflowError) as err:  # an int past Python's 4300 digits, !!float 'x'
            raise CassetteFormatError(
                path=path, problem=f"a value cannot be read: {err}", fix=_FIX_RESTORE
            ) from None
    except yaml.YAMLError as err:
        raise CassetteFormatError(
            path=path, problem=f"not valid YAML: {err}", fix=_FIX_RESTORE
        ) from err
    finally:
        loader.dispose()
