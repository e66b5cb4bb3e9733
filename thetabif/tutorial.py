"""A drop-in for the call in PyRates' theta mean-field tutorial, answered correctly.

PyRates' ``integrate("model_templates.neural_mass_models.theta.kmo_theta", ...,
solver='scipy')`` drops the imaginary part of ``z`` at its default precision, so its
output is not the model's solution (design.md, section 3). :func:`integrate` accepts
the same arguments and returns the solution of the complex model, computed by
:func:`thetabif.simulate` with tolerances near 1e-10.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from thetabif.models import ThetaModel
from thetabif.protocols import Protocol
from thetabif.simulation import solve

TEMPLATES = {"model_templates.neural_mass_models.theta.kmo_theta": ThetaModel()}
OUTPUT_PATHS = {"p/theta_op/z": "z", "p/theta_op/r": "r"}
INPUT_PATHS = {"p/theta_op/I_ext": "I_ext"}
SOLVERS = ("scipy",)
# Arguments PyRates accepts that do not change the mathematical answer here.
_IGNORED = ("clear", "backend", "vectorize", "float_precision", "verbose", "cutoff")


def integrate(
    model: str,
    step_size: float,
    simulation_time: float,
    outputs: Mapping[str, str],
    inputs: Mapping[str, Any] | None = None,
    solver: str = "scipy",
    sampling_step_size: float | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Integrate a PyRates theta template with PyRates' argument names.

    Parameters
    ----------
    model : str
        Template path; supported: ``model_templates.neural_mass_models.theta.kmo_theta``.
    step_size : float
        Spacing of the input samples (and of the output, unless ``sampling_step_size``).
    simulation_time : float
        End time.
    outputs : mapping
        Column name -> variable path (``p/theta_op/z`` or ``p/theta_op/r``).
    inputs : mapping, optional
        ``{'p/theta_op/I_ext': samples}``: one input value per step of ``step_size``,
        held constant over that step.
    solver : str
        ``'scipy'``.
    sampling_step_size : float, optional
        Output spacing (default ``step_size``).
    **kwargs
        ``clear``, ``backend``, ``vectorize``, ``float_precision``, ``verbose`` and
        ``cutoff`` are accepted for compatibility; precision is always double.

    Returns
    -------
    pandas.DataFrame
        Indexed by time ``0, dt, ..., simulation_time - dt`` with ``dt`` the output
        spacing (PyRates 1.2.3's grid: row 0 is the initial state), one column per
        requested output; ``z`` is complex.

    Notes
    -----
    Input sample ``k`` is held on ``[k dt, (k+1) dt)``, so the tutorial's step
    switches exactly at t = 20 and t = 80. PyRates instead interpolates linearly
    between samples placed at ``k T / (N - 1)``, which turns the step into a ramp of
    width ~1e-4 and moves z by up to 2e-4 (benchmarks/README.md).
    """
    if model not in TEMPLATES:
        raise ValueError(f"unsupported template {model!r}; supported: {', '.join(TEMPLATES)}")
    if solver not in SOLVERS:
        raise ValueError(f"unsupported solver {solver!r}; supported: {', '.join(SOLVERS)}")
    unknown = sorted(set(kwargs) - set(_IGNORED))
    if unknown:
        raise ValueError(f"unsupported argument(s) {', '.join(unknown)}; supported extras: "
                         f"{', '.join(_IGNORED)}, sampling_step_size")
    for key, path in outputs.items():
        if path not in OUTPUT_PATHS:
            raise ValueError(f"unsupported output {key!r}: {path!r}; supported: "
                             f"{', '.join(OUTPUT_PATHS)}")
    inputs = dict(inputs or {})
    for path in inputs:
        if path not in INPUT_PATHS:
            raise ValueError(f"unsupported input {path!r}; supported: {', '.join(INPUT_PATHS)}")
    cutoff = float(kwargs.get("cutoff", 0.0) or 0.0)

    protocol = None
    if "p/theta_op/I_ext" in inputs:
        samples = np.asarray(inputs["p/theta_op/I_ext"], dtype=float)
        if samples.ndim != 1:
            raise ValueError(f"input 'p/theta_op/I_ext' must be one-dimensional, got shape "
                             f"{samples.shape}")
        protocol = Protocol.from_array(samples, step_size)
    dt_out = float(sampling_step_size or step_size)
    theta, params, _, times, states = solve(TEMPLATES[model], t_end=simulation_time, dt=dt_out,
                                            inputs=protocol)
    n_rows = int(round(simulation_time / dt_out))
    keep = slice(0, n_rows)  # PyRates' grid: 0, dt, ..., T - dt
    times, states = times[keep], states[:, keep]
    if cutoff > 0:
        sel = times > cutoff
        times, states = times[sel], states[:, sel]
    num = theta.numeric
    columns = {}
    for key, path in outputs.items():
        if OUTPUT_PATHS[path] == "z":
            columns[key] = states[0] + 1j * states[1]
        else:  # r; I_ext does not enter r
            columns[key] = num.output("r", states, num.parameter_vector(params))
    return pd.DataFrame(columns, index=pd.Index(times, name="time"))
