"""The ``thetabif homoclinic`` command: a homoclinic curve in two parameters (HomCont).

Like ``curve``, it first runs the equilibrium continuation (``--eq-free``,
``--eq-range``); then, from the point named by ``--from``:

* a Hopf point (``HB1``, ...): the cycles born there are continued in ``--eq-free``
  over ``--eq-range`` (as ``thetabif cycles`` does) and, where they end at a
  homoclinic orbit, a long stored orbit starts
  :meth:`thetabif.Continuation.homoclinic` in the two ``--free`` parameters inside
  the box of ``--range``;
* a Bogdanov-Takens point (``BT1``, ...): the Hopf or fold curve of the point named by
  ``--via`` (default ``HB1``) is followed in the box and its BT point of that label
  is handed to :meth:`thetabif.Continuation.homoclinic`, which starts from the orbit
  the BT normal form predicts; a BT point it cannot start from is one line on stderr
  and exit status 2.

The output is that of ``curve`` (:func:`thetabif.cli.continuation.emit`): a table of
the special points (neutral saddles ``NS``), or one JSON document (``--json``, the
record's ``to_dict()``: special points by type and label, every parameter by name, the
state, ``r``; the branches add the columns ``lambda_s``, ``lambda_u``,
``saddle_quantity`` and ``period``), which ``--out`` also saves (``.nc``, ``.json`` or
``.csv``).
"""

from __future__ import annotations

import argparse
from typing import Any

from thetabif.cli.common import CLIError, options_named, positive_float
from thetabif.cli.continuation import (
    CURVE_RANGES,
    DEFAULT_RANGE,
    EQ_OPTIONS,
    OPTIONS,
    POSITIVE_HINT,
    add_result_options,
    check_label,
    check_outputs,
    continuation_from_args,
    emit,
    in_domain,
    named_range,
    parse_range,
    range_text,
    run_library,
)
from thetabif.continuation.homoclinic import PERIOD_RANGE
from thetabif.errors import InputError

#: Default of ``--via``: the point whose curve holds the BT point of ``--from BTk``.
DEFAULT_VIA = "HB1"


def add_homoclinic_command(sub: argparse._SubParsersAction) -> None:
    """Register ``homoclinic``."""
    p = sub.add_parser(
        "homoclinic", help="homoclinic curve in two parameters (AUTO-07p HomCont)",
        description="Follow the homoclinic orbit where the cycles of a Hopf point end "
                    "(or that starts at a Bogdanov-Takens point) in two parameters, with "
                    "AUTO-07p's HomCont. Neutral saddles are NS points.")
    add_result_options(p, max_points=False)
    p.add_argument("--from", dest="start", required=True, metavar="LABEL",
                   help="Hopf point of the equilibrium run whose cycles end at the "
                        "homoclinic orbit (HB1, HB2, ...), or a Bogdanov-Takens point of "
                        "the curve of --via (BT1, ...)")
    p.add_argument("--free", default="eta,J",
                   help="the two parameters of the homoclinic curve (default eta,J); "
                        "--eq-free must be one of them")
    p.add_argument("--range", dest="ranges", type=named_range, action="append", default=[],
                   metavar="NAME=START:STOP",
                   help="box for the curve (repeatable; default " + ", ".join(
                       f"{k} {range_text(v)}" for k, v in CURVE_RANGES.items())
                   + f"; any other free parameter needs one; {POSITIVE_HINT})")
    p.add_argument("--eq-free", default="eta",
                   help="parameter of the equilibrium run and of the cycles (default eta)")
    p.add_argument("--eq-range", type=parse_range, default=None, metavar="START:STOP",
                   help=f"range of the --eq-free parameter in the equilibrium run and of "
                        f"the cycles (default {range_text(DEFAULT_RANGE)}; {POSITIVE_HINT})")
    p.add_argument("--period", type=positive_float, default=None, metavar="T",
                   help="start HomCont from the stored cycle orbit of period nearest T "
                        "(within 20..1000; default: the longest there)")
    p.add_argument("--via", default=DEFAULT_VIA, metavar="LABEL",
                   help=f"with --from BTk: the fold or Hopf point of the equilibrium run "
                        f"whose curve holds the BT point (default {DEFAULT_VIA})")
    p.set_defaults(func=cmd_homoclinic)


def _box(cont: Any, args: argparse.Namespace, free: tuple[str, ...]) -> dict[str, tuple]:
    """The box of ``--range`` (defaults :data:`CURVE_RANGES`), checked in the domains."""
    given = dict(args.ranges)
    extra = [name for name in given if name not in free]
    if extra:
        raise CLIError(f"--range {extra[0]}=...: {extra[0]!r} is not one of the --free "
                       f"parameters {', '.join(free)}")
    return {name: in_domain(cont, name, given.get(name), CURVE_RANGES.get(name),
                            f"--range {name}") for name in free}


def _from_cycles(cont: Any, args: argparse.Namespace, eq: Any, free: tuple[str, ...],
                 box: dict, eq_bounds: tuple[float, float]) -> tuple[Any, list[str]]:
    """The homoclinic curve from the cycles of the Hopf point ``--from``, and the text
    lines that say where it started."""
    label = args.start
    try:
        point = eq.point(label)
    except KeyError as exc:
        raise CLIError(f"--from: {exc.args[0]}") from None
    cycles = run_library(cont.cycles, point, args.eq_free, *eq_bounds)
    end = cycles.homoclinic
    try:
        with options_named(OPTIONS):
            result = cont.homoclinic(cycles, free, box, period=args.period)
    except CLIError as exc:
        if end is None:
            longest = max((o["period"] for o in cycles.orbits), default=float("nan"))
            raise CLIError(f"--from {label}: its cycles do not approach a homoclinic orbit "
                           f"in {args.eq_free} {range_text(eq_bounds)} (longest period "
                           f"{longest:.4g}), so HomCont has no long orbit to start from "
                           f"({exc})") from None
        raise CLIError(f"--from {label}: its cycles approach a homoclinic orbit at "
                       f"{args.eq_free} = {end[args.eq_free]:.10g}, but HomCont cannot "
                       f"start from them: {exc}") from None
    lines = [f"from the cycles of {label} ({args.eq_free} = "
             f"{point.params[args.eq_free]:.10g})"
             + ("" if end is None else f", which approach a homoclinic orbit at "
                f"{args.eq_free} = {end[args.eq_free]:.10g}")]
    return result, lines


def _from_bt(cont: Any, args: argparse.Namespace, eq: Any, free: tuple[str, ...],
             box: dict) -> tuple[Any, list[str]]:
    """The homoclinic curve from the BT point ``--from`` of the curve of ``--via``."""
    try:
        via = eq.point(args.via)
    except KeyError as exc:
        raise CLIError(f"--via: {exc.args[0]}") from None
    curve = run_library(cont.curve, via, free, box)
    try:
        bt = curve.point(args.start)
    except KeyError as exc:
        raise CLIError(f"--from: {exc.args[0]} (the {curve.kind} curve of --via "
                       f"{args.via})") from None
    try:
        result = cont.homoclinic(bt, free, box)
    except (TypeError, InputError) as exc:
        at = ", ".join(f"{n} = {bt.params[n]:.10g}" for n in free)
        raise CLIError(f"--from {args.start}: the homoclinic curve cannot start from this "
                       f"Bogdanov-Takens point ({at}): {exc}; start from the cycles of a "
                       "Hopf point instead (--from HB1)") from None
    return result, [f"from {args.start} of the {curve.kind} curve of {args.via}"]


def _check_period(period: float | None) -> None:
    """``--period`` before the work: within the periods HomCont starts from."""
    lo, hi = PERIOD_RANGE
    if period is not None and not lo <= period <= hi:
        raise CLIError(f"--period {period:g}: HomCont starts from a stored cycle orbit of "
                       f"period {lo:g}..{hi:g}; give one in that range")


def _saddle_notes(p: Any) -> list[str]:
    """Notes of a neutral saddle in the text table: the saddle's rates."""
    lam = p.extra.get("eigenvalues")
    if not lam:
        return []
    return [f"lambda_s={lam[0]:.6g}", f"lambda_u={lam[1]:.6g}",
            f"saddle_quantity={p.extra.get('saddle_quantity', lam[0] + lam[1]):.2g}"]


def _branch_lines(result: Any) -> list[str]:
    """One line per branch: its direction, points and the stretch of each parameter."""
    lines = []
    for k, b in enumerate(result.branches):
        if not len(b):
            continue
        spans = ", ".join(f"{n} {min(b.data[n]):.10g}..{max(b.data[n]):.10g}"
                          for n in result.free)
        lines.append(f"branch {k} ({'+' if b.direction > 0 else '-'}): {len(b)} points, "
                     f"{spans}, period {b.data['period'][0]:.6g}")
    return lines


def cmd_homoclinic(args: argparse.Namespace) -> int:
    """Run ``thetabif homoclinic``: checks first, then equilibria, the start, HomCont."""
    cont = continuation_from_args(args)
    free = tuple(s.strip() for s in args.free.split(","))
    if len(free) != 2:
        raise CLIError(f"--free: a homoclinic curve needs two parameters such as eta,J, "
                       f"got {args.free!r}")
    check_label(args.start, "HB|BT", "a Hopf point such as HB1 (whose cycles end at a "
                "homoclinic orbit) or a Bogdanov-Takens point such as BT1")
    from_bt = args.start.startswith("BT")
    if from_bt:
        check_label(args.via, "LP|HB", "a fold or Hopf point such as HB1 for --via")
    run_library(cont._check_free, free)
    run_library(cont._check_free, (args.eq_free,), options=EQ_OPTIONS)
    if not from_bt and args.eq_free not in free:
        raise CLIError(f"--eq-free {args.eq_free}: the cycles are continued in it, so it "
                       f"must be one of the --free parameters {', '.join(free)}")
    box = _box(cont, args, free)
    _check_period(args.period)
    eq_bounds = in_domain(cont, args.eq_free, args.eq_range, DEFAULT_RANGE, "--eq-range")
    check_outputs(args)
    eq = run_library(cont.equilibria, args.eq_free, *eq_bounds, options=EQ_OPTIONS)
    if from_bt:
        result, lines = _from_bt(cont, args, eq, free, box)
    else:
        result, lines = _from_cycles(cont, args, eq, free, box, eq_bounds)
    return emit(args, result, point_notes=_saddle_notes,
                preamble=[*lines, *_branch_lines(result)])
