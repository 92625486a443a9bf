"""`replay-jobrun scrub` keeps every key it does not model, with only secrets swept out."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay_jobrun import load_cassette, replay
from replay_jobrun.cli.main import main
from replay_jobrun.errors import LeakError
from replay_jobrun.record.recorder import write_scrubbed
from replay_jobrun.scrub.scan import scan_file
from replay_jobrun.scrub.scrubber import Scrubber

LIFECYCLE = Path(__file__).parents[2] / "cassettes" / "moto" / "job-lifecycle.yaml"
ACCOUNT = "123456789012"  # an account id, as an ARN reveals it


def _document() -> dict[str, Any]:
    document = yaml.safe_load(LIFECYCLE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _unknown_everywhere(document: dict[str, Any], value: Any) -> dict[str, Any]:
    """``document`` with a key of another tool at every level vcrpy's format has."""
    document["other_tool"] = {"run": value}
    interaction = document["interactions"][0]
    interaction["recorded_by"] = value
    interaction["request"]["note"] = value
    interaction["response"]["url"] = value
    interaction["response"]["status"]["http_version"] = value
    interaction["response"]["body"]["encoding"] = value
    return document


def _unknown_parts(document: dict[str, Any]) -> list[Any]:
    interaction = document["interactions"][0]
    return [
        document["other_tool"]["run"],
        interaction["recorded_by"],
        interaction["request"]["note"],
        interaction["response"]["url"],
        interaction["response"]["status"]["http_version"],
        interaction["response"]["body"]["encoding"],
    ]


class _NoAliases(yaml.SafeDumper):
    """One value put at several levels is written out at each (cassettes hold no aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.dump(document, Dumper=_NoAliases, sort_keys=False), encoding="utf-8")
    return path


def test_scrub_keeps_unknown_keys_at_every_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters?x=1"
    path = _write(tmp_path / "c.yaml", _unknown_everywhere(_document(), url))

    assert main(["scrub", str(path)]) == 0
    capsys.readouterr()
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _unknown_parts(written) == [url] * 6
    # Scrubbing again changes nothing, and the file still replays.
    before = path.read_text(encoding="utf-8")
    assert main(["scrub", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == before
    assert "unchanged" in capsys.readouterr().out
    with replay(path):
        pass  # loads and parses every response; nothing asked
    assert load_cassette(path).interactions[0].extra["response"]["url"] == url


def test_secrets_in_unknown_keys_are_swept_and_seen_by_the_scan(tmp_path: Path) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/r"
    path = _write(tmp_path / "c.yaml", _unknown_everywhere(_document(), {"role": arn}))

    assert main(["scrub", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert ACCOUNT not in text
    written = yaml.safe_load(text)
    roles = [part["role"] for part in _unknown_parts(written)]
    assert len(set(roles)) == 1
    assert roles[0].startswith("arn:aws:iam::")
    assert scan_file(path) == []

    # The leak scan reads unknown keys too, and names where a secret is.
    planted = _unknown_everywhere(_document(), "x")
    planted["interactions"][0]["response"]["url"] = arn
    leaky = _write(tmp_path / "leaky.yaml", planted)
    findings = scan_file(leaky)
    assert any(f.interaction == 0 and f.where == "response.url" for f in findings), findings


def test_a_learnt_secret_in_an_unknown_key_is_swept(tmp_path: Path) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    document = _unknown_everywhere(_document(), f"key={secret}")
    cassette = load_cassette(_write(tmp_path / "c.yaml", document))
    scrubber = Scrubber()
    scrubber.learn_secret_key(secret)
    written, _ = write_scrubbed(cassette, scrubber)
    assert secret not in cassette.path.read_text(encoding="utf-8")
    assert written.interactions[0].extra["response"]["url"] == "key=REDACTED"
    assert written.extra["other_tool"]["run"] == "key=REDACTED"


def test_the_leak_scan_refuses_a_learnt_secret_left_in_an_unknown_key(tmp_path: Path) -> None:
    """Without the sweep of unknown keys, the scan is what stops the write."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    cassette = load_cassette(_write(tmp_path / "c.yaml", _unknown_everywhere(_document(), "plain")))
    scrubber = Scrubber()
    scrubber.learn_secret_key(secret)
    scrubber.scrub_value = lambda value: value  # type: ignore[method-assign]
    leaky = copy.deepcopy(dict(cassette.interactions[0].extra))
    leaky["response"]["url"] = secret
    from dataclasses import replace

    cassette = replace(
        cassette,
        interactions=(replace(cassette.interactions[0], extra=leaky), *cassette.interactions[1:]),
    )
    before = cassette.path.read_text(encoding="utf-8")
    with pytest.raises(LeakError, match=r"interaction #0, response\.url"):
        write_scrubbed(cassette, scrubber)
    assert cassette.path.read_text(encoding="utf-8") == before


# YAML values of other tools, with nothing a scrub rule takes for a secret: short words
# (no 32-character token), no "@" (e-mail), no ":" (ARN, URL), no "s3" (bucket).
_WORD = st.text(alphabet="abcdefghijklmnopqrtuvwxyzABCXYZ0189 _-.,/", max_size=24)
_SCALARS = (
    _WORD
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.booleans()
    | st.none()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORD, inner, max_size=3),
    max_leaves=8,
)
_KEYS = _WORD.filter(
    lambda k: (
        k
        not in {
            "version",
            "interactions",
            "replay_jobrun",
            "metadata",
            "request",
            "response",
            "method",
            "uri",
            "headers",
            "body",
            "status",
            "code",
            "message",
            "string",
        }
    )
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=_KEYS, value=_VALUES)
def test_scrub_changes_nothing_it_does_not_scrub(
    key: str, value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("unknown")
    document = _document()
    document[key] = value
    interaction = document["interactions"][1]
    interaction[key] = value
    interaction["request"][key] = value
    interaction["response"][key] = value
    interaction["response"]["status"][key] = value
    path = _write(folder / "c.yaml", document)
    assert main(["scrub", str(path)]) == 0
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    kept = written["interactions"][1]
    assert written[key] == value
    assert kept[key] == value
    assert kept["request"][key] == value
    assert kept["response"][key] == value
    assert kept["response"]["status"][key] == value
    # Everything else is what scrubbing the file without them writes.
    plain = _write(folder / "plain.yaml", _document())
    assert main(["scrub", str(plain)]) == 0
    for part in (written, kept, kept["request"], kept["response"], kept["response"]["status"]):
        del part[key]
    assert written == yaml.safe_load(plain.read_text(encoding="utf-8"))


@pytest.mark.parametrize("where", ["request", "response"])
def test_a_header_value_that_is_not_utf8_is_kept_as_its_bytes(where: str, tmp_path: Path) -> None:
    """Found by tools/fuzz_cassettes.py: scrub wrote it as text and crashed (exit 3)."""
    document = _document()
    raw = b"\x00\xff\xfebinary"
    document["interactions"][0][where]["headers"]["X-Other-Tool"] = [raw]
    path = _write(tmp_path / "c.yaml", document)
    assert main(["scrub", str(path)]) == 0
    headers = getattr(load_cassette(path).interactions[0], where).headers
    assert [value.encode("utf-8", "surrogateescape") for value in headers["X-Other-Tool"]] == [raw]
    assert main(["scrub", str(path)]) == 0  # and again: unchanged
