"""The continuation API: equilibria, fold/Hopf curves and limit cycles, run on AUTO-07p.

Data flows one way: the model's generated Fortran is compiled once per model (cached
by the engine; :func:`engine_executable`), every equilibrium run starts from a restart
file (``fort.3``, :func:`restart_text`) holding the Newton equilibrium and the
parameters, so other starting parameters never recompile; each run happens in a
private directory, AUTO's records are converted to
:class:`Branch` and :class:`SpecialPoint` records, and every special point is polished
by Newton on its defining system (:mod:`thetabif.polish`). The difference between
AUTO's location and the polished one is kept, and a warning is issued when it exceeds
:data:`POLISH_WARN`. Points AUTO's test functions stepped over are added from a scan
of each branch (:mod:`thetabif.branch_scan`).

>>> from thetabif import Continuation, ThetaModel     # doctest: +SKIP
>>> cont = Continuation(ThetaModel(), {"J": 15})       # doctest: +SKIP
>>> eq = cont.equilibria("eta", start=-10, stop=5)     # doctest: +SKIP
>>> folds = cont.curve(eq.special("LP")[0], ("eta", "J"))   # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from thetabif.branch_scan import along, scan_branch
from thetabif.errors import ContinuationError as ContinuationFailed
from thetabif.errors import InputError
from thetabif.models import ThetaModel

#: Largest accepted |AUTO - polished| in any coordinate before a warning is issued.
#: AUTO locates special points by secant iteration on test functions to about EPSS
#: (1e-7) in arclength; codimension-two points are cruder (~1e-3).
POLISH_WARN = {"LP": 1e-5, "HB": 1e-5, "CP": 1e-2, "BT": 1e-2, "GH": 1e-2, "ZH": 1e-2}
CURVE_TYPES = ("CP", "BT", "GH", "ZH")
#: Largest residual of a defining system accepted from Newton polishing. Converged
#: points have 1e-16 to 1e-13 (the GH row, by differences of the analytic l1, ~1e-13).
POLISH_RESIDUAL = 1e-9
# AUTO's PAR index of the period of periodic orbits.
PERIOD_PAR = 11


@dataclass(frozen=True)
class SpecialPoint:
    """A labelled point: fold, Hopf, codimension-two point or cycle bifurcation.

    Attributes
    ----------
    type : str
        AUTO's code: ``LP``, ``HB``, ``BP``, ``CP``, ``BT``, ``GH``, ``ZH``, ``PD``, ``TR``.
    label : str
        ``type`` + running number along the run, sorted by the first free
        parameter (``LP1`` is the fold at the smallest eta).
    params : dict
        All parameters at the point (polished where polishing applies).
    state : dict
        State by name (at cycles: the state at the orbit's start).
    r, abs_z : float
        Firing rate and |z| (cycles: their maxima along the orbit).
    stable : bool
        Whether the point is linearly stable: all eigenvalues with negative real part
        (cycles: AUTO's Floquet flag). False at a bifurcation point itself, where the
        linearisation is critical (see ``stability``).
    kind : str
        Run it belongs to: ``equilibria``, ``fold``, ``hopf`` or ``cycles``.
    free : tuple of str
        The run's free parameters.
    auto_params : dict
        AUTO's own location (free parameters).
    polish_difference : float or None
        Max |AUTO - polished| over state and free parameters.
    l1 : float or None
        First Lyapunov coefficient at Hopf points (< 0 supercritical).
    period : float or None
        Period (cycle points).
    extra : dict
        Further per-type data (eigenvalues, multipliers, r/|z| minima on cycles; at GH
        points ``bautin``: on which side of the Hopf curve its fold of cycles lies).
    l2 : float or None
        Second Lyapunov coefficient at Bautin (GH) points
        (:func:`thetabif.polish.second_lyapunov_coefficient`, normalised like ``l1``).
        ``l2 < 0``: the fold of cycles emanates into the subcritical (``l1 > 0``) side,
        where a stable large cycle surrounds the unstable small one; ``l2 > 0``: into
        the supercritical (``l1 < 0``) side, an unstable large cycle around the stable
        small one.
    stability : str
        What the linearisation at the point says, in words: ``stable``, ``unstable
        (k eigenvalues with Re > 0)`` or, at a bifurcation point, ``critical: ...``
        naming the eigenvalue(s) or multiplier on the stability boundary and how the
        rest are.
    model : str
        Name of the model of the run the point belongs to (set by
        :class:`ContinuationResult`); a point restarts only a continuation of that model
        at the same parameters (:meth:`Continuation.curve`, :meth:`Continuation.cycles`).
    """

    type: str
    label: str
    params: dict
    state: dict
    r: float
    abs_z: float
    stable: bool
    kind: str
    free: tuple[str, ...]
    auto_params: dict
    polish_difference: float | None = None
    l1: float | None = None
    period: float | None = None
    extra: dict = field(default_factory=dict)
    l2: float | None = None
    stability: str = ""
    model: str = ""
    # where to restart AUTO from this point (not part of the public record)
    _restart: tuple[str, int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def criticality(self) -> str | None:
        """``supercritical`` (l1 < 0) or ``subcritical`` (l1 > 0) at Hopf points;
        ``degenerate`` at Bautin points (l1 = 0 there); None where l1 is not known."""
        if self.type == "GH":
            return "degenerate"
        if self.l1 is None:
            return None
        return "supercritical" if self.l1 < 0 else "subcritical"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the CLI's ``special_points`` entries)."""
        out: dict[str, Any] = {"type": self.type, "label": self.label}
        out.update({k: float(v) for k, v in self.params.items()})
        out["state"] = {k: float(v) for k, v in self.state.items()}
        out["r"] = float(self.r)
        out["abs_z"] = float(self.abs_z)
        out["stable"] = bool(self.stable)
        if self.stability:
            out["stability"] = self.stability
        out["kind"] = self.kind
        out["auto"] = {k: float(v) for k, v in self.auto_params.items()}
        if self.polish_difference is not None:
            out["polish_difference"] = float(self.polish_difference)
        if self.l1 is not None:
            out["l1"] = float(self.l1)
        if self.criticality is not None:
            out["criticality"] = self.criticality
        if self.l2 is not None:
            out["l2"] = float(self.l2)
        if self.period is not None:
            out["period"] = float(self.period)
        clash = sorted(set(self.extra) & set(out))
        if clash:  # an extra must not replace a field (from_json_dict reads them back)
            raise ValueError(f"extra keys {clash} of {self.label or self.type} clash with "
                             "the record's fields")
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Branch:
    """One continued branch: columns by name along the branch.

    Attributes
    ----------
    kind : str
        ``equilibria``, ``fold``, ``hopf`` or ``cycles``.
    free : tuple of str
    data : dict of str to ndarray
        Free parameters, states (cycles: maxima), ``r``, ``abs_z`` (cycles: max and
        min), ``period`` (cycles), ``stable`` (bool), ``type`` (str codes).
    direction : int
        +1 or -1: the sign of AUTO's first step.
    """

    kind: str
    free: tuple[str, ...]
    data: dict
    direction: int

    def __len__(self) -> int:
        return len(self.data["stable"])

    def to_dataframe(self):
        """A pandas DataFrame, one row per point."""
        import pandas as pd

        return pd.DataFrame({k: np.asarray(v) for k, v in self.data.items()})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "free": list(self.free),
                               "direction": self.direction, "points": len(self)}
        for k, v in self.data.items():
            arr = np.asarray(v)
            out[k] = arr.tolist() if arr.dtype.kind in "bU" else [float(x) for x in arr]
        return out


@dataclass(frozen=True)
class ContinuationResult:
    """The branches and special points of one continuation call."""

    kind: str
    model: str
    free: tuple[str, ...]
    params: dict
    branches: tuple[Branch, ...]
    special_points: tuple[SpecialPoint, ...]
    messages: tuple[str, ...] = ()
    #: cycles only: every stored orbit with its period, r and |z| range, stability
    orbits: tuple[dict, ...] = ()
    #: cycles only, when the branch approaches a homoclinic orbit: the free parameter's
    #: value it tends to (the estimate of the homoclinic point), the largest period
    #: computed there and the period at which the branch was ended
    homoclinic: dict | None = None

    def __post_init__(self) -> None:
        # every point names the model of the run it belongs to
        object.__setattr__(self, "special_points", tuple(
            p if p.model == self.model else replace(p, model=self.model)
            for p in self.special_points))

    def special(self, type: str) -> list[SpecialPoint]:
        """Special points of one type, in label order."""
        return [p for p in self.special_points if p.type == type]

    def point(self, label: str) -> SpecialPoint:
        """The special point with a given label, e.g. ``"LP1"``."""
        for p in self.special_points:
            if p.label == label:
                return p
        have = ", ".join(p.label for p in self.special_points) or "none"
        raise KeyError(f"no special point {label!r} in this {self.kind} run; have: {have}")

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's JSON document."""
        return {
            "model": self.model, "kind": self.kind, "free": list(self.free),
            "params": self.params,
            "special_points": [p.to_dict() for p in self.special_points],
            "branches": [b.to_dict() for b in self.branches],
            "messages": list(self.messages),
            "orbits": list(self.orbits),
            "homoclinic": self.homoclinic,
        }

    def to_dataframe(self):
        """All branch points in one table, with a ``branch`` column."""
        import pandas as pd

        frames = [b.to_dataframe().assign(branch=i) for i, b in enumerate(self.branches)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def special_dataframe(self):
        """Special points as a table (one row each)."""
        import pandas as pd

        rows = []
        for p in self.special_points:
            d = p.to_dict()
            d.update({f"state_{k}": v for k, v in d.pop("state").items()})
            d.pop("auto", None)
            rows.append({k: v for k, v in d.items() if not isinstance(v, (list, dict))})
        return pd.DataFrame(rows)

    def to_xarray(self):
        """An xarray Dataset: dimension ``point`` (all branches), ``special`` (points)."""
        import xarray as xr

        df = self.to_dataframe()
        ds = xr.Dataset({k: ("point", df[k].to_numpy()) for k in df.columns})
        sp = self.special_dataframe()
        for k in sp.columns:
            ds[f"special_{k}"] = ("special", sp[k].to_numpy())
        ds.attrs.update(kind=self.kind, model=self.model, free=",".join(self.free),
                        params=json.dumps(self.params),
                        special_points=json.dumps([p.to_dict() for p in self.special_points]))
        return ds

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write as netCDF (the full JSON record is kept in the attrs)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        ds = self.to_xarray()
        ds.attrs["record"] = json.dumps(self.to_json_dict())
        for k in list(ds.data_vars):
            if ds[k].dtype == object:
                ds[k] = ds[k].astype(str)
        ds.to_netcdf(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ContinuationResult:
        """Read a result written by :meth:`save` (netCDF, ``.nc``) or its JSON document
        (:meth:`to_json_dict`, as ``thetabif ... --out FILE.json`` writes it).

        Raises
        ------
        InputError
            The file is of another kind (a ``.csv`` holds the branch points only) or
            not a thetabif continuation record.
        """
        import xarray as xr

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".nc", ".json"):
            raise InputError(f"cannot load {str(path)!r} as a continuation result: use the "
                             ".nc (netCDF) or .json file written by save() or --out"
                             + ("; a .csv holds the branch points only" if suffix == ".csv"
                                else ""))
        try:
            if suffix == ".json":
                record = json.loads(path.read_text())
            else:
                with xr.open_dataset(path) as ds:
                    record = json.loads(ds.attrs["record"])
            return cls.from_json_dict(record)
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{str(path)!r} is not a thetabif continuation record "
                             f"({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> ContinuationResult:
        branches = []
        for b in d["branches"]:
            data = {k: _column(v) for k, v in b.items()
                    if k not in ("kind", "free", "direction", "points")}
            branches.append(Branch(b["kind"], tuple(b["free"]), data, b["direction"]))
        specials = []
        for p in d["special_points"]:
            p = dict(p)
            state = p.pop("state")
            auto = p.pop("auto", {})
            core = {k: p.pop(k) for k in ("type", "label", "r", "abs_z", "stable", "kind")}
            pd_ = p.pop("polish_difference", None)
            l1 = p.pop("l1", None)
            p.pop("criticality", None)
            l2 = p.pop("l2", None)
            stability = p.pop("stability", "")
            period = p.pop("period", None)
            params = {k: p.pop(k) for k in list(p) if k in d["params"]}
            specials.append(SpecialPoint(core["type"], core["label"], params, state, core["r"],
                                         core["abs_z"], core["stable"], core["kind"],
                                         tuple(d["free"]), auto, pd_, l1, period, p, l2=l2,
                                         stability=stability))
        return cls(d["kind"], d["model"], tuple(d["free"]), d["params"], tuple(branches),
                   tuple(specials), tuple(d.get("messages", ())), tuple(d.get("orbits", ())),
                   d.get("homoclinic"))


def _column(values: Any) -> np.ndarray:
    """A branch column read back from JSON: numbers with ``null`` (strict JSON's NaN) as
    nan, flags and type codes as they are."""
    arr = np.asarray(values)
    if arr.dtype == object:  # numbers and nulls
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return arr


def _render_constants(c: Mapping[str, Any]) -> str:
    """Keyword-style AUTO constants text from a dict (repr of Python literals; numpy
    numbers, as accepted for steps and limits, become plain ones)."""
    return "\n".join(f"{k} = {_plain(v)!r}" for k, v in c.items()) + "\n"


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars replaced by Python numbers, in lists and dicts too."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


class Continuation:
    """Continuation of one model from one parameter set, on AUTO-07p.

    Parameters
    ----------
    model : ThetaModel, optional
        Default: the delta-pulse theta model.
    params : mapping, optional
        Starting parameters (defaults fill the rest). The equilibrium branch starts
        on the lowest-rate stable equilibrium there (found by Newton).
    timeout : float
        Seconds allowed per AUTO run.

    Raises
    ------
    ValueError
        Invalid parameters, or no equilibrium at the starting parameters.
    thetabif.auto.AutoNotFoundError, thetabif.auto.CompilerNotFoundError
        AUTO-07p or gfortran missing (the message says how to install them).
    """

    def __init__(self, model: ThetaModel | None = None, params: Mapping[str, float] | None = None,
                 *, timeout: float = 120.0) -> None:
        if model is not None and not isinstance(model, ThetaModel):
            raise TypeError(f"model must be a ThetaModel, got {type(model).__name__}")
        self.model = model or ThetaModel()
        self.params = self.model.validate_params(params)
        _check_steps(timeout=timeout)
        self.timeout = float(timeout)
        self._exe: Path | None = None
        self._start_state: np.ndarray | None = None

    # ----------------------------------------------------------------- engine
    def _executable(self) -> Path:
        if self._exe is None:
            self._exe = engine_executable(self.model)
        return self._exe

    def _start(self) -> np.ndarray:
        """The starting equilibrium at :attr:`params` (lowest-rate stable one), by Newton."""
        if self._start_state is None:
            self._start_state = _start_equilibrium(self.model, self.params)
        return self._start_state

    def _restart_text(self, free: str, state: np.ndarray | None = None,
                      params: Mapping[str, float] | None = None) -> str:
        """A ``fort.3`` holding an equilibrium, its parameters and the tangent.

        Default: the starting equilibrium at :attr:`params`. The engine's executable
        depends on the model only (its ``STPNT`` is never used); every equilibrium run
        starts from such a restart file with ``IRS=1``. The tangent's parameter
        component is positive: ``DS > 0`` increases ``free``.
        """
        num = self.model.numeric
        p = num.parameter_vector(self.params if params is None else params)
        u = self._start() if state is None else np.asarray(state, dtype=float)
        k = self.model.parameter_names.index(free)
        jac = num.jacobian(u, p)
        try:
            udot = -np.linalg.solve(jac, num.parameter_jacobian(u, p)[:, k])
        except np.linalg.LinAlgError:  # singular: AUTO recomputes the tangent anyway
            udot = np.zeros(len(u))
        tangent = np.concatenate([[1.0], udot])
        tangent /= np.linalg.norm(tangent)
        return restart_text(u, p, k + 1, tangent[0], tangent[1:])

    def _names(self) -> tuple[dict[int, str], dict[int, str]]:
        pars = {i + 1: n for i, n in enumerate(self.model.parameter_names)}
        pars.update({i: n for n, i in _output_indices(self.model).items()})
        pars[PERIOD_PAR] = "period"
        states = {i + 1: n for i, n in enumerate(self.model.state_names)}
        return pars, states

    def _constants(self, **over: Any) -> dict[str, Any]:
        pars, states = self._names()
        c: dict[str, Any] = {
            "unames": states, "parnames": pars,
            "NDIM": len(self.model.state_names), "IPS": 1, "IRS": 0, "ILP": 1,
            "ICP": ["eta"], "NTST": 50, "NCOL": 4, "IAD": 3, "ISP": 2, "ISW": 1,
            "IPLT": 0, "NBC": 0, "NINT": 0, "NMX": 3000, "NPR": 5000, "MXBF": 10,
            # IID=1: fort.9 keeps eigenvalues/multipliers at every point, half the size
            "IID": 1, "ITMX": 8, "ITNW": 7, "NWTN": 3, "JAC": 1,
            "EPSL": 1e-10, "EPSU": 1e-10, "EPSS": 1e-7,
            "DS": 0.01, "DSMIN": 1e-6, "DSMAX": 0.02, "IADS": 1, "NPAR": 36,
        }
        c.update(over)
        return c

    def _run(self, constants: Mapping[str, Any], restart: str | None = None,
             allow_mx: bool = False):
        from thetabif.auto import RunStatus, run_auto

        pars, states = self._names()
        result = run_auto(self._executable(), _render_constants(constants), restart,
                          timeout=self.timeout, par_names=pars, state_names=states)
        if allow_mx and result.status is RunStatus.NO_CONVERGENCE and result.branches:
            return result
        if not result.ok:  # AUTO's status and messages stay on the exception
            raise ContinuationFailed(result.status, result.message, result)
        return result

    def _follow(self, constants: Mapping[str, Any], restart: str | None,
                free: tuple[str, ...], *, max_points: int, closes: bool = False,
                allow_mx: bool = False, period_limit: float | None = None) -> _Direction:
        """One direction of a continuation, NMX steps per AUTO run.

        A run that ends at NMX (an EP point) inside the box is restarted from that
        point in the same direction, until the branch leaves the box, ends at a special
        point where AUTO stops (BT on a Hopf curve, MX), closes on itself (``closes``:
        two-parameter curves), has ``max_points`` points (recorded in ``stopped``, so
        that it cannot pass for a complete branch) or, on cycle branches, a period
        above ``period_limit`` (a homoclinic orbit is near: nothing to restart for).
        """
        _check_steps(max_points=max_points)
        cyc = period_limit is not None
        constants = {**constants, "NMX": min(int(constants["NMX"]), max_points)}
        direction = _Direction([self._run(constants, restart, allow_mx)])
        names = self.model.state_names
        tol = 3.0 * float(constants.get("DSMAX", 0.1))
        box = constants.get("UZSTOP") or {}
        # (free parameters, states[, log period]) of the joined branch, grown per run
        coords = _direction_coords(direction.results, free, names, cyc)
        while True:
            last = direction.results[-1]
            pts = last.branches[-1].points if last.branches else ()
            if len(pts) < 2 or pts[-1].type != "EP" or not pts[-1].label:
                break
            if any(not (lo <= pts[-1].parameters[k] <= hi) for k, (lo, hi) in box.items()):
                break  # outside the range: AUTO stepped out past a bound (e.g. a start on it)
            if cyc and float(pts[-1].parameters.get("period", 0.0)) > period_limit:
                break
            if closes:
                direction.closed_at = _closure_index(coords, tol)
                if direction.closed_at is not None:
                    break
            if len(coords) >= max_points:
                where = ", ".join(f"{k}={pts[-1].parameters[k]:.6g}" for k in free)
                direction.stopped = (f"step_limit: the branch stopped after {len(coords)} "
                                     f"points at {where}, inside the range; raise "
                                     "max_points (or dsmax) to follow it further")
                break
            c = {**constants, "IRS": pts[-1].label, "DS": abs(float(constants["DS"])),
                 "NMX": min(int(constants["NMX"]), max_points - len(coords) + 1)}
            heading = coords[-1] - coords[-2]
            piece = self._run(c, last.fort8, allow_mx)
            # AUTO's direction on a restart is not the branch's: turn round if needed
            first = _direction_coords([piece], free, names, cyc)
            if len(first) > 1 and np.dot(first[1] - first[0], heading) < 0:
                piece = self._run({**c, "DS": -c["DS"]}, last.fort8, allow_mx)
                first = _direction_coords([piece], free, names, cyc)
            direction.results.append(piece)
            coords = np.vstack([coords, first[1:]])
        return direction

    def _bounds(self, free: Sequence[str], bounds: Mapping[str, tuple[float, float]]
                ) -> dict[str, list[float]]:
        out = {}
        domain = {p.name: p for p in self.model.parameters}
        for name in free:
            lo, hi = bounds[name]
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"range of {name!r} must be finite with start < stop, "
                                 f"got {lo}:{hi}")
            if domain[name].positive and lo <= 0:
                raise ValueError(f"range of {name!r} must lie in its domain ({name} > 0: "
                                 f"{domain[name].description}), got {lo:g}:{hi:g}")
            out[name] = [float(lo), float(hi)]
        return out

    def _widened(self, box: Mapping[str, Sequence[float]], margin: float
                 ) -> dict[str, list[float]]:
        """``box`` grown by ``margin`` times its width on each side, inside the domain."""
        domain = {p.name: p for p in self.model.parameters}
        out = {}
        for name, (lo, hi) in box.items():
            w = margin * (hi - lo)
            out[name] = [max(lo - w, 0.5 * lo) if domain[name].positive else lo - w, hi + w]
        return out

    def _own_point(self, point: SpecialPoint, types: Sequence[str], use: str
                   ) -> SpecialPoint:
        """``point`` if it can restart a run of this continuation; a loaded point
        (no AUTO restart data) is found again by a short equilibrium run.

        Raises
        ------
        ValueError
            The point is of another type, another model, or was found at other values
            of the parameters that are not free on its run.
        ContinuationFailed
            A loaded point could not be found again.
        """
        if point.type not in types or point.kind != "equilibria":
            raise ValueError(f"{use}() starts from an {' or '.join(types)} point of an "
                             f"equilibrium run, got {point.type} {point.label!r} "
                             f"({point.kind})")
        if point.model and point.model != self.model.name:
            raise ValueError(f"{point.label} belongs to a run of model {point.model!r}, not "
                             f"{self.model.name!r}: start from a point of this continuation")
        other = [f"{k}={point.params.get(k, math.nan):g} (here {self.params[k]:g})"
                 for k in self.model.parameter_names if k not in point.free
                 and not math.isclose(point.params.get(k, math.nan), self.params[k],
                                      rel_tol=1e-12, abs_tol=1e-12)]
        if other:
            raise ValueError(f"{point.label} was found at other parameters: "
                             f"{', '.join(other)}; continue it with a Continuation at its "
                             "parameters")
        if point._restart is not None:
            return point
        (free,) = point.free
        x = point.params[free]
        half = max(0.5, 0.05 * abs(x))
        lo = max(x - half, 0.5 * x) if self._is_positive(free) else x - half
        # started away from the point: AUTO detects no fold it starts on
        near = Continuation(self.model, {**self.params, free: x - 0.4 * (x - lo)},
                            timeout=self.timeout)
        found = [p for p in near.equilibria(free, lo, x + half).special_points
                 if p.type == point.type and all(
                     abs(p.params[k] - point.params[k]) <= 1e-6 * max(1.0, abs(point.params[k]))
                     for k in point.params)]
        if not found:
            raise ContinuationFailed(f"{point.label} (loaded, {free} = {x:.10g}) was not found "
                                     f"again by an equilibrium run in {lo:g}:{x + half:g}, so "
                                     "AUTO has no solution to restart from")
        return found[0]

    def _is_positive(self, name: str) -> bool:
        return next(p.positive for p in self.model.parameters if p.name == name)

    def _check_free(self, free: Sequence[str]) -> tuple[str, ...]:
        free = tuple(free)
        for name in free:
            if name not in self.model.parameter_names:
                raise ValueError(f"free parameter {name!r} is not a parameter of "
                                 f"{self.model.name!r}; allowed: "
                                 f"{', '.join(self.model.parameter_names)}")
        if len(set(free)) != len(free):
            raise ValueError(f"free parameters must differ, got {list(free)}")
        return free

    # ---------------------------------------------------------------- records
    def _outputs(self, state: np.ndarray, params: Mapping[str, float]) -> tuple[float, float]:
        num = self.model.numeric
        p = num.parameter_vector(params)
        return float(num.output("r", state, p)), float(num.output("abs_z", state, p))

    def _branch_records(self, piece: Any, kind: str, free: tuple[str, ...], direction: int
                        ) -> tuple[list[Branch], list[tuple[Any, Any]]]:
        """Branches and special points of one direction.

        ``piece`` is a :class:`_Direction` (or a single run): the branch a restarted
        run continues is extended in place (its first point repeats the last one).
        """
        pieces = piece if isinstance(piece, _Direction) else _Direction([piece])
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
                    data = {n: [] for n in (*free, *self.model.state_names)}
                    data.update(r=[], abs_z=[], stable=[], type=[])
                    if kind == "cycles":
                        data["period"] = []
                    collected.append(data)
                    pts = b.points
                self._append_points(data, pts, result, kind, free, points)
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
                num = self.model.numeric
                u, pv = self._along(data, free)
                data["r"] = num.output("r", u, pv)
                data["abs_z"] = num.output("abs_z", u, pv)
            branches.append(Branch(kind, free, {k: np.asarray(v) for k, v in data.items()},
                                   direction))
        return branches, points

    def _along(self, data: Mapping[str, Any], free: Sequence[str]) -> tuple[np.ndarray, list]:
        """States ``(ndim, npoints)`` and parameters (free ones as arrays) of a branch."""
        return along(self.model, self.params, data, free)

    def _append_points(self, data: dict[str, list], pts: Sequence[Any], result: Any,
                       kind: str, free: tuple[str, ...], points: list) -> None:
        for pt in pts:
            for k in free:
                data[k].append(pt.parameters[k])
            for n in self.model.state_names:
                data[n].append(pt.state[n])
            if kind == "cycles":
                data["period"].append(pt.parameters.get("period", np.nan))
            data["stable"].append(bool(pt.stable))
            data["type"].append(pt.type)
            keep = (pt.type in CURVE_TYPES if kind in ("fold", "hopf")
                    else pt.is_special and pt.type not in ("EP", "UZ", "MX", "RG"))
            if keep:  # with where it stands (data, row) for closed curves
                points.append((pt, result, id(data), len(data["stable"]) - 1))

    def _special(self, pt, result, kind: str, free: tuple[str, ...]) -> SpecialPoint:
        from thetabif.polish import KINDS, PolishError, polish, second_lyapunov_coefficient

        auto_params = {k: float(pt.parameters[k]) for k in free}
        params = {**self.params, **auto_params}
        state = np.array([pt.state[n] for n in self.model.state_names])
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
                prof = np.asarray(sol.u)[:, : len(self.model.state_names)].T
                num = self.model.numeric
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
                state = np.asarray(sol.u)[0, : len(self.model.state_names)]
            polish_free: tuple[str, ...] | None = None
            if ptype in ("LP", "HB") and kind == "equilibria":
                polish_free = free[:1]
            elif ptype in KINDS and KINDS[ptype] == 2 and len(free) == 2:
                polish_free = free
            if polish_free is not None:
                try:
                    pp = polish(self.model, ptype, polish_free, state, params)
                except (PolishError, ValueError) as exc:  # ValueError: Newton left the
                    # parameters' domain (e.g. tau_s < 0)
                    warnings.warn(f"{ptype} at {auto_params}: Newton polishing failed ({exc}); "
                                  "AUTO's location is reported", RuntimeWarning, stacklevel=3)
                    extra["unpolished"] = f"Newton polishing failed ({exc})"
                    pp = None
                if pp is not None and not pp.residual <= POLISH_RESIDUAL:
                    # Newton's step became small without the defining system being solved
                    warnings.warn(f"{ptype} at {auto_params}: Newton stopped with residual "
                                  f"{pp.residual:.3g} > {POLISH_RESIDUAL:g}; AUTO's location "
                                  "is reported", RuntimeWarning, stacklevel=3)
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
                    l2 = second_lyapunov_coefficient(self.model, state, params)
                except (ValueError, np.linalg.LinAlgError):
                    l2 = None
            if ptype == "GH" and l2 is not None:
                extra["bautin"] = bautin_kind(l2)
            if pt.eigenvalues is not None:
                extra["eigenvalues"] = [[float(e.real), float(e.imag)] for e in pt.eigenvalues]
            r, az = self._outputs(state, params)
        stability = (_cycle_stability(ptype, bool(pt.stable)) if kind == "cycles"
                     else self._stability(state, params, ptype))
        return SpecialPoint(
            type=ptype, label="", params=dict(params),
            state=dict(zip(self.model.state_names, map(float, state), strict=True)),
            r=float(r), abs_z=float(az), stable=stability == "stable", kind=kind, free=free,
            auto_params=auto_params, polish_difference=diff, l1=l1, period=period,
            extra=extra, l2=l2, stability=stability,
            _restart=(result.fort8, pt.label, pt.type_number),
        )

    def _branch_confirms(self, point: SpecialPoint, branches: Sequence[Branch]) -> bool:
        """Whether the branch through an unpolished LP/HB of AUTO's shows it: the free
        parameter turns there (LP), or the number of eigenvalues with positive real
        part differs on its two sides (LP: by one, HB: by two)."""
        (free,) = point.free
        names = self.model.state_names
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
        u, pv = self._along({n: np.asarray(b.data[n])[[k - 1, k + 1]] for n in (*names, free)},
                            (free,))
        eig = np.linalg.eigvals(self.model.numeric.jacobians(u, pv))
        unstable = np.sum(eig.real > 0, axis=1)
        return int(abs(unstable[1] - unstable[0])) == (1 if point.type == "LP" else 2)

    def _stability(self, state: np.ndarray, params: Mapping[str, float], ptype: str) -> str:
        """:attr:`SpecialPoint.stability` of an equilibrium-type point, from its Jacobian."""
        num = self.model.numeric
        jac = num.jacobian(np.asarray(state, dtype=float), num.parameter_vector(params))
        return _linear_stability(np.linalg.eigvals(jac), _CRITICAL_EIGENVALUES.get(ptype, 0))

    def _finish(self, kind: str, free: tuple[str, ...], runs: Sequence[tuple[Any, int]],
                *, box: Mapping[str, Sequence[float]] | None = None,
                notes: Sequence[str] = ()) -> ContinuationResult:
        """Records of the runs: branches cut to ``box`` (and to |z| < 1), special points
        inside it only, polished."""
        branches: list[Branch] = []
        specials: list[SpecialPoint] = []
        messages: list[str] = list(notes)
        box = box or {}
        progress = False
        for run, direction in runs:
            pieces = run if isinstance(run, _Direction) else _Direction([run])
            bs, pts = self._branch_records(pieces, kind, free, direction)
            progress = progress or any(len(b) > 1 for b in bs)
            outside = at_circle = 0
            for b in bs:
                inside, n_box, n_circle = _pieces_inside(b, box)
                branches += inside
                outside += n_box
                at_circle += n_circle
            if outside:
                messages.append(f"outside: the {kind} run ({direction:+d}) leaves the range and "
                                f"comes back; {outside} point(s) outside it left out")
            if at_circle:
                messages.append(f"unit_circle: the {kind} run ({direction:+d}) reaches |z| = 1, "
                                f"the edge of the states' domain; {at_circle} point(s) there "
                                "left out")
            pts = [(pt, res) for pt, res in pts if _inside(pt.parameters, box)]
            messages += [r.message for r in pieces.results if r.message]
            if pieces.closed_at is not None:
                messages.append(f"closed: the {kind} curve returns to its start after "
                                f"{pieces.closed_at} points")
            if pieces.stopped:
                messages.append(pieces.stopped)
                warnings.warn(f"{kind} ({direction:+d}): {pieces.stopped}", RuntimeWarning,
                              stacklevel=3)
            for pt, res in pts:
                sp = self._special(pt, res, kind, free)
                if (kind == "equilibria" and "unpolished" in sp.extra
                        and not self._branch_confirms(sp, branches)):
                    messages.append(f"{sp.type} labelled by AUTO at {free[0]} = "
                                    f"{sp.params[free[0]]:.8g} not reported: "
                                    f"{sp.extra['unpolished']}, and the branch shows no "
                                    + ("turn" if sp.type == "LP" else "change of stability")
                                    + " there")
                    continue
                if _inside(sp.params, box) and not any(_same_point(sp, o) for o in specials):
                    specials.append(sp)
        if not progress:
            raise ContinuationFailed(f"the {kind} branch never left its start point")
        if kind != "cycles":
            results = [r for run, _ in runs
                       for r in (run.results if isinstance(run, _Direction) else [run])]
            specials, messages = self._with_scanned_points(kind, free, branches, results,
                                                           specials, messages, box)
        res = ContinuationResult(kind, self.model.name, free, dict(self.params),
                                 tuple(branches), _labelled(specials, free), tuple(messages))
        if kind in ("equilibria", "fold"):  # Hopf curves: after the Bautin scan
            res = _account_for_notes(res, results, box)
        return res

    def _with_scanned_points(self, kind: str, free: tuple[str, ...],
                             branches: Sequence[Branch], results: Sequence[Any],
                             specials: list[SpecialPoint], messages: list[str],
                             box: Mapping[str, Sequence[float]]
                             ) -> tuple[list[SpecialPoint], list[str]]:
        """Add the special points AUTO's test functions stepped over.

        Each branch is scanned (:func:`thetabif.branch_scan.scan_branch`); a point found
        there becomes a :class:`SpecialPoint` with ``extra["detected_by"]``, unless it
        coincides with one AUTO labelled or lies outside ``box``. Where AUTO printed
        ``Possible special point`` in its bracket, that estimate is kept as
        ``auto_params`` (with the distance to the polished point) and, once every such
        note is accounted for, AUTO's raw note is replaced by a message per point.
        """
        names = self.model.state_names
        notes = _possible_points(results)
        locs = [np.array([pt.parameters[k] for k in free] + [pt.state[n] for n in names])
                for pt in notes]
        resolved: set[int] = set()
        added: list[SpecialPoint] = []
        for b in branches:
            cols = np.array([b.data[k] for k in (*free, *names)], dtype=float)
            for sc in scan_branch(self.model, self.params, kind, free, b.data, locs):
                i, j = sc.bracket
                at = np.concatenate([[sc.params[k] for k in free], sc.state])
                k = min(range(i, j + 1), key=lambda m: float(np.max(np.abs(cols[:, m] - at))))
                extra: dict[str, Any] = {
                    "detected_by": sc.detected_by, "residual": sc.residual,
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
                    resolved.add(sc.note)
                if not _inside(sc.params, box):
                    continue
                r, az = self._outputs(sc.state, sc.params)
                stability = self._stability(sc.state, sc.params, sc.type)
                restart = (self._point_restart(sc.type, sc.state, sc.params, free[0],
                                               sc.frequency)
                           if kind == "equilibria" and sc.type in ("LP", "HB") else None)
                sp_ = SpecialPoint(
                    type=sc.type, label="", params=dict(sc.params),
                    state=dict(zip(names, map(float, sc.state), strict=True)), r=r,
                    abs_z=az, stable=stability == "stable", kind=kind, free=free,
                    auto_params=auto_params, polish_difference=diff, l1=sc.l1, extra=extra,
                    stability=stability, _restart=restart)
                if not any(_same_point(sp_, o) for o in [*specials, *added]):
                    added.append(sp_)
        if not added:
            return specials, messages
        messages = [*messages, *(
            f"{p.type} at " + ", ".join(f"{k} = {p.params[k]:.10g}" for k in free)
            + f": not labelled by AUTO; detected by {p.extra['detected_by']}, polished by "
            "Newton" + ("; AUTO's 'Possible special point' there" if "auto_note" in p.extra
                        else "") for p in added)]
        return [*specials, *added], messages

    def _point_restart(self, ptype: str, state: np.ndarray, params: Mapping[str, float],
                       free: str, frequency: float | None = None) -> tuple[str, int, int]:
        """``_restart`` of an LP or HB that AUTO did not label: a ``fort.8`` holding it
        as AUTO's own (type 2 or 3, label 1), so that :meth:`curve` and :meth:`cycles`
        start from it alike. An HB carries its period ``2 pi / frequency`` in PAR(11),
        from which AUTO's Hopf and cycle starts take omega; the tangent is left zero
        (AUTO computes its own when it switches to two parameters or to cycles)."""
        itp = {"LP": 2, "HB": 3}[ptype]
        pv = np.zeros(PERIOD_PAR)
        pv[:len(self.model.parameter_names)] = self.model.numeric.parameter_vector(params)
        if ptype == "HB":
            pv[PERIOD_PAR - 1] = 2 * math.pi / float(frequency)
        k = self.model.parameter_names.index(free)
        text = restart_text(state, pv, k + 1, 0.0, np.zeros(len(state)), itp=itp)
        return text, 1, itp

    # -------------------------------------------------------------- public API
    def equilibria(self, free: str = "eta", start: float = -20.0, stop: float = 20.0, *,
                   ds: float = 0.01, dsmax: float = 0.02, nmx: int = 5000,
                   max_points: int = 50_000) -> ContinuationResult:
        """Every piece of the equilibrium curve in one parameter inside a range.

        The branches are seeded from every equilibrium at the starting parameters
        (when the start lies in the range) and from every equilibrium at both ends
        of the range, and followed in both directions (inwards from an end) until they
        leave the range. A seed that lies on a branch already followed starts nothing,
        so an S-shaped curve through the start gives two branches (one per direction
        from the lowest-rate stable equilibrium), and a piece of the curve that
        re-enters the range past a fold outside it comes out as a branch of its own.
        Nothing outside ``[start, stop]`` is reported.

        Parameters
        ----------
        free : str
            The continuation parameter.
        start, stop : float
            The parameter range (runs stop at its ends). It must lie in the
            parameter's domain (``> 0`` for ``Delta``, ``tau``, ``tau_s``).
        ds, dsmax : float
            First and largest step (arclength), > 0 (a ``ds`` above ``dsmax`` starts
            with ``dsmax``). ``dsmax`` above ~0.05 lets AUTO step over the upper theta
            fold without detecting it (the branch scan then finds it).
        nmx : int
            Steps per AUTO run, >= 1. A run that ends after ``nmx`` steps inside the
            range is restarted from its end point in the same direction.
        max_points : int
            Points per direction at most. A branch that has not left the range by then
            is returned with a ``step_limit`` message and a RuntimeWarning.

        Raises
        ------
        ValueError
            Bad arguments, or no equilibrium at the start nor at either end.
        ContinuationFailed
            AUTO could not follow any branch.
        """
        (free,) = self._check_free([free])
        _check_steps(ds=ds, dsmax=dsmax, nmx=nmx, max_points=max_points)
        ds = min(ds, dsmax)  # the first step is at most the largest
        bounds = self._bounds([free], {free: (start, stop)})
        lo, hi = bounds[free]
        edge_tol = 1e-9 * (hi - lo)
        p0 = self.params[free]
        notes: list[str] = []
        # (state, parameters, directions): the start, then both ends (inwards only)
        seeds: list[tuple[np.ndarray, dict[str, float], tuple[int, ...]]] = []
        if lo + edge_tol < p0 < hi - edge_tol:
            seeds += [(u, self.params, (1, -1))
                      for u in _equilibria_at(self.model, self.params)]
        elif not lo - edge_tol <= p0 <= hi + edge_tol:
            notes.append(f"start: {free} = {p0:.10g} lies outside the range {lo:g}:{hi:g}; "
                         "the branches start from the equilibria at the range's ends")
        for edge, sign in ((lo, 1), (hi, -1)):
            at = {**self.params, free: edge}
            try:
                seeds += [(u, at, (sign,)) for u in _equilibria_at(self.model, at)]
            except ValueError:  # none at this end
                continue
        if not seeds:
            raise ValueError(f"no equilibrium of {self.model.name} at {free} = {p0:g}, "
                             f"{lo:g} or {hi:g}: nothing to continue in {lo:g}:{hi:g}")
        names = self.model.state_names
        followed: list[np.ndarray] = []
        runs = []
        for u, at, signs in seeds:
            if any(_on_branch(coords, at[free], u) for coords in followed):
                continue
            for sign in signs:
                c = self._constants(IRS=1, ICP=[free, "r", "v"], DS=sign * ds, DSMAX=dsmax,
                                    NMX=nmx, UZSTOP=bounds)
                run = self._follow(c, self._restart_text(free, u, at), (free,),
                                   max_points=max_points)
                runs.append((run, sign))
                followed.append(_direction_coords(run.results, (free,), names))
        return self._finish("equilibria", (free,), runs, box=bounds, notes=notes)

    def curve(self, point: SpecialPoint, free: Sequence[str] = ("eta", "J"),
              bounds: Mapping[str, tuple[float, float]] | None = None, *,
              ds: float = 0.01, dsmax: float = 0.05, nmx: int = 5000,
              max_points: int = 50_000, bautin: bool = True,
              margin: float = 0.5) -> ContinuationResult:
        """Follow a fold (LP) or Hopf (HB) point in two parameters, both directions.

        The curve is followed until it leaves ``bounds`` (default eta in [-20, 20],
        J in [-60, 60]), ends where AUTO ends it (a Hopf curve at a BT point, where
        omega -> 0), or returns to its start: a closed curve is cut there, the other
        direction is not run, and a ``closed`` message says so. AUTO runs ``nmx``
        steps at a time and is restarted from the end of a run that stopped inside the
        box; a curve still inside after ``max_points`` points per direction comes back
        with a ``step_limit`` message and a RuntimeWarning. On Hopf curves,
        ``bautin=True`` also looks for sign changes of the first Lyapunov coefficient
        and adds the GH points found that way (``extra["detected_by"]``), polished by
        Newton on the GH system, to those AUTO labels.

        Only what lies inside ``bounds`` is reported. The curve is followed ``margin``
        times the box's width beyond each side (inside the parameters' domain), so a
        curve that leaves the box and comes back within that margin gives each of its
        pieces inside the box as a branch of its own.

        Raises
        ------
        ValueError
            The point is not an LP/HB of an equilibrium run of this model at these
            parameters, lies outside ``bounds``, or a range is given for a parameter
            that is not free.
        """
        point = self._own_point(point, ("LP", "HB"), "curve")
        free = self._check_free(free)
        if len(free) != 2:
            raise ValueError(f"a curve needs two free parameters, got {list(free)}")
        _check_steps(ds=ds, dsmax=dsmax, nmx=nmx, max_points=max_points)
        ds = min(ds, dsmax)  # the first step is at most the largest
        if not (math.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
        extra_names = sorted(set(bounds or {}) - set(free))
        if extra_names:
            raise ValueError(f"a range is given for {', '.join(map(repr, extra_names))}, "
                             f"which is not free on this curve (free: {', '.join(free)})")
        default = {"eta": (-20.0, 20.0), "J": (-60.0, 60.0)}
        given = {**default, **(bounds or {})}
        for name in free:
            if name not in given:
                raise ValueError(f"give a range for {name!r} in bounds")
        box = self._bounds(free, given)
        if not _inside(point.params, box):
            raise ValueError(f"{point.label} lies outside the box: "
                             + ", ".join(f"{k} = {point.params[k]:.10g} (range {lo:g}:{hi:g})"
                                         for k, (lo, hi) in box.items()))
        follow_box = self._widened(box, margin)
        fort8, label, _ = point._restart
        kind = "fold" if point.type == "LP" else "hopf"
        runs: list[tuple[_Direction, int]] = []
        for sign in (1, -1):
            # UZR: a point exactly where the curve crosses the box's sides
            c = self._constants(IRS=label, ISW=2, ICP=[*free, "r", "v"], DS=sign * ds,
                                DSMAX=dsmax, NMX=nmx, UZSTOP=follow_box, UZR=box)
            runs.append((self._follow(c, fort8, free, max_points=max_points, closes=True),
                         sign))
            if runs[-1][0].closed_at is not None:
                break  # the other direction is the same closed curve
        res = self._finish(kind, free, runs, box=box)
        if kind == "hopf":
            res = self._hopf_part(res)
        if kind == "hopf" and bautin:
            res = self._with_bautin_points(res, free,
                                           [r for d, _ in runs for r in d.results])
        # points added from the branch (BT ends, GH by l1) are polished: keep those inside
        kept = tuple(p for p in res.special_points if _inside(p.params, box))
        if len(kept) < len(res.special_points):
            res = replace(res, special_points=_labelled(kept, free))
        if kind == "hopf":
            res = _account_for_notes(res, [r for d, _ in runs for r in d.results], box)
        return res

    def _hopf_part(self, res: ContinuationResult) -> ContinuationResult:
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
        from thetabif.polish import PolishError, polish

        free, names = res.free, self.model.state_names
        num = self.model.numeric
        branches: list[Branch] = []
        ends: list[tuple[dict, int, int]] = []  # (data, last Hopf index, first neutral)
        dropped = 0
        for b in res.branches:
            d = b.data
            u, pv = self._along(d, free)
            omega = (_critical_pair_frequency(np.linalg.eigvals(num.jacobians(u, pv)))
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
            pv = [p.params[k] for k in self.model.parameter_names]
            return float(_critical_pair_frequency(np.linalg.eigvals(num.jacobians(st, pv)))[0])

        specials = list(res.special_points)
        messages = list(res.messages)
        messages.append(f"neutral_saddle: {dropped} point(s) where AUTO's branch continues "
                        "past BT with a real pair +-mu (no Hopf point) left out")
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
            pars = {**self.params, **{k: float((seed.auto_params if seed else
                                                {k: d[k][i]})[k]) for k in free}}
            try:
                pp = polish(self.model, "BT", free, st, pars)
            except (PolishError, ValueError) as exc:
                messages.append(f"the Hopf curve ends at a neutral saddle near "
                                f"{pars[free[0]]:.6g}, {pars[free[1]]:.6g}; polishing a BT "
                                f"point there failed ({exc})")
                continue
            if max(abs(pp.params[k] - pars[k]) for k in free) > 10 * span + 1e-6:
                messages.append(f"the Hopf curve ends at a neutral saddle near "
                                f"{pars[free[0]]:.6g}, {pars[free[1]]:.6g}; Newton on the BT "
                                "system converged elsewhere")
                continue
            r, az = self._outputs(pp.state, pp.params)
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
                extra["detected_by"] = "end of the Hopf stretch of the curve (thetabif)"
            specials.append(SpecialPoint(
                type="BT", label="", params=dict(pp.params),
                state=dict(zip(names, map(float, pp.state), strict=True)), r=r, abs_z=az,
                stable=False, kind="hopf", free=free, auto_params=auto_params,
                polish_difference=diff if seed is not None else None, extra=extra,
                stability=self._stability(pp.state, pp.params, "BT")))
        kept = [p for p in specials if p.type not in ("GH", "ZH") or omega_at(p) > 0]
        if len(kept) < len(specials):
            messages.append(f"{len(specials) - len(kept)} GH/ZH label(s) of AUTO on the "
                            "neutral-saddle stretch dropped")
        return replace(res, branches=tuple(branches), messages=tuple(messages),
                       special_points=_labelled(kept, free))

    def _with_bautin_points(self, res: ContinuationResult, free: tuple[str, ...],
                            results: Sequence[Any] = ()) -> ContinuationResult:
        """Add GH points where l1 changes sign along a Hopf curve and AUTO labelled none.

        l1 is evaluated at ~400 points of a branch below 4000 points, at every 10th
        point of a longer one; each sign change between
        finite values (not through the pole at a BT point, where omega -> 0) is
        polished by Newton on the GH system from the end with the smaller |l1|. AUTO
        0.9's own GH test function misses some of them (e.g. on the conductance-based
        model's Hopf curve in (eta, v_s)).
        """
        from thetabif.polish import PolishError, first_lyapunov_coefficient, polish

        names = self.model.state_names
        notes = _possible_points(results)
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
                pars = {**self.params, **{k: float(d[k][i]) for k in free}}
                try:
                    vals.append(first_lyapunov_coefficient(self.model, st, pars))
                except (ValueError, np.linalg.LinAlgError):
                    vals.append(np.nan)
            for a in range(len(idx) - 1):
                la, lb = vals[a], vals[a + 1]
                if not (np.isfinite(la) and np.isfinite(lb)) or np.sign(la) == np.sign(lb):
                    continue
                j = idx[a] if abs(la) <= abs(lb) else idx[a + 1]
                st = np.array([d[k][j] for k in names])
                pars = {**self.params, **{k: float(d[k][j]) for k in free}}
                try:
                    pp = polish(self.model, "GH", free, st, pars)
                except (PolishError, ValueError):  # diverged, or left the domain
                    continue
                span = max(abs(d[k][idx[a + 1]] - d[k][idx[a]]) for k in free)
                if ((pp.frequency or 0.0) < 1e-6 or pp.residual > 1e-9
                        or max(abs(pp.params[k] - pars[k]) for k in free) > 2 * span + 1e-6):
                    continue  # a pole of l1 (BT) or Newton wandered off the bracket
                r, az = self._outputs(pp.state, pp.params)
                extra = {"detected_by": "l1 sign change (thetabif)",
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
                    stability=self._stability(pp.state, pp.params, "GH"))
                known = [*res.special("GH"), *found]
                if not any(max(abs(o.params[k] - sp_.params[k]) for k in free) < 1e-6
                           for o in known):
                    found.append(sp_)
        if not found:
            return res
        return replace(res, special_points=_labelled([*res.special_points, *found], free))

    def cycles(self, point: SpecialPoint, free: str = "eta", start: float = -20.0,
               stop: float = 20.0, *, ds: float = 0.01, dsmax: float = 0.5, nmx: int = 400,
               max_points: int = 4000, max_period: float = 500.0, ntst: int = 80
               ) -> ContinuationResult:
        """Periodic orbits born at a Hopf point, continued in one parameter.

        AUTO runs ``nmx`` steps at a time, restarted from the end of a run that stopped
        inside the range, up to ``max_points`` points (then a ``step_limit`` message
        and a RuntimeWarning). Every tenth orbit is stored with its profile, giving
        min/max of r and |z|.
        When the period grows beyond ``max(5 T_Hopf, max_period / 5)``, the branch
        approaches a homoclinic orbit: a ``homoclinic_approach`` message is added, and
        AUTO's eventual non-convergence there (MX) is not an error.

        AUTO 0.9.2 misses a period doubling or torus bifurcation when the multiplier
        passes the unit circle within one step from far off (its PD test function is
        off while the flip multiplier is above -0.5). Where the Floquet multipliers
        show such a crossing (periods below 5 T_Hopf) and AUTO labelled no PD/TR
        there, that stretch is re-run with 1/20 of the step and AUTO's PD/TR taken
        from the rerun (``extra["detected_by"]``, and a message; if AUTO still labels
        none, it is placed by interpolation, ``extra["located_by"]``). Without such a
        crossing nothing is re-run.
        """
        point = self._own_point(point, ("HB",), "cycles")
        (free,) = self._check_free([free])
        _check_steps(ds=ds, dsmax=dsmax, nmx=nmx, max_points=max_points,
                     max_period=max_period, ntst=ntst)
        ds = min(ds, dsmax)  # the first step is at most the largest
        box = self._bounds([free], {free: (start, stop)})
        if not _inside(point.params, box):
            lo, hi = box[free]
            raise ValueError(f"{point.label} lies outside the range: {free} = "
                             f"{point.params[free]:.10g}, range {lo:g}:{hi:g}")
        fort8, label, _ = point._restart
        c = self._constants(IPS=2, IRS=label, ICP=[free, PERIOD_PAR], NTST=ntst, NPR=10,
                            EPSL=1e-7, EPSU=1e-7, EPSS=1e-5, DS=ds, DSMAX=dsmax, NMX=nmx,
                            THL={PERIOD_PAR: 0.0},
                            UZSTOP=_stops(box, 0.01), UZR=box)  # UZ orbits at the ends
        omega = point.extra.get("frequency")
        # beyond this period the branch approaches a homoclinic orbit (see below)
        limit = max(5 * 2 * np.pi / omega if omega else 0.0, 0.2 * max_period)
        direction = self._follow(c, fort8, (free,), max_points=max_points, allow_mx=True,
                                 period_limit=limit)
        result = direction.results[-1]
        res = self._finish("cycles", (free,), [(direction, 1)], box=box)
        period = np.concatenate([b.data["period"] for b in res.branches])
        msgs = list(res.messages)
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
            branches, homoclinic = _end_at_homoclinic_approach(branches, free, t_hom)
            # AUTO's own MX (no convergence) there is the approach itself
            msgs = [m for m in msgs if not m.startswith("MX at")]
            msgs.append(f"homoclinic_approach: the period grows from {p0:.4g} to "
                        f"{np.nanmax(period):.4g} while {free} tends to "
                        f"{homoclinic[free]:.10g} (estimate of the homoclinic point), "
                        f"where it arrives at period {homoclinic['approach_period']:.4g}; "
                        f"the branch ends at period {t_hom:.4g}")
        elif not result.ok:
            raise ContinuationFailed(result.status, result.message, result)
        specials, found = _refine_cycle_crossings(self, direction, c, free, p0, specials)
        msgs += found
        if homoclinic is not None:
            past = [p for p in specials if _on_homoclinic_approach(
                p.params[free], p.period, free, homoclinic, "approach_period")]
            if past:
                msgs.append(f"{len(past)} point(s) AUTO labelled on the approach to the "
                            "homoclinic orbit (test functions meaningless there) left out: "
                            + ", ".join(f"{p.type} at {free} = {p.params[free]:.8g}"
                                        for p in past))
                specials = _labelled([p for p in specials if p not in past], (free,))
        num = self.model.numeric
        nstate = len(self.model.state_names)
        orbits = []
        joins = {(k, run.solutions[-1].label) for k, run in enumerate(direction.results[:-1])
                 if run.solutions}
        for k, sol, stable in ((k, sol, {p.label: p.stable for b in run.branches
                                         for p in b.points if p.label})
                               for k, run in enumerate(direction.results)
                               for sol in run.solutions):
            params = {**self.params, free: float(sol.parameters[free])}
            prof = np.asarray(sol.u)[:, :nstate].T
            p = num.parameter_vector(params)
            r_prof, az_prof = num.output("r", prof, p), num.output("abs_z", prof, p)
            if not _inside({free: float(sol.parameters[free])}, box):
                continue  # AUTO's stop lies a little beyond the range
            if homoclinic is not None and _on_homoclinic_approach(
                    float(sol.parameters[free]), sol.period, free, homoclinic, "cut_period"):
                continue
            orbits.append({free: params[free], "period": float(sol.period or np.nan),
                           "r_min": float(r_prof.min()), "r_max": float(r_prof.max()),
                           "abs_z_min": float(az_prof.min()),
                           "abs_z_max": float(az_prof.max()),
                           "stable": bool(stable.get(sol.label, False)),
                           "type": "" if (k, sol.label) in joins and sol.type == "EP"
                           else sol.type})
        return ContinuationResult(res.kind, res.model, res.free, res.params, branches,
                                  specials, tuple(msgs), tuple(orbits), homoclinic)


# ------------------------------------------------------------------ engine helpers
#: First PAR index of the solution measures written by PVLS (as codegen.fortran).
_FIRST_OUTPUT_PAR = 21
#: Files whose content determines the engine's Fortran source (cache key of the index).
_CODEGEN_SOURCES = ("models.py", "codegen/fortran.py")
_ENGINE_NOTE = ("STPNT is not used by thetabif's engine: every run starts from a restart "
                "file (fort.3) written by thetabif.")


def _output_indices(model: ThetaModel) -> dict[str, int]:
    """PAR index of each PVLS measure, as :func:`thetabif.codegen.fortran.output_indices`.

    Computed from the model's options, so that the warm path needs no sympy: ``r``,
    ``v``, ``abs_z`` and, for instantaneous synapses, ``s``.
    """
    names = ["r", "v", "abs_z"] + (["s"] if model.synapse == "instant" else [])
    return {name: _FIRST_OUTPUT_PAR + i for i, name in enumerate(names)}


def _fmt(value: float) -> str:
    # leading blank: Fortran list-directed input needs a separator before a minus sign
    return f" {float(value):.17E}"


def restart_text(state: Sequence[float], pvec: Sequence[float], icp: int, rldot: float,
                 udot: Sequence[float], npar: int = 36, *, itp: int = 9) -> str:
    """An AUTO-07p solution file (``fort.3``) holding one equilibrium, label 1.

    Parameters
    ----------
    state : sequence of float
        The equilibrium (``U``).
    pvec : sequence of float
        ``PAR(1)...`` (the model's parameters in order; the rest are zero).
    icp : int
        The free parameter's index the direction refers to.
    rldot, udot
        Direction vector (parameter and state components), unit Euclidean norm.
    npar : int
        ``NPAR`` of the constants.
    itp : int
        AUTO's point type: 9 (EP), or 2 (LP) / 3 (HB) for a fold or Hopf point that
        ``ISW=2`` or ``IPS=2`` runs start from (an HB needs its period in PAR(11)).

    Notes
    -----
    The header has AUTO 0.9's 16 integers: IBR, NTOT, ITP, LAB, NFPR, ISW,
    NTPL, NAR, NROWPR, NTST, NCOL, NPAR, NPARI, NDIM, IPS, IPRIV. Values are written with
    17 significant digits (AUTO's own ``fort.8`` keeps 11).
    """
    u = np.asarray(state, dtype=float)
    ndim = len(u)
    par = np.zeros(npar)
    par[: len(pvec)] = np.asarray(pvec, dtype=float)
    rows = ["  " + _fmt(0.0) + "".join(_fmt(v) for v in u), f"    {icp}",
            "  " + _fmt(rldot), "  " + "".join(_fmt(v) for v in udot)]
    rows += ["  " + "".join(_fmt(v) for v in par[i:i + 7]) for i in range(0, npar, 7)]
    head = (f"{1:6d}{1:6d}{itp:6d}{1:6d}{1:6d}{1:6d}{1:8d}{ndim + 1:6d}{len(rows):8d}"
            f"{1:5d}{0:5d}{npar:5d}{0:5d}{ndim:5d}{1:5d}{0:5d}")
    return head + "\n" + "\n".join(rows) + "\n"


def _equilibria_at(model: ThetaModel, params: Mapping[str, float]) -> list[np.ndarray]:
    """Every equilibrium found at ``params``: stable ones first, each group by rate.

    The same seeds as :func:`thetabif.export.starting_equilibrium` (closed-form
    delta-pulse equilibria, then a polar grid), with plain Newton steps instead of
    scipy's ``root``, so the warm path of a continuation does not import scipy. Falls
    back to :func:`thetabif.equilibrium.find_equilibria` when plain Newton finds nothing.

    Raises
    ------
    ValueError
        No equilibrium at ``params``.
    """
    full = model.validate_params(params)
    reduced = ThetaModel(n=model.n, synapse="instant", coupling=model.coupling)
    num_r, num = reduced.numeric, model.numeric
    p_r, p = num_r.parameter_vector(full), num.parameter_vector(full)
    pt = math.pi * full["tau"]
    roots = np.roots([pt**2, -full["J"], -(full["eta"] + full["I_ext"]), 0.0,
                      -(full["Delta"] / (2 * pt)) ** 2])
    rates = np.sort(roots[np.abs(roots.imag) <= 1e-9 * np.maximum(1.0, np.abs(roots))].real)
    seeds = []
    for r in rates[rates > 0]:
        w = pt * r - 1j * full["Delta"] / (2 * pt * r)
        z = np.conj((1 - w) / (1 + w))
        seeds.append(np.array([z.real, z.imag]))
    for rad in (0.2, 0.5, 0.8, 0.95, 0.99):
        for ang in np.linspace(-np.pi, np.pi, 12, endpoint=False):
            seeds.append(np.array([rad * np.cos(ang), rad * np.sin(ang)]))
    found: list[np.ndarray] = []
    for seed in seeds:
        u = seed.copy()
        with np.errstate(all="ignore"):
            for _ in range(40):
                try:
                    step = np.linalg.solve(num_r.jacobian(u, p_r), -num_r.rhs(u, p_r))
                except np.linalg.LinAlgError:
                    break
                u = u + step
                if not np.all(np.isfinite(u)) or u @ u >= 1.0:
                    break
                if np.max(np.abs(step)) < 1e-15:
                    break
        if (not np.all(np.isfinite(u)) or u @ u >= 1.0
                or np.max(np.abs(num_r.rhs(u, p_r))) > 1e-12
                or any(np.max(np.abs(u - f)) < 1e-7 for f in found)):
            continue
        found.append(u)
    if not found:
        from thetabif.equilibrium import find_equilibria

        eqs = find_equilibria(model, full)
        if not eqs:
            raise ValueError(
                f"no equilibrium of {model.name} found at "
                + ", ".join(f"{k}={v:g}" for k, v in params.items())
                + "; AUTO needs one to start from: choose other parameters")
        return [e.state for e in sorted(eqs, key=lambda e: (not e.stable, e.r))]
    cands = []
    for u in found:
        if model.synapse == "first-order":
            u = np.array([u[0], u[1], float(num_r.output("s", u, p_r))])
        stable = bool(np.all(np.linalg.eigvals(num.jacobian(u, p)).real < 0))
        cands.append((not stable, float(num.output("r", u, p)), u))
    cands.sort(key=lambda c: (c[0], c[1]))
    return [_newton_equilibrium(model, full, c[2]) for c in cands]


def _start_equilibrium(model: ThetaModel, params: Mapping[str, float]) -> np.ndarray:
    """The lowest-rate stable equilibrium at ``params`` (else the lowest-rate one).

    Raises
    ------
    ValueError
        No equilibrium at ``params``.
    """
    return _equilibria_at(model, params)[0]


def _newton_equilibrium(model: ThetaModel, params: Mapping[str, float],
                        state: Sequence[float]) -> np.ndarray:
    """A few Newton steps with the analytic Jacobian (the seed is already converged)."""
    num = model.numeric
    p = num.parameter_vector(model.validate_params(params))
    u = np.asarray(state, dtype=float).copy()
    for _ in range(8):
        step = np.linalg.solve(num.jacobian(u, p), -num.rhs(u, p))
        u += step
        if np.max(np.abs(step)) < 1e-15:
            break
    return u


_ENGINES: dict[str, Path] = {}


def _codegen_digest(model: ThetaModel) -> Any:
    """Hash of what determines the engine's Fortran source (model, generator, note)."""
    import hashlib

    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"engine-v1|{model.name}".encode())
    for rel in _CODEGEN_SOURCES:
        h.update((root / rel).read_bytes())
    return h


def engine_source_file(model: ThetaModel) -> tuple[str, Callable[[], str]]:
    """File name (holding the source's cache key) and lazy text of the engine's Fortran.

    The name is the one :mod:`thetabif.codegen.pregenerate` ships the source under
    (as a Python module with the constant ``SOURCE``).
    """
    h = _codegen_digest(model)
    h.update(_ENGINE_NOTE.encode())
    name = f"{model.name}_{h.hexdigest()[:20]}.py"

    def text() -> str:
        from thetabif.codegen.fortran import equation_file

        defaults = model.validate_params({})
        return equation_file(model, defaults, [0.0] * len(model.state_names), _ENGINE_NOTE)

    return name, text


def engine_executable(model: ThetaModel) -> Path:
    """The compiled AUTO executable of ``model``, shared by all parameter values.

    The executable is a function of the model alone (its ``STPNT`` holds the default
    parameters and is never used by the engine). A small index file in the build cache
    maps (model, thetabif's code generator sources, AUTO installation, compiler) to the
    executable, so a warm start neither imports sympy nor generates Fortran. On a cold
    start the Fortran source of a standard model is read from the package's shipped
    files (:mod:`thetabif.codegen.pregenerate`), so only gfortran runs.
    """
    from thetabif.auto import cache_dir, find_auto, find_compiler

    h = _codegen_digest(model)
    compiler = find_compiler()
    h.update(f"{find_auto().fingerprint()}|{compiler.path}|{compiler.version}".encode())
    key = h.hexdigest()[:24]
    if key in _ENGINES and _ENGINES[key].is_file():
        return _ENGINES[key]
    index = cache_dir() / f"engine-{model.name}-{key}.path"
    try:
        exe = Path(index.read_text().strip())
    except OSError:
        exe = None
    if exe is None or not exe.is_file():
        from thetabif.auto import compile_equations
        from thetabif.codegen.pregenerate import lookup, read_source_module, write_text_atomic

        name, text = engine_source_file(model)
        shipped = lookup("fortran", name)
        source = read_source_module(shipped) if shipped is not None else text()
        exe = compile_equations(source, model.name)
        write_text_atomic(index, str(exe))
    _ENGINES[key] = exe
    return exe


def bautin_kind(l2: float) -> str:
    """Which side of the Hopf curve a Bautin point's fold of cycles lies on, by ``l2``.

    Parameters
    ----------
    l2 : float
        Second Lyapunov coefficient.

    Returns
    -------
    str
        ``l2 < 0``: the fold of cycles is on the subcritical (``l1 > 0``) side;
        ``l2 > 0``: on the supercritical (``l1 < 0``) side; ``l2 = 0``: degenerate.
    """
    if l2 < 0:
        return "l2 < 0: fold of cycles on the l1 > 0 (subcritical) side"
    if l2 > 0:
        return "l2 > 0: fold of cycles on the l1 < 0 (supercritical) side"
    return "l2 = 0: degenerate Bautin point"


def _critical_pair_frequency(eig: np.ndarray) -> np.ndarray:
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


@dataclass
class _Direction:
    """The AUTO runs that continue a branch in one direction, restarts chained.

    ``closed_at``: index of the point where the branch returned to its start (a
    closed curve); ``stopped``: why the direction ended inside the box, if it did.
    """

    results: list
    closed_at: int | None = None
    stopped: str | None = None


def _direction_coords(results: Sequence[Any], free: Sequence[str],
                      names: Sequence[str], period: bool = False) -> np.ndarray:
    """(free parameters, states[, log period]) along the first branch of chained runs.

    Cycle branches need the period: close to a homoclinic orbit the parameter and the
    stored states stand still to ~1e-10 while the period grows.
    """
    rows = []
    for k, result in enumerate(results):
        if not result.branches:
            continue
        pts = result.branches[0].points[1 if k else 0:]
        rows += [[pt.parameters[f] for f in free] + [pt.state[n] for n in names]
                 + ([math.log(max(float(pt.parameters.get("period", 1.0)), 1e-300))]
                    if period else []) for pt in pts]
    return np.array(rows, dtype=float).reshape(len(rows),
                                               len(free) + len(names) + int(period))


def _closure_index(coords: np.ndarray, tol: float) -> int | None:
    """Index at which a branch first returns to its start point, else None.

    Returned: the nearest point of the first pass within ``tol`` of the start after
    the branch has been more than ``4 tol`` away, provided the branch passes there
    heading the way it started (so a branch crossing near its start, in projection or
    otherwise, is not taken for closed).
    """
    if len(coords) < 4:
        return None
    d = np.linalg.norm(coords - coords[0], axis=1)
    away = np.nonzero(d > 4 * tol)[0]
    if not len(away):
        return None
    t0 = coords[1] - coords[0]
    for i in away[0] + np.nonzero(d[away[0]:] < tol)[0]:
        j = int(i)
        while j + 1 < len(d) and d[j + 1] < d[j]:
            j += 1
        t = coords[min(j + 1, len(d) - 1)] - coords[j - 1]
        if np.dot(t, t0) > 0.5 * np.linalg.norm(t) * np.linalg.norm(t0):
            return j
    return None


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
_DETECTED_BY = "multiplier crossing (thetabif)"


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
    import re

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


def _refine_cycle_crossings(cont: Continuation, direction: _Direction,
                            constants: Mapping[str, Any], free: str, t_hopf: float,
                            specials: Sequence[SpecialPoint]
                            ) -> tuple[tuple[SpecialPoint, ...], list[str]]:
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
    msgs: list[str] = []
    for seg in _cycle_segments(direction.results):
        tests = [_floquet_tests(pt.multipliers) for pt, _, _ in seg]
        periods = [float(pt.parameters.get("period", math.nan)) for pt, _, _ in seg]
        brackets: dict[int, list[str]] = {}
        for i, kind in _crossing_brackets(tests, [pt.type for pt, _, _ in seg], periods,
                                          5 * t_hopf):
            brackets.setdefault(i, []).append(kind)
        for i, kinds in brackets.items():
            pts, m = _refine_bracket(cont, seg, i, kinds, tests, constants, free)
            msgs += m
            for sp_ in pts:
                if not any(o.type == sp_.type and abs(o.params[free] - sp_.params[free]) < 1e-6
                           and abs((o.period or 0.0) - (sp_.period or 0.0)) < 1e-6
                           for o in [*specials, *added]):
                    added.append(sp_)
    if not added:
        return tuple(specials), msgs
    return _labelled([*specials, *added], (free,)), msgs


def _refine_bracket(cont: Continuation, seg: Sequence[tuple[Any, Any, float | None]], i: int,
                    kinds: Sequence[str], tests: Sequence[tuple[float, float, float]],
                    constants: Mapping[str, Any], free: str
                    ) -> tuple[list[SpecialPoint], list[str]]:
    """The PD/TR points of one missed crossing between ``seg[i]`` and ``seg[i + 1]``."""
    pa, pb = seg[i][0], seg[i + 1][0]
    xa, xb = float(pa.parameters[free]), float(pb.parameters[free])
    ta, tb = float(pa.parameters["period"]), float(pb.parameters["period"])
    where = f"between {free} = {xa:.8g} and {xb:.8g} (period {ta:.6g} to {tb:.6g})"
    bracket_info = {"detected_by": _DETECTED_BY, "bracket": [xa, xb],
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
            rerun = cont._run(c, seg[j][1].fort8, allow_mx=True)
            first = rerun.branches[0].points if rerun.branches else ()
            if len(first) > 1 and np.dot(_cycle_coords(first[1], free)
                                         - _cycle_coords(first[0], free), heading) < 0:
                rerun = cont._run({**c, "DS": -dsr}, seg[j][1].fort8, allow_mx=True)
        except ContinuationFailed as exc:
            rerun, failure = None, f"the rerun failed ({exc})"
    if rerun is not None:
        pts = [pt for b in rerun.branches for pt in b.points]
        labelled = [pt for pt in pts if pt.type in ("PD", "TR") and inside(pt)]
        if labelled:
            out = []
            for pt in labelled:
                sp_ = cont._special(pt, rerun, "cycles", (free,))
                sp_ = replace(sp_, extra={**sp_.extra, **bracket_info,
                                          "located_by": f"AUTO, rerun with DSMAX = {dsr:.3g}"})
                out.append(sp_)
            return out, [f"{pt.type} at {free} = {float(pt.parameters[free]):.8g}: AUTO's "
                         f"test function stepped over the multiplier crossing {where}; "
                         f"located by a rerun with DSMAX = {dsr:.3g}" for pt in labelled]
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
                msgs.append(f"the {kind} test function (|mu| - 1) changed sign {where}, but "
                            f"not along a rerun with DSMAX = {dsr:.3g}: no {kind} reported")
                continue
            out.append(_interpolated_crossing(cont, kind, free, *pair, bracket_info))
            msgs.append(f"{kind} at {free} = {out[-1].params[free]:.8g}: the multipliers "
                        f"cross {where}, also along a rerun with DSMAX = {dsr:.3g}, but AUTO "
                        "labels none; placed by linear interpolation of |mu| - 1")
        return out, msgs
    out, msgs = [], []
    for kind in kinds:
        col = 0 if kind == "PD" else 1
        out.append(_interpolated_crossing(cont, kind, free, pa, pb, tests[i][col],
                                          tests[i + 1][col], bracket_info))
        msgs.append(f"{kind} at {free} = {out[-1].params[free]:.8g}: the multipliers cross "
                    f"{where}; {failure}: placed by linear interpolation of |mu| - 1")
    return out, msgs


def _interpolated_crossing(cont: Continuation, kind: str, free: str, pa: Any, pb: Any,
                           fa: float, fb: float, info: Mapping[str, Any]) -> SpecialPoint:
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
        type=kind, label="", params={**cont.params, free: x},
        state={n: lerp(pa.state[n], pb.state[n]) for n in pa.state},
        r=math.nan, abs_z=math.nan, stable=False, kind="cycles", free=(free,),
        stability=_cycle_stability(kind, False),
        auto_params={free: x}, period=lerp(pa.parameters["period"], pb.parameters["period"]),
        extra={**info, "located_by": "linear interpolation of |mu| - 1",
               "test_bracket": [float(fa), float(fb)], "multipliers_bracket": mult,
               "state_measure": "max (interpolated)"})


def _account_for_notes(res: ContinuationResult, results: Sequence[Any],
                       box: Mapping[str, Sequence[float]]) -> ContinuationResult:
    """AUTO's ``Possible special point`` notes replaced by what became of each.

    A note inside the box names the special point reported near it (within 5 % of the
    note's coordinates, or 0.05: AUTO's estimates of points it did not locate were seen
    up to 0.01 off), or says that the scan of the branch (turning points, eigenvalues
    crossing the imaginary axis, l1 on Hopf curves) finds no bifurcation there. Notes
    outside the box are dropped with the rest of what lies there.
    """
    notes = _possible_points(results)
    if not notes:
        return res
    free = res.free
    messages = [m for m in (_without_note_lines(m) for m in res.messages) if m]
    for pt in notes:
        at = {k: float(pt.parameters[k]) for k in free}
        if not _inside(at, box):
            continue
        where = ", ".join(f"{k} = {v:.8g}" for k, v in at.items())
        near = [p for p in res.special_points if all(
            abs(p.params[k] - v) <= 0.05 * max(1.0, abs(v)) for k, v in at.items())]
        if near:
            p = min(near, key=lambda q: max(abs(q.params[k] - v) for k, v in at.items()))
            messages.append(f"AUTO flagged a possible special point at {where}: {p.label} "
                            f"({p.type}, polished by Newton)")
        else:
            messages.append(f"AUTO flagged a possible special point at {where}; the scan of "
                            "the branch (turning points, eigenvalues crossing the imaginary "
                            "axis) finds no bifurcation there")
    return replace(res, messages=tuple(messages))


def _without_note_lines(message: str) -> str:
    """An AUTO message without its ``NOTE:Possible special point`` lines."""
    return "\n".join(line for line in message.splitlines()
                     if not re.search(r"NOTE:\s*Possible special point", line)).strip()


def _possible_points(results: Sequence[Any]) -> list[Any]:
    """AUTO's points flagged ``NOTE:Possible special point`` in ``fort.9``.

    A test function changed sign there, but AUTO's secant iteration did not locate the
    point: the flagged point is its estimate, recorded next to the polished point.
    """
    import re

    notes = []
    for result in results:
        flagged = {(int(m.group(1)), int(m.group(2))) for m in re.finditer(
            r"^\s*(\d+)\s+(\d+)\s+NOTE:Possible special point", result.fort9, re.M)}
        notes += [pt for b in result.branches for pt in b.points
                  if (abs(pt.branch), abs(pt.index)) in flagged]
    return notes


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


def _cycle_stability(ptype: str, stable: bool) -> str:
    """Stability of a point on a cycle branch, in words (AUTO's flag off bifurcations)."""
    if ptype in _CRITICAL_MULTIPLIER:
        return f"critical: Floquet multiplier {_CRITICAL_MULTIPLIER[ptype]} on the unit circle"
    return "stable" if stable else "unstable"


def _check_steps(**values: Any) -> None:
    """Controls of a continuation: ``ds``, ``dsmax``, ``max_period``, ``timeout``
    finite and > 0; ``nmx`` an integer >= 1; ``max_points`` and ``ntst`` integers
    >= 2. Numpy numbers are accepted.

    Raises
    ------
    ValueError
        Naming the argument, the value and what is allowed.
    """
    least = {"nmx": 1, "max_points": 2, "ntst": 2}
    for name, value in values.items():
        if name in least:
            if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or value < least[name]):
                raise ValueError(f"{name} must be an integer >= {least[name]}, got {value!r}")
            continue
        try:
            ok = not isinstance(value, bool) and math.isfinite(value) and value > 0
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _on_branch(coords: np.ndarray, x0: float, u0: np.ndarray, tol: float = 1e-4) -> bool:
    """Whether the equilibrium ``u0`` at parameter ``x0`` lies on a followed branch.

    ``coords``: rows (parameter, states...) of the branch. The branch is interpolated
    linearly at ``x0`` on every segment that reaches it (a fold's segments too); the
    chord of a step of at most DSMAX = 0.02 departs from the curve by ~curvature *
    DSMAX^2 / 8, far below ``tol``, while distinct equilibria at one parameter value lie
    further apart than ``tol`` except within ~tol^2 of a fold.
    """
    if len(coords) == 0:
        return False
    x, u = coords[:, 0], coords[:, 1:]
    slack = 1e-6 * max(1.0, abs(x0))  # AUTO ends a run ~1e-8 from a range's end
    if len(coords) == 1:
        return bool(abs(x[0] - x0) <= slack and np.max(np.abs(u[0] - u0)) <= tol)
    xa, xb = x[:-1], x[1:]
    hit = np.flatnonzero((np.minimum(xa, xb) - slack <= x0) & (x0 <= np.maximum(xa, xb) + slack))
    if not len(hit):
        return False
    dx = xb[hit] - xa[hit]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(dx != 0, (x0 - xa[hit]) / dx, 0.0)
    t = np.clip(t, 0.0, 1.0)[:, None]
    at = u[hit] + t * (u[hit + 1] - u[hit])
    return bool(np.min(np.max(np.abs(at - u0), axis=1)) <= tol * max(1.0, np.max(np.abs(u0))))


#: Distance from |z| = 1 (the states' domain edge) below which branch points are cut:
#: there r = (1 - |z|^2) / (pi tau |1 + z|^2) keeps fewer than half of its 16 digits
#: (reached e.g. for tau -> 0, or eta below ~-1e5).
_UNIT_CIRCLE = 1e-8
#: Relative slack (of a range's width) within which a point counts as inside it.
_BOX_SLACK = 1e-7


def _stops(box: Mapping[str, Sequence[float]], margin: float) -> dict[str, list[float]]:
    """AUTO's ``UZSTOP`` for a box with its ends moved out by ``margin`` times its width.

    A run that starts on an end of the box, as a cycle branch from a Hopf point there
    may, is not stopped by AUTO at that end (seen: the branch ran 3 % of the range
    beyond it into a homoclinic orbit and failed). What lies beyond the box itself is
    cut from the records (:func:`_pieces_inside`)."""
    return {k: [lo - margin * (hi - lo), hi + margin * (hi - lo)]
            for k, (lo, hi) in box.items()}


def _inside(values: Mapping[str, float], box: Mapping[str, Sequence[float]]) -> bool:
    """Whether every boxed parameter lies in its range, to :data:`_BOX_SLACK` of the
    range's width (AUTO places the UZ point that ends a run at a range's end to
    ~1e-9 relative)."""
    return all(lo - _BOX_SLACK * (hi - lo) <= values[k] <= hi + _BOX_SLACK * (hi - lo)
               for k, (lo, hi) in box.items())


def _pieces_inside(branch: Branch, box: Mapping[str, Sequence[float]]
                   ) -> tuple[list[Branch], int, int]:
    """The stretches of a branch inside the box and inside the unit disk (|z| < 1, the
    states' domain), each a branch of its own; with the numbers of points left out
    outside the box and at |z| >= 1."""
    n = len(branch)
    keep = np.ones(n, dtype=bool)
    for k, (lo, hi) in box.items():
        x = np.asarray(branch.data[k], dtype=float)
        keep &= (x >= lo - _BOX_SLACK * (hi - lo)) & (x <= hi + _BOX_SLACK * (hi - lo))
    # the run's ends beyond the box (where AUTO stops, or a curve's margin) are no news;
    # points cut between pieces inside are
    inner = np.flatnonzero(keep)
    n_box = int(np.sum(~keep[inner[0]:inner[-1] + 1])) if len(inner) else 0
    if "abs_z" in branch.data and branch.kind != "cycles":
        keep &= np.asarray(branch.data["abs_z"], dtype=float) < 1.0 - _UNIT_CIRCLE
    if keep.all():
        return [branch], 0, 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.view(np.int8), [0]])))
    pieces = [Branch(branch.kind, branch.free,
                     {k: np.asarray(v)[a:b] for k, v in branch.data.items()}, branch.direction)
              for a, b in zip(edges[::2], edges[1::2], strict=True)]
    n_circle = 0
    if "abs_z" in branch.data and branch.kind != "cycles":
        n_circle = int(np.sum(np.asarray(branch.data["abs_z"], dtype=float)
                              >= 1.0 - _UNIT_CIRCLE))
    return pieces, n_box, n_circle


#: Relative distance in the free parameter within which a cycle branch "stands still"
#: at its homoclinic limit (AUTO converges orbits to EPSL = 1e-7 there).
_HOMOCLINIC_STILL = 1e-6


def _end_at_homoclinic_approach(branches: Sequence[Branch], free: str, t_hom: float
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


def _on_homoclinic_approach(x: float, period: float | None, free: str,
                            homoclinic: Mapping[str, float], key: str) -> bool:
    """Whether a cycle point lies at the homoclinic limit with a period past
    ``homoclinic[key]`` (``approach_period`` for labels, ``cut_period`` for orbits)."""
    return (abs(x - homoclinic[free]) <= _HOMOCLINIC_STILL * max(1.0, abs(homoclinic[free]))
            and not (period is not None and period < homoclinic[key]))


def _same_point(a: SpecialPoint, b: SpecialPoint) -> bool:
    if a.type != b.type:
        return False
    keys = set(a.params) & set(b.params)
    return all(abs(a.params[k] - b.params[k]) < 1e-6 for k in keys) and all(
        abs(a.state[k] - b.state[k]) < 1e-6 for k in a.state)


def _labelled(specials: Sequence[SpecialPoint], free: Sequence[str]
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
