"""How a body is walked: the model pass over JSON bodies, along the operation's botocore shape.

Tag values (``*TagMap``) and members the model marks ``sensitive`` become
``REDACTED-<hmac8>``; user field rules replace a field by its path; keep rules
spare one. A redacted value long enough not to be an ordinary word is
remembered (see :mod:`.learnt`), so the text pass sweeps it wherever else it
shows up. Shapes beneath which nothing can be redacted are not walked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import model
from ..cassette.bodies import check_json_depth
from . import patterns
from .learnt import Learnt
from .ledger import Ledger, Memo
from .patterns import REDACTED_VALUE
from .rules import FieldRule, PathMatcher

# Shorter sensitive values are too likely to be ordinary words to sweep from other text.
MIN_SWEPT_LENGTH = 8


class ModelPass:
    """The model rules plus the user's field and keep rules, over JSON values and bodies."""

    def __init__(
        self,
        learnt: Learnt,
        ledger: Ledger,
        field_rules: Sequence[FieldRule],
        keep_fields: Sequence[str],
    ) -> None:
        self._learnt = learnt
        self._ledger = ledger
        self._note = ledger.note
        self._holds = ledger.holds
        self._keep = PathMatcher(sorted(keep_fields))
        self._field_rules = list(field_rules)
        self._fields = PathMatcher([r.path for r in self._field_rules])
        self._path_rules = bool(self._keep) or bool(self._fields)
        self._redactions: dict[tuple[str, int | None, str], str] = {}
        self.memo: Memo[tuple[bytes, str | None], bytes] | None = None
        """Results by input while one cassette is scrubbed (see :meth:`Ledger.memoized`)."""
        # A callable field replacement may not be a function of its input alone: no memo.
        self._memoizable = not any(callable(r.replacement) for r in self._field_rules)

    def _redact(self, original: str, shape: Any, kind: str, where: str) -> str:
        if not original or REDACTED_VALUE.match(original):
            return original
        limit = shape.metadata.get("max") if shape is not None else None
        limit = limit if isinstance(limit, int) else None
        self._note(kind, original)
        value = self._redactions.get((original, limit, kind))
        if value is not None:  # seen before: remembered (or not) then
            return value
        value = patterns.redacted(original, self._learnt.salt, limit)
        self._redactions[original, limit, kind] = value
        # Tag values are replaced only here: they often repeat ids and names (the virtual
        # cluster, the namespace) that log prefixes, requests and assertions still need.
        if (
            kind != "tag value"
            and len(original) >= MIN_SWEPT_LENGTH
            and not self._learnt.is_identifier(original)
        ):
            # Elsewhere it stands inside other text, within that field's limit: never longer.
            self._learnt.remember(original, value[: len(original)], f"the {kind} {where}")
        return value

    def _field_rule(self, value: Any, rule: FieldRule) -> Any:
        if isinstance(value, str):
            if not value or value in self._learnt.pseudonyms:
                self._holds(value)
                return value
            replacement = rule.replace(value)
            self._holds(replacement)
            if replacement != value:
                self._note("field rule", value)
                self._learnt.add_pseudonym(replacement)
                if len(value) >= MIN_SWEPT_LENGTH and not self._learnt.is_identifier(value):
                    self._learnt.remember(value, replacement, f"the field rule for {rule.path}")
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

    def scrub_body(self, body: bytes | None, shape: Any) -> bytes | None:
        """A JSON body through :meth:`scrub_json`; any other body as it is."""
        if not body or (shape is None and not self._fields):
            return body
        memo = self.memo
        if memo is None or not self._memoizable:
            return self._modeled_body(body, shape)
        key = (body, None if shape is None else shape.name)
        return self._ledger.memoized(memo, key, lambda: self._modeled_body(body, shape))

    def _modeled_body(self, body: bytes, shape: Any) -> bytes:
        check_json_depth(body)  # scrub_json recurses per level (a loaded cassette is checked)
        try:
            decoded = json.loads(body)
        except ValueError:
            return body
        if not isinstance(decoded, dict):
            return body
        return json.dumps(self.scrub_json(decoded, shape), ensure_ascii=False).encode()


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


def input_shape(operation: str) -> Any:
    return model.service_model().operation_model(operation).input_shape


def output_shape(operation: str) -> Any:
    return model.service_model().operation_model(operation).output_shape
