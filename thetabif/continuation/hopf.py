"""Hopf curves: the Hopf stretches of AUTO's curves, their BT ends and Bautin points.

Owns what is done to a Hopf curve after AUTO: the neutral-saddle stretches past a
Bogdanov-Takens point left out and BT points polished at their ends
(:func:`hopf_part`), and the Bautin (GH) points AUTO's test function missed, found by
sign changes of the first Lyapunov coefficient (:func:`with_bautin_points`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from thetabif.branch_scan import along
from thetabif.continuation.convert import (
    equilibrium_stability,
    labelled,
    outputs,
    possible_points,
)
from thetabif.continuation.engine import ContinuationFailed
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    LocatedBy,
    SpecialPoint,
    StopReason,
    bautin_kind,
)
from thetabif.models import ThetaModel
from thetabif.polish import PolishError, first_lyapunov_coefficient, polish


def hopf_part(model: ThetaModel, params: Mapping[str, float], res: ContinuationResult
              ) -> ContinuationResult:
    """Keep the Hopf stretches of AUTO's Hopf-curve branches, with BT at their ends.

    AUTO's Hopf continuation follows an equilibrium with two eigenvalues of zero
    sum. Past a Bogdanov-Takens point that pair is real (``+-mu``): a neutral
    saddle, which is no bifurcation. Such stretches are left out of the branches
    (a ``neutral_saddle`` message counts them) and the Hopf frequency ``omega``
    becomes a column. Where a Hopf stretch ends on a neutral saddle, a BT point is
    added, polished by Newton on the BT system, unless AUTO labelled one; a GH that
    AUTO 0.9 labels there instead (its Bautin test function passes through the
    pole of l1 at omega = 0) is polished as the BT it is. GH and ZH labels with a
    real critical pair are dropped.
    """
    free, names = res.free, model.state_names
    num = model.numeric
    branches: list[Branch] = []
    ends: list[tuple[dict, int, int]] = []  # (data, last Hopf index, first neutral)
    dropped = 0
    for b in res.branches:
        d = b.data
        u, pv = along(model, params, d, free)
        omega = (critical_pair_frequency(np.linalg.eigvals(num.jacobians(u, pv)))
                 if len(b) else np.zeros(0))
        # AUTO's own BT point ends a Hopf stretch (its pair is real to ~1e-6)
        hopf = (omega > 0) | (np.asarray(d["type"]) == "BT")
        dropped += int(np.sum(~hopf))
        bounds = np.flatnonzero(np.diff(np.concatenate([[0], hopf.view(np.int8), [0]])))
        for start, stop in zip(bounds[::2], bounds[1::2], strict=True):
            data = {k: np.asarray(v)[start:stop] for k, v in d.items()}
            data["omega"] = omega[start:stop]
            if stop - start >= 2 or stop - start == len(b):
                branches.append(Branch(b.kind, b.free, data, b.direction))
            if start > 0:
                ends.append((d, start, start - 1))
            if stop < len(b):
                ends.append((d, stop - 1, stop))
    if not dropped:
        return replace(res, branches=tuple(branches))
    if not branches:
        raise ContinuationFailed("the Hopf curve has no point with a complex pair of "
                                 "eigenvalues (AUTO followed a neutral saddle)")

    def omega_at(p: SpecialPoint) -> float:
        st = np.array([[p.state[k]] for k in names])
        pv = [p.params[k] for k in model.parameter_names]
        return float(critical_pair_frequency(np.linalg.eigvals(num.jacobians(st, pv)))[0])

    specials = list(res.special_points)
    messages = list(res.messages)
    messages.append(StopReason.NEUTRAL_SADDLE.note(
        f"{dropped} point(s) where AUTO's branch continues past BT with a real pair +-mu "
        "(no Hopf point) left out"))
    for d, i, j in ends:
        span = max(abs(float(d[k][j]) - float(d[k][i])) for k in free)

        def near(p: SpecialPoint, d=d, i=i, span=span) -> bool:
            where = p.auto_params or p.params
            return all(abs(where.get(k, p.params[k]) - float(d[k][i])) <= 3 * span + 1e-9
                       for k in free)

        if any(p.type == "BT" and near(p) for p in specials):
            continue
        gh = [p for p in specials if p.type == "GH" and near(p)]
        seed = gh[0] if gh else None
        st = (np.array([seed.state[k] for k in names]) if seed else
              np.array([float(d[k][i]) for k in names]))
        pars = {**params, **{k: float((seed.auto_params if seed else
                                            {k: d[k][i]})[k]) for k in free}}
        try:
            pp = polish(model, "BT", free, st, pars)
        except (PolishError, ValueError) as exc:
            messages.append(StopReason.POINT_LEFT_OUT.note(
                f"the Hopf curve ends at a neutral saddle near {pars[free[0]]:.6g}, "
                f"{pars[free[1]]:.6g}; polishing a BT point there failed ({exc})"))
            continue
        if max(abs(pp.params[k] - pars[k]) for k in free) > 10 * span + 1e-6:
            messages.append(StopReason.POINT_LEFT_OUT.note(
                f"the Hopf curve ends at a neutral saddle near {pars[free[0]]:.6g}, "
                f"{pars[free[1]]:.6g}; Newton on the BT system converged elsewhere"))
            continue
        r, az = outputs(model, pp.state, pp.params)
        auto_params = {k: float(pars[k]) for k in free}
        diff = float(max(np.max(np.abs(pp.state - st)),
                         max(abs(pp.params[k] - pars[k]) for k in free)))
        extra: dict[str, Any] = {"residual": pp.residual}
        if seed is not None:
            specials.remove(seed)
            extra["auto_label"] = "GH"
            extra["note"] = ("AUTO labelled GH where omega -> 0 (pole of l1): the Hopf "
                             "curve ends here in a BT point")
        else:
            extra["detected_by"] = LocatedBy.HOPF_END.text()
        specials.append(SpecialPoint(
            type="BT", label="", params=dict(pp.params),
            state=dict(zip(names, map(float, pp.state), strict=True)), r=r, abs_z=az,
            stable=False, kind="hopf", free=free, auto_params=auto_params,
            polish_difference=diff if seed is not None else None, extra=extra,
            stability=equilibrium_stability(model, pp.state, pp.params, "BT")))
    kept = [p for p in specials if p.type not in ("GH", "ZH") or omega_at(p) > 0]
    if len(kept) < len(specials):
        messages.append(StopReason.POINT_LEFT_OUT.note(
            f"{len(specials) - len(kept)} GH/ZH label(s) of AUTO on the neutral-saddle "
            "stretch dropped"))
    return replace(res, branches=tuple(branches), messages=tuple(messages),
                   special_points=labelled(kept, free))


def with_bautin_points(model: ThetaModel, params: Mapping[str, float],
                       res: ContinuationResult, free: tuple[str, ...],
                       results: Sequence[Any] = ()) -> ContinuationResult:
    """Add GH points where l1 changes sign along a Hopf curve and AUTO labelled none.

    l1 is evaluated at ~400 points of a branch below 4000 points, at every 10th
    point of a longer one; each sign change between
    finite values (not through the pole at a BT point, where omega -> 0) is
    polished by Newton on the GH system from the end with the smaller |l1|. AUTO
    0.9's own GH test function misses some of them (e.g. on the conductance-based
    model's Hopf curve in (eta, v_s)).
    """
    names = model.state_names
    notes = possible_points(results)
    found: list[SpecialPoint] = []
    for b in res.branches:
        d, n = b.data, len(b)
        # every 10th point at least: a GH pair (l1: - + -) a few steps apart on a
        # long, restarted curve must not fall between two samples
        idx = list(range(0, n, max(1, min(10, n // 400))))
        if idx[-1] != n - 1:
            idx.append(n - 1)
        vals = []
        for i in idx:
            st = np.array([d[k][i] for k in names])
            pars = {**params, **{k: float(d[k][i]) for k in free}}
            try:
                vals.append(first_lyapunov_coefficient(model, st, pars))
            except (ValueError, np.linalg.LinAlgError):
                vals.append(np.nan)
        for a in range(len(idx) - 1):
            la, lb = vals[a], vals[a + 1]
            if not (np.isfinite(la) and np.isfinite(lb)) or np.sign(la) == np.sign(lb):
                continue
            j = idx[a] if abs(la) <= abs(lb) else idx[a + 1]
            st = np.array([d[k][j] for k in names])
            pars = {**params, **{k: float(d[k][j]) for k in free}}
            try:
                pp = polish(model, "GH", free, st, pars)
            except (PolishError, ValueError):  # diverged, or left the domain
                continue
            span = max(abs(d[k][idx[a + 1]] - d[k][idx[a]]) for k in free)
            if ((pp.frequency or 0.0) < 1e-6 or pp.residual > 1e-9
                    or max(abs(pp.params[k] - pars[k]) for k in free) > 2 * span + 1e-6):
                continue  # a pole of l1 (BT) or Newton wandered off the bracket
            r, az = outputs(model, pp.state, pp.params)
            extra = {"detected_by": LocatedBy.L1_SIGN_CHANGE.text(),
                     "l1_bracket": [float(la), float(lb)],
                     "residual": pp.residual, "frequency": pp.frequency}
            if pp.l2 is not None:
                extra["bautin"] = bautin_kind(pp.l2)
            auto_params, diff = {k: float(pars[k]) for k in free}, None
            near = [pt for pt in notes if all(
                abs(pt.parameters[k] - pp.params[k]) <= 2 * span + 1e-6 for k in free)]
            if near:
                pt = min(near, key=lambda q: max(abs(q.parameters[k] - pp.params[k])
                                                 for k in free))
                auto_params = {k: float(pt.parameters[k]) for k in free}
                diff = float(max(max(abs(pt.state[k] - v) for k, v in
                                     zip(names, pp.state, strict=True)),
                                 max(abs(auto_params[k] - pp.params[k]) for k in free)))
                extra["auto_note"] = "AUTO: 'Possible special point' (not located)"
            sp_ = SpecialPoint(
                type="GH", label="", params=dict(pp.params),
                state=dict(zip(names, map(float, pp.state), strict=True)), r=r, abs_z=az,
                stable=False, kind="hopf", free=free, auto_params=auto_params,
                polish_difference=diff, l1=0.0, extra=extra, l2=pp.l2,
                stability=equilibrium_stability(model, pp.state, pp.params, "GH"))
            known = [*res.special("GH"), *found]
            if not any(max(abs(o.params[k] - sp_.params[k]) for k in free) < 1e-6
                       for o in known):
                found.append(sp_)
    if not found:
        return res
    return replace(res, special_points=labelled([*res.special_points, *found], free))


def critical_pair_frequency(eig: np.ndarray) -> np.ndarray:
    """omega of the eigenvalue pair with zero sum that a Hopf curve follows.

    ``eig``: eigenvalues, shape ``(npoints, n)``. Per point the pair with the smallest
    ``|l_i + l_j|`` is taken: ``+-i omega`` on a Hopf curve (omega > 0), a real pair
    ``+-mu`` on a neutral saddle (omega = 0: LAPACK returns exactly real eigenvalues
    of a real matrix when they are real).
    """
    n = eig.shape[1]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    sums = np.stack([np.abs(eig[:, i] + eig[:, j]) for i, j in pairs], axis=1)
    first = np.array([i for i, _ in pairs])[np.argmin(sums, axis=1)]
    return np.abs(eig[np.arange(len(eig)), first].imag)

