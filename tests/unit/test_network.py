"""replay/network.py and the allowed-hosts option: what a replayed test may reach."""

from __future__ import annotations

import socket

import pytest

from replay_jobrun.errors import BlockedHostError, ConfigError
from replay_jobrun.options import allowed_hosts_value
from replay_jobrun.replay.network import aws_service, is_loopback, network_blocked, permitted


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("sts.amazonaws.com", "sts"),
        ("emr-containers.us-east-1.amazonaws.com", "emr-containers"),
        ("my-bucket.s3.us-east-1.amazonaws.com", "s3"),
        ("real-bucket.s3.amazonaws.com", "s3"),
        ("my-bucket.s3.dualstack.eu-west-1.amazonaws.com", "s3"),
        ("sts.us-gov-west-1.amazonaws.com", "sts"),
        ("logs.cn-north-1.amazonaws.com.cn", "logs"),
        ("example.com", None),
        ("127.0.0.1", None),
    ],
)
def test_the_aws_service_of_a_host(host: str, service: str | None) -> None:
    assert aws_service(host) == service


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("localhost.evil.example", False),
        ("", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_guards_nest_and_the_socket_module_is_restored() -> None:
    before = (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex)
    assert permitted("example.com")  # no guard: everything
    with network_blocked(["a.example"]):
        assert permitted("a.example")
        assert permitted("localhost")
        assert not permitted("b.example")
        with network_blocked(["b.example"]):
            assert not permitted("a.example")  # every active guard must agree
            assert not permitted("b.example")
        with pytest.raises(BlockedHostError, match=r"a connection to b\.example was blocked"):
            socket.getaddrinfo("b.example", 443)
    assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex) == before


def test_a_blocked_connection_names_the_aws_service_and_the_three_ways_to_allow_it() -> None:
    with network_blocked(), pytest.raises(BlockedHostError) as raised:
        socket.create_connection(("sts.amazonaws.com", 443), timeout=1)
    message = str(raised.value)
    assert "a connection (AWS service sts) to sts.amazonaws.com was blocked" in message
    for way in (
        'allowed_hosts=["sts.amazonaws.com"]',
        "jobrun_allowed_hosts",
        "--jobrun-allowed-hosts",
    ):
        assert way in message


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("sts.amazonaws.com", ("sts.amazonaws.com",)),
        (["Intranet.Example", "10.0.0.5", "[::1]"], ("intranet.example", "10.0.0.5", "::1")),
        ((), ()),
    ],
)
def test_allowed_hosts_are_checked_and_lower_cased(value: object, hosts: tuple[str, ...]) -> None:
    assert allowed_hosts_value(value, "test") == hosts


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("https://sts.amazonaws.com/", "did you mean 'sts.amazonaws.com'?"),
        ("intranet.example:8443", "did you mean 'intranet.example'?"),
        ("two hosts", "is not a host name"),
        (42, "is not a list of hosts"),
        ("", "is not a host name"),
    ],
)
def test_an_unusable_allowed_host_is_refused_with_the_fix(value: object, problem: str) -> None:
    with pytest.raises(ConfigError, match="test: .*" + problem.replace("?", r"\?")):
        allowed_hosts_value(value, "test")
