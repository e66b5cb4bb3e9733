"""Export a model to AUTO-07p files that AUTO users can run as they are.

:func:`export_model` writes, for a model ``NAME`` (e.g. ``theta_n2``):

``NAME.f90``
    The equation file (:func:`thetabif.codegen.fortran.equation_file`): ``FUNC`` with
    analytic ``DFDU``/``DFDP``, ``STPNT`` on a Newton-refined equilibrium at the chosen
    parameters, ``PVLS`` storing ``r`` in ``PAR(41)``, ``v`` in ``PAR(42)``, ``|z|`` in
    ``PAR(43)`` (and ``s`` in ``PAR(44)`` for instantaneous synapses).
``c.NAME.eq_eta``, ``c.NAME.fold``, ``c.NAME.hopf``, ``c.NAME.cycles``
    Constants files of the standard scenarios (:mod:`thetabif.codegen.autofiles`);
    ``c.NAME.hom`` too for models with two states (HomCont: the homoclinic curve in
    ``(eta, J)`` from a cycle orbit of period 500).
``NAME.auto``
    An AUTO command-line script: ``auto NAME.auto`` computes the standard diagram.

The output is a pure function of the model and the parameters (no dates, no paths),
so the standard export in ``auto_files/`` can be checked byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from thetabif.codegen.autofiles import auto_script, constants_file, model_scenarios
from thetabif.codegen.fortran import equation_file
from thetabif.equilibrium import Equilibrium, equilibria_to_start
from thetabif.models import ThetaModel


def standard_models() -> list[tuple[ThetaModel, dict[str, float]]]:
    """The models (and parameters that differ from the defaults) of ``auto_files/``.

    * ``theta`` (delta pulses) at the defaults (J = 15): two folds in eta, a cusp.
    * ``theta_n2`` (pulse sharpness n = 2) at Delta = 0.5, J = -25: two folds and a Hopf
      point for eta > 0; the cycles born there end at a homoclinic orbit
      (eta = 8.7251), whose curve in (eta, J) the script follows with HomCont.
    * ``theta_syn`` (first-order synapse) at J = -20: a Hopf point near eta = 9 and the
      periodic orbits born there.
    * ``theta_cond_syn`` (conductance coupling, first-order synapse) at the defaults.
    """
    return [
        (ThetaModel(), {}),
        (ThetaModel(n=2), {"Delta": 0.5, "J": -25.0}),
        (ThetaModel(synapse="first-order"), {"J": -20.0}),
        (ThetaModel(synapse="first-order", coupling="conductance"), {}),
    ]


def export_filenames(model: ThetaModel) -> list[str]:
    """Names of the files :func:`export_model` writes for ``model``, in writing order."""
    name = model.name
    return [f"{name}.f90", *(f"c.{name}.{s}" for s in model_scenarios(model)),
            f"{name}.auto"]


def starting_equilibrium(model: ThetaModel, params: Mapping[str, float]) -> Equilibrium:
    """The equilibrium ``STPNT`` starts from: the lowest-rate stable one.

    If no equilibrium is stable, the lowest-rate one.

    Raises
    ------
    ValueError
        If no equilibrium is found at ``params``.
    """
    return equilibria_to_start(model, params)[0]


def polish_equilibrium(
    model: ThetaModel, params: Mapping[str, float], state: np.ndarray, digits: int = 40
) -> tuple[np.ndarray, float]:
    """Newton's method in ``digits``-digit arithmetic (mpmath) from ``state``.

    Makes the exported ``STPNT`` independent of the floating-point details of the
    machine that ran the double-precision search (BLAS, MINPACK, compiler): the 17
    printed digits are those of the exact equilibrium. Returns the state rounded to
    double precision and the firing rate there.
    """
    import mpmath
    import sympy as sp

    sym = model.symbolic
    args = (*sym.states, *sym.parameters)
    f = sp.lambdify(args, list(sym.rhs), modules="mpmath")
    jac = sp.lambdify(args, sym.jacobian.tolist(), modules="mpmath")
    rate = sp.lambdify(args, sym.outputs["r"], modules="mpmath")
    with mpmath.workdps(digits):
        p = [mpmath.mpf(float(params[k])) for k in model.parameter_names]
        u = mpmath.matrix([mpmath.mpf(float(v)) for v in state])
        tol = mpmath.mpf(10) ** (-(digits - 5))
        for _ in range(50):
            fu = mpmath.matrix(f(*u, *p))
            step = mpmath.lu_solve(mpmath.matrix(jac(*u, *p)), fu)
            u = u - step
            if mpmath.norm(step, p=mpmath.inf) < tol:
                break
        else:
            raise ValueError(f"Newton's method did not converge for {model.name} at {params}")
        r = float(rate(*u, *p))
        return np.array([float(v) for v in u]), r


def export_texts(model: ThetaModel, params: Mapping[str, float] | None = None) -> dict[str, str]:
    """The exported files' contents by file name, without writing anything."""
    full = model.validate_params(params)
    eq = starting_equilibrium(model, full)
    state, r = polish_equilibrium(model, full, eq.state)
    kind = "stable" if eq.stable else "unstable (no stable one found)"
    note = (f"STPNT: {kind} equilibrium with r = {r:.12g} (the lowest-rate "
            f"{'stable ' if eq.stable else ''}one), by Newton's method in 40 digits.")
    name = model.name
    texts = {f"{name}.f90": equation_file(model, full, state, note)}
    for scen in model_scenarios(model):
        texts[f"c.{name}.{scen}"] = constants_file(model, scen)
    texts[f"{name}.auto"] = auto_script(model)
    return texts


def export_model(
    model: ThetaModel,
    params: Mapping[str, float] | None = None,
    out_dir: str | Path = ".",
    force: bool = False,
) -> list[Path]:
    """Write the AUTO-07p files of ``model`` into ``out_dir``.

    Parameters
    ----------
    model : ThetaModel
    params : mapping, optional
        Parameter values (defaults fill the rest); ``STPNT`` starts there.
    out_dir : str or Path
        Folder to write into (created if missing).
    force : bool
        Overwrite existing files. Without it, nothing is written if any target exists.

    Returns
    -------
    list of Path
        The written files, in :func:`export_filenames` order.

    Raises
    ------
    FileExistsError
        If a target file exists and ``force`` is False (the message names them).
    ValueError
        Invalid parameters, or no equilibrium to start from.
    """
    texts = export_texts(model, params)
    return _write(texts, Path(out_dir), force)


def export_standard(out_dir: str | Path = "auto_files", force: bool = False) -> list[Path]:
    """Export every model of :func:`standard_models` at its parameters into ``out_dir``.

    All targets are checked before anything is written.
    """
    texts: dict[str, str] = {}
    for model, params in standard_models():
        texts.update(export_texts(model, params))
    return _write(texts, Path(out_dir), force)


def _write(texts: Mapping[str, str], out: Path, force: bool) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    targets = [out / name for name in texts]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(
            "refusing to overwrite existing file(s) "
            + ", ".join(existing)
            + " (use force=True, or --force on the command line)"
        )
    out.mkdir(parents=True, exist_ok=True)
    for path, text in zip(targets, texts.values(), strict=True):
        with open(path, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
    return targets


__all__ = [
    "export_filenames",
    "export_model",
    "export_standard",
    "export_texts",
    "polish_equilibrium",
    "standard_models",
    "starting_equilibrium",
]
