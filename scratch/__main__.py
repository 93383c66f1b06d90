"""``python -m scratch`` runs the ``scratch`` command."""

import sys

from scratch.cli import main

sys.exit(main())
