"""The ``thetabif snic`` command: SNIC stretches of a fold curve.

Like ``curve``, it first runs the equilibrium continuation (``--eq-free``,
``--eq-range``) and follows the fold curve from the point named by ``--from`` (an LP)
in two parameters (``--free``, ``--range``); then :func:`thetabif.snic.snic_stretches`
classifies ``--samples`` saddle-nodes per branch of the curve and bisects the changes
of class to ``--tol``. The result is a table of the stretches' ends, or one strict
JSON document (``--json``), which ``--out FILE.json`` also writes.

The options shared with ``curve`` are parsed and checked by the helpers of
:mod:`thetabif.cli.continuation`, so both commands say the same things.
"""

from __future__ import annotations

import argparse
from typing import Any

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    json_text,
    note,
    positive_float,
    print_json,
    require_auto,
    write_file,
)
from thetabif.cli.continuation import (
    CURVE_RANGES,
    DEFAULT_RANGE,
    EQ_OPTIONS,
    POSITIVE_HINT,
    check_label,
    continuation_from_args,
    in_domain,
    named_range,
    parse_range,
    range_text,
    run_library,
)
from thetabif.snic import snic_stretches

#: What ``--out`` writes: the ``--json`` document.
OUT_FORMATS = (".json",)
#: Defaults of ``--samples`` and ``--tol`` (those of :func:`thetabif.snic.snic_stretches`).
DEFAULT_SAMPLES = 12
DEFAULT_TOL = 1e-4


def _samples(text: str) -> int:
    """argparse type of ``--samples``: an integer >= 2."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2, got {text!r}")
    return value


def add_snic_command(sub: argparse._SubParsersAction) -> None:
    """Register ``snic``."""
    p = sub.add_parser("snic", help="SNIC stretches of a fold curve (saddle-node-loop ends)")
    add_model_options(p)
    p.add_argument("--from", dest="start", required=True, metavar="LABEL",
                   help="fold point of the equilibrium run whose curve is followed: LP1, "
                        "LP2, ...")
    p.add_argument("--free", default="eta,J",
                   help="the two parameters of the fold curve (default eta,J); the first "
                        "unfolds each saddle-node")
    p.add_argument("--range", dest="ranges", type=named_range, action="append", default=[],
                   metavar="NAME=START:STOP",
                   help="box for the fold curve (repeatable; default " + ", ".join(
                       f"{k} {range_text(v)}" for k, v in CURVE_RANGES.items())
                   + f"; any other free parameter needs one; {POSITIVE_HINT})")
    p.add_argument("--eq-free", default="eta",
                   help="parameter of the equilibrium run (default eta)")
    p.add_argument("--eq-range", type=parse_range, default=None, metavar="START:STOP",
                   help=f"range of the --eq-free parameter in the equilibrium run (default "
                        f"{range_text(DEFAULT_RANGE)}; {POSITIVE_HINT})")
    p.add_argument("--samples", type=_samples, default=DEFAULT_SAMPLES, metavar="K",
                   help=f"saddle-nodes classified per branch of the curve, evenly spaced "
                        f"(integer >= 2; default {DEFAULT_SAMPLES}); a stretch shorter than "
                        "their spacing can be missed")
    p.add_argument("--tol", type=positive_float, default=DEFAULT_TOL, metavar="WIDTH",
                   help=f"bisect each saddle-node-loop end until its bracket is narrower "
                        f"than WIDTH in both free parameters (> 0; default {DEFAULT_TOL:g}; "
                        "narrower than 1e-4 is not tested)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout (notes go to stderr)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="also save the --json document to FILE (.json)")
    add_force_option(p)
    p.set_defaults(func=cmd_snic)


def _document(args: argparse.Namespace, fold: Any, stretches: list) -> dict[str, Any]:
    """The JSON document of a run: the curve's model, the options, the stretches."""
    return {"model": fold.model, "model_options": fold.model_options,
            "params": fold.params, "free": list(fold.free), "from": args.start,
            "samples": args.samples, "tol": args.tol,
            "branches": len(fold.branches),
            "stretches": [s.to_dict() for s in stretches]}


def _table(doc: dict[str, Any]) -> None:
    """Print the stretches of ``doc`` as a table, one row per end."""
    free = doc["free"]
    print(f"SNIC stretches of the fold curve from {doc['from']} of {doc['model']}, free: "
          f"{', '.join(free)}; {doc['branches']} branch(es), {doc['samples']} samples "
          f"each, tol {doc['tol']:g}")
    if not doc["stretches"]:
        print("no SNIC stretch found")
        return
    print(f"{'stretch':<8}{'branch':<7}{'end':<6}{'kind':<17}"
          + "".join(f"{c:>16}" for c in free)
          + "".join(f"{'width ' + c:>12}" for c in free) + "  other side")
    for i, s in enumerate(doc["stretches"]):
        for which in ("start", "end"):
            e = s[which]
            print(f"{i:<8}{s['branch']:<7}{which:<6}{e['kind']:<17}"
                  + "".join(f"{e['params'][c]:>16.10g}" for c in free)
                  + "".join(f"{e['width'][c]:>12.3g}" for c in free)
                  + (f"  {e['other']}" if e["other"] else ""))


def cmd_snic(args: argparse.Namespace) -> int:
    """Run ``thetabif snic``: checks first, then equilibria, the fold curve, the stretches."""
    cont = continuation_from_args(args)
    free = tuple(s.strip() for s in args.free.split(","))
    if len(free) != 2:
        raise CLIError(f"--free: a fold curve needs two parameters such as eta,J, got "
                       f"{args.free!r}")
    check_label(args.start, "LP", "a fold point such as LP2 (a SNIC is a fold)")
    run_library(cont._check_free, free)
    run_library(cont._check_free, (args.eq_free,), options=EQ_OPTIONS)
    given = dict(args.ranges)
    extra = [name for name in given if name not in free]
    if extra:
        raise CLIError(f"--range {extra[0]}=...: {extra[0]!r} is not one of the --free "
                       f"parameters {', '.join(free)}")
    box = {name: in_domain(cont, name, given.get(name), CURVE_RANGES.get(name),
                            f"--range {name}") for name in free}
    eq_bounds = in_domain(cont, args.eq_free, args.eq_range, DEFAULT_RANGE, "--eq-range")
    if args.out is not None:
        check_out(args.out, args.force, suffixes=OUT_FORMATS)
    require_auto()
    eq = run_library(cont.equilibria, args.eq_free, *eq_bounds, options=EQ_OPTIONS)
    try:
        point = eq.point(args.start)
    except KeyError as exc:
        raise CLIError(f"--from: {exc.args[0]}") from None
    fold = run_library(cont.curve, point, free, box)
    stretches = run_library(snic_stretches, fold, samples=args.samples, tol=args.tol)
    doc = _document(args, fold, stretches)
    wrote = ""
    if args.out is not None:
        path = write_file(args.out, lambda tmp: tmp.write_text(json_text(doc) + "\n"))
        wrote = f"wrote {path}"
    if args.json:
        if wrote:
            note(wrote)
        print_json(doc)
        return 0
    _table(doc)
    if wrote:
        print(wrote)
    return 0
