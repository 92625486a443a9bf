"""``python -m replay_jobrun.cli``: the same as ``replay-jobrun``."""

import sys

from .main import main

sys.exit(main())
