"""`python -m hookgate`: the command-line interface."""

import sys

from hookgate.cli import main

sys.exit(main())
