"""What a continuation is told: its inputs validated once, and AUTO's constants.

Owns the options of the three kinds of run (:class:`EquilibriumOptions`,
:class:`CurveOptions`, :class:`CycleOptions`: frozen, checked when made, so a record
of options passed down a walk is checked once), the checks of the step controls
(:func:`check_steps`), of the free parameters
(:func:`check_free`) and of their ranges (:func:`check_bounds`, :func:`widened`), the
names AUTO's ``PAR`` and ``U`` indices carry (:func:`auto_names`) and the constants of
an engine run (:func:`constants`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np

from thetabif.auto.constants import DEFAULTS, npar, parameter_indices, state_indices
from thetabif.auto.constants import output_indices as measure_indices
from thetabif.errors import InputError
from thetabif.models import ThetaModel

#: AUTO's PAR index of the period of periodic orbits.
PERIOD_PAR = 11


#: The step controls :func:`check_steps` knows, and their plain Python types.
_STEP_CHECKS = {"ds": float, "dsmax": float, "max_period": float, "timeout": float,
                "nmx": int, "max_points": int, "ntst": int}


def check_steps(**values: Any) -> None:
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
                raise InputError(f"{name} must be an integer >= {least[name]}, got {value!r}")
            continue
        try:
            ok = not isinstance(value, bool) and math.isfinite(value) and value > 0
        except TypeError:
            ok = False
        if not ok:
            raise InputError(f"{name} must be a finite number > 0, got {value!r}")


_O = TypeVar("_O", bound="ContinuationOptions")


@dataclass(frozen=True)
class ContinuationOptions:
    """Step controls shared by every kind of run, checked when made.

    The base of :class:`EquilibriumOptions`, :class:`CurveOptions` and
    :class:`CycleOptions`, whose defaults are those of :meth:`Continuation.equilibria
    <thetabif.continuation.Continuation.equilibria>`, ``curve`` and ``cycles``.
    Numpy numbers are accepted and kept as plain ``float``/``int`` (as AUTO needs them).

    Attributes
    ----------
    ds, dsmax : float
        First and largest step (arclength), > 0; a ``ds`` above ``dsmax`` starts with
        ``dsmax`` (:attr:`first_step`).
    nmx : int
        Steps per AUTO run, >= 1; a run ending after ``nmx`` steps inside the range is
        restarted from its end point.
    max_points : int
        Points per direction at most, >= 2.

    Raises
    ------
    ValueError
        A value out of range, naming the option, the value and what is allowed.
    """

    ds: float = 0.01
    dsmax: float = 0.02
    nmx: int = 5000
    max_points: int = 50_000

    def __post_init__(self) -> None:
        steps = {f.name: getattr(self, f.name) for f in fields(self)
                 if f.name in _STEP_CHECKS}
        check_steps(**steps)
        for name, value in steps.items():
            object.__setattr__(self, name, _STEP_CHECKS[name](value))

    @property
    def first_step(self) -> float:
        """The first step AUTO takes: ``ds``, at most ``dsmax``."""
        return min(self.ds, self.dsmax)

    def updated(self: _O, **changes: Any) -> _O:
        """These options with ``changes`` (``None`` values ignored), checked again
        only when something changes."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **changes) if changes else self

    @classmethod
    def given(cls: type[_O], options: ContinuationOptions | None, **changes: Any) -> _O:
        """``options`` (default ``cls()``) with the keyword arguments given beside them.

        Raises
        ------
        TypeError
            ``options`` are not of this kind (``cls``).
        """
        if options is None:
            options = cls()
        elif type(options) is not cls:
            raise TypeError(f"options must be {cls.__name__}, got {type(options).__name__}")
        return options.updated(**changes)


@dataclass(frozen=True)
class EquilibriumOptions(ContinuationOptions):
    """Options of :meth:`Continuation.equilibria
    <thetabif.continuation.Continuation.equilibria>` (see :class:`ContinuationOptions`).

    ``dsmax`` above ~0.05 lets AUTO step over the upper theta fold without detecting
    it (the branch scan then finds it).
    """


@dataclass(frozen=True)
class CurveOptions(ContinuationOptions):
    """Options of :meth:`Continuation.curve <thetabif.continuation.Continuation.curve>`
    (see :class:`ContinuationOptions`).

    Attributes
    ----------
    bautin : bool
        On Hopf curves, also look for sign changes of the first Lyapunov coefficient.
    margin : float
        The curve is followed ``margin`` times the box's width beyond each side,
        finite and >= 0.
    """

    dsmax: float = 0.05
    bautin: bool = True
    margin: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            ok = not isinstance(self.margin, bool) and math.isfinite(self.margin) \
                and self.margin >= 0
        except TypeError:
            ok = False
        if not ok:
            raise InputError(f"margin must be a finite number >= 0, got {self.margin!r}")
        object.__setattr__(self, "margin", float(self.margin))
        object.__setattr__(self, "bautin", bool(self.bautin))


@dataclass(frozen=True)
class CycleOptions(ContinuationOptions):
    """Options of :meth:`Continuation.cycles <thetabif.continuation.Continuation.cycles>`
    (see :class:`ContinuationOptions`).

    Attributes
    ----------
    max_period : float
        Scale of the period at which the branch is taken to approach a homoclinic
        orbit (beyond ``max(5 T_Hopf, max_period / 5)``), > 0.
    ntst : int
        Mesh intervals of the orbits, >= 2.
    """

    dsmax: float = 0.5
    nmx: int = 400
    max_points: int = 4000
    max_period: float = 500.0
    ntst: int = 80


def check_free(model: ThetaModel, free: Sequence[str]) -> tuple[str, ...]:
    """``free`` as a tuple of distinct parameter names of ``model``.

    Raises
    ------
    ValueError
        A name is not a parameter of the model, or a name repeats.
    """
    free = tuple(free)
    for name in free:
        if name not in model.parameter_names:
            raise InputError(f"free parameter {name!r} is not a parameter of "
                             f"{model.name!r}; allowed: {', '.join(model.parameter_names)}")
    if len(set(free)) != len(free):
        raise InputError(f"free parameters must differ, got {list(free)}")
    return free


def is_positive(model: ThetaModel, name: str) -> bool:
    """Whether the parameter ``name`` of ``model`` must be > 0."""
    return next(p.positive for p in model.parameters if p.name == name)


def check_bounds(model: ThetaModel, free: Sequence[str],
                 bounds: Mapping[str, tuple[float, float]]) -> dict[str, list[float]]:
    """The ranges of the free parameters, ``{name: [lo, hi]}``.

    Raises
    ------
    ValueError
        A range is not finite with ``lo < hi``, or leaves the parameter's domain.
    """
    out = {}
    domain = {p.name: p for p in model.parameters}
    for name in free:
        lo, hi = bounds[name]
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise InputError(f"range of {name!r} must be finite with start < stop, "
                             f"got {lo}:{hi}")
        if domain[name].positive and lo <= 0:
            raise InputError(f"range of {name!r} must lie in its domain ({name} > 0: "
                             f"{domain[name].description}), got {lo:g}:{hi:g}")
        out[name] = [float(lo), float(hi)]
    return out


def widened(model: ThetaModel, box: Mapping[str, Sequence[float]], margin: float
            ) -> dict[str, list[float]]:
    """``box`` grown by ``margin`` times its width on each side, inside the domain."""
    out = {}
    for name, (lo, hi) in box.items():
        w = margin * (hi - lo)
        out[name] = [max(lo - w, 0.5 * lo) if is_positive(model, name) else lo - w, hi + w]
    return out


def output_indices(model: ThetaModel) -> dict[str, int]:
    """PAR index of each PVLS measure (:func:`thetabif.auto.constants.output_indices` of
    the model's ``output_names``, known without sympy)."""
    return measure_indices(model.output_names)


def extremes(model: ThetaModel) -> dict[int, tuple[str, str]]:
    """PAR index -> ``(state, "max" | "min")`` of the states' maxima and minima the
    engine's ``PVLS`` stores (:func:`thetabif.auto.constants.state_indices`)."""
    return {i: key for key, i in
            state_indices(model.parameter_names, model.state_names).items()}


def auto_names(model: ThetaModel) -> tuple[dict[int, str], dict[int, str]]:
    """Names of AUTO's PAR indices (parameters, measures, period) and U indices."""
    pars = {i: n for n, i in parameter_indices(model.parameter_names).items()}
    pars.update({i: n for n, i in output_indices(model).items()})
    pars[PERIOD_PAR] = "period"
    states = {i + 1: n for i, n in enumerate(model.state_names)}
    return pars, states


def constants(model: ThetaModel, **over: Any) -> dict[str, Any]:
    """The AUTO constants of an engine run of ``model``, with ``over`` replacing some.

    :data:`thetabif.auto.constants.DEFAULTS`, the model's names and dimension, and
    ``IID=1`` (the table: AUTO's 2): ``fort.9`` keeps the eigenvalues and multipliers
    at every point, at half the size.
    """
    pars, states = auto_names(model)
    c: dict[str, Any] = {**DEFAULTS, "unames": states, "parnames": pars,
                         "NDIM": len(model.state_names), "ICP": [model.parameter_names[0]],
                         "IID": 1, "NPAR": npar(model.parameter_names, model.state_names)}
    c.update(over)
    return c
