"""pytest glue only: options, the marker, the ``jobrun_replay`` fixture, the summary.

Everything heavy (botocore, vcrpy) is imported inside the fixture, so having
the plugin installed costs a suite that never uses it nothing.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from . import options
from .errors import (
    CassetteNotFoundError,
    CassettePathError,
    LegacyCassetteNameWarning,
    ReplayJobrunError,
    SharedCassetteError,
)

if TYPE_CHECKING:
    from .drift.compare import IgnoreRule
    from .record.recorder import Recording
    from .replay.replayer import Replay
    from .scrub.rules import Rule
    from .scrub.scrubber import Scrubber

MARKER = "jobrun_cassette"
_DRIFT_PROPERTY = "jobrun_drift"


@dataclass
class _SessionState:
    recorded: list[Recording] = field(default_factory=list)
    replayed: int = 0
    # Drift found on re-recording, as carried by test reports (so xdist workers' count too).
    drift: list[dict[str, Any]] = field(default_factory=list)
    # xdist workers' recordings, for the controller's summary: (path, summary lines).
    worker_recorded: list[tuple[str, list[str]]] = field(default_factory=list)
    _scrubber: Scrubber | None = None
    _rules: list[Rule] | None = None
    _drift_ignore: list[IgnoreRule] | None = None
    _allowed_hosts: tuple[str, ...] | None = None

    def allowed_hosts(self, config: pytest.Config) -> tuple[str, ...]:
        """Hosts every replayed test may reach: the command line's and the ini's, read once."""
        if self._allowed_hosts is None:
            cli = str(config.getoption("jobrun_allowed_hosts") or "")
            self._allowed_hosts = (
                *options.allowed_hosts_value(
                    [host for host in cli.split(",") if host.strip()], "--jobrun-allowed-hosts"
                ),
                *options.allowed_hosts_value(
                    config.getini("jobrun_allowed_hosts"), "jobrun_allowed_hosts"
                ),
            )
        return self._allowed_hosts

    def rules(self, config: pytest.Config) -> list[Rule]:
        """The ini options' scrub rules, then the ``pytest_jobrun_scrub_rules`` hooks'."""
        if self._rules is None:
            from .scrub.rules import parse_lines

            found = parse_lines(
                (str(line) for line in config.getini("jobrun_scrub_regex")),
                (str(line) for line in config.getini("jobrun_scrub_fields")),
                (str(line) for line in config.getini("jobrun_scrub_keep")),
                (str(line) for line in config.getini("jobrun_scrub_keep_values")),
            )
            for extra in config.hook.pytest_jobrun_scrub_rules(config=config):
                found.extend(extra or ())
            self._rules = found
        return self._rules

    def drift_ignore(self, config: pytest.Config) -> list[IgnoreRule]:
        """The ``jobrun_drift_ignore`` rules, parsed once per run."""
        if self._drift_ignore is None:
            from .drift.compare import parse_ignore

            lines = (str(line) for line in config.getini("jobrun_drift_ignore"))
            self._drift_ignore = parse_ignore(lines)
        return self._drift_ignore

    def scrubber(self, config: pytest.Config) -> Scrubber:
        # One scrubber per run: pseudonyms agree across every cassette it writes.
        if self._scrubber is None:
            from .scrub.scrubber import Scrubber

            self._scrubber = Scrubber(salt=_salt(config), rules=self.rules(config))
        return self._scrubber


def _salt(config: pytest.Config) -> str | None:
    return os.environ.get(options.SALT_ENV) or str(config.getini("jobrun_scrub_salt")) or None


_state_key = pytest.StashKey[_SessionState]()
_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()
# Set on a test while its cassette is active (the fixture asked for, or the marker alone).
_active_key = pytest.StashKey[bool]()
# Every file name a collected test's cassette has now or had before: {path: {nodeid: its
# cassette now}}, so an old name two tests shared is never taken for either.
_claims_key = pytest.StashKey[dict[Path, dict[str, Path]]]()
# A collected test's cassette and record mode, as the fixture will find them.
_plan_key = pytest.StashKey["_Plan"]()
# Why a test may not run its cassette (shared with another test on another xdist worker).
_conflict_key = pytest.StashKey[str]()
# What an xdist worker's recordings add to the "jobrun cassettes" summary.
_WORKER_OUTPUT = "replay_jobrun_cassettes"
# The controller's --dist mode, for workers (where xdist sets the option to "no").
_WORKER_DIST = "replay_jobrun_dist"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobrun", "replay_jobrun: record and replay emr-containers calls")
    group.addoption(
        "--jobrun-record-mode",
        choices=options.RECORD_MODES,
        default=None,
        help="none (default: replay only), once, new_episodes or all, as in vcrpy. "
        f"Also ${options.RECORD_MODE_ENV}.",
    )
    group.addoption(
        "--jobrun-endpoint-url",
        default=None,
        metavar="URL",
        help="while recording, send every emr-containers client to URL (a moto server, "
        f"LocalStack). Also ${options.ENDPOINT_URL_ENV}.",
    )
    parser.addini(
        "jobrun_cassette_dir", "folder of cassettes, relative to rootdir", default="cassettes"
    )
    parser.addini("jobrun_record_mode", "record mode when no option or marker says", default="none")
    parser.addini(
        "jobrun_scrub_keep",
        "body fields that model-driven redaction leaves as recorded (PATH per line, "
        "e.g. entryPoint or jobRun.tags.team)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "jobrun_scrub_keep_values",
        "values the text pass leaves as recorded wherever they appear (VALUE per line, "
        "e.g. a test bucket's name; never account ids or access key ids)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "jobrun_scrub_regex",
        "extra scrub rules, one 'PATTERN -> REPLACEMENT' per line, applied to all text",
        type="linelist",
        default=[],
    )
    parser.addini(
        "jobrun_scrub_fields",
        "extra scrub rules, one 'PATH -> REPLACEMENT' per line, for body fields",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--jobrun-allowed-hosts",
        default="",
        metavar="HOST,...",
        help="hosts replayed tests may reach besides loopback (everything else is blocked "
        "while a cassette replays); added to jobrun_allowed_hosts and the marker's allowed_hosts",
    )
    parser.addini(
        "jobrun_allowed_hosts",
        "hosts replayed tests may reach besides loopback, one per line",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--jobrun-drift-fail",
        action="store_true",
        default=False,
        help="fail the run when re-recording a cassette shows schema drift at or above "
        "jobrun_drift_fail_on",
    )
    parser.addini(
        "jobrun_unknown_fields",
        "replaying responses that do not fit the installed botocore model (unknown fields, "
        "enum values, missing members, bodies that are not JSON): fail (default) or drop "
        "(replayed as botocore parses them, with a warning)",
        default="fail",
    )
    parser.addini(
        "jobrun_drift_ignore",
        "drift findings to ignore, one '[KIND] PATH' per line (also read by replay-jobrun drift)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "jobrun_drift_fail_on",
        "least drift severity that --jobrun-drift-fail (and replay-jobrun drift) fails on: "
        "info, additive, breaking or never",
        default="additive",
    )
    parser.addini(
        "jobrun_scrub_salt",
        f"salt of scrubbing pseudonyms (${options.SALT_ENV} wins)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name_or_path=None, *, record_mode=None, allow_unused=False, skip_sleep=False, "
        "ignore_params=(), match_requests=True, region=None, unknown_fields=None, "
        "allowed_hosts=(), subprocesses=False, strict_order=False, allow_outside=False): "
        "cassette and replay options of the jobrun_replay fixture.",
    )
    state = config.stash[_state_key] = _SessionState()
    config.pluginmanager.register(
        _DriftWatch(state, bool(config.getoption("jobrun_drift_fail"))), "replay_jobrun-drift"
    )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    outcome: Any = yield
    if _active_key not in item.stash:
        return  # tests that never use a cassette pay nothing more
    report: pytest.TestReport = outcome.get_result()
    item.stash.setdefault(_reports_key, {})[report.when] = report


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    # "from None": the message says it all; the error it came from would repeat it.
    raise pytest.fail.Exception(message, pytrace=False) from None


def _test_passed(node: pytest.Item) -> bool:
    call = node.stash.get(_reports_key, {}).get("call")
    return call is not None and call.passed


def _test_id(node: pytest.Item) -> str:
    """The test's node id below its module, class and parameters included
    (``TestPoller::test_timeout[slow]``). Built from the node chain, not ``nodeid``:
    xdist's ``--dist loadgroup`` appends ``@group`` to the node id on workers."""
    chain = node.listchain()
    files = [index for index, parent in enumerate(chain) if isinstance(parent, pytest.File)]
    below = chain[files[-1] + 1 :] if files else [node]
    return "::".join(parent.name for parent in below)


def _marker_options(node: pytest.Item) -> options.CassetteOptions:
    __tracebackhide__ = True
    args, kwargs = options.merged_marker_arguments(
        (marker.args, marker.kwargs) for marker in node.iter_markers(MARKER)
    )
    try:
        return options.cassette_options(*args, **kwargs)
    except (TypeError, ReplayJobrunError) as err:
        message = str(err)  # ours name the marker; a bare TypeError is given its name
        _fail(
            message
            if message.startswith(f"@pytest.mark.{MARKER}")
            else f"@pytest.mark.{MARKER}: {message}"
        )


def pytest_itemcollected(item: pytest.Item) -> None:
    """The marker alone is enough: a marked test (or class, or module) gets its cassette
    as if it had asked for ``jobrun_replay``, as pytest-recording's ``vcr`` marker does.

    Added to the test's fixture names at collection, not by an autouse fixture:
    tests without the marker pay nothing per test."""
    names = getattr(item, "fixturenames", None)
    if names is not None and "jobrun_replay" not in names and item.get_closest_marker(MARKER):
        names.append("jobrun_replay")


@dataclass(frozen=True)
class _Plan:
    path: Path
    legacy: tuple[Path, ...]
    mode: str

    def records(self) -> bool:
        exists = self.path.is_file() or any(path.is_file() for path in self.legacy)
        return options.choose_action(self.mode, exists) is options.Action.RECORD


@pytest.hookimpl(hookwrapper=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Iterator[None]:
    """Before deselection: where every collected test's cassette is and was called.
    After it: under xdist, the tests that share a cassette one of them records."""
    claims = config.stash[_claims_key] = {}
    for item in items:
        plan = _plan(config, item)
        if plan is None:
            continue
        item.stash[_plan_key] = plan
        for path in (plan.path, *plan.legacy):
            claims.setdefault(path, {})[item.nodeid] = plan.path
    yield
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if int(workers) > 1:
        _refuse_shared_recordings(config, items, int(workers))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist it is never called
def pytest_configure_node(node: Any) -> None:
    """On the xdist controller: tell each worker how tests are distributed."""
    node.workerinput[_WORKER_DIST] = str(node.config.getoption("dist"))


def _plan(config: pytest.Config, item: pytest.Item) -> _Plan | None:
    if "jobrun_replay" not in getattr(item, "fixturenames", ()):
        return None
    args, kwargs = options.merged_marker_arguments(
        (marker.args, marker.kwargs) for marker in item.iter_markers(MARKER)
    )
    try:
        opts = options.cassette_options(*args, **kwargs)
        where = _where(config, item, opts.name)
        mode = options.resolve_record_mode(
            cli=config.getoption("jobrun_record_mode"),
            env=os.environ,
            marker=opts.record_mode,
            ini=str(config.getini("jobrun_record_mode")),
        )
        path = options.cassette_path(*where, allow_outside=opts.allow_outside)
    except (TypeError, ValueError, ReplayJobrunError):
        return None  # the fixture fails the test with the message
    return _Plan(path, options.legacy_cassette_paths(*where), mode)


def _refuse_shared_recordings(
    config: pytest.Config, items: list[pytest.Item], workers: int
) -> None:
    """Tests sharing one cassette that one of them records, on workers that run at the
    same time: which recording lands (or what the others replay) would be a lottery."""
    sharing: dict[Path, list[pytest.Item]] = {}
    for item in items:
        plan = item.stash.get(_plan_key, None)
        if plan is not None:
            sharing.setdefault(plan.path, []).append(item)
    dist = str(config.workerinput.get(_WORKER_DIST, "load"))  # type: ignore[attr-defined]
    for path, tests in sharing.items():
        if len(tests) < 2 or not any(item.stash[_plan_key].records() for item in tests):
            continue
        together = {_same_worker(dist, item) for item in tests}
        if len(together) == 1 and None not in together:
            continue
        error = SharedCassetteError(
            source=path,
            problem=f"{len(tests)} tests share this cassette and at least one records it, "
            f"but pytest-xdist (-n {workers}, --dist {dist}) may run them on different "
            "workers at once, so which recording is written, and what the others replay, "
            "would change from run to run:\n" + "".join(f"    {item.nodeid}\n" for item in tests),
            fix="give each test its own cassette (a name of its own in the marker), or keep "
            "them on one worker: --dist loadgroup with the same "
            '@pytest.mark.xdist_group("name") on each, or --dist loadfile for tests of one '
            "file; or record them without -n",
        )
        for item in tests:
            item.stash[_conflict_key] = str(error)


def _same_worker(dist: str, item: pytest.Item) -> str | None:
    """What xdist's scheduler keeps on one worker for this test (None: nothing)."""
    if dist == "loadfile":
        return item.nodeid.split("::", 1)[0]
    if dist == "loadscope":
        return item.nodeid.rsplit("::", 1)[0]
    if dist == "loadgroup":
        names = sorted(
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        )
        return "_".join(names) if names else None
    return None


def _where(config: pytest.Config, node: pytest.Item, name: str | None) -> tuple[Any, ...]:
    return (
        Path(config.rootpath, str(config.getini("jobrun_cassette_dir"))),
        node.path.relative_to(config.rootpath).as_posix(),
        _test_id(node),
        name,
    )


def _cassette_path(
    config: pytest.Config, node: pytest.Item, opts: options.CassetteOptions, mode: str
) -> Path:
    """The test's cassette, or the file of our own that it was called before (an earlier
    naming, :func:`options.legacy_cassette_paths`), used until renamed, with a warning
    that says how; never an old file that another test's cassette was called too."""
    where = _where(config, node, opts.name)
    path = options.cassette_path(*where, allow_outside=opts.allow_outside)
    if path.is_file():
        return path
    claims = config.stash.get(_claims_key, {})
    for legacy in options.legacy_cassette_paths(*where):
        if not legacy.is_file() or not _ours(legacy):
            continue  # e.g. pytest-recording's cassette of the same test: not ours to take
        others = sorted(
            nodeid
            for nodeid, current in claims.get(legacy, {}).items()
            if nodeid != node.nodeid and current != path
        )
        if others:
            if mode != "none":
                return path  # recording: the new name, never the shared old file
            raise CassettePathError(
                source=legacy,
                problem=f"this file was the cassette of both {node.nodeid} and "
                f"{', '.join(others)} (their names used to map to one file), so it may hold "
                "either's recording; it is used for neither",
                fix=f"record this test's own cassette ({path.name}):\n    "
                f"{options.record_command(node.nodeid)}\n"
                f"or, if you know the file is this test's: git mv {legacy} {path}",
            )
        _warn_legacy(node, legacy, path)
        return legacy
    return path


def _ours(path: Path) -> bool:
    if path.name.endswith(options.SUFFIX):
        return True
    from .cassette.format import load_cassette

    try:
        return bool(load_cassette(path).metadata)
    except (ReplayJobrunError, OSError, UnicodeDecodeError):
        return False


def _warn_legacy(node: pytest.Item, legacy: Path, path: Path) -> None:
    why = (
        f"replay_jobrun's cassette names now end in {options.SUFFIX} (so they never share a "
        "file with pytest-recording's)"
        if not legacy.name.endswith(options.SUFFIX)
        else "replay_jobrun now gives distinct test ids distinct file names"
    )
    test_file, line, _ = node.reportinfo()
    warnings.warn_explicit(  # shown at the test, not in the plugin
        LegacyCassetteNameWarning(
            f"{legacy}: {why}; used under its old name this time. Rename it:\n"
            f"    git mv {legacy} {path}"
        ),
        LegacyCassetteNameWarning,
        filename=str(test_file),
        lineno=(line or 0) + 1,
    )


@pytest.fixture
def jobrun_replay(request: pytest.FixtureRequest) -> Iterator[Replay | Recording]:
    """Replay (or record) this test's cassette for every emr-containers client it creates.

    Exposes ``.client``, ``.cassette``, ``.responses`` and ``.calls``. Fails the
    test at teardown if recorded responses were left unused (opt out with
    ``@pytest.mark.jobrun_cassette(allow_unused=True)``).
    """
    __tracebackhide__ = True
    config, node = request.config, request.node
    assert isinstance(node, pytest.Item)
    node.stash[_active_key] = True
    if _conflict_key in node.stash:
        _fail(node.stash[_conflict_key])
    opts = _marker_options(node)
    try:
        mode = options.resolve_record_mode(
            cli=config.getoption("jobrun_record_mode"),
            env=os.environ,
            marker=opts.record_mode,
            ini=str(config.getini("jobrun_record_mode")),
        )
        path = _cassette_path(config, node, opts, mode)
    except ReplayJobrunError as err:
        _fail(str(err))
    endpoint = config.getoption("jobrun_endpoint_url") or os.environ.get(options.ENDPOINT_URL_ENV)
    action = options.choose_action(mode, path.is_file())
    state = config.stash[_state_key]

    if action is options.Action.MISSING:
        missing = CassetteNotFoundError(
            path=path, mode=mode, command=options.record_command(node.nodeid, endpoint)
        )
        pytest.fail(str(missing), pytrace=False)

    # pytest never throws into a fixture at its yield, so the try blocks below
    # only turn our own errors (bad cassette, leak refused) into clean failures.
    if action is options.Action.REPLAY:
        from .replay.replayer import replay

        try:
            unknown_fields = opts.unknown_fields or options.unknown_fields_policy(
                str(config.getini("jobrun_unknown_fields"))
            )
            with replay(
                path,
                match_requests=opts.match_requests,
                ignore_params=opts.ignore_params,
                region=opts.region,
                skip_sleep=opts.skip_sleep,
                salt=_salt(config),
                rules=state.rules(config),
                unknown_fields=unknown_fields,
                allowed_hosts=(*state.allowed_hosts(config), *opts.allowed_hosts),
                mode=mode,
                subprocesses=opts.subprocesses,
                strict_order=opts.strict_order,
            ) as replaying:
                yield replaying
            state.replayed += 1
            if not opts.allow_unused and _test_passed(node):
                replaying.assert_all_used()
        except ReplayJobrunError as err:
            _fail(str(err))
        return

    from .record.recorder import record

    try:
        with record(
            path,
            mode=mode,
            endpoint_url=endpoint,
            scrubber=state.scrubber(config),
            region=opts.region,
            skip_sleep=opts.skip_sleep,
            subprocesses=opts.subprocesses,
            ignore_params=opts.ignore_params,
        ) as recording:
            state.recorded.append(recording)
            yield recording
            if not _test_passed(node):
                recording.discard()
        _note_drift(config, node, recording)
    except ReplayJobrunError as err:
        _fail(str(err))


def _note_drift(config: pytest.Config, node: pytest.Item, recording: Recording) -> None:
    if recording.previous is None or recording.written is None:
        return
    from .drift.report import cassette_lines

    fail_on = options.drift_fail_on(str(config.getini("jobrun_drift_fail_on")))
    found = recording.drift(config.stash[_state_key].drift_ignore(config))
    if found is None or not found.findings:
        return
    entry = {"nodeid": node.nodeid, "lines": cassette_lines(found), "fails": found.fails(fail_on)}
    # A test report carries it to the summary, from xdist workers too.
    node.user_properties.append((_DRIFT_PROPERTY, json.dumps(entry)))


class _DriftWatch:
    """Collects drift from test reports (xdist workers' too) and, if asked, fails the run."""

    def __init__(self, state: _SessionState, fail: bool) -> None:
        self.state = state
        self.fail = fail

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == _DRIFT_PROPERTY:
                self.state.drift.append(json.loads(str(value)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        failing = any(entry["fails"] for entry in self.state.drift)
        if self.fail and failing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand this worker's lines of the summary to the controller."""
    output = getattr(session.config, "workeroutput", None)
    state = session.config.stash.get(_state_key, None)
    if output is not None and state is not None:
        output[_WORKER_OUTPUT] = [
            [str(recording.path), _recording_lines(recording)] for recording in state.recorded
        ]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist it is never called
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller: a worker's recordings, for the summary."""
    state = node.config.stash.get(_state_key, None)
    output = getattr(node, "workeroutput", None) or {}
    if state is not None:
        state.worker_recorded.extend(
            (str(path), [str(line) for line in lines])
            for path, lines in output.get(_WORKER_OUTPUT, ())
        )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    state = config.stash.get(_state_key, None)
    if state is None:
        return
    _drift_summary(terminalreporter, config, state)
    entries = [_recording_lines(recording) for recording in state.recorded]
    # Workers finish in any order: their recordings are listed by path.
    entries += [lines for _, lines in sorted(state.worker_recorded)]
    if not entries:
        return
    terminalreporter.section("jobrun cassettes")
    for lines in entries:
        for line in lines:
            terminalreporter.write_line(line)


def _recording_lines(recording: Recording) -> list[str]:
    if recording.written is None:
        reason = (
            "the write failed: see the test's error"
            if recording.error is not None
            else "the test did not pass"
            if not recording.keep
            else "no emr-containers call"
        )
        return [f"not written ({reason}): {recording.path}"]
    scrubbed = ", ".join(
        f"{counts['replaced']} {kind}(s)"
        for kind, counts in (recording.report.summary().items() if recording.report else ())
    )
    count = len(recording.written.interactions)
    return [
        f"wrote {recording.path} ({count} interaction{'' if count == 1 else 's'}; "
        f"scrubbed: {scrubbed or 'nothing'})",
        *_scrubbed_fields_lines(recording),
    ]


def _scrubbed_fields_lines(recording: Recording) -> list[str]:
    """Which values the test saw live replay differently: an assertion on one passes
    while recording and fails on replay. Paths and rules only, never the values."""
    keepable = [f for f in recording.scrubbed_fields if not set(f.rules) <= _NEVER_KEPT]
    pseudonymous = [f for f in recording.scrubbed_fields if set(f.rules) <= _NEVER_KEPT]
    lines = []
    if keepable:
        lines.append(
            "  the test saw these response fields live; the cassette holds them scrubbed, "
            "so an assertion on their live values fails on replay:"
        )
        lines += [f"    {found}" for found in keepable]
        lines.append(
            "  to replay one as recorded, keep it (docs/scrubbing.md, 'Keeping a value'), "
            "or assert on what scrubbing leaves"
        )
    if pseudonymous:
        # Never kept (the leak scan refuses them): one line, so it does not drown the above.
        names = ", ".join(f"{f.operation} {f.path}" for f in pseudonymous)
        lines.append(f"  account and access key ids replay as pseudonyms in: {names}")
    return lines


_NEVER_KEPT = frozenset({"account id", "access key id"})


def _drift_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config, state: _SessionState
) -> None:
    if not state.drift:
        return
    terminalreporter.section("jobrun drift")
    for entry in state.drift:
        terminalreporter.write_line(f"{entry['nodeid']}:")
        for line in entry["lines"]:
            terminalreporter.write_line(f"  {line}")
    failing = sum(1 for entry in state.drift if entry["fails"])
    if failing and config.getoption("jobrun_drift_fail"):
        terminalreporter.write_line(
            f"{failing} re-recorded cassette(s) drifted at or above "
            f"jobrun_drift_fail_on = {config.getini('jobrun_drift_fail_on')}: "
            "the run fails (--jobrun-drift-fail)",
            red=True,
        )
    elif failing:
        terminalreporter.write_line(
            f"{failing} re-recorded cassette(s) drifted; review the cassette diff "
            "(--jobrun-drift-fail makes this fail the run)"
        )
