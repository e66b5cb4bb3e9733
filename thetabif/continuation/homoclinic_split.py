"""Homoclinic orbits by shooting along the saddle's unstable manifold; neutral saddles
polished on them.

Return coordinate. For a saddle ``x_s`` with one unstable eigenvalue ``lambda_u``
(right and left eigenvectors ``v_u``, ``w_u``, ``<w_u, v_u> = 1``) the branch of the
unstable manifold leaving along ``v_u`` is integrated from ``x_s + DELTA v_u``
(DOP853, rtol 1e-12) to its first closest approach to the saddle after its excursion
(the first minimum of the distance within half the largest distance reached).
In the saddle's linear neighbourhood the orbit's outgoing component ``<w_u, x - x_s>``
grows like ``C_u exp(lambda_u t)``, so ``C_u = <w_u, x - x_s> exp(-lambda_u t) /
DELTA`` read there is a smooth function of the parameters, zero exactly where the
manifold returns inside the stable manifold: the homoclinic orbit (the quadratic
terms the coordinate picks up near the saddle are proportional to ``C_u`` and do not
move the zero). :func:`homoclinic_parameter` solves ``C_u = 0`` in one parameter
(secant steps, brentq as fallback). For two states its zero is that of the
stable/unstable manifold split on a section (the independent check of
tests/test_homoclinic.py); for more states it needs no section.

Neutral saddles. Along the homoclinic curve (the second free parameter given, the
first solved for as above) the saddle quantity ``lambda_s + lambda_u`` of the leading
eigenvalues is brought to zero by secant steps (brentq as fallback) in the second
parameter (:func:`polish_neutral_saddle`), starting from AUTO's point (HomCont's
``psi1 = 0``, located only as well as its test function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thetabif.errors import PolishError
from thetabif.models import ThetaModel

#: Start of the unstable manifold off the saddle (its error in the zero: O(DELTA^2)).
DELTA = 1e-8
#: Integration tolerances (DOP853).
RTOL, ATOL = 1e-12, 1e-14
#: Root tolerances: the first free parameter (on the curve), the second (the saddle
#: quantity's zero).
XTOL_CURVE, XTOL_NS = 1e-13, 1e-11
#: Half-widths tried in turn for the brackets (relative to max(1, |value|)) when the
#: secant steps fail; the last also bounds how far the secant steps may go.
WIDTHS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
#: Largest number of secant steps.
SECANT_STEPS = 20
#: The return to the saddle is the first minimum of the distance within this fraction
#: of the largest distance reached before it.
RETURN_FRACTION = 0.5


@dataclass(frozen=True)
class Saddle:
    """An equilibrium with one unstable eigenvalue: its state, the leading stable and
    the unstable eigenvalue, and the unstable eigenvector's right and left versions."""

    state: np.ndarray
    lambda_s: float
    lambda_u: float
    v_u: np.ndarray
    w_u: np.ndarray


def saddle_at(model: ThetaModel, params: Mapping[str, float], guess: Sequence[float]
              ) -> Saddle:
    """The saddle near ``guess`` (Newton), with its eigen data.

    Raises
    ------
    PolishError
        Newton does not converge, or the equilibrium has not exactly one unstable
        eigenvalue (or it is not real).
    """
    num = model.numeric
    pv = num.parameter_vector(model.validate_params(params))
    u = np.array(guess, dtype=float)
    for _ in range(50):
        try:
            step = np.linalg.solve(num.jacobian(u, pv), -num.rhs(u, pv))
        except np.linalg.LinAlgError:
            raise PolishError(f"singular Jacobian at the saddle near {list(guess)}") from None
        u = u + step
        if np.max(np.abs(step)) < 1e-15 * max(1.0, float(np.max(np.abs(u)))):
            break
    if not np.max(np.abs(num.rhs(u, pv))) < 1e-11:
        raise PolishError(f"Newton found no equilibrium near {list(guess)} at {dict(params)}")
    lam, right = np.linalg.eig(num.jacobian(u, pv))
    unstable = np.flatnonzero(lam.real > 0)
    if len(unstable) != 1 or abs(lam[unstable[0]].imag) > 0:
        raise PolishError(f"the equilibrium at {dict(params)} has eigenvalues {lam}: not a "
                          "saddle with one real unstable eigenvalue")
    k = int(unstable[0])
    left = np.linalg.inv(right)
    v_u = right[:, k].real / np.linalg.norm(right[:, k].real)
    w_u = left[k].real / float(left[k].real @ v_u)
    stable = lam.real[lam.real < 0]
    return Saddle(u, float(stable.max()) if len(stable) else 0.0, float(lam[k].real),
                  v_u, w_u)


def _excursion(model: ThetaModel, params: Mapping[str, float], saddle: Saddle,
               sign: float) -> tuple[float, float, float]:
    """``(C_u, closest distance, largest distance)`` of the unstable branch ``sign``."""
    num = model.numeric
    pv = num.parameter_vector(model.validate_params(params))
    u, v, w = saddle.state, sign * saddle.v_u, sign * saddle.w_u

    far_so_far = [0.0]

    def closest(t: float, x: np.ndarray) -> float:
        # the distance's first minimum once the orbit has come back within
        # RETURN_FRACTION of its excursion: on the way out and round, an orbit of more
        # than two states can pass through local minima of the distance (it winds
        # along complex stable directions) that are not the return
        d = float(np.linalg.norm(x - u))
        far_so_far[0] = max(far_so_far[0], d)
        if d > RETURN_FRACTION * far_so_far[0]:
            return -1.0
        return float((x - u) @ num.rhs(x, pv))
    closest.direction, closest.terminal = 1.0, True  # type: ignore[attr-defined]
    t_end = 12.0 * np.log(1.0 / DELTA) / saddle.lambda_u
    from scipy.integrate import solve_ivp  # scipy on this path only: warm runs skip it

    sol = solve_ivp(lambda t, x: num.rhs(x, pv), (0.0, t_end), u + DELTA * v,
                    method="DOP853", rtol=RTOL, atol=ATOL, events=closest)
    x, t = sol.y[:, -1], sol.t[-1]
    far = float(np.max(np.linalg.norm(sol.y.T - u, axis=1)))
    return float(w @ (x - u)) * np.exp(-saddle.lambda_u * t) / DELTA, \
        float(np.linalg.norm(x - u)), far


def homoclinic_branch(model: ThetaModel, params: Mapping[str, float], saddle: Saddle) -> float:
    """The sign (+1 or -1 along ``v_u``) of the unstable branch that comes back to the
    saddle: the one whose closest return, relative to its excursion, is smaller."""
    ratios = []
    for sign in (1.0, -1.0):
        _, close, far = _excursion(model, params, saddle, sign)
        ratios.append(close / max(far, 1e-300))
    return 1.0 if ratios[0] <= ratios[1] else -1.0


def return_coordinate(model: ThetaModel, params: Mapping[str, float],
                      guess: Sequence[float], sign: float) -> float:
    """``C_u`` of the unstable branch ``sign`` of the saddle near ``guess`` (see the
    module): zero at a homoclinic orbit."""
    return _excursion(model, params, saddle_at(model, params, guess), sign)[0]


def _root(f, x0: float, xtol: float, what: str) -> tuple[float, tuple[float, float]]:
    """The zero of the smooth ``f`` near ``x0`` and the interval last narrowed to:
    secant steps from ``x0`` until a step is below ``xtol`` (a few steps from a close
    start), else brentq in the first of :data:`WIDTHS` around ``x0`` that brackets a
    sign change."""
    scale = max(1.0, abs(x0))
    a, b = x0, x0 + 1e-7 * scale
    try:
        fa, fb = f(a), f(b)
        for _ in range(SECANT_STEPS):
            if fb == fa:
                break
            step = -fb * (b - a) / (fb - fa)
            if abs(step) <= xtol:  # converged: the next step is below the tolerance
                return b + step, (min(b, b + step), max(b, b + step))
            a, fa, b = b, fb, b + step
            if abs(b - x0) > WIDTHS[-1] * scale:
                break
            fb = f(b)
    except PolishError:
        pass
    f0 = f(x0)
    for width in WIDTHS:
        h = width * scale
        for lo, hi in ((x0 - h, x0), (x0, x0 + h)):
            try:
                flo, fhi = (f(lo), f0) if hi == x0 else (f0, f(hi))
            except PolishError:
                continue
            if flo * fhi <= 0:
                from scipy.optimize import brentq  # scipy on this path only (see above)

                return brentq(f, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps), (lo, hi)
    raise PolishError(f"no zero of the {what} within {WIDTHS[-1]:g} (relative) of {x0:.12g}")


def homoclinic_parameter(model: ThetaModel, params: Mapping[str, float], name: str,
                         guess: Sequence[float], sign: float) -> float:
    """The value of parameter ``name`` near ``params[name]`` (the others fixed) at which
    the unstable branch ``sign`` of the saddle near ``guess`` is homoclinic.

    Raises
    ------
    PolishError
        No sign change of the return coordinate within the brackets, or the saddle
        is lost.
    """
    def c_u(value: float) -> float:
        return return_coordinate(model, {**params, name: value}, guess, sign)
    return _root(c_u, float(params[name]), XTOL_CURVE, "return coordinate")[0]


@dataclass(frozen=True)
class NeutralSaddle:
    """A polished neutral saddle: all parameters, the saddle, its leading eigenvalues,
    the interval of the second free parameter the root was last narrowed to (the last
    two secant iterates, or brentq's bracket) and the tolerance there."""

    params: dict[str, float]
    state: np.ndarray
    lambda_s: float
    lambda_u: float
    bracket: tuple[float, float]
    xtol: float


def polish_neutral_saddle(model: ThetaModel, params: Mapping[str, float],
                          free: Sequence[str], state: Sequence[float],
                          slope: float = 0.0) -> NeutralSaddle:
    """The neutral saddle near ``(params, state)`` on the homoclinic curve in ``free``.

    The saddle quantity's zero in ``free[1]``, the curve's ``free[0]`` found at each
    value by :func:`homoclinic_parameter` (guessed along ``slope = d free[0] / d
    free[1]``).

    Raises
    ------
    PolishError
        The saddle, the homoclinic orbit or the zero of the saddle quantity is not
        found near the point.
    """
    first, second = free
    base = dict(params)
    saddle0 = saddle_at(model, base, state)
    sign = homoclinic_branch(model, base, saddle0)
    guess = np.array(saddle0.state)

    def on_curve(value: float) -> tuple[dict[str, float], Saddle]:
        p = {**base, second: value,
             first: base[first] + slope * (value - base[second])}
        p[first] = homoclinic_parameter(model, p, first, guess, sign)
        return p, saddle_at(model, p, guess)

    def quantity(value: float) -> float:
        _, s = on_curve(value)
        return s.lambda_s + s.lambda_u

    root, bracket = _root(quantity, float(base[second]), XTOL_NS, "saddle quantity")
    p, s = on_curve(root)
    return NeutralSaddle(p, s.state, s.lambda_s, s.lambda_u, bracket, XTOL_NS)
