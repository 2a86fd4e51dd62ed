"""``python -m benchscore`` is the ``benchscore`` command."""

import sys

from benchscore.app.cli import main

sys.exit(main())
