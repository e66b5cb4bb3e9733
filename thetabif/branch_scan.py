"""Special points that AUTO's test functions stepped over, found from the branch itself.

AUTO-07p locates folds, Hopf and codimension-two points by sign changes of its test
functions between consecutive steps; when a step is large it can step over one (and
at best prints ``NOTE:Possible special point``). This module owns the independent
scan of a computed branch that catches those points:

============  ==========================================================  ====
branch        what changes between stored points                          type
============  ==========================================================  ====
equilibria    the free parameter turns (its increments change sign)       LP
equilibria    a real eigenvalue passes 0 (det Df changes sign) at a turn  LP
equilibria    the same, the parameter not turning                         BP
equilibria    a complex pair crosses the imaginary axis                   HB
fold curve    a second real eigenvalue passes 0                           BT
fold curve    a complex pair crosses the imaginary axis (>= 3 states)     ZH
fold curve    the curve reverses in the parameter plane (a cusp there)    CP
Hopf curve    a real eigenvalue passes 0 (>= 3 states)                    ZH
============  ==========================================================  ====

(BT ends and GH points of Hopf curves are found elsewhere: by the continuation's
Hopf-stretch and first-Lyapunov-coefficient scans.) Every bracket with no point of
that type labelled by AUTO inside it is polished by Newton on the point's defining
system (:func:`thetabif.polish.polish`; ZH, which has no system there, by a secant
iteration on the trace over polished folds, :func:`zero_hopf`) and accepted only if
the polished point lies in the bracket (:func:`_inside`) and is of the detected kind.
The result is plain data (:class:`ScannedPoint`); turning it into the continuation's
records is the caller's business.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thetabif.models import ThetaModel
from thetabif.polish import PolishedPoint, PolishError, polish

#: How each type is detected (recorded as the point's ``detected_by``).
DETECTED_BY = {
    "LP": "turning point of the free parameter (thetabif)",
    "BP": "real eigenvalue through 0 without a turning point (thetabif)",
    "HB": "complex pair through the imaginary axis (thetabif)",
    "BT": "second real eigenvalue through 0 on the fold curve (thetabif)",
    "CP": "fold curve reversing in the parameter plane (thetabif)",
    "ZH": "zero eigenvalue with a pair through the imaginary axis (thetabif)",
}
#: A polished point must have an eigenvalue (pair) with |Re| below this (relative to
#: max(1, |lambda|)) and, for HB/ZH, a frequency above it: the Newton systems are
#: solved to ~1e-13, so 1e-7 separates a genuine critical eigenvalue from a neutral
#: saddle (a real pair +-mu solves the Hurwitz condition too) with a wide margin.
_CRITICAL = 1e-7


@dataclass(frozen=True)
class ScannedPoint:
    """A special point found by the scan and polished by Newton.

    Attributes
    ----------
    type : str
        ``LP``, ``BP``, ``HB``, ``BT``, ``CP`` or ``ZH``.
    bracket : tuple of int
        First and last index of the stretch of the branch that holds it.
    state : ndarray
        The polished equilibrium.
    params : dict
        All parameters (the free ones polished).
    residual : float
        Max-norm of the defining system at the point.
    eigenvalues : ndarray
        Eigenvalues of the Jacobian there.
    l1 : float or None
        First Lyapunov coefficient (HB).
    note : int or None
        Index into the ``notes`` passed to :func:`scan_branch` of AUTO's
        ``Possible special point`` nearest the point inside its bracket, if any.
    """

    type: str
    bracket: tuple[int, int]
    state: np.ndarray
    params: dict
    residual: float
    eigenvalues: np.ndarray
    l1: float | None = None
    note: int | None = None

    @property
    def detected_by(self) -> str:
        return DETECTED_BY[self.type]

    @property
    def frequency(self) -> float | None:
        """The critical pair's imaginary part (HB, ZH): of the complex eigenvalue
        nearest the imaginary axis."""
        pairs = self.eigenvalues[np.abs(self.eigenvalues.imag) > 0]
        if self.type not in ("HB", "ZH") or not len(pairs):
            return None
        return float(abs(pairs[np.argmin(np.abs(pairs.real))].imag))


def along(model: ThetaModel, params: Mapping[str, float], data: Mapping[str, Any],
          free: Sequence[str]) -> tuple[np.ndarray, list]:
    """States ``(ndim, npoints)`` and parameters (free ones as arrays) of a branch.

    ``data`` holds the branch's columns by name (:attr:`thetabif.continuation.Branch.data`);
    the result is what :meth:`thetabif.codegen.numeric.NumericModel.jacobians` takes.
    """
    u = np.array([data[n] for n in model.state_names], dtype=float)
    pv = [np.asarray(data[k], dtype=float) if k in free else params[k]
          for k in model.parameter_names]
    return u, pv


def scan_branch(model: ThetaModel, params: Mapping[str, float], kind: str,
                free: Sequence[str], data: Mapping[str, Any],
                notes: Sequence[np.ndarray] = ()) -> list[ScannedPoint]:
    """Special points along one branch that AUTO did not label.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        The run's parameters (the free ones are taken from the branch).
    kind : {"equilibria", "fold", "hopf"}
        What the branch is: equilibria in ``free[0]``, or a fold / Hopf curve in
        ``free``.
    free : sequence of str
        The free parameters.
    data : mapping of str to array
        The branch's columns: the free parameters and the model's states by name, and
        ``type``, AUTO's point type per point (``""`` where none).
    notes : sequence of ndarray
        Locations (free parameters, then states) of AUTO's ``Possible special point``
        notes; a scanned point takes the index of the nearest one in its bracket.

    Returns
    -------
    list of ScannedPoint
        In branch order; at most one per bracket.
    """
    free = tuple(free)
    u, pv = along(model, params, data, free)
    types = np.asarray(data["type"])
    npts = u.shape[1]
    if npts < 2 or kind not in ("equilibria", "fold", "hopf"):
        return []
    nfree = len(free)
    cols = np.vstack([np.asarray(data[k], dtype=float) for k in free] + [u])
    eig = np.linalg.eigvals(model.numeric.jacobians(u, pv))
    if kind == "equilibria":
        candidates = _equilibrium_brackets(cols[0], eig)
    elif kind == "fold":
        candidates = _fold_curve_brackets(cols[:nfree], eig)
    else:
        candidates = _hopf_curve_brackets(eig)
    # Newton from each point of each bracket AUTO left unlabelled; two points a step
    # apart (two folds) have a bracket each, and Newton from the point between them
    # may reach either: brackets with fewer solutions choose first
    solved = [(ptype, (i, j), _polished(model, params, ptype, free, cols, (i, j)))
              for ptype, (i, j) in candidates if ptype not in types[i:j + 1]]
    found: list[ScannedPoint] = []
    for ptype, (i, j), sols in sorted(solved, key=lambda c: len(c[2])):
        pt = next((q for q in sols if not any(_close(o, q) for o in found)), None)
        if pt is None:
            continue
        if ptype == "BP" and not _branch_point(model, pt, free[0]):
            ptype = "LP"  # a fold after all, its turn inside one step
        where = np.concatenate([[pt.params[k] for k in free], pt.state])
        near = [k for k, loc in enumerate(notes) if _inside(np.asarray(loc, float), cols, i, j)]
        note = (min(near, key=lambda k: float(np.max(np.abs(np.asarray(notes[k]) - where))))
                if near else None)
        found.append(ScannedPoint(ptype, (i, j), pt.state, pt.params, pt.residual,
                                  pt.eigenvalues, pt.l1, note))
    return sorted(found, key=lambda p: p.bracket)


# ------------------------------------------------------------------ detection
def _sign_changes(f: np.ndarray) -> list[tuple[int, int]]:
    """(i, j): consecutive nonzero finite entries ``f[i]``, ``f[j]`` of opposite sign
    (exact zeros and nan in between are skipped, so no sign change hides there)."""
    idx = np.flatnonzero(np.isfinite(f) & (f != 0))
    s = np.sign(f[idx])
    return [(int(idx[m]), int(idx[m + 1])) for m in np.flatnonzero(s[:-1] * s[1:] < 0)]


def _pair_sums(eig: np.ndarray) -> np.ndarray:
    """Real part of prod_{a<b} (l_a + l_b) per point: the Hopf test function.

    It changes sign where a complex pair crosses the imaginary axis (and where a real
    pair passes through +-mu, a neutral saddle: polishing tells them apart).
    """
    n = eig.shape[1]
    out = np.ones(len(eig), dtype=complex)
    for a in range(n):
        for b in range(a + 1, n):
            out = out * (eig[:, a] + eig[:, b])
    return out.real


def _equilibrium_brackets(x: np.ndarray, eig: np.ndarray) -> list[tuple[str, tuple[int, int]]]:
    """Candidate LP/BP/HB brackets along an equilibrium branch in the parameter ``x``.

    A turning point of ``x`` at point k (its increments change sign there) lies
    between points k - 1 and k + 1. A sign change of det Df between points i and j
    (the next with det != 0) is a real eigenvalue through 0: the LP of an overlapping
    turning bracket (merged with it), else a BP. A sign change of the Hopf test
    function, or a change in the number of eigenvalues with positive real part that
    det does not account for, is an HB candidate.
    """
    turns = [(i, j + 1) for i, j in _sign_changes(np.diff(x))]  # increment j: j..j+1
    det = np.prod(eig, axis=1).real
    det_changes = _sign_changes(det)
    out: list[tuple[str, tuple[int, int]]] = []
    lp = [list(t) for t in turns]
    for i, j in det_changes:
        hit = [t for t in lp if t[0] <= j and i <= t[1]]
        if hit:
            hit[0][0], hit[0][1] = min(hit[0][0], i), max(hit[0][1], j)
        else:
            out.append(("BP", (i, j)))
    out += [("LP", (a, b)) for a, b in lp]
    hb = set(_sign_changes(_pair_sums(eig)))
    unstable = np.sum(eig.real > 0, axis=1)
    hb |= {(int(i), int(i) + 1) for i in np.flatnonzero(np.diff(unstable) != 0)
           if not any(a <= i and i + 1 <= b for a, b in det_changes)}
    out += [("HB", ij) for ij in sorted(hb)]
    return out


def _without_zero(eig: np.ndarray) -> np.ndarray:
    """Eigenvalues with the one nearest 0 (the fold's) removed, per point."""
    k = np.argmin(np.abs(eig), axis=1)
    keep = np.ones(eig.shape, dtype=bool)
    keep[np.arange(len(eig)), k] = False
    return eig[keep].reshape(len(eig), eig.shape[1] - 1)


def _fold_curve_brackets(p: np.ndarray, eig: np.ndarray
                         ) -> list[tuple[str, tuple[int, int]]]:
    """Candidate BT/ZH/CP brackets along a fold curve with parameter columns ``p``.

    BT: the product of the eigenvalues other than the fold's zero one changes sign (a
    second real eigenvalue through 0; this product is the characteristic polynomial's
    coefficient ``a_(n-1)`` on the curve, so the choice of the zero one does not
    matter). ZH: their Hopf test function changes sign. CP: consecutive parameter
    increments point in opposite directions at point k (the fold curve, smooth in
    (state, parameters), has a cusp in the parameter plane where the fold's quadratic
    coefficient vanishes), bracket k - 1 to k + 1.
    """
    rest = _without_zero(eig)
    out: list[tuple[str, tuple[int, int]]] = [
        ("BT", ij) for ij in _sign_changes(np.prod(rest, axis=1).real)]
    if rest.shape[1] >= 2:
        out += [("ZH", ij) for ij in _sign_changes(_pair_sums(rest))]
    dp = np.diff(p, axis=1)
    dots = np.sum(dp[:, :-1] * dp[:, 1:], axis=0)
    out += [("CP", (int(k), int(k) + 2)) for k in np.flatnonzero(dots < 0)]
    return out


def _hopf_curve_brackets(eig: np.ndarray) -> list[tuple[str, tuple[int, int]]]:
    """Candidate ZH brackets along a Hopf curve: det Df changes sign (>= 3 states)."""
    if eig.shape[1] < 3:
        return []  # det = omega^2 > 0 on the Hopf stretches of a planar model
    return [("ZH", ij) for ij in _sign_changes(np.prod(eig, axis=1).real)]


# ------------------------------------------------------------------ polishing
def _system(ptype: str) -> str:
    """The defining system a type is polished on (a BP solves the fold system)."""
    return {"BP": "LP"}.get(ptype, ptype)


def _polished(model: ThetaModel, params: Mapping[str, float], ptype: str,
              free: tuple[str, ...], cols: np.ndarray, bracket: tuple[int, int]
              ) -> list[PolishedPoint]:
    """Newton from each point of the bracket: the distinct solutions of the right kind
    inside it, nearest to the bracket's polygon first."""
    i, j = bracket
    nfree = len(free)
    kind = _system(ptype)
    pfree = free[:1] if ptype in ("LP", "BP", "HB") else free
    out: list[tuple[float, PolishedPoint]] = []
    for k in range(i, j + 1):
        guess = {**params, **{f: float(cols[m, k]) for m, f in enumerate(free)}}
        try:
            if kind == "ZH":
                pt = zero_hopf(model, free, cols[nfree:, k], guess)
            else:
                pt = polish(model, kind, pfree, cols[nfree:, k], guess)
        except (PolishError, ValueError, np.linalg.LinAlgError):
            continue
        where = np.concatenate([[pt.params[f] for f in free], pt.state])
        if (_inside(where, cols, i, j) and _is_kind(ptype, pt.eigenvalues)
                and not any(_close(q, pt) for _, q in out)):
            out.append((_polygon_distance(where, cols[:, i:j + 1]), pt))
    return [pt for _, pt in sorted(out, key=lambda t: t[0])]


def _polygon_distance(where: np.ndarray, pts: np.ndarray) -> float:
    """Distance from a point to the polygon through the columns of ``pts``."""
    best = float(np.linalg.norm(pts[:, 0] - where))
    for a, b in zip(pts.T[:-1], pts.T[1:], strict=True):
        d = b - a
        t = float(np.clip(np.dot(where - a, d) / max(float(np.dot(d, d)), 1e-300), 0, 1))
        best = min(best, float(np.linalg.norm(a + t * d - where)))
    return best


def _branch_point(model: ThetaModel, pt: PolishedPoint, free: str) -> bool:
    """Whether a point with a zero eigenvalue is a branch point, not a fold.

    At a fold, ``f_p`` (the derivative in the free parameter) is not in the range of
    ``Df``: ``<w, f_p> != 0`` for the left null vector ``w`` (unit norm), and the
    branch turns; at a branch point it is, and branches cross. ``|<w, f_p>|`` below
    1e-6 ``|f_p|`` (Newton leaves ~1e-9 at the singular root) counts as zero.
    """
    num = model.numeric
    pv = num.parameter_vector(pt.params)
    w = np.linalg.svd(num.jacobian(pt.state, pv))[0][:, -1]
    fp = num.parameter_jacobian(pt.state, pv)[:, model.parameter_names.index(free)]
    return bool(abs(w @ fp) <= 1e-6 * max(float(np.linalg.norm(fp)), 1e-300))


def _inside(where: np.ndarray, cols: np.ndarray, i: int, j: int) -> bool:
    """Whether a point can lie on the branch's arc between points i and j.

    A point on that arc is within half its length ``L`` of the nearer end, in the
    coordinates (free parameters, states) in which AUTO measures arclength too. ``L``
    exceeds the sum ``C`` of the chords between the stored points only by a relative
    ``O((kappa h)^2)`` (curvature kappa, step h), so a distance to the nearest stored
    point of the bracket up to ``C`` leaves a factor of two, and no assumption on which
    coordinates turn inside (at a fold the parameter does, and states may), yet
    rejects a Newton solution more than a bracket away (e.g. on the neighbouring
    fold). 1e-9 absolute: the polished point's accuracy.
    """
    box = cols[:, i:j + 1]
    chords = float(np.sum(np.linalg.norm(np.diff(box, axis=1), axis=0)))
    dist = float(np.min(np.linalg.norm(box - np.asarray(where)[:, None], axis=0)))
    return dist <= chords + 1e-9


def _is_kind(ptype: str, eig: np.ndarray) -> bool:
    """Whether the polished point's spectrum is that of a ``ptype`` point."""
    scale = np.maximum(1.0, np.abs(eig))
    on_axis = np.abs(eig.real) <= _CRITICAL * scale
    zero = on_axis & (np.abs(eig.imag) <= _CRITICAL * scale)
    pair = on_axis & (np.abs(eig.imag) > _CRITICAL * scale)
    if ptype in ("LP", "BP", "CP"):
        return bool(np.sum(zero) >= 1)
    if ptype == "BT":
        return bool(np.sum(zero) >= 2)
    if ptype == "HB":
        return bool(np.sum(pair) >= 2)
    if ptype == "ZH":
        return bool(np.sum(zero) >= 1 and np.sum(pair) >= 2)
    raise ValueError(f"unknown special point type {ptype!r}")


def _close(a: PolishedPoint | ScannedPoint, b: PolishedPoint | ScannedPoint) -> bool:
    return bool(np.max(np.abs(a.state - b.state)) < 1e-8
                and all(abs(a.params[k] - b.params[k]) < 1e-8 for k in a.params))


def zero_hopf(model: ThetaModel, free: Sequence[str], state: Sequence[float],
              params: Mapping[str, float], *, tol: float = 1e-12, max_iter: int = 30
              ) -> PolishedPoint:
    """A zero-Hopf point: f = 0, det Df = 0 and tr Df = 0 (3 states), by secants.

    At a fold the eigenvalue 0 leaves ``tr Df`` equal to the sum of the others, which
    is 0 at a ZH point (0, +-i omega). The fold is polished by Newton in ``free[0]``
    at fixed ``free[1]`` (:func:`thetabif.polish.polish`, ``LP``); the secant method
    on ``free[1]`` then zeroes the trace of the polished folds.

    No such point exists in the family's current-coupled variants: there the trace is
    ``-2 Delta / (pi tau r) / tau`` (the (r, v) block) ``- 1 / tau_s`` < 0 at every
    equilibrium; only conductance coupling with a negative drive ``s`` can have one.

    Raises
    ------
    PolishError
        A fold polish failed, or the secant iteration did not converge.
    """
    free = tuple(free)
    if len(free) != 2:
        raise ValueError(f"ZH needs 2 free parameters, got {list(free)}")
    num = model.numeric
    names = model.parameter_names

    def fold(p2: float, seed: PolishedPoint | None) -> tuple[PolishedPoint, float]:
        st = seed.state if seed is not None else np.asarray(state, dtype=float)
        guess = {**(seed.params if seed is not None else params), free[1]: p2}
        pt = polish(model, "LP", free[:1], st, guess)
        return pt, float(np.trace(num.jacobian(pt.state, [pt.params[k] for k in names])))

    p_a = float(params[free[1]])
    a, ta = fold(p_a, None)
    p_b = p_a + 1e-4 * max(1.0, abs(p_a))
    b, tb = fold(p_b, a)
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        if tb == ta:
            raise PolishError("ZH: the trace does not change along the fold curve")
        p_c = p_b - tb * (p_b - p_a) / (tb - ta)
        c, tc = fold(p_c, b)
        p_a, a, ta, p_b, b, tb = p_b, b, tb, p_c, c, tc
        if abs(p_b - p_a) <= tol * max(1.0, abs(p_b)):
            break
    else:
        raise PolishError(f"ZH: secant iteration did not converge in {max_iter} steps")
    scale = max(1.0, float(np.max(np.abs(b.eigenvalues))))
    res = max(b.residual, abs(tb) / scale)
    if not res <= 1e-9 or not math.isfinite(res):
        raise PolishError(f"ZH: the trace is only {abs(tb):.3g} at the end")
    return PolishedPoint("ZH", b.state, b.params, res, it, b.eigenvalues)
