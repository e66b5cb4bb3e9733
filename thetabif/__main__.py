"""``python -m thetabif``: the command line."""

import sys

try:
    from thetabif.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is still being imported
    print("thetabif: interrupted", file=sys.stderr)
    sys.exit(130)  # thetabif.cli.status.INTERRUPTED, not importable here

sys.exit(main())
