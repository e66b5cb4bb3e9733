"""Folds of cycles (LPC) in two parameters: AUTO's fold continuation of periodic orbits.

A fold (LP) of a cycle branch (:meth:`Continuation.cycles`) is continued in two
parameters with the period free (``IPS=2``, ``ISW=2``, ``ICP=[p1, p2, PAR(11)]``, ``p1``
the parameter the fold was found in). AUTO 0.9.2 does it in two stages: a restart at
the LP itself (point type 5) only *generates the starting data* of its extended
system (the null vector of the fold; ``p2`` held fixed, an internal parameter free),
and a restart at the end of that run follows the fold curve. Both directions are
followed from there (:func:`thetabif.continuation.engine.follow`) inside the box.

Ends. Where the fold of cycles meets the Hopf curve, at a Bautin (GH) point, the
cycles shrink to the equilibrium and AUTO's fold curve turns back along itself: the
direction is cut at the first turn (or LP/BP label) where an equilibrium is critical at
the orbit's period (:func:`thetabif.continuation.cycles.hopf_at`), with a ``hopf_end``
message. Where the cycles grow into a homoclinic orbit (the fold of cycles ends at a
neutral saddle of the homoclinic curve) AUTO stops converging (MX): the direction ends
there with AUTO's message and the last period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from thetabif.continuation.convert import inside
from thetabif.continuation.cycles import hopf_at
from thetabif.continuation.engine import ContinuationFailed, Runner, follow
from thetabif.continuation.options import PERIOD_PAR, check_bounds, check_free, widened
from thetabif.continuation.options import constants as auto_constants
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    SpecialPoint,
    StopReason,
)
from thetabif.errors import InputError
from thetabif.models import Model

#: AUTO's point type of a fold of periodic orbits in ``fort.8``.
LPC_TYPE = 5
#: AUTO stores the orbit (its profile) every this many points of the curve.
STORE_EVERY = 5


def _turns(rows: np.ndarray) -> list[int]:
    """Indices where the polyline ``rows`` (points x parameters) reverses its direction."""
    d = np.diff(rows, axis=0)
    dots = np.einsum("ij,ij->i", d[:-1], d[1:])
    return [int(i) + 1 for i in np.flatnonzero(dots < 0)]


def cycle_fold(run: Runner, model: Model, params: Mapping[str, float], point: SpecialPoint,
               free: Sequence[str], bounds: Mapping[str, Sequence[float]], *,
               ds: float = 0.01, dsmax: float = 0.1, nmx: int = 500, ntst: int = 80,
               max_points: int = 3000) -> ContinuationResult:
    """The fold of cycles through the LP ``point`` of a cycles run, in ``free``.

    Returns a result of kind ``cycle_fold``: one branch per direction (columns: the
    two free parameters, ``period``, ``stable`` (False), ``type``), cut at a GH end or
    at the box, the messages of each direction's end, and as ``orbits`` the orbits
    AUTO stored (every :data:`STORE_EVERY` points: the free parameters, ``period``,
    ``state`` (the orbit's point at t = 0), ``direction``).

    Raises
    ------
    InputError
        ``point`` is not an LP of a cycles run of this model (with restart data), its
        run's free parameter is not ``free[0]``, or the point lies outside ``bounds``.
    ContinuationFailed
        AUTO did not generate the fold's starting data.
    """
    free = check_free(model, free)
    if len(free) != 2:
        raise InputError(f"a fold of cycles is followed in two parameters, got {list(free)}")
    if point.type != "LP" or point.kind != "cycles" or point._restart is None:
        raise InputError(f"cycle_fold() starts from an LP point of a cycles() run of this "
                         f"session, got {point.type} {point.label!r} ({point.kind})")
    if point.model and point.model != model.name:
        raise InputError(f"{point.label} belongs to model {point.model!r}, not {model.name!r}")
    if tuple(point.free) != (free[0],):
        raise InputError(f"{point.label} is a fold in {point.free[0]!r}: the first free "
                         f"parameter must be that one, got {list(free)}")
    box = check_bounds(model, free, {n: tuple(bounds[n]) for n in free})
    if not inside(point.params, box):
        raise InputError(f"{point.label} lies outside the box: " + ", ".join(
            f"{n} = {point.params[n]:.10g}" for n in free))
    fort8, label, itp = point._restart
    if itp != LPC_TYPE:
        raise InputError(f"{point.label} is stored as AUTO point type {itp}, not as a fold of "
                         f"periodic orbits ({LPC_TYPE})")
    follow_box = widened(model, box, 0.01)
    c = auto_constants(model, IPS=2, ISW=2, IRS=label, ICP=[*free, PERIOD_PAR], NTST=ntst,
                       NPR=STORE_EVERY, EPSL=1e-7, EPSU=1e-7, EPSS=1e-5, DS=ds, DSMAX=dsmax,
                       NMX=nmx, THL={PERIOD_PAR: 0.0},
                       UZSTOP={n: list(v) for n, v in follow_box.items()})
    # stage 1: AUTO generates the extended system's starting data at the LP
    start = run(c, fort8, True)
    pts = start.branches[0].points if start.branches else ()
    if not pts or not pts[-1].label:
        raise ContinuationFailed(f"AUTO generated no starting data for the fold of cycles at "
                                 f"{point.label}: {start.message.strip()[:300]}")
    c = {**c, "IRS": pts[-1].label}
    branches, messages, orbits = [], [], []
    names = model.state_names
    for sign in (1, -1):
        try:
            direction = follow(run, {**c, "DS": sign * ds}, start.fort8, free, names,
                               max_points=max_points, allow_mx=True)
        except ContinuationFailed as exc:
            messages.append(StopReason.AUTO.note(f"fold of cycles ({sign:+d}): {exc}"))
            continue
        runs = [(k, pt) for k, res in enumerate(direction.results) if res.branches
                for i, pt in enumerate(res.branches[0].points)
                if not (k and i == 0) and pt.type != "MX"]
        rows = [pt for _, pt in runs]
        coords = np.array([[pt.parameters[n] for n in free] for pt in rows], dtype=float)
        period = np.array([float(pt.parameters.get("period", np.nan)) for pt in rows])
        end, at_hopf = len(rows), False
        cands = sorted(set(_turns(coords)) | {i for i, pt in enumerate(rows)
                                               if pt.type in ("LP", "BP") and i > 0})
        for i in cands:
            at = {**params, **{n: float(coords[i, k]) for k, n in enumerate(free)}}
            if period[i] > 0 and hopf_at(model, at, float(period[i])) is not None:
                end, at_hopf = i + 1, True
                messages.append(StopReason.HOPF_END.note(
                    f"the fold of cycles ({sign:+d}) ends on the Hopf curve (a Bautin point) "
                    f"near {', '.join(f'{n} = {at[n]:.6g}' for n in free)}, period "
                    f"{period[i]:.6g}, where its cycles shrink to the equilibrium"))
                break
        last = direction.results[-1]
        if not at_hopf and not last.ok:
            first = last.message.strip().splitlines()[0] if last.message.strip() else ""
            messages.append(StopReason.AUTO.note(
                f"fold of cycles ({sign:+d}): AUTO stopped converging at "
                + ", ".join(f"{n} = {coords[-1, k]:.6g}" for k, n in enumerate(free))
                + f" (period {period[-1]:.4g}; a period growing towards the end means the "
                f"cycles approach a homoclinic orbit): {first}"))
        if direction.stopped is not None:
            messages.append(direction.stopped)
        keep = np.array([inside({n: coords[i, k] for k, n in enumerate(free)}, box)
                         for i in range(end)], dtype=bool)
        data = {free[0]: coords[:end, 0][keep], free[1]: coords[:end, 1][keep],
                "period": period[:end][keep],
                # a fold of cycles joins a stable and an unstable cycle
                "stable": np.zeros(int(keep.sum()), dtype=bool),
                "type": np.array([rows[i].type for i in range(end)], dtype=str)[keep]}
        branches.append(Branch(kind="cycle_fold", free=free, data=data, direction=sign,
                               model=model.name))
        # the stored orbits up to the end, inside the box: a point of each (its first)
        labels = {(k, pt.label) for k, pt in runs[:end] if pt.label}
        orbits += [{free[0]: float(sol.parameters[free[0]]),
                    free[1]: float(sol.parameters[free[1]]), "period": float(sol.period),
                    "state": [float(v) for v in sol.u[0, :len(names)]], "direction": sign}
                   for k, res in enumerate(direction.results) for sol in res.solutions
                   if (k, sol.label) in labels and inside(
                       {n: float(sol.parameters[n]) for n in free}, box)]
    if not any(len(b) for b in branches):
        raise ContinuationFailed(f"the fold of cycles from {point.label} has no point inside "
                                 "the box: " + "; ".join(messages))
    return ContinuationResult(kind="cycle_fold", model=model.name, free=free,
                              params={**params, **point.params}, branches=tuple(branches),
                              special_points=(), messages=tuple(messages),
                              orbits=tuple(orbits))
