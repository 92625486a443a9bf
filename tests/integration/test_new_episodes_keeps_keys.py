"""Re-recording with new_episodes keeps the keys of the file it adds to."""

from __future__ import annotations

from pathlib import Path

import boto3
import yaml

from replay_jobrun import record


def _create(name: str) -> None:
    client = boto3.client("emr-containers", region_name="us-east-1")
    client.create_virtual_cluster(
        name=name,
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": name}}},
    )


def test_new_episodes_keeps_unknown_keys_of_the_kept_interactions(
    tmp_path: Path, moto_url: str
) -> None:
    path = tmp_path / "c.yaml"
    with record(path, mode="all", endpoint_url=moto_url):
        _create("first")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["other_tool"] = {"run": 7}
    first = document["interactions"][0]
    first["recorded_by"] = "another tool"
    # (Not inside "request": vcrpy's own loader refuses a key it does not know there.)
    first["response"]["url"] = "https://emr-containers.us-east-1.amazonaws.com/virtualclusters"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    with record(path, mode="new_episodes", endpoint_url=moto_url):
        _create("first")  # answered from the file
        _create("second")  # recorded
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(written["interactions"]) == 2
    assert written["other_tool"] == {"run": 7}
    kept = written["interactions"][0]
    assert kept["recorded_by"] == "another tool"
    assert kept["response"]["url"].endswith("/virtualclusters")
    assert "recorded_by" not in written["interactions"][1]
