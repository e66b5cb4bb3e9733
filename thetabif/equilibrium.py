"""Equilibria of a model, by Newton's method with the analytic Jacobian: the one place.

Owns the seeds, the Newton iteration and the rule that accepts its result, for one
parameter set (:func:`find_equilibria`; :func:`equilibria_to_start` orders them for a
continuation), for many at once (:func:`find_equilibria_many`, vectorised over
parameter sets and seeds) and from a given state (:func:`newton`).

Seeds come from the delta-pulse, current-coupled model, whose equilibria are known in
closed form (roots of a quartic in ``r``, :func:`delta_pulse_rates`); for any other
model a polar grid over the unit disk is added; for a circuit, every combination of
the populations' seeds on a coarser grid (a fixed sample of 20000 when there are more).
Newton steps are damped to length 0.25; an iterate may leave the disk on its way, and
is given up beyond radius 1.2. A result is an equilibrium when it is finite, every
population lies inside the unit disk and its residual (max-norm of the right-hand
side) is at most ``tol``; results within 1e-7 (max-norm) of one another at the same
parameters are one equilibrium. Synapses and adaptation do not move equilibria (``s*
= J p(z*)``, ``a* = alpha r*``): equilibria are solved in the model's
``equilibrium_reduction`` (the populations' ``(x, y)``) and the other states computed.

Imports no scipy (the warm path of a continuation seeds from here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thetabif.errors import InputError
from thetabif.models import Model, ThetaModel

#: Radii and number of angles of the polar grid of seeds.
_RADII = (0.2, 0.5, 0.8, 0.95, 0.99)
_ANGLES = 24
#: Newton: iterations, longest step, and the residual or step below which an iterate
#: has converged.
_ITERATIONS = 40
_MAX_STEP = 0.25
_RESIDUAL_TOL = 1e-14
_STEP_TOL = 1e-14
#: Iterates may leave the unit disk on their way; beyond this radius they are given up.
_FAR = 1.2
#: Seeds of a circuit: per population the origin and a coarser polar grid; every
#: combination of them while there are at most this many, else a sample of that size.
_CIRCUIT_RADII = (0.3, 0.7, 0.9, 0.98)
_CIRCUIT_ANGLES = 8
_CIRCUIT_SEEDS = 20000
#: Results closer than this (max-norm) at the same parameters are one equilibrium.
_SAME = 1e-7


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

    @property
    def leading(self) -> complex:
        """The eigenvalue of largest real part (it sets the approach to a stable one)."""
        return complex(self.eigenvalues[np.argmax(self.eigenvalues.real)])

    @property
    def kind(self) -> str:
        """``node`` or ``focus`` (stable; by the leading eigenvalue), ``saddle`` (some
        eigenvalues with positive real part) or ``repeller`` (all)."""
        n_unstable = int(np.sum(self.eigenvalues.real > 0))
        if n_unstable:
            return "saddle" if n_unstable < len(self.eigenvalues) else "repeller"
        return "focus" if abs(self.leading.imag) > 1e-12 else "node"


@dataclass(frozen=True)
class EquilibriumSet:
    """Equilibria at many parameter sets, flat: one row per equilibrium.

    Attributes
    ----------
    point : ndarray of int
        Index of the parameter set each equilibrium belongs to.
    state : ndarray, shape (m, ndim)
    r : ndarray
    eigenvalues : ndarray, shape (m, ndim)
    npoints : int
        Number of parameter sets.
    """

    point: np.ndarray
    state: np.ndarray
    r: np.ndarray
    eigenvalues: np.ndarray
    npoints: int

    @property
    def stable(self) -> np.ndarray:
        """True where every eigenvalue has a negative real part."""
        return np.all(self.eigenvalues.real < 0, axis=1)

    def at(self, i: int) -> list[Equilibrium]:
        """The equilibria of parameter set ``i``, by rate."""
        idx = np.flatnonzero(self.point == i)
        idx = idx[np.argsort(self.r[idx], kind="stable")]
        return [Equilibrium(self.state[k], float(self.r[k]), self.eigenvalues[k])
                for k in idx]


def _quartic_states(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Roots of the delta-pulse quartic and their states, per parameter set.

    From the (r, v) form (design.md): ``v = -Delta / (2 pi tau r)`` and
    ``eta + I_ext = (pi tau r)^2 - J r - Delta^2 / (2 pi tau r)^2``, i.e. the positive
    real roots of ``(pi tau)^2 r^4 - J r^3 - (eta + I_ext) r^2 - Delta^2/(2 pi tau)^2``.
    Entries of ``params`` may be arrays of one length ``npoints``.

    Returns
    -------
    rates : ndarray, shape (npoints, 4)
        The positive real roots, NaN elsewhere.
    states : ndarray, shape (2, npoints, 4)
        Their (x, y), NaN elsewhere.
    """
    pt = np.pi * np.asarray(params["tau"], dtype=float)
    eta = np.asarray(params["eta"], dtype=float) + np.asarray(params.get("I_ext", 0.0))
    J = np.asarray(params["J"], dtype=float)
    delta = np.asarray(params["Delta"], dtype=float)
    pt, eta, J, delta = (np.atleast_1d(a) for a in np.broadcast_arrays(pt, eta, J, delta))
    # companion matrices of the monic quartic, as numpy.roots builds them
    comp = np.zeros((pt.size, 4, 4))
    comp[:, 0, 0] = J / pt**2
    comp[:, 0, 1] = eta / pt**2
    comp[:, 0, 3] = (delta / (2 * pt)) ** 2 / pt**2
    comp[:, 1, 0] = comp[:, 2, 1] = comp[:, 3, 2] = 1.0
    roots = np.linalg.eigvals(comp)
    good = (np.abs(roots.imag) <= 1e-9 * np.maximum(1.0, np.abs(roots))) & (roots.real > 0)
    rates = np.where(good, roots.real, np.nan)
    rr = np.where(good, roots.real, 1.0)
    w = pt[:, None] * rr - 1j * delta[:, None] / (2 * pt[:, None] * rr)  # pi tau r + i v
    z = np.where(good, np.conj((1 - w) / (1 + w)), np.nan)
    return rates, np.array([z.real, z.imag])


def delta_pulse_rates(params: Mapping[str, float]) -> np.ndarray:
    """Firing rates of all equilibria of the delta-pulse, current-coupled model, sorted.

    The positive real roots of ``(pi tau)^2 r^4 - J r^3 - (eta + I_ext) r^2 -
    Delta^2/(2 pi tau)^2`` (from the (r, v) form, design.md).
    """
    rates = _quartic_states(params)[0][0]
    return np.sort(rates[np.isfinite(rates)])


def rate_to_state(r: float, params: Mapping[str, float]) -> np.ndarray:
    """The (x, y) of the delta-pulse equilibrium with firing rate ``r``."""
    pt = np.pi * params["tau"]
    w = pt * r - 1j * params["Delta"] / (2 * pt * r)  # W = pi tau r + i v
    z = np.conj((1 - w) / (1 + w))
    return np.array([z.real, z.imag])


def _columns(model: Model, full: Mapping[str, float],
             varying: Mapping[str, np.ndarray], idx: np.ndarray) -> list:
    """Parameter vector of ``model`` for the parameter sets ``idx`` (arrays where varying)."""
    return [varying[k][idx] if k in varying else full[k] for k in model.parameter_names]


def _take(cols: Sequence, keep: np.ndarray) -> list:
    return [v[keep] if isinstance(v, np.ndarray) else v for v in cols]


def _radius2(model: Model, u: np.ndarray) -> np.ndarray:
    """Largest ``|z|^2`` over the populations, per column of ``u``."""
    return np.max([u[i] ** 2 + u[j] ** 2 for i, j in model.population_states], axis=0)


def _newton_step(jac: np.ndarray, F: np.ndarray) -> np.ndarray:
    """``jac^-1 F`` per column (``jac``: (m, d, d), ``F``: (d, m)); Cramer's rule in 2-D."""
    if F.shape[0] == 2:
        (a, b), (c, d) = np.moveaxis(jac, 0, -1)
        det = a * d - b * c
        return np.array([d * F[0] - b * F[1], a * F[1] - c * F[0]]) / det
    out = np.full(F.shape, np.nan)
    ok = np.all(np.isfinite(jac), axis=(1, 2))
    try:  # the usual case: every finite Jacobian regular, one batched solve
        out[:, ok] = np.linalg.solve(jac[ok], F.T[ok][..., None])[..., 0].T
        return out
    except np.linalg.LinAlgError:  # an exactly singular one: leave those columns NaN
        ok &= np.abs(np.linalg.det(np.where(ok[:, None, None], jac, 0.0))) > 0
    if np.any(ok):
        out[:, ok] = np.linalg.solve(jac[ok], F.T[ok][..., None])[..., 0].T
    return out


def _solve(model: Model, cols: Sequence, u: np.ndarray, tol: float) -> np.ndarray:
    """Damped Newton on ``model`` from the columns of ``u`` (changed in place).

    ``cols``: the parameter vector, entries scalars or arrays (one per column of
    ``u``). Returns which columns are accepted as equilibria (the module's rule).
    """
    num = model.numeric
    active = np.arange(u.shape[1])
    with np.errstate(all="ignore"):
        for _ in range(_ITERATIONS):
            if active.size == 0:
                break
            F = num.rhs_many(u[:, active], _take(cols, active))
            moving = np.max(np.abs(F), axis=0) > _RESIDUAL_TOL
            active, F = active[moving], F[:, moving]
            pa = _take(cols, active)
            ua = u[:, active]
            step = _newton_step(num.jacobians(ua, pa), F)
            length = np.sqrt(np.sum(step**2, axis=0))
            ua = ua - np.minimum(1.0, _MAX_STEP / np.maximum(length, 1e-300)) * step
            u[:, active] = ua
            moving = ((_radius2(model, ua) < _FAR**2)
                      & (np.max(np.abs(step), axis=0) > _STEP_TOL))
            active = active[moving]
        res = np.max(np.abs(num.rhs_many(u, cols)), axis=0)
        return np.all(np.isfinite(u), axis=0) & (_radius2(model, u) < 1.0) & (res <= tol)


def _distinct(point: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Indices of the first of each group of results within ``_SAME`` at one point."""
    keep = []
    left = np.arange(point.size)
    while left.size:
        groups, first = np.unique(point[left], return_index=True)
        reps = left[first]
        keep.append(reps)
        rep_of = reps[np.searchsorted(groups, point[left])]
        left = left[np.max(np.abs(state[left] - state[rep_of]), axis=1) >= _SAME]
    return np.sort(np.concatenate(keep)) if keep else left


def _polar(radii: Sequence[float], angles: int) -> np.ndarray:
    """The origin and ``angles`` points on each circle of ``radii``: shape (2, k)."""
    ang = np.linspace(-np.pi, np.pi, angles, endpoint=False)
    rad = np.repeat(radii, angles)
    return np.array([np.r_[0.0, rad * np.cos(np.tile(ang, len(radii)))],
                     np.r_[0.0, rad * np.sin(np.tile(ang, len(radii)))]])


def _seeds(model: Model, full: Mapping[str, float], var: Mapping[str, np.ndarray],
           npts: int) -> np.ndarray:
    """Seeds in the reduced states, shape ``(ndim, npts, nseed)`` (NaN: no seed)."""
    if isinstance(model, ThetaModel):
        _, quartic = _quartic_states({**full, **var})  # (2, npts or 1, 4)
        seeds = np.broadcast_to(quartic, (2, npts, 4))
        if model.n is not None or model.coupling != "current":
            # the quartic's roots are all the equilibria of the delta-pulse, current-coupled
            # model; for the others they are only seeds, with a polar grid over the disk
            polar = _polar(_RADII, _ANGLES)
            seeds = np.concatenate([seeds, np.broadcast_to(polar[:, None, :],
                                                           (2, npts, polar.shape[1]))], axis=2)
        return seeds
    # a circuit: every combination of the populations' seeds (a sample, when too many)
    polar = _polar(_CIRCUIT_RADII, _CIRCUIT_ANGLES)
    k, npop = polar.shape[1], len(model.population_states)
    if k**npop <= _CIRCUIT_SEEDS:
        combos = np.array(np.meshgrid(*[np.arange(k)] * npop, indexing="ij")).reshape(npop, -1)
    else:
        combos = np.random.default_rng(0).integers(0, k, size=(npop, _CIRCUIT_SEEDS))
        combos[:, 0] = 0  # the all-asynchronous-at-origin seed is always there
    seeds = np.concatenate([polar[:, c] for c in combos], axis=0)  # (2 npop, nseed)
    return np.broadcast_to(seeds[:, None, :], (seeds.shape[0], npts, seeds.shape[1]))


def fill_states(model: Model, u: np.ndarray, cols: Sequence) -> np.ndarray:
    """The full states of ``model`` at equilibria given in its reduced states ``u``."""
    red = model.equilibrium_reduction
    rows = []
    for how in red.fill:
        if how[0] == "state":
            rows.append(u[how[1]])
        elif how[0] == "output":
            rows.append(red.model.numeric.output(how[1], u, cols))
        else:
            rows.append(np.zeros(u.shape[1:]))
    return np.array(rows)


def find_equilibria_many(model: Model, params: Mapping[str, float] | None,
                         varying: Mapping[str, Any], *, tol: float = 1e-12
                         ) -> EquilibriumSet:
    """All equilibria found from the seeds at many parameter sets at once.

    Parameters
    ----------
    model : ThetaModel or Circuit
    params : mapping, optional
        Parameter values (validated; defaults fill the rest).
    varying : mapping
        Parameters that differ between the sets: name -> array, all of one length
        (the number of sets); empty for one set.
    tol : float
        Residual (max-norm of the right-hand side) below which a Newton result
        counts as an equilibrium.

    Returns
    -------
    EquilibriumSet
        Rows in the order of the parameter sets, then of the seeds.
    """
    full = model.validate_params(params)
    var = {k: np.asarray(v, dtype=float).ravel() for k, v in varying.items()}
    npts = len(next(iter(var.values()))) if var else 1
    reduced = model.equilibrium_reduction.model
    seeds = _seeds(model, full, var, npts)
    ndim, _, nseed = seeds.shape
    point = np.repeat(np.arange(npts), nseed)
    u = seeds.reshape(ndim, -1).copy()
    real = np.all(np.isfinite(u), axis=0)  # quartic slots without a root are NaN
    point, u = point[real], u[:, real]
    ok = _solve(reduced, _columns(reduced, full, var, point), u, tol)
    point, u = point[ok], u[:, ok]
    first = _distinct(point, u.T)
    point, u = point[first], u[:, first]
    u = fill_states(model, u, _columns(reduced, full, var, point))
    num = model.numeric
    cols = _columns(model, full, var, point)
    eig = (np.linalg.eigvals(num.jacobians(u, cols)) if point.size
           else np.zeros((0, u.shape[0]), dtype=complex))
    return EquilibriumSet(point, u.T, num.output("r", u, cols), eig, npts)


def find_equilibria(
    model: Model, params: Mapping[str, float] | None = None, *, tol: float = 1e-12
) -> list[Equilibrium]:
    """All equilibria found from the seeds, sorted by firing rate.

    Parameters
    ----------
    model : ThetaModel or Circuit
    params : mapping, optional
        Parameter values (validated; defaults fill the rest).
    tol : float
        Residual (max-norm of the right-hand side) below which a Newton result
        counts as an equilibrium.

    Returns
    -------
    list of Equilibrium
    """
    return find_equilibria_many(model, params, {}, tol=tol).at(0)


def equilibria_to_start(model: Model, params: Mapping[str, float]
                        ) -> list[Equilibrium]:
    """Every equilibrium at ``params``, stable ones first, each group by rate.

    The first is where a continuation starts: the lowest-rate stable equilibrium,
    else the lowest-rate one.

    Raises
    ------
    ValueError
        No equilibrium at ``params`` (AUTO needs one to start from).
    """
    eqs = find_equilibria(model, params)
    if not eqs:
        raise InputError(
            f"no equilibrium of {model.name} found at "
            + ", ".join(f"{k}={v:g}" for k, v in params.items())
            + "; AUTO needs one to start from: choose other parameters")
    return stable_first(eqs)


def stable_first(eqs: Sequence[Equilibrium]) -> list[Equilibrium]:
    """``eqs`` (by rate) with the stable ones first, each group keeping its order."""
    return sorted(eqs, key=lambda e: not e.stable)


def newton(model: Model, params: Mapping[str, float] | None, state: Sequence[float],
           *, tol: float = 1e-12) -> np.ndarray | None:
    """The equilibrium Newton reaches from ``state``, or None when it is not accepted.

    Parameters
    ----------
    model : ThetaModel or Circuit
    params : mapping, optional
        Parameter values (validated; defaults fill the rest).
    state : sequence of float
        Initial state (a synaptic ``s`` in it is ignored: it follows from ``z``).
    tol : float
        Residual below which the result counts as an equilibrium.

    Returns
    -------
    ndarray or None
        The full state of the equilibrium.
    """
    full = model.validate_params(params)
    red = model.equilibrium_reduction
    picks = [how[1] for how in red.fill if how[0] == "state"]
    where = [k for k, how in enumerate(red.fill) if how[0] == "state"]
    u = np.empty((len(picks), 1))
    u[picks, 0] = np.asarray(state, dtype=float)[where]
    cols = _columns(red.model, full, {}, np.zeros(1, dtype=int))
    if not _solve(red.model, cols, u, tol)[0]:
        return None
    return fill_states(model, u, cols)[:, 0]
