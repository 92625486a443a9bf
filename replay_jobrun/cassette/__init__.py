"""The cassette: the one file every stage reads or writes.

Enters: vcrpy YAML (ours, or a stock vcrpy / pytest-recording cassette), or
interactions to save. Leaves: :class:`~replay_jobrun.cassette.format.Cassette`
values (interactions plus the ``replay_jobrun`` metadata block), YAML written
atomically, and what botocore's parser makes of each recorded response.

- ``format``: the vcrpy format, the metadata block, load, review-friendly
  normalisation, atomic write; each file parsed once per process.
- ``emit``: the YAML writer (the bytes libyaml's dumper writes, faster).
- ``parsed``: recorded responses parsed by botocore as the live path would,
  validated once per cassette; shared by replay, drift and the CLI.

Imports nothing from the stages above it (scrub, record, replay, drift).
"""
