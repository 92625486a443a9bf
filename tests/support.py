"""Paths and constants shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
# Only tools/build_cassettes.py reads ../shared: the suite runs on the committed cassettes.

# The credentials the root conftest.py puts in the environment: never in a cassette.
TEST_ACCESS_KEY = "AKIATESTREPLAYJOBRUN"
TEST_SESSION_TOKEN = "FQoGZXIvYXdzEKTestSessionTokenForReplayJobrunSuite0123456789"
MOTO_ACCOUNT = "123456789012"
