from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import ScriptedEndpoint


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """A real moto server on 127.0.0.1 and a free port, shared by the session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def scripted_endpoint() -> Iterator[Callable[..., ScriptedEndpoint]]:
    """Start ScriptedEndpoint servers on 127.0.0.1 (``scripted_endpoint(script)``), closed after."""
    started: list[ScriptedEndpoint] = []

    def start(script: dict[str, list[str]], gate: int = 0) -> ScriptedEndpoint:
        started.append(ScriptedEndpoint(script, gate))
        return started[-1]

    yield start
    for endpoint in started:
        endpoint.close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any connection attempt fails the test; returns the list of attempts."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network access during replay: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere in the environment."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def moto_url(moto_server_url: str) -> str:
    """The session's moto server, emptied for this test."""
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{moto_server_url}/moto-api/reset", method="POST")
    )
    return moto_server_url
