"""A drop-in for PyRates 1.2.3's ``integrate`` on the theta templates, answered correctly.

PyRates' ``integrate("model_templates.neural_mass_models.theta.kmo_theta", ...,
solver='scipy')`` drops the imaginary part of ``z`` at its default precision, so its
output is not the model's solution (design.md, section 3). :func:`integrate` accepts
every keyword argument PyRates 1.2.3's ``integrate`` accepts (table in its docstring
and in the README) and returns the solution of the complex model, computed by
:func:`thetabif.simulation.solve` with tolerances near 1e-10, or by the fixed-step
solvers PyRates names (``'euler'``, ``'heun'``) when asked for them.

The template file ``model_templates/neural_mass_models/theta.yaml`` defines two
circuits. ``kmo_theta`` is ``ThetaModel()`` (delta pulses, instant current coupling,
``J = 15``). ``kmo_conductance`` is written as the conductance operator (``v_s =
-10``) with the edge ``r -> s`` of weight 15, but two indentation errors in the file
stop PyRates 1.2.3 from building anything from it: ``variables: {v_s: -10.0}`` sits
inside ``equations:`` of ``conductance_op`` (PyRates raises ``TypeError:
_update_equation() got an unexpected keyword argument 'variables'``, so
``conductance_pop`` and ``kmo_conductance`` fail with ``AttributeError: 'str' object
has no attribute 'name'``), and ``edges:`` sits inside ``nodes:`` (with the first
error fixed, the circuit has a node ``edges`` holding a list, no edge, and ``run``
fails with ``AttributeError: 'list' object has no attribute 'apply'``). Here
``kmo_conductance`` is the circuit the file spells out, read as intended:
``ThetaModel(coupling="conductance")`` with ``J = 15``, ``v_s = -10``, ``eta = -5``,
``Delta = 1``, ``tau = 1`` -- exactly the operator's equation after the template's
two ``replace`` rules, with ``s = 15 r``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thetabif.errors import InputError
from thetabif.models import ThetaModel
from thetabif.protocols import Protocol
from thetabif.simulation import solve

_PREFIX = "model_templates.neural_mass_models.theta."
TEMPLATES = {
    _PREFIX + "kmo_theta": (ThetaModel(), "theta_op"),
    _PREFIX + "kmo_conductance": (ThetaModel(coupling="conductance"), "conductance_op"),
}
#: The template variables that are states or outputs (``p/<op>/<name>``).
OUTPUT_NAMES = ("z", "r")
#: The template input that thetabif drives.
INPUT_NAMES = ("I_ext",)
SOLVERS = ("scipy", "euler", "heun")
#: ``method`` (scipy's ``solve_ivp`` name) -> thetabif method; ``DOP853`` is thetabif's
#: compiled DOP853, the others go through scipy with thetabif's tolerances.
METHODS = {"DOP853": "DOP853", "RK45": "RK45", "Radau": "Radau", "BDF": "BDF",
           "LSODA": "LSODA"}

#: Keywords PyRates 1.2.3 accepts on its ``integrate`` path that cannot change the
#: mathematical answer here, with the reason (they are accepted and ignored).
NO_OPS: dict[str, str] = {
    "backend": "code-generation backend; thetabif has its own compiled numerics",
    "vectorize": "grouping of identical nodes; one node here",
    "float_precision": "PyRates' dtype of all variables (default 'float32', which drops "
                       "Im z); thetabif always computes in float64/complex128",
    "int_precision": "dtype of integer variables in generated code",
    "file_name": "name of PyRates' generated file; thetabif writes no file",
    "file_ending": "extension of PyRates' generated file",
    "func_name": "name of PyRates' generated function",
    "verbose": "PyRates' progress messages; thetabif is silent",
    "clear": "delete PyRates' generated files and caches; nothing is written or cached",
    "in_place": "copy the template before building; templates here are immutable",
    "julia_path": "Julia backend only",
    "decorator": "decorator of PyRates' generated function (e.g. numba.njit)",
    "decorator_kwargs": "its keyword arguments",
    "imports": "extra imports of PyRates' generated file",
    "max_step": "solve_ivp option; thetabif's step control keeps rtol/atol",
    "min_step": "solve_ivp option (LSODA)",
    "jac": "solve_ivp option; thetabif uses the model's analytic Jacobian",
    "jac_sparsity": "solve_ivp option",
    "lband": "solve_ivp option (LSODA)",
    "uband": "solve_ivp option (LSODA)",
    "vectorized": "solve_ivp option",
    "dense_output": "solve_ivp option; PyRates returns only the sampled states",
    "events": "solve_ivp option; PyRates returns only the sampled states",
    "add_hist_arg": "backend code-generation detail (delay history argument)",
    "idx_left": "backend code-generation detail (index bracket)",
    "idx_right": "backend code-generation detail (index bracket)",
    "start_idx": "backend code-generation detail (0- or 1-based indexing)",
    "constants_file_name": "file of constants written by the Fortran backend",
    "auto": "Fortran backend: write AUTO-07p-compatible files",
}
#: Keywords PyRates 1.2.3 accepts that would change the model; thetabif refuses them
#: with an InputError pointing to :class:`ThetaModel` and :func:`thetabif.simulate`.
UNSUPPORTED = ("node_values", "edge_values", "label", "adaptive", "step_size_adaptation")


def _check_kwargs(kwargs: Mapping[str, Any]) -> None:
    known = set(NO_OPS) | {"method", "rtol", "atol"} | set(UNSUPPORTED)
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(f"integrate() got unexpected keyword argument(s) {', '.join(unknown)}; "
                        f"not a keyword of PyRates 1.2.3's integrate that thetabif knows "
                        f"(see thetabif.tutorial.NO_OPS)")
    refused = sorted(set(kwargs) & set(UNSUPPORTED))
    if refused:
        raise InputError(f"keyword argument(s) {', '.join(refused)} change the PyRates "
                         f"template; thetabif does not support them here: build the model "
                         f"with thetabif.ThetaModel and use thetabif.simulate")


def _output_map(outputs: Mapping[str, str] | Sequence[str], op: str) -> dict[str, str]:
    if isinstance(outputs, str):
        outputs = [outputs]
    items = outputs.items() if isinstance(outputs, Mapping) else ((p, p) for p in outputs)
    allowed = [f"p/{op}/{name}" for name in OUTPUT_NAMES]
    columns = {}
    for key, path in items:
        if path not in allowed:
            raise InputError(f"unsupported output {key!r}: {path!r}; supported: "
                             f"{', '.join(allowed)}")
        columns[key] = path.rsplit("/", 1)[1]
    if not columns:
        raise InputError("outputs must name at least one variable")
    return columns


def _input_samples(inputs: Mapping[str, Any] | None, op: str, n_steps: int) -> np.ndarray | None:
    if not inputs:
        return None
    allowed = f"p/{op}/I_ext"
    for path in inputs:
        if path != allowed:
            raise InputError(f"unsupported input {path!r}; supported: {allowed}")
    samples = np.asarray(inputs[allowed], dtype=float)
    if samples.ndim != 1:
        raise InputError(f"input {allowed!r} must be one-dimensional, got shape {samples.shape}")
    if samples.size < n_steps:
        raise InputError(f"input {allowed!r} has {samples.size} samples; simulation_time / "
                         f"step_size needs {n_steps}")
    return samples


def _fixed_step(model: ThetaModel, solver: str, step_size: float, n_steps: int, every: int,
                samples: np.ndarray | None) -> np.ndarray:
    """PyRates' fixed-step solvers: state before step ``i`` stored when ``i % every == 0``."""
    num = model.numeric
    params = model.validate_params(None)
    p = num.parameter_vector(params)
    i_ext = model.parameter_names.index("I_ext")
    u = np.array([-0.6, -0.8])  # the template's z(0) = -0.6 - 0.8i
    rows = []
    for i in range(n_steps):
        if i % every == 0:
            rows.append(u.copy())
        if samples is not None:
            p[i_ext] = samples[i]
        f = num.rhs(u, p)
        if solver == "euler":
            u = u + step_size * f
        else:  # heun
            u = u + 0.5 * step_size * (f + num.rhs(u + step_size * f, p))
        if not np.all(np.isfinite(u)):
            raise InputError(f"the {solver} solver diverged at t = {(i + 1) * step_size:g}; "
                             f"choose a smaller step_size or solver='scipy'")
    return np.array(rows).T


def integrate(
    circuit: str,
    *,
    simulation_time: float,
    step_size: float,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, str] | Sequence[str] | None = None,
    sampling_step_size: float | None = None,
    cutoff: float | None = 0.0,
    solver: str = "scipy",
    **kwargs: Any,
) -> pd.DataFrame:
    """Integrate a PyRates theta template; every PyRates 1.2.3 keyword is accepted.

    Parameters
    ----------
    circuit : str
        Template path: ``model_templates.neural_mass_models.theta.kmo_theta`` or
        ``...theta.kmo_conductance`` (module docstring: what each one is).
    simulation_time : float
        End time ``T``.
    step_size : float
        Spacing of the input samples; the step of the fixed-step solvers.
    inputs : mapping, optional
        ``{'p/<op>/I_ext': samples}``: sample ``k`` is held on ``[k dt, (k+1) dt)``.
    outputs : mapping or sequence of str
        Column name -> ``'p/<op>/z'`` or ``'p/<op>/r'``; a list of paths names the
        columns by path. ``<op>`` is ``theta_op`` or ``conductance_op``.
    sampling_step_size : float, optional
        Output spacing (default ``step_size``).
    cutoff : float, optional
        Rows with time < ``cutoff`` are dropped (PyRates' ``results.loc[cutoff:]``).
    solver : {'scipy', 'euler', 'heun'}
        ``'scipy'`` (thetabif's default, unlike PyRates' ``'euler'``): adaptive
        integration, ``method`` below. ``'euler'``/``'heun'``: PyRates' fixed-step
        forward Euler / Heun with ``step_size``.
    **kwargs
        ``method`` (``DOP853`` -- the default, compiled -- ``RK45``, ``Radau``,
        ``BDF``, ``LSODA``), ``rtol`` (default 1e-10), ``atol`` (default 1e-12);
        the documented no-ops of :data:`NO_OPS`. :data:`UNSUPPORTED` keywords raise
        :class:`~thetabif.errors.InputError`; any other keyword raises ``TypeError``.

    Returns
    -------
    pandas.DataFrame
        Indexed by time ``0, dt, ..., T - dt`` (``dt`` the output spacing; PyRates
        1.2.3's grid, row 0 the initial state), one column per output; ``z`` is
        complex128.

    Notes
    -----
    Keyword table (PyRates 1.2.3 meaning -> here):

    ==================  ==========================================  ===================
    keyword             PyRates 1.2.3                               thetabif
    ==================  ==========================================  ===================
    circuit             template path or CircuitTemplate            path (two templates)
    simulation_time     end time                                    same
    step_size           solver step / first step; input spacing     input spacing; step
                                                                    of euler/heun
    inputs              {path: samples}, linear interp. if adaptive zero-order hold
    outputs             {name: path} or [path, ...]                 same
    sampling_step_size  output spacing                              same
    cutoff              drop rows before cutoff                     same
    solver              'euler' (default), 'heun', 'scipy'          same; default 'scipy'
    method              solve_ivp method (RK45)                     DOP853 (default),
                                                                    RK45, Radau, BDF,
                                                                    LSODA
    rtol, atol          solve_ivp tolerances (1e-3, 1e-6)           same (1e-10, 1e-12)
    float_precision     dtype (default float32: drops Im z)         no-op: complex128
    backend, vectorize  code generation                             no-op
    file_name, ...      generated files (see NO_OPS)                no-op
    clear, verbose,     caches, messages, template copy             no-op
    in_place
    max_step, jac, ...  other solve_ivp options (see NO_OPS)        no-op
    node_values, ...    template changes (see UNSUPPORTED)          InputError
    ==================  ==========================================  ===================

    With ``solver='scipy'`` PyRates interpolates input samples linearly between
    ``k T / (N - 1)``, which turns a step into a ramp of width ~1e-4 and moves z by
    up to 2e-4 (benchmarks/README.md); here the step switches exactly.
    """
    if not isinstance(circuit, str) or circuit not in TEMPLATES:
        raise InputError(f"unsupported template {circuit!r}; supported: {', '.join(TEMPLATES)}")
    if solver not in SOLVERS:
        raise InputError(f"unsupported solver {solver!r}; supported: {', '.join(SOLVERS)}")
    _check_kwargs(kwargs)
    model, op = TEMPLATES[circuit]
    if outputs is None:
        raise InputError("outputs must be given (as in PyRates)")
    columns = _output_map(outputs, op)
    for name, value in (("simulation_time", simulation_time), ("step_size", step_size)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be finite and > 0, got {value!r}")
    n_steps = int(round(simulation_time / step_size))
    samples = _input_samples(inputs, op, n_steps)
    dt_out = float(sampling_step_size or step_size)
    n_rows = int(round(simulation_time / dt_out))

    if solver == "scipy":
        method = kwargs.get("method", "DOP853")
        if method not in METHODS:
            raise InputError(f"unsupported method {method!r}; supported: {', '.join(METHODS)}")
        protocol = None if samples is None else Protocol.from_array(samples, step_size)
        _, _, _, times, states = solve(model, t_end=simulation_time, dt=dt_out, inputs=protocol,
                                       method=METHODS[method], rtol=kwargs.get("rtol", 1e-10),
                                       atol=kwargs.get("atol", 1e-12))
        times, states = times[:n_rows], states[:, :n_rows]
    else:
        every = int(round(dt_out / step_size))
        if every < 1 or abs(every * step_size - dt_out) > 1e-9 * dt_out:
            raise InputError(f"sampling_step_size {dt_out!r} must be a multiple of step_size "
                             f"{step_size!r} for solver {solver!r}")
        states = _fixed_step(model, solver, step_size, n_steps, every, samples)
        times = dt_out * np.arange(states.shape[1])
    if cutoff:
        keep = times >= float(cutoff)
        times, states = times[keep], states[:, keep]
    num = model.numeric
    p = num.parameter_vector(model.validate_params(None))
    data = {}
    for key, name in columns.items():
        if name == "z":
            data[key] = states[0] + 1j * states[1]
        else:  # r; I_ext does not enter r
            data[key] = num.output("r", states, p)
    return pd.DataFrame(data, index=pd.Index(times, name="time"))
