"""The ``thetabif network`` command: simulate the spiking network, compare with the mean field.

Registered in :data:`thetabif.cli.main.COMMANDS` through :func:`add_network_command`::

    thetabif network --N 100000 --step 20:80:3 --compare --json
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import (
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
    protocol_from_args,
    write_file,
)
from thetabif.records import model_options

#: The options of ``network`` by the names the library's messages give them.
OPTIONS = {"N (number of neurons)": "--N", "N": "--N", "dt_out (output spacing)": "--dt-out",
           "dt_out": "--dt-out", "dt": "--dt", "t_end": "--t-end", "z0": "--z0",
           "seed": "--seed", "threads": "--threads", "raster (neurons recorded)": "--raster",
           "raster": "--raster"}


def add_network_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``network`` command to the ``thetabif`` sub-command parser."""
    p = sub.add_parser(
        "network", help="simulate the spiking theta network behind the mean field",
        description="Simulate N theta neurons with the exact QIF step and, with --compare, "
                    "the mean field under the same protocol, reporting their agreement.")
    add_model_options(p)
    g = p.add_argument_group("network")
    g.add_argument("--N", type=int, default=10_000,
                   help="number of neurons, >= 1 (default 10000)")
    g.add_argument("--t-end", type=positive_float, default=100.0, help="end time (default 100)")
    g.add_argument("--dt", type=positive_float, default=1e-3,
                   help="step of the exact scheme (default 1e-3)")
    g.add_argument("--dt-out", type=positive_float, default=0.01,
                   help="output spacing, a multiple of --dt and <= --t-end (default 0.01)")
    g.add_argument("--step", metavar="START:STOP:AMPLITUDE", default=None,
                   help="add AMPLITUDE to the I_ext parameter on [START, STOP) "
                        "(default: I_ext alone)")
    g.add_argument("--z0", type=complex_value, default=complex(-0.6, -0.8),
                   help="initial order parameter (default -0.6-0.8j); use --z0=-0.6-0.8j")
    g.add_argument("--sampling", choices=("quantiles", "random"), default="quantiles",
                   help="excitabilities: deterministic Lorentzian quantiles or random draws")
    g.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
    g.add_argument("--threads", type=positive_int, default=None,
                   help="numba threads (default: all for N >= 50000, else 1)")
    g.add_argument("--raster", type=nonnegative_int, default=0, metavar="K",
                   help="record the spikes of K neurons (default 0)")
    g.add_argument("--compare", action="store_true",
                   help="also integrate the mean field and report the errors")
    g.add_argument("--json", action="store_true",
                   help="print the report as one JSON document on stdout")
    g.add_argument("--no-progress", action="store_true",
                   help="no progress bar (on stderr; default: for long runs)")
    g.add_argument("--out", default=None, metavar="FILE", help="write the network's .nc or .csv")
    add_force_option(g)
    p.set_defaults(func=cmd_network)


def cmd_network(args: argparse.Namespace) -> int:
    """Run the ``network`` command."""
    from thetabif.network import check_network_size, compare_network, simulate_network
    from thetabif.simulation import output_samples, save_dataset, simulation_memory

    model, params = model_from_args(args)
    protocol = protocol_from_args(args.step, params)
    if args.out is not None:
        check_out(args.out, args.force, suffixes=(".nc", ".csv"))
    with options_named(OPTIONS):  # the sizes of both runs, before the network starts
        if args.compare:
            n_out = output_samples(args.t_end, args.dt_out, dt_name="dt_out")
            check_network_size(args.N, args.t_end, args.dt, args.dt_out, raster=args.raster,
                               extra=simulation_memory(model, n_out),
                               extra_what="and the mean field")
        else:
            check_network_size(args.N, args.t_end, args.dt, args.dt_out, raster=args.raster)
    opts = dict(N=args.N, t_end=args.t_end, dt=args.dt, dt_out=args.dt_out, z0=args.z0,
                sampling=args.sampling, seed=args.seed, threads=args.threads,
                raster=args.raster, progress=False if args.no_progress else None)
    with options_named(OPTIONS):
        if args.compare:
            cmp = compare_network(model, params, protocol=protocol, **opts)
            ds, report = cmp.network, cmp.to_dict()
        else:
            ds = simulate_network(model, params, inputs=protocol, **opts)
            report = None
    last = ds.isel(time=-1)
    if args.json:
        out = report or {"model": model.name, "model_options": model_options(model),
                         "params": params,
                         "protocol": ds.attrs["protocol"]}
        out["network"] = {"N": args.N, "wall_time": ds.attrs["wall_time"],
                          "neuron_updates_per_s": ds.attrs["neuron_updates_per_s"],
                          "final_z": [float(last.z.real), float(last.z.imag)],
                          "final_r": float(last.r),
                          "total_spikes": int(ds.spike_count.sum())}
        print_json(out, indent=2)
    else:
        print(f"model: {model.name} ({model.description}), network of N={args.N} neurons")
        print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
        print(f"input: {ds.attrs['protocol']}")
        print(f"{ds.attrs['wall_time']:.2f} s, "
              f"{ds.attrs['neuron_updates_per_s']:.3g} neuron-updates/s")
        z = complex(last.z)
        print(f"final state at t={float(last.time):g}: Z = {z.real:.6g}{z.imag:+.6g}j, "
              f"r = {float(last.r):.6g}")
        if report is not None:
            print(f"{'phase':<10} {'start':>8} {'stop':>8} {'I_ext':>7} {'r network':>12} "
                  f"{'r mean field':>13} {'rel. error':>11} {'mean |Z-z|':>11}")
            for ph in report["phases"]:
                print(f"{ph['name']:<10} {ph['start']:>8g} {ph['stop']:>8g} {ph['I_ext']:>7g} "
                      f"{ph['r_network']:>12.6g} {ph['r_mean_field']:>13.6g} "
                      f"{ph['r_rel_error']:>+11.3%} {ph['z_error_mean']:>11.3g}")
            s = report["summary"]
            print(f"|Z - z|: max {s['z_error_max']:.3g}, mean {s['z_error_mean']:.3g}; "
                  f"r error (rms over time): {s['r_error_rms']:.3g}")
    if args.out is not None:
        if args.out.endswith(".csv"):  # one table on the output grid
            ds = ds.drop_dims([d for d in ("step_time", "spike") if d in ds.dims])
        path = write_file(args.out, lambda tmp: save_dataset(ds, tmp, overwrite=True))
        if args.json:
            note(f"wrote {path}")
        else:
            print(f"wrote {path}")
    return 0


__all__ = ["add_network_command", "cmd_network"]
