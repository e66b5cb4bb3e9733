"""Time integration of a model under an input protocol.

The input is piecewise constant (:class:`thetabif.protocols.Protocol`); each phase is
integrated on its own, so every switch of ``I_ext`` is hit exactly and the adaptive
high-order solver never steps across a discontinuity. Results are xarray Datasets
with a ``time`` coordinate, the complex order parameter ``z`` and the derived
firing rate ``r``, mean voltage ``v`` and ``|z|``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from thetabif.equilibrium import fill_states
from thetabif.errors import InputError, SimulationError
from thetabif.models import Model, ThetaModel
from thetabif.protocols import Protocol

if TYPE_CHECKING:
    import xarray as xr

#: "DOP853" is thetabif's compiled Dormand-Prince 8(5,3) (generated C, dense output);
#: the others are scipy.integrate.solve_ivp's methods (implicit ones get the analytic
#: Jacobian).
SOLVERS = ("DOP853", "scipy-DOP853", "RK45", "Radau", "BDF", "LSODA")
_IMPLICIT = ("Radau", "BDF", "LSODA")


InputSpec = float | Protocol | tuple[Sequence[float], float] | None
#: Inputs of a model: one spec (a single population's ``I_ext``), or one per input
#: parameter, named by it (``I_ext_E``) or by its population (``E``).
Inputs = InputSpec | Mapping[str, InputSpec]

#: Memory a single simulation may plan for, in bytes, unless the environment variable
#: ``THETABIF_MEMORY_LIMIT`` (in GiB, e.g. ``16``) says otherwise. 2 GiB hold about
#: 1.6e7 output samples of :func:`simulate` (``t_end = 1.6e5`` at ``dt = 0.01``).
MEMORY_LIMIT = 2 * 2**30


def memory_limit() -> int:
    """Bytes a simulation may plan for: ``THETABIF_MEMORY_LIMIT`` GiB, else :data:`MEMORY_LIMIT`.

    Raises
    ------
    ValueError
        ``THETABIF_MEMORY_LIMIT`` is set but not a positive number.
    """
    text = os.environ.get("THETABIF_MEMORY_LIMIT", "").strip()
    if not text:
        return MEMORY_LIMIT
    try:
        gib = float(text)
    except ValueError:
        gib = math.nan
    if not (math.isfinite(gib) and gib > 0):
        raise InputError(f"THETABIF_MEMORY_LIMIT must be a positive number of GiB, got {text!r}")
    return int(gib * 2**30)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.3g} GiB" if n_bytes >= 2**28 else f"{n_bytes / 2**20:.3g} MiB"


def output_samples(t_end: float, dt: float, *, dt_name: str = "dt") -> int:
    """Number of points of the output grid ``0, dt, 2 dt, ..., <= t_end``.

    Raises
    ------
    ValueError
        ``dt > t_end``: the grid would hold ``t = 0`` only and nothing be integrated.
    """
    if dt > t_end * (1 + 1e-12):
        raise InputError(f"{dt_name} (output spacing) = {dt!r} is larger than t_end = "
                         f"{t_end!r}: nothing would be integrated; choose {dt_name} <= t_end")
    # t_end / dt can overflow (1e300 / 1e-300); capped, it still fails the memory check
    ratio = min(t_end / dt * (1 + 1e-12), 1e300)
    return int(math.floor(ratio)) + 1


def check_memory(n_bytes: float, what: str, remedy: str) -> None:
    """Refuse a simulation whose arrays would need more than :func:`memory_limit` bytes.

    Parameters
    ----------
    n_bytes : float
        Estimated memory of the run.
    what : str
        The sizes that lead to it, e.g. ``"t_end=1e+07 with dt=0.01 gives 1e+09 output
        samples"``.
    remedy : str
        What to change, e.g. ``"increase dt or reduce t_end"``.

    Raises
    ------
    ValueError
        Naming the sizes, the memory needed, the limit and the remedy.
    """
    limit = memory_limit()
    if n_bytes > limit:
        raise InputError(f"{what}, which needs about {_gib(n_bytes)} of memory, more than "
                         f"the limit of {_gib(limit)}: {remedy} (or raise the limit with "
                         "the environment variable THETABIF_MEMORY_LIMIT, in GiB)")


def simulation_memory(model: ThetaModel, n_out: int) -> float:
    """Estimated peak memory of :func:`simulate` with ``n_out`` output samples, in bytes.

    Per sample: the time, the state (``ndim``), its copy in the Dataset (``z`` complex
    and ``s``), the outputs ``r``, ``v``, ``abs_z``, ``I_ext``, the parameter table
    behind them and two temporaries, 8 bytes each (measured: 117 bytes per sample
    for the delta-pulse model, estimated 128).
    """
    per_sample = 8 * (1 + 2 * len(model.state_names) + 6 + len(model.parameter_names))
    return float(per_sample) * n_out


def check_simulation_size(model: ThetaModel, t_end: float, dt: float, *,
                          remedy: str = "increase dt (the output spacing) or reduce t_end"
                          ) -> int:
    """Refuse a :func:`simulate` run that integrates nothing or would not fit in memory.

    ``remedy`` ends the memory message (callers that fix ``dt`` say so).

    Returns
    -------
    int
        The number of output samples.

    Raises
    ------
    ValueError
        ``t_end`` or ``dt`` not finite and > 0; ``dt > t_end``; or the output would
        need more than :func:`memory_limit` bytes (the message names ``t_end``,
        ``dt``, the samples and the memory).
    """
    t_end = _check_positive("t_end", t_end)
    dt = _check_positive("dt", dt)
    n_out = output_samples(t_end, dt)
    check_memory(simulation_memory(model, n_out),
                 f"t_end={t_end:g} with dt={dt:g} gives {n_out:.3g} output samples", remedy)
    return n_out


def _as_protocol(inputs: InputSpec, default: float) -> Protocol:
    if inputs is None:
        return Protocol.constant(default)
    if isinstance(inputs, Protocol):
        return inputs
    if isinstance(inputs, (int, float)) and not isinstance(inputs, bool):
        return Protocol.constant(float(inputs))
    if isinstance(inputs, tuple) and len(inputs) == 2:
        values, dt = inputs
        return Protocol.from_array(values, float(dt))
    raise InputError(
        "inputs must be None, a number, a Protocol, or a tuple (values, dt) of samples "
        f"on a time grid; got {type(inputs).__name__}"
    )


def input_protocols(model: Model, inputs: Inputs, params: Mapping[str, float]
                    ) -> dict[str, Protocol]:
    """The protocol of each input parameter of ``model`` (``I_ext`` or ``I_ext_P``).

    Raises
    ------
    InputError
        A circuit given one input for all (name the population), or an unknown name.
    """
    names = model.input_names
    if not isinstance(inputs, Mapping):
        if len(names) > 1 and inputs is not None:
            raise InputError(f"model {model.name!r} has several inputs ({', '.join(names)}): "
                             "give them by name, e.g. {'E': Protocol.step(20, 80, 3)}")
        inputs = {names[0]: inputs} if inputs is not None else {}
    by_name = {}
    for key, spec in inputs.items():
        name = key if key in names else f"I_ext_{key}"
        if name not in names:
            raise InputError(f"input {key!r} is not an input of {model.name!r}; allowed: "
                             f"{', '.join(names)} (or their population names)")
        by_name[name] = spec
    return {n: _as_protocol(by_name.get(n), params[n]) for n in names}


def _input_phases(protocols: Mapping[str, Protocol], t_end: float
                  ) -> list[tuple[float, float, dict[str, float]]]:
    """Intervals on which every input is constant: ``(start, stop, values)``."""
    cuts = sorted({0.0, t_end} | {b for p in protocols.values() for b in p.breaks
                                  if 0.0 < b < t_end})
    return [(a, b, {n: float(p(a)) for n, p in protocols.items()})
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def _check_positive(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")
    return value


def _start_z(model: Model, z0: complex | Mapping[str, complex]) -> list[complex]:
    """``z0`` per population (one number for all, or a mapping by population name)."""
    pops = model.population_names
    if isinstance(z0, Mapping):
        if not pops[0]:
            raise InputError("z0 must be a complex number for a single population, got a "
                             "mapping")
        unknown = sorted(set(z0) - set(pops))
        missing = [p for p in pops if p not in z0]
        if unknown or missing:
            raise InputError(f"z0 must give every population of {model.name!r} "
                             f"({', '.join(pops)}); unknown: {', '.join(unknown) or '-'}, "
                             f"missing: {', '.join(missing) or '-'}")
        given = [z0[p] for p in pops]
    else:
        given = [z0] * len(pops)
    out = []
    for pop, z in zip(pops, given, strict=True):
        what = f"z0[{pop!r}]" if pop else "z0"
        try:
            z = complex(z)
        except (TypeError, ValueError):
            raise InputError(f"{what} must be a complex number, got {z!r}") from None
        # |z0| = 1 is allowed: the tutorial starts on the circle (r = 0), which Delta > 0
        # makes the disk's inflowing boundary. z0 = -1 is the one point where r is infinite.
        if (not (math.isfinite(z.real) and math.isfinite(z.imag)) or abs(z) > 1.0 + 1e-12
                or abs(z + 1) < 1e-10):
            raise InputError(f"{what} must lie in the closed unit disk (|z0| <= 1) and not at "
                             f"-1, got {z!r}")
        out.append(z)
    return out


def initial_state(
    model: Model, params: Mapping[str, float], z0: complex | Mapping[str, complex],
    s0: float | None = None
) -> np.ndarray:
    """State vector from ``z0`` (per population for a circuit) and ``s0``.

    Synaptic and adaptation states start at rest, at their targets (``s = J p(z0)``,
    ``u = 0``, ``a = alpha r``); ``s0`` overrides ``s`` of a single population with a
    first-order synapse.
    """
    zs = _start_z(model, z0)
    red = model.equilibrium_reduction
    u_red = np.empty(len(red.model.state_names))
    for (i, j), z in zip(red.model.population_states, zs, strict=True):
        u_red[i], u_red[j] = z.real, z.imag
    p = red.model.numeric.parameter_vector(params)
    with np.errstate(all="ignore"):
        u = fill_states(model, u_red[:, None], list(p))[:, 0]
    if s0 is not None:
        if "s" not in model.state_names:
            raise InputError(f"s0 is only meaningful with a first-order synapse; model "
                             f"{model.name!r} has none")
        s0 = float(s0)
        if not math.isfinite(s0):
            raise InputError(f"s0 must be finite, got {s0!r}")
        u[model.state_names.index("s")] = s0
    return u


def simulate(
    model: Model | None = None,
    params: Mapping[str, float] | None = None,
    *,
    t_end: float = 100.0,
    dt: float = 0.01,
    inputs: Inputs = None,
    z0: complex | Mapping[str, complex] = -0.6 - 0.8j,
    s0: float | None = None,
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Integrate a model from ``t = 0`` to ``t_end``.

    Parameters
    ----------
    model : ThetaModel, optional
        The model (default: the delta-pulse theta model).
    params : mapping, optional
        Parameter values by name; defaults fill the rest. ``I_ext`` here is the
        input when ``inputs`` is None.
    t_end : float
        End time (> 0).
    dt : float
        Spacing of the output grid ``0, dt, 2 dt, ...`` (not the solver's step).
    inputs : number, Protocol, (values, dt) or mapping, optional
        The input ``I_ext(t)``: a constant, a piecewise-constant protocol such as
        ``Protocol.step(20, 80, 3)``, or samples on a grid of spacing ``dt`` held
        constant over each interval. A circuit takes one per population, by name:
        ``{"E": Protocol.step(20, 80, 3), "I_ext_I": 0.5}``.
    z0 : complex or mapping
        Initial Kuramoto order parameter, ``|z0| <= 1``, not -1; for a circuit one for
        all populations, or one per population by name. Synaptic and adaptation
        states start at their targets (at rest).
    s0 : float, optional
        Initial synaptic drive (first-order synapse only).
    method : str
        ``"DOP853"`` (default): thetabif's compiled Dormand-Prince 8(5,3) with dense
        output, generated from the model in C and cached. Otherwise a
        ``scipy.integrate.solve_ivp`` method (``"scipy-DOP853"``, ``"RK45"``, or the
        implicit ``"Radau"``, ``"BDF"``, ``"LSODA"``, which use the analytic Jacobian).
    rtol, atol : float
        Solver tolerances; the defaults keep the global error near 1e-9 on the
        tutorial protocol (tests/test_simulate.py measures it).

    Returns
    -------
    xarray.Dataset
        Coordinate ``time``; variables ``z`` (complex), ``r``, ``v``, ``abs_z``,
        ``I_ext`` (and ``s``); for a circuit ``z_P``, ``r_P``, ``v_P``, ``abs_z_P`` per
        population, its synaptic and adaptation states and inputs ``I_ext_P``; attrs
        name the model, parameters, solver, tolerances.

    Raises
    ------
    ValueError
        Invalid parameters, times, tolerances or initial state; ``dt > t_end``
        (nothing to integrate); an output grid that would need more memory than
        :func:`memory_limit` allows (the message names ``t_end``, ``dt`` and the
        memory).
    SimulationError
        The trajectory left the unit disk, reached ``z = -1`` (infinite rate),
        became non-finite, or the solver failed.
    """
    model, full, protocols, times, states = solve(
        model, params, t_end=t_end, dt=dt, inputs=inputs, z0=z0, s0=s0, method=method,
        rtol=rtol, atol=atol)
    return _to_dataset(model, full, protocols, times, states, method, rtol, atol)


def solve(
    model: Model | None = None,
    params: Mapping[str, float] | None = None,
    *,
    t_end: float = 100.0,
    dt: float = 0.01,
    inputs: Inputs = None,
    z0: complex | Mapping[str, complex] = -0.6 - 0.8j,
    s0: float | None = None,
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> tuple[Model, dict, dict[str, Protocol], np.ndarray, np.ndarray]:
    """The arrays behind :func:`simulate`: ``(model, params, protocols, times, states)``.

    ``states`` has shape ``(ndim, len(times))``. Same arguments and errors as
    :func:`simulate`; no xarray involved.
    """
    model = model or ThetaModel()
    full = model.validate_params(params)
    t_end = _check_positive("t_end", t_end)
    dt = _check_positive("dt", dt)
    rtol = _check_positive("rtol", rtol)
    atol = _check_positive("atol", atol)
    if method not in SOLVERS:
        raise InputError(f"method must be one of {', '.join(SOLVERS)}, got {method!r}")
    n_out = check_simulation_size(model, t_end, dt)
    protocols = input_protocols(model, inputs, full)
    u0 = initial_state(model, full, z0, s0)

    num = model.numeric
    index = {n: model.parameter_names.index(n) for n in protocols}
    p = num.parameter_vector(full)
    times = dt * np.arange(n_out)
    states = np.empty((len(u0), n_out))
    u = u0
    step = _compiled_phase if method == "DOP853" else _scipy_phase
    for start, stop, values in _input_phases(protocols, t_end):
        p = p.copy()
        for name, value in values.items():
            p[index[name]] = value
        u = step(num, p, u, start, stop, times, states, method, rtol, atol, model)
    return model, full, protocols, times, states


def _phase_mask(times: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Output times that belong to the phase [t0, t1) (the last phase keeps t1)."""
    last = t1 >= times[-1] - 1e-12 * max(1.0, abs(times[-1]))
    return (times >= t0) & ((times < t1) | last) & (times <= t1 + 1e-12 * max(1.0, abs(t1)))


def _compiled_phase(num, p, u0, t0, t1, times, states, method, rtol, atol, model
                    ) -> np.ndarray:
    mask = _phase_mask(times, t0, t1)
    if t1 - t0 < 1e-13 * max(1.0, abs(t1)):
        # A sliver of a phase (a switch time or t_end a few ulps apart) is shorter than
        # the compiled integrator's smallest step: one Euler step is exact to ~1e-26.
        f = num.rhs(u0, p)
        states[:, mask] = u0[:, None] + np.outer(f, np.clip(times[mask], t0, t1) - t0)
        return u0 + (t1 - t0) * f
    targets = np.append(np.clip(times[mask], t0, t1), t1)
    result, status, t_reached, _, _ = num.compiled.integrate(u0, p, t0, targets, rtol, atol)
    if status != 0:
        why = num.compiled.STATUS.get(status, f"status {status}")
        raise SimulationError(f"integration stopped at t = {t_reached:.10g}: {why}; "
                              "try smaller tolerances or check the parameters")
    states[:, mask] = result[:-1].T
    return result[-1]


def _scipy_phase(num, p, u0, t0, t1, times, states, method, rtol, atol, model) -> np.ndarray:
    from scipy.integrate import solve_ivp

    rhs, jac = num._rhs, num._jac
    method = method.removeprefix("scipy-")
    pv = tuple(p)

    def f(t, u):
        return rhs(*u, *pv)

    kwargs: dict[str, Any] = {}
    if method in _IMPLICIT:
        kwargs["jac"] = lambda t, u: jac(*u, *pv)
    sol = solve_ivp(f, (t0, t1), u0, method=method, rtol=rtol, atol=atol, dense_output=True,
                    **kwargs)
    _check_trajectory(sol, t0, t1, model.population_states)
    mask = _phase_mask(times, t0, t1)
    if np.any(mask):
        states[:, mask] = sol.sol(np.clip(times[mask], t0, t1))
    return sol.y[:, -1]


def _check_trajectory(sol, t0: float, t1: float, pairs: Sequence[tuple[int, int]]) -> None:
    y = sol.y
    finite = np.all(np.isfinite(y), axis=0)
    radius2 = np.array([y[i] ** 2 + y[j] ** 2 for i, j in pairs])  # (npop, ntimes)
    minus_one = np.array([(1 + y[i]) ** 2 + y[j] ** 2 for i, j in pairs])
    worst = np.argmax(radius2, axis=0)
    x = np.take_along_axis(np.array([y[i] for i, _ in pairs]), worst[None], 0)[0]
    yy = np.take_along_axis(np.array([y[j] for _, j in pairs]), worst[None], 0)[0]
    inside = np.all(radius2 <= 1.0 + 1e-9, axis=0)  # the disk is invariant; allow rounding
    near_minus_one = np.any(minus_one < 1e-20, axis=0)
    bad = ~finite | ~inside | near_minus_one
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        if not finite[k]:
            why = "the state became non-finite (NaN or infinity)"
        elif near_minus_one[k]:
            why = "z reached -1, where the firing rate r is infinite"
        else:
            why = f"z left the unit disk (|z| = {math.hypot(x[k], yy[k]):.12g} >= 1)"
        raise SimulationError(f"integration stopped at t = {sol.t[k]:.10g}: {why}; "
                              "try smaller tolerances or check the parameters")
    if sol.status != 0:
        raise SimulationError(f"integration stopped at t = {sol.t[-1]:.10g} of [{t0:g}, "
                              f"{t1:g}]: {sol.message}")


def _to_dataset(model, params, protocols, times, states, method, rtol, atol) -> xr.Dataset:
    import xarray as xr

    num = model.numeric
    data: dict[str, Any] = {}
    p_t = np.array([[params[k]] * len(times) for k in model.parameter_names])
    inputs = {name: protocol(times) for name, protocol in protocols.items()}
    for name, values in inputs.items():
        p_t[model.parameter_names.index(name)] = values
    args = (*states, *p_t)
    for pop, (i, j) in zip(model.population_names, model.population_states, strict=True):
        tail = f"_{pop}" if pop else ""
        of = f" of {pop}" if pop else ""
        data[f"z{tail}"] = ("time", states[i] + 1j * states[j],
                            {"long_name": f"Kuramoto order parameter{of}", "units": "1"})
        for name, long in (("r", "firing rate"), ("v", "mean membrane potential"),
                           ("abs_z", "|z|, synchrony")):
            value = np.broadcast_to(num._outputs[f"{name}{tail}"](*args), times.shape)
            data[f"{name}{tail}"] = ("time", value.astype(float), {"long_name": long + of})
    for k, name in enumerate(model.state_names):
        if name == "s" or name[:2] in ("s_", "u_", "a_"):
            long = {"s": "synaptic drive", "u": "rate of change of the synaptic drive",
                    "a": "adaptation"}[name.split("_")[0]]
            data[name] = ("time", states[k], {"long_name": long})
    for name, values in inputs.items():
        data[name] = ("time", values, {"long_name": "external input"})
    attrs = {
        "model": model.name,
        "model_description": model.description,
        "model_options": json.dumps(model.record_options()),
        "parameters": json.dumps(params),
        "protocol": "; ".join(f"{n}: {p.describe().removeprefix('I_ext = ')}"
                              for n, p in protocols.items())
        if len(protocols) > 1 else next(iter(protocols.values())).describe(),
        "solver": ("thetabif compiled DOP853 (dense output)" if method == "DOP853"
                   else f"scipy.integrate.solve_ivp/{method.removeprefix('scipy-')}"),
        "rtol": rtol,
        "atol": atol,
    }
    attrs.update({f"param_{k}": v for k, v in params.items()})
    return xr.Dataset(data, coords={"time": ("time", times, {"units": "tau"})}, attrs=attrs)


def save_dataset(ds: xr.Dataset, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a result to ``.nc`` (netCDF; complex variables split into real/imag) or ``.csv``.

    Refuses to overwrite an existing file unless ``overwrite`` is True.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    if path.suffix == ".nc":
        out = ds.copy()
        for name in list(out.data_vars):
            if np.iscomplexobj(out[name]):
                var = out[name]
                out[f"{name}_real"] = var.real.assign_attrs(var.attrs, complex_part="real")
                out[f"{name}_imag"] = var.imag.assign_attrs(var.attrs, complex_part="imag")
                out = out.drop_vars(name)
        out.to_netcdf(path)
    elif path.suffix == ".csv":
        df = ds.to_dataframe()
        for name in list(df.columns):
            if np.iscomplexobj(df[name].to_numpy()):
                df.insert(df.columns.get_loc(name), f"{name}_real", df[name].to_numpy().real)
                df.insert(df.columns.get_loc(name), f"{name}_imag", df[name].to_numpy().imag)
                df = df.drop(columns=name)
        df.to_csv(path)
    else:
        raise InputError(f"output file must end in .nc or .csv, got {path.name!r}")
    return path


def load_dataset(path: str | Path) -> xr.Dataset:
    """Read a ``.nc`` file written by :func:`save_dataset`, rejoining complex variables."""
    import xarray as xr

    with xr.open_dataset(path) as handle:
        ds = handle.load()
    for name in list(ds.data_vars):
        if name.endswith("_real") and f"{name[:-5]}_imag" in ds:
            base = name[:-5]
            attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part"}
            ds[base] = (ds[name] + 1j * ds[f"{base}_imag"]).assign_attrs(attrs)
            ds = ds.drop_vars([name, f"{base}_imag"])
    return ds
