"""Messages never print a URL's user info (a token in ``https://user:token@host``)."""

from __future__ import annotations

import pytest

from replay_jobrun.errors import BlockedHostError, NetworkBlockedError, shown_url

TOKEN = "s3cr3tT0kenValue"
ENDPOINT = f"https://ci-user:{TOKEN}@localstack.example:4566/"


def test_missing_cassette_message_prints_the_endpoint_without_its_user_info(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_it="""
        def test_needs_a_cassette(jobrun_replay):
            pass
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--jobrun-record-mode=none", f"--jobrun-endpoint-url={ENDPOINT}"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*No cassette at *test_needs_a_cassette*",
            "*--jobrun-endpoint-url=https://localstack.example:4566/*",
        ]
    )
    out = result.stdout.str() + result.stderr.str()
    assert TOKEN not in out
    assert "ci-user" not in out


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (ENDPOINT, "https://localstack.example:4566/"),
        ("http://u:p@ss@127.0.0.1:5000/x?q=a@b", "http://127.0.0.1:5000/x?q=a@b"),
        ("http://token@host", "http://host"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://host/path@not-user-info", "https://host/path@not-user-info"),
    ],
)
def test_shown_url_drops_user_info_only(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_blocked_request_does_not_print_user_info() -> None:
    message = str(NetworkBlockedError(service="emr-containers", method="GET", url=ENDPOINT))
    assert TOKEN not in message
    assert "https://localstack.example:4566/" in message
    # Its subclass prints a host, not a URL: unchanged.
    assert "example.com" in str(BlockedHostError(what="a connection", host="example.com"))
