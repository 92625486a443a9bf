"""The connections a recording opens are closed when it ends, whatever vcrpy version."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from replay_jobrun import record


class _KeepAlive(BaseHTTPRequestHandler):
    """ListVirtualClusters, empty, on a connection left open: as AWS answers.

    moto's server says ``Connection: close``, so http.client closes the socket itself
    and a connection vcrpy forgets leaks nothing there.
    """

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"virtualClusters": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def keep_alive_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _client(url: str) -> Any:
    session = botocore.session.get_session()
    return session.create_client("emr-containers", region_name="us-east-1", endpoint_url=url)


def test_a_recording_leaves_no_socket_to_the_garbage_collector(
    tmp_path: Path, keep_alive_url: str
) -> None:
    # vcrpy < 9.4.2 never returned the connection to botocore's pool, so close()
    # could not reach it: "ResourceWarning: unclosed <socket...>" at collection,
    # an error in any suite run with filterwarnings = error (this one's included).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        client = _client(keep_alive_url)
        with record(tmp_path / "calls.yaml", mode="all", endpoint_url=keep_alive_url):
            client.list_virtual_clusters()
            client.list_virtual_clusters()
        client.close()
        del client
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_a_client_kept_after_the_recording_holds_no_connection_of_it(
    tmp_path: Path, keep_alive_url: str
) -> None:
    client = _client(keep_alive_url)
    with record(tmp_path / "calls.yaml", mode="all", endpoint_url=keep_alive_url) as recording:
        client.list_virtual_clusters()
    # vcrpy's stubs, bound to the finished cassette, are gone from botocore's pools
    # (vcrpy 9.4.2 put them back there, where the next call would have used them).
    pools = client._endpoint.http_session._manager.pools
    keys = pools.keys()  # urllib3's RecentlyUsedContainer refuses iteration
    idle = [c for key in keys for c in pools[key].pool.queue if c is not None]
    assert [c for c in idle if "real_connection" in vars(c)] == []
    # The client still works, over a connection of its own.
    assert client.list_virtual_clusters()["virtualClusters"] == []
    assert len(recording.calls) == 1
    client.close()
