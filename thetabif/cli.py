"""The ``thetabif`` command line.

Every command that takes a model shares the options added by :func:`add_model_options`
(``--model``, ``--n``, ``--synapse``, ``--coupling``, ``--set NAME=VALUE``).
Heavy modules are imported inside the commands, so ``thetabif --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from thetabif.models import COUPLINGS, SYNAPSES, ThetaModel, model_from_options


class CLIError(Exception):
    """A usage error reported as ``thetabif: error: ...`` with exit status 2."""


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add the model options shared by every command that takes a model."""
    g = parser.add_argument_group("model")
    g.add_argument("--model", default="theta", choices=["theta"], help="model family")
    g.add_argument("--n", type=_positive_int, default=None, metavar="N",
                   help="pulse sharpness (integer >= 1; default: delta pulses)")
    g.add_argument("--synapse", default="instant", choices=SYNAPSES)
    g.add_argument("--coupling", default="current", choices=COUPLINGS)
    g.add_argument("--set", dest="settings", action="append", default=[],
                   metavar="NAME=VALUE", help="set a parameter (repeatable), e.g. --set J=-10")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def model_from_args(args: argparse.Namespace) -> tuple[ThetaModel, dict[str, float]]:
    """The model and its validated parameters from parsed model options."""
    model = model_from_options(args.model, args.n, args.synapse, args.coupling)
    given: dict[str, Any] = {}
    for item in args.settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CLIError(f"--set expects NAME=VALUE, got {item!r}")
        given[name.strip()] = value.strip()
    try:
        params = model.validate_params(given)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return model, params


def protocol_from_args(step: str | None, params: dict[str, float]):
    """The input protocol of ``--step START:STOP:AMPLITUDE`` on top of ``I_ext``.

    Returns None without ``--step`` (the constant ``I_ext`` parameter applies).
    """
    from thetabif.protocols import Protocol

    if not step:
        return None
    try:
        pulse = Protocol.parse_step(step)
        base = params["I_ext"]
        return Protocol.step(*pulse.breaks, pulse.levels[1] + base, baseline=base)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def _complex(text: str) -> complex:
    try:
        return complex(text.replace(" ", "").replace("i", "j"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a complex number such as -0.6-0.8j, got {text!r}") from None


# ------------------------------------------------------------------ simulate
def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="integrate the mean-field model in time",
                       description="Integrate the mean-field model under an input protocol.")
    add_model_options(p)
    p.add_argument("--t-end", type=float, default=100.0, help="end time (default 100)")
    p.add_argument("--dt", type=float, default=0.01, help="output spacing (default 0.01)")
    p.add_argument("--step", metavar="START:STOP:AMPLITUDE", default=None,
                   help="I_ext = AMPLITUDE on [START, STOP), else the I_ext parameter")
    p.add_argument("--z0", type=_complex, default=complex(-0.6, -0.8),
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j")
    p.add_argument("--rtol", type=float, default=1e-10)
    p.add_argument("--atol", type=float, default=1e-12)
    p.add_argument("--out", default=None, metavar="FILE", help="write .nc or .csv")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    from thetabif.protocols import Protocol
    from thetabif.simulation import save_dataset, simulate

    model, params = model_from_args(args)
    protocol = protocol_from_args(args.step, params)
    if args.out:
        _check_out(args.out, args.force)
    try:
        ds = simulate(model, params, t_end=args.t_end, dt=args.dt, inputs=protocol,
                      z0=args.z0, rtol=args.rtol, atol=args.atol)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"model: {model.name} ({model.description})")
    print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
    prot = protocol or Protocol.constant(params["I_ext"])
    print(f"input: {prot.describe()}")
    print(f"{'phase':<10} {'start':>8} {'stop':>8} {'I_ext':>7} {'r at end':>14}")
    for ph in prot.phases(0.0, float(ds.time[-1])):
        inside = ds.sel(time=(ds.time >= ph.start) & (ds.time <= ph.stop))
        r_end = float(inside.r[-1]) if inside.sizes["time"] else float("nan")
        print(f"{ph.name:<10} {ph.start:>8g} {ph.stop:>8g} {ph.value:>7g} {r_end:>14.8g}")
    last = ds.isel(time=-1)
    z = complex(last.z)
    final = f"final state at t={float(last.time):g}: z = {z.real:.10g}{z.imag:+.10g}j, " \
            f"|z| = {float(last.abs_z):.10g}, r = {float(last.r):.10g}, v = {float(last.v):.10g}"
    if "s" in ds:
        final += f", s = {float(last.s):.10g}"
    print(final)
    if args.out:
        path = save_dataset(ds, args.out, overwrite=args.force)
        print(f"wrote {path}")
    return 0


def _check_out(path: str, force: bool) -> None:
    from pathlib import Path

    p = Path(path)
    if p.suffix not in (".nc", ".csv"):
        raise CLIError(f"--out must end in .nc or .csv, got {path!r}")
    if p.exists() and not force:
        raise CLIError(f"{path} exists; pass --force to overwrite it")


# ---------------------------------------------------------------------- demo
def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the standard analysis and write its outputs",
                       description="Run the main job and write figures and data to --out.")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from thetabif.demo import run_demo

    try:
        paths = run_demo(args.out, force=args.force)
    except FileExistsError as exc:
        raise CLIError(str(exc)) from None
    print("wrote:")
    for path in paths:
        print(f"  {path}")
    report = [p for p in paths if str(p).endswith("report.md")]
    if report:
        print(f"report: {report[0]}")
    return 0


# ----------------------------------------------------------------------- main
def _lazy(module: str, function: str) -> Callable[[argparse._SubParsersAction], None]:
    """A command registrar living in another module (imported when the parser is built)."""

    def add(sub: argparse._SubParsersAction) -> None:
        getattr(import_module(module), function)(sub)

    add.__name__ = function
    return add


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_simulate,
    _lazy("thetabif.cli_continuation", "add_continuation_commands"),
    _lazy("thetabif.cli_verify", "add_verify_commands"),
    _lazy("thetabif.cli_phase", "add_phase_commands"),
    _lazy("thetabif.cli_network", "add_network_command"),
    _lazy("thetabif.cli_export", "add_export_command"),
    _add_demo,
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (commands register themselves in :data:`COMMANDS`)."""
    parser = argparse.ArgumentParser(
        prog="thetabif",
        description="Bifurcation analysis of the theta-neuron mean-field model.")
    from thetabif import __version__

    parser.add_argument("--version", action="version", version=f"thetabif {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thetabif`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        parser.exit(2, f"thetabif: error: {exc}\n")
    except Exception as exc:  # numerical failures: message, no traceback
        from thetabif.simulation import SimulationError

        if isinstance(exc, SimulationError):
            parser.exit(1, f"thetabif: {exc}\n")
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
