"""Suite-wide isolation: no test sees the machine's AWS setup or reaches beyond 127.0.0.1."""

from __future__ import annotations

import os

# Set before any test module imports botocore, so no session ever reads real config.
_ISOLATED = {
    "AWS_ACCESS_KEY_ID": "AKIATESTREPLAYJOBRUN",
    "AWS_SECRET_ACCESS_KEY": "test-secret-access-key-not-real",
    "AWS_SESSION_TOKEN": "FQoGZXIvYXdzEKTestSessionTokenForReplayJobrunSuite0123456789",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
os.environ.update(_ISOLATED)
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "REPLAY_JOBRUN_RECORD_MODE", "REPLAY_JOBRUN_ENDPOINT_URL"):
    os.environ.pop(_name, None)
