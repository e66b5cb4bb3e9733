"""The ``thetabif verify`` and ``thetabif verify-grid`` commands.

``verify`` predicts every phase of a step protocol from the continuation diagram,
simulates, compares, and exits with status 0 only when every phase passes: 1 when a
phase fails (or the command does), :data:`INCONCLUSIVE` (3) when none fails but a
phase is too short to confirm its prediction -- not a pass; a longer phase decides.
``verify-grid`` runs the brute-force check of the (eta, J) phase diagram and writes
its table, summary, diagram and figure to ``--out``. Both take ``--circuit``: ``verify``
steps one population's input (``--step E:40:140:2``), ``verify-grid`` checks a grid in
two of the circuit's parameters (``--axes``, ``--range NAME=A:B:N``).
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    complex_value,
    model_from_args,
    nonnegative_int,
    note,
    options_named,
    positive_float,
    positive_int,
    print_json,
    require_auto,
    step_inputs,
    write_file,
)
from thetabif.cli.phase import axes_from_args, named_value, ranges_from_args

#: Figure formats of ``verify --figure``.
FIGURE_FORMATS = (".png", ".pdf", ".svg")
#: What ``verify-grid`` writes into ``--out``.
GRID_FILES = ("cells.csv", "summary.json", "diagram.json", "grid.png")
#: Output spacing of the simulations of ``verify`` and ``verify-grid`` (their defaults).
VERIFY_DT, GRID_DT = 0.01, 0.05
#: The options of ``verify`` and ``verify-grid`` by the names the library's messages give
#: them (their output spacing is fixed: ``dt`` is no option).
OPTIONS = {"t_end": "--t-end", "z0": "--z0"}
#: Exit status of ``verify`` by verdict (see :class:`thetabif.verification.PhaseCheck`):
#: inconclusive is neither a pass (0) nor a contradiction (1).
INCONCLUSIVE = 3
VERIFY_STATUS = {"pass": 0, "fail": 1, "inconclusive": INCONCLUSIVE}


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
                       "continuation diagram, simulate, compare. Exit status 0 when "
                       "every phase passes, 1 when one fails, 3 when none fails but one is "
                       "inconclusive (too short to confirm its prediction).")
    add_model_options(p)
    p.add_argument("--step", metavar="[POP:]START:STOP:AMPLITUDE", default="20:80:3",
                   help="I_ext = AMPLITUDE (+ the I_ext parameter) on [START, STOP) "
                   "(default 20:80:3); a circuit's step names the population it drives, "
                   "e.g. E:40:140:2 (its I_ext_E; the diagram is in its eta_E)")
    p.add_argument("--z0", type=complex_value, default=complex(-0.6, -0.8),
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j")
    p.add_argument("--t-end", type=positive_float, default=None,
                   help="simulated time (default: STOP + 20)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout")
    p.add_argument("--figure", default=None, metavar="FILE",
                   help="save the time course with predicted levels (.png, .pdf or .svg)")
    add_force_option(p, "--figure")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("verify-grid", help="brute-force check of the (eta, J) phase diagram",
                       description="Simulate every (eta, J) cell from several initial "
                       "conditions and compare the attractors with the regions bounded by "
                       "the fold and Hopf curves.")
    add_model_options(p)
    p.add_argument("--axes", default=None, metavar="A,B",
                   help="the two parameters of the grid (default eta,J; for a circuit its "
                        "first population's eta_P and self-edge weight J_PP)")
    p.add_argument("--eta", type=_grid_axis, default=None, metavar="A:B:N",
                   help="N evenly spaced values of the first axis (eta) from A to B; write "
                   "--eta=-8:0:9 when A is negative")
    p.add_argument("--J", dest="J", type=_grid_axis, default=None, metavar="A:B:N",
                   help="N evenly spaced values of the second axis (J) (--J=-40:-10:4 when "
                   "A is negative)")
    p.add_argument("--range", dest="ranges", type=named_value, action="append", default=[],
                   metavar="NAME=A:B:N", help="the values of an axis by name, e.g. "
                   "--range eta_E=-2:3:6 (repeatable; instead of --eta, --J)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder, created if missing: " + ", ".join(GRID_FILES))
    p.add_argument("--random", type=nonnegative_int, default=3, help="random initial "
                   "conditions per cell (default 3)")
    p.add_argument("--t-end", type=positive_float, default=200.0,
                   help="time per simulation, >= 60 (default 200)")
    p.add_argument("--near", type=positive_float, default=1.0,
                   help="grid steps from a curve that explain a mismatch (default 1)")
    p.add_argument("--workers", type=positive_int, default=None, help="local processes "
                   "(default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask.distributed scheduler address (instead of local processes)")
    p.add_argument("--json", action="store_true",
                   help="print the summary as one JSON document on stdout")
    add_force_option(p, "existing outputs")
    p.set_defaults(func=cmd_verify_grid)


def cmd_verify(args: argparse.Namespace) -> int:
    from thetabif.simulation import check_simulation_size
    from thetabif.verification import verify

    model, params = model_from_args(args)
    if not args.step:
        raise CLIError("--step START:STOP:AMPLITUDE is required")
    ((name, prot),) = step_inputs(model, params, [args.step]).items()
    if args.figure is not None:
        check_out(args.figure, args.force, option="--figure", suffixes=FIGURE_FORMATS)
    t_end = args.t_end if args.t_end is not None else prot.breaks[-1] + 20.0
    with options_named(OPTIONS):
        check_simulation_size(model, t_end, VERIFY_DT, remedy="reduce --t-end")
    require_auto()
    with options_named(OPTIONS):
        res = verify(model, params, prot, z0=args.z0, t_end=args.t_end,
                     input_population=None if name == "I_ext" else name)
    if args.json:
        print_json(res.to_dict())
    else:
        print(res.table())
    if args.figure is not None:
        fig = res.figure()
        path = write_file(args.figure, lambda tmp: fig.savefig(tmp, dpi=120))
        if args.json:
            note(f"wrote {path}")
        else:
            print(f"wrote {path}")
    return VERIFY_STATUS[res.verdict]


def cmd_verify_grid(args: argparse.Namespace) -> int:
    import numpy as np

    from thetabif.simulation import check_simulation_size
    from thetabif.verification import verify_grid

    model, params = model_from_args(args)
    a, b = axes_from_args(model, args.axes)
    values = {a: args.eta, b: args.J}
    values.update(ranges_from_args((a, b), args.ranges, _grid_axis))
    missing = [f"--range {k}=A:B:N" + (" (or --eta)" if k == a else " (or --J)")
               for k, v in values.items() if v is None]
    if missing:
        raise CLIError(f"the grid needs the values of both axes {a}, {b}: give "
                       + " and ".join(missing))
    out = check_out(args.out, args.force, files=GRID_FILES)
    if args.t_end < 60:
        raise CLIError(f"--t-end must be >= 60 (the last 40 time units classify a cell), "
                       f"got {args.t_end:g}")
    with options_named(OPTIONS):
        check_simulation_size(model, args.t_end, GRID_DT, remedy="reduce --t-end")
    require_auto()
    eta = np.linspace(*values[a][:2], values[a][2])
    J = np.linspace(*values[b][:2], values[b][2])
    client = None
    if args.scheduler:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout=10)
        except OSError as exc:
            raise CLIError(f"--scheduler {args.scheduler!r}: cannot connect ({exc})") from None
    try:
        with options_named(OPTIONS):
            res = verify_grid(model, params, eta, J, n_random=args.random, t_end=args.t_end,
                              near=args.near, client=client, max_workers=args.workers,
                              axes=(a, b))
    finally:
        if client is not None:
            client.close()
    paths = res.write(out, overwrite=args.force)
    s = res.summary()
    if args.json:
        print_json(s)
        note("wrote: " + ", ".join(str(p) for p in paths))
    else:
        print(f"{s['cells']} cells: {s['matches']} match, {s['mismatches']} mismatch "
              f"({s['unexplained']} farther than {args.near:g} grid steps from a curve)")
        for m in s["mismatching_cells"]:
            print(f"  {a}={m[a]:g} {b}={m[b]:g}: predicted {m['predicted']}, observed "
                  f"{m['observed']}, {m['distance']:.3g} steps from a {m['nearest']} curve")
        print("wrote: " + ", ".join(str(p) for p in paths))
    return 0 if res.passed else 1
