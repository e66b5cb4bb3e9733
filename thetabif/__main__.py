"""``python -m thetabif``: the command line."""

import sys

from thetabif.cli import main

sys.exit(main())
