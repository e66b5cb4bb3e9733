"""sympy -> fast numeric right-hand side, Jacobians and outputs (numpy).

The functions take the state as separate arguments and the parameters as one
sequence in :attr:`ThetaModel.parameter_names` order, so that a solver's inner
loop pays for one Python call and no dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from thetabif.models import ThetaModel


def _lambdify(args: Sequence, expr) -> Callable:
    return sp.lambdify(args, expr, modules="numpy", cse=True)


@dataclass(frozen=True)
class NumericModel:
    """Numeric functions of one model.

    Attributes
    ----------
    rhs : callable
        ``rhs(u, p) -> ndarray`` time derivative; ``u`` the state vector, ``p`` the
        parameter vector.
    jacobian : callable
        ``jacobian(u, p) -> ndarray (ndim, ndim)``, analytic.
    parameter_jacobian : callable
        ``parameter_jacobian(u, p) -> ndarray (ndim, npar)``, analytic.
    outputs : dict of callable
        ``outputs[name](u, p)``; vectorised over trailing axes of ``u``.
    """

    state_names: tuple[str, ...]
    parameter_names: tuple[str, ...]
    _rhs: Callable
    _jac: Callable
    _dfdp: Callable
    _outputs: Mapping[str, Callable]

    @classmethod
    def from_model(cls, model: ThetaModel) -> NumericModel:
        sym = model.symbolic
        args = (*sym.states, *sym.parameters)
        return cls(
            state_names=model.state_names,
            parameter_names=model.parameter_names,
            _rhs=_lambdify(args, list(sym.rhs)),
            _jac=_lambdify(args, sym.jacobian.tolist()),
            _dfdp=_lambdify(args, sym.parameter_jacobian.tolist()),
            _outputs={k: _lambdify(args, e) for k, e in sym.outputs.items()},
        )

    def parameter_vector(self, params: Mapping[str, float]) -> np.ndarray:
        """Parameters by name -> vector in model order."""
        return np.array([float(params[k]) for k in self.parameter_names])

    def rhs(self, u: Sequence[float], p: Sequence[float]) -> np.ndarray:
        return np.array(self._rhs(*u, *p), dtype=float)

    def jacobian(self, u: Sequence[float], p: Sequence[float]) -> np.ndarray:
        return np.array(self._jac(*u, *p), dtype=float)

    def parameter_jacobian(self, u: Sequence[float], p: Sequence[float]) -> np.ndarray:
        return np.array(self._dfdp(*u, *p), dtype=float)

    def output(self, name: str, u: np.ndarray, p: Sequence[float]) -> np.ndarray:
        """Derived output ``name`` (``r``, ``v``, ``abs_z``, ``s``) along states ``u``.

        ``u`` has shape ``(ndim,)`` or ``(ndim, npoints)``.
        """
        u = np.asarray(u, dtype=float)
        value = self._outputs[name](*u, *p)
        return np.broadcast_to(np.asarray(value, dtype=float), u.shape[1:]).copy()

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(self._outputs)
