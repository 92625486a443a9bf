"""Replay: a cassette served to every emr-containers client, through botocore's Stubber.

Enters: a cassette and its parsed responses (:mod:`replay_jobrun.cassette`).
Leaves: the responses the code under test receives, in recorded order, and
what it asked for (``calls``); a mismatch, an unexpected call or an unused
interaction as an error naming the cassette and the interaction.

- ``replayer``: :func:`~replay_jobrun.replay.replayer.replay` and
  :class:`~replay_jobrun.replay.replayer.Replay`: one shared queue, a Stubber
  per client fed just in time, sleeps skipped.
- ``matching``: a live request against a recorded one, at the level of the
  operation's params (after scrubbing the live side as the recording was).

Uses drift's fingerprint only to refuse (or drop) fields the installed
botocore does not know.
"""
