"""The ``thetabif export`` and ``thetabif export-standard`` commands.

Registered in :data:`thetabif.cli.main.COMMANDS` by :func:`add_export_command` (which adds
both sub-commands).
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    model_from_args,
)


def add_export_command(sub: argparse._SubParsersAction) -> None:
    """Add ``export`` (one model) and ``export-standard`` (``auto_files/``) to ``sub``."""
    p = sub.add_parser(
        "export", help="write AUTO-07p files (equations, constants, .auto script)",
        description="Write NAME.f90, c.NAME.{eq_eta,fold,hopf,cycles} (and c.NAME.hom, "
                    "HomCont, for models with two states) and NAME.auto for AUTO-07p. "
                    "STPNT starts on the lowest-rate stable equilibrium at the chosen "
                    "parameters. Run the result with `auto NAME.auto` in --out. A circuit "
                    "(--circuit) continues in eta_P of its readout population P and the "
                    "weight J_PP of its recurrent edge (else another edge onto P); its "
                    "NAME is the label and a digest of the circuit, e.g. ping_3d5fbed9.")
    add_model_options(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder, created if missing")
    add_force_option(p, "existing files")
    p.set_defaults(func=cmd_export)

    s = sub.add_parser(
        "export-standard", help="write the AUTO-07p files of the standard models",
        description="Write the AUTO-07p export of the standard models (theta, theta_n2, "
                    "theta_syn, theta_cond_syn), as kept in the repository's auto_files/.")
    s.add_argument("--out", default="auto_files", metavar="DIR",
                   help="output folder, created if missing (default: auto_files)")
    add_force_option(s, "existing files")
    s.set_defaults(func=cmd_export_standard)


def cmd_export(args: argparse.Namespace) -> int:
    """Run ``thetabif export``."""
    from thetabif.export import export_filenames, export_model

    model, params = model_from_args(args)
    check_out(args.out, args.force, files=export_filenames(model))
    try:
        paths = export_model(model, params, args.out, force=args.force)
    except (NotADirectoryError, ValueError) as exc:  # FileExistsError: status 2 (cli.status)
        raise CLIError(str(exc)) from None
    _report(paths)
    print(f"run it with AUTO-07p:  cd {args.out} && auto {model.name}.auto")
    return 0


def cmd_export_standard(args: argparse.Namespace) -> int:
    """Run ``thetabif export-standard``."""
    from thetabif.export import export_filenames, export_standard, standard_models

    names = [n for model, _ in standard_models() for n in export_filenames(model)]
    check_out(args.out, args.force, files=names)
    try:
        paths = export_standard(args.out, force=args.force)
    except (NotADirectoryError, ValueError) as exc:  # FileExistsError: status 2 (cli.status)
        raise CLIError(str(exc)) from None
    _report(paths)
    return 0


def _report(paths: list) -> None:
    print("wrote:")
    for path in paths:
        print(f"  {path}")


__all__ = ["add_export_command", "cmd_export", "cmd_export_standard"]
