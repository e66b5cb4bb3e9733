"""Limit cycles after AUTO: the homoclinic end, missed PD/TR points, the stored orbits.

Owns what is done to a branch of periodic orbits once AUTO has followed it
(:func:`finish_cycles`): the branch ended where it approaches a homoclinic orbit,
period doublings and torus bifurcations AUTO's test function stepped over found from
the Floquet multipliers and located by a rerun with smaller steps (or by
interpolation), and the orbits AUTO stored, with their r and |z| ranges.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from thetabif.auto import RunStatus
from thetabif.continuation.convert import (
    cycle_stability,
    finish,
    inside,
    labelled,
    special_point,
)
from thetabif.continuation.engine import ContinuationFailed, Direction, Runner
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    LocatedBy,
    Note,
    SpecialPoint,
    StopReason,
)
from thetabif.equilibrium import find_equilibria
from thetabif.models import Model, ThetaModel


def finish_cycles(run: Runner, model: ThetaModel, params: Mapping[str, float],
                  direction: Direction, constants: Mapping[str, Any], free: str,
                  omega: float | None, max_period: float,
                  box: Mapping[str, Sequence[float]]) -> ContinuationResult:
    """The result of a cycles continuation from the runs of its one direction.

    ``constants``: those of the first run (a rerun across a missed crossing starts
    from them); ``omega``: the Hopf frequency; ``run``: one AUTO run, for reruns.
    A branch that runs into another Hopf point ends there (:func:`end_at_hopf`).
    """
    direction, hopf_end = end_at_hopf(model, params, direction, free)
    result = direction.results[-1]
    res = finish(model, params, "cycles", (free,), [(direction, 1)], box=box)
    period = np.concatenate([b.data["period"] for b in res.branches])
    msgs = list(res.messages) + ([hopf_end] if hopf_end else [])
    p0 = 2 * np.pi / omega if omega else float(period[0])
    t_hom = max(5 * p0, 0.2 * max_period)
    growing = len(period) > 3 and np.nanmax(period) > t_hom
    specials = res.special_points
    branches = res.branches
    homoclinic = None
    if growing:
        # Close to a homoclinic orbit the branch creeps along one parameter value
        # while the period grows without bound, and AUTO's fold/PD/TR/BP test
        # functions (Floquet multipliers, meaningless at periods ~1e8) change sign
        # at random: the branch ends at the approach, and nothing past it is labelled.
        branches, homoclinic = end_at_homoclinic_approach(branches, free, t_hom)
        # AUTO's own MX (no convergence) there is the approach itself
        msgs = _without_auto_mx(msgs)
        msgs.append(StopReason.HOMOCLINIC_APPROACH.note(
            f"the period grows from {p0:.4g} to {np.nanmax(period):.4g} while {free} tends "
            f"to {homoclinic[free]:.10g} (estimate of the homoclinic point), where it "
            f"arrives at period {homoclinic['approach_period']:.4g}; the branch ends at "
            f"period {t_hom:.4g}"))
    elif not result.ok:
        last = _last_point(direction)
        if last is None or inside({free: float(last.parameters[free])}, box):
            raise ContinuationFailed(result.status, result.message, result)
        # AUTO's stop lies 1 % of the range beyond its end: where the branch meets its
        # homoclinic end (or any trouble) out there, AUTO stops (MX) after the branch has
        # crossed the range's end; inside the range the branch is complete
        msgs = _without_auto_mx(msgs)
        msgs.append(StopReason.OUTSIDE.note(
            f"beyond the range the branch goes on to {free} = "
            f"{float(last.parameters[free]):.8g} (period "
            f"{float(last.parameters.get('period', np.nan)):.4g}), where AUTO stopped "
            f"converging (MX); inside the range it is complete"))
    specials, found = refine_crossings(run, model, params, direction, constants, free, p0,
                                       specials)
    msgs += found
    if homoclinic is not None:
        # past the cut the branch is not kept, so neither is what AUTO labelled there;
        # at the limit itself labels go from the approach on (where the parameter
        # stands still: a circuit's orbits may not stand still within 1e-6, but their
        # labels lie past the cut)
        past = [p for p in specials if on_homoclinic_approach(
            p.params[free], p.period, free, homoclinic, "approach_period")
            or (p.period is not None and p.period > homoclinic["cut_period"])]
        if past:
            msgs.append(StopReason.POINT_LEFT_OUT.note(
                f"{len(past)} point(s) AUTO labelled on the approach to the homoclinic orbit "
                "(test functions meaningless there) left out: "
                + ", ".join(f"{p.type} at {free} = {p.params[free]:.8g}" for p in past)))
            specials = labelled([p for p in specials if p not in past], (free,))
    num = model.numeric
    nstate = len(model.state_names)
    orbits = []
    joins = {(k, piece.solutions[-1].label)
             for k, piece in enumerate(direction.results[:-1]) if piece.solutions}
    for k, sol, stable in ((k, sol, {p.label: p.stable for b in piece.branches
                                     for p in b.points if p.label})
                           for k, piece in enumerate(direction.results)
                           for sol in piece.solutions):
        at = {**params, free: float(sol.parameters[free])}
        prof = np.asarray(sol.u)[:, :nstate].T
        p = num.parameter_vector(at)
        r_prof, az_prof = num.output("r", prof, p), num.output("abs_z", prof, p)
        if not inside({free: at[free]}, box):
            continue  # AUTO's stop lies a little beyond the range
        if homoclinic is not None and on_homoclinic_approach(
                float(sol.parameters[free]), sol.period, free, homoclinic, "cut_period"):
            continue
        orbits.append({free: at[free], "period": float(sol.period or np.nan),
                       "r_min": float(r_prof.min()), "r_max": float(r_prof.max()),
                       "abs_z_min": float(az_prof.min()),
                       "abs_z_max": float(az_prof.max()),
                       "stable": bool(stable.get(sol.label, False)),
                       "type": "" if (k, sol.label) in joins and sol.type == "EP"
                       else sol.type})
    return replace(res, branches=branches, special_points=specials, messages=tuple(msgs),
                   orbits=tuple(orbits), homoclinic=homoclinic,
                   _fort8=tuple(piece.fort8 for piece in direction.results if piece.fort8))


def _without_auto_mx(msgs: Sequence[Note]) -> list[Note]:
    """The messages without AUTO's own "MX at ..." (explained by a note of thetabif's)."""
    return [m for m in msgs if not (m.reason is StopReason.AUTO and m.startswith("MX at"))]


def _last_point(direction: Direction) -> Any:
    """The last point AUTO computed in a direction's runs (None if there is none)."""
    for piece in reversed(direction.results):
        for b in reversed(piece.branches):
            if b.points:
                return b.points[-1]
    return None


# ------------------------------------------------------ a branch from Hopf to Hopf
#: A turn of the cycle branch in its parameter is taken for a Hopf point when an
#: equilibrium there has a complex pair with |Re| / |Im| below this and a period
#: 2 pi / |Im| within this fraction of the orbit's. Between two Hopf points the
#: branch runs into the second one, where the orbits shrink to the equilibrium, and
#: AUTO (its steps much longer than the few 1e-3 in the parameter over which the
#: amplitude vanishes, as sqrt) steps through zero amplitude and back along the same
#: orbits, lap after lap. At a fold of cycles the equilibrium is not critical.
_HOPF_END_TOL = 0.02
#: Largest relative difference of the periods at one parameter value on the two sides
#: of a turn of the branch that is taken for the branch running back over itself.
_RETRACE_TOL = 1e-3


def _rows(direction: Direction, free: str) -> list[tuple[int, int, float, float]]:
    """(run, point, parameter, period) along the first branch of the joined runs."""
    return [(k, i, float(pt.parameters[free]), float(pt.parameters.get("period", np.nan)))
            for k, res in enumerate(direction.results) if res.branches
            for i, pt in enumerate(res.branches[0].points) if not (k and i == 0)]


def _retraces(rows: Sequence[tuple[int, int, float, float]], j: int, begin: int) -> bool:
    """Whether the branch after its turn at ``rows[j]`` runs back over its own orbits:
    the period of the next points equals (to :data:`_RETRACE_TOL`) the period of the
    stretch ``rows[begin..j]`` interpolated at their parameter. At a fold of cycles the
    two sides have different periods (they differ as the square root of the distance
    to the fold); linear interpolation between AUTO's steps is good to ~1e-4 there."""
    pre = sorted(rows[begin:j + 1], key=lambda r: r[2])
    x, y = [r[2] for r in pre], [r[3] for r in pre]
    after = [r for r in rows[j + 1:j + 3] if x[0] <= r[2] <= x[-1]]
    return bool(after) and all(
        abs(np.interp(r[2], x, y) - r[3]) < _RETRACE_TOL * r[3] for r in after)


def hopf_at(model: Model, params: Mapping[str, float], period: float) -> float | None:
    """Frequency of a critical complex pair of an equilibrium at ``params`` whose period
    is ``period`` (both within :data:`_HOPF_END_TOL`), else None."""
    for eq in find_equilibria(model, params):
        for lam in eq.eigenvalues:
            w = abs(lam.imag)
            if (w > 0 and abs(lam.real) < _HOPF_END_TOL * w
                    and abs(2 * math.pi / w - period) < _HOPF_END_TOL * period):
                return w
    return None


def end_at_hopf(model: Model, params: Mapping[str, float], direction: Direction,
                free: str) -> tuple[Direction, Note | None]:
    """The direction cut at its first turn that is a Hopf point, with a ``hopf_end``
    message; unchanged (and None) when it has none. A turn is a Hopf point when the
    branch runs back over its own orbits after it (:func:`_retraces`) and an equilibrium
    there is critical at the orbit's period (:func:`hopf_at`). A branch on which AUTO
    stops (MX) at such a point instead of turning ends there alike.

    The cut point becomes the branch's regular end (an ``EP``): AUTO's label there
    (``LP`` or ``BP``: two Floquet multipliers at 1, as at every Hopf point) is not a
    bifurcation of the cycles, and AUTO's failure to converge later on is no error.
    """
    rows = _rows(direction, free)
    begin = 0
    # not at the first few points: the branch starts at a Hopf point itself
    for j in range(3, len(rows) - 1):
        if (rows[j][2] - rows[j - 1][2]) * (rows[j + 1][2] - rows[j][2]) >= 0:
            continue
        turn_begin, begin = begin, j
        if not _retraces(rows, j, turn_begin):
            continue
        k, i = rows[j][:2]
        cut = _cut_at_hopf(model, params, direction, free, k, i)
        if cut is not None:
            return cut
    # AUTO may also stop (MX) on reaching the Hopf point instead of turning there
    last = direction.results[-1]
    if not last.ok and last.branches and len(last.branches[0].points) > 1:
        pts = last.branches[0].points
        i = len(pts) - 2 if pts[-1].type == "MX" else len(pts) - 1
        cut = _cut_at_hopf(model, params, direction, free, len(direction.results) - 1, i)
        if cut is not None:
            return cut
    return direction, None


def _cut_at_hopf(model: Model, params: Mapping[str, float], direction: Direction,
                 free: str, k: int, i: int) -> tuple[Direction, Note] | None:
    """The direction cut at point ``i`` of run ``k`` if that point is at a Hopf point
    (:func:`hopf_at`), with its ``hopf_end`` message; else None."""
    pt = direction.results[k].branches[0].points[i]
    at = {**params, free: float(pt.parameters[free])}
    period = float(pt.parameters.get("period", np.nan))
    if not (period > 0) or hopf_at(model, at, period) is None:
        return None
    res = direction.results[k]
    points = (*res.branches[0].points[:i], replace(pt, type="EP"))
    kept = {q.label for q in points if q.label}
    cut = replace(res, branches=(replace(res.branches[0], points=points),),
                  solutions=tuple(replace(x, type="EP") if x.label == pt.label else x
                                  for x in res.solutions if x.label in kept),
                  status=RunStatus.SUCCESS, message="")
    note = StopReason.HOPF_END.note(
        f"the branch ends at the Hopf point near {free} = {at[free]:.6g} (period "
        f"{period:.6g}), where its orbits shrink to the equilibrium")
    return Direction([*direction.results[:k], cut]), note


# ------------------------------------------------------ missed cycle bifurcations
#: Largest |Im mu| / max(1, |mu|) of a Floquet multiplier counted as real.
_REAL_MULTIPLIER = 1e-10
#: Largest |mu - 1| of the trivial multiplier at both ends of a crossing taken as real
#: (AUTO itself suspends its PD/TR detection above 5e-2).
_TRIVIAL_MULTIPLIER = 1e-2
#: A missed crossing is re-run with DSMAX = (AUTO's step across it) / _REFINE_STEPS,
#: at most _REFINE_MAX_STEPS steps from the last stored orbit before it.
_REFINE_STEPS = 20
_REFINE_MAX_STEPS = 2000


def _floquet_tests(mu: Any) -> tuple[float, float, float]:
    """Flip test, torus test and |trivial - 1| from one orbit's Floquet multipliers.

    The trivial multiplier is the one nearest +1 and is left out. Flip test:
    max |mu| - 1 over the real negative multipliers; torus test: max |mu| - 1 over
    the complex ones; nan where there are none. Unlike AUTO 0.9.2's PD/TR test
    function (``FNSPBV``: |mu| - 1 of the multiplier nearest the unit circle, and 0 for
    a real one above -0.5), neither is switched off far from the circle, so a
    multiplier that passes -1 within one step still changes the sign of the flip test.
    """
    if mu is None or len(mu) < 2:
        return math.nan, math.nan, math.inf
    mu = np.asarray(mu, dtype=complex)
    k = int(np.argmin(np.abs(mu - 1)))
    rest = np.delete(mu, k)
    real = np.abs(rest.imag) <= _REAL_MULTIPLIER * np.maximum(1.0, np.abs(rest))
    neg, cpx = rest[real & (rest.real < 0)], rest[~real]
    f_pd = float(np.max(np.abs(neg))) - 1.0 if len(neg) else math.nan
    f_tr = float(np.max(np.abs(cpx))) - 1.0 if len(cpx) else math.nan
    return f_pd, f_tr, float(abs(mu[k] - 1))


def _crossing_brackets(tests: Sequence[tuple[float, float, float]], types: Sequence[str],
                       periods: Sequence[float], max_period: float
                       ) -> list[tuple[int, str]]:
    """``(i, "PD" | "TR")``: the flip or torus test changes sign from point i to i + 1.

    Left out: pairs with a PD or TR of AUTO's at either end (AUTO located it), pairs
    not both below ``max_period`` (close to a homoclinic orbit the multipliers are
    unreliable) and pairs where the trivial multiplier is off by more than
    :data:`_TRIVIAL_MULTIPLIER` at either end.
    """
    out = []
    for i in range(len(tests) - 1):
        (pa, ta, ea), (pb, tb, eb) = tests[i], tests[i + 1]
        if ({types[i], types[i + 1]} & {"PD", "TR"}
                or not (periods[i] < max_period and periods[i + 1] < max_period)
                or not max(ea, eb) <= _TRIVIAL_MULTIPLIER):
            continue
        for kind, fa, fb in (("PD", pa, pb), ("TR", ta, tb)):
            if math.isfinite(fa) and math.isfinite(fb) and (fa < 0) != (fb < 0):
                out.append((i, kind))
    return out


def _cycle_segments(results: Sequence[Any]) -> list[list[tuple[Any, Any, float | None]]]:
    """The branches of a chained cycles direction: ``(point, run, step)`` in order.

    A restarted run continues the previous branch (its first point, the restart
    point, is left out). ``step``: the arclength step AUTO took to reach the point
    (``Next Step`` of the point before in ``fort.9``), None where not printed.
    """
    segments: list[list[tuple[Any, Any, float | None]]] = []
    for k, result in enumerate(results):
        steps = {(int(m.group(1)), int(m.group(2))): float(m.group(3)) for m in re.finditer(
            r"^\s*(\d+)\s+(\d+)\s+Next Step\s*:\s*(\S+)", result.fort9, re.M)}
        for j, b in enumerate(result.branches):
            joined = k > 0 and j == 0 and segments
            seg = segments[-1] if joined else []
            if not joined:
                segments.append(seg)
            for pt in b.points[1:] if joined else b.points:
                seg.append((pt, result, steps.get((abs(pt.branch), abs(pt.index) - 1))))
    return segments


def _cycle_coords(pt: Any, free: str) -> np.ndarray:
    return np.array([pt.parameters[free], pt.parameters.get("period", 0.0),
                     *pt.state.values()], dtype=float)


def refine_crossings(run: Runner, model: ThetaModel, params: Mapping[str, float],
                     direction: Direction, constants: Mapping[str, Any], free: str,
                     t_hopf: float, specials: Sequence[SpecialPoint]
                     ) -> tuple[tuple[SpecialPoint, ...], list[Note]]:
    """PD/TR points where a Floquet multiplier left the unit circle unlabelled by AUTO.

    Each missed crossing (:func:`_crossing_brackets`, periods below 5 ``t_hopf``) is
    re-run by AUTO from the last stored orbit before it, in the same direction, with
    a DSMAX of 1/20 of the step across it, up to just past it; the PD/TR AUTO labels
    in that bracket is reported as usual. Where it labels none, the crossing is placed
    by linear interpolation of the test function between the rerun's points
    (``extra["located_by"]``); where the rerun shows no crossing, none is reported.
    Returns the special points, relabelled when any were added, and messages.
    """
    added: list[SpecialPoint] = []
    msgs: list[Note] = []
    for seg in _cycle_segments(direction.results):
        tests = [_floquet_tests(pt.multipliers) for pt, _, _ in seg]
        periods = [float(pt.parameters.get("period", math.nan)) for pt, _, _ in seg]
        brackets: dict[int, list[str]] = {}
        for i, kind in _crossing_brackets(tests, [pt.type for pt, _, _ in seg], periods,
                                          5 * t_hopf):
            brackets.setdefault(i, []).append(kind)
        for i, kinds in brackets.items():
            pts, m = _refine_bracket(run, model, params, seg, i, kinds, tests, constants, free)
            msgs += m
            for sp_ in pts:
                if not any(o.type == sp_.type and abs(o.params[free] - sp_.params[free]) < 1e-6
                           and abs((o.period or 0.0) - (sp_.period or 0.0)) < 1e-6
                           for o in [*specials, *added]):
                    added.append(sp_)
    if not added:
        return tuple(specials), msgs
    return labelled([*specials, *added], (free,)), msgs


def _refine_bracket(run: Runner, model: ThetaModel, params: Mapping[str, float],
                    seg: Sequence[tuple[Any, Any, float | None]], i: int,
                    kinds: Sequence[str], tests: Sequence[tuple[float, float, float]],
                    constants: Mapping[str, Any], free: str
                    ) -> tuple[list[SpecialPoint], list[Note]]:
    """The PD/TR points of one missed crossing between ``seg[i]`` and ``seg[i + 1]``."""
    pa, pb = seg[i][0], seg[i + 1][0]
    xa, xb = float(pa.parameters[free]), float(pb.parameters[free])
    ta, tb = float(pa.parameters["period"]), float(pb.parameters["period"])
    where = f"between {free} = {xa:.8g} and {xb:.8g} (period {ta:.6g} to {tb:.6g})"
    bracket_info = {"detected_by": LocatedBy.MULTIPLIER_CROSSING.text(), "bracket": [xa, xb],
                    "period_bracket": [ta, tb]}

    def inside(pt: Any) -> bool:
        x, t = float(pt.parameters[free]), float(pt.parameters["period"])
        sx, st = 0.05 * abs(xb - xa) + 1e-9, 0.05 * abs(tb - ta) + 1e-9
        return (min(xa, xb) - sx <= x <= max(xa, xb) + sx
                and min(ta, tb) - st <= t <= max(ta, tb) + st)

    dsmax = float(constants["DSMAX"])
    j = next((k for k in range(i, -1, -1) if seg[k][0].label
              and any(s_.label == seg[k][0].label for s_ in seg[k][1].solutions)), None)
    rerun, dsr, failure = None, math.nan, "no stored orbit before it to restart from"
    if j is not None:
        h = seg[i + 1][2] or dsmax
        runup = sum(seg[k][2] or dsmax for k in range(j + 1, i + 2))
        dsr = max(h / _REFINE_STEPS, 1.5 * runup / _REFINE_MAX_STEPS)
        nmx = min(_REFINE_MAX_STEPS, math.ceil(1.5 * runup / dsr) + 10)
        stops = list(constants["UZSTOP"].get(free, [])) if "UZSTOP" in constants else []
        xs = [float(seg[k][0].parameters[free]) for k in range(j, i + 2)]
        steps = np.diff(xs)
        if len(steps) and (np.all(steps > 0) or np.all(steps < 0)):
            stops.append(xb + 0.5 * (xb - xa))  # stop just past the bracket
        c = {**constants, "IRS": seg[j][0].label, "DS": dsr, "DSMAX": dsr,
             "DSMIN": min(float(constants.get("DSMIN", 1e-6)), dsr / 100), "NMX": nmx,
             "NPR": nmx + 1, "UZSTOP": {**constants.get("UZSTOP", {}), free: stops}}
        heading = _cycle_coords(seg[j + 1][0], free) - _cycle_coords(seg[j][0], free)
        try:
            rerun = run(c, seg[j][1].fort8, allow_mx=True)
            first = rerun.branches[0].points if rerun.branches else ()
            if len(first) > 1 and np.dot(_cycle_coords(first[1], free)
                                         - _cycle_coords(first[0], free), heading) < 0:
                rerun = run({**c, "DS": -dsr}, seg[j][1].fort8, allow_mx=True)
        except ContinuationFailed as exc:
            rerun, failure = None, f"the rerun failed ({exc})"
    if rerun is not None:
        pts = [pt for b in rerun.branches for pt in b.points]
        by_auto = [pt for pt in pts if pt.type in ("PD", "TR") and inside(pt)]
        if by_auto:
            out = []
            for pt in by_auto:
                sp_ = special_point(model, params, pt, rerun, "cycles", (free,))
                sp_ = replace(sp_, extra={**sp_.extra, **bracket_info,
                                          "located_by": LocatedBy.RERUN.text(dsmax=dsr)})
                out.append(sp_)
            return out, [StopReason.POINT_ADDED.note(
                f"{pt.type} at {free} = {float(pt.parameters[free]):.8g}: AUTO's test "
                f"function stepped over the multiplier crossing {where}; located by a rerun "
                f"with DSMAX = {dsr:.3g}") for pt in by_auto]
        # AUTO labels none: interpolate between the rerun's points that bracket it
        fine = [(pt, _floquet_tests(pt.multipliers)) for pt in pts if inside(pt)]
        out, msgs = [], []
        for kind in kinds:
            col = 0 if kind == "PD" else 1
            pair = next(((p, q, fp[col], fq[col])
                         for (p, fp), (q, fq) in zip(fine[:-1], fine[1:], strict=True)
                         if math.isfinite(fp[col]) and math.isfinite(fq[col])
                         and (fp[col] < 0) != (fq[col] < 0)), None)
            if pair is None:
                msgs.append(StopReason.POINT_LEFT_OUT.note(
                    f"the {kind} test function (|mu| - 1) changed sign {where}, but not along "
                    f"a rerun with DSMAX = {dsr:.3g}: no {kind} reported"))
                continue
            out.append(_interpolated_crossing(params, kind, free, *pair, bracket_info))
            msgs.append(StopReason.POINT_ADDED.note(
                f"{kind} at {free} = {out[-1].params[free]:.8g}: the multipliers cross "
                f"{where}, also along a rerun with DSMAX = {dsr:.3g}, but AUTO labels none; "
                "placed by linear interpolation of |mu| - 1"))
        return out, msgs
    out, msgs = [], []
    for kind in kinds:
        col = 0 if kind == "PD" else 1
        out.append(_interpolated_crossing(params, kind, free, pa, pb, tests[i][col],
                                          tests[i + 1][col], bracket_info))
        msgs.append(StopReason.POINT_ADDED.note(
            f"{kind} at {free} = {out[-1].params[free]:.8g}: the multipliers cross {where}; "
            f"{failure}: placed by linear interpolation of |mu| - 1"))
    return out, msgs


def _interpolated_crossing(params: Mapping[str, float], kind: str, free: str, pa: Any,
                           pb: Any, fa: float, fb: float, info: Mapping[str, Any]) -> SpecialPoint:
    """A PD/TR point where |mu| - 1 vanishes on the line between two branch points.

    Its state is the interpolated orbit maxima (AUTO's columns; no profile is stored
    there), r and abs_z are nan.
    """
    t = fa / (fa - fb)

    def lerp(a: float, b: float) -> float:
        return float(a + t * (b - a))

    x = lerp(pa.parameters[free], pb.parameters[free])
    mult = [[[float(m.real), float(m.imag)] for m in p.multipliers] for p in (pa, pb)]
    return SpecialPoint(
        type=kind, label="", params={**params, free: x},
        state={n: lerp(pa.state[n], pb.state[n]) for n in pa.state},
        r=math.nan, abs_z=math.nan, stable=False, kind="cycles", free=(free,),
        stability=cycle_stability(kind, False),
        auto_params={free: x}, period=lerp(pa.parameters["period"], pb.parameters["period"]),
        extra={**info, "located_by": LocatedBy.INTERPOLATION.text(),
               "test_bracket": [float(fa), float(fb)], "multipliers_bracket": mult,
               "state_measure": "max (interpolated)"})


#: Relative distance in the free parameter within which a cycle branch "stands still"
#: at its homoclinic limit (AUTO converges orbits to EPSL = 1e-7 there).
_HOMOCLINIC_STILL = 1e-6


def end_at_homoclinic_approach(branches: Sequence[Branch], free: str, t_hom: float
                                ) -> tuple[tuple[Branch, ...], dict[str, float]]:
    """A cycle branch ended at its approach to a homoclinic orbit.

    The limit (the estimate of the homoclinic point) is the parameter of the orbit of
    largest period. The approach is the final stretch up to that orbit along which the
    parameter stays within :data:`_HOMOCLINIC_STILL` (relative) of the limit while the
    period grows: no test function is trusted there. The branch is kept up to its first
    orbit with period above ``t_hom`` (orbits up to there are accurate). Returned with
    ``{free: limit, "period": largest period, "approach_period": period where the
    approach starts, "cut_period": t_hom}``.
    """
    x = np.concatenate([np.asarray(b.data[free], dtype=float) for b in branches])
    period = np.concatenate([np.asarray(b.data["period"], dtype=float) for b in branches])
    k = int(np.nanargmax(period))
    still = np.abs(x - x[k]) <= _HOMOCLINIC_STILL * max(1.0, abs(x[k]))
    i = k
    while i > 0 and still[i - 1]:
        i -= 1
    estimate = {free: float(x[k]), "period": float(period[k]),
                "approach_period": float(period[i]), "cut_period": float(t_hom)}
    kept: list[Branch] = []
    for b in branches:
        above = np.flatnonzero(np.asarray(b.data["period"], dtype=float) > t_hom)
        if not len(above):
            kept.append(b)
            continue
        end = int(above[0]) + 1
        kept.append(replace(b, data={k_: np.asarray(v)[:end] for k_, v in b.data.items()}))
        break
    return tuple(kept), estimate


def on_homoclinic_approach(x: float, period: float | None, free: str,
                            homoclinic: Mapping[str, float], key: str) -> bool:
    """Whether a cycle point lies at the homoclinic limit with a period past
    ``homoclinic[key]`` (``approach_period`` for labels, ``cut_period`` for orbits)."""
    return (abs(x - homoclinic[free]) <= _HOMOCLINIC_STILL * max(1.0, abs(homoclinic[free]))
            and not (period is not None and period < homoclinic[key]))
