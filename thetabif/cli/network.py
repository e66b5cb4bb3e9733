"""The ``thetabif network`` command: simulate the spiking network, compare with the mean field.

Registered in :data:`thetabif.cli.main.COMMANDS` through :func:`add_network_command`::

    thetabif network --N 100000 --step 20:80:3 --compare --json
    thetabif network --circuit ping --set eta_E=-1 --step E:20:40:0.5 --compare --json

``--circuit FILE|NAME`` (a circuit file or a shipped circuit) and the population prefix
of ``--step`` are read by :func:`thetabif.cli.common.model_from_args` and
:func:`thetabif.cli.common.step_inputs`, as for ``simulate``.
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
    step_inputs,
    write_file,
)
from thetabif.models import Model
from thetabif.records import model_options

#: The options of ``network`` by the names the library's messages give them.
OPTIONS = {"N (number of neurons)": "--N", "N": "--N", "dt_out (output spacing)": "--dt-out",
           "dt_out": "--dt-out", "dt": "--dt", "t_end": "--t-end", "z0": "--z0",
           "seed": "--seed", "threads": "--threads", "raster (neurons recorded)": "--raster",
           "raster": "--raster"}


def network_size(text: str) -> int | dict[str, int]:
    """argparse type of ``--N``: one number (``10000``) or one per population
    (``E=8000,I=2000``); the sizes themselves are checked by the library."""
    def number(word: str) -> int:
        try:
            return int(word)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer or POP=INTEGER,..., got {text!r}") from None

    if "=" not in text:
        return number(text.strip())
    sizes: dict[str, int] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or name in sizes:
            raise argparse.ArgumentTypeError(
                f"expected POP=INTEGER for each population once (E=8000,I=2000), got {text!r}")
        sizes[name] = number(value.strip())
    return sizes


def add_network_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``network`` command to the ``thetabif`` sub-command parser."""
    p = sub.add_parser(
        "network", help="simulate the spiking theta network behind the mean field",
        description="Simulate N theta neurons with the exact QIF step and, with --compare, "
                    "the mean field under the same protocol, reporting their agreement.")
    add_model_options(p)
    g = p.add_argument_group("network")
    g.add_argument("--N", type=network_size, default=10_000, metavar="N|POP=N,...",
                   help="number of neurons of each population, >= 1 (default 10000), or "
                        "with --circuit one per population: E=8000,I=2000")
    g.add_argument("--t-end", type=positive_float, default=100.0, help="end time (default 100)")
    g.add_argument("--dt", type=positive_float, default=1e-3,
                   help="step of the exact scheme (default 1e-3)")
    g.add_argument("--dt-out", type=positive_float, default=0.01,
                   help="output spacing, a multiple of --dt and <= --t-end (default 0.01)")
    g.add_argument("--step", metavar="[POP:]START:STOP:AMPLITUDE", default=[],
                   action="append",
                   help="add AMPLITUDE to the I_ext parameter on [START, STOP) (default: "
                        "I_ext alone); with --circuit name the population (E:20:80:3), "
                        "one step per population, repeatable")
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
    from thetabif.network import (
        check_network_size,
        compare_network,
        population_sizes,
        simulate_network,
    )
    from thetabif.simulation import output_samples, save_dataset, simulation_memory

    model, params = model_from_args(args)
    protocol = step_inputs(model, params, args.step) or None
    n_pop, n_edge = len(model.population_names), _edge_count(model)
    if args.out is not None:
        check_out(args.out, args.force, suffixes=(".nc", ".csv"))
    with options_named(OPTIONS):  # the sizes of both runs, before the network starts
        sizes = population_sizes(model, args.N)
        if args.compare:
            n_out = output_samples(args.t_end, args.dt_out, dt_name="dt_out")
            check_network_size(sizes, args.t_end, args.dt, args.dt_out, raster=args.raster,
                               extra=simulation_memory(model, n_out),
                               extra_what="and the mean field", populations=n_pop,
                               edges=n_edge)
        else:
            check_network_size(sizes, args.t_end, args.dt, args.dt_out, raster=args.raster,
                               populations=n_pop, edges=n_edge)
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
    pops = model.population_names
    tails = {p: f"_{p}" if p else "" for p in pops}
    final_z = {p: complex(last[f"z{t}"]) for p, t in tails.items()}
    final_r = {p: float(last[f"r{t}"]) for p, t in tails.items()}
    spikes = {p: int(ds[f"spike_count{t}"].sum()) for p, t in tails.items()}
    if args.json:
        out = report or {"model": model.name, "model_options": model_options(model),
                         "params": params,
                         "protocol": ds.attrs["protocol"]}
        one = pops == ("",)  # a single population: plain values, else by population
        out["network"] = {"N": args.N, "wall_time": ds.attrs["wall_time"],
                          "neuron_updates_per_s": ds.attrs["neuron_updates_per_s"],
                          "final_z": [final_z[""].real, final_z[""].imag] if one else
                          {p: [z.real, z.imag] for p, z in final_z.items()},
                          "final_r": final_r[""] if one else final_r,
                          "total_spikes": spikes[""] if one else spikes}
        print_json(out, indent=2)
    else:
        if isinstance(args.N, dict):
            size, per = ", ".join(f"{k}={v}" for k, v in args.N.items()), ""
        else:
            size, per = args.N, " per population" if len(pops) > 1 else ""
        print(f"model: {model.name} ({model.description}), network of N={size} "
              f"neurons{per}")
        print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
        print(f"input: {ds.attrs['protocol']}")
        print(f"{ds.attrs['wall_time']:.2f} s, "
              f"{ds.attrs['neuron_updates_per_s']:.3g} neuron-updates/s")
        for p, z in final_z.items():
            of = f" of {p}" if p else ""
            print(f"final state{of} at t={float(last.time):g}: Z = {z.real:.6g}{z.imag:+.6g}j, "
                  f"r = {final_r[p]:.6g}")
        if report is not None:
            pop_col = f"{'pop':<5}" if len(pops) > 1 else ""
            print(f"{pop_col}{'phase':<10} {'start':>8} {'stop':>8} {'I_ext':>7} "
                  f"{'r network':>12} {'r mean field':>13} {'rel. error':>11} "
                  f"{'mean |Z-z|':>11}")
            for ph in report["phases"]:
                pop = f"{ph['population']:<5}" if pop_col else ""
                print(f"{pop}{ph['name']:<10} {ph['start']:>8g} {ph['stop']:>8g} "
                      f"{ph['I_ext']:>7g} {ph['r_network']:>12.6g} "
                      f"{ph['r_mean_field']:>13.6g} {ph['r_rel_error']:>+11.3%} "
                      f"{ph['z_error_mean']:>11.3g}")
            s = report["summary"]
            print(f"|Z - z|: max {s['z_error_max']:.3g}, mean {s['z_error_mean']:.3g}; "
                  f"r error (rms over time): {s['r_error_rms']:.3g}"
                  + (" (the largest over the populations)" if len(pops) > 1 else ""))
    if args.out is not None:
        if args.out.endswith(".csv"):  # one table on the output grid
            ds = ds.drop_dims([d for d in ds.dims if d != "time"])
        path = write_file(args.out, lambda tmp: save_dataset(ds, tmp, overwrite=True))
        if args.json:
            note(f"wrote {path}")
        else:
            print(f"wrote {path}")
    return 0


def _edge_count(model: Model) -> int:
    return len(getattr(model, "edges", (None,)))


__all__ = ["add_network_command", "cmd_network"]
