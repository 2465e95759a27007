"""`python -m hookgate`: the command-line interface."""

import sys

from hookgate.devtools.cli import main

sys.exit(main())
