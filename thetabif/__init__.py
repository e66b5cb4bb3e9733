"""thetabif: bifurcation and continuation analysis of the theta-neuron mean-field model.

Public API (imported lazily, so ``import thetabif`` stays fast):

- :class:`ThetaModel` -- the model family (pulse sharpness, synapse, coupling).
- :class:`Circuit`, :class:`Population`, :class:`Edge` -- circuits of theta populations
  (E-I and beyond), models like ``ThetaModel``; :func:`read_circuit` reads a circuit
  file (TOML) or a shipped circuit by name (``"ping"``, ``"ii"``).
- :class:`Protocol` -- piecewise-constant input protocols (steps, constants, arrays).
- :func:`simulate` -- time integration, returning an xarray Dataset.
- :func:`integrate` -- PyRates 1.2.3's ``integrate`` on the theta templates (every
  keyword), answered with the complex model's solution.
- :func:`find_equilibria` -- equilibria at fixed parameters (Newton, analytic Jacobian).
- :func:`save_dataset`, :func:`load_dataset` -- netCDF/CSV round trips of results.
- :class:`Continuation` -- equilibria, fold/Hopf curves and cycles on AUTO-07p, with
  special points polished by Newton (:class:`ContinuationResult` records); its
  options, checked once when made: :class:`EquilibriumOptions`, :class:`CurveOptions`,
  :class:`CycleOptions` (step controls and limits; base :class:`ContinuationOptions`).
- :func:`verify`, :func:`verify_grid` -- what the diagram predicts, checked by
  simulation (per protocol phase; brute force over an (eta, J) grid).
- :func:`simulate_network`, :func:`compare_network` -- the spiking network behind the
  mean field (exact per-step solution of each theta neuron).
- Records: every result above names its model (``model``, ``model_options``) and
  parameters (``params``) alike, with ``to_dict()``, ``save(path, *, overwrite=False)``
  and, where a round trip makes sense, ``load(path)`` (:mod:`thetabif.records`).
- Errors (:mod:`thetabif.errors`): :class:`ThetabifError`, the base of every exception
  thetabif raises for its own reasons; :class:`InputError` (also a ``ValueError``),
  :class:`ToolchainError` (AUTO-07p or gfortran missing or failing:
  :class:`AutoNotFoundError`, :class:`CompilerNotFoundError`, :class:`CompileError`)
  and :class:`NumericalError` (:class:`SimulationError`, :class:`ContinuationError`,
  :class:`PolishError`), the last two also ``RuntimeError``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from thetabif._version import __version__ as __version__

_EXPORTS = {
    "ThetaModel": "thetabif.models",
    "Circuit": "thetabif.models",
    "Population": "thetabif.models",
    "Edge": "thetabif.models",
    "read_circuit": "thetabif.models.circuit_file",
    "Protocol": "thetabif.protocols",
    "simulate": "thetabif.simulation",
    "SimulationError": "thetabif.errors",
    "save_dataset": "thetabif.simulation",
    "load_dataset": "thetabif.simulation",
    "integrate": "thetabif.tutorial",
    "find_equilibria": "thetabif.equilibrium",
    "Continuation": "thetabif.continuation",
    "ContinuationResult": "thetabif.continuation",
    "ContinuationFailed": "thetabif.continuation",
    "ContinuationOptions": "thetabif.continuation",
    "EquilibriumOptions": "thetabif.continuation",
    "CurveOptions": "thetabif.continuation",
    "CycleOptions": "thetabif.continuation",
    "verify": "thetabif.verification",
    "verify_grid": "thetabif.verification",
    "VerificationResult": "thetabif.verification",
    "GridResult": "thetabif.verification",
    "BifurcationCurves": "thetabif.verification",
    "Tolerances": "thetabif.verification",
    "simulate_network": "thetabif.network",
    "compare_network": "thetabif.network",
    "NetworkComparison": "thetabif.network",
    "ThetabifError": "thetabif.errors",
    "InputError": "thetabif.errors",
    "ToolchainError": "thetabif.errors",
    "AutoNotFoundError": "thetabif.errors",
    "CompilerNotFoundError": "thetabif.errors",
    "CompileError": "thetabif.errors",
    "NumericalError": "thetabif.errors",
    "ContinuationError": "thetabif.errors",
    "PolishError": "thetabif.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'thetabif' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
