"""Paths and constants shared by the tests."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
# Only tools/build_cassettes.py reads the real response bodies: the suite runs on the committed cassettes.

# The credentials the root conftest.py puts in the environment: never in a cassette.
TEST_ACCESS_KEY = "AKIATESTREPLAYJOBRUN"
TEST_SESSION_TOKEN = "FQoGZXIvYXdzEKTestSessionTokenForReplayJobrunSuite0123456789"
MOTO_ACCOUNT = "123456789012"


def git(folder: Path, *args: str) -> None:
    """Run git in ``folder`` with a throwaway identity (tests commit cassettes to real repos)."""
    subprocess.run(
        ["git", "-c", "user.name=tests", "-c", "user.email=tests@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def edited_cassette(
    source: Path, target: Path, edit: Callable[[dict[str, Any]], None], index: int = 0
) -> Path:
    """A copy of ``source`` at ``target`` whose interaction ``index`` has its JSON body edited."""
    from dataclasses import replace

    from replay_jobrun.cassette.format import Cassette, dump_cassette, parse_cassette

    cassette = parse_cassette(source.read_text(encoding="utf-8"), source)
    interactions = list(cassette.interactions)
    body = json.loads(interactions[index].response.decoded_body())
    edit(body)
    response = replace(
        interactions[index].response, body=json.dumps(body, indent=2, sort_keys=True).encode()
    )
    interactions[index] = replace(interactions[index], response=response)
    target.parent.mkdir(parents=True, exist_ok=True)
    edited = Cassette(target, tuple(interactions), cassette.metadata, cassette.foreign_metadata)
    target.write_text(dump_cassette(edited), encoding="utf-8")
    return target


def load_script(name: str, relpath: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A script of the source tree (``benchmarks/``, ``tools/``) as a module named ``name``,
    registered while the test runs (dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


# --- a scripted emr-containers endpoint -----------------------------------------------------

# What a throttled or failing emr-containers call answers: status, error type, message.
FAILURES = {
    "throttle": (429, "ThrottlingException", "Rate exceeded"),
    "500": (500, "InternalServerException", "Internal failure"),
    "503": (503, "ServiceUnavailable", "Service unavailable"),
}


class ScriptedEndpoint:
    """A real HTTP server on 127.0.0.1 answering DescribeJobRun as the service does, by script.

    ``script[job_id]`` lists what the job's successive requests get: a key of FAILURES
    (an error response botocore retries), or a job state (200 with a DescribeJobRun body
    in that state, as moto's server writes it). ``gate`` holds the first ``gate``
    requests until all have arrived, so that calls from several threads interleave.
    """

    def __init__(self, script: dict[str, list[str]], gate: int = 0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.script = {job: list(steps) for job, steps in script.items()}
        self.requests: list[tuple[str, str]] = []  # (job id, amz-sdk-request header)
        self._lock = threading.Lock()
        self._gate = threading.Barrier(gate) if gate else None
        self._gated = gate
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = endpoint._answer(self.path, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _answer(self, path: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        cluster, job = path.rstrip("/").split("/")[-3], path.rstrip("/").split("/")[-1]
        with self._lock:
            self.requests.append((job, headers.get("amz-sdk-request", "")))
            steps = self.script.get(job) or []
            step = steps.pop(0) if steps else "COMPLETED"
            gate = self._gate if self._gated > 0 else None
            self._gated -= 1
        if gate is not None:
            gate.wait(timeout=10)
        base = {"Content-Type": "application/json", "x-amzn-RequestId": f"req-{job}"}
        if step in FAILURES:
            status, kind, message = FAILURES[step]
            body = json.dumps({"message": message}).encode()
            return status, {**base, "x-amzn-ErrorType": kind}, body
        arn = f"arn:aws:emr-containers:us-east-1:{MOTO_ACCOUNT}:/virtualclusters/{cluster}/jobruns/{job}"
        run = {
            "id": job,
            "name": f"job-{job}",
            "virtualClusterId": cluster,
            "arn": arn,
            "state": step,
            "releaseLabel": "emr-7.10.0-latest",
            "createdAt": "2026-01-01T00:00:00+00:00",
        }
        return 200, base, json.dumps({"jobRun": run}).encode()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(n)`` in ``count`` threads started together; their results, or raise."""
    import threading

    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
