"""Brute-force check of a phase diagram in (eta, J).

``eta`` and ``J`` stand for the diagram's two parameters, its ``axes``: ``("eta",
"J")`` for a :class:`~thetabif.models.ThetaModel`, any two parameters of a circuit
(default: the first population's ``eta_P`` and self-edge weight ``J_PP``, see
:func:`thetabif.phase_diagram.default_axes`).

The diagram's two-parameter curves (folds and Hopf points, continued on AUTO-07p)
cut the (eta, J) plane into regions in which the set of attractors cannot change.
:func:`verify_grid` labels each region once, at its point farthest from every curve
(number of stable equilibria, and "oscillation" when there is none: the disk is
invariant, so some attractor exists and it must be periodic or more complex), then
simulates every grid cell from several initial conditions -- a point next to each
stable equilibrium present there and random points in the disk -- classifies what
they reach, and compares. A mismatch is *explained* when the cell lies within
``near`` grid steps of a curve (critical slowing down, and the region of a cell on a
curve is ambiguous); unexplained mismatches make the check fail.

The curves include the global ones (:mod:`thetabif.global_curves`): the homoclinic
curve from every Bogdanov-Takens point, the fold of cycles from every Bautin point
(sampled by cycle runs, joined by straight segments) and the SNIC stretches of the
fold curves. A region's label then says whether a stable cycle coexists with its
stable equilibria (``1 stable eq + oscillation``): at the region's reference point,
the cycle branches of every Hopf point of the equilibria in eta at that J are
computed on AUTO-07p (:func:`predicted_cycle`) and a stable orbit at the point's eta
(Floquet multipliers) counts. Where no equilibrium is stable, an oscillation is
predicted as before.

Known limit: a stable cycle that is not connected, at the reference point's J, to a
Hopf point by a branch in eta is not predicted.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from thetabif.continuation import Continuation
from thetabif.continuation.scan import fold_hopf_curves
from thetabif.equilibrium import find_equilibria, newton
from thetabif.errors import ContinuationError, InputError
from thetabif.global_curves import global_curves as global_curves_of
from thetabif.models import Model, ThetaModel, model_from_record
from thetabif.phase_diagram import check_axes
from thetabif.plotting import axis_label
from thetabif.records import (
    LoadableRecord,
    all_writable,
    json_text,
    model_options,
    overwriting,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Curve:
    """One two-parameter curve: ``kind`` is ``fold``, ``hopf``, ``homoclinic``,
    ``cycle_fold`` or ``snic`` (:mod:`thetabif.global_curves`); ``eta`` and ``J``: its
    points' values of the first and second axis."""

    kind: str
    eta: np.ndarray
    J: np.ndarray
    source: str = ""


@dataclass(frozen=True)
class BifurcationCurves(LoadableRecord):
    """The fold and Hopf curves of a model in (eta, J).

    Use :meth:`compute` to obtain it from continuation, :meth:`shifted` to perturb it;
    :meth:`save` writes it as JSON, :meth:`load` reads it back. ``axes``: the two
    parameters (``Curve.eta`` holds the first's values, ``Curve.J`` the second's).
    """

    model: Model
    params: dict
    curves: tuple[Curve, ...]
    axes: tuple[str, str] = ("eta", "J")

    what: ClassVar[str] = "bifurcation curves"

    @classmethod
    def compute(cls, model: Model, params: Mapping[str, float] | None,
                eta_range: tuple[float, float], J_range: tuple[float, float], *,
                rows: int = 3, global_curves: bool = True,
                axes: Sequence[str] | None = None) -> BifurcationCurves:
        """Continue equilibria in eta at ``rows`` values of J; follow every LP and HB;
        with ``global_curves``, add the homoclinic curves (from BT points), folds of
        cycles (from GH points) and SNIC stretches (:mod:`thetabif.global_curves`).

        The eta runs start at the low end of the padded range, where the quiescent
        state is the only equilibrium; the fold and Hopf curves are followed over the
        range padded by its own width on every side, the global curves over the range
        padded by half its width. The inputs (``I_ext``, a circuit's ``I_ext_P``) are
        set to 0. ``axes``: default :func:`thetabif.phase_diagram.default_axes`.
        """
        a, b = check_axes(model, axes)
        (e0, e1), (j0, j1) = eta_range, J_range
        pe, pj = e1 - e0, j1 - j0
        box = {a: (e0 - pe, e1 + pe), b: (j0 - pj, j1 + pj)}
        base = model.validate_params(params)
        quiet = {n: 0.0 for n in model.input_names}
        followed, _ = fold_hopf_curves(model, {**base, a: box[a][0], **quiet},
                                       np.linspace(j0, j1, rows), box[a], box, axes=(a, b))
        curves = [Curve(f.result.kind, np.asarray(br.data[a], float),
                        np.asarray(br.data[b], float), f"{f.point.label} at {b}={f.row:g}")
                  for f in followed for br in f.result.branches]
        if global_curves:
            results = [f.result for f in followed]
            codim2 = []
            for p in (q for r in results for q in r.special_points if q.type in ("BT", "GH")):
                if not any(q.type == p.type and abs(q.params[a] - p.params[a]) < 1e-4
                           and abs(q.params[b] - p.params[b]) < 1e-4 for q in codim2):
                    codim2.append(p)
            gbox = {a: (e0 - 0.5 * pe, e1 + 0.5 * pe), b: (j0 - 0.5 * pj, j1 + 0.5 * pj)}
            found = global_curves_of(model, {**base, **quiet}, results, codim2, gbox,
                                     axes=(a, b))
            curves += [Curve(c.kind, c.eta, c.J, c.source) for c in found.curves]
        return cls(model, dict(base), tuple(curves), (a, b))

    def without(self, kind: str) -> BifurcationCurves:
        """A deliberately incomplete diagram: every curve of ``kind`` left out."""
        return replace(self, curves=tuple(c for c in self.curves if c.kind != kind))

    def shifted(self, d_eta: float = 0.0, d_J: float = 0.0) -> BifurcationCurves:
        """A deliberately wrong diagram: every curve moved by (d_eta, d_J)."""
        return replace(self, curves=tuple(replace(c, eta=c.eta + d_eta, J=c.J + d_J)
                                          for c in self.curves))

    def to_dict(self) -> dict[str, Any]:
        """The model (name and options), the parameters, the axes and every curve's
        points (keyed by the axes' names)."""
        a, b = self.axes
        return {"model": self.model.name, "model_options": model_options(self.model),
                "params": self.params, "axes": [a, b],
                "curves": [{"kind": c.kind, "source": c.source, a: c.eta.tolist(),
                            b: c.J.tolist()} for c in self.curves]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BifurcationCurves:
        """The curves :meth:`to_dict` wrote (without ``axes``: eta and J)."""
        a, b = d.get("axes", ("eta", "J"))
        return cls(model_from_record(d["model_options"]), dict(d["params"]),
                   tuple(Curve(c["kind"], np.asarray(c[a], float),
                               np.asarray(c[b], float), c["source"]) for c in d["curves"]),
                   (a, b))


def _dense_points(diagram: BifurcationCurves, se: float, sj: float, spacing: float = 0.05
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Curve points in scaled units (grid steps), at most ``spacing`` apart."""
    pts, kinds = [], []
    for k, c in enumerate(diagram.curves):
        x, y = c.eta / se, c.J / sj
        for i in range(len(x) - 1):
            n = max(1, int(math.ceil(math.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) / spacing)))
            w = np.arange(n) / n
            pts.append(np.column_stack([x[i] + w * (x[i + 1] - x[i]),
                                        y[i] + w * (y[i + 1] - y[i])]))
            kinds.append(np.full(n, k))
    if not pts:
        return np.zeros((0, 2)), np.zeros(0, int)
    return np.vstack(pts), np.concatenate(kinds)


# ------------------------------------------------------------------- one cell
def _model_of(spec: dict) -> Model:
    return model_from_record(spec)


def _start_points(model: Model, state: np.ndarray) -> dict[str, complex] | complex:
    """``z0`` of :func:`thetabif.simulation.solve` next to ``state``: each population's
    ``z`` moved 1e-3 toward the disk's centre (keeps the start inside)."""
    zs = {}
    for pop, (i, j) in zip(model.population_names, model.population_states, strict=True):
        z = complex(state[i], state[j])
        zs[pop] = z * (1 - 1e-3) if abs(z) > 0 else 1e-3
    return zs[""] if isinstance(model, ThetaModel) else zs


def _random_start(model: Model, rng: np.random.Generator) -> dict[str, complex] | complex:
    """``z0`` uniform in the disk of radius 0.95, one per population."""
    zs = {}
    for pop in model.population_names:
        rad, ang = 0.95 * math.sqrt(rng.random()), 2 * math.pi * rng.random()
        zs[pop] = rad * complex(math.cos(ang), math.sin(ang))
    return zs[""] if isinstance(model, ThetaModel) else zs


def run_cell(task: dict[str, Any]) -> dict[str, Any]:
    """Simulate one cell from its initial conditions and classify the attractors.

    Top-level (picklable) so process pools and dask workers can run it. A circuit
    starts each population from its own ``z``; its synaptic and adaptation states
    start at rest (:func:`thetabif.simulation.initial_state`), which is the
    equilibrium's own state when every ``z`` is the equilibrium's.
    """
    from thetabif.simulation import SimulationError, solve

    model = _model_of(task["model"])
    a, b = task.get("axes", ("eta", "J"))
    params = model.validate_params(task["params"])
    rng = np.random.default_rng(task["seed"])
    eqs = find_equilibria(model, params)
    z0s: list[Any] = []
    for e in eqs:
        # next to every stable equilibrium, and next to unstable foci (a cycle may
        # surround them)
        if e.stable or np.any(e.eigenvalues.imag != 0):
            z0s.append(_start_points(model, e.state))
    for _ in range(task["n_random"]):
        z0s.append(_random_start(model, rng))
    num = model.numeric
    p = num.parameter_vector(params)
    finals: list[np.ndarray] = []
    oscillating = errors = 0
    t_end = task["t_end"]
    for z0 in z0s:
        try:
            *_, t, states = solve(model, params, t_end=t_end, dt=0.05, z0=z0, rtol=1e-8,
                                  atol=1e-10)
        except SimulationError:
            errors += 1
            continue
        r = np.asarray(num.output("r", states, p), float)
        last = r[t >= t_end - 20]
        prev = r[(t >= t_end - 40) & (t < t_end - 20)]
        amp, amp_prev = float(np.ptp(last)), float(np.ptp(prev))
        # sustained: visible (1e-4 of the level) and not decaying over the last 40
        if amp > 1e-4 * (1 + abs(float(last.mean()))) and amp > 0.8 * amp_prev:
            oscillating += 1
            continue
        u_end = states[:, -1].copy()
        u = newton(model, params, u_end, tol=1e-9)
        u = u_end if u is None else u
        if not any(np.max(np.abs(u - f)) < 1e-5 for f in finals):
            finals.append(u)
    return {a: task["params"][a], b: task["params"][b], "i": task["i"],
            "j": task["j"], "observed_stable": len(finals),
            "observed_oscillation": oscillating > 0, "initial_conditions": len(z0s),
            "errors": errors,
            "observed_r": sorted(float(num.output("r", u, p)) for u in finals)}


def predicted_cycle(model: Model, params: Mapping[str, float], eta: float, J: float,
                    eta_range: tuple[float, float],
                    axes: tuple[str, str] = ("eta", "J")) -> bool:
    """Whether continuation predicts a stable cycle at (eta, J) (values of ``axes``).

    The equilibria in eta at this J (inside ``eta_range``) on AUTO-07p, the cycle branch
    of each of their Hopf points, and a stable orbit (Floquet multipliers) on a stretch
    of a branch that spans ``eta``: two neighbouring orbits, both stable, on either
    side of it. A cycle run that fails is repeated over a range 10 wider on each side;
    runs that fail again predict nothing.
    """
    a, b = axes
    try:
        cont = Continuation(model, {**params, a: eta_range[0], b: J})
        hbs = cont.equilibria(a, *eta_range).special("HB")
    except (ContinuationError, InputError):
        return False
    lo, hi = eta_range
    for hb in hbs:
        cyc = None
        # AUTO stops 1 % of the range's width beyond its ends; where that lies just past
        # the homoclinic end of the branch, AUTO fails (MX): retry with other ends
        for pad in (0.0, 10.0):
            try:
                cyc = cont.cycles(hb, a, lo - pad, hi + pad)
                break
            except (ContinuationError, InputError):
                continue
        if cyc is None:
            continue
        for br in cyc.branches:
            e = np.asarray(br.data[a], float)
            st = np.asarray(br.data["stable"], bool)
            both = st[:-1] & st[1:]
            span = (np.minimum(e[:-1], e[1:]) <= eta) & (eta <= np.maximum(e[:-1], e[1:]))
            if np.any(both & span):
                return True
    return False


def _label(n_stable: int, osc: bool) -> str:
    parts = [f"{n_stable} stable eq"] if n_stable else []
    if osc:
        parts.append("oscillation")
    return " + ".join(parts) or "none"


# ------------------------------------------------------------------- result
@dataclass(frozen=True)
class GridResult(LoadableRecord):
    """Cells of the brute-force check, with predicted and observed labels.

    :meth:`save` writes the record as JSON and :meth:`load` reads it back;
    :meth:`write` writes the table, the summary, the diagram and the figure into a
    folder.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per cell: ``eta``, ``J`` (the diagram's axes' names), ``region``,
        ``predicted``, ``observed``,
        ``match``, ``distance`` (to the nearest curve, in grid steps), ``nearest``
        (kind of that curve), ``explained``.
    diagram : BifurcationCurves
    near : float
        Distance (grid steps) within which a mismatch counts as explained.
    """

    cells: Any
    diagram: BifurcationCurves
    near: float
    eta: np.ndarray = field(repr=False)
    J: np.ndarray = field(repr=False)

    what: ClassVar[str] = "grid check"
    #: the files :meth:`write` writes into its folder
    FILES: ClassVar[tuple[str, ...]] = ("cells.csv", "summary.json", "diagram.json",
                                        "grid.png")

    @property
    def axes(self) -> tuple[str, str]:
        """The two parameters of the grid (the diagram's axes)."""
        return tuple(self.diagram.axes)

    @property
    def mismatches(self):
        """Rows whose observed label differs from the predicted one."""
        return self.cells[~self.cells["match"]]

    @property
    def unexplained(self):
        """Mismatches farther than ``near`` grid steps from every curve."""
        return self.cells[~self.cells["match"] & ~self.cells["explained"]]

    @property
    def passed(self) -> bool:
        return len(self.unexplained) == 0

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data: :meth:`summary`, every cell (``cell_table``),
        the grid's axes and the diagram (:meth:`BifurcationCurves.to_dict`)."""
        return {**self.summary(), "cell_table": self.cells.to_dict("records"),
                "eta": self.eta.tolist(), "J": self.J.tolist(),
                "diagram": self.diagram.to_dict()}  # eta, J: the axes' grid values

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GridResult:
        """The result :meth:`to_dict` wrote."""
        import pandas as pd

        return cls(pd.DataFrame.from_records(d["cell_table"]),
                   BifurcationCurves.from_dict(d["diagram"]), d["near"],
                   np.asarray(d["eta"], float), np.asarray(d["J"], float))

    def summary(self) -> dict[str, Any]:
        """The model, counts and the mismatching cells, JSON-ready (``summary.json``)."""
        mm = self.mismatches
        model = self.diagram.model
        a, b = self.axes
        return {"model": model.name, "model_options": model_options(model),
                "params": self.diagram.params, "axes": [a, b],
                "cells": int(len(self.cells)), "matches": int(self.cells["match"].sum()),
                "mismatches": int(len(mm)), "unexplained": int(len(self.unexplained)),
                "near": self.near, "pass": self.passed,
                "mismatching_cells": [
                    {k: (v if isinstance(v, (str, bool)) else float(v))
                     for k, v in row.items() if k in (a, b, "predicted", "observed",
                                                      "distance", "nearest", "explained")}
                    for row in mm.to_dict("records")]}

    def figure(self) -> Figure:
        """Cells coloured by observed label, curves drawn, mismatches circled."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 5.5), layout="constrained")
        ax = fig.subplots()
        a, b = self.axes
        labels = sorted(set(self.cells["observed"]) | set(self.cells["predicted"]))
        cmap = {lab: f"C{k}" for k, lab in enumerate(labels)}
        for lab in labels:
            sel = self.cells[self.cells["observed"] == lab]
            ax.scatter(sel[a], sel[b], s=25, color=cmap[lab], label=f"observed: {lab}")
        mm = self.mismatches
        ax.scatter(mm[a], mm[b], s=110, facecolors="none",
                   edgecolors=np.where(mm["explained"], "orange", "red"),
                   label="mismatch (orange: near a curve)")
        colors = {"fold": "k", "hopf": "tab:purple", "homoclinic": "tab:blue",
                  "cycle_fold": "tab:green", "snic": "tab:orange"}
        for c in self.diagram.curves:
            ax.plot(c.eta, c.J, color=colors.get(c.kind, "0.5"), lw=1,
                    ls="-" if c.kind in ("fold", "hopf") else "--")
        ax.set_xlim(self.eta.min() - 0.5 * _step(self.eta), self.eta.max() + 0.5 * _step(self.eta))
        ax.set_ylim(self.J.min() - 0.5 * _step(self.J), self.J.max() + 0.5 * _step(self.J))
        ax.set_xlabel(axis_label(a))
        ax.set_ylabel(axis_label(b))
        ax.set_title(f"{self.diagram.model.name}: brute-force check "
                     f"({len(mm)} mismatches, {len(self.unexplained)} unexplained)")
        ax.legend(fontsize="small", loc="best")
        return fig

    def against(self, diagram: BifurcationCurves, near: float | None = None) -> GridResult:
        """The same simulations compared with another diagram (no new simulation)."""
        if tuple(diagram.axes) != self.axes:
            raise InputError(f"the diagram is in {', '.join(diagram.axes)}, the grid in "
                             f"{', '.join(self.axes)}")
        results = [{k: row[k] for k in (*self.axes, "i", "j", "observed_stable",
                                         "observed_oscillation", "initial_conditions",
                                         "errors", "observed_r")}
                   for row in self.cells.to_dict("records")]
        return _compare(results, diagram, self.eta, self.J,
                        self.near if near is None else float(near))

    def save(self, path: str | Path, *, overwrite: bool = False,
             force: bool | None = None) -> Path | list[Path]:
        """Write the record as strict JSON to a ``.json`` path (:meth:`load` reads it).

        A path that does not end in ``.json`` is a folder: the files of :meth:`write`
        go there and their paths are returned (what ``save`` did before). ``force`` is
        the older name of ``overwrite``.

        Raises
        ------
        FileExistsError
            The file (or one of the folder's files) exists and ``overwrite`` is False.
        """
        overwrite = overwriting(overwrite, force)
        if Path(path).suffix.lower() != ".json":
            return self.write(path, overwrite=overwrite)
        return super().save(path, overwrite=overwrite)

    def write(self, out: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write :attr:`FILES` into the folder ``out`` (made if missing): the cells
        (``observed_r`` as JSON text), :meth:`summary`, the diagram and :meth:`figure`.

        Raises
        ------
        FileExistsError
            One of the files exists and ``overwrite`` is False.
        """
        paths = all_writable([Path(out) / n for n in self.FILES], overwrite)
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        cells = self.cells.copy()
        cells["observed_r"] = cells["observed_r"].map(json_text)
        cells.to_csv(paths[0], index=False)
        paths[1].write_text(json_text(self.summary(), indent=2))
        paths[2].write_text(json_text(self.diagram.to_dict()))
        self.figure().savefig(paths[3], dpi=120)
        return paths


def _step(a: np.ndarray) -> float:
    return float(a[1] - a[0]) if len(a) > 1 else 1.0


# ------------------------------------------------------------------- driver
def _axis(name: str, spec: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(spec, dtype=float)
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise InputError(f"{name} values must be a finite, strictly increasing sequence of at "
                         f"least two numbers, got {spec!r}")
    if not np.allclose(np.diff(arr), arr[1] - arr[0], rtol=1e-6, atol=1e-12):
        raise InputError(f"{name} values must be evenly spaced, got {spec!r}")
    return arr


#: Raster pixels at most (see :func:`_raster_resolution`).
RASTER_PIXELS = 4_000_000


def _raster_resolution(n_eta: int, n_J: int) -> int:
    """Pixels per grid step of the region raster: 8 to 32, as many as
    :data:`RASTER_PIXELS` allow. Walls are 3 pixels thick, so two curves closer than
    that merge and the region between them vanishes: with 8 pixels per step, the band
    between the Hopf curve and the upper fold of the n = 2 model (0.4 apart in eta, 0.33
    grid steps across on an eta step 0.25 x J step 2 grid) did."""
    fit = int(math.sqrt(RASTER_PIXELS / ((n_eta + 2) * (n_J + 2))))
    return max(8, min(32, fit))


def _regions(diagram: BifurcationCurves, eta: np.ndarray, J: np.ndarray, res: int | None = None
             ) -> tuple[np.ndarray, dict[int, tuple[float, float]], np.ndarray, np.ndarray]:
    """Region index of every cell, reference point of each region, distances, kinds."""
    from scipy import ndimage
    from scipy.spatial import cKDTree

    res = res or _raster_resolution(len(eta), len(J))
    se, sj = _step(eta), _step(J)
    # raster: `res` pixels per grid step, padded by one step
    xs = np.arange(eta[0] / se - 1, eta[-1] / se + 1 + 1e-9, 1 / res)
    ys = np.arange(J[0] / sj - 1, J[-1] / sj + 1 + 1e-9, 1 / res)
    wall = np.zeros((len(xs), len(ys)), bool)
    pts, kinds = _dense_points(diagram, se, sj, spacing=0.25 / res)
    if len(pts):
        ix = np.round((pts[:, 0] - xs[0]) * res).astype(int)
        iy = np.round((pts[:, 1] - ys[0]) * res).astype(int)
        ok = (ix >= 0) & (ix < len(xs)) & (iy >= 0) & (iy < len(ys))
        wall[ix[ok], iy[ok]] = True
        wall = ndimage.binary_dilation(wall)  # no diagonal leaks between regions
    lab, n = ndimage.label(~wall)
    # cells on a wall pixel take the region of the nearest free pixel
    _, (nx, ny) = ndimage.distance_transform_edt(wall, return_indices=True)
    gx = np.round((eta / se - xs[0]) * res).astype(int)
    gy = np.round((J / sj - ys[0]) * res).astype(int)
    GX, GY = np.meshgrid(gx, gy, indexing="ij")
    cell_region = lab[nx[GX, GY], ny[GX, GY]]
    depth = ndimage.distance_transform_edt(~wall)
    refs = {}
    for k in np.unique(cell_region):
        mask = lab == k
        flat = np.argmax(np.where(mask, depth, -1))
        i, j = np.unravel_index(flat, mask.shape)
        refs[int(k)] = (float(xs[i] * se), float(ys[j] * sj))
    E, JJ = np.meshgrid(eta / se, J / sj, indexing="ij")
    if len(pts):
        dist, idx = cKDTree(pts).query(np.column_stack([E.ravel(), JJ.ravel()]))
        near_kind = np.array([diagram.curves[kinds[i]].kind for i in idx])
    else:
        dist = np.full(E.size, np.inf)
        near_kind = np.full(E.size, "none")
    return cell_region, refs, dist.reshape(E.shape), near_kind.reshape(E.shape)


def verify_grid(model: Model | None = None, params: Mapping[str, float] | None = None,
                eta: Sequence[float] | np.ndarray | None = None,
                J: Sequence[float] | np.ndarray | None = None, *,
                diagram: BifurcationCurves | None = None, n_random: int = 3, t_end: float = 200.0,
                near: float = 1.0, seed: int = 0, client: Any = None,
                max_workers: int | None = None, progress: bool = True,
                axes: Sequence[str] | None = None) -> GridResult:
    """Simulate every (eta, J) cell and compare with the diagram's regions.

    Parameters
    ----------
    model, params
        The model (a ThetaModel or a circuit) and the other parameters (the axes'
        values come from the grid).
    eta, J : sequences of float
        Evenly spaced, increasing grid values (at least two each) of the first and
        second axis. Default, for a ThetaModel in (eta, J) only: eta -8, -6, ..., 0 and
        J 0, 5, ..., 20; other axes need them given.
    diagram : BifurcationCurves, optional
        Default: :meth:`BifurcationCurves.compute` over the grid's ranges.
    n_random : int
        Random initial conditions per cell (uniform in the disk of radius 0.95), in
        addition to one next to every stable equilibrium and unstable focus.
    t_end : float
        Simulated time per initial condition (>= 60: the last 40 classify).
    near : float
        Grid steps from a curve within which a mismatch counts as explained.
    seed : int
        Seed of the random initial conditions (cell ``(i, j)`` uses ``seed + i*nJ + j``).
    client : dask.distributed.Client, optional
        Run the cells on this cluster instead of the local process pool.
    max_workers : int, optional
        Local processes (default: all cores, ``os.cpu_count()``); 1 runs in-process.
    progress : bool
        Show a tqdm progress bar.
    axes : (str, str), optional
        The two parameters of the grid; default
        :func:`thetabif.phase_diagram.default_axes` (``("eta", "J")``, for a circuit
        its first population's ``eta_P`` and self-edge weight ``J_PP``).

    Returns
    -------
    GridResult
    """
    model = model or ThetaModel()
    a, b = check_axes(model, axes)
    if (eta is None or J is None) and (a, b) != ("eta", "J"):
        raise InputError(f"give the grid values of both axes ({a} and {b}): the default "
                         "grid is that of the single population's (eta, J)")
    eta = (-8.0, -6.0, -4.0, -2.0, 0.0) if eta is None else eta
    J = (0.0, 5.0, 10.0, 15.0, 20.0) if J is None else J
    eta_a, J_a = _axis(a, eta), _axis(b, J)
    if not (isinstance(n_random, int) and n_random >= 0):
        raise InputError(f"n_random must be an integer >= 0, got {n_random!r}")
    if not (math.isfinite(t_end) and t_end >= 60):
        raise InputError(f"t_end must be >= 60 (the last 40 time units classify), got {t_end!r}")
    if not (math.isfinite(near) and near >= 0):
        raise InputError(f"near must be finite and >= 0, got {near!r}")
    base = model.validate_params(params)
    if diagram is None:
        diagram = BifurcationCurves.compute(model, base, (eta_a[0], eta_a[-1]),
                                            (J_a[0], J_a[-1]), axes=(a, b))
    elif diagram.model != model:
        raise InputError(f"the diagram is of model {diagram.model.name!r}, the grid of "
                         f"{model.name!r}")
    elif tuple(diagram.axes) != (a, b):
        raise InputError(f"the diagram is in {', '.join(diagram.axes)}, the grid in {a}, {b}")
    else:
        for k, v in base.items():
            if k not in (a, b) and abs(diagram.params.get(k, v) - v) > 1e-12:
                raise InputError(f"the diagram was computed at {k} = {diagram.params[k]}, "
                                 f"the grid asks for {k} = {v}")
    spec = model.record_options()
    tasks = [{"model": spec, "params": {**base, a: float(e), b: float(j)}, "axes": [a, b],
              "i": i, "j": k, "n_random": n_random, "t_end": float(t_end),
              "seed": seed + i * len(J_a) + k}
             for i, e in enumerate(eta_a) for k, j in enumerate(J_a)]
    results = _run_all(tasks, client, max_workers, progress)
    return _compare(results, diagram, eta_a, J_a, float(near))


def _compare(results: list[dict], diagram: BifurcationCurves, eta_a: np.ndarray, J_a: np.ndarray,
             near: float) -> GridResult:
    import pandas as pd

    region, refs, dist, near_kind = _regions(diagram, eta_a, J_a)
    a, b = diagram.axes
    ref_label = {}
    # cycles next to stable equilibria come from Hopf points: none without Hopf curves
    hopf = any(c.kind == "hopf" for c in diagram.curves)
    width = eta_a[-1] - eta_a[0]
    eta_range = (eta_a[0] - width, eta_a[-1] + width)
    for k, (e, j) in refs.items():
        eqs = find_equilibria(diagram.model, {**diagram.params, a: e, b: j})
        ns = sum(q.stable for q in eqs)
        cycle = ns == 0 or (hopf and predicted_cycle(diagram.model, diagram.params, e, j,
                                                     eta_range, (a, b)))
        ref_label[k] = _label(ns, cycle)
    rows = []
    for res in results:
        i, k = res["i"], res["j"]
        obs = _label(res["observed_stable"], res["observed_oscillation"])
        pred = ref_label[int(region[i, k])]
        rows.append({a: res[a], b: res[b], "i": i, "j": k,
                     "region": int(region[i, k]),
                     "predicted": pred, "observed": obs, "match": pred == obs,
                     "distance": float(dist[i, k]), "nearest": str(near_kind[i, k]),
                     "explained": bool(dist[i, k] <= near),
                     "initial_conditions": res["initial_conditions"],
                     "observed_stable": res["observed_stable"],
                     "observed_oscillation": res["observed_oscillation"],
                     "errors": res["errors"], "observed_r": res["observed_r"]})
    cells = pd.DataFrame(rows).sort_values([b, a]).reset_index(drop=True)
    return GridResult(cells, diagram, near, eta_a, J_a)


def _run_all(tasks: list[dict], client: Any, max_workers: int | None, progress: bool
             ) -> list[dict]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="grid cells", disable=not progress)
    out = []
    try:
        if client is not None:
            from distributed import as_completed

            futures = client.map(run_cell, tasks, pure=False)
            for fut in as_completed(futures):
                out.append(fut.result())
                bar.update()
        else:
            workers = max_workers or os.cpu_count() or 1
            if workers == 1:
                for t in tasks:
                    out.append(run_cell(t))
                    bar.update()
            else:
                import concurrent.futures as cf

                with cf.ProcessPoolExecutor(max_workers=workers) as pool:
                    futs = [pool.submit(run_cell, t) for t in tasks]
                    for f in cf.as_completed(futs):
                        out.append(f.result())
                        bar.update()
    finally:
        bar.close()
    return out
