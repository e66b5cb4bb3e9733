"""Phase diagrams in (eta, J): continuation curves, codimension-two points, attractor regions.

:func:`compute` runs the standard analysis of one model. Its two parameters, its
``axes``, are ``("eta", "J")`` for a :class:`~thetabif.models.ThetaModel`; for a
circuit any two of its parameters, by default the first population's ``eta_P`` and
the weight ``J_PP`` of its self-edge (:func:`default_axes`). Below, ``eta`` and ``J``
stand for the first and second axis.

1. equilibria in ``eta`` at the given ``J`` (and in ``J`` at the given ``eta``);
2. every fold (LP) and Hopf (HB) point found there, and at a few more ``J`` values in
   the box, is continued in (eta, J) until the curve leaves the box; a point lying on
   a curve already computed is skipped, so each curve is computed once;
3. the codimension-two points on those curves (CP, BT, GH, ZH), merged across curves;
4. the limit cycles born at the Hopf points of step 1 (min/max envelope of r);
5. the global curves (:mod:`thetabif.global_curves`): the homoclinic curve from every
   Bogdanov-Takens point (HomCont), its neutral saddles (``NS``), the fold of cycles
   from every Bautin point (continued by AUTO; sampled only if that fails), the band
   between it and the Hopf or homoclinic curve where a stable cycle surrounds a stable
   equilibrium, and the SNIC stretches of the fold curves;
6. the attractors at every point of a regular (eta, J) grid: equilibria by
   :func:`thetabif.equilibrium.find_equilibria_many` (vectorised over the grid), with
   their Jacobian's eigenvalues; stable limit cycles by integrating from a perturbed
   unstable focus (in the plane a stable cycle surrounds one) wherever there is one,
   and counting a cycle where the trajectory does not settle on a stable equilibrium;
   in the band of step 5, by integrating from the predicted cycle.

The result, :class:`PhaseDiagram`, is data first (:meth:`PhaseDiagram.to_xarray`,
:meth:`PhaseDiagram.to_dict`, :meth:`PhaseDiagram.save` as netCDF or JSON) and pictures
second (:meth:`PhaseDiagram.figures`, :meth:`PhaseDiagram.write`).

>>> from thetabif import ThetaModel                       # doctest: +SKIP
>>> from thetabif.phase_diagram import compute            # doctest: +SKIP
>>> pdg = compute(ThetaModel(), {"J": 15})                # doctest: +SKIP
>>> pdg.write("out/theta")                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from thetabif.continuation import (
    Continuation,
    ContinuationFailed,
    ContinuationResult,
    SpecialPoint,
)
from thetabif.continuation.options import CurveOptions, CycleOptions, EquilibriumOptions
from thetabif.continuation.scan import fold_hopf_curves
from thetabif.equilibrium import find_equilibria_many
from thetabif.errors import InputError
from thetabif.global_curves import GlobalCurve, global_curves
from thetabif.models import Model, ThetaModel
from thetabif.plotting import bifurcation_diagram, cycle_envelope
from thetabif.plotting import phase_diagram as phase_figure
from thetabif.records import Record, all_writable, json_text, model_options, overwriting

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

#: Region codes of the attractor grid, and their names.
REGIONS: dict[int, str] = {
    0: "no attractor found",
    1: "low activity",
    2: "high activity",
    3: "bistable",
    4: "stable cycle",
    5: "stable equilibrium + stable cycle",
}
CODIM2 = ("CP", "BT", "GH", "ZH")
#: Codimension-two points of the global curves: neutral saddles on homoclinic curves.
GLOBAL_CODIM2 = ("NS",)


def default_axes(model: Model) -> tuple[str, str]:
    """The two parameters of a model's standard phase diagram.

    ``("eta", "J")`` for a :class:`ThetaModel`; for a circuit the first population
    ``P``'s ``eta_P`` and the weight ``J_PP`` of its self-edge.

    Raises
    ------
    InputError
        A circuit whose first population has no self-edge: the axes must be given.
    """
    if isinstance(model, ThetaModel):
        return ("eta", "J")
    pop = model.population_names[0]
    if f"J_{pop}{pop}" not in model.parameter_names:
        raise InputError(f"axes: circuit {model.name!r} has no self-edge {pop}<-{pop}, so "
                         f"there is no default second axis J_{pop}{pop}; give two of its "
                         f"parameters, e.g. axes=('eta_{pop}', ...), from: "
                         f"{', '.join(model.parameter_names)}")
    return (f"eta_{pop}", f"J_{pop}{pop}")


def check_axes(model: Model, axes: Sequence[str] | None) -> tuple[str, str]:
    """``axes`` (default :func:`default_axes`) checked: two different parameter names.

    Raises
    ------
    InputError
        Not two names, the same name twice, or a name that is no parameter of the
        model (the message lists the allowed ones).
    """
    if axes is None:
        return default_axes(model)
    if isinstance(axes, str) or len(axes) != 2:
        raise InputError(f"axes must be two parameter names, got {axes!r}")
    a, b = (str(x) for x in axes)
    for name in (a, b):
        if name not in model.parameter_names:
            raise InputError(f"axes: {name!r} is not a parameter of {model.name!r}; allowed: "
                             f"{', '.join(model.parameter_names)}")
    if a == b:
        raise InputError(f"axes must be two different parameters, got {a!r} twice")
    return (a, b)


def default_params(model: Model) -> dict[str, float]:
    """The parameters of the standard one-parameter diagrams of a model.

    The tutorial's eta = -5, J = 15 for the delta-pulse model; eta = 10, J = -40
    (inhibitory, oscillating) for the others; a circuit's defaults for a circuit.
    """
    return model.validate_params(_standard_params(model))


def _standard_params(model: Model) -> dict[str, float]:
    """The values :func:`default_params` sets, not yet validated."""
    if not isinstance(model, ThetaModel):
        return {}
    if model.n is None and model.synapse == "instant":
        return {"eta": -5.0, "J": 15.0}
    return {"eta": 10.0, "J": -40.0}


def default_box(model: Model, axes: Sequence[str] | None = None
                ) -> dict[str, tuple[float, float]]:
    """The box of the standard diagrams of a model, keyed by its axes.

    The delta-pulse model's folds live at J > 0 (cusp at J ~ 7.8 for Delta = 1); models
    with finite pulse width or synaptic kinetics oscillate for inhibitory J < 0. For a
    circuit (or other axes) each axis spans its default value ``v`` plus and minus
    ``max(5, |v|)``.
    """
    ax = check_axes(model, axes)
    if isinstance(model, ThetaModel) and ax == ("eta", "J"):
        if model.n is None and model.synapse == "instant":
            return {"eta": (-14.0, 2.0), "J": (0.0, 24.0)}
        return {"eta": (-2.0, 30.0), "J": (-60.0, 0.0)}
    std = default_params(model)
    return {k: (std[k] - max(5.0, abs(std[k])), std[k] + max(5.0, abs(std[k]))) for k in ax}


@dataclass
class PhaseDiagram(Record):
    """The result of :func:`compute`: continuation records and the attractor grid.

    Saved as netCDF (:meth:`to_xarray`) or, for a ``.json`` path, as :meth:`to_dict`;
    not loaded back as a whole (the files keep the curves' points, not their records);
    :func:`load_global_curves` reads the global curves back.

    Attributes
    ----------
    model : ThetaModel or Circuit
    params : dict
        The parameters of the one-parameter diagrams (``J`` fixed for the ``eta``
        diagram, ``eta`` fixed for the ``J`` diagram).
    box : dict
        ``{"eta": (lo, hi), "J": (lo, hi)}``.
    eq_eta, eq_J : ContinuationResult or None
        Equilibria in eta (at ``params["J"]``) and in J (at ``params["eta"]``).
    cycles : list of ContinuationResult
        Limit cycles from the Hopf points of ``eq_eta``.
    curves : list of ContinuationResult
        Fold and Hopf curves in (eta, J).
    codim2 : list of SpecialPoint
        Codimension-two points on the curves, each once, named ``CP1``, ``BT1``, ...;
        neutral saddles on the homoclinic curves as ``NS1``, ...
    grid : xarray.Dataset
        Attractors on the (eta, J) grid (see :func:`classify_grid`).
    timings : dict
        Seconds spent per stage.
    messages : list of str
        What did not work (curves that failed to start, ...).
    global_curves : list of GlobalCurve
        Homoclinic curves, folds of cycles and SNIC stretches, inside the box
        (:mod:`thetabif.global_curves`).
    snic : list of SnicStretch
        The SNIC stretches of the fold curves, with their ends.
    axes : (str, str)
        The two parameters (``("eta", "J")`` for a ThetaModel); ``eq_eta`` is in the
        first, ``eq_J`` in the second, and the grid, box, curves and points are keyed
        by their names.
    """

    model: Model
    params: dict
    box: dict
    eq_eta: ContinuationResult | None
    eq_J: ContinuationResult | None
    cycles: list[ContinuationResult]
    curves: list[ContinuationResult]
    codim2: list[SpecialPoint]
    grid: Any
    timings: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    global_curves: list[GlobalCurve] = field(default_factory=list)
    snic: list = field(default_factory=list)
    #: the engine of the one-parameter runs (reusable, e.g. by thetabif.verification)
    continuation: Continuation | None = field(default=None, repr=False, compare=False)
    axes: tuple[str, str] = ("eta", "J")
    #: where the curves predict a stable cycle around a stable equilibrium
    #: (:class:`thetabif.cycle_band.CycleBand`; drawn even when thinner than a cell)
    bands: list = field(default_factory=list)

    # ------------------------------------------------------------------ data
    @property
    def regions(self) -> dict[int, str]:
        """Names of the region codes of :attr:`grid` (:data:`REGIONS`)."""
        return dict(REGIONS)

    def fold_points(self) -> list[SpecialPoint]:
        """The LP points of the eta diagram."""
        return self.eq_eta.special("LP") if self.eq_eta is not None else []

    def hopf_points(self) -> list[SpecialPoint]:
        """The HB points of the eta diagram."""
        return self.eq_eta.special("HB") if self.eq_eta is not None else []

    what: ClassVar[str] = "phase diagram"

    def to_dict(self) -> dict[str, Any]:
        """The diagram as JSON-ready data: model (name, options, description),
        parameters, box, special points, curves, region areas, timings, messages."""
        a, b = self.axes
        sp = []
        for res in (self.eq_eta, self.eq_J):
            if res is None:
                continue
            for p in res.special_points:
                d = {"diagram": res.free[0], "type": p.type, "label": p.label,
                     a: p.params[a], b: p.params[b], "r": p.r,
                     "stable": p.stable, "stability": p.stability}
                if p.l1 is not None:
                    d["l1"] = p.l1
                if p.criticality is not None:
                    d["criticality"] = p.criticality
                sp.append(d)
        codes = self.grid["region"].to_numpy()
        areas = {REGIONS[int(c)]: float(np.mean(codes == c)) for c in np.unique(codes)}
        cyc = []
        for c in self.cycles:
            o = [x for x in c.orbits if np.isfinite(x["period"])]
            if o:
                cyc.append({"from": c.params.get("hopf_label", ""),
                            f"{a}_range": [min(x[a] for x in o), max(x[a] for x in o)],
                            "period_max": max(x["period"] for x in o),
                            "messages": list(c.messages)})
        return {
            "model": self.model.name, "model_options": model_options(self.model),
            "description": self.model.description, "axes": list(self.axes),
            "params": self.params, "box": {k: list(v) for k, v in self.box.items()},
            "special_points": sp,
            "codim2": [{"type": p.type, "label": p.label, a: p.params[a],
                        b: p.params[b], "r": p.r} for p in self.codim2],
            "curves": [{"kind": c.kind, "points": sum(len(br) for br in c.branches)}
                       for c in self.curves],
            "cycles": cyc, "region_fractions": areas,
            "global_curves": [c.to_dict() for c in self.global_curves],
            "snic": [s.to_dict() for s in self.snic],
            "cycle_bands": [b.to_dict() for b in self.bands],
            "timings": self.timings, "messages": self.messages,
        }

    #: the older name of :meth:`to_dict`
    summary = to_dict

    def to_xarray(self) -> xr.Dataset:
        """Everything as one Dataset (netCDF-ready).

        Dimensions: ``eta``/``J`` (the region grid), ``curve_point`` (fold and Hopf
        curves, with ``curve_id`` and ``curve_kind``), ``codim2``, ``eq_point``
        (equilibria in eta, ``branch_id``), ``eqJ_point`` (equilibria in J),
        ``special`` (LP/HB of the eta diagram), ``orbit`` (cycles: r min/max). For
        other :attr:`axes` their names replace ``eta`` and ``J`` in the dimension and
        variable names (``curve_eta_E``, ...); the dimension and prefix names
        ``eq_point``, ``eqJ_point``, ``eq_``, ``eqJ_`` stay.
        """
        a, b = self.axes
        ds = self.grid.copy()
        # curves
        cid, ckind, ceta, cJ, cr, cstab = [], [], [], [], [], []
        k = 0
        for c in self.curves:
            for br in c.branches:
                n = len(br)
                cid += [k] * n
                ckind += [c.kind] * n
                ceta.append(br.data[a])
                cJ.append(br.data[b])
                cr.append(br.data["r"])
                cstab.append(br.data["stable"])
                k += 1

        def cat(a: list) -> np.ndarray:
            return np.concatenate(a) if a else np.zeros(0)

        ds["curve_id"] = ("curve_point", np.asarray(cid, dtype=int))
        ds["curve_kind"] = ("curve_point", np.asarray(ckind, dtype=str))
        ds[f"curve_{a}"] = ("curve_point", cat(ceta).astype(float))
        ds[f"curve_{b}"] = ("curve_point", cat(cJ).astype(float))
        ds["curve_r"] = ("curve_point", cat(cr).astype(float))
        # codimension-two points
        ds["codim2_type"] = ("codim2", np.asarray([p.type for p in self.codim2], dtype=str))
        ds["codim2_label"] = ("codim2", np.asarray([p.label for p in self.codim2], dtype=str))
        ds[f"codim2_{a}"] = ("codim2", np.asarray([p.params[a] for p in self.codim2],
                                                  dtype=float))
        ds[f"codim2_{b}"] = ("codim2", np.asarray([p.params[b] for p in self.codim2],
                                                  dtype=float))
        ds["codim2_r"] = ("codim2", np.asarray([p.r for p in self.codim2], dtype=float))
        # one-parameter diagrams
        for res, dim, pre in ((self.eq_eta, "eq_point", "eq"), (self.eq_J, "eqJ_point", "eqJ")):
            if res is None:
                continue
            free = res.free[0]
            bid = np.concatenate([[i] * len(br) for i, br in enumerate(res.branches)])
            ds[f"{pre}_branch_id"] = (dim, bid.astype(int))
            for key in (free, "r", "abs_z"):
                ds[f"{pre}_{key}"] = (dim, np.concatenate([br.data[key]
                                                           for br in res.branches])
                                      .astype(float))
            ds[f"{pre}_stable"] = (dim, np.concatenate([br.data["stable"]
                                                        for br in res.branches])
                                   .astype("int8"))
        if self.eq_eta is not None:
            sps = self.eq_eta.special_points
            ds["special_type"] = ("special", np.asarray([p.type for p in sps], dtype=str))
            ds["special_label"] = ("special", np.asarray([p.label for p in sps], dtype=str))
            ds[f"special_{a}"] = ("special", np.asarray([p.params[a] for p in sps],
                                                        dtype=float))
            ds["special_r"] = ("special", np.asarray([p.r for p in sps], dtype=float))
            ds["special_l1"] = ("special", np.asarray(
                [np.nan if p.l1 is None else p.l1 for p in sps], dtype=float))
        # global curves: homoclinic, fold of cycles (sampled), SNIC stretches
        gc = self.global_curves
        ds["global_curve_id"] = ("global_point", np.asarray(
            [i for i, c in enumerate(gc) for _ in c.eta], dtype=int))
        ds["global_curve_kind"] = ("global_point", np.asarray(
            [c.kind for c in gc for _ in c.eta], dtype=str))
        ds["global_curve_source"] = ("global_point", np.asarray(
            [c.source for c in gc for _ in c.eta], dtype=str))
        ds["global_curve_sampled"] = ("global_point", np.asarray(
            [c.sampled for c in gc for _ in c.eta], dtype="int8"))
        for key, axis in ((a, "x"), (b, "y")):  # named by the diagram's axes
            ds[f"global_curve_{key}"] = ("global_point", cat(
                [np.asarray(getattr(c, axis), float) for c in gc]).astype(float))
        ds["global_curve_period"] = ("global_point", cat(
            [np.asarray(c.period, float) if len(c.period) == len(c.eta)
             else np.full(len(c.eta), np.nan) for c in gc]).astype(float))
        orbits = [(i, o) for i, c in enumerate(self.cycles) for o in cycle_envelope(c)]
        ds["orbit_cycle_id"] = ("orbit", np.asarray([i for i, _ in orbits], dtype=int))
        for key in (a, "period", "r_min", "r_max"):
            ds[f"orbit_{key}"] = ("orbit", np.asarray([o[key] for _, o in orbits], dtype=float))
        ds["orbit_stable"] = ("orbit", np.asarray([o["stable"] for _, o in orbits],
                                                  dtype="int8"))
        ds.attrs.update(
            model=self.model.name, description=self.model.description,
            axes=json.dumps(list(self.axes)),
            params=json.dumps(self.params),
            box=json.dumps({k: list(v) for k, v in self.box.items()}),
            regions=json.dumps({str(k): v for k, v in REGIONS.items()}),
            summary=json_text(self.to_dict()),
        )
        units = {f"curve_{a}": "1", f"curve_{b}": "1", "curve_r": "1/tau"}
        for k, u in units.items():
            ds[k].attrs["units"] = u
        return ds

    def _write_other(self, path: Path) -> None:
        """netCDF: :meth:`to_xarray` (:meth:`save` writes JSON for a ``.json`` path)."""
        self.to_xarray().to_netcdf(path)

    # --------------------------------------------------------------- figures
    def figures(self, marks: Sequence[tuple[float, float, str]] = ()) -> dict[str, Figure]:
        """The figures: ``eta`` and ``J`` diagrams and the (eta, J) ``phase`` diagram.

        ``marks``: extra (eta, J, text) points for the phase diagram.
        """
        figs: dict[str, Figure] = {}
        a, b = self.axes
        if self.eq_eta is not None:
            figs["eta"] = bifurcation_diagram(
                self.eq_eta, self.cycles,
                title=rf"{_model_title(self.model)}: ${_tex(b)}={self.params[b]:g}$")
        if self.eq_J is not None:
            figs["J"] = bifurcation_diagram(
                self.eq_J, (), title=rf"{_model_title(self.model)}: "
                                     rf"${_tex(a)}={self.params[a]:g}$")
        figs["phase"] = phase_figure(self, title=_model_title(self.model), marks=marks)
        return figs

    def write(self, out: str | Path, *, overwrite: bool = False, stem: str | None = None,
              marks: Sequence[tuple[float, float, str]] = (),
              force: bool | None = None) -> list[Path]:
        """Write the figures (PNG and SVG), the netCDF and the JSON record into ``out``.

        Files are ``{stem}_phase.{png,svg}``, ``{stem}_eta.*``, ``{stem}_J.*``,
        ``{stem}.nc`` and ``{stem}.json`` (``stem`` defaults to the model's name).
        Refuses to overwrite any of them unless ``overwrite`` (``force``: its older
        name).

        Raises
        ------
        FileExistsError
            One of the files exists and ``overwrite`` is False.
        """
        out = Path(out)
        stem = stem or self.model.name
        figs = self.figures(marks)
        targets = [out / f"{stem}_{k}{s}" for k in figs for s in (".png", ".svg")]
        targets += [out / f"{stem}.nc", out / f"{stem}.json"]
        all_writable(targets, overwriting(overwrite, force))
        out.mkdir(parents=True, exist_ok=True)
        for k, fig in figs.items():
            fig.savefig(out / f"{stem}_{k}.png", dpi=150)
            fig.savefig(out / f"{stem}_{k}.svg")
        self.save(out / f"{stem}.nc", overwrite=True)
        self.save(out / f"{stem}.json", overwrite=True)
        return targets


def load_global_curves(path: str | Path) -> list[GlobalCurve]:
    """The global curves of a diagram saved by :meth:`PhaseDiagram.save` (netCDF, or
    JSON for a ``.json`` path), as :class:`GlobalCurve` again."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return [GlobalCurve.from_dict(d)
                for d in json.loads(path.read_text()).get("global_curves", [])]
    import xarray as xr

    with xr.open_dataset(path) as ds:
        if "global_curve_id" not in ds:
            return []
        axes = tuple(json.loads(ds.attrs["axes"])) if "axes" in ds.attrs else ("eta", "J")
        ids = ds["global_curve_id"].to_numpy()
        out = []
        for i in np.unique(ids):
            sel = ids == i
            out.append(GlobalCurve(
                str(ds["global_curve_kind"].to_numpy()[sel][0]),
                ds[f"global_curve_{axes[0]}"].to_numpy()[sel].astype(float),
                ds[f"global_curve_{axes[1]}"].to_numpy()[sel].astype(float),
                str(ds["global_curve_source"].to_numpy()[sel][0]),
                bool(ds["global_curve_sampled"].to_numpy()[sel][0]),
                ds["global_curve_period"].to_numpy()[sel].astype(float), axes))
    return out


def _tex(name: str) -> str:
    """A parameter name as TeX (math mode): ``eta_E`` as ``\\eta_{E}``."""
    head, sep, tail = name.partition("_")
    head = {"eta": r"\eta", "Delta": r"\Delta", "tau": r"\tau", "alpha": r"\alpha"}.get(
        head, head)
    return f"{head}_{{{tail.replace('_', ' ')}}}" if sep else head


def _model_title(model: Model) -> str:
    if not isinstance(model, ThetaModel):
        return f"circuit {model.label}"
    parts = ["theta mean field"]
    parts.append("delta pulses" if model.n is None else f"pulses $n={model.n}$")
    if model.synapse != "instant":
        parts.append(f"{model.synapse} synapse")
    if model.coupling != "current":
        parts.append(f"{model.coupling} coupling")
    return ", ".join(parts)


# ----------------------------------------------------------------- attractor grid
def _rk4_settle(model: Model, params: Mapping[str, float], eta: np.ndarray,
                J: np.ndarray, u0: np.ndarray, targets: list[np.ndarray], t_end: float,
                dt: float, axes: tuple[str, str] = ("eta", "J"),
                windows: Sequence[tuple[float, float]] = ((0.8, 1.0),)
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate many initial states at once (classical RK4, fixed step).

    ``eta`` and ``J`` are the values of the parameters ``axes`` per trajectory.

    A trajectory stops as soon as it is within 1e-3 of one of its ``targets`` (the
    stable equilibria of its parameters). Returns, per trajectory, whether it settled,
    and the min/max of r over each of the ``windows`` (fractions of the run; default:
    its last fifth) of those that did not (arrays of shape (windows, trajectories),
    the first row alone for the default).
    """
    num = model.numeric
    full = model.validate_params(params)
    n = eta.size
    pfull = {axes[0]: eta, axes[1]: J}
    u = u0.copy()
    active = np.arange(n)
    settled = np.zeros(n, dtype=bool)
    rmin = np.full((len(windows), n), np.inf)
    rmax = np.full((len(windows), n), -np.inf)
    nsteps = int(round(t_end / dt))
    check = max(1, int(round(5.0 / dt)))

    def pars(idx: np.ndarray) -> list:
        return [pfull[k][idx] if k in pfull else full[k] for k in model.parameter_names]

    p = pars(active)
    with np.errstate(all="ignore"):
        for k in range(nsteps):
            ua = u[:, active]
            k1 = num.rhs_many(ua, p)
            k2 = num.rhs_many(ua + 0.5 * dt * k1, p)
            k3 = num.rhs_many(ua + 0.5 * dt * k2, p)
            k4 = num.rhs_many(ua + dt * k3, p)
            ua = ua + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            u[:, active] = ua
            for w, (a, b) in enumerate(windows):
                if a * nsteps <= k < b * nsteps:
                    r = num.output("r", ua, p)
                    rmin[w, active] = np.minimum(rmin[w, active], r)
                    rmax[w, active] = np.maximum(rmax[w, active], r)
            if (k + 1) % check == 0:
                near = np.array([any(np.max(np.abs(ua[:, m] - s)) < 1e-3
                                     for s in targets[i]) for m, i in enumerate(active)],
                                dtype=bool)
                near |= ~np.all(np.isfinite(ua), axis=0)
                settled[active[near]] = True
                active = active[~near]
                if active.size == 0:
                    break
                p = pars(active)
    if len(windows) == 1:
        return settled, rmin[0], rmax[0]
    return settled, rmin, rmax


#: A band cell (:class:`thetabif.cycle_band.CycleBand`) holds a stable cycle when the
#: run from the predicted cycle has not settled after this many times ``t_end`` and the
#: amplitude of r over its last fifth is at least :data:`BAND_KEEP` of that over
#: [0.4, 0.6] of the run and above 1e-3: a decaying spiral (the focus there is weakly
#: stable, Re ~ -0.01: a factor e^-0.8 over 0.4 * 200) fails that, a cycle keeps it.
BAND_T_END = 2.0
BAND_KEEP = 0.8


def _band_cycles(model: Model, params: Mapping[str, float], bands: Sequence[Any],
                 E: np.ndarray, JJ: np.ndarray, candidates: np.ndarray,
                 targets: Callable[[int], np.ndarray], t_end: float, dt: float,
                 axes: tuple[str, str] = ("eta", "J")
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of ``candidates`` (indices) in a band where a run from the band's
    predicted cycle stays on a cycle: their indices and r min/max over the last fifth.
    ``targets(i)``: the stable equilibria of cell i."""
    idx, u0, tg = [], [], []
    for b in bands:
        poly = b.polygon()
        (x0, y0), (x1, y1) = poly.min(axis=0), poly.max(axis=0)
        near = candidates[(E[candidates] >= x0) & (E[candidates] <= x1)
                          & (JJ[candidates] >= y0) & (JJ[candidates] <= y1)]
        for i in near:
            u = b.start(float(E[i]), float(JJ[i]))
            if u is not None and i not in idx:
                idx.append(i)
                u0.append(u)
                tg.append(targets(i))
    if not idx:
        return np.zeros(0, int), np.zeros(0), np.zeros(0)
    idx_a = np.asarray(idx)
    t_b = BAND_T_END * t_end
    u0_a = np.array(u0, float).T
    settled, lo, hi = _rk4_settle(model, params, E[idx_a], JJ[idx_a], u0_a, tg, t_b, dt,
                                  axes, windows=((0.4, 0.6), (0.8, 1.0)))
    mid, amp = hi[0] - lo[0], hi[1] - lo[1]
    keep = ~settled & (amp > 1e-3) & (amp >= BAND_KEEP * mid)
    return idx_a[keep], lo[1][keep], hi[1][keep]


def classify_grid(model: Model, params: Mapping[str, float],
                  box: Mapping[str, tuple[float, float]], shape: tuple[int, int] = (81, 61),
                  *, r_split: float | None = None, t_end: float = 100.0, dt: float = 0.05,
                  axes: Sequence[str] | None = None, bands: Sequence[Any] = ()
                  ) -> xr.Dataset:
    """Attractors on a regular (eta, J) grid (``eta`` and ``J``: the two ``axes``).

    Parameters
    ----------
    model, params
        The model; ``params`` fills everything but eta and J.
    box : dict
        ``{"eta": (lo, hi), "J": (lo, hi)}``, keyed by the axes' names.
    shape : (int, int)
        Number of eta and J samples.
    r_split : float, optional
        Where a lone stable equilibrium counts as high rather than low activity
        (default: the median rate of the lone stable equilibria).
    t_end, dt : float
        Integration time and RK4 step of the cycle search.
    axes : (str, str), optional
        The two parameters (default :func:`default_axes`).
    bands : sequence of CycleBand
        Where the curves predict a stable cycle around a stable equilibrium
        (:class:`thetabif.cycle_band.CycleBand`): a cell inside one whose
        equilibrium is stable is simulated from the band's predicted cycle (its run
        from a perturbed focus would settle on the focus) and gets region 5 when the
        run stays on a cycle (:data:`BAND_T_END`, :data:`BAND_KEEP`).

    Returns
    -------
    xarray.Dataset
        On dims ``(J, eta)`` (the axes' names, second first): ``region`` (code, see
        :data:`REGIONS`), ``n_stable``
        (stable equilibria), ``n_equilibria``, ``cycle`` (a stable cycle found),
        ``r_low``/``r_high`` (rates of the lowest/highest stable equilibrium),
        ``cycle_r_min``/``cycle_r_max``, ``cycle_from_band`` (the cycle was found from
        a band's predicted cycle).
    """
    import xarray as xr

    a, b = check_axes(model, axes)
    for k in (a, b):
        if k not in box:
            raise InputError(f"box needs {k!r}: (lo, hi), got the keys {', '.join(box)}")
    etas = np.linspace(*box[a], shape[0])
    Js = np.linspace(*box[b], shape[1])
    E, JJ = np.meshgrid(etas, Js)
    ge = find_equilibria_many(model, params, {a: E.ravel(), b: JJ.ravel()})
    npts = E.size
    stable = ge.stable
    n_eq = np.bincount(ge.point, minlength=npts)
    n_stable = np.bincount(ge.point, weights=stable, minlength=npts).astype(int)
    r_low = np.full(npts, np.inf)
    r_high = np.full(npts, -np.inf)
    np.minimum.at(r_low, ge.point[stable], ge.r[stable])
    np.maximum.at(r_high, ge.point[stable], ge.r[stable])
    r_low[~np.isfinite(r_low)] = np.nan
    r_high[~np.isfinite(r_high)] = np.nan
    focus = np.any(ge.eigenvalues.real > 0, axis=1) & np.any(
        np.abs(ge.eigenvalues.imag) > 0, axis=1)
    need = np.zeros(npts, dtype=bool)
    need[ge.point[focus]] = True
    need |= n_stable == 0
    cand, u0 = [], []
    for i in np.flatnonzero(need):
        rows = np.flatnonzero(ge.point == i)
        fr = rows[focus[rows]]
        if fr.size:
            base = ge.state[fr[np.argmax(ge.r[fr])]]
        elif rows.size:
            base = ge.state[rows[np.argmax(ge.r[rows])]]
        else:
            base = np.zeros(len(model.state_names))
        v = base.copy()
        v[:2] = v[:2] * (1 - 2e-2) + 1e-2 * np.array([0.3, 0.7])
        cand.append(i)
        u0.append(v)
    cycle = np.zeros(npts, dtype=bool)
    cmin = np.full(npts, np.nan)
    cmax = np.full(npts, np.nan)
    if cand:
        idx = np.asarray(cand)
        targets = [ge.state[(ge.point == i) & stable] for i in idx]
        settled, rmin, rmax = _rk4_settle(model, params, E.ravel()[idx], JJ.ravel()[idx],
                                          np.array(u0).T, targets, t_end, dt, (a, b))
        for k, i in enumerate(idx):
            if not settled[k] and rmax[k] - rmin[k] > 1e-4:
                cycle[i] = True
                cmin[i], cmax[i] = rmin[k], rmax[k]
    from_band = np.zeros(npts, dtype=bool)
    if bands:
        cand_b = np.flatnonzero((n_stable >= 1) & ~cycle)
        found, lo, hi = _band_cycles(model, params, bands, E.ravel(), JJ.ravel(), cand_b,
                                     lambda i: ge.state[(ge.point == i) & stable], t_end, dt,
                                     (a, b))
        cycle[found] = from_band[found] = True
        cmin[found], cmax[found] = lo, hi
    lone = (n_stable == 1) & ~cycle
    if r_split is None:
        r_split = float(np.nanmedian(r_low[lone])) if lone.any() else 1.0
    region = np.zeros(npts, dtype=int)
    region[lone & (r_low < r_split)] = 1
    region[lone & (r_low >= r_split)] = 2
    region[(n_stable >= 2) & ~cycle] = 3
    region[(n_stable == 0) & cycle] = 4
    region[(n_stable >= 1) & cycle] = 5
    dims = (b, a)
    sh = E.shape
    ds = xr.Dataset(
        {"region": (dims, region.reshape(sh)), "n_stable": (dims, n_stable.reshape(sh)),
         "n_equilibria": (dims, n_eq.reshape(sh)), "cycle": (dims, cycle.reshape(sh)
                                                             .astype("int8")),
         "r_low": (dims, r_low.reshape(sh)), "r_high": (dims, r_high.reshape(sh)),
         "cycle_r_min": (dims, cmin.reshape(sh)), "cycle_r_max": (dims, cmax.reshape(sh)),
         "cycle_from_band": (dims, from_band.reshape(sh).astype("int8"))},
        coords={a: etas, b: Js})
    ds["region"].attrs.update(
        long_name="attractors", r_split=float(r_split),
        flag_values=np.array(list(REGIONS), dtype=int),
        flag_meanings=" ".join(v.replace(" ", "_").replace("+", "and")
                               for v in REGIONS.values()))
    ds[a].attrs.update(long_name=a, units="1")
    ds[b].attrs.update(long_name=b, units="1")
    return ds


# ------------------------------------------------------------------ continuation
def compute(model: Model | None = None, params: Mapping[str, float] | None = None, *,
            box: Mapping[str, tuple[float, float]] | None = None,
            scan_J: Sequence[float] | None = None, grid_shape: tuple[int, int] = (81, 61),
            cycles: bool = True, j_diagram: bool = True, global_curves: bool = True,
            snic: bool = True, axes: Sequence[str] | None = None) -> PhaseDiagram:
    """Run the standard analysis of a model (see the module docstring).

    Parameters
    ----------
    model : ThetaModel or Circuit, optional
        Default: the delta-pulse theta model.
    params : mapping, optional
        Parameters of the one-parameter diagrams; :func:`default_params` fill the
        rest (for the delta-pulse model the tutorial's eta = -5, J = 15).
    box : dict, optional
        ``{"eta": (lo, hi), "J": (lo, hi)}`` keyed by the axes' names; default
        :func:`default_box`.
    scan_J : sequence of float, optional
        Further J values whose eta diagrams seed fold/Hopf curves (default: three
        values near the box's J ends). Curves through a point already found are skipped.
    grid_shape : (int, int)
        eta and J samples of the attractor grid.
    cycles : bool
        Continue the limit cycles from the Hopf points.
    j_diagram : bool
        Also compute the equilibria in J at fixed eta.
    global_curves : bool
        Compute the homoclinic curves (from BT points), the folds of cycles (from GH
        points) and, if ``snic``, the SNIC stretches of the fold curves
        (:func:`thetabif.global_curves.global_curves`).
    snic : bool
        Look for SNIC stretches on the fold curves (with ``global_curves``).
    axes : (str, str), optional
        The two parameters of the diagram (``eta`` and ``J`` above); default
        :func:`default_axes`: ``("eta", "J")``, for a circuit ``("eta_P", "J_PP")`` of
        its first population ``P``. Global curves are computed in (eta, J) of a
        :class:`ThetaModel` only (otherwise a message says so).

    Raises
    ------
    ValueError
        Invalid parameters or axes, or a box that does not contain ``params``.
    """
    model = model or ThetaModel()
    ax = check_axes(model, axes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        pdg = _compute(model, params, box, scan_J, grid_shape, cycles, j_diagram,
                       global_curves, snic, ax)
    counts: dict[str, int] = {}
    for w in caught:
        if issubclass(w.category, RuntimeWarning):
            counts[str(w.message)] = counts.get(str(w.message), 0) + 1
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    # each warning once, in order of first appearance (a polisher that diverges on an
    # 8-state circuit repeats the same overflow warning dozens of times)
    pdg.messages += [f"warning: {m}" + (f" ({n} times)" if n > 1 else "")
                     for m, n in counts.items()]
    return pdg


def _compute(model: Model, params: Mapping[str, float] | None,
             box: Mapping[str, tuple[float, float]] | None, scan_J: Sequence[float] | None,
             grid_shape: tuple[int, int], cycles: bool, j_diagram: bool, with_global: bool,
             snic: bool, axes: tuple[str, str]) -> PhaseDiagram:
    a, b = axes
    cont = Continuation(model, {**_standard_params(model), **(params or {})})
    full = cont.params  # validated once, there
    box = {k: (float(v[0]), float(v[1]))
           for k, v in (box or default_box(model, axes)).items()}
    for k in (a, b):
        if k not in box or not box[k][0] < box[k][1]:
            raise InputError(f"box needs {k!r}: (lo, hi) with lo < hi, got {box.get(k)}")
        if not box[k][0] <= full[k] <= box[k][1]:
            raise InputError(f"{k}={full[k]:g} lies outside the box {box[k]}")
    timings: dict[str, float] = {}
    messages: list[str] = []
    t0 = time.perf_counter()
    # checked once here, passed down unchanged
    eq_options, curve_options = EquilibriumOptions(), CurveOptions(dsmax=0.1)
    cycle_options = CycleOptions(dsmax=0.05, nmx=1000)
    eta_pad = 0.1 * (box[a][1] - box[a][0])
    eq_eta = cont.equilibria(a, box[a][0] - eta_pad, box[a][1] + eta_pad,
                             options=eq_options)
    eq_J = None
    if j_diagram:
        j_pad = 0.5 * (box[b][1] - box[b][0])  # reach folds beyond the box
        try:
            eq_J = cont.equilibria(b, box[b][0] - j_pad, box[b][1] + j_pad,
                                   options=eq_options)
        except ContinuationFailed as exc:
            messages.append(f"equilibria in {b}: {exc}")
    timings["equilibria"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cyc: list[ContinuationResult] = []
    if cycles:
        for hb in eq_eta.special("HB"):
            try:
                c = cont.cycles(hb, a, box[a][0] - eta_pad, box[a][1] + eta_pad,
                                options=cycle_options)
            except ContinuationFailed as exc:
                messages.append(f"cycles from {hb.label}: {exc}")
                continue
            omega = hb.extra.get("frequency")
            extra = {"hopf_eta": hb.params[a], "hopf_r": hb.r, "hopf_label": hb.label,
                     "hopf_period": 2 * np.pi / omega if omega else np.nan}
            cyc.append(replace(c, params={**c.params, **extra}))
    timings["cycles"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if scan_J is None:
        lo, hi = box[b]
        scan_J = [lo + f * (hi - lo) for f in (0.1, 0.9)]
    c_box = {a: (box[a][0] - eta_pad, box[a][1] + eta_pad),
             b: (box[b][0] - 0.1 * (box[b][1] - box[b][0]),
                 box[b][1] + 0.1 * (box[b][1] - box[b][0]))}
    followed, notes = fold_hopf_curves(model, {**full, a: box[a][0]}, scan_J,
                                       c_box[a], c_box, first=(cont, eq_eta),
                                       axes=axes, options=curve_options)
    curves = [f.result for f in followed]
    messages += notes
    timings["curves"] = time.perf_counter() - t0

    codim2: list[SpecialPoint] = []
    for c in curves:
        for p in c.special_points:
            if p.type in CODIM2 and not any(
                    q.type == p.type and abs(q.params[a] - p.params[a]) < 1e-4
                    and abs(q.params[b] - p.params[b]) < 1e-4 for q in codim2):
                codim2.append(p)
    codim2.sort(key=lambda p: (p.type, p.params[b]))

    counts: dict[str, int] = {}
    named = []
    for p in codim2:
        counts[p.type] = counts.get(p.type, 0) + 1
        named.append(replace(p, label=f"{p.type}{counts[p.type]}"))

    t0 = time.perf_counter()
    found = None
    if with_global:
        found = global_curves(model, full, curves, named, box, snic=snic, axes=axes)
        messages += found.messages
        ns = sorted((p for h in found.homoclinic for p in h.special("NS")
                     if box[a][0] <= p.params[a] <= box[a][1]
                     and box[b][0] <= p.params[b] <= box[b][1]),
                    key=lambda p: p.params[b], reverse=True)
        named += [replace(p, label=f"NS{i + 1}") for i, p in enumerate(ns)]
    timings["global_curves"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cps = [p for p in named if p.type == "CP"]
    r_split = cps[0].r if cps else None
    grid = classify_grid(model, full, box, grid_shape, r_split=r_split, axes=axes,
                         bands=found.bands if found else ())
    timings["regions"] = time.perf_counter() - t0
    return PhaseDiagram(model, full, box, eq_eta, eq_J, cyc, curves, named, grid, timings,
                        messages, found.curves if found else [], found.snic if found else [],
                        cont, axes=axes, bands=found.bands if found else [])
