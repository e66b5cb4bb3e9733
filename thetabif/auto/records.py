"""Typed, immutable records of AUTO-07p output.

This module owns the *shape* of what an AUTO run returns:

* :class:`Point` - one line of ``fort.7`` (a point of a bifurcation diagram),
  with its eigenvalues or Floquet multipliers from ``fort.9``;
* :class:`BranchData` - the points of one branch, in order;
* :class:`Solution` - one labelled solution of ``fort.8`` (full state profile);
* :class:`RunStatus`, :class:`RunResult`, :class:`ContinuationError` - the outcome
  of a run, with AUTO's own messages.

It also owns the table of AUTO's point-type numbers (:func:`type_code`).  Parsing
the files is :mod:`thetabif.auto.parse`; running AUTO is :mod:`thetabif.auto.run`.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from thetabif.errors import ContinuationError

__all__ = [
    "TYPE_NAMES",
    "BranchData",
    "ContinuationError",
    "Point",
    "RunResult",
    "RunStatus",
    "Solution",
    "type_code",
]

#: Short code -> long description of AUTO's point types (AUTO-07p manual,
#: tables 4.5 and 4.6 and section "Solution types").
TYPE_NAMES: Mapping[str, str] = types.MappingProxyType(
    {
        "": "regular point (no label)",
        "BP": "branch point",
        "LP": "fold (limit point)",
        "HB": "Hopf bifurcation",
        "RG": "regular point with output (every NPR steps)",
        "UZ": "user-requested point (UZR/UZSTOP)",
        "PD": "period-doubling bifurcation",
        "TR": "torus (Neimark-Sacker) bifurcation",
        "EP": "end point of the branch (normal termination)",
        "MX": "abnormal termination (no convergence)",
        "BT": "Bogdanov-Takens bifurcation",
        "CP": "cusp bifurcation",
        "GH": "generalized Hopf (Bautin) bifurcation",
        "ZH": "zero-Hopf bifurcation",
        "R1": "1:1 resonance",
        "R2": "1:2 resonance",
        "R3": "1:3 resonance",
        "R4": "1:4 resonance",
        "LPD": "fold-flip bifurcation",
        "LTR": "fold-torus bifurcation",
        "PTR": "flip-torus bifurcation",
        "TTR": "torus-torus bifurcation",
    }
)

# Last decimal digit (with sign) of AUTO's type number -> short code.  AUTO encodes
# codimension-two points as 10 * (type of the branch) + type, e.g. -21 is a BT
# point on a fold curve, -31 a BT point on a Hopf curve (manual, table 4.6).
_BY_DIGIT = {
    0: "",
    1: "BP",
    2: "LP",
    3: "HB",
    4: "RG",
    5: "LP",
    6: "BP",
    7: "PD",
    8: "TR",
    9: "EP",
    -1: "BT",
    -2: "CP",
    -3: "ZH",
    -4: "UZ",
    -5: "R1",
    -6: "R2",
    -7: "R3",
    -8: "R4",
    -9: "MX",
}
# Numbers that do not follow the last-digit rule (manual, table 4.6).
_EXCEPTIONS = {
    -32: "GH",
    23: "LTR",
    83: "LTR",
    28: "LPD",
    78: "LPD",
    77: "PTR",
    87: "PTR",
    88: "TTR",
}


def type_code(number: int) -> str:
    """Translate an AUTO point-type number into its short code.

    Parameters
    ----------
    number : int
        The ``TY`` column of ``fort.7`` or ``ITP`` of ``fort.8``.

    Returns
    -------
    str
        ``"EP"``, ``"LP"``, ``"HB"``, ``"BT"``, ... ; ``""`` for an unlabelled
        point and ``"RG"`` for a regular output point (type 4).

    Examples
    --------
    >>> type_code(2), type_code(-4), type_code(-21), type_code(-32), type_code(-23)
    ('LP', 'UZ', 'BT', 'GH', 'ZH')
    """
    number = int(number)
    if number in _EXCEPTIONS:
        return _EXCEPTIONS[number]
    digit = abs(number) % 10
    return _BY_DIGIT[-digit if number < 0 else digit]


def _frozen_map(d: Mapping[str, float]) -> Mapping[str, float]:
    """A read-only copy of ``d``; a mapping proxy is taken as frozen already (the
    parsers wrap the dicts they make, and replaced records pass theirs on)."""
    if type(d) is types.MappingProxyType:
        return d
    return types.MappingProxyType(dict(d))


def _frozen_array(a: Any, dtype: Any = float) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is None or b is None:
            return a is b
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return dict(a).keys() == dict(b).keys() and all(_values_equal(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_values_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _strip_timing(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "Total Time" not in line)


class _RecordEq:
    """Field-wise equality that understands numpy arrays and NaN."""

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return all(
            _values_equal(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)  # type: ignore[arg-type]
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # mappingproxy cannot be pickled; rebuild from plain dicts (the
        # constructor freezes them again).  Makes records cross process pools.
        return (
            type(self),
            tuple(
                dict(v) if isinstance(v, types.MappingProxyType) else v
                for v in (getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]
            ),
        )


@dataclass(frozen=True, eq=False)
class Point(_RecordEq):
    """One point of a bifurcation diagram (one line of ``fort.7``).

    Attributes
    ----------
    branch : int
        Branch number (``abs(BR)``).
    index : int
        Point number along the branch (``abs(PT)``).
    type_number : int
        AUTO's type number (``TY``), see :func:`type_code`.
    type : str
        Short type code: ``""`` (unlabelled), ``"EP"``, ``"LP"``, ``"HB"``, ...
    label : int
        Solution label (``LAB``); 0 if the point has no stored solution.
    stable : bool
        AUTO's stability flag: ``PT < 0`` means stable.  For equilibria this is
        "all eigenvalues in the left half plane", for periodic orbits "all
        nontrivial Floquet multipliers inside the unit circle".
    parameters : Mapping[str, float]
        Parameter columns by name (the continuation parameter(s) and any further
        parameters listed in ``ICP``, e.g. output quantities set in ``PVLS``).
    state : Mapping[str, float]
        State columns by name.  What they measure is :attr:`state_measure`.
    state_measure : str
        ``"value"`` for equilibria (the state itself), ``"max"``, ``"min"`` or
        ``"integral"`` when AUTO reports a norm of a periodic/BVP solution.
    state_min : Mapping[str, float]
        Periodic/BVP solutions: each state's minimum over the solution, where the
        equation file stores it in a parameter listed in ``ICP``
        (:attr:`thetabif.auto.parse.NameMap.extremes`; :attr:`state` then holds the
        maxima); empty otherwise.
    l2_norm : float
        AUTO's ``L2-NORM`` column (``nan`` if absent).
    extra : Mapping[str, float]
        Columns that are neither parameters, states nor the norm, by header label.
    columns : Mapping[str, float]
        Every column by AUTO's own header label.
    eigenvalues : numpy.ndarray or None
        Complex eigenvalues of the Jacobian (equilibria), from ``fort.9``.
    multipliers : numpy.ndarray or None
        Complex Floquet multipliers (periodic orbits), from ``fort.9``.
    periodic : bool
        True for branches AUTO marks as non-equilibrium (negative ``BR``), i.e.
        periodic orbits and other boundary-value problems.
    """

    branch: int
    index: int
    type_number: int
    type: str
    label: int
    stable: bool
    parameters: Mapping[str, float]
    state: Mapping[str, float]
    state_measure: str
    l2_norm: float
    extra: Mapping[str, float]
    columns: Mapping[str, float]
    eigenvalues: np.ndarray | None = None
    multipliers: np.ndarray | None = None
    periodic: bool = False
    state_min: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("parameters", "state", "extra", "columns", "state_min"):
            value = getattr(self, name)
            if type(value) is not types.MappingProxyType:  # the parser's are frozen
                object.__setattr__(self, name, _frozen_map(value))
        for name in ("eigenvalues", "multipliers"):
            val = getattr(self, name)
            if val is not None:
                object.__setattr__(self, name, _frozen_array(val, complex))

    @property
    def is_special(self) -> bool:
        """True for labelled bifurcation/end points (not ``""`` or ``"RG"``)."""
        return self.type not in ("", "RG")

    def __getitem__(self, name: str) -> float:
        """Look a value up by name: parameters, then state, then any column."""
        for d in (self.parameters, self.state, self.columns, self.extra):
            if name in d:
                return d[name]
        if name == "L2-NORM":
            return self.l2_norm
        raise KeyError(name)


@dataclass(frozen=True, eq=False)
class BranchData(_RecordEq):
    """The points of one branch of a bifurcation diagram, in AUTO's order.

    Attributes
    ----------
    number : int
        Branch number (``abs(BR)``).
    raw_number : int
        ``BR`` as written by AUTO (negative for periodic/BVP branches).
    points : tuple of Point
        The points in order of computation.
    column_labels : tuple of str
        AUTO's column header labels (after ``BR PT TY LAB``).
    """

    number: int
    raw_number: int
    points: tuple[Point, ...]
    column_labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points)

    def __getitem__(self, i: int) -> Point:
        return self.points[i]

    @property
    def periodic(self) -> bool:
        """True for branches of periodic orbits / BVP solutions."""
        return self.raw_number < 0

    @property
    def special_points(self) -> tuple[Point, ...]:
        """Labelled bifurcation and end points (types other than ``""``/``"RG"``)."""
        return tuple(p for p in self.points if p.is_special)

    def find(self, type: str) -> tuple[Point, ...]:
        """Return the points of a given short type code, e.g. ``"LP"``."""
        return tuple(p for p in self.points if p.type == type)

    def column(self, name: str) -> np.ndarray:
        """Return one quantity along the branch as an array.

        Parameters
        ----------
        name : str
            A parameter or state name, ``"L2-NORM"``, or an AUTO column label.
        """
        return np.array([p[name] for p in self.points], dtype=float)

    @property
    def stable(self) -> np.ndarray:
        """Boolean array of the stability flags."""
        return np.array([p.stable for p in self.points], dtype=bool)


@dataclass(frozen=True, eq=False)
class Solution(_RecordEq):
    """One labelled solution from ``fort.8``.

    Attributes
    ----------
    branch, index, label : int
        Branch number, point number and label (``IBR``, ``NTOT``, ``LAB``).
    type_number : int
        AUTO's type number (``ITP``).
    type : str
        Short type code (see :func:`type_code`).
    ips, isw : int
        Problem type and branch-switching flag the solution was computed with.
    ntst, ncol : int
        Mesh intervals and collocation points (1 and 0 for equilibria).
    ndim : int
        Dimension of the ODE system (``NDM``).
    t : numpy.ndarray
        Mesh in scaled time ``[0, 1]``, shape ``(ntpl,)`` (``ntpl == 1`` for an
        equilibrium).
    u : numpy.ndarray
        State profile, shape ``(ntpl, nvar)`` (``nvar`` can exceed ``ndim`` for
        extended systems, e.g. fold/Hopf continuation).
    state_names : tuple of str
        Names of the columns of :attr:`u`.
    free_parameters : tuple of int
        Indices of the free parameters (``ICP``).
    par : numpy.ndarray
        ``PAR(1) ... PAR(NPAR)``; ``par[i - 1]`` is ``PAR(i)``.
    parameters : Mapping[str, float]
        The same values by name.
    direction_par, direction_u : numpy.ndarray or None
        The branch direction stored for restarts (``RLDOT`` and ``UDOT``).
    """

    branch: int
    index: int
    type_number: int
    type: str
    label: int
    ips: int
    isw: int
    ntst: int
    ncol: int
    ndim: int
    t: np.ndarray
    u: np.ndarray
    state_names: tuple[str, ...]
    free_parameters: tuple[int, ...]
    par: np.ndarray
    parameters: Mapping[str, float]
    direction_par: np.ndarray | None = None
    direction_u: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", _frozen_map(self.parameters))
        for name in ("t", "u", "par", "direction_par", "direction_u"):
            val = getattr(self, name)
            if val is not None:
                object.__setattr__(self, name, _frozen_array(val))

    @property
    def periodic(self) -> bool:
        """True for periodic orbits (``IPS = 2``)."""
        return self.ips == 2

    @property
    def period(self) -> float | None:
        """The period ``PAR(11)`` for periodic orbits, else ``None``."""
        if not self.periodic or len(self.par) < 11:
            return None
        return float(self.par[10])

    def state(self, name: str) -> np.ndarray:
        """Return one state component along the profile, by name."""
        try:
            j = self.state_names.index(name)
        except ValueError:
            raise KeyError(f"no state named {name!r}; have {self.state_names}") from None
        return self.u[:, j]


class RunStatus(enum.Enum):
    """Outcome of an AUTO run; every member carries a readable message."""

    SUCCESS = ("success", "AUTO finished normally")
    NO_CONVERGENCE = (
        "no_convergence",
        "AUTO stopped with MX: Newton's method did not converge "
        "(abnormal termination of the branch)",
    )
    NO_PROGRESS = (
        "no_progress",
        "the branch never left its starting point",
    )
    NO_OUTPUT = (
        "no_output",
        "AUTO wrote no bifurcation diagram (fort.7): it rejected its input",
    )
    PROCESS_FAILED = ("process_failed", "the AUTO executable exited with an error")
    TIMEOUT = ("timeout", "AUTO did not finish within the time limit")
    OUTPUT_LIMIT = (
        "output_limit",
        "AUTO's output exceeded the size limit (a runaway run was stopped)",
    )

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message

    @property
    def ok(self) -> bool:
        """True only for :attr:`SUCCESS`."""
        return self is RunStatus.SUCCESS


@dataclass(frozen=True, eq=False)
class RunResult(_RecordEq):
    """Everything one AUTO run produced.

    Attributes
    ----------
    status : RunStatus
        Outcome (see :meth:`raise_for_status`).
    message : str
        AUTO's own diagnostic messages, one per line ("" if none).
    branches : tuple of BranchData
        The bifurcation diagram (``fort.7``) split into branches.
    solutions : tuple of Solution
        The labelled solutions (``fort.8``).
    fort7, fort8, fort9, stdout, stderr : str
        Raw texts.  ``fort8`` can be passed as ``restart`` to a further run.
    constants : str
        The constants (``fort.2``) the run used.
    returncode : int or None
        Exit code of the executable (``None`` if it was killed).
    elapsed : float
        Wall-clock seconds of the run.
    """

    status: RunStatus
    message: str
    branches: tuple[BranchData, ...]
    solutions: tuple[Solution, ...]
    fort7: str
    fort8: str
    fort9: str
    stdout: str
    stderr: str
    constants: str
    returncode: int | None
    elapsed: float = 0.0

    def __eq__(self, other: object) -> bool:
        """Equal records and files; run time (``elapsed``, "Total Time" lines) ignored."""
        if type(self) is not type(other):
            return NotImplemented
        for f in fields(self):
            if f.name == "elapsed":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("stdout", "fort9"):
                a, b = _strip_timing(a), _strip_timing(b)
            if not _values_equal(a, b):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    @property
    def ok(self) -> bool:
        """True if :attr:`status` is :attr:`RunStatus.SUCCESS`."""
        return self.status.ok

    @property
    def points(self) -> tuple[Point, ...]:
        """All points of all branches, in file order."""
        return tuple(p for b in self.branches for p in b.points)

    @property
    def special_points(self) -> tuple[Point, ...]:
        """All labelled bifurcation and end points."""
        return tuple(p for p in self.points if p.is_special)

    def find(self, type: str) -> tuple[Point, ...]:
        """Return all points of a given short type code, e.g. ``"HB"``."""
        return tuple(p for p in self.points if p.type == type)

    def solution(self, label: int) -> Solution:
        """Return the labelled solution ``label`` from ``fort.8``."""
        for s in self.solutions:
            if s.label == label:
                return s
        raise KeyError(f"no solution with label {label}; have {[s.label for s in self.solutions]}")

    def raise_for_status(self) -> RunResult:
        """Raise :class:`ContinuationError` unless the run succeeded.

        Returns
        -------
        RunResult
            ``self``, so calls can be chained.
        """
        if not self.status.ok:
            raise ContinuationError(self.status, self.message, self)
        return self
