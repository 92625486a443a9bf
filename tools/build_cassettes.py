"""Rebuild the project's own cassettes in ``cassettes/``.

- ``cassettes/moto/``: job lifecycles recorded over HTTP from a moto server on
  127.0.0.1 (what ``replay-jobrun demo`` does), through the real recorder.
- ``cassettes/real/``: one cassette per real AWS response body in
  ``DIR/real_responses/`` (moto omits six of DescribeJobRun's eighteen
  fields and never finishes a job), wrapped in the HTTP exchange AWS would
  have sent and written through the same scrubber as a recording. The bodies
  (anonymised, sources named) are not part of this repository.

Run from the project root: ``python tools/build_cassettes.py --shared DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from replay_jobrun import model
from replay_jobrun.cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay_jobrun.cli.demo import REGION, isolated_aws_environment, job_lifecycle, moto_server
from replay_jobrun.record.recorder import record, write_scrubbed
from replay_jobrun.scrub.scrubber import Scrubber

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = f"https://emr-containers.{REGION}.amazonaws.com"


def _request_id(name: str) -> str:
    # Stable per source file, so rebuilding does not churn the diff.
    return str(uuid.UUID(hashlib.sha256(name.encode()).hexdigest()[:32]))


def _aws_response(body: bytes, name: str) -> RecordedResponse:
    return RecordedResponse(
        200,
        "OK",
        {
            "Content-Type": ["application/json"],
            "x-amzn-RequestId": [_request_id(name)],
            "Content-Length": [str(len(body))],
        },
        body,
    )


def real_interaction(source: Path) -> Interaction:
    """The HTTP exchange that returned one real body of DIR/real_responses."""
    raw = json.loads(source.read_bytes())
    if source.name.startswith("describe-job-run_"):
        run = raw["jobRun"]
        uri = f"{ENDPOINT}/virtualclusters/{run['virtualClusterId']}/jobruns/{run['id']}"
        body = json.dumps(raw).encode()
        return Interaction(
            RecordedRequest("GET", uri), _aws_response(body, source.name), "DescribeJobRun"
        )
    if source.name.startswith("list-job-runs_"):
        # The AWS CLI printed the jobRuns array (--query); the wire body wraps it.
        cluster = raw[0]["virtualClusterId"]
        body = json.dumps({"jobRuns": raw}).encode()
        return Interaction(
            RecordedRequest("GET", f"{ENDPOINT}/virtualclusters/{cluster}/jobruns"),
            _aws_response(body, source.name),
            "ListJobRuns",
        )
    raise ValueError(f"unknown sample kind: {source.name}")


def build_real(shared: Path, scrubber: Scrubber) -> list[Path]:
    written = []
    for source in sorted((shared / "real_responses").glob("*.json")):
        target = ROOT / "cassettes" / "real" / f"{source.stem}.yaml"
        cassette = Cassette(
            target, (real_interaction(source),), {"source": f"shared/real_responses/{source.name}"}
        )
        write_scrubbed(cassette, scrubber, region=REGION)
        written.append(target)
    return written


def poll_until_cancelled(client: Any) -> None:
    """A poller's view: start, describe while RUNNING, cancel, describe CANCELLED, list."""
    cluster = client.create_virtual_cluster(
        name="poller",
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": "jobs"}}},
    )
    job = client.start_job_run(
        virtualClusterId=cluster["id"],
        name="nightly-etl",
        executionRoleArn="arn:aws:iam::123456789012:role/EMRContainersJobExecutionRole",
        releaseLabel="emr-7.10.0-latest",
        jobDriver={"sparkSubmitJobDriver": {"entryPoint": "s3://etl-123456789012/jobs/etl.py"}},
        tags={"team": "data-platform"},
    )
    for _ in range(2):
        client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])
    client.cancel_job_run(virtualClusterId=cluster["id"], id=job["id"])
    client.describe_job_run(virtualClusterId=cluster["id"], id=job["id"])
    client.list_job_runs(virtualClusterId=cluster["id"])


def build_moto(scrubber: Scrubber) -> list[Path]:
    folder = ROOT / "cassettes" / "moto"
    scenarios = {
        "job-lifecycle.yaml": job_lifecycle,
        "poll-until-cancelled.yaml": poll_until_cancelled,
    }
    written = []
    with isolated_aws_environment(), moto_server() as url:
        for name, scenario in scenarios.items():
            with record(folder / name, mode="all", endpoint_url=url, scrubber=scrubber):
                scenario(
                    model.botocore_session().create_client("emr-containers", region_name=REGION)
                )
            written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder whose real_responses/ holds the anonymised real AWS bodies",
    )
    args = parser.parse_args(argv)
    scrubber = Scrubber()
    for path in [*build_real(args.shared, scrubber), *build_moto(scrubber)]:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
