"""The ``thetabif demo`` command: the main job, figures, data and a report in ``--out``.

The work is :func:`thetabif.demo.run_demo`; this module checks the outputs and the
tools first and prints what was written.
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import add_force_option, check_out, require_auto


def add_demo_command(sub: argparse._SubParsersAction) -> None:
    """Add ``demo`` to the ``thetabif`` sub-command parser."""
    p = sub.add_parser("demo", help="run the standard analysis and write its outputs",
                       description="Run the main job and write figures and data to --out.")
    p.add_argument("--out", default="out", metavar="DIR",
                   help="output folder, created if missing (default: out)")
    add_force_option(p, "existing outputs")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``thetabif demo``: the standard analysis, outputs into ``--out``."""
    from thetabif.demo import OUTPUTS, run_demo

    check_out(args.out, args.force, files=OUTPUTS)
    require_auto()
    paths = run_demo(args.out, force=args.force)
    print("wrote:")
    for path in paths:
        print(f"  {path}")
    report = [p for p in paths if str(p).endswith("report.md")]
    if report:
        print(f"report: {report[0]}")
    return 0
