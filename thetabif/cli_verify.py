"""The ``thetabif verify`` and ``thetabif verify-grid`` commands.

``verify`` predicts every phase of a step protocol from the continuation diagram,
simulates, compares, and exits with status 0 only when every phase passes.
``verify-grid`` runs the brute-force check of the (eta, J) phase diagram and writes
its table, summary, diagram and figure to ``--out``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from thetabif.cli import (
    CLIError,
    _complex,
    add_model_options,
    model_from_args,
    protocol_from_args,
)


def _grid_axis(text: str) -> tuple[float, float, int]:
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be START:STOP:N (N an integer), got {text!r}"
                                         ) from None
    if not a < b or n < 2:
        raise argparse.ArgumentTypeError(f"need START < STOP and N >= 2, got {text!r}")
    return a, b, n


def add_verify_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``verify`` and ``verify-grid``."""
    p = sub.add_parser("verify", help="check the diagram's predictions by simulation",
                       description="Predict each phase of a step protocol from the "
                       "continuation diagram, simulate, compare. Exit status 0 only when "
                       "every phase passes.")
    add_model_options(p)
    p.add_argument("--step", metavar="START:STOP:AMPLITUDE", default="20:80:3",
                   help="I_ext = AMPLITUDE (+ the I_ext parameter) on [START, STOP) "
                   "(default 20:80:3)")
    p.add_argument("--z0", type=_complex, default=complex(-0.6, -0.8),
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j")
    p.add_argument("--t-end", type=float, default=None,
                   help="simulated time (default: STOP + 20)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--figure", default=None, metavar="FILE",
                   help="save the time course with predicted levels (png, pdf, svg)")
    p.add_argument("--force", action="store_true", help="overwrite --figure if it exists")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("verify-grid", help="brute-force check of the (eta, J) phase diagram",
                       description="Simulate every (eta, J) cell from several initial "
                       "conditions and compare the attractors with the regions bounded by "
                       "the fold and Hopf curves.")
    add_model_options(p)
    p.add_argument("--eta", type=_grid_axis, required=True, metavar="A:B:N",
                   help="N evenly spaced eta values from A to B; write --eta=-8:0:9 "
                   "when A is negative")
    p.add_argument("--J", dest="J", type=_grid_axis, required=True, metavar="A:B:N",
                   help="N evenly spaced J values (--J=-40:-10:4 when A is negative)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--random", type=int, default=3, help="random initial conditions per "
                   "cell (default 3)")
    p.add_argument("--t-end", type=float, default=200.0, help="time per simulation")
    p.add_argument("--near", type=float, default=1.0,
                   help="grid steps from a curve that explain a mismatch (default 1)")
    p.add_argument("--workers", type=int, default=None, help="local processes "
                   "(default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask.distributed scheduler address (instead of local processes)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=cmd_verify_grid)


def cmd_verify(args: argparse.Namespace) -> int:
    from thetabif.verification import verify

    model, params = model_from_args(args)
    prot = protocol_from_args(args.step, params)
    if prot is None:
        raise CLIError("--step START:STOP:AMPLITUDE is required")
    if args.figure and Path(args.figure).exists() and not args.force:
        raise CLIError(f"{args.figure} exists; pass --force to overwrite it")
    try:
        res = verify(model, params, prot, z0=args.z0, t_end=args.t_end)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print(res.to_json())
    else:
        print(res.table())
    if args.figure:
        res.figure().savefig(args.figure, dpi=120)
        if not args.json:
            print(f"wrote {args.figure}")
    return 0 if res.passed else 1


def cmd_verify_grid(args: argparse.Namespace) -> int:
    import numpy as np

    from thetabif.verification import verify_grid

    model, params = model_from_args(args)
    out = Path(args.out)
    names = ("cells.csv", "summary.json", "diagram.json", "grid.png")
    clash = [out / n for n in names if (out / n).exists()]
    if clash and not args.force:
        raise CLIError(f"{clash[0]} exists; pass --force to overwrite it")
    eta = np.linspace(*args.eta[:2], args.eta[2])
    J = np.linspace(*args.J[:2], args.J[2])
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        res = verify_grid(model, params, eta, J, n_random=args.random, t_end=args.t_end,
                          near=args.near, client=client, max_workers=args.workers)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    finally:
        if client is not None:
            client.close()
    paths = res.save(out, force=args.force)
    s = res.summary()
    if args.json:
        print(json.dumps(s))
    else:
        print(f"{s['cells']} cells: {s['matches']} match, {s['mismatches']} mismatch "
              f"({s['unexplained']} farther than {args.near:g} grid steps from a curve)")
        for m in s["mismatching_cells"]:
            print(f"  eta={m['eta']:g} J={m['J']:g}: predicted {m['predicted']}, observed "
                  f"{m['observed']}, {m['distance']:.3g} steps from a {m['nearest']} curve")
        print("wrote: " + ", ".join(str(p) for p in paths))
    return 0 if res.passed else 1
