"""``thetabif phase-diagram``: the (eta, J) diagram of a model, as figures and data.

Registered by :func:`add_phase_commands` (in :data:`thetabif.cli.main.COMMANDS`).
"""

from __future__ import annotations

import argparse
from typing import Any

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    model_from_args,
    require_auto,
)

#: The figures ``phase-diagram`` draws; each is written as PNG and SVG.
FIGURES = ("phase", "eta", "J")


def output_files(stem: str) -> list[str]:
    """The files ``phase-diagram`` writes into ``--out`` for a model named ``stem``."""
    return [f"{stem}_{k}{s}" for k in FIGURES for s in (".png", ".svg")] + [
        f"{stem}.nc", f"{stem}.json"]


def _range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be LO:HI, got {text!r}") from None
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"must be LO:HI with LO < HI, got {text!r}")
    return lo, hi


def _shape(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be NETAxNJ, e.g. 81x61, got {text!r}") from None
    if a < 3 or b < 3:
        raise argparse.ArgumentTypeError(f"at least 3x3 samples, got {text!r}")
    return a, b


def add_phase_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``phase-diagram`` to the ``thetabif`` command line."""
    p = sub.add_parser(
        "phase-diagram", help="(eta, J) phase diagram: curves, codim-2 points, regions",
        description="Continue equilibria, folds, Hopf points and cycles of a model, classify "
                    "the (eta, J) plane by attractors, and write figures (PNG, SVG), "
                    "netCDF and a JSON summary to --out. --set eta=.. J=.. chooses the "
                    "one-parameter diagrams (default: eta=-5, J=15 for the delta-pulse "
                    "model, eta=10, J=-40 otherwise).")
    add_model_options(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder, created if missing")
    add_force_option(p, "existing outputs")
    p.add_argument("--eta-range", type=_range, default=None, metavar="LO:HI",
                   help="eta range of the diagram, e.g. --eta-range=-14:2 (default depends "
                        "on the model)")
    p.add_argument("--J-range", dest="J_range", type=_range, default=None, metavar="LO:HI",
                   help="J range of the diagram (default depends on the model)")
    p.add_argument("--grid", type=_shape, default=(81, 61), metavar="NETAxNJ",
                   help="samples of the attractor grid (default 81x61)")
    p.add_argument("--no-cycles", action="store_true", help="skip the limit cycles")
    p.set_defaults(func=cmd_phase_diagram)


def cmd_phase_diagram(args: argparse.Namespace) -> int:
    from thetabif.phase_diagram import compute, default_box, default_params

    model, params = model_from_args(args)
    given = {k: params[k] for k in ("eta", "J") if any(
        s.partition("=")[0].strip() == k for s in args.settings)}
    std = default_params(model)
    full: dict[str, Any] = {**params, "eta": std["eta"], "J": std["J"], **given}
    box = default_box(model)
    if args.eta_range:
        box["eta"] = args.eta_range
    if args.J_range:
        box["J"] = args.J_range
    stem = model.name
    out = check_out(args.out, args.force, files=output_files(stem))
    require_auto()
    try:
        pdg = compute(model, full, box=box, grid_shape=args.grid, cycles=not args.no_cycles)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    paths = pdg.write(out, overwrite=args.force, stem=stem)  # FileExistsError: exit status 2
    s = pdg.to_dict()
    print(f"model: {model.name} ({model.description})")
    print(f"box: eta {box['eta'][0]:g}..{box['eta'][1]:g}, J {box['J'][0]:g}..{box['J'][1]:g}")
    for sp in s["special_points"]:
        extra = f", {sp['criticality']}" if "criticality" in sp else ""
        print(f"  {sp['diagram']}-diagram {sp['label']}: eta={sp['eta']:.6g} J={sp['J']:.6g} "
              f"r={sp['r']:.6g}{extra}")
    for cp in s["codim2"]:
        print(f"  {cp['label']}: eta={cp['eta']:.6g} J={cp['J']:.6g}")
    print("regions: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in
                                  s["region_fractions"].items()))
    for m in s["messages"]:
        print(f"note: {m}")
    print("wrote:")
    for path in paths:
        print(f"  {path}")
    return 0
