"""pytest glue only: options, the marker, the ``jobrun_replay`` fixture, the summary.

Everything heavy (botocore, vcrpy) is imported inside the fixture, so having
the plugin installed costs a suite that never uses it nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import options
from .errors import CassetteNotFoundError, ReplayJobrunError

if TYPE_CHECKING:
    from .record import Recording
    from .replay import Replay
    from .rules import Rule
    from .scrub import Scrubber

MARKER = "jobrun_cassette"


@dataclass
class _SessionState:
    recorded: list[Recording] = field(default_factory=list)
    replayed: int = 0
    _scrubber: Scrubber | None = None
    _rules: list[Rule] | None = None

    def rules(self, config: pytest.Config) -> list[Rule]:
        """The ini options' scrub rules, then the ``pytest_jobrun_scrub_rules`` hooks'."""
        if self._rules is None:
            from .rules import parse_lines

            found = parse_lines(
                (str(line) for line in config.getini("jobrun_scrub_regex")),
                (str(line) for line in config.getini("jobrun_scrub_fields")),
                (str(line) for line in config.getini("jobrun_scrub_keep")),
            )
            for extra in config.hook.pytest_jobrun_scrub_rules(config=config):
                found.extend(extra or ())
            self._rules = found
        return self._rules

    def scrubber(self, config: pytest.Config) -> Scrubber:
        # One scrubber per run: pseudonyms agree across every cassette it writes.
        if self._scrubber is None:
            from .scrub import Scrubber

            self._scrubber = Scrubber(salt=_salt(config), rules=self.rules(config))
        return self._scrubber


def _salt(config: pytest.Config) -> str | None:
    return os.environ.get(options.SALT_ENV) or str(config.getini("jobrun_scrub_salt")) or None


_state_key = pytest.StashKey[_SessionState]()
_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


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
    parser.addini(
        "jobrun_scrub_salt",
        f"salt of scrubbing pseudonyms (${options.SALT_ENV} wins)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name_or_path=None, *, record_mode=None, allow_unused=False, skip_sleep=False, "
        "ignore_params=(), match_requests=True, region=None): cassette and replay options "
        "of the jobrun_replay fixture.",
    )
    config.stash[_state_key] = _SessionState()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    item.stash.setdefault(_reports_key, {})[report.when] = report


def _test_passed(node: pytest.Item) -> bool:
    call = node.stash.get(_reports_key, {}).get("call")
    return call is not None and call.passed


def _test_name(node: pytest.Item) -> str:
    # Class and parameters included: TestPoller.test_timeout[slow]
    return ".".join(node.nodeid.split("::")[1:]) or node.name


def _marker_options(node: pytest.Item) -> options.CassetteOptions:
    __tracebackhide__ = True
    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return options.CassetteOptions()
    try:
        return options.cassette_options(*marker.args, **marker.kwargs)
    except (TypeError, ReplayJobrunError) as err:
        pytest.fail(f"@pytest.mark.{MARKER}: {err}", pytrace=False)


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
    opts = _marker_options(node)
    try:
        mode = options.resolve_record_mode(
            cli=config.getoption("jobrun_record_mode"),
            env=os.environ,
            marker=opts.record_mode,
            ini=str(config.getini("jobrun_record_mode")),
        )
    except ReplayJobrunError as err:
        pytest.fail(str(err), pytrace=False)
    path = options.cassette_path(
        Path(config.rootpath, str(config.getini("jobrun_cassette_dir"))),
        node.path.relative_to(config.rootpath).as_posix(),
        _test_name(node),
        opts.name,
    )
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
        from .replay import replay

        try:
            with replay(
                path,
                match_requests=opts.match_requests,
                ignore_params=opts.ignore_params,
                region=opts.region,
                skip_sleep=opts.skip_sleep,
                salt=_salt(config),
                rules=state.rules(config),
            ) as replaying:
                yield replaying
            state.replayed += 1
            if not opts.allow_unused and _test_passed(node):
                replaying.assert_all_used()
        except ReplayJobrunError as err:
            pytest.fail(str(err), pytrace=False)
        return

    from .record import record

    try:
        with record(
            path,
            mode=mode,
            endpoint_url=endpoint,
            scrubber=state.scrubber(config),
            region=opts.region,
        ) as recording:
            state.recorded.append(recording)
            yield recording
            if not _test_passed(node):
                recording.discard()
    except ReplayJobrunError as err:
        pytest.fail(str(err), pytrace=False)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    state = config.stash.get(_state_key, None)
    if state is None or not state.recorded:
        return
    terminalreporter.section("jobrun cassettes")
    for recording in state.recorded:
        if recording.written is None:
            reason = "the test did not pass" if not recording.keep else "no emr-containers call"
            terminalreporter.write_line(f"not written ({reason}): {recording.path}")
            continue
        scrubbed = ", ".join(
            f"{counts['replaced']} {kind}(s)"
            for kind, counts in (recording.report.summary().items() if recording.report else ())
        )
        terminalreporter.write_line(
            f"wrote {recording.path} ({len(recording.written.interactions)} interactions; "
            f"scrubbed: {scrubbed or 'nothing'})"
        )
