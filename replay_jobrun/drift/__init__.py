"""Schema drift: what changed in the shape of the responses, for a report CI can gate on.

Enters: two recordings (files, folders, or a git ref and the working tree), or
recordings and the installed botocore model. Leaves: a
:class:`~replay_jobrun.drift.compare.DriftReport` and its renderings.

- ``fingerprint``: the schema of recorded responses, walked along the model
  (values dropped, types and enum values kept, job-state scopes).
- ``compare``: one pair of fingerprints through deepdiff into findings;
  severities, ignore rules, the report types.
- ``sources``: where a set's cassettes come from (files, folders, text).
- ``run``: drift over sets, each distinct content once, a process pool for
  large runs; the public :func:`~replay_jobrun.drift.run.drift` and
  :func:`~replay_jobrun.drift.run.drift_against_model`.
- ``gitrefs``: cassettes as they were at a git ref.
- ``report``: text, JSON, Markdown, JUnit XML and GitHub annotations.
"""
