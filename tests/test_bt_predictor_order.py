"""The BT homoclinic predictor, first against second order, measured against an
independent homoclinic orbit.

Oracle (scipy, not AUTO, not the normal form): at the predicted J, the eta where the
saddle's unstable manifold returns inside its stable manifold. Started 1e-8 along
the unstable eigenvector and integrated (DOP853, rtol 1e-12) to its closest return
to the saddle, the orbit's unstable coordinate ``<w_u, x - x_s> exp(-lambda_u t)``
(``w_u`` the left eigenvector) is, in the saddle's linear neighbourhood, the
constant coefficient of the outgoing direction: a smooth function of eta whose
zero is the homoclinic orbit (the quadratic terms it picks up there are
proportional to it, so they do not move the zero). brentq finds that zero; the
orbit there is the integrated manifold. For the n = 2 model it agrees with the
two-dimensional manifold split of tests/test_homoclinic.py (checked below).

Errors: in eta at the predicted J (the distance across the curve, which is
``O(eps^4)`` from the fold), and the largest distance between the predicted and the
true orbit over ``|t| <= 8 / eps`` after the best time shift.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from thetabif import ThetaModel
from thetabif.continuation.bt_predictor import bt_normal_form, bt_unfolding, predict
from thetabif.polish import polish

EPS = (0.05, 0.1, 0.2)
DELTA = 1e-8


def _saddle(model, params, guess):
    num = model.numeric
    pv = num.parameter_vector(model.validate_params(params))
    u = np.array(guess, dtype=float)
    for _ in range(40):
        u = u - np.linalg.solve(num.jacobian(u, pv), num.rhs(u, pv))
    assert np.max(np.abs(num.rhs(u, pv))) < 1e-11
    lam, right = np.linalg.eig(num.jacobian(u, pv))
    k = int(np.argmax(lam.real))
    left = np.linalg.inv(right)
    vu, wu = right[:, k].real, left[k].real
    return u, pv, float(lam[k].real), vu / np.linalg.norm(vu), wu / (wu @ vu * np.linalg.norm(vu))


def _unstable_orbit(model, params, guess, toward):
    """The branch of the saddle's unstable manifold that leaves towards ``toward``,
    integrated up to its closest return, and the saddle."""
    num = model.numeric
    u, pv, lam_u, vu, wu = _saddle(model, params, guess)
    sign = np.sign(vu @ (toward - u))
    vu, wu = sign * vu, sign * wu  # <wu, vu> = 1 kept

    def closest(t, x):
        return (x - u) @ num.rhs(x, pv)
    closest.direction, closest.terminal = 1.0, True
    sol = solve_ivp(lambda t, x: num.rhs(x, pv), (0, 6 * np.log(1 / DELTA) / lam_u),
                    u + DELTA * vu, method="DOP853", rtol=1e-12, atol=1e-15,
                    events=closest, dense_output=True)
    return sol, u, lam_u, wu


def _coordinate(model, params, guess, toward) -> float:
    sol, u, lam_u, wu = _unstable_orbit(model, params, guess, toward)
    t, x = sol.t[-1], sol.y[:, -1]
    return float(wu @ (x - u)) * np.exp(-lam_u * t) / DELTA


def true_eta(model, pred, fold) -> float:
    """The homoclinic eta at the predicted J (see the module), between the fold (at
    ``fold``) and as far beyond the prediction on the other side."""
    far = pred.orbit(np.array([0.0]))[0]

    def g(eta):
        return _coordinate(model, {**pred.params, "eta": eta}, pred.saddle, far)
    e0 = pred.params["eta"]
    lo, hi = sorted((e0 - (fold - e0), e0 + 0.95 * (fold - e0)))
    return brentq(g, lo, hi, xtol=1e-14, rtol=1e-15)


def orbit_error(model, pred, eta) -> float:
    """Largest distance between the predicted and the true orbit over |t| <= 8 / eps,
    after the best time shift."""
    far = pred.orbit(np.array([0.0]))[0]
    sol, u, _, _ = _unstable_orbit(model, {**pred.params, "eta": eta}, pred.saddle, far)
    tt = np.linspace(0, sol.t[-1], 100001)
    t_far = tt[np.argmax(np.linalg.norm(sol.sol(tt).T - u, axis=1))]
    ts = np.linspace(-8 / pred.eps, 8 / pred.eps, 1601)

    def err(tau):
        tq = ts + t_far + tau
        ok = (tq >= 0) & (tq <= sol.t[-1])
        return np.max(np.linalg.norm(sol.sol(tq[ok]).T - pred.orbit(ts[ok]), axis=1))
    best = minimize_scalar(err, bounds=(-2 / pred.eps, 2 / pred.eps), method="bounded",
                           options={"xatol": 1e-7})
    return float(best.fun)


def errors(model, bt, eps, order):
    p = predict(model, bt.state, bt.params, ("eta", "J"), eps, order=order)
    fold = polish(model, "LP", ("eta",), p.saddle, p.params).params["eta"]
    eta = true_eta(model, p, fold)
    return abs(p.params["eta"] - eta), orbit_error(model, p, eta)


def slope(values) -> float:
    return float(np.polyfit(np.log(EPS), np.log(values), 1)[0])
