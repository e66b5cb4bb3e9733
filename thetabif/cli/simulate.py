"""The ``thetabif simulate`` command: integrate the mean-field model in time.

Prints the state at the end of every phase of the input protocol and the final state;
``--out`` writes the time course (netCDF or CSV).
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import (
    add_force_option,
    add_model_options,
    check_out,
    complex_value,
    model_from_args,
    options_named,
    positive_float,
    protocol_from_args,
    write_file,
)

#: The options of ``simulate`` by the names the library's messages give them.
OPTIONS = {"dt (output spacing)": "--dt", "dt": "--dt", "t_end": "--t-end", "z0": "--z0",
           "rtol": "--rtol", "atol": "--atol"}


def add_simulate_command(sub: argparse._SubParsersAction) -> None:
    """Add ``simulate`` to the ``thetabif`` sub-command parser."""
    p = sub.add_parser("simulate", help="integrate the mean-field model in time",
                       description="Integrate the mean-field model under an input protocol.")
    add_model_options(p)
    p.add_argument("--t-end", type=positive_float, default=100.0, help="end time (default 100)")
    p.add_argument("--dt", type=positive_float, default=0.01,
                   help="output spacing, <= --t-end (default 0.01)")
    p.add_argument("--step", metavar="START:STOP:AMPLITUDE", default=None,
                   help="add AMPLITUDE to the I_ext parameter on [START, STOP) "
                        "(default: I_ext alone)")
    p.add_argument("--z0", type=complex_value, default=complex(-0.6, -0.8),
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j")
    p.add_argument("--rtol", type=positive_float, default=1e-10,
                   help="relative tolerance of the solver (default 1e-10)")
    p.add_argument("--atol", type=positive_float, default=1e-12,
                   help="absolute tolerance of the solver (default 1e-12)")
    p.add_argument("--out", default=None, metavar="FILE", help="write .nc or .csv")
    add_force_option(p)
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run ``thetabif simulate``: print the run per protocol phase, write ``--out``."""
    from thetabif.protocols import Protocol
    from thetabif.simulation import check_simulation_size, save_dataset, simulate

    model, params = model_from_args(args)
    protocol = protocol_from_args(args.step, params)
    if args.out is not None:
        check_out(args.out, args.force, suffixes=(".nc", ".csv"))
    with options_named(OPTIONS):
        check_simulation_size(model, args.t_end, args.dt)
        ds = simulate(model, params, t_end=args.t_end, dt=args.dt, inputs=protocol,
                      z0=args.z0, rtol=args.rtol, atol=args.atol)
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
    if args.out is not None:
        path = write_file(args.out, lambda tmp: save_dataset(ds, tmp, overwrite=True))
        print(f"wrote {path}")
    return 0
