"""Input protocols: the external current ``I_ext(t)`` as a piecewise-constant function.

A protocol is a list of phases ``[start, stop)`` with a constant input each. Step
protocols (the tutorial's pulse), constants and arrays sampled on a time grid all
become this one form, so integrators can stop exactly at every switch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from thetabif.errors import InputError


@dataclass(frozen=True)
class Phase:
    """One piece of a protocol: ``I_ext = value`` on ``[start, stop)``."""

    name: str
    start: float
    stop: float
    value: float


@dataclass(frozen=True)
class Protocol:
    """Piecewise-constant input ``I_ext(t)``.

    Parameters
    ----------
    breaks : sequence of float
        Switch times ``t_1 < t_2 < ...`` (strictly increasing, finite). The input
        before ``t_1`` is ``levels[0]``; between ``t_k`` and ``t_{k+1}`` it is ``levels[k]``.
    levels : sequence of float
        One more value than ``breaks``.
    names : sequence of str, optional
        A name per level (default ``phase 1``, ``phase 2``, ...).
    """

    breaks: tuple[float, ...] = ()
    levels: tuple[float, ...] = (0.0,)
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        breaks = tuple(float(b) for b in self.breaks)
        levels = tuple(float(v) for v in self.levels)
        object.__setattr__(self, "breaks", breaks)
        object.__setattr__(self, "levels", levels)
        if len(levels) != len(breaks) + 1:
            raise InputError(
                f"a protocol needs one more level than switch times, got {len(levels)} "
                f"levels and {len(breaks)} switch times"
            )
        if not all(math.isfinite(v) for v in breaks + levels):
            raise InputError(f"protocol values must be finite, got breaks={breaks}, "
                             f"levels={levels}")
        if any(b2 <= b1 for b1, b2 in zip(breaks, breaks[1:], strict=False)):
            raise InputError(f"protocol switch times must increase strictly, got {breaks}")
        if self.names is not None and len(self.names) != len(levels):
            raise InputError(f"need {len(levels)} phase names, got {len(self.names)}")

    # ----------------------------------------------------------- constructors
    @classmethod
    def constant(cls, value: float = 0.0) -> Protocol:
        """``I_ext = value`` at all times."""
        return cls((), (value,), ("constant",))

    @classmethod
    def step(cls, start: float, stop: float, amplitude: float, baseline: float = 0.0) -> Protocol:
        """``I_ext = amplitude`` on ``[start, stop)``, ``baseline`` elsewhere.

        Phases are named ``before``, ``during`` and ``after``.
        """
        for name, value in (("start", start), ("stop", stop), ("amplitude", amplitude)):
            if not math.isfinite(float(value)):
                raise InputError(f"step {name} must be finite, got {value!r}")
        if not start < stop:
            raise InputError(f"step start must be < stop, got start={start}, stop={stop}")
        if start < 0:
            raise InputError(f"step start must be >= 0, got {start}")
        return cls((start, stop), (baseline, amplitude, baseline), ("before", "during", "after"))

    @classmethod
    def parse_step(cls, text: str) -> Protocol:
        """Parse ``START:STOP:AMPLITUDE`` (the CLI's ``--step``)."""
        parts = text.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            start, stop, amp = (float(p) for p in parts)
        except ValueError:
            raise InputError(
                f"--step must be START:STOP:AMPLITUDE with three numbers, got {text!r}"
            ) from None
        return cls.step(start, stop, amp)

    @classmethod
    def from_array(cls, values: Sequence[float], dt: float, t0: float = 0.0) -> Protocol:
        """Zero-order hold of samples: ``values[k]`` on ``[t0 + k dt, t0 + (k+1) dt)``.

        Runs of equal samples merge into one phase, so a step sampled on a fine grid
        becomes three phases with exact switch times. The last sample is held after
        the grid ends.
        """
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise InputError(f"input array must be one-dimensional and non-empty, got "
                             f"shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(f"input array has a non-finite value {arr[bad]} at index {bad}")
        if not (math.isfinite(dt) and dt > 0):
            raise InputError(f"step size must be finite and > 0, got {dt!r}")
        change = np.flatnonzero(np.diff(arr) != 0.0) + 1
        breaks = tuple(t0 + float(k) * dt for k in change)
        levels = (float(arr[0]),) + tuple(float(arr[k]) for k in change)
        names = None
        if len(levels) == 3 and levels[0] == levels[2]:
            names = ("before", "during", "after")
        return cls(breaks, levels, names)

    # ------------------------------------------------------------------ views
    def phases(self, t_start: float, t_end: float) -> list[Phase]:
        """The phases that overlap ``[t_start, t_end]``, clipped to it."""
        names = self.names or tuple(f"phase {k + 1}" for k in range(len(self.levels)))
        edges = (-math.inf, *self.breaks, math.inf)
        out = []
        for k, value in enumerate(self.levels):
            a, b = max(edges[k], t_start), min(edges[k + 1], t_end)
            if b > a:
                out.append(Phase(names[k], a, b, value))
        return out

    def __call__(self, t: float | np.ndarray) -> np.ndarray:
        """``I_ext`` at time(s) ``t`` (right-continuous)."""
        idx = np.searchsorted(np.asarray(self.breaks), np.asarray(t, dtype=float), side="right")
        return np.asarray(self.levels)[idx]

    def describe(self) -> str:
        """Compact text form, e.g. ``0 | 3 on [20, 80) | 0``."""
        if not self.breaks:
            return f"I_ext = {self.levels[0]:g}"
        parts = [f"{self.levels[0]:g}"]
        for k, b in enumerate(self.breaks):
            parts.append(f"{self.levels[k + 1]:g} from t={b:g}")
        return "I_ext = " + ", ".join(parts)
