"""The continuation's records: special points, branches and the result of one call.

Owns :class:`SpecialPoint`, :class:`Branch` and :class:`ContinuationResult`, their
tables (pandas, xarray) and their netCDF files (JSON, saving and loading: as every
record, through :mod:`thetabif.records`), and the vocabulary their texts are built
from: why a message was written (:class:`StopReason`, carried by each :class:`Note`)
and how a point thetabif added was found (:class:`LocatedBy`, carried by each
:class:`Located`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from thetabif.branch_scan import DETECTED_BY
from thetabif.errors import InputError
from thetabif.records import LoadableRecord, options_from_name


class StopReason(enum.Enum):
    """What a message of a continuation reports; every member carries a readable message.

    The texts of the first nine members start with ``code + ":"`` (``prefixed``), as
    the messages have always done; the others are whole sentences.
    """

    START = ("start", "the start lies outside the range: branches start at its ends", True)
    OUTSIDE = ("outside", "points outside the range were left out", True)
    UNIT_CIRCLE = ("unit_circle", "the branch reaches |z| = 1, the edge of the states' "
                   "domain; points there were left out", True)
    CLOSED = ("closed", "the curve returns to its start", True)
    STEP_LIMIT = ("step_limit", "the branch stopped after max_points points inside the "
                  "range", True)
    NEUTRAL_SADDLE = ("neutral_saddle", "past a BT point AUTO followed a neutral saddle; "
                      "those points were left out", True)
    HOMOCLINIC_APPROACH = ("homoclinic_approach", "the cycle branch approaches a homoclinic "
                           "orbit and ends there", True)
    BT_APPROACH = ("bt_approach", "the homoclinic curve was cut before the Bogdanov-Takens "
                   "point, where the fixed-period orbit no longer approximates it", True)
    SNL_APPROACH = ("snl_approach", "the homoclinic curve was cut before it ends on a fold "
                    "at a saddle-node-loop point", True)
    HOPF_END = ("hopf_end", "the cycle branch ends at another Hopf point, where the "
                "orbits shrink to the equilibrium", True)
    AUTO = ("auto", "AUTO's own message", False)
    POINT_ADDED = ("point_added", "a special point AUTO did not label, found by thetabif",
                   False)
    POINT_LEFT_OUT = ("point_left_out", "special points (or candidates) not reported", False)
    AUTO_NOTE = ("auto_note", "what became of AUTO's 'Possible special point' note", False)
    CHECKED = ("checked", "points checked against a computation independent of AUTO", False)

    def __init__(self, code: str, message: str, prefixed: bool) -> None:
        self.code = code
        self.message = message
        self.prefixed = prefixed

    def note(self, text: str) -> Note:
        """A message for this reason: ``text``, after ``code: `` where prefixed."""
        return Note(f"{self.code}: {text}" if self.prefixed else text, self)

    @classmethod
    def from_code(cls, code: str) -> StopReason:
        """The member with this ``code``."""
        for member in cls:
            if member.code == code:
                return member
        raise InputError(f"no stop reason {code!r}; known: {', '.join(m.code for m in cls)}")


class Note(str):
    """A message of a continuation: its text, and why it was written (``reason``).

    A ``str`` (printed, compared and saved as its text, as messages always were), so
    ``note.startswith("step_limit")`` still works; test ``note.reason is
    StopReason.STEP_LIMIT`` instead.
    """

    reason: StopReason

    def __new__(cls, text: str, reason: StopReason) -> Note:
        self = super().__new__(cls, text)
        self.reason = reason
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Note, (str(self), self.reason))

    def replaced(self, text: str) -> Note:
        """The same reason with another text."""
        return Note(text, self.reason)

    @classmethod
    def parse(cls, text: str) -> Note:
        """A note from its text alone (files written before reasons were saved): by its
        prefix, else AUTO's own message."""
        for member in StopReason:
            if member.prefixed and text.startswith(member.code + ":"):
                return cls(text, member)
        return cls(text, StopReason.AUTO)


class LocatedBy(enum.Enum):
    """How a special point that AUTO did not label (or locate) was found.

    Each member carries its text, as recorded in the point's ``extra["detected_by"]``
    or ``extra["located_by"]`` (a :class:`Located`); ``{dsmax}`` is filled in.
    """

    TURNING_POINT = ("turning_point", DETECTED_BY["LP"])
    REAL_EIGENVALUE = ("real_eigenvalue", DETECTED_BY["BP"])
    EIGENVALUE_CROSSING = ("eigenvalue_crossing", DETECTED_BY["HB"])
    SECOND_ZERO_EIGENVALUE = ("second_zero_eigenvalue", DETECTED_BY["BT"])
    CURVE_REVERSAL = ("curve_reversal", DETECTED_BY["CP"])
    ZERO_HOPF = ("zero_hopf", DETECTED_BY["ZH"])
    HOPF_END = ("hopf_end", "end of the Hopf stretch of the curve (thetabif)")
    L1_SIGN_CHANGE = ("l1_sign_change", "l1 sign change (thetabif)")
    MULTIPLIER_CROSSING = ("multiplier_crossing", "multiplier crossing (thetabif)")
    RERUN = ("rerun", "AUTO, rerun with DSMAX = {dsmax:.3g}")
    INTERPOLATION = ("interpolation", "linear interpolation of |mu| - 1")
    HOMCONT_PSI1 = ("homcont_psi1", "AUTO (HomCont, psi1 = 0)")
    SADDLE_QUANTITY_ROOT = ("saddle_quantity_root", "AUTO (HomCont, psi1 = 0), polished: "
                            "lambda_s + lambda_u = 0 on the homoclinic curve by the "
                            "unstable-manifold return (thetabif.continuation.homoclinic_split)")
    LANDING_ROOT = ("landing_root", "brentq on the landing coordinate along the fold "
                    "(thetabif.continuation.snl)")
    BT_END = ("bt_end", "Newton on the BT system from where the homoclinic curve was cut "
              "before it (thetabif)")

    def __init__(self, code: str, template: str) -> None:
        self.code = code
        self.template = template

    def text(self, **values: Any) -> Located:
        """The record's text for this way of locating a point (``values``: ``dsmax``)."""
        return Located(self.template.format(**values), self)

    @classmethod
    def parse(cls, text: str) -> Located:
        """The :class:`Located` a text was built from (as read back from a file)."""
        for member in cls:
            head = member.template.split("{")[0]
            if text == member.template or ("{" in member.template and text.startswith(head)):
                return Located(text, member)
        raise InputError(f"unknown way of locating a point: {text!r}")


class Located(str):
    """How a point was found, as text (``extra["detected_by"]``), with its ``by``."""

    by: LocatedBy

    def __new__(cls, text: str, by: LocatedBy) -> Located:
        self = super().__new__(cls, text)
        self.by = by
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Located, (str(self), self.by))


#: Keys of ``SpecialPoint.extra`` that hold a :class:`Located`.
LOCATED_KEYS = ("detected_by", "located_by")


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
    model_options : dict
        The model's options ``n``, ``synapse``, ``coupling`` (set with ``model``).
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
    model_options: dict = field(default_factory=dict)
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

    @property
    def detected_by(self) -> LocatedBy | None:
        """How thetabif found a point AUTO did not label (None: AUTO labelled it)."""
        found = self.extra.get("detected_by")
        return found.by if isinstance(found, Located) else None

    @property
    def located_by(self) -> LocatedBy | None:
        """How the point was located where that differs from its detection (PD/TR)."""
        found = self.extra.get("located_by")
        return found.by if isinstance(found, Located) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the CLI's ``special_points`` entries): the parameters at
        the top level, next to the record's fields and its ``extra``."""
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
        if clash:  # an extra must not replace a field (from_dict reads them back)
            raise ValueError(f"extra keys {clash} of {self.label or self.type} clash with "
                             "the record's fields")
        out.update(self.extra)
        return out


    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, free: Sequence[str],
                  parameter_names: Sequence[str]) -> SpecialPoint:
        """The point :meth:`to_dict` wrote (``parameter_names``: which top-level keys
        are parameters; the other unknown keys are ``extra``)."""
        p = dict(d)
        core = {k: p.pop(k) for k in ("type", "label", "r", "abs_z", "stable", "kind")}
        p.pop("criticality", None)
        fields_ = {"state": p.pop("state"), "auto_params": p.pop("auto", {}),
                   "polish_difference": p.pop("polish_difference", None),
                   "l1": p.pop("l1", None), "l2": p.pop("l2", None),
                   "stability": p.pop("stability", ""), "period": p.pop("period", None)}
        params = {k: p.pop(k) for k in list(p) if k in parameter_names}
        for k in LOCATED_KEYS:
            if k in p:
                p[k] = LocatedBy.parse(p[k])
        return cls(**core, params=params, free=tuple(free), extra=p, **fields_)


def _same_column(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    nan = a.dtype.kind == "f" and b.dtype.kind == "f"
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=nan))


@dataclass(frozen=True, eq=False)
class Branch:
    """One continued branch: columns by name along the branch.

    Attributes
    ----------
    kind : str
        ``equilibria``, ``fold``, ``hopf`` or ``cycles``.
    free : tuple of str
    data : dict of str to ndarray
        Free parameters, states (cycles: each state's maximum over the orbit, and its
        minimum in ``<state>_min``), ``r``, ``abs_z`` (cycles: nan; the stored orbits'
        ranges are in :attr:`ContinuationResult.orbits`), ``period`` (cycles),
        ``stable`` (bool), ``type`` (str codes).
    direction : int
        +1 or -1: the sign of AUTO's first step.
    model, model_options : str, dict
        The model's name and options (set by :class:`ContinuationResult`).
    """

    kind: str
    free: tuple[str, ...]
    data: dict
    direction: int
    model: str = ""
    model_options: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.data["stable"])

    def __eq__(self, other: object) -> bool:
        """Equal fields and columns (NaN equal to NaN: cycle branches have no r)."""
        if not isinstance(other, Branch):
            return NotImplemented
        return ((self.kind, self.free, self.direction, self.model, self.model_options)
                == (other.kind, other.free, other.direction, other.model, other.model_options)
                and self.data.keys() == other.data.keys()
                and all(_same_column(v, other.data[k]) for k, v in self.data.items()))

    def to_dataframe(self):
        """A pandas DataFrame, one row per point."""
        import pandas as pd

        return pd.DataFrame({k: np.asarray(v) for k, v in self.data.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the record's fields and one list per column."""
        out: dict[str, Any] = {"kind": self.kind, "free": list(self.free),
                               "direction": self.direction, "points": len(self),
                               "model": self.model, "model_options": self.model_options}
        for k, v in self.data.items():
            arr = np.asarray(v)
            out[k] = arr.tolist() if arr.dtype.kind in "bU" else [float(x) for x in arr]
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Branch:
        """The branch :meth:`to_dict` wrote."""
        fields_ = ("kind", "free", "direction", "points", "model", "model_options")
        data = {k: _column(v) for k, v in d.items() if k not in fields_}
        return cls(d["kind"], tuple(d["free"]), data, d["direction"], d.get("model", ""),
                   dict(d.get("model_options") or {}))


def _column(values: Any) -> np.ndarray:
    """A branch column read back from JSON: numbers with ``null`` (strict JSON's NaN) as
    nan, flags and type codes as they are."""
    arr = np.asarray(values)
    if arr.dtype == object:  # numbers and nulls
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return arr


@dataclass(frozen=True)
class ContinuationResult(LoadableRecord):
    """The branches and special points of one continuation call.

    ``model`` and ``model_options`` name the model (as on every branch and point),
    ``params`` holds all its parameters at the start. ``messages`` are :class:`Note`
    strings: each says why it was written in its ``reason``.
    """

    kind: str
    model: str
    free: tuple[str, ...]
    params: dict
    branches: tuple[Branch, ...]
    special_points: tuple[SpecialPoint, ...]
    messages: tuple[Note, ...] = ()
    #: cycles only: every stored orbit with its period, r and |z| range, stability
    orbits: tuple[dict, ...] = ()
    #: cycles only, when the branch approaches a homoclinic orbit: the free parameter's
    #: value it tends to (the estimate of the homoclinic point), the largest period
    #: computed there and the period at which the branch was ended
    homoclinic: dict | None = None
    #: the model's options n, synapse and coupling (from its name when not given)
    model_options: dict = field(default_factory=dict)
    #: cycles only: AUTO's solution files (fort.8) of the run, every stored orbit (also
    #: those of no special point: a homoclinic start needs a long one); not saved
    _fort8: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        options = dict(self.model_options) or options_from_name(self.model)
        object.__setattr__(self, "model_options", options)
        # every branch and point names the model of the run it belongs to
        named = {"model": self.model, "model_options": options}
        for name in ("branches", "special_points"):
            object.__setattr__(self, name, tuple(
                r if (r.model, r.model_options) == (self.model, options) else replace(r, **named)
                for r in getattr(self, name)))
        object.__setattr__(self, "messages", tuple(
            m if isinstance(m, Note) else Note.parse(m) for m in self.messages))

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

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (the CLI's JSON document).

        ``messages`` are their texts; ``message_reasons`` the codes of their reasons.
        """
        return {
            "model": self.model, "model_options": self.model_options, "kind": self.kind,
            "free": list(self.free), "params": self.params,
            "special_points": [p.to_dict() for p in self.special_points],
            "branches": [b.to_dict() for b in self.branches],
            "messages": [str(m) for m in self.messages],
            "message_reasons": [m.reason.code for m in self.messages],
            "orbits": list(self.orbits),
            "homoclinic": self.homoclinic,
        }

    #: the older name of :meth:`to_dict`
    to_json_dict = to_dict

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

    what: ClassVar[str] = "continuation"

    def _write_other(self, path: Path) -> None:
        """netCDF: the tables of :meth:`to_xarray`, the full JSON record in the attrs
        (:meth:`save` writes JSON for a ``.json`` path, this for any other)."""
        ds = self.to_xarray()
        ds.attrs["record"] = json.dumps(self.to_dict())
        for k in list(ds.data_vars):
            if ds[k].dtype == object:
                ds[k] = ds[k].astype(str)
        ds.to_netcdf(path)

    @classmethod
    def _read_other(cls, path: Path) -> Mapping[str, Any]:
        """The record of a netCDF file :meth:`save` wrote (:meth:`load` reads ``.json``
        and this; the JSON document of ``thetabif ... --out FILE.json`` too)."""
        if path.suffix.lower() != ".nc":
            raise InputError(f"cannot load {str(path)!r} as a continuation result: use the "
                             ".nc (netCDF) or .json file written by save() or --out"
                             + ("; a .csv holds the branch points only"
                                if path.suffix.lower() == ".csv" else ""))
        import xarray as xr

        with xr.open_dataset(path) as ds:
            return json.loads(ds.attrs["record"])

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ContinuationResult:
        """The result :meth:`to_dict` wrote."""
        names = list(d["params"])
        specials = tuple(SpecialPoint.from_dict(p, free=d["free"], parameter_names=names)
                         for p in d["special_points"])
        texts = d.get("messages", ())
        codes = d.get("message_reasons")
        messages = (tuple(Note(t, StopReason.from_code(c)) for t, c in zip(texts, codes,
                                                                          strict=True))
                    if codes is not None else tuple(Note.parse(t) for t in texts))
        return cls(d["kind"], d["model"], tuple(d["free"]), d["params"],
                   tuple(Branch.from_dict(b) for b in d["branches"]), specials, messages,
                   tuple(d.get("orbits", ())), d.get("homoclinic"),
                   dict(d.get("model_options") or {}))

    #: the older name of :meth:`from_dict`
    from_json_dict = from_dict


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
