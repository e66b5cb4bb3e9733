"""Global bifurcation curves in two parameters: homoclinic curves, folds of cycles, SNICs.

The fold and Hopf curves (:mod:`thetabif.continuation.scan`) bound the regions where
the *equilibria* change. Cycles appear and vanish on three more kinds of curves, which
this module computes from the codimension-two points on those curves, in the plane of
two parameters ``axes`` (default ``("eta", "J")``; ``x`` and ``y`` below):

* **homoclinic** curves start at every Bogdanov-Takens (BT) point: first from the BT
  point itself, with the normal-form predictor (:meth:`Continuation.homoclinic` from a
  BT point); when that gives no curve, from a Hopf point on the Hopf curve through
  the BT, away from it, whose cycle branch in ``x`` ends at a homoclinic orbit (its
  long orbit starts HomCont). When neither works, the diagram's messages say so. A
  Hopf curve without a BT point in the box (a box that cuts the homoclinic curve away
  from its BT) gets one try from its middle, silent when the cycles there end
  elsewhere;
* a **fold of cycles** (LPC) starts at every Bautin (GH) point, on the side of the Hopf
  curve where the Hopf point is subcritical (first Lyapunov coefficient ``l1 > 0``):
  the LP of a cycle branch from a subcritical Hopf point next to GH is continued in
  two parameters by AUTO (:meth:`Continuation.cycle_fold`), both ways inside the box.
  Only when that fails is the curve *sampled* (one :meth:`Continuation.cycles` run per
  ``y`` value, the LP of cycles AUTO labels), with a message;
* **SNIC stretches** of every fold curve (:func:`thetabif.snic.snic_stretches`): the
  points of the fold curve between the stretch's ends.

:func:`global_curves` runs all three and returns them as plain polylines
(:class:`GlobalCurve`), every point inside the box, with what did not work as
messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from thetabif.continuation import (
    Continuation,
    ContinuationFailed,
    ContinuationResult,
    SpecialPoint,
    StopReason,
)
from thetabif.continuation.options import CycleOptions
from thetabif.cycle_band import CycleBand, cycle_band
from thetabif.errors import ContinuationError, InputError
from thetabif.models import Model
from thetabif.snic import SnicStretch, StretchEnd, snic_stretches

#: Kinds of :class:`GlobalCurve`.
KINDS = ("homoclinic", "cycle_fold", "snic")
#: The default plane of the curves.
AXES = ("eta", "J")
#: Where along the Hopf curve (fraction of the y distance from the BT point to the
#: curve's far end in the box) a Hopf point is tried as the start of the cycle branch
#: that ends at the homoclinic orbit, when the BT predictor gave no curve: away from
#: BT the orbits get long (periods of 20..1000 start HomCont) before the branch
#: reaches its end; the first that gives a curve is kept.
HOMOCLINIC_STARTS = (0.5, 0.7, 0.3, 0.9, 0.1, 0.03)


#: A homoclinic curve shorter than this fraction of the box's y range (in both
#: parameters) is taken as a failed start: HomCont repeated its first point
#: (seen for the n = 2 first-order synapse model next to its BT point).
MIN_EXTENT = 1e-3


Box = Mapping[str, tuple[float, float]]


def _extent(res: ContinuationResult, axes: Sequence[str] = AXES) -> float:
    """Largest span in either parameter of the branches of a curve."""
    spans = [float(np.ptp(b.data[k])) for b in res.branches if len(b) for k in axes]
    return max(spans, default=0.0)


@dataclass(frozen=True)
class GlobalCurve:
    """One global bifurcation curve as a polyline in the plane ``axes``, inside the box.

    Attributes
    ----------
    kind : str
        ``homoclinic``, ``cycle_fold`` or ``snic`` (:data:`KINDS`).
    x, y : numpy.ndarray
        The points (values of ``axes[0]`` and ``axes[1]``), in order along the curve;
        also as :attr:`eta` and :attr:`J` (their names in the default plane).
    source : str
        Where it comes from (``"BT1"``, ``"GH1"``, ``"fold curve 0"``; a fold of
        cycles that joins two Bautin points: ``"GH1 - GH2"``).
    sampled : bool
        The points are samples (one AUTO run each) rather than a continuation.
    period : numpy.ndarray
        Period of the cycle at each point (``cycle_fold``; NaN where not known).
    axes : tuple of str
        The two parameters of the plane.
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    source: str = ""
    sampled: bool = False
    period: np.ndarray = field(default_factory=lambda: np.zeros(0))
    axes: tuple[str, str] = AXES

    @property
    def eta(self) -> np.ndarray:
        """:attr:`x` (the name of the first axis of the default plane)."""
        return self.x

    @property
    def J(self) -> np.ndarray:  # noqa: N802 - the parameter's name
        """:attr:`y` (the name of the second axis of the default plane)."""
        return self.y

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: kind, source, sampled, axes, the points under the axes' names,
        period."""
        return {"kind": self.kind, "source": self.source, "sampled": self.sampled,
                "axes": list(self.axes),
                self.axes[0]: np.asarray(self.x, float).tolist(),
                self.axes[1]: np.asarray(self.y, float).tolist(),
                "period": np.asarray(self.period, float).tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GlobalCurve:
        """The curve :meth:`to_dict` wrote (``null`` read back as NaN; no ``axes``: the
        default plane)."""
        def arr(v: Any) -> np.ndarray:
            return np.array([np.nan if x is None else x for x in v], dtype=float)

        axes = tuple(d.get("axes", AXES))
        return cls(d["kind"], arr(d[axes[0]]), arr(d[axes[1]]), d.get("source", ""),
                   bool(d.get("sampled", False)), arr(d.get("period", [])),
                   (str(axes[0]), str(axes[1])))


@dataclass
class GlobalCurves:
    """What :func:`global_curves` found: the curves, the SNIC stretches, messages."""

    curves: list[GlobalCurve] = field(default_factory=list)
    homoclinic: list[ContinuationResult] = field(default_factory=list)
    snic: list[SnicStretch] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    cycle_folds: list[ContinuationResult] = field(default_factory=list)
    bands: list[CycleBand] = field(default_factory=list)


#: AUTO stops a run on the box's side to its tolerances (HomCont's last point was seen
#: 1.8e-7 beyond J = -25.5): points that far out are put on the side; farther ones are
#: dropped (relative to the box's size).
EDGE_TOL = 1e-6


def _in_box(x: np.ndarray, y: np.ndarray, box: Box, axes: Sequence[str] = AXES
            ) -> tuple[np.ndarray, np.ndarray]:
    """The points of a polyline inside ``box``: those at most :data:`EDGE_TOL` outside
    are moved onto its side, the others left out."""
    x, y = np.asarray(x, float).copy(), np.asarray(y, float).copy()
    keep = np.ones(x.shape, bool)
    for arr, (lo, hi) in ((x, box[axes[0]]), (y, box[axes[1]])):
        tol = EDGE_TOL * (hi - lo)
        keep &= (arr >= lo - tol) & (arr <= hi + tol)
        np.clip(arr, lo, hi, out=arr)
    return x[keep], y[keep]


def _inside(p: Mapping[str, float], box: Box, axes: Sequence[str] = AXES) -> bool:
    """Whether the point ``p`` (a parameter mapping) lies inside ``box``."""
    return all(box[a][0] <= p[a] <= box[a][1] for a in axes)


def _hopf_points_at(model: Model, params: Mapping[str, float], y: float,
                    x_range: tuple[float, float], axes: Sequence[str] = AXES
                    ) -> tuple[Continuation, list[SpecialPoint]]:
    """The Hopf points of the equilibria in ``axes[0]`` at ``axes[1] = y`` (one AUTO
    equilibrium run)."""
    cont = Continuation(model, {**params, axes[1]: y, axes[0]: x_range[0]})
    eq = cont.equilibria(axes[0], *x_range)
    return cont, eq.special("HB")


def homoclinic_from_bt(model: Model, params: Mapping[str, float], bt: SpecialPoint,
                       hopf: ContinuationResult, box: Box, x_range: tuple[float, float],
                       axes: Sequence[str] = AXES) -> ContinuationResult:
    """The homoclinic curve that starts at the BT point ``bt`` of the Hopf curve ``hopf``.

    First from ``bt`` itself (the BT normal-form predictor,
    :meth:`Continuation.homoclinic`); if that fails or gives a curve that does not
    move (:data:`MIN_EXTENT`), from the cycle branches of Hopf points of the curve
    away from the BT (:data:`HOMOCLINIC_STARTS`, :func:`homoclinic_from_hopf`).

    Raises
    ------
    ContinuationFailed
        No start gave a homoclinic curve (the messages of every attempt).
    """
    axes = tuple(axes)
    tried = []
    try:
        cont = Continuation(model, {**params, **{a: bt.params[a] for a in axes}})
        hom = cont.homoclinic(bt, axes, {a: box[a] for a in axes})
        if _extent(hom, axes) >= MIN_EXTENT * (box[axes[1]][1] - box[axes[1]][0]):
            return hom
        tried.append("the BT predictor: HomCont's curve did not move from its start")
    except (ContinuationError, InputError) as exc:
        tried.append(f"the BT predictor: {exc}")
    try:
        return homoclinic_from_hopf(model, params, hopf, box, x_range, bt.params[axes[1]],
                                    bt.label, HOMOCLINIC_STARTS, axes)
    except ContinuationFailed as exc:
        tried.append(f"cycle starts: {exc}")
    raise ContinuationFailed(f"{bt.label}: the diagram has no homoclinic curve from this "
                             "Bogdanov-Takens point, no start worked (" + " | ".join(tried)
                             + ")")


def homoclinic_from_hopf(model: Model, params: Mapping[str, float],
                         hopf: ContinuationResult, box: Box, x_range: tuple[float, float],
                         anchor: float | None = None, label: str = "the Hopf curve",
                         fractions: Sequence[float] = (0.5,),
                         axes: Sequence[str] = AXES) -> ContinuationResult:
    """A homoclinic curve from the cycle branch of a Hopf point of ``hopf``.

    The Hopf points tried lie at ``fractions`` of the way, in ``axes[1]``, from
    ``anchor`` (a BT point's value; default: the curve's lowest value inside the box)
    to the curve's point inside the box farthest from it.

    Raises
    ------
    ContinuationFailed
        No start gave a homoclinic curve (the messages of every attempt).
    """
    ax, ay = axes
    e = np.concatenate([b.data[ax] for b in hopf.branches])
    j = np.concatenate([b.data[ay] for b in hopf.branches])
    ok = ((box[ay][0] <= j) & (j <= box[ay][1]) & (box[ax][0] <= e) & (e <= box[ax][1]))
    if not ok.any():
        raise ContinuationFailed(f"{label}: the Hopf curve has no point inside the box")
    jb = float(j[ok].min()) if anchor is None else float(anchor)
    far = j[ok][np.argmax(np.abs(j[ok] - jb))]
    tried = []
    for frac in fractions:
        y = jb + frac * (far - jb)
        # x of the Hopf curve at this y: its point nearest in y
        k = int(np.argmin(np.abs(j - y)))
        try:
            cont, hbs = _hopf_points_at(model, params, float(y), x_range, axes)
            if not hbs:
                tried.append(f"{ay} = {y:.4g}: no Hopf point")
                continue
            hb = min(hbs, key=lambda p: abs(p.params[ax] - e[k]))
            cyc = cont.cycles(hb, ax, *x_range, options=CycleOptions())
            if not any("homoclinic" in m for m in cyc.messages):
                tried.append(f"{ay} = {y:.4g}: the cycles from {hb.label} end elsewhere")
                continue
            hom = cont.homoclinic(cyc, axes, {a: box[a] for a in axes})
            if _extent(hom, axes) < MIN_EXTENT * (box[ay][1] - box[ay][0]):
                tried.append(f"{ay} = {y:.4g}: HomCont's curve did not move from its start")
                continue
            return hom
        except (ContinuationError, InputError) as exc:
            tried.append(f"{ay} = {y:.4g}: {exc}")
    raise ContinuationFailed(f"no homoclinic curve from {label}: " + "; ".join(tried))


def _cycle_folds_at(model: Model, params: Mapping[str, float], y: float,
                    x_range: tuple[float, float], box: Box, axes: Sequence[str]
                    ) -> tuple[Continuation | None, list[SpecialPoint]]:
    """The LP points inside ``box`` of the cycle branches of the subcritical Hopf points
    (``l1 > 0``) of the equilibria in ``axes[0]`` at ``axes[1] = y``."""
    try:
        cont, hbs = _hopf_points_at(model, params, y, x_range, axes)
    except (ContinuationError, InputError):
        return None, []
    pts = []
    for hb in hbs:
        if hb.l1 is None or hb.l1 <= 0:
            continue
        try:
            cyc = cont.cycles(hb, axes[0], *x_range, options=CycleOptions())
        except (ContinuationError, InputError):
            continue
        pts += [p for p in cyc.special("LP")
                if _inside({**p.params, axes[1]: y}, box, axes)]
    return cont, pts


def cycle_fold_from_gh(model: Model, params: Mapping[str, float], gh: SpecialPoint,
                       box: Box, x_range: tuple[float, float], step: float,
                       max_samples: int = 12, notes: list[str] | None = None,
                       axes: Sequence[str] = AXES, codim2: Sequence[SpecialPoint] = ()
                       ) -> tuple[GlobalCurve | None, ContinuationResult | None]:
    """The fold of cycles that starts at the Bautin point ``gh``, continued by AUTO.

    At ``y`` = GH's +- k ``step`` (k = 1, 2, 3; ``y`` = ``axes[1]``) the cycle branches
    of the subcritical Hopf points are computed until one has an LP inside the box;
    :meth:`Continuation.cycle_fold` follows it both ways. A direction that ends on the
    Hopf curve gets the nearest GH point of ``codim2`` (or ``gh``) as its end point.
    If no LP is found or the continuation fails, the curve is sampled
    (:func:`sampled_cycle_fold`) and ``notes`` says why.

    Returns
    -------
    (GlobalCurve or None, ContinuationResult or None)
        The curve (None if neither way found a point) and AUTO's result (None when
        sampled).
    """
    notes = [] if notes is None else notes
    axes = tuple(axes)
    ax, ay = axes
    why = "no LP of cycles next to it"
    ys = [gh.params[ay] + sign * k * step for k in (1, 2, 3) for sign in (1.0, -1.0)]
    for y in (y for y in ys if box[ay][0] <= y <= box[ay][1]):
        cont, lps = _cycle_folds_at(model, params, y, x_range, box, axes)
        if not lps:
            continue
        lp = min(lps, key=lambda p: abs(p.params[ax] - gh.params[ax]))
        try:
            res = cont.cycle_fold(lp, axes, {a: box[a] for a in axes})
        except (ContinuationError, InputError) as exc:
            why = f"AUTO's fold continuation from {ay} = {y:.4g} failed: {exc}"
            break
        return _curve_of(res, gh, codim2, box, axes), res
    notes.append(f"{gh.label}: the fold of cycles was not continued ({why}); it is sampled "
                 "by cycle runs instead")
    return sampled_cycle_fold(model, params, gh, box, x_range, step, max_samples, notes,
                              axes), None


def _curve_of(res: ContinuationResult, gh: SpecialPoint, codim2: Sequence[SpecialPoint],
              box: Box, axes: tuple[str, str]) -> GlobalCurve:
    """One polyline from the two directions of a fold-of-cycles result (the ``-``
    direction reversed, then the ``+`` one); a direction that ends on the Hopf curve
    gets the nearest GH point as its last point."""
    ax, ay = axes
    ghs = [p for p in codim2 if p.type == "GH" and _inside(p.params, box, axes)] or [gh]
    pieces, ends = [], []
    for b in sorted(res.branches, key=lambda b: b.direction):
        x, y, t = (np.asarray(b.data[k], float) for k in (ax, ay, "period"))
        ends_at_hopf = any(m.reason is StopReason.HOPF_END and f"({b.direction:+d})" in m
                           for m in res.messages)
        if ends_at_hopf and len(x):
            end = min(ghs, key=lambda p: np.hypot(p.params[ax] - x[-1], p.params[ay] - y[-1]))
            ends.append(end.label)
            x, y = np.append(x, end.params[ax]), np.append(y, end.params[ay])
            t = np.append(t, np.nan)
        if b.direction < 0:
            x, y, t = x[::-1], y[::-1], t[::-1]
        elif pieces:  # both start at the same point
            x, y, t = x[1:], y[1:], t[1:]
        pieces.append((x, y, t))
    x, y, t = (np.concatenate([p[i] for p in pieces]) for i in range(3))
    source = " - ".join(dict.fromkeys([gh.label, *ends]))
    return GlobalCurve("cycle_fold", x, y, source, False, t, axes)


def sampled_cycle_fold(model: Model, params: Mapping[str, float], gh: SpecialPoint,
                       box: Box, x_range: tuple[float, float], step: float,
                       max_samples: int = 12, notes: list[str] | None = None,
                       axes: Sequence[str] = AXES) -> GlobalCurve | None:
    """Samples of the fold of cycles that starts at the Bautin point ``gh``.

    At ``y`` = GH's +- k ``step`` (k = 1, 2, ...) on each side, the cycle branch of
    every subcritical Hopf point (``l1 > 0``) of the equilibria in ``axes[0]`` is
    computed; an LP it labels inside the box is a point of the curve. A side stops at
    the first ``y`` with no such LP, or at the box, or after ``max_samples`` samples
    (then a note is appended to ``notes``). Returns None if no side gave a point.
    """
    notes = [] if notes is None else notes
    axes = tuple(axes)
    ax, ay = axes
    jg = gh.params[ay]
    found: list[tuple[float, float, float]] = []
    for sign in (1.0, -1.0):
        for k in range(1, max_samples + 1):
            y = jg + sign * k * step
            if not box[ay][0] <= y <= box[ay][1]:
                break
            cont, lps = _cycle_folds_at(model, params, y, x_range, box, axes)
            if not lps:
                break
            found += [(p.params[ax], y, p.period if p.period is not None else np.nan)
                      for p in lps]
        else:
            # the fold of cycles may go on: the sampling stopped at max_samples
            notes.append(f"{gh.label}: the fold of cycles still had LP points "
                         f"{max_samples} samples ({max_samples * step:.3g} in {ay}) away; "
                         "it is drawn only that far")
    if not found:
        return None
    found.append((gh.params[ax], jg, np.nan))
    found.sort(key=lambda q: q[1])
    a = np.array(found, dtype=float)
    return GlobalCurve("cycle_fold", a[:, 0], a[:, 1], gh.label, True, a[:, 2], axes)


def snic_curves(fold: ContinuationResult, box: Box, source: str, samples: int = 12,
                axes: Sequence[str] = AXES) -> tuple[list[SnicStretch], list[GlobalCurve]]:
    """The SNIC stretches of a fold curve inside ``box`` and the fold curve's points
    along each (those inside the box); a stretch's end outside the box is replaced by
    its last point inside (kind ``box edge``)."""
    axes = tuple(axes)
    ax, ay = axes
    stretches = []
    curves = []
    for s in snic_stretches(fold, samples=samples):
        b = fold.branches[s.branch]
        e, j = np.asarray(b.data[ax], float), np.asarray(b.data[ay], float)

        i0, i1 = sorted(int(np.argmin(np.hypot(e - end.params[ax], j - end.params[ay])))
                        for end in (s.start, s.end))
        ee, jj = e[i0:i1 + 1], j[i0:i1 + 1]
        keep = ((box[ax][0] <= ee) & (ee <= box[ax][1]) & (box[ay][0] <= jj)
                & (jj <= box[ay][1]))
        if keep.sum() < 2:
            continue  # the stretch lies outside the box
        ee, jj = ee[keep], jj[keep]
        curves.append(GlobalCurve("snic", ee, jj, source, axes=axes))
        # an end outside the box becomes the stretch's last point inside ("box edge")
        ends = []
        for end in (s.start, s.end):
            if _inside(end.params, box, axes):
                ends.append(end)
                continue
            k = int(np.argmin(np.hypot(ee - end.params[ax], jj - end.params[ay])))
            ends.append(StretchEnd("box edge", {ax: float(ee[k]), ay: float(jj[k])},
                                   {ax: 0.0, ay: 0.0}))
        stretches.append(replace(s, start=ends[0], end=ends[1]))
    return stretches, curves


def _homoclinic_curves(hom: ContinuationResult, box: Box, source: str,
                       axes: Sequence[str] = AXES) -> list[GlobalCurve]:
    """The branches of a homoclinic curve as polylines inside the box."""
    axes = tuple(axes)
    out = []
    for b in hom.branches:
        x, y = _in_box(b.data[axes[0]], b.data[axes[1]], box, axes)
        if len(x) >= 2:
            out.append(GlobalCurve("homoclinic", x, y, source, axes=axes))
    return out


def global_curves(model: Model, params: Mapping[str, float],
                  curves: Sequence[ContinuationResult], codim2: Sequence[SpecialPoint],
                  box: Box, *, snic: bool = True, cycle_fold_samples: int = 40,
                  axes: Sequence[str] = AXES) -> GlobalCurves:
    """Homoclinic curves from the BT points, folds of cycles from the GH points, and the
    SNIC stretches of the fold curves (see the module), all inside ``box``.

    Parameters
    ----------
    model, params
        The model and its parameters (the two of ``axes`` are set per run).
    curves : sequence of ContinuationResult
        The fold and Hopf curves in ``axes``.
    codim2 : sequence of SpecialPoint
        The codimension-two points on them (the BT and GH points inside the box are
        used).
    box : dict
        ``{axes[0]: (lo, hi), axes[1]: (lo, hi)}``; nothing outside is reported.
    snic : bool
        Look for SNIC stretches on the fold curves (:func:`thetabif.snic.snic_stretches`).
    cycle_fold_samples : int
        When a fold of cycles has to be sampled: samples per side of a GH point at
        most (at 1/40 of the box apart: the default reaches across the box).
    axes : (str, str)
        The two parameters of the plane (``x``, ``y``); cycle branches run in ``x``.

    Raises
    ------
    InputError
        ``axes`` are not two different parameters of the model, or ``box`` lacks a
        range ``lo < hi`` for one of them.
    """
    axes = tuple(axes)
    if (len(axes) != 2 or axes[0] == axes[1]
            or any(a not in model.parameter_names for a in axes)):
        raise InputError(f"axes must be two different parameters of {model.name} "
                         f"({', '.join(model.parameter_names)}), got {axes!r}")
    for a in axes:
        if a not in box or not float(box[a][0]) < float(box[a][1]):
            raise InputError(f"box needs {a!r}: (lo, hi) with lo < hi, got {box.get(a)}")
    ax, ay = axes
    out = GlobalCurves()
    box = {a: (float(box[a][0]), float(box[a][1])) for a in axes}
    pad = 0.1 * (box[ax][1] - box[ax][0])
    x_range = (box[ax][0] - pad, box[ax][1] + pad)
    hopf = [c for c in curves if c.kind == "hopf"]
    fold_sources: list[str] = []
    for p in codim2:
        if not _inside(p.params, box, axes):
            continue
        if p.type == "BT":
            near = [c for c in hopf if any(
                (abs(q.params[ax] - p.params[ax]) < 1e-4
                 and abs(q.params[ay] - p.params[ay]) < 1e-4)
                for q in c.special_points)]
            if not near:
                out.messages.append(f"{p.label}: no Hopf curve ends there, so no homoclinic "
                                    "curve was started from it")
                continue
            try:
                hom = homoclinic_from_bt(model, params, p, near[0], box, x_range, axes)
            except ContinuationFailed as exc:
                out.messages.append(str(exc))
                continue
            out.homoclinic.append(hom)
            out.messages += [f"homoclinic from {p.label}: {m}" for m in hom.messages]
            out.curves += _homoclinic_curves(hom, box, p.label, axes)
        elif p.type == "GH":
            if any(p.label in c.source.split(" - ") for c in out.curves
                   if c.kind == "cycle_fold"):
                continue  # the fold of cycles from another GH point ends here
            # 1/40 of the box, finer next to other codimension-two points (a fold of
            # cycles between two close GH points is short)
            gaps = [abs(q.params[ay] - p.params[ay]) for q in codim2
                    if q is not p and q.type in ("BT", "GH")]
            step = min([(box[ay][1] - box[ay][0]) / 40.0]
                       + [g / 4.0 for g in gaps if g > 1e-6])
            lpc, res = cycle_fold_from_gh(model, params, p, box, x_range, step,
                                          cycle_fold_samples, out.messages, axes, codim2)
            if res is not None and lpc is not None:
                out.cycle_folds.append(res)
                fold_sources.append(lpc.source)
                out.messages += [f"fold of cycles from {p.label}: {m}" for m in res.messages]
            if lpc is None:
                out.messages.append(f"{p.label}: no fold of cycles found next to it")
            else:
                out.curves.append(lpc)
    # Hopf curves without a BT point in the box (a box that cuts a homoclinic curve
    # away from its BT): one try from the middle of the curve; silent if its cycles do
    # not end at a homoclinic orbit
    with_bt = {id(c) for c in hopf for q in c.special_points
               if q.type == "BT" and _inside(q.params, box, axes)}
    for i, c in enumerate(hopf):
        if id(c) in with_bt:
            continue
        try:
            hom = homoclinic_from_hopf(model, params, c, box, x_range,
                                       label=f"Hopf curve {i + 1}", axes=axes)
        except ContinuationFailed as exc:
            if "end elsewhere" not in str(exc) and "no Hopf point" not in str(exc):
                out.messages.append(str(exc))
            continue
        out.homoclinic.append(hom)
        out.messages += [f"homoclinic from Hopf curve {i + 1}: {m}" for m in hom.messages]
        out.curves += _homoclinic_curves(hom, box, f"Hopf curve {i + 1}", axes)
    # where the folds of cycles say a stable cycle surrounds a stable equilibrium
    others = [(b.data[ax], b.data[ay]) for c in hopf for b in c.branches]
    others += [(g.x, g.y) for g in out.curves if g.kind == "homoclinic"]
    for res, source in zip(out.cycle_folds, fold_sources, strict=True):
        b = cycle_band(res, others, source, axes)
        if b is not None:
            out.bands.append(b)
    if snic:
        for i, c in enumerate(curves):
            if c.kind != "fold":
                continue
            try:
                st, cs = snic_curves(c, box, f"fold curve {i}", axes=axes)
            except (ContinuationError, InputError) as exc:
                out.messages.append(f"SNIC stretches of fold curve {i}: {exc}")
                continue
            out.snic += st
            out.curves += cs
    return out
