"""While a cassette replays, nothing but loopback leaves the process.

emr-containers calls are answered by the cassette before they reach the
network. Everything else is stopped where it would leave: a name look-up
(``socket.getaddrinfo``, so not even DNS is asked) or a connection
(``socket.socket.connect``), in every thread, for every library, with a
:class:`~replay_jobrun.errors.BlockedHostError` naming the host and how to
allow it. Loopback (``localhost``, 127.0.0.0/8, ::1) and local sockets stay
open, so a moto server or a local stand-in keeps working; so do the hosts the
user allowed, and the addresses they resolve to.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import BlockedHostError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
# SERVICE[.dualstack][.REGION].amazonaws.com[.cn]; the region must look like one, so the
# bucket of a virtual-hosted S3 name (bucket.s3.amazonaws.com) is never taken for the service.
_AWS_HOST = re.compile(
    r"(?:^|\.)([a-z0-9-]+)\.(?:dualstack\.)?(?:[a-z]{2}(?:-[a-z]+)+-\d+\.)?"
    r"amazonaws\.com(?:\.cn)?\.?$"
)

_lock = threading.Lock()
_guards: list[_Guard] = []  # active guards, innermost last
_originals: dict[str, Any] = {}


def aws_service(host: str) -> str | None:
    """The AWS service a host name belongs to (``sts.amazonaws.com`` -> ``sts``), if any."""
    match = _AWS_HOST.search(host.lower())
    return match.group(1) if match else None


def is_loopback(host: str) -> bool:
    host = host.lower().strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def describe(host: str) -> str:
    """What was attempted, with the AWS service where the host says which."""
    service = aws_service(host)
    return f"a connection (AWS service {service})" if service else "a connection"


class _Guard:
    """The hosts one replay allows, and the addresses they resolved to."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = frozenset(host.lower() for host in allowed)
        self.resolved: set[str] = set()

    def permits(self, host: str) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        return is_loopback(host) or host in self.allowed or host in self.resolved


def permitted(host: str) -> bool:
    """Whether the active guards let ``host`` through (all of them, if nested)."""
    with _lock:
        guards = list(_guards)
    return all(guard.permits(host) for guard in guards)


def active_vcr_cassette() -> Any:
    """The vcrpy cassette active in the process (pytest-recording's ``vcr``), if any.

    vcrpy patches each connection class with a subclass whose ``cassette`` is the
    active cassette; the innermost one answers every request. It answers from its
    file without a socket, so replay lets other services' calls reach it: what it
    would send for real still meets the guard here.
    """
    import http.client

    from botocore import awsrequest

    for cls in (
        awsrequest.AWSHTTPSConnectionPool.ConnectionCls,
        awsrequest.AWSHTTPConnectionPool.ConnectionCls,
        http.client.HTTPSConnection,
        http.client.HTTPConnection,
    ):
        cassette = getattr(cls, "cassette", None)
        if cassette is not None:
            return cassette
    return None


def _refuse_unless_permitted(host: str) -> None:
    if not permitted(host):
        raise BlockedHostError(what=describe(host), host=host)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if not isinstance(name, str) or not name:
        return _originals["getaddrinfo"](host, *args, **kwargs)
    _refuse_unless_permitted(name)
    found = _originals["getaddrinfo"](host, *args, **kwargs)
    with _lock:  # an allowed name's addresses are allowed too, for the connect that follows
        for guard in _guards:
            if name.lower() in guard.allowed:
                guard.resolved.update(str(entry[4][0]) for entry in found)
    return found


def _address_host(address: Any) -> str | None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        return address[0]
    return None  # a local (AF_UNIX) socket, or something no host names


def _connect(self: socket.socket, address: Any) -> Any:
    host = _address_host(address)
    if host is not None:
        _refuse_unless_permitted(host)
    return _originals["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> Any:
    host = _address_host(address)
    if host is not None:
        _refuse_unless_permitted(host)
    return _originals["connect_ex"](self, address)


@contextlib.contextmanager
def network_blocked(allowed: Iterable[str] = ()) -> Iterator[None]:
    """Only loopback and the ``allowed`` hosts are reachable inside the block."""
    guard = _Guard(allowed)
    with _lock:
        if not _guards:
            _originals.update(
                getaddrinfo=socket.getaddrinfo,
                connect=socket.socket.connect,
                connect_ex=socket.socket.connect_ex,
            )
            socket.getaddrinfo = _getaddrinfo
            socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
        _guards.append(guard)
    try:
        yield
    finally:
        with _lock:
            _guards.remove(guard)
            if not _guards:
                socket.getaddrinfo = _originals["getaddrinfo"]
                socket.socket.connect = _originals["connect"]  # type: ignore[method-assign]
                socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign]
