"""The ``thetabif simulate`` command: integrate the mean-field model in time.

Prints the state at the end of every phase of the input protocol and the final state;
``--out`` writes the time course (netCDF or CSV). Inputs: ``--step`` (repeatable;
``POP:START:STOP:AMPLITUDE`` for a population of a circuit) and ``--inputs FILE.csv``
(time series per population).
"""

from __future__ import annotations

import argparse

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    complex_value,
    csv_inputs,
    model_from_args,
    options_named,
    positive_float,
    step_inputs,
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
    p.add_argument("--step", metavar="[POP:]START:STOP:AMPLITUDE", action="append",
                   default=[],
                   help="add AMPLITUDE to the I_ext parameter on [START, STOP) (default: "
                        "I_ext alone); with --circuit name the population, e.g. --step "
                        "E:20:80:3 (repeatable, one step per population)")
    p.add_argument("--inputs", default=None, metavar="FILE.csv",
                   help="input time series: a CSV file with a 'time' column and one column "
                        "per population (E, or I_ext_E; I_ext for a single population), "
                        "each value held until the next time; replaces the I_ext "
                        "parameter of those populations")
    p.add_argument("--z0", type=z0_item, action="append", default=[],
                   metavar="[POP=]Z0",
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j. With "
                        "--circuit it sets every population, and --z0 POP=Z0 (repeatable) "
                        "one population, e.g. --z0 I=0.5j")
    p.add_argument("--rtol", type=positive_float, default=1e-10,
                   help="relative tolerance of the solver (default 1e-10)")
    p.add_argument("--atol", type=positive_float, default=1e-12,
                   help="absolute tolerance of the solver (default 1e-12)")
    p.add_argument("--out", default=None, metavar="FILE", help="write .nc or .csv")
    add_force_option(p)
    p.set_defaults(func=cmd_simulate)


#: The initial z of every population unless --z0 says otherwise.
DEFAULT_Z0 = complex(-0.6, -0.8)


def z0_item(text: str) -> tuple[str | None, complex]:
    """argparse type of ``--z0``: ``Z0`` or ``POP=Z0`` (a complex number)."""
    pop, sep, value = text.rpartition("=")
    return (pop.strip() if sep else None), complex_value(value)


def z0_from_args(items: list, model) -> complex | dict[str, complex]:
    """The ``z0`` of :func:`thetabif.simulate` from the ``--z0`` options: one number for
    every population, or, with ``POP=Z0`` items, one per population (the others get
    the last plain ``Z0``, else :data:`DEFAULT_Z0`).

    Raises
    ------
    CLIError
        ``POP=Z0`` for a single population, or POP not a population.
    """
    common, per = DEFAULT_Z0, {}
    pops = [p for p in model.population_names if p]
    for pop, z in items:
        if pop is None:
            common = z
        elif not pops:
            raise CLIError(f"--z0 {pop}=...: a single population takes one number, e.g. "
                           "--z0=-0.6-0.8j")
        elif pop not in pops:
            raise CLIError(f"--z0 {pop}=...: {pop!r} is not a population of {model.name!r}; "
                           f"populations: {', '.join(pops)}")
        else:
            per[pop] = z
    return {p: per.get(p, common) for p in pops} if per else common


def inputs_from_args(args: argparse.Namespace, model, params: dict[str, float]) -> dict:
    """The input protocols of ``--step`` and ``--inputs``, by input name (only the
    inputs they set; the others keep their ``I_ext`` parameter)."""
    steps = step_inputs(model, params, args.step)
    series = csv_inputs(model, args.inputs) if args.inputs is not None else {}
    both = sorted(set(steps) & set(series))
    if both:
        raise CLIError(f"--step and --inputs both set {', '.join(both)}; give each input "
                       "once")
    return {**series, **steps}


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run ``thetabif simulate``: print the run per protocol phase, write ``--out``."""
    from thetabif.simulation import (
        check_simulation_size,
        input_protocols,
        save_dataset,
        simulate,
    )

    model, params = model_from_args(args)
    given = inputs_from_args(args, model, params)
    z0 = z0_from_args(args.z0, model)
    if args.out is not None:
        check_out(args.out, args.force, suffixes=(".nc", ".csv"))
    with options_named(OPTIONS):
        check_simulation_size(model, args.t_end, args.dt)
        ds = simulate(model, params, t_end=args.t_end, dt=args.dt, inputs=given or None,
                      z0=z0, rtol=args.rtol, atol=args.atol)
    protocols = input_protocols(model, given or None, params)
    print(f"model: {model.name} ({model.description})")
    print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
    if len(protocols) == 1:
        _single_population(ds, next(iter(protocols.values())))
    else:
        _circuit(ds, model, protocols)
    if args.out is not None:
        path = write_file(args.out, lambda tmp: save_dataset(ds, tmp, overwrite=True))
        print(f"wrote {path}")
    return 0


def _single_population(ds, prot) -> None:
    """The report of a single population: its phases, then the final state."""
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


def _circuit(ds, model, protocols: dict) -> None:
    """The report of a circuit: every input, the rates at the end of each interval on
    which all inputs are constant, then every population's final state."""
    pops = model.population_names
    for name, prot in protocols.items():
        print(f"input {name}: {prot.describe().removeprefix('I_ext = ')}")
    t_end = float(ds.time[-1])
    cuts = sorted({0.0, t_end} | {b for p in protocols.values() for b in p.breaks
                                  if 0.0 < b < t_end})
    print(f"{'start':>8} {'stop':>8} " + " ".join(f"{n:>9}" for n in protocols)
          + " " + " ".join(f"{'r_' + p + ' at end':>14}" for p in pops))
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        inside = ds.sel(time=(ds.time >= a) & (ds.time <= b))
        rates = [float(inside[f"r_{p}"][-1]) if inside.sizes["time"] else float("nan")
                 for p in pops]
        print(f"{a:>8g} {b:>8g} " + " ".join(f"{float(p(a)):>9g}" for p in protocols.values())
              + " " + " ".join(f"{r:>14.8g}" for r in rates))
    last = ds.isel(time=-1)
    print(f"final state at t={float(last.time):g}:")
    for p in pops:
        z = complex(last[f"z_{p}"])
        print(f"  {p}: z = {z.real:.10g}{z.imag:+.10g}j, |z| = {float(last[f'abs_z_{p}']):.10g}, "
              f"r = {float(last[f'r_{p}']):.10g}, v = {float(last[f'v_{p}']):.10g}")
