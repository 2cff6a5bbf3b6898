"""`python -m submissions ...`: the store's command line (see submissions.cli)."""

import sys

from submissions.cli import main

sys.exit(main())
