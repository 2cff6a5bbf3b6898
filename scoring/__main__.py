"""`python -m scoring ...`: the command line (see scoring.cli)."""

import sys

from scoring.cli import main

sys.exit(main())
