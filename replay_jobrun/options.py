"""Per-test options: marker arguments, record-mode precedence, cassette paths.

Plain Python (no pytest import) so every rule here is unit-tested directly.
"""

from __future__ import annotations

import difflib
import errno
import functools
import hashlib
import inspect
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import CassettePathError, ConfigError, MarkerOptionError, shown_url

RECORD_MODE_ENV = "REPLAY_JOBRUN_RECORD_MODE"
ENDPOINT_URL_ENV = "REPLAY_JOBRUN_ENDPOINT_URL"
SALT_ENV = "REPLAY_JOBRUN_SCRUB_SALT"
RECORD_MODES = ("none", "once", "new_episodes", "all")
UNKNOWN_FIELDS = ("fail", "drop")
# Least drift severity that fails a check (severities: info < additive < breaking).
DRIFT_FAIL_ON = ("info", "additive", "breaking", "never")


@dataclass(frozen=True)
class CassetteOptions:
    """Options of ``@pytest.mark.jobrun_cassette``; keyword-only, so a typo is a TypeError.

    - ``record_mode``: this test's record mode (the command line and the
      environment variable still win).
    - ``allow_unused``: do not fail when recorded responses are left unused.
    - ``skip_sleep``: ``time.sleep`` returns at once while replaying (pollers).
    - ``ignore_params``: params not compared with the recording, e.g. a
      ``createdAfter`` computed from the clock; paths as a mismatch prints them, with
      wildcards (``tags.*``, ``args[*]``, ``properties['spark.*']``).
    - ``match_requests``: compare live requests with the recording at all.
    - ``region``: region of the fixture's own ``.client`` and of clients created
      without one.
    - ``unknown_fields``: ``"fail"`` or ``"drop"`` (replay with a warning) responses
      that do not fit the installed botocore model: fields it does not know, enum
      values it does not list, members the operation always returns missing, bodies
      that are not JSON objects (default: the ``jobrun_unknown_fields`` ini option).
    - ``allowed_hosts``: hosts the test may reach while replaying, besides loopback
      (added to the ``jobrun_allowed_hosts`` ini option and ``--jobrun-allowed-hosts``).
    - ``subprocesses``: child processes the test starts (a CLI under test) are
      recorded and replayed through the same cassette (:mod:`replay_jobrun.children`).
    - ``strict_order``: serve responses in recorded order across all calls, instead
      of each call the earliest unused interaction its request matches.
    - ``allow_outside``: the cassette is an absolute path outside
      ``jobrun_cassette_dir`` on purpose (otherwise such a path is refused).
    """

    name: str | None = None
    record_mode: str | None = None
    allow_unused: bool = False
    skip_sleep: bool = False
    ignore_params: tuple[str, ...] = ()
    match_requests: bool = True
    region: str | None = None
    unknown_fields: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    subprocesses: bool = False
    strict_order: bool = False
    allow_outside: bool = False


# A host name or an IP address: no scheme, port, path or white space.
_HOST = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[?[0-9A-Fa-f:.]+\]?)$")


def allowed_hosts_value(values: Any, source: str) -> tuple[str, ...]:
    """Hosts a replayed test may reach, checked: names or IP addresses, lower-cased."""
    if isinstance(values, str):
        values = [values]
    try:
        hosts = [str(value).strip() for value in values]
    except TypeError:
        raise ConfigError(
            source=source,
            problem=f"{values!r} is not a list of hosts",
            valid='host names or IP addresses, e.g. ("sts.amazonaws.com", "10.0.0.5")',
        ) from None
    for host in hosts:
        if not _HOST.match(host):
            hint = host.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0] if host else ""
            raise ConfigError(
                source=source,
                problem=f"{host!r} is not a host name or an IP address"
                + (f" (did you mean {hint!r}?)" if hint and _HOST.match(hint) else ""),
                valid='host names or IP addresses, without scheme, port or path, e.g. "sts.amazonaws.com"',
            )
    return tuple(host.strip("[]").lower() for host in hosts)


MARKER_SOURCE = "@pytest.mark.jobrun_cassette"


def merged_marker_arguments(
    closest_first: Iterable[tuple[Sequence[Any], Mapping[str, Any]]],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """One marker's (args, kwargs) from the markers of a test, its class and its module.

    ``closest_first`` as pytest's ``iter_markers`` yields them (test, class, module):
    each option takes the closest value given, so a module's ``pytestmark`` sets
    defaults that a class or a test overrides one option at a time; the cassette
    name is the closest one given too.
    """
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    for marker_args, marker_kwargs in closest_first:
        if not args and marker_args:
            args = tuple(marker_args)
        for name, value in marker_kwargs.items():
            kwargs.setdefault(name, value)
    return args, kwargs


def cassette_options(*args: Any, **kwargs: Any) -> CassetteOptions:
    """Validate ``jobrun_cassette(name_or_path=None, *, ...)`` marker arguments."""
    valid = _marker_option_names()
    shown = ", ".join(valid) + " (keyword-only), after the cassette name or path if any"
    unknown = [name for name in kwargs if name not in valid]
    if unknown:
        close = difflib.get_close_matches(unknown[0], valid, n=1)
        hint = (
            f" (did you mean {close[0]!r}?)"
            if close
            else " (the cassette name or path goes first, without a keyword)"
            if unknown[0] in ("name", "name_or_path", "path", "cassette")
            else ""
        )
        raise MarkerOptionError(
            source=MARKER_SOURCE,
            problem=f"unknown option {', '.join(map(repr, unknown))}{hint}",
            valid=shown,
        )
    if len(args) > 1:
        raise MarkerOptionError(
            source=MARKER_SOURCE,
            problem=f"{len(args)} positional arguments {args!r}: only the cassette name or "
            "path goes without a keyword",
            valid=shown,
        )
    return _marker_signature(*args, **kwargs)


@functools.cache
def _marker_option_names() -> tuple[str, ...]:
    return tuple(
        name
        for name, parameter in inspect.signature(_marker_signature).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    )


def _marker_signature(
    name: str | None = None,
    /,
    *,
    record_mode: str | None = None,
    allow_unused: bool = False,
    skip_sleep: bool = False,
    ignore_params: Sequence[str] = (),
    match_requests: bool = True,
    region: str | None = None,
    unknown_fields: str | None = None,
    allowed_hosts: Sequence[str] = (),
    subprocesses: bool = False,
    strict_order: bool = False,
    allow_outside: bool = False,
) -> CassetteOptions:
    if record_mode is not None and record_mode not in RECORD_MODES:
        raise ConfigError(
            source="@pytest.mark.jobrun_cassette(record_mode=...)",
            problem=f"unknown record mode {record_mode!r}",
            valid=", ".join(RECORD_MODES),
        )
    if unknown_fields is not None:
        unknown_fields_policy(unknown_fields, "@pytest.mark.jobrun_cassette(unknown_fields=...)")
    if isinstance(ignore_params, str):
        ignore_params = (ignore_params,)
    return CassetteOptions(
        name=name,
        record_mode=record_mode,
        allow_unused=bool(allow_unused),
        skip_sleep=bool(skip_sleep),
        ignore_params=tuple(ignore_params),
        match_requests=bool(match_requests),
        region=region,
        unknown_fields=unknown_fields,
        allowed_hosts=allowed_hosts_value(
            allowed_hosts, "@pytest.mark.jobrun_cassette(allowed_hosts=...)"
        ),
        subprocesses=bool(subprocesses),
        strict_order=bool(strict_order),
        allow_outside=bool(allow_outside),
    )


def unknown_fields_policy(value: str, source: str = "jobrun_unknown_fields (ini)") -> str:
    """``fail`` or ``drop``: what replay does with response fields botocore does not know."""
    if value not in UNKNOWN_FIELDS:
        raise ConfigError(
            source=source, problem=f"unknown value {value!r}", valid=", ".join(UNKNOWN_FIELDS)
        )
    return value


def drift_fail_on(value: str, source: str = "jobrun_drift_fail_on (ini)") -> str:
    """A valid ``--fail-on`` / ``jobrun_drift_fail_on`` value."""
    if value not in DRIFT_FAIL_ON:
        raise ConfigError(
            source=source, problem=f"unknown value {value!r}", valid=", ".join(DRIFT_FAIL_ON)
        )
    return value


def resolve_record_mode(
    *,
    cli: str | None,
    env: Mapping[str, str],
    marker: str | None,
    ini: str | None,
) -> str:
    """The record mode of one test.

    Precedence, highest first: ``--jobrun-record-mode`` on the command line,
    then ``REPLAY_JOBRUN_RECORD_MODE`` (both are what the person running the
    suite asked for right now), then the test's marker, then the
    ``jobrun_record_mode`` ini option, then ``none``.
    """
    for source, value in (
        ("--jobrun-record-mode", cli),
        (RECORD_MODE_ENV, env.get(RECORD_MODE_ENV) or None),
        ("@pytest.mark.jobrun_cassette(record_mode=...)", marker),
        ("jobrun_record_mode (ini)", ini or None),
    ):
        if value is None:
            continue
        if value not in RECORD_MODES:
            raise ConfigError(
                source=source,
                problem=f"unknown record mode {value!r}",
                valid=", ".join(RECORD_MODES),
            )
        return value
    return "none"


class Action(str, Enum):
    REPLAY = "replay"
    RECORD = "record"
    MISSING = "missing"


def choose_action(mode: str, cassette_exists: bool) -> Action:
    """Replay through the Stubber whenever vcrpy's mode would only play back."""
    if mode == "none":
        return Action.REPLAY if cassette_exists else Action.MISSING
    if mode == "once":
        return Action.REPLAY if cassette_exists else Action.RECORD
    return Action.RECORD  # new_episodes and all go through vcrpy


_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=,+@]")
# Room for ".jobrun.yaml" and more within the 255-byte name limit of common file systems.
MAX_FILE_NAME = 200
# The longest file or folder name most file systems take (bytes).
MAX_NAME_BYTES = 255
_HASH_LENGTH = 8


def safe_file_name(name: str) -> str:
    """A name as one portable file name (ASCII, at most ``MAX_FILE_NAME`` characters).

    A name of at most ``MAX_FILE_NAME`` portable characters is used as it is
    (``test_describe[running]``). Otherwise unsafe characters become ``-``, the
    result is cut to fit, and ``-`` plus the first 8 hex digits of the SHA-256 of
    the original name is appended, so names that differ only in replaced
    characters (``a/b``, ``a b``) or past the cut still get distinct files.
    """
    if _UNSAFE.search(name) is None and 0 < len(name) <= MAX_FILE_NAME:
        return name
    return _hashed(name, name)


def file_name_for_test(test_id: str) -> str:
    """A test's cassette file name (without suffix) from its id below the module.

    ``test_id`` is the node id after the module's part, as pytest writes it
    (``TestPoll::test_x[a::b]``). The class and function read as
    ``TestPoll.test_x``; the parameters are kept as they are, so ``::`` in them is
    replaced (and the name hashed) instead of turned into ``.``: ``test_x[a::b]``
    and ``test_x[a.b]`` get distinct files. Distinct ids give distinct names
    (a kept name reads back to its id; a hashed one carries the hash of its id).
    """
    head, bracket, params = test_id.partition("[")
    parts = head.split("::")
    readable = ".".join(parts) + bracket + params
    if any("." in part for part in parts):
        # "A.b" and "A::b" would both read "A.b": hash the id itself, prefixed so that it
        # never equals a readable name (which never starts with "::") hashed the same way.
        return _hashed(readable, "::" + test_id)
    return safe_file_name(readable)


def _hashed(shown: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()
    cleaned = _UNSAFE.sub("-", shown)[: MAX_FILE_NAME - _HASH_LENGTH - 1] or "cassette"
    return f"{cleaned}-{digest[:_HASH_LENGTH]}"


def _old_file_name(name: str) -> str:
    """``safe_file_name`` up to 0.1.0.dev0, to find cassettes written under it; the test
    name was the node id below the module with every ``::`` read as ``.``."""
    return safe_file_name(name) if name else "cassette"


# What ends a cassette file name the plugin makes from a test (or a bare marker) name:
# never pytest-recording's default ("<test name>.yaml"), wherever both put their files.
SUFFIX = ".jobrun.yaml"
LEGACY_SUFFIX = ".yaml"


def cassette_path(
    cassette_dir: Path,
    module_path: str,
    test_id: str,
    name_or_path: str | None = None,
    *,
    allow_outside: bool = False,
) -> Path:
    """Where a test's cassette lives.

    ``module_path`` is the test module relative to the rootdir
    (``tests/test_poll.py``) and ``test_id`` the test's node id below it
    (``TestPoll::test_x[slow]``); its cassettes go to
    ``<cassette_dir>/tests/test_poll/TestPoll.test_x[slow].jobrun.yaml``
    (:func:`file_name_for_test`). A marker name without ``/`` or suffix replaces
    the test name in that folder; one with a ``/`` or a ``.yaml``/``.yml`` suffix
    is a path relative to ``cassette_dir`` (or absolute), taken as it is
    (``.yaml`` added if it has no suffix), so several tests can share one cassette.

    A path that resolves outside ``cassette_dir`` (``..``, a symbolic link) raises
    :class:`CassettePathError`, unless it is absolute and ``allow_outside`` is set.

    The ``.jobrun.yaml`` ending keeps our files apart from pytest-recording's
    (``<test name>.yaml``): for a module at the rootdir both plugins' default
    folders are ``cassettes/<module>/``.
    """
    source = _source(module_path, test_id, name_or_path)
    path = _explicit_path(cassette_dir, name_or_path, source)
    if path is None:
        path = _module_dir(cassette_dir, module_path) / (
            _default_stem(test_id, name_or_path) + SUFFIX
        )
        allow_outside = False
    elif not Path(str(name_or_path)).is_absolute():
        allow_outside = False
    _check_inside(cassette_dir, path, source, allow_outside=allow_outside)
    return path


def legacy_cassette_paths(
    cassette_dir: Path,
    module_path: str,
    test_id: str,
    name_or_path: str | None = None,
) -> tuple[Path, ...]:
    """Where earlier versions put the same cassette, most recent naming first:
    the name before distinct ids always got distinct files (``test_x[a::b]`` was
    ``test_x[a.b].jobrun.yaml``), then the name before ``.jobrun.yaml``
    (``<test name>.yaml``). Empty for a path given explicitly, which has not moved."""
    if _is_explicit(name_or_path):
        return ()
    folder = _module_dir(cassette_dir, module_path)
    current = _default_stem(test_id, name_or_path) + SUFFIX
    old = _old_file_name(name_or_path or ".".join(test_id.split("::")))
    names = dict.fromkeys(name for name in (old + SUFFIX, old + LEGACY_SUFFIX) if name != current)
    return tuple(folder / name for name in names)


def _default_stem(test_id: str, name: str | None) -> str:
    return safe_file_name(name) if name else file_name_for_test(test_id)


def _source(module_path: str, test_id: str, name_or_path: str | None) -> str:
    test = f"{module_path}::{test_id}"
    if name_or_path:
        return f"{MARKER_SOURCE}({name_or_path!r}) of {test}"
    return f"the cassette of {test}"


def _module_dir(cassette_dir: Path, module_path: str) -> Path:
    return cassette_dir / PurePosixPath(module_path).with_suffix("")


def _is_explicit(name_or_path: str | None) -> bool:
    return name_or_path is not None and (
        "/" in name_or_path or name_or_path.endswith((".yaml", ".yml"))
    )


def _explicit_path(cassette_dir: Path, name_or_path: str | None, source: str) -> Path | None:
    if name_or_path is None or not _is_explicit(name_or_path):
        return None
    if "\0" in name_or_path:
        raise CassettePathError(
            source=source,
            problem="the path holds a NUL character, which no file name can",
            fix="remove it from the cassette path",
        )
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > MAX_NAME_BYTES:
            raise CassettePathError(
                source=source,
                problem=f"{part[:40]}... is {size} bytes long; file systems take names of up "
                f"to {MAX_NAME_BYTES} bytes",
                fix='give the cassette a shorter name, e.g. @pytest.mark.jobrun_cassette("short-name")',
            )
    return path if path.is_absolute() else cassette_dir / path


def _check_inside(cassette_dir: Path, path: Path, source: str, *, allow_outside: bool) -> None:
    """Refuse a cassette path that, once ``..`` and symbolic links are resolved, is not
    inside the cassette folder (unless ``allow_outside``)."""
    if allow_outside:
        _resolved(path, source)  # a symlink loop is refused all the same
        return
    root = _resolved(cassette_dir, source)
    target = _resolved(path, source)
    if target.is_relative_to(root):
        return
    raise CassettePathError(
        source=source,
        problem=f"the cassette path resolves to {target}, outside the cassette folder {root} "
        "(jobrun_cassette_dir); cassettes are written there only",
        fix="give a path inside jobrun_cassette_dir (relative to it, without '..', and not "
        "through a symbolic link that leads out of it), or, to keep this cassette elsewhere "
        "on purpose, give its absolute path and allow it: "
        '@pytest.mark.jobrun_cassette("/abs/path/x.yaml", allow_outside=True)',
    )


def _resolved(path: Path, source: str) -> Path:
    loop = CassettePathError(
        source=source,
        problem=f"{path} cannot be resolved: a symbolic link on the way loops",
        fix="remove or correct the symbolic link that leads back to itself",
    )
    try:
        resolved = path.resolve()
    except RuntimeError:  # a loop, before Python 3.13
        raise loop from None
    try:
        resolved.stat()  # Python 3.13's resolve() leaves a loop in place: the stat says so
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise loop from None
    return resolved


def record_command(nodeid: str, endpoint_url: str | None = None) -> str:
    """The command that records one test's cassette."""
    # User info (a token in https://user:token@host) is never printed: the user adds it back.
    endpoint = (
        f" --jobrun-endpoint-url={shlex.quote(shown_url(endpoint_url))}" if endpoint_url else ""
    )
    return f"pytest {shlex.quote(nodeid)} --jobrun-record-mode=once{endpoint}"
