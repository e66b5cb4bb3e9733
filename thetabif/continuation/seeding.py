"""Equilibria to start from: Newton at given parameters, and which seeds start a branch.

Owns the equilibria at the starting parameters and at a range's ends (:func:`seed_sets`,
:func:`seeds_at`, :func:`equilibria_at`, :func:`start_equilibrium`) and whether an
equilibrium lies on a branch already followed (:func:`on_branch`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from thetabif.continuation.records import Note, StopReason
from thetabif.equilibrium import equilibria_to_start, find_equilibria_many, stable_first
from thetabif.errors import InputError
from thetabif.models import ThetaModel


def equilibria_at(model: ThetaModel, params: Mapping[str, float]) -> list[np.ndarray]:
    """Every equilibrium found at ``params``: stable ones first, each group by rate.

    From :func:`thetabif.equilibrium.equilibria_to_start` (which imports no scipy, so
    neither does the warm path of a continuation).

    Raises
    ------
    ValueError
        No equilibrium at ``params``.
    """
    return [e.state for e in equilibria_to_start(model, params)]


def start_equilibrium(model: ThetaModel, params: Mapping[str, float]) -> np.ndarray:
    """The lowest-rate stable equilibrium at ``params`` (else the lowest-rate one).

    Raises
    ------
    ValueError
        No equilibrium at ``params``.
    """
    return equilibria_at(model, params)[0]


def on_branch(coords: np.ndarray, x0: float, u0: np.ndarray, tol: float = 1e-4) -> bool:
    """Whether the equilibrium ``u0`` at parameter ``x0`` lies on a followed branch.

    ``coords``: rows (parameter, states...) of the branch. The branch is interpolated
    linearly at ``x0`` on every segment that reaches it (a fold's segments too); the
    chord of a step of at most DSMAX = 0.02 departs from the curve by ~curvature *
    DSMAX^2 / 8, far below ``tol``, while distinct equilibria at one parameter value lie
    further apart than ``tol`` except within ~tol^2 of a fold.
    """
    if len(coords) == 0:
        return False
    x, u = coords[:, 0], coords[:, 1:]
    slack = 1e-6 * max(1.0, abs(x0))  # AUTO ends a run ~1e-8 from a range's end
    if len(coords) == 1:
        return bool(abs(x[0] - x0) <= slack and np.max(np.abs(u[0] - u0)) <= tol)
    xa, xb = x[:-1], x[1:]
    hit = np.flatnonzero((np.minimum(xa, xb) - slack <= x0) & (x0 <= np.maximum(xa, xb) + slack))
    if not len(hit):
        return False
    dx = xb[hit] - xa[hit]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(dx != 0, (x0 - xa[hit]) / dx, 0.0)
    t = np.clip(t, 0.0, 1.0)[:, None]
    at = u[hit] + t * (u[hit + 1] - u[hit])
    return bool(np.min(np.max(np.abs(at - u0), axis=1)) <= tol * max(1.0, np.max(np.abs(u0))))


#: A seed: an equilibrium, the parameters at it and the directions to follow it in.
Seed = tuple[np.ndarray, dict[str, float], tuple[int, ...]]
#: Parameters to seed from, and the directions to follow their equilibria in.
SeedSet = tuple[dict[str, float], tuple[int, ...]]


def seed_sets(params: Mapping[str, float], free: str, lo: float, hi: float
              ) -> tuple[list[SeedSet], list[Note]]:
    """Where the equilibrium branches in ``free`` over ``[lo, hi]`` start: ``params``
    when ``free`` lies inside the range (both directions), then each end (inwards
    only). Returned with notes (a start outside the range)."""
    edge_tol = 1e-9 * (hi - lo)
    p0 = params[free]
    notes: list[Note] = []
    sets: list[SeedSet] = []
    if lo + edge_tol < p0 < hi - edge_tol:
        sets.append((dict(params), (1, -1)))
    elif not lo - edge_tol <= p0 <= hi + edge_tol:
        notes.append(StopReason.START.note(
            f"{free} = {p0:.10g} lies outside the range {lo:g}:{hi:g}; the branches start "
            "from the equilibria at the range's ends"))
    sets += [({**params, free: lo}, (1,)), ({**params, free: hi}, (-1,))]
    return sets, notes


def seeds_at(model: ThetaModel, params: Mapping[str, float], free: str,
             sets: Sequence[SeedSet]) -> list[Seed]:
    """Every equilibrium of each parameter set, in the order of ``sets``, each set's
    stable ones first, by rate (one Newton run over the seeds of all sets at once)."""
    if not sets:
        return []
    found = find_equilibria_many(model, params, {free: [at[free] for at, _ in sets]})
    return [(e.state, at, signs) for i, (at, signs) in enumerate(sets)
            for e in stable_first(found.at(i))]


def no_seed(model: ThetaModel, params: Mapping[str, float], free: str, lo: float,
            hi: float) -> InputError:
    """The error when there is no equilibrium at the start nor at either end."""
    return InputError(f"no equilibrium of {model.name} at {free} = {params[free]:g}, "
                      f"{lo:g} or {hi:g}: nothing to continue in {lo:g}:{hi:g}")
