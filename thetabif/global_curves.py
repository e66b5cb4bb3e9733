"""Global bifurcation curves in (eta, J): homoclinic curves, folds of cycles, SNIC stretches.

The fold and Hopf curves (:mod:`thetabif.continuation.scan`) bound the regions where
the *equilibria* change. Cycles appear and vanish on three more kinds of curves, which
this module computes from the codimension-two points on those curves:

* **homoclinic** curves start at every Bogdanov-Takens (BT) point: a Hopf point on the
  Hopf curve through the BT, away from it, starts a cycle branch in eta that ends at a
  homoclinic orbit, and :meth:`Continuation.homoclinic` (HomCont) follows that orbit
  in (eta, J) inside the box. A Hopf curve without a BT point in the box (a box that
  cuts the homoclinic curve away from its BT) gets one try from its middle, silent
  when the cycles there end elsewhere;
* a **fold of cycles** (LPC) starts at every Bautin (GH) point, on the side of the Hopf
  curve where the Hopf point is subcritical (first Lyapunov coefficient ``l1 > 0``).
  thetabif has no two-parameter continuation of LPC points, so the curve is *sampled*:
  cycle branches from the subcritical Hopf points at several J (each one
  :meth:`Continuation.cycles` run) give the LP of cycles AUTO labels, one point per J;
  the sampling goes away from GH until a J value shows no LP of cycles (the curve has
  ended, e.g. on the homoclinic curve at a neutral saddle) or leaves the box;
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

from thetabif.continuation import Continuation, ContinuationFailed, ContinuationResult, SpecialPoint
from thetabif.continuation.options import CycleOptions
from thetabif.errors import ContinuationError, InputError
from thetabif.models import ThetaModel
from thetabif.snic import SnicStretch, StretchEnd, snic_stretches

#: Kinds of :class:`GlobalCurve`.
KINDS = ("homoclinic", "cycle_fold", "snic")
#: Where along the Hopf curve (fraction of the J distance from the BT point to the
#: curve's far end in the box) a Hopf point is tried as the start of the cycle branch
#: that ends at the homoclinic orbit: away from BT the orbits get long (periods of
#: 20..1000 start HomCont) before the branch reaches its end; the first that gives a
#: curve is kept.
HOMOCLINIC_STARTS = (0.5, 0.7, 0.3, 0.9, 0.1, 0.03)


#: A homoclinic curve shorter than this fraction of the box's J range (in both
#: parameters) is taken as a failed start: HomCont repeated its first point
#: (seen for the n = 2 first-order synapse model next to its BT point).
MIN_EXTENT = 1e-3


def _extent(res: ContinuationResult) -> float:
    """Largest span in eta or J of the branches of a curve."""
    spans = [float(np.ptp(b.data[k])) for b in res.branches if len(b) for k in ("eta", "J")]
    return max(spans, default=0.0)


@dataclass(frozen=True)
class GlobalCurve:
    """One global bifurcation curve as a polyline in (eta, J), inside the box.

    Attributes
    ----------
    kind : str
        ``homoclinic``, ``cycle_fold`` or ``snic`` (:data:`KINDS`).
    eta, J : numpy.ndarray
        The points, in order along the curve.
    source : str
        Where it comes from (``"BT1"``, ``"GH1"``, ``"fold curve 0"``).
    sampled : bool
        The points are samples (one AUTO run each) rather than a continuation.
    period : numpy.ndarray
        Period of the cycle at each point (``cycle_fold``; NaN otherwise).
    """

    kind: str
    eta: np.ndarray
    J: np.ndarray
    source: str = ""
    sampled: bool = False
    period: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: kind, source, sampled, eta, J, period."""
        return {"kind": self.kind, "source": self.source, "sampled": self.sampled,
                "eta": np.asarray(self.eta, float).tolist(),
                "J": np.asarray(self.J, float).tolist(),
                "period": np.asarray(self.period, float).tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GlobalCurve:
        """The curve :meth:`to_dict` wrote (``null`` read back as NaN)."""
        def arr(v: Any) -> np.ndarray:
            return np.array([np.nan if x is None else x for x in v], dtype=float)

        return cls(d["kind"], arr(d["eta"]), arr(d["J"]), d.get("source", ""),
                   bool(d.get("sampled", False)), arr(d.get("period", [])))


@dataclass
class GlobalCurves:
    """What :func:`global_curves` found: the curves, the SNIC stretches, messages."""

    curves: list[GlobalCurve] = field(default_factory=list)
    homoclinic: list[ContinuationResult] = field(default_factory=list)
    snic: list[SnicStretch] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


#: AUTO stops a run on the box's side to its tolerances (HomCont's last point was seen
#: 1.8e-7 beyond J = -25.5): points that far out are put on the side; farther ones are
#: dropped (relative to the box's size).
EDGE_TOL = 1e-6


def _in_box(eta: np.ndarray, J: np.ndarray, box: Mapping[str, tuple[float, float]]
            ) -> tuple[np.ndarray, np.ndarray]:
    """The points of a polyline inside ``box``: those at most :data:`EDGE_TOL` outside
    are moved onto its side, the others left out."""
    eta, J = np.asarray(eta, float).copy(), np.asarray(J, float).copy()
    keep = np.ones(eta.shape, bool)
    for arr, (lo, hi) in ((eta, box["eta"]), (J, box["J"])):
        tol = EDGE_TOL * (hi - lo)
        keep &= (arr >= lo - tol) & (arr <= hi + tol)
        np.clip(arr, lo, hi, out=arr)
    return eta[keep], J[keep]


def _inside(eta: float, J: float, box: Mapping[str, tuple[float, float]]) -> bool:
    return box["eta"][0] <= eta <= box["eta"][1] and box["J"][0] <= J <= box["J"][1]


def _hopf_points_at(model: ThetaModel, params: Mapping[str, float], J: float,
                    eta_range: tuple[float, float]) -> tuple[Continuation, list[SpecialPoint]]:
    """The Hopf points of the equilibria in eta at this J (one AUTO equilibrium run)."""
    cont = Continuation(model, {**params, "J": J, "eta": eta_range[0]})
    eq = cont.equilibria("eta", *eta_range)
    return cont, eq.special("HB")


def homoclinic_from_bt(model: ThetaModel, params: Mapping[str, float], bt: SpecialPoint,
                       hopf: ContinuationResult, box: Mapping[str, tuple[float, float]],
                       eta_range: tuple[float, float]) -> ContinuationResult:
    """The homoclinic curve that starts at the BT point ``bt`` of the Hopf curve ``hopf``.

    A Hopf point of the curve away from the BT (:data:`HOMOCLINIC_STARTS`) starts a
    cycle branch in eta (inside ``eta_range``); when it ends at a homoclinic orbit, its
    long orbit starts :meth:`Continuation.homoclinic` inside ``box``.

    Raises
    ------
    ContinuationFailed
        No start gave a homoclinic curve (the messages of every attempt).
    """
    return homoclinic_from_hopf(model, params, hopf, box, eta_range, bt.params["J"],
                                bt.label, HOMOCLINIC_STARTS)


def homoclinic_from_hopf(model: ThetaModel, params: Mapping[str, float],
                         hopf: ContinuationResult, box: Mapping[str, tuple[float, float]],
                         eta_range: tuple[float, float], anchor: float | None = None,
                         label: str = "the Hopf curve",
                         fractions: Sequence[float] = (0.5,)) -> ContinuationResult:
    """A homoclinic curve from the cycle branch of a Hopf point of ``hopf``.

    The Hopf points tried lie at ``fractions`` of the way, in J, from ``anchor`` (a BT
    point's J; default: the curve's lowest J inside the box) to the curve's point
    inside the box farthest from it.

    Raises
    ------
    ContinuationFailed
        No start gave a homoclinic curve (the messages of every attempt).
    """
    e = np.concatenate([b.data["eta"] for b in hopf.branches])
    j = np.concatenate([b.data["J"] for b in hopf.branches])
    ok = (box["J"][0] <= j) & (j <= box["J"][1]) & (box["eta"][0] <= e) & (e <= box["eta"][1])
    if not ok.any():
        raise ContinuationFailed(f"{label}: the Hopf curve has no point inside the box")
    jb = float(j[ok].min()) if anchor is None else float(anchor)
    far = j[ok][np.argmax(np.abs(j[ok] - jb))]
    tried = []
    for frac in fractions:
        J = jb + frac * (far - jb)
        # eta of the Hopf curve at this J: its point nearest in J
        k = int(np.argmin(np.abs(j - J)))
        try:
            cont, hbs = _hopf_points_at(model, params, float(J), eta_range)
            if not hbs:
                tried.append(f"J = {J:.4g}: no Hopf point")
                continue
            hb = min(hbs, key=lambda p: abs(p.params["eta"] - e[k]))
            cyc = cont.cycles(hb, "eta", *eta_range, options=CycleOptions())
            if not any("homoclinic" in m for m in cyc.messages):
                tried.append(f"J = {J:.4g}: the cycles from {hb.label} end elsewhere")
                continue
            hom = cont.homoclinic(cyc, ("eta", "J"), dict(box))
            if _extent(hom) < MIN_EXTENT * (box["J"][1] - box["J"][0]):
                tried.append(f"J = {J:.4g}: HomCont's curve did not move from its start")
                continue
            return hom
        except (ContinuationError, InputError) as exc:
            tried.append(f"J = {J:.4g}: {exc}")
    raise ContinuationFailed(f"no homoclinic curve from {label}: " + "; ".join(tried))


def cycle_fold_from_gh(model: ThetaModel, params: Mapping[str, float], gh: SpecialPoint,
                       box: Mapping[str, tuple[float, float]], eta_range: tuple[float, float],
                       step: float, max_samples: int = 12, notes: list[str] | None = None
                       ) -> GlobalCurve | None:
    """Samples of the fold of cycles that starts at the Bautin point ``gh``.

    At J = ``gh`` J +- k ``step`` (k = 1, 2, ...) on each side, the cycle branch of
    every subcritical Hopf point (``l1 > 0``) of the equilibria in eta is computed; an
    LP it labels inside the box is a point of the curve. A side stops at the first J
    with no such LP, or at the box, or after ``max_samples`` samples (then a note is
    appended to ``notes``). Returns None if no side gave a point.
    """
    notes = [] if notes is None else notes
    jg = gh.params["J"]
    found: list[tuple[float, float, float]] = []
    for sign in (1.0, -1.0):
        for k in range(1, max_samples + 1):
            J = jg + sign * k * step
            if not box["J"][0] <= J <= box["J"][1]:
                break
            try:
                cont, hbs = _hopf_points_at(model, params, J, eta_range)
            except (ContinuationError, InputError):
                break
            pts = []
            for hb in hbs:
                if hb.l1 is None or hb.l1 <= 0:
                    continue
                try:
                    cyc = cont.cycles(hb, "eta", *eta_range, options=CycleOptions())
                except (ContinuationError, InputError):
                    continue
                pts += [(p.params["eta"], J, p.period if p.period is not None else np.nan)
                        for p in cyc.special("LP") if _inside(p.params["eta"], J, box)]
            if not pts:
                break
            found += pts
        else:
            # the fold of cycles may go on: the sampling stopped at max_samples
            notes.append(f"{gh.label}: the fold of cycles still had LP points "
                         f"{max_samples} samples ({max_samples * step:.3g} in J) away; "
                         "it is drawn only that far")
    if not found:
        return None
    found.append((gh.params["eta"], jg, np.nan))
    found.sort(key=lambda q: q[1])
    a = np.array(found, dtype=float)
    return GlobalCurve("cycle_fold", a[:, 0], a[:, 1], gh.label, True, a[:, 2])


def snic_curves(fold: ContinuationResult, box: Mapping[str, tuple[float, float]],
                source: str, samples: int = 12) -> tuple[list[SnicStretch], list[GlobalCurve]]:
    """The SNIC stretches of a fold curve inside ``box`` and the fold curve's points
    along each (those inside the box); a stretch's end outside the box is replaced by
    its last point inside (kind ``box edge``)."""
    stretches = []
    curves = []
    for s in snic_stretches(fold, samples=samples):
        b = fold.branches[s.branch]
        e, j = np.asarray(b.data["eta"], float), np.asarray(b.data["J"], float)

        i0, i1 = sorted(int(np.argmin(np.hypot(e - end.params["eta"], j - end.params["J"])))
                        for end in (s.start, s.end))
        ee, jj = e[i0:i1 + 1], j[i0:i1 + 1]
        keep = (box["eta"][0] <= ee) & (ee <= box["eta"][1]) & (box["J"][0] <= jj) & (
            jj <= box["J"][1])
        if keep.sum() < 2:
            continue  # the stretch lies outside the box
        ee, jj = ee[keep], jj[keep]
        curves.append(GlobalCurve("snic", ee, jj, source))
        # an end outside the box becomes the stretch's last point inside ("box edge")
        ends = []
        for end in (s.start, s.end):
            if _inside(end.params["eta"], end.params["J"], box):
                ends.append(end)
                continue
            k = int(np.argmin(np.hypot(ee - end.params["eta"], jj - end.params["J"])))
            ends.append(StretchEnd("box edge", {"eta": float(ee[k]), "J": float(jj[k])},
                                   {"eta": 0.0, "J": 0.0}))
        stretches.append(replace(s, start=ends[0], end=ends[1]))
    return stretches, curves


def _homoclinic_curves(hom: ContinuationResult, box: Mapping[str, tuple[float, float]],
                       source: str) -> list[GlobalCurve]:
    """The branches of a homoclinic curve as polylines inside the box."""
    out = []
    for b in hom.branches:
        eta, J = _in_box(b.data["eta"], b.data["J"], box)
        if len(eta) >= 2:
            out.append(GlobalCurve("homoclinic", eta, J, source))
    return out


def global_curves(model: ThetaModel, params: Mapping[str, float],
                  curves: Sequence[ContinuationResult], codim2: Sequence[SpecialPoint],
                  box: Mapping[str, tuple[float, float]], *, snic: bool = True,
                  cycle_fold_samples: int = 40,
                  axes: Sequence[str] = ("eta", "J")) -> GlobalCurves:
    """Homoclinic curves from the BT points, folds of cycles from the GH points, and the
    SNIC stretches of the fold curves (see the module), all inside ``box``.

    Parameters
    ----------
    model, params
        The model and its parameters (``eta`` and ``J`` are set per run).
    curves : sequence of ContinuationResult
        The fold and Hopf curves in (eta, J).
    codim2 : sequence of SpecialPoint
        The codimension-two points on them (the BT and GH points inside the box are
        used).
    box : dict
        ``{"eta": (lo, hi), "J": (lo, hi)}``; nothing outside is reported.
    snic : bool
        Look for SNIC stretches on the fold curves (:func:`thetabif.snic.snic_stretches`).
    cycle_fold_samples : int
        J samples per side of a GH point at most (at 1/40 of the box apart: the default
        reaches across the box).
    axes : (str, str)
        The two parameters of the diagram; only (eta, J) of a single population is
        computed (other axes: an empty result with a message).
    """
    if tuple(axes) != ("eta", "J"):
        return GlobalCurves(
            messages=["global curves: computed in (eta, J) of a single population only"])
    out = GlobalCurves()
    box = {k: (float(v[0]), float(v[1])) for k, v in box.items()}
    pad = 0.1 * (box["eta"][1] - box["eta"][0])
    eta_range = (box["eta"][0] - pad, box["eta"][1] + pad)
    hopf = [c for c in curves if c.kind == "hopf"]
    for p in codim2:
        if not _inside(p.params["eta"], p.params["J"], box):
            continue
        if p.type == "BT":
            near = [c for c in hopf if any(
                (abs(q.params["eta"] - p.params["eta"]) < 1e-4
                 and abs(q.params["J"] - p.params["J"]) < 1e-4)
                for q in c.special_points)]
            if not near:
                out.messages.append(f"{p.label}: no Hopf curve ends there")
                continue
            try:
                hom = homoclinic_from_bt(model, params, p, near[0], box, eta_range)
            except ContinuationFailed as exc:
                out.messages.append(str(exc))
                continue
            out.homoclinic.append(hom)
            out.messages += [f"homoclinic from {p.label}: {m}" for m in hom.messages]
            out.curves += _homoclinic_curves(hom, box, p.label)
        elif p.type == "GH":
            # 1/40 of the box, finer next to other codimension-two points (a fold of
            # cycles between two close GH points is short)
            gaps = [abs(q.params["J"] - p.params["J"]) for q in codim2
                    if q is not p and q.type in ("BT", "GH")]
            step = min([(box["J"][1] - box["J"][0]) / 40.0]
                       + [g / 4.0 for g in gaps if g > 1e-6])
            lpc = cycle_fold_from_gh(model, params, p, box, eta_range, step,
                                     cycle_fold_samples, out.messages)
            if lpc is None:
                out.messages.append(f"{p.label}: no fold of cycles found next to it")
            else:
                out.curves.append(lpc)
    # Hopf curves without a BT point in the box (a box that cuts a homoclinic curve
    # away from its BT): one try from the middle of the curve; silent if its cycles do
    # not end at a homoclinic orbit
    with_bt = {id(c) for c in hopf for q in c.special_points
               if q.type == "BT" and _inside(q.params["eta"], q.params["J"], box)}
    for i, c in enumerate(hopf):
        if id(c) in with_bt:
            continue
        try:
            hom = homoclinic_from_hopf(model, params, c, box, eta_range,
                                       label=f"Hopf curve {i + 1}")
        except ContinuationFailed as exc:
            if "end elsewhere" not in str(exc) and "no Hopf point" not in str(exc):
                out.messages.append(str(exc))
            continue
        out.homoclinic.append(hom)
        out.messages += [f"homoclinic from Hopf curve {i + 1}: {m}" for m in hom.messages]
        out.curves += _homoclinic_curves(hom, box, f"Hopf curve {i + 1}")
    if snic:
        for i, c in enumerate(curves):
            if c.kind != "fold":
                continue
            try:
                st, cs = snic_curves(c, box, f"fold curve {i}")
            except (ContinuationError, InputError) as exc:
                out.messages.append(f"SNIC stretches of fold curve {i}: {exc}")
                continue
            out.snic += st
            out.curves += cs
    return out
