"""Scrubbing: secrets out of interactions before they reach disk, and proof that none is left.

Enters: interactions as recorded (or a live request during replay, to match
it against its scrubbed recording). Leaves: scrubbed interactions, a
:class:`~replay_jobrun.scrub.scrubber.ScrubReport` of counts (never values),
and the leak scan's findings.

- ``scrubber``: :class:`~replay_jobrun.scrub.scrubber.Scrubber`, the two passes
  (model-driven, then text) over whole interactions.
- ``patterns``: what secrets look like and the pseudonyms that replace them.
- ``rules``: the user's own rules (regex, field, keep) and how they are parsed.
- ``scan``: the leak scan over a written cassette, in every encoding vcrpy uses.

Reads the cassette types from :mod:`replay_jobrun.cassette`; knows nothing of
recording, replay or drift.
"""
