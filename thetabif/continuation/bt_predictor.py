"""The homoclinic orbit near a Bogdanov-Takens point, predicted from the BT normal form.

At a BT point ``(x0, alpha0)`` the Jacobian ``A`` has a double zero eigenvalue with
the Jordan chain ``A q0 = 0, A q1 = q0`` and the adjoint chain ``A^T p1 = 0,
A^T p0 = p1`` (``<p0, q0> = <p1, q1> = 1``, ``<p0, q1> = <p1, q0> = 0``). On the
parameter-dependent centre manifold ``x = x0 + w0 q0 + w1 q1 + ...`` the flow is the
smooth normal form

    w0' = w1,   w1' = beta1 + beta2 w1 + a w0^2 + b w0 w1 + ...,

``a = <p1, B(q0, q0)> / 2``, ``b = <p0, B(q0, q0)> + <p1, B(q0, q1)>`` with ``B`` the
second derivative of the right-hand side (:func:`thetabif.polish.derivative_tensors`).
Its homoclinic orbit of amplitude ``eps`` (Lindstedt-Poincare, Al-Hdaibat, Govaerts,
Kuznetsov and Meijer, SIAM J. Appl. Dyn. Syst. 15, 2016) is

    w0(t) = eps^2 u0(eps t) / a,  w1(t) = eps^3 v0(eps t) / a,
    u0 = 2 - 6 sech^2,  v0 = u0' = 12 sech^2 tanh,
    beta1 = -4 eps^4 / a + O(eps^6),  beta2 = 10 b eps^2 / (7 a) + O(eps^4).

Its saddle ``w0 = 2 eps^2 / a`` has the eigenvalues ``lambda^2 - sigma lambda - 4 eps^2
= 0`` with ``sigma = lambda_s + lambda_u = 24 b eps^2 / (7 a) + O(eps^4)``.

Parameters. Instead of the parameter map ``alpha(beta)`` to second order (its
``eps^4`` terms need the fold curve's curvature and the cubic normal-form terms), the
parameters are found from the eigenvalues, which the smooth change of coordinates
between the model and its normal form preserves: Newton on ``f(x, alpha) = 0,
det(Df - lambda_u I) = det(Df - lambda_s I) = 0`` with ``lambda_u, lambda_s`` as
above. Their errors, ``O(eps^4)`` in ``sigma`` and ``det``, place the point within a
relative ``O(eps^2)`` of the homoclinic curve in the normal form's scaled parameters
(``beta2 / eps^2``, ``beta1 / eps^4``), the accuracy of the second-order parameter
predictor, and the fold curve (``lambda_s lambda_u = 0``) is respected exactly.

Orbit. ``x(t) = x_s + eps^2 (u0(eps t) - 2) q0 / a + eps^3 v0(eps t) q1 / a`` for
``t`` in ``[-T/2, T/2]``, with ``x_s`` the saddle found with the parameters: it ends
on the saddle. AUTO's HomCont corrects it (the first-order orbit; its ``eps^4``
terms are left to Newton).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thetabif.errors import InputError
from thetabif.models import ThetaModel
from thetabif.polish import derivative_tensors


def _fmt(value: float) -> str:
    # 17 digits; leading blank: Fortran list-directed input needs a separator
    return f" {float(value):.17E}"


@dataclass(frozen=True)
class BTNormalForm:
    """The BT point's normal form: coefficients ``a``, ``b`` and the Jordan chains."""

    a: float
    b: float
    q0: np.ndarray
    q1: np.ndarray
    p0: np.ndarray
    p1: np.ndarray


@dataclass(frozen=True)
class HomoclinicPrediction:
    """A predicted homoclinic orbit near a BT point (see the module).

    ``params``: all parameters; ``saddle``: its state; ``lambda_s``, ``lambda_u``: the
    target eigenvalues; ``eps``: the amplitude.
    """

    eps: float
    params: dict[str, float]
    saddle: np.ndarray
    lambda_s: float
    lambda_u: float
    normal_form: BTNormalForm

    def orbit(self, t: np.ndarray) -> np.ndarray:
        """The predicted orbit at times ``t`` (0 at the orbit's far point), rows = times."""
        nf, e = self.normal_form, self.eps
        xi = e * np.asarray(t, dtype=float)
        decay = np.exp(-2.0 * np.abs(xi))
        sech2 = 4.0 * decay / (1.0 + decay) ** 2  # sech(xi)^2 without overflow
        du = -6.0 * sech2  # u0 - 2
        v0 = 12.0 * sech2 * np.tanh(xi)
        return (self.saddle[None, :] + (e ** 2 / nf.a) * du[:, None] * nf.q0[None, :]
                + (e ** 3 / nf.a) * v0[:, None] * nf.q1[None, :])


def bt_normal_form(model: ThetaModel, state: Sequence[float], params: Mapping[str, float]
                   ) -> BTNormalForm:
    """``a``, ``b`` and the Jordan chains at a BT point (see the module).

    Raises
    ------
    InputError
        The Jacobian there has no double zero eigenvalue with a Jordan block.
    """
    num = model.numeric
    x = np.asarray(state, dtype=float)
    pv = num.parameter_vector(model.validate_params(params))
    A = num.jacobian(x, pv)
    n = len(x)
    scale = max(1.0, float(np.max(np.abs(A))))
    lam = np.sort(np.abs(np.linalg.eigvals(A)))
    if lam[1] > 1e-5 * scale:
        raise InputError(f"no double zero eigenvalue at {dict(params)} (smallest "
                         f"|eigenvalues| {lam[0]:.3g}, {lam[1]:.3g}): not a BT point")
    _, _, vh = np.linalg.svd(A)
    q0 = vh[-1]
    _, _, vh = np.linalg.svd(A.T)
    p1 = vh[-1]

    def bordered(M: np.ndarray, rhs: np.ndarray, border_r: np.ndarray,
                 border_c: np.ndarray) -> np.ndarray:
        # [M c; r^T 0] [v; s] = [rhs; 0]: the solution of M v = rhs with <r, v> = 0
        big = np.zeros((n + 1, n + 1))
        big[:n, :n], big[:n, n], big[n, :n] = M, border_c, border_r
        return np.linalg.solve(big, np.concatenate([rhs, [0.0]]))[:n]

    q1 = bordered(A, q0, q0, p1)
    p0 = bordered(A.T, p1, p1, q0)
    c = float(p0 @ q0)
    if abs(c) < 1e-12:
        raise InputError("the zero eigenvalue has no Jordan block here (<p0, q0> = 0): "
                         "not a BT point")
    p0, p1 = p0 / c, p1 / c
    q1 = q1 - float(p0 @ q1) * q0
    B = derivative_tensors(model)[0](*x, *pv)

    def bil(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("kij,i,j->k", B, u, v)

    a = 0.5 * float(p1 @ bil(q0, q0))
    b = float(p0 @ bil(q0, q0) + p1 @ bil(q0, q1))
    if abs(a) < 1e-10 * scale:
        raise InputError("a = 0 at this BT point (degenerate): no homoclinic predictor")
    return BTNormalForm(a, b, q0, q1, p0, p1)


def predict(model: ThetaModel, state: Sequence[float], params: Mapping[str, float],
            free: Sequence[str], eps: float, *, steps: int = 8) -> HomoclinicPrediction:
    """The homoclinic orbit of amplitude ``eps`` near the BT point ``(state, params)``.

    The parameters and saddle come from Newton on the eigenvalue conditions (see the
    module), continued in ``eps`` from ``eps / steps`` (where the leading-order guess
    is good) up to ``eps``.

    Raises
    ------
    InputError
        Not a BT point (see :func:`bt_normal_form`), or Newton failed.
    """
    nf = bt_normal_form(model, state, params)
    num = model.numeric
    names = model.parameter_names
    full = model.validate_params(params)
    idx = [names.index(f) for f in free]
    x0 = np.asarray(state, dtype=float)
    n = len(x0)
    eye = np.eye(n)

    def unpack(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pv = num.parameter_vector(full).copy()
        pv[idx] = z[n:]
        return z[:n], pv

    def targets(e: float) -> tuple[float, float]:
        sigma = 24.0 * nf.b * e ** 2 / (7.0 * nf.a)
        root = np.sqrt(sigma ** 2 + 16.0 * e ** 2)
        return 0.5 * (sigma - root), 0.5 * (sigma + root)

    def residual(z: np.ndarray, lam: tuple[float, float]) -> np.ndarray:
        x, pv = unpack(z)
        J = num.jacobian(x, pv)
        return np.concatenate([num.rhs(x, pv), [np.linalg.det(J - lv * eye) for lv in lam]])

    def jac(z: np.ndarray, lam: tuple[float, float]) -> np.ndarray:
        x, pv = unpack(z)
        D = np.empty((n + 2, n + 2))
        D[:n, :n] = num.jacobian(x, pv)
        D[:n, n:] = num.parameter_jacobian(x, pv)[:, idx]
        for j in range(n + 2):  # the determinant rows by central differences
            h = 1e-7 * max(1.0, abs(z[j]))
            zp, zm = z.copy(), z.copy()
            zp[j] += h
            zm[j] -= h
            D[n:, j] = (residual(zp, lam)[n:] - residual(zm, lam)[n:]) / (2 * h)
        return D

    e1 = eps / steps
    z = np.concatenate([x0 + (2 * e1 ** 2 / nf.a) * nf.q0, [full[f] for f in free]])
    for e in np.linspace(e1, eps, steps):
        lam = targets(float(e))
        for _ in range(30):
            try:
                step = np.linalg.solve(jac(z, lam), -residual(z, lam))
            except np.linalg.LinAlgError:
                raise InputError(f"the homoclinic predictor's Newton met a singular system "
                                 f"at eps = {e:.3g}") from None
            z = z + step
            if np.max(np.abs(step)) < 1e-13 * max(1.0, np.max(np.abs(z))):
                break
        if not np.max(np.abs(residual(z, lam))) < 1e-10:
            raise InputError(f"the homoclinic predictor's Newton did not converge at eps = "
                             f"{e:.3g}: try a smaller eps")
    x, pv = unpack(z)
    lam_s, lam_u = targets(eps)
    out = dict(zip(names, (float(v) for v in pv), strict=True))
    return HomoclinicPrediction(eps, out, x, lam_s, lam_u, nf)


def orbit_restart(pred: HomoclinicPrediction, period: float, par: Sequence[float], *,
                  ntst: int = 400, ncol: int = 4) -> str:
    """The predicted orbit over ``[-period/2, period/2]`` as an AUTO solution file (label 1).

    Written like a periodic orbit of AUTO's (``IPS=2``, ``NTST`` intervals of ``NCOL``
    collocation points, uniform in time; AUTO re-meshes it to the run's ``NTST``) with
    ``par`` as ``PAR(1..NPAR)`` (the caller places the model's parameters and the whole
    interval ``period`` in it) and the direction zero.
    """
    m = ntst * ncol + 1
    s = np.linspace(0.0, 1.0, m)
    u = pred.orbit((s - 0.5) * period)
    n = u.shape[1]
    par = np.asarray(par, dtype=float)
    rows = ["  " + _fmt(si) + "".join(_fmt(v) for v in ui) for si, ui in zip(s, u, strict=True)]
    rows += ["    1", "  " + _fmt(0.0)]
    rows += ["  " + "".join(_fmt(0.0) for _ in range(n)) for _ in range(m)]
    rows += ["  " + "".join(_fmt(v) for v in par[i:i + 7]) for i in range(0, len(par), 7)]
    head = (f"{1:6d}{1:6d}{4:6d}{1:6d}{1:6d}{1:6d}{m:8d}{n + 1:6d}{len(rows):8d}"
            f"{ntst:5d}{ncol:5d}{len(par):5d}{0:5d}{n:5d}{2:5d}{0:5d}")
    return head + "\n" + "\n".join(rows) + "\n"
