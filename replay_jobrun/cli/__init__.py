"""The ``replay-jobrun`` command: a thin shell over the stages.

- ``main``: argument parsing, ``--version``, ``--debug``; runs a command under the
  exit-code contract.
- ``exits``: the contract (0 clean, 1 a finding, 2 bad input or usage, 3 a bug) and
  the one message each failure prints, never a traceback unless ``--debug``.
- ``files``: the paths a command is pointed at, folders expanded, cassette text read.
- ``demo``: the whole chain against an embedded moto server on 127.0.0.1.
- ``summary``: what a cassette holds, for people (scrub counts, job-state timeline).
- ``settings``: the plugin's ini options, read without pytest.
"""

from .main import main

__all__ = ["main"]
