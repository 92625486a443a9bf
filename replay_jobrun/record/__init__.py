"""Recording: live emr-containers traffic into a scrubbed cassette.

Enters: the calls the code under test makes, sent to AWS, LocalStack or a moto
server (``endpoint_url``) through vcrpy. Leaves: a cassette written only after
scrubbing (:mod:`replay_jobrun.scrub`) and a clean leak scan, atomically
(:mod:`replay_jobrun.cassette`); the live responses the code saw.

- ``recorder``: :func:`~replay_jobrun.record.recorder.record` and
  :class:`~replay_jobrun.record.recorder.Recording`, record modes, vcrpy's
  persister hook, the metadata block.

vcrpy's patching stays inside this stage.
"""
