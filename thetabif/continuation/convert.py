"""AUTO's records made into thetabif's: branches, special points, stability, the box.

Owns the conversion of AUTO's runs to :class:`~thetabif.continuation.records.Branch`
and :class:`~thetabif.continuation.records.SpecialPoint` records (:func:`finish`):
special points polished by Newton on their defining systems, their stability in
words, branches cut to the box and to the unit disk, the points AUTO's test functions
stepped over added from a scan of each branch, and AUTO's ``Possible special point``
notes accounted for. Labels (``LP1``, ``HB2``) are given here (:func:`labelled`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from thetabif.branch_scan import along, scan_branch
from thetabif.continuation.engine import ContinuationFailed, Direction, point_restart
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    LocatedBy,
    Note,
    SpecialPoint,
    StopReason,
    bautin_kind,
)
from thetabif.models import ThetaModel
from thetabif.polish import KINDS, PolishError, polish, second_lyapunov_coefficient
from thetabif.records import model_options

#: Largest accepted |AUTO - polished| in any coordinate before a warning is issued.
#: AUTO locates special points by secant iteration on test functions to about EPSS
#: (1e-7) in arclength; codimension-two points are cruder (~1e-3).
POLISH_WARN = {"LP": 1e-5, "HB": 1e-5, "CP": 1e-2, "BT": 1e-2, "GH": 1e-2, "ZH": 1e-2}
CURVE_TYPES = ("CP", "BT", "GH", "ZH")
#: Largest residual of a defining system accepted from Newton polishing. Converged
#: points have 1e-16 to 1e-13 (the GH row, by differences of the analytic l1, ~1e-13).
POLISH_RESIDUAL = 1e-9


#: Distance from |z| = 1 (the states' domain edge) below which branch points are cut:
#: there r = (1 - |z|^2) / (pi tau |1 + z|^2) keeps fewer than half of its 16 digits
#: (reached e.g. for tau -> 0, or eta below ~-1e5).
_UNIT_CIRCLE = 1e-8
#: Relative slack (of a range's width) within which a point AUTO located on a side of
#: the box (a UZ point) counts as inside it; other points must lie inside.
_BOX_SLACK = 1e-7


def inside(values: Mapping[str, float], box: Mapping[str, Sequence[float]]) -> bool:
    """Whether every boxed parameter lies in its range, to :data:`_BOX_SLACK` of the
    range's width (AUTO places the UZ point that ends a run at a range's end to
    ~1e-9 relative)."""
    return all(lo - _BOX_SLACK * (hi - lo) <= values[k] <= hi + _BOX_SLACK * (hi - lo)
               for k, (lo, hi) in box.items())


def pieces_inside(branch: Branch, box: Mapping[str, Sequence[float]]
                   ) -> tuple[list[Branch], int, int]:
    """The stretches of a branch inside the box and inside the unit disk (|z| < 1, the
    states' domain), each a branch of its own; with the numbers of points left out
    outside the box and at |z| >= 1."""
    n = len(branch)
    keep = np.ones(n, dtype=bool)
    # a point AUTO located on a side of the box (UZ: a range's end, a curve crossing the
    # box) lies on it to AUTO's accuracy, within the slack, as does a branch's start
    # placed on a range's end (AUTO prints it rounded); any other point must lie inside
    # the box itself
    located = np.asarray(branch.data.get("type", [""] * n)) == "UZ"
    located[:1] = True
    for k, (lo, hi) in box.items():
        x = np.asarray(branch.data[k], dtype=float)
        slack = np.where(located, _BOX_SLACK * (hi - lo), 0.0)
        keep &= (x >= lo - slack) & (x <= hi + slack)
    # the run's ends beyond the box (where AUTO stops, or a curve's margin) are no news;
    # points cut between pieces inside are
    inner = np.flatnonzero(keep)
    n_box = int(np.sum(~keep[inner[0]:inner[-1] + 1])) if len(inner) else 0
    n_circle = 0
    if "abs_z" in branch.data and branch.kind != "cycles":
        circle = np.asarray(branch.data["abs_z"], dtype=float) >= 1.0 - _UNIT_CIRCLE
        n_circle = int(np.sum(circle))
        keep &= ~circle
    if keep.all():
        return [branch], 0, 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.view(np.int8), [0]])))
    pieces = [replace(branch, data={k: np.asarray(v)[a:b] for k, v in branch.data.items()})
              for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return pieces, n_box, n_circle


def same_point(a: SpecialPoint, b: SpecialPoint) -> bool:
    if a.type != b.type:
        return False
    keys = set(a.params) & set(b.params)
    return all(abs(a.params[k] - b.params[k]) < 1e-6 for k in keys) and all(
        abs(a.state[k] - b.state[k]) < 1e-6 for k in a.state)


def labelled(specials: Sequence[SpecialPoint], free: Sequence[str]
              ) -> tuple[SpecialPoint, ...]:
    """Labels by type in order of the first free parameter (LP1, LP2, HB1, ...)."""
    ordered = sorted(specials, key=lambda s_: (s_.type, s_.params[free[0]]))
    counts: dict[str, int] = {}
    out = []
    for s_ in ordered:
        counts[s_.type] = counts.get(s_.type, 0) + 1
        out.append(_relabel(s_, f"{s_.type}{counts[s_.type]}"))
    return tuple(sorted(out, key=lambda s_: s_.params[free[0]]))


def _relabel(p: SpecialPoint, label: str) -> SpecialPoint:
    return replace(p, label=label)


#: Eigenvalues on the imaginary axis at each type of equilibrium bifurcation point.
_CRITICAL_EIGENVALUES = {"LP": 1, "BP": 1, "CP": 1, "HB": 2, "GH": 2, "BT": 2, "ZH": 3}
#: The Floquet multiplier on the unit circle at each type of cycle bifurcation point.
_CRITICAL_MULTIPLIER = {"LP": "+1", "BP": "+1", "PD": "-1", "TR": "a complex pair"}


def _linear_stability(eig: np.ndarray, critical: int) -> str:
    """Stability in words from the eigenvalues; ``critical`` of them (those of least
    |Re|) are taken as on the imaginary axis, as at a bifurcation point of that type
    (a near-zero eigenvalue of an unpolished point is no evidence either way)."""
    order = np.argsort(np.abs(eig.real))
    crit, rest = eig[order[:critical]], eig[order[critical:]]
    n_up = int(np.sum(rest.real > 0))
    if not critical:
        return "stable" if n_up == 0 else f"unstable ({n_up} eigenvalue(s) with Re > 0)"
    scale = max(1.0, float(np.max(np.abs(eig))))
    zero = int(np.sum(np.abs(crit.imag) <= 1e-6 * scale))
    what = ([f"{zero} zero eigenvalue(s)"] if zero else []) + [
        f"a pair +-{abs(e.imag):.6g}i" for e in crit if e.imag > 1e-6 * scale]
    others = ("the others with Re < 0" if n_up == 0 else
              f"{n_up} other eigenvalue(s) with Re > 0")
    return f"critical: {' and '.join(what)} on the imaginary axis, {others}"


def cycle_stability(ptype: str, stable: bool) -> str:
    """Stability of a point on a cycle branch, in words (AUTO's flag off bifurcations)."""
    if ptype in _CRITICAL_MULTIPLIER:
        return f"critical: Floquet multiplier {_CRITICAL_MULTIPLIER[ptype]} on the unit circle"
    return "stable" if stable else "unstable"


def outputs(model: ThetaModel, state: np.ndarray, params: Mapping[str, float]
            ) -> tuple[float, float]:
    """Firing rate and |z| at an equilibrium."""
    num = model.numeric
    p = num.parameter_vector(params)
    return float(num.output("r", state, p)), float(num.output("abs_z", state, p))


def equilibrium_stability(model: ThetaModel, state: np.ndarray, params: Mapping[str, float],
                          ptype: str) -> str:
    """:attr:`SpecialPoint.stability` of an equilibrium-type point, from its Jacobian."""
    num = model.numeric
    jac = num.jacobian(np.asarray(state, dtype=float), num.parameter_vector(params))
    return _linear_stability(np.linalg.eigvals(jac), _CRITICAL_EIGENVALUES.get(ptype, 0))


def min_column(state: str) -> str:
    """Name of the branch column of a state's minimum over the orbit on cycle branches
    (the state's own column holds its maximum)."""
    return f"{state}_min"


def branch_records(model: ThetaModel, params: Mapping[str, float], piece: Any, kind: str,
                   free: tuple[str, ...], direction: int
                   ) -> tuple[list[Branch], list[tuple[Any, Any]]]:
    """Branches and special points of one direction.

    ``piece`` is a :class:`Direction` (or a single run): the branch a restarted
    run continues is extended in place (its first point repeats the last one).
    """
    pieces = piece if isinstance(piece, Direction) else Direction([piece])
    collected: list[dict[str, list]] = []
    points = []
    for k, result in enumerate(pieces.results):
        for j, b in enumerate(result.branches):
            joined = k > 0 and j == 0 and collected
            if joined:
                data = collected[-1]
                if data["type"] and data["type"][-1] == "EP":
                    data["type"][-1] = ""  # where a restart took over: not an end
                pts = b.points[1:]
            else:
                data = {n: [] for n in (*free, *model.state_names)}
                data.update(r=[], abs_z=[], stable=[], type=[])
                if kind == "cycles":
                    data["period"] = []
                    data.update({min_column(n): [] for n in model.state_names})
                collected.append(data)
                pts = b.points
            _append_points(model, data, pts, result, kind, free, points)
    if pieces.closed_at is not None and collected:
        for v in collected[0].values():
            del v[pieces.closed_at + 1:]
        # special points of later laps repeat those of the first
        points = [q for q in points
                  if q[2] != id(collected[0]) or q[3] <= pieces.closed_at]
    points = [(pt, result) for pt, result, *_ in points]
    branches = []
    for data in collected:
        npts = len(data["stable"])
        if kind == "cycles" or npts == 0:
            data["r"] = data["abs_z"] = [np.nan] * npts
        else:  # outputs of the whole branch at once (vectorized over points)
            num = model.numeric
            u, pv = along(model, params, data, free)
            data["r"] = num.output("r", u, pv)
            data["abs_z"] = num.output("abs_z", u, pv)
        branches.append(Branch(kind, free, {k: np.asarray(v) for k, v in data.items()},
                               direction))
    return branches, points


def _append_points(model: ThetaModel, data: dict[str, list], pts: Sequence[Any], result: Any,
                   kind: str, free: tuple[str, ...], points: list) -> None:
    for pt in pts:
        for k in free:
            data[k].append(pt.parameters[k])
        for n in model.state_names:  # every state is in fort.7 (engine.with_every_state)
            data[n].append(pt.state[n])
        if kind == "cycles":
            data["period"].append(pt.parameters.get("period", np.nan))
            for n in model.state_names:
                data[min_column(n)].append(pt.state_min[n])
        data["stable"].append(bool(pt.stable))
        data["type"].append(pt.type)
        keep = (pt.type in CURVE_TYPES if kind in ("fold", "hopf")
                else pt.is_special and pt.type not in ("EP", "UZ", "MX", "RG"))
        if keep:  # with where it stands (data, row) for closed curves
            points.append((pt, result, id(data), len(data["stable"]) - 1))


def special_point(model: ThetaModel, params: Mapping[str, float], pt: Any, result: Any,
                  kind: str, free: tuple[str, ...]) -> SpecialPoint:
    """The record of a point AUTO labelled, polished by Newton where polishing applies."""
    auto_params = {k: float(pt.parameters[k]) for k in free}
    params = {**params, **auto_params}
    state = np.array([pt.state.get(n, np.nan) for n in model.state_names])
    diff = l1 = l2 = period = None
    extra: dict[str, Any] = {}
    ptype = pt.type
    sol = None
    if pt.label:
        try:
            sol = result.solution(pt.label)
        except KeyError:
            sol = None
    if kind == "cycles":
        period = float(pt.parameters.get("period", np.nan))
        if sol is not None:
            prof = np.asarray(sol.u)[:, : len(model.state_names)].T
            num = model.numeric
            p = num.parameter_vector(params)
            r_prof = num.output("r", prof, p)
            az_prof = num.output("abs_z", prof, p)
            extra.update(r_min=float(r_prof.min()), r_max=float(r_prof.max()),
                         abs_z_min=float(az_prof.min()), abs_z_max=float(az_prof.max()))
            state = prof[:, 0]
        if pt.multipliers is not None:
            extra["multipliers"] = [[float(m.real), float(m.imag)] for m in pt.multipliers]
        if ptype == "TR" and sol is not None:  # AUTO keeps the angle in PAR(12)
            extra["torus_angle"] = float(sol.par[11])
        r, az = extra.get("r_max", np.nan), extra.get("abs_z_max", np.nan)
    else:
        if sol is not None:
            state = np.asarray(sol.u)[0, : len(model.state_names)]
        polish_free: tuple[str, ...] | None = None
        if ptype in ("LP", "HB") and kind == "equilibria":
            polish_free = free[:1]
        elif ptype in KINDS and KINDS[ptype] == 2 and len(free) == 2:
            polish_free = free
        if polish_free is not None:
            try:
                pp = polish(model, ptype, polish_free, state, params)
            except (PolishError, ValueError) as exc:  # ValueError: Newton left the
                # parameters' domain (e.g. tau_s < 0)
                warnings.warn(f"{ptype} at {auto_params}: Newton polishing failed ({exc}); "
                              "AUTO's location stands where the branch confirms the point",
                              RuntimeWarning, stacklevel=3)
                extra["unpolished"] = f"Newton polishing failed ({exc})"
                pp = None
            if pp is not None and not pp.residual <= POLISH_RESIDUAL:
                # Newton's step became small without the defining system being solved
                warnings.warn(f"{ptype} at {auto_params}: Newton stopped with residual "
                              f"{pp.residual:.3g} > {POLISH_RESIDUAL:g}; AUTO's location "
                              "stands where the branch confirms the point", RuntimeWarning,
                              stacklevel=3)
                extra["unpolished"] = f"Newton stopped with residual {pp.residual:.3g}"
                pp = None
            if pp is not None:
                diff = float(max(np.max(np.abs(pp.state - state)),
                                 max(abs(pp.params[k] - params[k]) for k in free)))
                if diff > POLISH_WARN.get(ptype, 1e-5):
                    warnings.warn(f"{ptype}: AUTO's location differs from the Newton-"
                                  f"polished one by {diff:.3g}", RuntimeWarning,
                                  stacklevel=3)
                state, params, l1, l2 = pp.state, pp.params, pp.l1, pp.l2
                if ptype == "HB":
                    extra["frequency"] = pp.frequency
        if ptype == "GH" and l2 is None:
            try:  # polishing failed or was not asked for: l2 at AUTO's location
                l2 = second_lyapunov_coefficient(model, state, params)
            except (ValueError, np.linalg.LinAlgError):
                l2 = None
        if ptype == "GH" and l2 is not None:
            extra["bautin"] = bautin_kind(l2)
        if pt.eigenvalues is not None:
            extra["eigenvalues"] = [[float(e.real), float(e.imag)] for e in pt.eigenvalues]
        r, az = outputs(model, state, params)
    stability = (cycle_stability(ptype, bool(pt.stable)) if kind == "cycles"
                 else equilibrium_stability(model, state, params, ptype))
    return SpecialPoint(
        type=ptype, label="", params=dict(params),
        state=dict(zip(model.state_names, map(float, state), strict=True)),
        r=float(r), abs_z=float(az), stable=stability == "stable", kind=kind, free=free,
        auto_params=auto_params, polish_difference=diff, l1=l1, period=period,
        extra=extra, l2=l2, stability=stability,
        _restart=(result.fort8, pt.label, pt.type_number),
    )


def branch_confirms(model: ThetaModel, params: Mapping[str, float], point: SpecialPoint,
                    branches: Sequence[Branch]) -> bool:
    """Whether the branch through an unpolished LP/HB of AUTO's shows it: the free
    parameter turns there (LP), or the number of eigenvalues with positive real part
    differs on its two sides (LP: by one, HB: by two)."""
    (free,) = point.free
    names = model.state_names
    at = np.array([point.auto_params[free], *(point.state[n] for n in names)])
    best: tuple[float, Branch, int] | None = None
    for b in branches:
        cols = np.array([b.data[free], *(b.data[n] for n in names)], dtype=float)
        if cols.shape[1] < 3:
            continue
        k = int(np.argmin(np.max(np.abs(cols - at[:, None]), axis=0)))
        d = float(np.max(np.abs(cols[:, k] - at)))
        if best is None or d < best[0]:
            best = (d, b, k)
    if best is None:
        return False
    _, b, k = best
    k = min(max(k, 1), len(b) - 2)
    x = np.asarray(b.data[free], dtype=float)
    if point.type == "LP" and (x[k] - x[k - 1]) * (x[k + 1] - x[k]) < 0:
        return True
    u, pv = along(model, params, {n: np.asarray(b.data[n])[[k - 1, k + 1]]
                                  for n in (*names, free)}, (free,))
    eig = np.linalg.eigvals(model.numeric.jacobians(u, pv))
    unstable = np.sum(eig.real > 0, axis=1)
    return int(abs(unstable[1] - unstable[0])) == (1 if point.type == "LP" else 2)


def finish(model: ThetaModel, params: Mapping[str, float], kind: str, free: tuple[str, ...],
           runs: Sequence[tuple[Any, int]], *, box: Mapping[str, Sequence[float]] | None = None,
           notes: Sequence[Note] = ()) -> ContinuationResult:
    """Records of the runs: branches cut to ``box`` (and to |z| < 1), special points
    inside it only, polished."""
    branches: list[Branch] = []
    specials: list[SpecialPoint] = []
    messages: list[Note] = list(notes)
    box = box or {}
    progress = False
    for run, direction in runs:
        pieces = run if isinstance(run, Direction) else Direction([run])
        bs, pts = branch_records(model, params, pieces, kind, free, direction)
        progress = progress or any(len(b) > 1 for b in bs)
        outside = at_circle = 0
        for b in bs:
            kept, n_box, n_circle = pieces_inside(b, box)
            branches += kept
            outside += n_box
            at_circle += n_circle
        if outside:
            messages.append(StopReason.OUTSIDE.note(
                f"the {kind} run ({direction:+d}) leaves the range and comes back; "
                f"{outside} point(s) outside it left out"))
        if at_circle:
            messages.append(StopReason.UNIT_CIRCLE.note(
                f"the {kind} run ({direction:+d}) reaches |z| = 1, the edge of the states' "
                f"domain; {at_circle} point(s) there left out"))
        pts = [(pt, res) for pt, res in pts if inside(pt.parameters, box)]
        messages += [StopReason.AUTO.note(r.message) for r in pieces.results if r.message]
        if pieces.closed_at is not None:
            messages.append(StopReason.CLOSED.note(
                f"the {kind} curve returns to its start after {pieces.closed_at} points"))
        if pieces.stopped:
            messages.append(pieces.stopped)
            warnings.warn(f"{kind} ({direction:+d}): {pieces.stopped}", RuntimeWarning,
                          stacklevel=3)
        for pt, res in pts:
            sp = special_point(model, params, pt, res, kind, free)
            if (kind == "equilibria" and "unpolished" in sp.extra
                    and not branch_confirms(model, params, sp, branches)):
                messages.append(StopReason.POINT_LEFT_OUT.note(
                    f"{sp.type} labelled by AUTO at {free[0]} = {sp.params[free[0]]:.8g} not "
                    f"reported: {sp.extra['unpolished']}, and the branch shows no "
                    + ("turn" if sp.type == "LP" else "change of stability") + " there"))
                continue
            if inside(sp.params, box) and not any(same_point(sp, o) for o in specials):
                specials.append(sp)
    if not progress:
        raise ContinuationFailed(f"the {kind} branch never left its start point")
    if kind != "cycles":
        results = [r for run, _ in runs
                   for r in (run.results if isinstance(run, Direction) else [run])]
        specials, messages = with_scanned_points(model, params, kind, free, branches,
                                                 results, specials, messages, box)
    res = ContinuationResult(kind, model.name, free, dict(params), tuple(branches),
                             labelled(specials, free), tuple(messages),
                             model_options=model_options(model))
    if kind in ("equilibria", "fold"):  # Hopf curves: after the Bautin scan
        res = account_for_notes(res, results, box)
    return res


def with_scanned_points(model: ThetaModel, params: Mapping[str, float], kind: str,
                        free: tuple[str, ...], branches: Sequence[Branch],
                        results: Sequence[Any], specials: list[SpecialPoint],
                        messages: list[Note], box: Mapping[str, Sequence[float]]
                        ) -> tuple[list[SpecialPoint], list[Note]]:
    """Add the special points AUTO's test functions stepped over.

    Each branch is scanned (:func:`thetabif.branch_scan.scan_branch`); a point found
    there becomes a :class:`SpecialPoint` with ``extra["detected_by"]``, unless it
    coincides with one AUTO labelled or lies outside ``box``. Where AUTO printed
    ``Possible special point`` in its bracket, that estimate is kept as
    ``auto_params`` (with the distance to the polished point) and, once every such
    note is accounted for, AUTO's raw note is replaced by a message per point.
    """
    names = model.state_names
    notes = possible_points(results)
    locs = [np.array([pt.parameters[k] for k in free] + [pt.state[n] for n in names])
            for pt in notes]
    added: list[SpecialPoint] = []
    for b in branches:
        cols = np.array([b.data[k] for k in (*free, *names)], dtype=float)
        for sc in scan_branch(model, params, kind, free, b.data, locs):
            i, j = sc.bracket
            at = np.concatenate([[sc.params[k] for k in free], sc.state])
            k = min(range(i, j + 1), key=lambda m: float(np.max(np.abs(cols[:, m] - at))))
            extra: dict[str, Any] = {
                "detected_by": LocatedBy.parse(sc.detected_by), "residual": sc.residual,
                "bracket": {f: [float(cols[m, i]), float(cols[m, j])]
                            for m, f in enumerate(free)},
                "eigenvalues": [[float(e.real), float(e.imag)] for e in sc.eigenvalues]}
            if sc.frequency is not None:
                extra["frequency"] = sc.frequency
            auto_params = {f: float(cols[m, k]) for m, f in enumerate(free)}
            diff = None
            if sc.note is not None:
                auto_params = {f: float(locs[sc.note][m]) for m, f in enumerate(free)}
                diff = float(np.max(np.abs(locs[sc.note] - at)))
                extra["auto_note"] = "AUTO: 'Possible special point' (not located)"
            if not inside(sc.params, box):
                continue
            r, az = outputs(model, sc.state, sc.params)
            stability = equilibrium_stability(model, sc.state, sc.params, sc.type)
            restart = (point_restart(model, sc.type, sc.state, sc.params, free[0],
                                     sc.frequency)
                       if kind == "equilibria" and sc.type in ("LP", "HB") else None)
            sp_ = SpecialPoint(
                type=sc.type, label="", params=dict(sc.params),
                state=dict(zip(names, map(float, sc.state), strict=True)), r=r,
                abs_z=az, stable=stability == "stable", kind=kind, free=free,
                auto_params=auto_params, polish_difference=diff, l1=sc.l1, extra=extra,
                stability=stability, _restart=restart)
            if not any(same_point(sp_, o) for o in [*specials, *added]):
                added.append(sp_)
    if not added:
        return specials, messages
    messages = [*messages, *(StopReason.POINT_ADDED.note(
        f"{p.type} at " + ", ".join(f"{k} = {p.params[k]:.10g}" for k in free)
        + f": not labelled by AUTO; detected by {p.extra['detected_by']}, polished by "
        "Newton" + ("; AUTO's 'Possible special point' there" if "auto_note" in p.extra
                    else "")) for p in added)]
    return [*specials, *added], messages


def account_for_notes(res: ContinuationResult, results: Sequence[Any],
                      box: Mapping[str, Sequence[float]]) -> ContinuationResult:
    """AUTO's ``Possible special point`` notes replaced by what became of each.

    A note inside the box names the special point reported near it (within 5 % of the
    note's coordinates, or 0.05: AUTO's estimates of points it did not locate were seen
    up to 0.01 off), or says that the scan of the branch (turning points, eigenvalues
    crossing the imaginary axis, l1 on Hopf curves) finds no bifurcation there. Notes
    outside the box are dropped with the rest of what lies there.
    """
    notes = possible_points(results)
    if not notes:
        return res
    free = res.free
    messages = [m for m in (m.replaced(_without_note_lines(m)) for m in res.messages) if m]
    for pt in notes:
        at = {k: float(pt.parameters[k]) for k in free}
        if not inside(at, box):
            continue
        where = ", ".join(f"{k} = {v:.8g}" for k, v in at.items())
        near = [p for p in res.special_points if all(
            abs(p.params[k] - v) <= 0.05 * max(1.0, abs(v)) for k, v in at.items())]
        if near:
            p = min(near, key=lambda q: max(abs(q.params[k] - v) for k, v in at.items()))
            messages.append(StopReason.AUTO_NOTE.note(
                f"AUTO flagged a possible special point at {where}: {p.label} ({p.type}, "
                "polished by Newton)"))
        else:
            messages.append(StopReason.AUTO_NOTE.note(
                f"AUTO flagged a possible special point at {where}; the scan of the branch "
                "(turning points, eigenvalues crossing the imaginary axis) finds no "
                "bifurcation there"))
    return replace(res, messages=tuple(messages))


def _without_note_lines(message: str) -> str:
    """An AUTO message without its ``NOTE:Possible special point`` lines."""
    return "\n".join(line for line in message.splitlines()
                     if not re.search(r"NOTE:\s*Possible special point", line)).strip()


def possible_points(results: Sequence[Any]) -> list[Any]:
    """AUTO's points flagged ``NOTE:Possible special point`` in ``fort.9``.

    A test function changed sign there, but AUTO's secant iteration did not locate the
    point: the flagged point is its estimate, recorded next to the polished point.
    """
    notes = []
    for result in results:
        if "Possible special point" not in result.fort9:
            continue  # the common case, found without a regex over the whole file
        flagged = {(int(m.group(1)), int(m.group(2))) for m in re.finditer(
            r"^\s*(\d+)\s+(\d+)\s+NOTE:Possible special point", result.fort9, re.M)}
        notes += [pt for b in result.branches for pt in b.points
                  if (abs(pt.branch), abs(pt.index)) in flagged]
    return notes
