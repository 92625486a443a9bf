"""Run a mutated cassette through replay_jobrun's six entry points, in a bounded child process.

The entry points, as users reach them: ``load`` (``load_cassette``), ``replay``
(``replay(path)`` around a real botocore client making the calls the original
cassette holds), and the ``show``, ``scan``, ``scrub`` and ``drift`` commands
(``replay_jobrun.cli.main.main`` in-process; drift's OLD is the unmutated original).

What counts as a failure (``EntryOutcome.violation``) is only:

- an exception that is not a :class:`~replay_jobrun.errors.ReplayJobrunError`
  (for ``replay``, botocore's ``ClientError`` from a recorded error response is
  the correct answer); for the command, an exception escaping ``main()`` or an
  exit status other than 0, 1 or 2 (3 is an internal error);
- any file of the case folder changed, added or removed (``scrub`` may rewrite
  the cassette when it exits 0); a YAML tag that ran code (the canary file);
- running out of the memory budget (``MemoryError`` under ``RLIMIT_AS``), past
  the time limit, or the child process dying.

Each case runs in a child process (``python -m tests.property.fuzz_runner``)
whose address space is capped, so an alias bomb costs a ``MemoryError``, not
the machine; the parent (:class:`FuzzWorker`) kills a child past the time
limit and starts another. Both ``tests/property/test_fuzz_cassettes.py`` and
``tools/fuzz_cassettes.py`` drive it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ("load", "replay", "show", "scan", "scrub", "drift")
CANARY = "fuzz-canary-executed"  # fuzz_mutations.CANARY: a tag that runs code touches it
_MESSAGE_CHARS = 400


@dataclass
class EntryOutcome:
    """What one entry point did with one mutated cassette.

    ``status``: ``accepted`` (no error, exit 0), ``finding`` (exit 1: drift or a
    leak), ``error`` (a library error, exit 2), ``crash`` (anything else).
    """

    entry: str
    status: str
    exit_code: int | None = None
    exc_type: str | None = None
    message: str = ""
    where: str | None = None  # innermost frame of the raise: file:line (function)
    where_project: str | None = None  # innermost frame inside replay_jobrun/
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def violation(self) -> str | None:
        """Why this outcome breaks the contract, or None."""
        if self.status == "crash":
            where = self.where_project or self.where or "?"
            return f"{self.entry}: {self.exc_type or 'exit ' + str(self.exit_code)} at {where}: {self.message}"
        if self.changed:
            return f"{self.entry}: changed {', '.join(self.changed)} (status {self.status})"
        return None

    @property
    def crash_class(self) -> str:
        """Exception type and where replay_jobrun raised it (a crash's identity)."""
        return f"{self.exc_type or 'exit ' + str(self.exit_code)} at {self.where_project or self.where}"


@dataclass
class CaseResult:
    """The six outcomes of one case, the child's peak resident memory while it ran."""

    outcomes: list[EntryOutcome]
    peak_rss_kb: int = 0
    seconds: float = 0.0

    @property
    def violations(self) -> list[str]:
        return [v for v in (o.violation for o in self.outcomes) if v]


# --- the child process --------------------------------------------------------------


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def _frame(entry: traceback.FrameSummary) -> str:
    import sysconfig

    name = entry.filename
    bases = [str(ROOT), *sysconfig.get_paths().values(), *(p for p in sys.path if p)]
    for base in sorted({b + os.sep for b in bases}, key=len, reverse=True):
        if name.startswith(base):
            name = name[len(base) :]
            break
    return f"{name}:{entry.lineno} ({entry.name})"


def _where(err: BaseException) -> tuple[str | None, str | None]:
    frames = traceback.extract_tb(err.__traceback__)
    package = str(ROOT / "replay_jobrun") + os.sep
    ours = [f for f in frames if f.filename.startswith(package)]
    return (
        _frame(frames[-1]) if frames else None,
        _frame(ours[-1]) if ours else None,
    )


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file digests, link targets, folders (links not followed)."""
    found: dict[str, str] = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(top) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    out = [f"{name} (removed)" for name in before if name not in after]
    out += [f"{name} (added)" for name in after if name not in before]
    out += [name for name in before if name in after and before[name] != after[name]]
    return sorted(out)


def materialize(
    root: Path, name: str, original: Path, path_variant: str | None
) -> tuple[Path, Path]:
    """Lay out ``root/work`` afresh: ``old/NAME`` (the original), and the mutated path.

    Returns (mutated path, original copy). The mutated bytes are ``root/input.bin``.
    """
    work = root / "work"
    if work.exists() or work.is_symlink():
        shutil.rmtree(work)
    (work / "old").mkdir(parents=True)
    (work / "new").mkdir()
    old = work / "old" / name
    old.write_bytes(original.read_bytes())
    data = (root / "input.bin").read_bytes()
    target = work / "new" / name
    if path_variant == "long-name":
        return work / "new" / ("x" * 300 + ".yaml"), old
    if path_variant == "symlink-loop":
        target.symlink_to(name)
        return target, old
    if path_variant == "nul-in-name":
        return Path(str(work / "new" / "bad\x00name.yaml")), old
    if path_variant == "directory":
        target.mkdir()
        (target / name).write_bytes(data)
        return target, old
    target.write_bytes(data)
    return target, old


_calls_cache: dict[Path, tuple[str, list[tuple[str, dict[str, Any]]]]] = {}


def recorded_calls(original: Path) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """The region and the (operation, params) of each call an unmutated cassette holds."""
    if original not in _calls_cache:
        from replay_jobrun import load_cassette
        from replay_jobrun.replay.matching import request_params

        cassette = load_cassette(original)
        calls = []
        for interaction in cassette.interactions:
            assert interaction.operation is not None
            params = request_params(
                interaction.operation,
                interaction.request.method,
                interaction.request.uri,
                interaction.request.body,
            )
            calls.append(
                (interaction.operation, {k: v for k, v in params.items() if not k.startswith("(")})
            )
        _calls_cache[original] = (str(cassette.metadata.get("region") or "us-east-1"), calls)
    return _calls_cache[original]


def _load(target: Path, old: Path, original: Path) -> int | None:
    from replay_jobrun import load_cassette

    load_cassette(target)
    return None


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    """One botocore session per child: its loader reads the service model once."""
    import botocore.session

    return botocore.session.get_session()


def _replay(target: Path, old: Path, original: Path) -> int | None:
    from botocore import xform_name
    from botocore.exceptions import ClientError

    from replay_jobrun import replay

    region, calls = recorded_calls(original)
    with replay(target):
        client = _session().create_client("emr-containers", region_name=region)
        for operation, params in calls:
            # A recorded error response replays as botocore's modeled error: the right answer.
            with contextlib.suppress(ClientError):
                getattr(client, xform_name(operation))(**params)
    return None


def _command(*args: str) -> Callable[[Path, Path, Path], int | None]:
    def run(target: Path, old: Path, original: Path) -> int | None:
        from replay_jobrun.cli.main import main

        argv = [a.replace("{new}", str(target)).replace("{old}", str(old)) for a in args]
        try:
            return main(argv)
        except SystemExit as exit_:  # argparse
            return exit_.code if isinstance(exit_.code, int) else 2

    return run


def _hang(target: Path, old: Path, original: Path) -> int | None:
    time.sleep(3600)
    return None


def _die(target: Path, old: Path, original: Path) -> int | None:
    os.kill(os.getpid(), signal.SIGKILL)
    return None


def _hog(target: Path, old: Path, original: Path) -> int | None:
    hog = bytearray(1 << 40)  # past any budget: MemoryError at once under RLIMIT_AS
    return len(hog)


def _touch(target: Path, old: Path, original: Path) -> int | None:
    target.write_bytes(target.read_bytes() + b"#")
    return None


_ENTRIES: dict[str, Callable[[Path, Path, Path], int | None]] = {
    "load": _load,
    "replay": _replay,
    "show": _command("show", "{new}"),
    "scan": _command("scan", "{new}"),
    "scrub": _command("scrub", "{new}"),
    "drift": _command("drift", "{old}", "{new}"),
    # The harness's own checks (tests/unit/test_fuzz_support.py): each must be caught.
    "_hang": _hang,
    "_die": _die,
    "_hog": _hog,
    "_touch": _touch,
}


def run_entry(
    entry: str, root: Path, name: str, original: Path, path_variant: str | None
) -> EntryOutcome:
    """One entry point on a fresh copy of the case's files; what it raised or returned."""
    target, old = materialize(root, name, original, path_variant)
    work = root / "work"
    before = _snapshot(work)
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(work)  # the CLI reads settings from the current folder; a tag's canary lands here
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _ENTRIES[entry](target, old, original)
    except Exception as error:  # the whole point: which exceptions get out
        from replay_jobrun.errors import ReplayJobrunError

        where, ours = _where(error)
        library = isinstance(error, ReplayJobrunError) and entry in ("load", "replay")
        outcome = EntryOutcome(
            entry,
            "error" if library else "crash",
            exc_type=f"{type(error).__module__}.{type(error).__qualname__}".removeprefix(
                "builtins."
            ),
            message=_short(str(error) or repr(error)),
            where=where,
            where_project=ours,
        )
        del error
    else:
        if code is None:
            outcome = EntryOutcome(entry, "accepted")
        else:
            status = {0: "accepted", 1: "finding", 2: "error"}.get(code, "crash")
            outcome = EntryOutcome(entry, status, exit_code=code)
            if status != "accepted":
                outcome.message = _short(
                    err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else ""
                )
    finally:
        os.chdir(cwd)
    outcome.seconds = time.perf_counter() - started
    after = _snapshot(work)
    if entry == "scrub" and outcome.status == "accepted":
        # A successful scrub may rewrite the cassettes it was given (a folder's too), nothing else.
        for rel in [r for r in before if r in after]:
            path = work / rel
            if path == target or target in path.parents:
                del before[rel], after[rel]
    outcome.changed = _changes(before, after)
    if (work / CANARY).exists():
        outcome.status = "crash"
        outcome.exc_type = outcome.exc_type or "CodeExecuted"
        outcome.message = f"a YAML tag ran code: {CANARY} was created. {outcome.message}"
    return outcome


def _peak_reset() -> bool:
    try:  # Linux: "5" resets VmHWM, so each case's peak is its own
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _forget_loaded() -> None:
    """Drop load_cassette's per-path cache: hundreds of cases must not add up in one budget."""
    from replay_jobrun.cassette import format as cassette_format

    cache = getattr(cassette_format, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _status_kb(name: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _warm_up() -> None:
    """Import and initialise everything once, before the memory cap is taken."""
    import botocore.session

    import replay_jobrun.cli.main
    import replay_jobrun.drift.run
    import replay_jobrun.scrub.scan
    import replay_jobrun.scrub.scrubber
    from replay_jobrun import replay

    del replay_jobrun
    botocore.session.get_session().create_client("emr-containers", region_name="us-east-1")
    assert replay is not None


def _cap_memory(budget_mb: int) -> None:
    import resource

    limit = _status_kb("VmSize") * 1024 + budget_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def child_main(argv: Sequence[str] | None = None) -> int:
    """The child: read one case a line on stdin, write an event a line on the protocol fd."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    args = parser.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing else may write into the protocol
    _warm_up()
    _cap_memory(args.memory_mb)
    protocol.write(json.dumps({"event": "ready"}) + "\n")
    for line in sys.stdin:
        case = json.loads(line)
        root = Path(case["root"])
        _forget_loaded()
        _peak_reset()
        for entry in case["entries"]:
            protocol.write(json.dumps({"event": "start", "entry": entry}) + "\n")
            outcome = run_entry(
                entry, root, case["name"], Path(case["original"]), case["path_variant"]
            )
            protocol.write(json.dumps({"event": "outcome", **asdict(outcome)}) + "\n")
            if case["stop_on_violation"] and outcome.violation:
                break
        protocol.write(json.dumps({"event": "done", "peak_rss_kb": _status_kb("VmHWM")}) + "\n")
    return 0


# --- the parent side -----------------------------------------------------------------


class _Lines:
    """Lines from a pipe, each within a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event; None on end of file; TimeoutError past ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        event: dict[str, Any] = json.loads(line)
        return event


@dataclass
class Case:
    """A mutated cassette to run: where its files go and what it was made from."""

    root: Path
    original: Path
    data: bytes
    path_variant: str | None = None


class FuzzWorker:
    """A bounded child process running cases; restarted after a timeout or a death."""

    def __init__(
        self, memory_mb: int = 512, timeout: float = 60.0, log: Path | None = None
    ) -> None:
        self.memory_mb = memory_mb
        self.timeout = timeout
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.lines: _Lines | None = None
        self.restarts = 0

    def __enter__(self) -> FuzzWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> tuple[subprocess.Popen[bytes], _Lines]:
        if self.proc is None or self.lines is None:
            stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.property.fuzz_runner",
                    "--memory-mb",
                    str(self.memory_mb),
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
            if self.log:
                stderr.close()  # type: ignore[union-attr]
            assert self.proc.stdout is not None
            self.lines = _Lines(self.proc.stdout.fileno())
            ready = self.lines.next(max(self.timeout, 120.0))
            if ready is None or ready.get("event") != "ready":
                raise RuntimeError(f"the fuzz child did not start (see {self.log})")
        return self.proc, self.lines

    def _stop(self) -> str:
        """Kill the child (this worker's own process, by pid); how it ended."""
        proc, self.proc, self.lines = self.proc, None, None
        if proc is None:
            return "not running"
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
        self.restarts += 1
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
            self.lines = None

    def run(
        self, case: Case, entries: Sequence[str] = ENTRY_POINTS, *, stop_on_violation: bool = False
    ) -> CaseResult:
        """All ``entries`` on one case; a timeout or a death is that entry's crash.

        ``stop_on_violation`` ends the case at its first violation (the suite's test
        stops at the first failing case anyway; an alias bomb costs one entry, not six)."""
        case.root.mkdir(parents=True, exist_ok=True)
        (case.root / "input.bin").write_bytes(case.data)
        name = case.original.name
        outcomes: list[EntryOutcome] = []
        peak = 0
        started = time.perf_counter()
        todo = list(entries)
        while todo:
            proc, lines = self._start()
            assert proc.stdin is not None
            request = {
                "root": str(case.root),
                "name": name,
                "original": str(case.original),
                "path_variant": case.path_variant,
                "entries": todo,
                "stop_on_violation": stop_on_violation,
            }
            proc.stdin.write((json.dumps(request) + "\n").encode())
            proc.stdin.flush()
            current: str | None = None
            for event in self._events(lines):
                if event["event"] == "start":
                    current = event["entry"]
                elif event["event"] == "outcome":
                    del event["event"]
                    outcomes.append(EntryOutcome(**event))
                    todo.remove(event["entry"])
                    if stop_on_violation and outcomes[-1].violation:
                        todo.clear()
                elif event["event"] == "done":
                    peak = max(peak, event["peak_rss_kb"])
                    break
                elif event["event"] in ("timeout", "eof"):
                    how = "Timeout" if event["event"] == "timeout" else "ChildDied"
                    ended = self._stop()
                    entry = current or todo[0]
                    outcomes.append(
                        EntryOutcome(
                            entry,
                            "crash",
                            exc_type=how,
                            message=f"no answer within {self.timeout:.0f} s; child {ended}"
                            if how == "Timeout"
                            else f"child {ended}",
                        )
                    )
                    todo.remove(entry)
                    if stop_on_violation:
                        todo.clear()
                    break
        return CaseResult(outcomes, peak, time.perf_counter() - started)

    def _events(self, lines: _Lines) -> Iterator[dict[str, Any]]:
        while True:
            try:
                event = lines.next(self.timeout)
            except TimeoutError:
                yield {"event": "timeout"}
                return
            if event is None:
                yield {"event": "eof"}
                return
            yield event


if __name__ == "__main__":
    sys.exit(child_main())
