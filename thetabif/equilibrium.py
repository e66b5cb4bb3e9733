"""Equilibria of a model at fixed parameters, by Newton's method with the analytic Jacobian.

Seeds come from the delta-pulse, current-coupled model, whose equilibria are known in
closed form (roots of a quartic in ``r``), plus a polar grid over the unit disk; every
seed is refined by Newton on the full model and duplicates are merged. A first-order
synapse does not move equilibria (``s* = J p(z*)``), so those are solved in ``(x, y)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import root

from thetabif.models import ThetaModel


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium: state, firing rate and eigenvalues of the Jacobian."""

    state: np.ndarray
    r: float
    eigenvalues: np.ndarray

    @property
    def stable(self) -> bool:
        """True when every eigenvalue has a negative real part."""
        return bool(np.all(self.eigenvalues.real < 0))

    @property
    def z(self) -> complex:
        return complex(self.state[0], self.state[1])


def delta_pulse_rates(params: Mapping[str, float]) -> np.ndarray:
    """Firing rates of all equilibria of the delta-pulse, current-coupled model.

    From the (r, v) form (design.md): ``v = -Delta / (2 pi tau r)`` and
    ``eta + I_ext = (pi tau r)^2 - J r - Delta^2 / (2 pi tau r)^2``, i.e. the positive
    real roots of ``(pi tau)^2 r^4 - J r^3 - (eta + I_ext) r^2 - Delta^2/(2 pi tau)^2``.
    """
    pt = np.pi * params["tau"]
    eta = params["eta"] + params.get("I_ext", 0.0)
    roots = np.roots([pt**2, -params["J"], -eta, 0.0, -(params["Delta"] / (2 * pt)) ** 2])
    real = roots[np.abs(roots.imag) <= 1e-9 * np.maximum(1.0, np.abs(roots))].real
    return np.sort(real[real > 0])


def rate_to_state(r: float, params: Mapping[str, float]) -> np.ndarray:
    """The (x, y) of the delta-pulse equilibrium with firing rate ``r``."""
    pt = np.pi * params["tau"]
    w = pt * r - 1j * params["Delta"] / (2 * pt * r)  # W = pi tau r + i v
    z = np.conj((1 - w) / (1 + w))
    return np.array([z.real, z.imag])


def find_equilibria(
    model: ThetaModel, params: Mapping[str, float] | None = None, *, tol: float = 1e-12
) -> list[Equilibrium]:
    """All equilibria found from the seeds, sorted by firing rate.

    Parameters
    ----------
    model : ThetaModel
    params : mapping, optional
        Parameter values (validated; defaults fill the rest).
    tol : float
        Residual (max-norm of the right-hand side) below which a Newton result
        counts as an equilibrium.

    Returns
    -------
    list of Equilibrium
    """
    full = model.validate_params(params)
    reduced = ThetaModel(n=model.n, synapse="instant", coupling=model.coupling)
    num_r = reduced.numeric
    p_r = num_r.parameter_vector(full)

    seeds = [rate_to_state(r, full) for r in delta_pulse_rates(full)]
    for rad in (0.2, 0.5, 0.8, 0.95, 0.99):
        for ang in np.linspace(-np.pi, np.pi, 12, endpoint=False):
            seeds.append(np.array([rad * np.cos(ang), rad * np.sin(ang)]))

    found: list[np.ndarray] = []
    for seed in seeds:
        sol = root(
            lambda u: num_r.rhs(u, p_r), seed, jac=lambda u: num_r.jacobian(u, p_r), tol=1e-14
        )
        u = sol.x
        if not np.all(np.isfinite(u)) or u[0] ** 2 + u[1] ** 2 >= 1.0:
            continue
        if np.max(np.abs(num_r.rhs(u, p_r))) > tol:
            continue
        if any(np.max(np.abs(u - f)) < 1e-7 for f in found):
            continue
        found.append(u)

    num = model.numeric
    p = num.parameter_vector(full)
    result = []
    for u in found:
        if model.synapse == "first-order":
            s_star = float(num_r.output("s", u, p_r))
            u = np.array([u[0], u[1], s_star])
        eig = np.linalg.eigvals(num.jacobian(u, p))
        result.append(Equilibrium(u, float(num.output("r", u, p)), eig))
    return sorted(result, key=lambda e: e.r)
