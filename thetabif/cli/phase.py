"""``thetabif phase-diagram``: the (eta, J) diagram of a model, as figures and data.

For a circuit (``--circuit``) the diagram is in any two of its parameters
(``--axes eta_E,J_EE``; default the first population's ``eta_P`` and self-edge
weight ``J_PP``), with ``--range NAME=LO:HI`` per axis. Registered by
:func:`add_phase_commands` (in :data:`thetabif.cli.main.COMMANDS`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
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


def named_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"must be NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def axes_from_args(model: Any, text: str | None) -> tuple[str, str]:
    """The two axes of ``--axes A,B`` (default: the model's, see
    :func:`thetabif.phase_diagram.default_axes`), checked against the model.

    Raises
    ------
    CLIError
        Not two names, or a name that is no parameter (the message lists them).
    """
    from thetabif.errors import InputError
    from thetabif.phase_diagram import check_axes

    names = None if text is None else [x.strip() for x in text.split(",")]
    try:
        return check_axes(model, names)
    except InputError as exc:
        raise CLIError(f"--axes: {exc}") from None


def ranges_from_args(axes: Sequence[str], given: Sequence[tuple[str, str]], parse: Any,
                     option: str = "--range") -> dict[str, Any]:
    """``{axis: parse(value)}`` of the repeatable ``--range NAME=VALUE``.

    Raises
    ------
    CLIError
        A name that is not one of the axes, one given twice, or a value ``parse``
        refuses.
    """
    out: dict[str, Any] = {}
    for name, value in given:
        if name not in axes:
            raise CLIError(f"{option} {name}={value}: {name!r} is not an axis of the "
                           f"diagram; axes: {', '.join(axes)} (choose them with --axes)")
        if name in out:
            raise CLIError(f"{option}: {name} given twice")
        try:
            out[name] = parse(value)
        except argparse.ArgumentTypeError as exc:
            raise CLIError(f"{option} {name}={value}: {exc}") from None
    return out


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
                    "model, eta=10, J=-40 otherwise). A circuit (--circuit) is drawn in "
                    "two of its parameters (--axes, default its first population's eta_P "
                    "and self-edge weight J_PP) at its defaults, --range NAME=LO:HI each.")
    add_model_options(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder, created if missing")
    add_force_option(p, "existing outputs")
    p.add_argument("--axes", default=None, metavar="A,B",
                   help="the two parameters of the diagram (default eta,J; for a circuit "
                        "its first population's eta_P and self-edge weight J_PP, e.g. "
                        "eta_E,J_EE)")
    p.add_argument("--range", dest="ranges", type=named_value, action="append", default=[],
                   metavar="NAME=LO:HI",
                   help="range of an axis, e.g. --range eta_E=-4:4 (repeatable; default "
                        "depends on the model)")
    p.add_argument("--eta-range", type=_range, default=None, metavar="LO:HI",
                   help="range of the first axis (eta), e.g. --eta-range=-14:2 (default "
                        "depends on the model)")
    p.add_argument("--J-range", dest="J_range", type=_range, default=None, metavar="LO:HI",
                   help="range of the second axis (J) (default depends on the model)")
    p.add_argument("--grid", type=_shape, default=(81, 61), metavar="NETAxNJ",
                   help="samples of the attractor grid (default 81x61)")
    p.add_argument("--no-cycles", action="store_true", help="skip the limit cycles")
    p.set_defaults(func=cmd_phase_diagram)


def cmd_phase_diagram(args: argparse.Namespace) -> int:
    from thetabif.phase_diagram import compute, default_box, default_params

    model, params = model_from_args(args)
    a, b = axes_from_args(model, args.axes)
    given = {k: params[k] for k in (a, b) if any(
        s.partition("=")[0].strip() == k for s in args.settings)}
    std = default_params(model)
    full: dict[str, Any] = {**params, a: std[a], b: std[b], **given}
    box = default_box(model, (a, b))
    if args.eta_range:
        box[a] = args.eta_range
    if args.J_range:
        box[b] = args.J_range
    box.update(ranges_from_args((a, b), args.ranges, _range))
    stem = model.name
    out = check_out(args.out, args.force, files=output_files(stem))
    require_auto()
    try:
        pdg = compute(model, full, box=box, grid_shape=args.grid, cycles=not args.no_cycles,
                      axes=(a, b))
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    paths = pdg.write(out, overwrite=args.force, stem=stem)  # FileExistsError: exit status 2
    s = pdg.to_dict()
    print(f"model: {model.name} ({model.description})")
    print(f"box: {a} {box[a][0]:g}..{box[a][1]:g}, {b} {box[b][0]:g}..{box[b][1]:g}")
    for sp in s["special_points"]:
        extra = f", {sp['criticality']}" if "criticality" in sp else ""
        print(f"  {sp['diagram']}-diagram {sp['label']}: {a}={sp[a]:.6g} {b}={sp[b]:.6g} "
              f"r={sp['r']:.6g}{extra}")
    for cp in s["codim2"]:
        print(f"  {cp['label']}: {a}={cp[a]:.6g} {b}={cp[b]:.6g}")
    print("regions: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in
                                  s["region_fractions"].items()))
    for m in s["messages"]:
        print(f"note: {m}")
    print("wrote:")
    for path in paths:
        print(f"  {path}")
    return 0
