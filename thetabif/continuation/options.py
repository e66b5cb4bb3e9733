"""What a continuation is told: its inputs validated once, and AUTO's constants.

Owns the checks of the step controls (:func:`check_steps`), of the free parameters
(:func:`check_free`) and of their ranges (:func:`check_bounds`, :func:`widened`), the
names AUTO's ``PAR`` and ``U`` indices carry (:func:`auto_names`) and the constants of
an engine run (:func:`constants`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from thetabif.auto.constants import DEFAULTS
from thetabif.models import ThetaModel

#: AUTO's PAR index of the period of periodic orbits.
PERIOD_PAR = 11
#: First PAR index of the solution measures written by PVLS (as codegen.fortran).
_FIRST_OUTPUT_PAR = 21


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
                raise ValueError(f"{name} must be an integer >= {least[name]}, got {value!r}")
            continue
        try:
            ok = not isinstance(value, bool) and math.isfinite(value) and value > 0
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


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
            raise ValueError(f"free parameter {name!r} is not a parameter of "
                             f"{model.name!r}; allowed: {', '.join(model.parameter_names)}")
    if len(set(free)) != len(free):
        raise ValueError(f"free parameters must differ, got {list(free)}")
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
            raise ValueError(f"range of {name!r} must be finite with start < stop, "
                             f"got {lo}:{hi}")
        if domain[name].positive and lo <= 0:
            raise ValueError(f"range of {name!r} must lie in its domain ({name} > 0: "
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
    """PAR index of each PVLS measure, as :func:`thetabif.codegen.fortran.output_indices`.

    Computed from the model's options, so that the warm path needs no sympy: ``r``,
    ``v``, ``abs_z`` and, for instantaneous synapses, ``s``.
    """
    names = ["r", "v", "abs_z"] + (["s"] if model.synapse == "instant" else [])
    return {name: _FIRST_OUTPUT_PAR + i for i, name in enumerate(names)}


def auto_names(model: ThetaModel) -> tuple[dict[int, str], dict[int, str]]:
    """Names of AUTO's PAR indices (parameters, measures, period) and U indices."""
    pars = {i + 1: n for i, n in enumerate(model.parameter_names)}
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
                         "NDIM": len(model.state_names), "ICP": ["eta"], "IID": 1}
    c.update(over)
    return c
