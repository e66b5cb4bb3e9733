"""Fold and Hopf curves in (eta, J) from the LP and HB points of equilibrium runs.

Owns the one LP/HB scan (used by :mod:`thetabif.phase_diagram` and
:mod:`thetabif.verification.grid`): equilibria in ``eta`` at several ``J``, and every
fold (LP) and Hopf (HB) point on them followed in two parameters unless it lies on a
curve of its kind already followed (:func:`near_curve`), so each curve is computed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thetabif.continuation.api import Continuation
from thetabif.continuation.records import ContinuationResult, SpecialPoint
from thetabif.errors import ContinuationError
from thetabif.models import ThetaModel


@dataclass(frozen=True)
class FollowedCurve:
    """A fold or Hopf curve and where it was followed from.

    Attributes
    ----------
    point : SpecialPoint
        The LP or HB point of the equilibrium run.
    row : float
        ``J`` of that equilibrium run.
    result : ContinuationResult
        The curve (``kind`` ``"fold"`` or ``"hopf"``).
    """

    point: SpecialPoint
    row: float
    result: ContinuationResult


def near_curve(eta: float, J: float, curve_eta: np.ndarray, curve_J: np.ndarray,
               tol: float = 1e-3) -> bool:
    """Whether (eta, J) lies within ``tol`` of the polyline through the curve's points."""
    x, y = np.asarray(curve_eta, dtype=float), np.asarray(curve_J, dtype=float)
    if x.size == 0:
        return False
    if x.size == 1:
        return bool(np.hypot(x[0] - eta, y[0] - J) < tol)
    ax, ay, dx, dy = x[:-1], y[:-1], np.diff(x), np.diff(y)
    t = np.clip(((eta - ax) * dx + (J - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-300),
                0.0, 1.0)
    return bool(np.min(np.hypot(ax + t * dx - eta, ay + t * dy - J)) < tol)


def _on_curves(p: SpecialPoint, kind: str, followed: Sequence[FollowedCurve],
               axes: tuple[str, str] = ("eta", "J")) -> bool:
    a, b = axes
    return any(near_curve(p.params[a], p.params[b], br.data[a], br.data[b])
               for f in followed if f.result.kind == kind for br in f.result.branches)


def fold_hopf_curves(model: ThetaModel, params: Mapping[str, float], rows: Sequence[float],
                     eta_range: tuple[float, float], box: Mapping[str, tuple[float, float]],
                     *, first: tuple[Continuation, ContinuationResult] | None = None,
                     axes: Sequence[str] = ("eta", "J"),
                     **curve_options: Any) -> tuple[list[FollowedCurve], list[str]]:
    """Follow every fold and Hopf point of equilibrium runs in eta at several J.

    ``eta`` and ``J`` stand for the two parameters ``axes`` (default ``("eta", "J")``;
    for a circuit e.g. ``("eta_E", "J_EE")``): the runs are in ``axes[0]`` at several
    values of ``axes[1]``.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        Parameters of the runs (each row sets ``J``; ``eta`` is where they start).
    rows : sequence of float
        The ``J`` values of the equilibrium runs in ``eta`` over ``eta_range``.
    eta_range : (float, float)
        Range of the equilibrium runs.
    box : dict
        ``{"eta": (lo, hi), "J": (lo, hi)}``: the curves are followed until they leave it.
    first : (Continuation, ContinuationResult), optional
        An equilibrium run already made, whose points are followed before the rows'.
    **curve_options
        Passed to :meth:`Continuation.curve` (e.g. ``dsmax``).

    Returns
    -------
    curves : list of FollowedCurve
        In the order they were followed.
    messages : list of str
        Runs and curves that failed, and why.
    """
    followed: list[FollowedCurve] = []
    messages: list[str] = []
    ax = (str(axes[0]), str(axes[1]))

    def follow(cont: Continuation, run: ContinuationResult, row: float) -> None:
        for p in run.special_points:
            if p.type not in ("LP", "HB"):
                continue
            kind = "fold" if p.type == "LP" else "hopf"
            if _on_curves(p, kind, followed, ax):
                continue
            try:
                res = cont.curve(p, ax, box, **curve_options)
            except ContinuationError as exc:
                messages.append(f"{kind} curve from {p.label} at {ax[1]}={p.params[ax[1]]:g}: "
                                f"{exc}")
                continue
            followed.append(FollowedCurve(p, row, res))

    if first is not None:
        follow(first[0], first[1], float(first[0].params[ax[1]]))
    for j in rows:
        try:
            cont = Continuation(model, {**params, ax[1]: float(j)})
            run = cont.equilibria(ax[0], *eta_range)
        except (ContinuationError, ValueError) as exc:
            messages.append(f"equilibria at {ax[1]}={j:g}: {exc}")
            continue
        follow(cont, run, float(j))
    return followed, messages
