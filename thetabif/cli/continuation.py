"""The ``thetabif equilibria``, ``thetabif curve`` and ``thetabif cycles`` commands.

``curve`` and ``cycles`` first run the equilibrium continuation with the same model
options (``--eq-free``, ``--eq-range``), then start from the special point named by
``--from`` (``LP1``, ``HB2``, ...).

Every range (``--range``, ``--eq-range``) is checked against the domain of its
parameter before the work: a parameter that must be > 0 (``Delta``, ``tau``, ...) has
no default range, the default :data:`DEFAULT_RANGE` reaching below 0, so the message
names the option, says whether its default is the problem, and suggests a range
around the parameter's value.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    json_text,
    library_error,
    model_from_args,
    note,
    options_named,
    print_json,
    require_auto,
    write_file,
)

#: What ``--out`` writes, by extension: the netCDF record, the ``--json`` document,
#: or the branch points as one table (column ``branch``).
OUT_FORMATS = (".nc", ".json", ".csv")
#: Default range of ``--range`` (``equilibria``, ``cycles``) and ``--eq-range``.
DEFAULT_RANGE = (-20.0, 20.0)
#: Default box of ``curve`` (those of :meth:`thetabif.Continuation.curve`); every other
#: free parameter needs ``--range NAME=START:STOP``.
CURVE_RANGES = {"eta": (-20.0, 20.0), "J": (-60.0, 60.0)}
#: Said in the help of every range option.
POSITIVE_HINT = "a parameter that must be > 0, such as Delta or tau, needs START > 0"
#: The default continuation parameter, in the help.
ETA_HELP = "eta; for a circuit eta_P of its readout population P, e.g. eta_E"


def parse_range(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        if not sep:
            raise ValueError
        a, b = float(lo), float(hi)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be START:STOP, got {text!r}") from None
    if not a < b:
        raise argparse.ArgumentTypeError(f"START must be < STOP, got {text!r}")
    return a, b


def free_range(text: str) -> tuple[str | None, tuple[float, float]]:
    """argparse type of a one-parameter range: ``START:STOP`` or ``NAME=START:STOP``."""
    name, sep, rest = text.rpartition("=")
    return (name.strip() if sep else None), parse_range(rest)


def named_range(text: str) -> tuple[str, tuple[float, float]]:
    name, sep, rest = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"must be NAME=START:STOP, got {text!r}")
    return name.strip(), parse_range(rest)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2, got {text!r}")
    return value


def _limits(args: argparse.Namespace) -> dict[str, int]:
    return {} if args.max_points is None else {"max_points": args.max_points}


def add_result_options(p: argparse.ArgumentParser, *, max_points: bool = True) -> None:
    """The options of every continuation command: the model (:func:`add_model_options`),
    ``--json``, ``--out``, ``--force`` and (with ``max_points``) ``--max-points``."""
    add_model_options(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout (notes go to stderr)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="also save the result: .nc (netCDF, the full record), .json (the "
                        "--json document) or .csv (the branch points)")
    add_force_option(p)
    if max_points:
        p.add_argument("--max-points", type=_positive_int, default=None,
                       help="points per direction at most (AUTO is restarted until a "
                            "branch leaves the range; default 50000, cycles 4000)")


def add_continuation_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``equilibria``, ``curve`` and ``cycles``."""
    p = sub.add_parser("equilibria", help="continue equilibria in one parameter (AUTO-07p)")
    add_result_options(p)
    p.add_argument("--free", default=None, help=f"continuation parameter (default {ETA_HELP})")
    p.add_argument("--range", dest="range_", type=free_range, default=None,
                   metavar="[NAME=]START:STOP",
                   help=f"parameter range (default {range_text(DEFAULT_RANGE)}; NAME, if "
                        f"given, is the --free parameter; {POSITIVE_HINT})")
    p.set_defaults(func=cmd_equilibria)

    p = sub.add_parser("curve", help="follow a fold or Hopf point in two parameters")
    add_result_options(p)
    p.add_argument("--from", dest="start", required=True,
                   help="special point of the equilibrium run to start from: LP1, LP2, HB1, ...")
    p.add_argument("--free", default=None,
                   help="the two continuation parameters (default eta,J; for a circuit "
                        "eta_P,J_PP of its readout population P, e.g. eta_E,J_EE)")
    p.add_argument("--range", dest="ranges", type=named_range, action="append", default=[],
                   metavar="NAME=START:STOP",
                   help="box for the curve (repeatable; default " + ", ".join(
                       f"{k} {range_text(v)}" for k, v in CURVE_RANGES.items())
                   + f", the same for a circuit's eta_P and J_TS; any other free parameter "
                     f"needs one; {POSITIVE_HINT})")
    p.add_argument("--eq-free", default=None,
                   help=f"parameter of the equilibrium run (default {ETA_HELP})")
    p.add_argument("--eq-range", type=parse_range, default=None, metavar="START:STOP",
                   help=f"range of the --eq-free parameter in the equilibrium run (default "
                        f"{range_text(DEFAULT_RANGE)}; {POSITIVE_HINT})")
    p.set_defaults(func=cmd_curve)

    p = sub.add_parser("cycles", help="periodic orbits from a Hopf point")
    add_result_options(p)
    p.add_argument("--from", dest="start", required=True,
                   help="Hopf point of the equilibrium run to start from: HB1, HB2, ...")
    p.add_argument("--free", default=None,
                   help=f"continuation parameter of the equilibria and cycles (default "
                        f"{ETA_HELP})")
    p.add_argument("--range", dest="range_", type=free_range, default=None,
                   metavar="[NAME=]START:STOP", help=f"parameter range of the cycles "
                   f"(default {range_text(DEFAULT_RANGE)}; NAME, if given, is the --free "
                   f"parameter; {POSITIVE_HINT})")
    p.add_argument("--eq-range", type=parse_range, default=None, metavar="START:STOP",
                   help=f"range of the --free parameter in the equilibrium run (default "
                        f"{range_text(DEFAULT_RANGE)}; {POSITIVE_HINT})")
    p.set_defaults(func=cmd_cycles)


def range_text(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g}:{bounds[1]:g}"


def in_domain(cont, name: str, given: tuple[float, float] | None,
               default: tuple[float, float] | None, option: str) -> tuple[float, float]:
    """The range of parameter ``name`` set by ``option``: ``given``, else ``default``,
    checked against the parameter's domain before the work.

    Parameters
    ----------
    cont : thetabif.Continuation
        The continuation (its model's parameters and their values).
    name : str
        The parameter (already checked to be one of the model's).
    given : tuple of float, optional
        The range on the command line (None: not given).
    default : tuple of float, optional
        The option's default (None: the option must be given for this parameter).
    option : str
        How the option is written, ``--range``, ``--eq-range`` or ``--range NAME``.

    Returns
    -------
    tuple of float

    Raises
    ------
    CLIError
        Naming the option, the range (or that its default is the problem) and a range
        around the parameter's value that would do.
    """
    par = next(p for p in cont.model.parameters if p.name == name)
    x = cont.params[name]
    lo, hi = (x / 10, x * 10) if par.positive else (x - 10, x + 10)
    example = f"{option}={lo:g}:{hi:g}"
    domain = f"{name!r} must be > 0 ({par.description})" if par.positive else ""
    if given is None and default is None:
        raise CLIError(f"--range: give the range of {name!r} for the curve as "
                       f"{option}=START:STOP, e.g. {example}"
                       + (f"; {domain}" if domain else ""))
    bounds = given if given is not None else default
    assert bounds is not None
    if par.positive and bounds[0] <= 0:
        got = f"its default {range_text(bounds)}" if given is None else range_text(bounds)
        raise CLIError(f"{option}: {domain}, so its range needs START > 0, got {got}; "
                       f"give one such as {example}")
    return bounds


def check_label(label: str, types: str, what: str) -> None:
    if not re.fullmatch(rf"(?:{types})[1-9][0-9]*", label):
        raise CLIError(f"--from must name {what}, got {label!r}")


def check_outputs(args: argparse.Namespace) -> None:
    """Before the work: the output path and AUTO-07p with gfortran."""
    if args.out is not None:
        check_out(args.out, args.force, suffixes=OUT_FORMATS)
    require_auto()


def _save(result, path: Path) -> None:
    if path.suffix == ".nc":
        result.save(path, overwrite=True)
    elif path.suffix == ".json":
        path.write_text(json_text(result.to_dict()) + "\n")
    else:
        result.to_dataframe().to_csv(path, index=False)


def emit(args: argparse.Namespace, result: Any, *,
         point_notes: Callable[[Any], list[str]] | None = None,
         preamble: Sequence[str] = ()) -> int:
    """Report ``result`` as every continuation command does; the exit status (0).

    ``--out`` is written first (:func:`write_file`; ``.nc``, ``.json`` or ``.csv``);
    with ``--json`` the one document on stdout is ``result.to_dict()``; otherwise a
    table of the special points (free parameters, r, |z| and notes) and the messages.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``out``, ``json``).
    result : thetabif.continuation.ContinuationResult
        What the command computed.
    point_notes : callable, optional
        ``point_notes(p)`` -> list of str: more notes on a special point of the table
        (after the ones every command prints).
    preamble : sequence of str
        Lines printed after the table's title (text output only).
    """
    wrote = ""
    if args.out is not None:
        wrote = f"wrote {write_file(args.out, lambda tmp: _save(result, tmp))}"
    if args.json:
        if wrote:
            note(wrote)
        print_json(result.to_dict())
        return 0
    print(f"{result.kind} of {result.model}, free: {', '.join(result.free)}; "
          f"{len(result.branches)} branch(es), "
          f"{sum(len(b) for b in result.branches)} points")
    for line in preamble:
        print(line)
    cols = [*result.free, "r", "abs_z"]
    print(f"{'label':<6} " + " ".join(f"{c:>16}" for c in cols) + "  notes")
    for p in result.special_points:
        vals = [p.params.get(c, getattr(p, c, float("nan"))) for c in cols]
        notes = []
        if p.l1 is not None:
            notes.append(f"l1={p.l1:.4g}")
        if p.l2 is not None:
            notes.append(f"l2={p.l2:.4g}")
        if p.period is not None:
            notes.append(f"period={p.period:.6g}")
        if p.polish_difference is not None:
            notes.append(f"|AUTO-Newton|={p.polish_difference:.2g}")
        if point_notes is not None:
            notes.extend(point_notes(p))
        print(f"{p.label:<6} " + " ".join(f"{v:>16.10g}" for v in vals) + "  " + ", ".join(notes))
    for m in result.messages:
        print("note: " + m.splitlines()[0])
    if wrote:
        print(wrote)
    return 0


def continuation_from_args(args: argparse.Namespace):
    from thetabif.continuation import Continuation

    model, params = model_from_args(args)
    return Continuation(model, params)


#: The options of the continuation commands by the names the library's messages give
#: them (``--free`` of the equilibrium run of ``curve`` is ``--eq-free``).
OPTIONS = {"free parameter": "--free", "free parameters": "--free parameters",
           "max_points": "--max-points"}
EQ_OPTIONS = {**OPTIONS, "free parameter": "--eq-free"}


def run_library(fn, *a, options: Mapping[str, str] = OPTIONS, **kw):
    """``fn(*a, **kw)``, a bad value (``ValueError``, ``KeyError``: a parameter, a label)
    reported as :class:`CLIError` naming the options (``options``); a failed
    continuation propagates to :func:`thetabif.cli.main.main`, which reports it (exit
    status 1)."""
    with options_named(options):
        return fn(*a, **kw)


def default_free(model) -> tuple[str, str]:
    """The parameters ``--free`` and ``--eq-free`` default to: ``eta`` and ``J``; for a
    circuit ``eta_P`` of its readout population and the weight of an edge onto it
    (:func:`thetabif.codegen.autofiles.scenario_parameters`, as in its AUTO export)."""
    from thetabif.codegen.autofiles import scenario_parameters

    return scenario_parameters(model)


def curve_default_range(name: str) -> tuple[float, float] | None:
    """The default box side of ``curve`` for ``name``: :data:`CURVE_RANGES` by name, or
    by kind for a circuit's ``eta_P`` and ``J_TS``; None (a ``--range`` is needed)."""
    if name in CURVE_RANGES:
        return CURVE_RANGES[name]
    kind, sep, _ = name.partition("_")
    return CURVE_RANGES.get(kind) if sep else None


def one_range(args: argparse.Namespace, free: str) -> tuple[float, float] | None:
    """The bounds of ``--range [NAME=]START:STOP``; NAME, if given, must be ``free``."""
    if args.range_ is None:
        return None
    name, bounds = args.range_
    if name is not None and name != free:
        raise CLIError(f"--range {name}=...: {name!r} is not the --free parameter {free!r}; "
                       f"write --range {free}=START:STOP or --range=START:STOP")
    return bounds


def cmd_equilibria(args: argparse.Namespace) -> int:
    cont = continuation_from_args(args)
    free = args.free or default_free(cont.model)[0]
    run_library(cont._check_free, (free,))
    bounds = in_domain(cont, free, one_range(args, free), DEFAULT_RANGE, "--range")
    check_outputs(args)
    result = run_library(cont.equilibria, free, *bounds, **_limits(args))
    return emit(args, result)


def cmd_curve(args: argparse.Namespace) -> int:
    cont = continuation_from_args(args)
    defaults = default_free(cont.model)
    text = args.free or ",".join(defaults)
    free = tuple(s.strip() for s in text.split(","))
    if len(free) != 2:
        raise CLIError(f"--free: a curve needs two parameters such as "
                       f"{','.join(defaults)}, got {args.free!r}")
    eq_free = args.eq_free or defaults[0]
    check_label(args.start, "LP|HB", "a fold or Hopf point such as LP1 or HB2")
    run_library(cont._check_free, free)
    run_library(cont._check_free, (eq_free,), options=EQ_OPTIONS)
    given = dict(args.ranges)
    extra = [name for name in given if name not in free]
    if extra:
        raise CLIError(f"--range {extra[0]}=...: {extra[0]!r} is not one of the --free "
                       f"parameters {', '.join(free)}")
    box = {name: in_domain(cont, name, given.get(name), curve_default_range(name),
                            f"--range {name}") for name in free}
    eq_bounds = in_domain(cont, eq_free, args.eq_range, DEFAULT_RANGE, "--eq-range")
    check_outputs(args)
    eq = run_library(cont.equilibria, eq_free, *eq_bounds, options=EQ_OPTIONS)
    point = run_library(eq.point, args.start)
    result = run_library(cont.curve, point, free, box, **_limits(args))
    return emit(args, result)


def cmd_cycles(args: argparse.Namespace) -> int:
    cont = continuation_from_args(args)
    free = args.free or default_free(cont.model)[0]
    check_label(args.start, "HB", "a Hopf point such as HB1")
    run_library(cont._check_free, (free,))
    eq_bounds = in_domain(cont, free, args.eq_range, DEFAULT_RANGE, "--eq-range")
    bounds = in_domain(cont, free, one_range(args, free), DEFAULT_RANGE, "--range")
    check_outputs(args)
    eq = run_library(cont.equilibria, free, *eq_bounds)
    point = run_library(eq.point, args.start)
    try:
        result = cont.cycles(point, free, *bounds, **_limits(args))
    except (KeyError, ValueError) as exc:
        raise library_error(exc, OPTIONS) from None
    return emit(args, result)
