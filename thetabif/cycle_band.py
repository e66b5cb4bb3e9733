"""Where a stable cycle surrounds a stable equilibrium next to a fold of cycles.

Near a Bautin point a subcritical Hopf point's unstable cycle and the stable cycle
outside it are born together on the fold of cycles; between that curve and the Hopf
curve (or the homoclinic curve, where the unstable cycle ends first) the stable
equilibrium coexists with the stable cycle (region 5 of a phase diagram). The band is
often far thinner than a grid cell, and an attractor grid that looks for cycles only
from unstable foci misses it. :func:`cycle_band` builds it from a continued fold of
cycles (:meth:`thetabif.continuation.Continuation.cycle_fold`, with its stored orbits)
and the neighbouring curves; :meth:`CycleBand.start` gives the state from which a
simulation starts on the predicted cycle (:func:`thetabif.phase_diagram.classify_grid`
confirms each cell by simulation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thetabif.continuation import ContinuationResult


def _crossings(x: np.ndarray, y: np.ndarray, level: float) -> list[float]:
    """x where the polyline (x, y) crosses y = level (linear between its points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    s = np.sign(y - level)
    out = []
    for i in np.flatnonzero(s[:-1] * s[1:] <= 0):
        w = 0.0 if y[i + 1] == y[i] else (level - y[i]) / (y[i + 1] - y[i])
        out.append(float(x[i] + w * (x[i + 1] - x[i])))
    return out


@dataclass(frozen=True)
class CycleBand:
    """Where the curves predict a stable cycle around a stable equilibrium: between a
    fold of cycles and the nearest Hopf or homoclinic curve, row by row.

    Near a Bautin point a subcritical Hopf point's unstable cycle and the stable cycle
    outside it are born together at the fold of cycles: between the fold and the Hopf
    curve (or the homoclinic curve, where the unstable cycle ends first) the stable
    equilibrium inside coexists with the stable cycle. The band can be far thinner than
    a grid cell (< 0.1 in eta for the n = 2 model, Delta = 0.5).

    Attributes
    ----------
    source : str
        The fold of cycles' source (``"GH1"``).
    x_fold, x_other, y : numpy.ndarray
        Per point of the fold of cycles (in order along it): its ``x`` and ``y``, and
        ``x`` of the nearest Hopf or homoclinic curve at that ``y``.
    states : numpy.ndarray
        Per point (rows): a point of the nearest orbit AUTO stored, from which a
        simulation starts on the predicted cycle.
    axes : tuple of str
    """

    source: str
    x_fold: np.ndarray
    x_other: np.ndarray
    y: np.ndarray
    states: np.ndarray
    axes: tuple[str, str] = ("eta", "J")

    def start(self, x: float, y: float) -> np.ndarray | None:
        """The state to start a simulation from at (x, y) if it lies in the band (that
        of the band's nearer row), else None."""
        for i in range(len(self.y) - 1):
            lo, hi = sorted((self.y[i], self.y[i + 1]))
            if not lo <= y <= hi:
                continue
            w = 0.0 if hi == lo else (y - self.y[i]) / (self.y[i + 1] - self.y[i])
            a = self.x_fold[i] + w * (self.x_fold[i + 1] - self.x_fold[i])
            b = self.x_other[i] + w * (self.x_other[i + 1] - self.x_other[i])
            if min(a, b) <= x <= max(a, b):
                return self.states[i if w < 0.5 else i + 1]
        return None

    def polygon(self) -> np.ndarray:
        """The band's outline (points x rows of (x, y)): along the fold of cycles, then
        back along the other curve."""
        return np.vstack([np.column_stack([self.x_fold, self.y]),
                          np.column_stack([self.x_other, self.y])[::-1]])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: source, axes, x_fold, x_other, y (the states left out)."""
        return {"source": self.source, "axes": list(self.axes),
                "x_fold": np.asarray(self.x_fold, float).tolist(),
                "x_other": np.asarray(self.x_other, float).tolist(),
                "y": np.asarray(self.y, float).tolist()}


def cycle_band(fold: ContinuationResult, others: Sequence[tuple[np.ndarray, np.ndarray]],
               source: str, axes: Sequence[str] = ("eta", "J")) -> CycleBand | None:
    """The :class:`CycleBand` of a fold of cycles (:meth:`Continuation.cycle_fold`)
    against the polylines ``others`` (Hopf and homoclinic curves as (x, y)): at each
    point of the fold of cycles (one pass along it), the nearest crossing of ``others``
    in its row, and the start state of the stored orbit nearest to the point. None
    when fewer than two points have such a crossing or no orbit was stored."""
    ax, ay = tuple(axes)
    if not fold.orbits:
        return None
    ox = np.array([[o[ax], o[ay]] for o in fold.orbits], dtype=float)
    ost = np.array([o["state"] for o in fold.orbits], dtype=float)
    # the "-" direction reversed, then the "+" one (both start at the same point)
    parts = sorted(fold.branches, key=lambda b: b.direction)
    xs = [np.asarray(b.data[ax], float) for b in parts]
    ys = [np.asarray(b.data[ay], float) for b in parts]
    if parts and parts[0].direction < 0:
        xs[0], ys[0] = xs[0][::-1], ys[0][::-1]
    rows = []
    for x, y in zip(np.concatenate(xs), np.concatenate(ys), strict=True):
        cross = [c for cx, cy in others for c in _crossings(cx, cy, y)]
        if cross:
            k = int(np.argmin(np.hypot(ox[:, 0] - x, ox[:, 1] - y)))
            rows.append((x, min(cross, key=lambda c: abs(c - x)), y, ost[k]))
    if len(rows) < 2:
        return None
    return CycleBand(source, np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                     np.array([r[2] for r in rows]), np.array([r[3] for r in rows], float),
                     (ax, ay))
