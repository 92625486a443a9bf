"""The ``replay-jobrun`` command: a thin shell over the stages.

- ``main``: argument parsing, exit codes (0 ok, 1 a failed check, 2 bad input),
  errors printed without a traceback.
- ``demo``: the whole chain against an embedded moto server on 127.0.0.1.
- ``summary``: what a cassette holds, for people (scrub counts, job-state timeline).
- ``settings``: the plugin's ini options, read without pytest.
"""

from .main import main

__all__ = ["main"]
