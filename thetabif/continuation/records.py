"""The continuation's records: special points, branches and the result of one call.

Owns :class:`SpecialPoint`, :class:`Branch` and :class:`ContinuationResult`, their
tables (pandas, xarray) and their files (JSON dicts, netCDF).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np


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
        """Read a result written by :meth:`save`."""
        import xarray as xr

        with xr.open_dataset(path) as ds:
            record = json.loads(ds.attrs["record"])
        return cls.from_json_dict(record)

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> ContinuationResult:
        branches = []
        for b in d["branches"]:
            data = {k: np.asarray(v) for k, v in b.items()
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

