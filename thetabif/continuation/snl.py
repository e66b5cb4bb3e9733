"""Saddle-node-loop (SNL) points: where a homoclinic curve ends on a fold curve.

At a fold point ``u*`` (simple zero eigenvalue, right and left null vectors ``v``,
``w``, ``w . v = 1``, the other eigenvalues in the left half plane) the centre manifold
``u = u* + c v + c^2 h + O(c^3)`` carries the flow ``c' = a c^2``, ``a = w . B(v, v) / 2``
(``A h = a v - B(v, v) / 2``, ``w . h = 0``). Its half ``a c > 0`` leaves the
saddle-node. Followed around, it comes back near ``u*`` and either enters the other
half of the centre manifold (a saddle-node on an invariant circle, SNIC) or passes on
the leaving side. The boundary between the two is the orbit that returns inside the
strong stable manifold of ``u*`` (a non-central saddle-node homoclinic orbit): the
saddle-node-loop point, where the homoclinic curve of the saddle ends on the fold.

The *landing coordinate* measures this: near ``u*`` the part of ``u - u*`` off the
centre manifold decays at the stable rates while ``c = w . (u - u*)`` hardly moves
(``c' = a c^2``); it is read once that part has fallen below ``SETTLED + |c|^3`` (the
manifold is known to second order) (or as ``+-R`` when the orbit leaves the ball of
radius ``R`` again first), signed so that ``> 0`` is the
leaving side. It is a smooth function along the fold near the SNL point, zero there
(``c`` moves by ``O(c^2)`` while the rest settles; the strong stable manifold's
curvature enters as the square of the settled non-centre part): brentq along the fold
curve (parametrised by the second free parameter, the fold polished by Newton in the
first) locates the point to its ``xtol``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thetabif.continuation.records import Located, LocatedBy
from thetabif.errors import InputError, PolishError
from thetabif.models import ThetaModel
from thetabif.polish import derivative_tensors, polish

#: Start on the leaving half of the centre manifold at ``c = DELTA`` (second-order
#: manifold: the start is off it by O(DELTA^3) = 1e-9 in the stable directions, which
#: the slow departure (time ~ 1 / (a DELTA)) contracts away).
DELTA = 1e-3
#: Radius of the ball around the saddle-node that the orbit leaves and re-enters.
RADIUS = 0.02
#: Time allowed for the return to the ball once the orbit has left it; an orbit not back
#: by then went elsewhere (a cycle passing further off, an equilibrium) and counts as
#: the leaving side (``+RADIUS``).
RETURN_TIME = 2000.0
#: Non-centre part of ``u - u*`` below which the landing coordinate is read.
SETTLED = 1e-9
#: Integration tolerances (DOP853).
RTOL, ATOL = 1e-12, 1e-14


@dataclass(frozen=True)
class SaddleNodeLoop:
    """A located saddle-node-loop point.

    ``params``: all parameters; ``state``: the saddle-node; ``landing``: the landing
    coordinate there (zero up to the root finder's tolerance); ``bracket``: the two
    values of the curve parameter between which it was located; ``located_by``: how
    (a :class:`~thetabif.continuation.records.Located`); ``xtol``: brentq's tolerance
    in the curve parameter.
    """

    params: dict[str, float]
    state: np.ndarray
    landing: float
    bracket: tuple[float, float]
    located_by: Located
    xtol: float


def _centre(model: ThetaModel, state: np.ndarray, pv: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """``v``, ``w``, ``a``, ``h`` of the fold point (see the module)."""
    A = model.numeric.jacobian(state, pv)
    n = len(state)
    lam, vecs = np.linalg.eig(A)
    k = int(np.argmin(np.abs(lam)))
    v = np.real(vecs[:, k])
    v /= np.linalg.norm(v)
    lam_l, vecs_l = np.linalg.eig(A.T)
    w = np.real(vecs_l[:, int(np.argmin(np.abs(lam_l)))])
    w /= float(w @ v)
    B = derivative_tensors(model)[0](*state, *pv)
    bvv = np.einsum("kij,i,j->k", B, v, v)
    a = 0.5 * float(w @ bvv)
    big = np.zeros((n + 1, n + 1))
    big[:n, :n], big[:n, n], big[n, :n] = A, w, w
    h = np.linalg.solve(big, np.concatenate([a * v - 0.5 * bvv, [0.0]]))[:n]
    return v, w, a, h


def landing_coordinate(model: ThetaModel, state: Sequence[float],
                       params: Mapping[str, float], *, t_max: float | None = None,
                       delta: float = DELTA, radius: float = RADIUS) -> float:
    """The landing coordinate of the fold point ``(state, params)`` (see the module).

    ``delta``, ``radius``: :data:`DELTA`, :data:`RADIUS`.
    ``> 0``: the leaving half of the centre manifold returns on the leaving side (no
    SNIC); ``< 0``: it enters the saddle-node's other half (SNIC); ``+-RADIUS`` when it
    does not settle near the saddle-node before leaving again (``+RADIUS`` when it
    does not come back within :data:`RETURN_TIME`).

    Raises
    ------
    InputError
        The point is no fold with the other eigenvalues stable, or the orbit does not
        come back within ``t_max``.
    """
    from scipy.integrate import solve_ivp  # scipy on this path only: warm runs skip it

    num = model.numeric
    pv = num.parameter_vector(model.validate_params(params))
    x = np.asarray(state, dtype=float)
    v, w, a, h = _centre(model, x, pv)
    others = np.sort(np.linalg.eigvals(num.jacobian(x, pv)).real)
    if others[-1] > 1e-6 or others[-2] >= 0:
        raise InputError("the saddle-node-loop test needs a fold point whose other "
                         f"eigenvalues are stable (eigenvalues' real parts {others})")
    side = 1.0 if a > 0 else -1.0
    c0 = side * delta
    t_max = t_max if t_max is not None else 50.0 / (abs(a) * delta) + 1e4

    def rhs(_t: float, u: np.ndarray) -> np.ndarray:
        return num.rhs(u, pv)

    def jac(_t: float, u: np.ndarray) -> np.ndarray:
        return num.jacobian(u, pv)

    def run(u0: np.ndarray, event, span: float) -> np.ndarray | None:
        event.terminal = True
        sol = solve_ivp(rhs, (0.0, span), u0, method="DOP853", rtol=RTOL, atol=ATOL,
                        events=event)
        return sol.y_events[0][0] if sol.t_events[0].size else None

    def out(_t, u):
        """leave the ball around the saddle-node"""
        return np.linalg.norm(u - x) - radius

    def back(_t, u):
        """come back to the saddle-node"""
        return np.linalg.norm(u - x) - radius

    out.direction, back.direction = 1, -1
    u = run(x + c0 * v + c0 ** 2 * h, out, t_max)
    if u is None:
        raise InputError(f"the orbit from the saddle-node at {dict(params)} did not leave "
                         f"it within t = {t_max:g}")
    u = run(u, back, RETURN_TIME)
    if u is None:  # it went elsewhere (a cycle passing further off, an equilibrium)
        return radius

    def settled(_t, u):
        """settle near the saddle-node"""
        z = u - x
        c = float(w @ z)
        rest = np.linalg.norm(z - c * v - c * c * h)  # off the centre manifold: O(c^3)
        return rest - SETTLED - abs(c) ** 3

    def leaves(_t, u):
        """leave the ball again"""
        return radius - np.linalg.norm(u - x)

    settled.direction = leaves.direction = -1
    settled.terminal = leaves.terminal = True
    if settled(0.0, u) <= 0:  # settled where it re-enters (far from the point: large c)
        return side * float(w @ (u - x))
    sol = solve_ivp(rhs, (0.0, t_max), u, method="DOP853", rtol=RTOL, atol=ATOL,
                    events=(settled, leaves))
    if sol.t_events[0].size:
        return side * float(w @ (sol.y_events[0][0] - x))
    if sol.t_events[1].size:
        return side * np.sign(float(w @ (sol.y_events[1][0] - x))) * radius
    raise InputError(f"the orbit did not settle near the saddle-node at {dict(params)} "
                     f"within t = {t_max:g}")


def _fold_at(model: ThetaModel, free: Sequence[str], params: Mapping[str, float],
             guess: np.ndarray, value: float) -> tuple[np.ndarray, dict[str, float]]:
    """The fold in ``free[0]`` at ``free[1] = value``, polished from ``guess``."""
    p = {**params, free[1]: value}
    pt = polish(model, "LP", (free[0],), guess, p)
    return np.asarray(pt.state, dtype=float), dict(pt.params)


def locate_saddle_node_loop(model: ThetaModel, free: Sequence[str],
                            params: Mapping[str, float], state: Sequence[float],
                            step: float, *, max_steps: int = 40, xtol: float = 1e-10
                            ) -> SaddleNodeLoop:
    """The saddle-node-loop point on the fold curve near ``(state, params)``.

    The fold is followed in ``free[1]`` from ``params[free[1]]`` in steps of ``step``
    (polished in ``free[0]`` at each) until the landing coordinate changes sign, then
    the zero is found by brentq (``xtol`` in ``free[1]``).

    Raises
    ------
    InputError
        No sign change within ``max_steps`` steps, or the fold could not be polished.
    """
    free = tuple(free)
    guess = np.asarray(state, dtype=float)
    start = float(params[free[1]])

    current = dict(params)

    def at(value: float) -> tuple[float, np.ndarray, dict[str, float]]:
        nonlocal guess, current
        try:
            x, p = _fold_at(model, free, current, guess, value)
        except PolishError as exc:
            raise InputError(f"no fold at {free[1]} = {value:.10g} near the curve ({exc})"
                             ) from None
        guess, current = x, p
        return landing_coordinate(model, x, p), x, p

    f0, _, _ = at(start)
    prev = start
    for k in range(1, max_steps + 1):
        value = start + k * step
        f1, _, _ = at(value)
        if np.sign(f1) != np.sign(f0):
            break
        prev, f0 = value, f1
    else:
        raise InputError(f"the landing coordinate kept its sign along the fold from "
                         f"{free[1]} = {start:.6g} to {start + max_steps * step:.6g}: no "
                         "saddle-node-loop point there")
    lo, hi = sorted((prev, value))
    return saddle_node_loop_between(model, free, current, guess, lo, hi, xtol=xtol)


def saddle_node_loop_between(model: ThetaModel, free: Sequence[str],
                             params: Mapping[str, float], state: Sequence[float],
                             lo: float, hi: float, *, xtol: float = 1e-10
                             ) -> SaddleNodeLoop:
    """The saddle-node-loop point on the fold curve with ``free[1]`` in ``[lo, hi]``
    (brentq on the landing coordinate; the fold polished in ``free[0]`` from ``state``
    and ``params``, a fold point near the bracket).

    Raises
    ------
    InputError
        The landing coordinate has the same sign at both ends, or a fold could not be
        polished or tested there.
    """
    from scipy.optimize import brentq  # scipy on this path only: warm runs skip it

    free = tuple(free)
    guess = np.asarray(state, dtype=float)
    current = dict(params)

    def at(value: float) -> tuple[float, np.ndarray, dict[str, float]]:
        nonlocal guess, current
        try:
            x, p = _fold_at(model, free, current, guess, value)
        except PolishError as exc:
            raise InputError(f"no fold at {free[1]} = {value:.10g} near the curve ({exc})"
                             ) from None
        guess, current = x, p
        return landing_coordinate(model, x, p), x, p

    f_lo, f_hi = at(lo)[0], at(hi)[0]
    if np.sign(f_lo) == np.sign(f_hi):
        raise InputError(f"the landing coordinate has one sign on the fold for {free[1]} in "
                         f"[{lo:.10g}, {hi:.10g}] ({f_lo:.3g}, {f_hi:.3g})")
    root = brentq(lambda s: at(s)[0], lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps)
    c, x, p = at(root)
    return SaddleNodeLoop(p, x, c, (lo, hi),
                          LocatedBy.LANDING_ROOT.text(), xtol)
