"""Every example in README.md and docs/*.md, taken from the Markdown and run as users run it.

The fenced code blocks of each document are read in order and each one is run,
checked or explicitly skipped:

- a Python block whose first line is ``# NAME.py`` is a file of the document's
  project: it is written into a pytester folder that also holds this
  repository's ``cassettes/`` and the README's ``jobs.py`` and ``test_jobs.py``;
- an ``ini`` or ``toml`` block is that project's ``pytest.ini`` or
  ``pyproject.toml``: it must parse under ``--strict-config`` and use only ini
  keys the plugin registers;
- a shell block is run line by line in that folder: ``pytest ...`` through
  pytester in a process of its own, ``replay-jobrun ...`` through the CLI entry
  point in this one, ``pip install -e ".[dev]"`` checked against this checkout
  rather than run, ``git add`` accepted as the reader's step; anything else fails;
- ``<!-- example: output of COMMAND -->`` above a block runs COMMAND there and
  compares its output with the block (``...`` stands for any text);
- any other Python block runs as a script there; the ``jobrun_cassette`` marker
  block is compared with the marker the plugin registers;
- ``<!-- example: synopsis -->`` blocks are checked against ``--help``; YAML
  blocks must parse (a pre-commit config must name a hook this repository ships);
- ``<!-- example: skip (REASON) -->`` skips a block that cannot run, visibly;
- in docs/architecture.md, which describes the code, a block without a
  language is a diagram.

A test file no command names runs alone and must pass. Blocks take effect in
document order, as for a reader following the page. A block that fits none of
these fails ``test_every_block_is_run_checked_or_skipped``.

Isolation: the suite's conftest gives fake credentials and no ``~/.aws``; here,
and in every pytest the examples run (``GUARD``), sockets may only connect to
127.0.0.1. ``http://127.0.0.1:5000`` in an example
stands for a local endpoint; it is replaced by ``StandInAWS``, an emr-containers
endpoint on 127.0.0.1 that answers as AWS did in ``cassettes/real``.
"""

from __future__ import annotations

import ast
import base64
import configparser
import contextlib
import copy
import io
import json
import os
import re
import shlex
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

import replay_jobrun
from replay_jobrun import replay
from replay_jobrun.cli import main as replay_jobrun_main
from tests.support import git

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest requires tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Describes the code rather than how to use it: its blocks without a language are diagrams.
DIAGRAMS = ROOT / "docs" / "architecture.md"
LOCAL_ENDPOINT = "http://127.0.0.1:5000"
VC = "k3v9q0x7r2m8w1t5z6b4n0c2d"
# A job StandInAWS knows whose name holds a base64-encoded access key id
# (docs/troubleshooting.md, LeakError).
LEAKY_JOB = "0000000378leakyname"
LEAKED_KEY = "AKIAQWERTYUIOPASDFGH"

NO_SLEEP = "REPLAY_JOBRUN_DOCS_NO_SLEEP"
# Loaded into every pytest the examples run (-p): the same isolation in that process.
GUARD = "_examples_guard.py"
GUARD_TEXT = f"""\
\"\"\"Loaded by tests/test_examples.py: sockets reach 127.0.0.1 only; no sleeping while
recording from its stand-in endpoint.\"\"\"
import os
import socket
import time

_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise AssertionError(f"an example tried to connect to {{address!r}}")
    return _connect(self, address)


socket.socket.connect = _loopback_only
if os.environ.get("{NO_SLEEP}"):
    time.sleep = lambda seconds: None
"""

_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
_NOTE = re.compile(r"^<!--\s*example:\s*(.*?)\s*-->$")
_FILE_LINE = re.compile(r"^#\s*([\w./-]+\.py)\b")
_SHELLS = ("bash", "sh", "shell", "console")


# --- reading the Markdown --------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One fenced code block, with the ``<!-- example: ... -->`` note right above it."""

    document: Path
    line: int
    lang: str
    text: str
    note: str | None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"

    @property
    def file_name(self) -> str | None:
        """``jobs.py`` for a Python block that starts ``# jobs.py — your code``."""
        match = _FILE_LINE.match(self.text)
        return match.group(1) if match and self.lang == "python" else None

    @property
    def kind(self) -> str | None:
        note = self.note or ""
        if note.startswith("skip"):
            return "skip"
        if note.startswith("output of "):
            return "output"
        if note.startswith("synopsis"):
            return "synopsis"
        if note:
            return None  # a note this file does not understand
        if not self.lang and self.document == DIAGRAMS:
            return "diagram"
        if self.lang == "python":
            if self.file_name:
                return "file"
            if self.text.lstrip().startswith("@pytest.mark.jobrun_cassette("):
                return "marker"
            return "script"
        if self.lang in ("ini", "toml"):
            return "config"
        if self.lang in _SHELLS:
            return "shell"
        if self.lang == "yaml":
            return "yaml"
        return None

    @property
    def command(self) -> str:
        assert self.note is not None
        return self.note.removeprefix("output of ").strip()


def blocks_of(document: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, lang = opening.groups()
        above = next((line for line in reversed(lines[:index]) if line.strip()), "")
        note = _NOTE.match(above.strip())
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        assert end < len(lines), f"{document.name}:{index + 1}: the code block is never closed"
        text = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(Block(document, index + 1, lang, text, note.group(1) if note else None))
        index = end + 1
    return blocks


ALL_BLOCKS = [block for document in DOCUMENTS for block in blocks_of(document)]
README_FILES = [b for b in blocks_of(ROOT / "README.md") if b.kind == "file"]


# --- a stand-in for AWS on 127.0.0.1 ---------------------------------------------------


def _recorded_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    """The DescribeJobRun bodies AWS sent, from cassettes/real, by (virtual cluster, job)."""
    bodies = {}
    for path in sorted((CASSETTES / "real").glob("describe-job-run_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        body = json.loads(data["interactions"][0]["response"]["body"]["string"])
        run = body["jobRun"]
        bodies[run["virtualClusterId"], run["id"]] = body
    leaky = copy.deepcopy(bodies[VC, "0000000378nj1d2s7lo"])
    leaky["jobRun"]["id"] = LEAKY_JOB
    leaky["jobRun"]["arn"] = leaky["jobRun"]["arn"].replace("0000000378nj1d2s7lo", LEAKY_JOB)
    leaky["jobRun"]["name"] = base64.b64encode(LEAKED_KEY.encode()).decode()
    bodies[VC, LEAKY_JOB] = leaky
    return bodies


class StandInAWS:
    """emr-containers DescribeJobRun on 127.0.0.1: RUNNING twice, then the recorded body.

    Jobs are those of ``cassettes/real`` (plus ``LEAKY_JOB``); any other request
    gets AWS's ResourceNotFoundException.
    """

    _PATH = re.compile(r"^/virtualclusters/([^/]+)/jobruns/([^/?]+)$")

    def __init__(self) -> None:
        self.bodies = _recorded_bodies()
        self.polls: dict[tuple[str, str], int] = {}
        self.requests = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests += 1
                match = stand_in._PATH.match(self.path)
                key = (match.group(1), match.group(2)) if match else None
                if key not in stand_in.bodies:
                    self._send(404, {"message": f"{self.path} doesn't exist."}, "ResourceNotFound")
                    return
                assert key is not None
                polls = stand_in.polls[key] = stand_in.polls.get(key, 0) + 1
                body = copy.deepcopy(stand_in.bodies[key])
                if polls <= 2:
                    body["jobRun"]["state"] = "RUNNING"
                    for ended in ("finishedAt", "stateDetails", "failureReason"):
                        body["jobRun"].pop(ended, None)
                self._send(200, body)

            def _send(self, status: int, body: Any, error: str | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", "7e1d3a52-0000-4000-8000-000000000001")
                if error:
                    self.send_header("x-amzn-ErrorType", f"{error}Exception")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInAWS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in_aws() -> Iterator[StandInAWS]:
    with StandInAWS() as server:
        yield server


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets may connect to 127.0.0.1 only: no example ever reaches the network."""
    connect = socket.socket.connect

    def checked(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"an example tried to connect to {address!r}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", checked)


# --- files the examples name but do not show ---------------------------------------------


def _real_cassette() -> Any:
    """The YAML of a real DescribeJobRun cassette, as plain data."""
    path = CASSETTES / "real/describe-job-run_completed_sparkpilot-1.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _newer_botocore_cassette(folder: Path) -> None:
    """A real cassette with one response field no botocore knows, as if from a newer API."""
    data = _real_cassette()
    response = data["interactions"][0]["response"]
    body = json.loads(response["body"]["string"])
    body["jobRun"]["exampleNewField"] = "added by a newer API"
    response["body"]["string"] = json.dumps(body, indent=2, sort_keys=True) + "\n"
    response["headers"]["Content-Length"] = [str(len(response["body"]["string"]))]
    data["replay_jobrun"]["botocore"] = "9.99.0"
    target = folder / "cassettes/from-a-newer-botocore.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _plain_vcrpy_cassette(folder: Path) -> None:
    """A real response as plain vcrpy records it: no metadata, credentials and real ids kept."""
    data = _real_cassette()
    del data["replay_jobrun"]
    interaction = data["interactions"][0]
    interaction["request"]["headers"] = {
        "Authorization": [
            f"AWS4-HMAC-SHA256 Credential={LEAKED_KEY}/20260322/us-east-1/emr-containers/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
        ],
        "X-Amz-Date": ["20260322T212251Z"],
    }
    target = folder / "recorded-with-plain-vcrpy.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _drift_pairs(folder: Path) -> None:
    """old.yaml / new.yaml: two recordings of one scenario; old/ and new/: two folders."""
    real = CASSETTES / "real"
    shutil.copy(real / "describe-job-run_completed_sparkpilot-1.yaml", folder / "old.yaml")
    shutil.copy(real / "describe-job-run_completed_sparkpilot-2.yaml", folder / "new.yaml")
    shutil.copytree(real, folder / "old")
    shutil.copytree(real, folder / "new")


def _git_repository(folder: Path) -> None:
    """The folder committed to a repository of its own, with an ``origin/main`` ref."""
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "cassettes")
    git(folder, "update-ref", "refs/remotes/origin/main", "HEAD")


EXTRA_FILES = {  # a name the document mentions -> what makes it
    "from-a-newer-botocore.yaml": _newer_botocore_cassette,
    "recorded-with-plain-vcrpy.yaml": _plain_vcrpy_cassette,
    "old.yaml": _drift_pairs,
    "--against": _git_repository,  # last: it commits everything above
}


# --- running a document --------------------------------------------------------------


@dataclass
class Workspace:
    """A document's project folder, and the runners for its commands."""

    pytester: pytest.Pytester
    stand_in: StandInAWS
    monkeypatch: pytest.MonkeyPatch
    files: dict[str, Block] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)
    pytest_runs: int = 0

    @property
    def path(self) -> Path:
        return self.pytester.path

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def argv(self, command: str) -> tuple[dict[str, str], list[str]]:
        """The environment assignments and the arguments of one shell command."""
        words = shlex.split(command.replace(LOCAL_ENDPOINT, self.stand_in.url), comments=True)
        env = {}
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        self.commands.append(words)
        return env, words

    def run(self, command: str, where: str) -> tuple[int, str]:
        """Run one command; return its exit status and everything it printed."""
        env, words = self.argv(command)
        assert words, f"{where}: an empty command"
        with self.monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            if words[0] == "pytest":
                return self._pytest(words[1:], patch, where)
            if words[0] == "replay-jobrun":
                return self._replay_jobrun(words[1:])
            if words[:2] == ["pip", "install"]:
                assert words[2:] == ["-e", ".[dev]"], f"{where}: an unexpected install: {command}"
                extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                assert "dev" in extras["optional-dependencies"], where
                assert Path(replay_jobrun.__file__).resolve().is_relative_to(ROOT), (
                    "the suite runs against this checkout, installed with pip install -e"
                )
                return 0, ""
            if words[:2] == ["git", "add"]:
                return 0, ""  # committing the cassette is the reader's step
        raise AssertionError(f"{where}: no runner for {command!r}; run it or mark the block skip")

    def _pytest(self, args: list[str], patch: pytest.MonkeyPatch, where: str) -> tuple[int, str]:
        self.pytest_runs += 1
        modes = [a.partition("=")[2] for a in args if a.startswith("--jobrun-record-mode=")]
        recording = bool(modes) and modes[-1] != "none"
        if recording:
            # The stand-in finishes a job in three polls; nobody waits 30 s between them.
            patch.setenv(NO_SLEEP, "1")
        before = self.stand_in.requests
        result = run_pytest(self.pytester, *args)
        if not recording:
            assert self.stand_in.requests == before, f"{where}: replay reached the endpoint"
        return int(result.ret), result.stdout.str() + result.stderr.str()

    def _replay_jobrun(self, args: list[str]) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = replay_jobrun_main(args)
            except SystemExit as exit:  # --help and usage errors
                status = int(exit.code or 0)
        return status, out.getvalue()


def run_pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest as users run it: a process of its own (nothing it imports leaks into this
    one), with ``GUARD`` loaded."""
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", GUARD.partition(".")[0], *args, timeout=300
    )


def _normalized(text: str, pytest_output: bool) -> str:
    lines = text.strip("\n").splitlines()
    if pytest_output:  # pytest marks an exception's lines with "E"
        lines = [re.sub(r"^E\s+", "", line) for line in lines]
    return "\n".join(line.strip() for line in lines) + "\n"


def assert_output_matches(expected: str, actual: str, pytest_output: bool, where: str) -> None:
    """``actual`` line by line as ``expected`` shows it: ``...`` is any text, a line of
    ``...`` any lines; leading and trailing spaces are not compared."""
    pattern = ""
    for line in _normalized(expected, False).splitlines():
        if line == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += r"[^\n]*".join(map(re.escape, line.split("..."))) + r"\n"
    shown = _normalized(actual, pytest_output)
    assert re.fullmatch(pattern, shown), f"{where}: the output differs from the example:\n{actual}"


def check_config(workspace: Workspace, block: Block) -> None:
    """Write the ini or TOML block as the project's config; every key must be registered."""
    if block.lang == "ini":
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(block.text)
        keys = list(parser["pytest"])
        workspace.write("pytest.ini", block.text)
    else:
        keys = list(tomllib.loads(block.text)["tool"]["pytest"]["ini_options"])
        (workspace.path / "pytest.ini").unlink(missing_ok=True)  # pytest would prefer it
        workspace.write("pyproject.toml", block.text)
    config = workspace.pytester.parseconfig("--strict-config")
    for key in keys:
        assert key.startswith("jobrun_"), f"{block.name}: {key} is not one of ours"
        config.getini(key)  # ValueError for a key no plugin registers
    if any(key.startswith("jobrun_drift_") for key in keys):
        status, output = workspace.run("replay-jobrun drift --model cassettes", block.name)
        assert status in (0, 1), f"{block.name}: replay-jobrun drift rejects it:\n{output}"


def check_marker(workspace: Workspace, block: Block) -> None:
    """The marker block lists every option with the default the plugin registers."""
    registered = next(
        line
        for line in workspace.pytester.parseconfigure().getini("markers")
        if line.startswith("jobrun_cassette(")
    )
    signature = registered[len("jobrun_cassette(") : registered.index("):")]
    function = ast.parse(f"def f({signature}): pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    arguments = function.args
    positional = [ast.literal_eval(d) for d in arguments.defaults]
    keywords = {
        a.arg: ast.literal_eval(d)
        for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if d is not None
    }
    decorator = ast.parse(block.text + "def test(): pass\n").body[0]
    assert isinstance(decorator, ast.FunctionDef)
    call = decorator.decorator_list[0]
    assert isinstance(call, ast.Call)
    assert [ast.literal_eval(a) for a in call.args] == positional, block.name
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords} == keywords, block.name


def check_synopsis(workspace: Workspace, block: Block) -> None:
    """Every command and option the synopsis shows exists, and every command is shown."""
    status, overview = workspace.run("replay-jobrun --help", block.name)
    assert status == 0
    listed = re.findall(r"^    (\w+) ", overview, re.MULTILINE)
    options: dict[str, set[str]] = {}
    command = None
    for line in block.text.splitlines():
        if line.startswith("replay-jobrun "):
            command = line.split()[1]
            options.setdefault(command, set())
        assert command is not None, f"{block.name}: {line!r} belongs to no command"
        options[command].update(re.findall(r"(--[a-z][a-z-]*)", line))
    assert sorted(options) == sorted(listed), f"{block.name}: commands differ from --help"
    for name, shown in options.items():
        status, help_text = workspace.run(f"replay-jobrun {name} --help", block.name)
        assert status == 0
        missing = sorted(o for o in shown if o not in help_text)
        assert not missing, f"{block.name}: replay-jobrun {name} has no {missing}"


def check_yaml(block: Block) -> None:
    loaded = yaml.safe_load(block.text)
    if isinstance(loaded, dict) and "repos" in loaded:  # a .pre-commit-config.yaml
        ours = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
        used = {h["id"] for repo in loaded["repos"] for h in repo["hooks"]}
        assert used <= ours, f"{block.name}: no such hook in .pre-commit-hooks.yaml"
    else:  # a GitHub Actions workflow
        assert isinstance(loaded, dict), block.name
        assert loaded["jobs"], block.name
        for job in loaded["jobs"].values():
            assert all("uses" in step or "run" in step for step in job["steps"]), block.name


def check_json_report(output: str, where: str) -> None:
    import jsonschema

    from replay_jobrun.report import json_schema

    try:
        jsonschema.validate(json.loads(output), json_schema())
    except jsonschema.ValidationError as err:
        raise AssertionError(f"{where}: the report does not follow its schema: {err}") from err


def run_script(workspace: Workspace, block: Block) -> None:
    text = block.text.replace(LOCAL_ENDPOINT, workspace.stand_in.url)
    with workspace.monkeypatch.context() as patch:
        patch.setattr(time, "sleep", lambda seconds: None)
        patch.syspath_prepend(str(workspace.path))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(text, block.name, "exec"), {"__name__": "__main__"})


def run_document(workspace: Workspace, document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    shutil.copytree(CASSETTES, workspace.path / "cassettes")
    workspace.write(GUARD, GUARD_TEXT)
    workspace.write("pytest.ini", "[pytest]\n")
    for block in README_FILES:
        workspace.write(block.file_name or "", block.text)
    for mention, make in EXTRA_FILES.items():
        if mention in text:
            make(workspace.path)
    own_files: list[Block] = []
    for block in blocks_of(document):
        kind = block.kind
        if kind == "file":
            workspace.write(block.file_name or "", block.text)
            own_files.append(block)
        elif kind == "config":
            check_config(workspace, block)
        elif kind == "shell":
            for line in block.text.splitlines():
                for command in filter(str.strip, line.split("&&")):
                    if command.strip().startswith("#"):
                        continue
                    status, output = workspace.run(command, block.name)
                    assert status == 0, f"{block.name}: {command} failed:\n{output}"
        elif kind == "output":
            status, output = workspace.run(block.command, block.name)
            is_pytest = workspace.commands[-1][:1] == ["pytest"]
            assert_output_matches(block.text, output, is_pytest, block.name)
            if block.lang == "json":
                check_json_report(output, block.name)
        elif kind == "marker":
            check_marker(workspace, block)
        elif kind == "synopsis":
            check_synopsis(workspace, block)
        elif kind == "yaml":
            check_yaml(block)
        elif kind == "script":
            run_script(workspace, block)
        else:
            assert kind in ("skip", "diagram"), f"{block.name}: nothing runs or checks this block"
    named = {word.partition("::")[0] for words in workspace.commands for word in words}
    for block in own_files:
        name = block.file_name or ""
        if name.startswith("test_") and name not in named:
            result = run_pytest(workspace.pytester, name)
            workspace.pytest_runs += 1
            assert result.ret == 0, f"{block.name}: {name} fails:\n{result.stdout.str()}"
            assert result.parseoutcomes().get("passed", 0) > 0, f"{block.name}: nothing ran"
    if own_files:
        assert workspace.pytest_runs, f"{document.name}: its files never run under pytest"
    for landed in re.findall(r"lands in `([^`]+)`", text):
        assert (workspace.path / landed).is_file(), f"{document.name}: no {landed}"


# --- the tests -------------------------------------------------------------------------


def test_every_block_is_run_checked_or_skipped() -> None:
    unknown = [f"{b.name} ({b.lang or 'no language'})" for b in ALL_BLOCKS if b.kind is None]
    assert not unknown, (
        "these examples are neither run nor checked: make them runnable, or put "
        "<!-- example: skip (REASON) --> right above them\n  " + "\n  ".join(unknown)
    )
    skipped = [b for b in ALL_BLOCKS if b.kind == "skip"]
    vague = [b.name for b in skipped if not re.search(r"\(.+\)", b.note or "")]
    assert not vague, f"a skipped example must say why: {vague}"


def test_the_readme_keeps_the_quickstart_on_its_first_screen() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    quickstart = lines.index("## Quickstart")
    assert quickstart < 40
    commands = {b.text.strip() for b in blocks_of(ROOT / "README.md") if b.lang == "bash"}
    assert 'pip install -e ".[dev]" && replay-jobrun demo' in commands
    assert 'pip install -e ".[dev]" && pytest' in commands


def test_the_docs_link_only_to_files_that_exist() -> None:
    missing = []
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", document.read_text()):
            if not (document.parent / target).exists():
                missing.append(f"{document.name}: {target}")
    assert not missing


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_the_examples_of(
    document: Path,
    pytester: pytest.Pytester,
    stand_in_aws: StandInAWS,
    loopback_only: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_document(Workspace(pytester, stand_in_aws, monkeypatch), document)


def test_the_replayed_real_cassette_holds_no_real_account_id() -> None:
    """The one check of the old examples that names a real account id, kept out of the docs."""
    cassette = CASSETTES / "real/describe-job-run_failed-user-error_sparkpilot-1.yaml"
    with replay(cassette):
        client = boto3.client("emr-containers", region_name="us-east-1")
        run = client.describe_job_run(virtualClusterId=VC, id="0000000378ndnj64mdt")["jobRun"]
    assert "604193857261" not in run["arn"]
    assert run["arn"].startswith("arn:aws:emr-containers:us-east-1:")
    assert os.environ.get("AWS_CONFIG_FILE") == os.devnull  # the suite's isolation holds
