"""The homoclinic orbit near a Bogdanov-Takens point, predicted from the BT normal form.

At a BT point ``(x0, alpha0)`` the Jacobian ``A`` has a double zero eigenvalue with
the Jordan chain ``A q0 = 0, A q1 = q0`` and the adjoint chain ``A^T p1 = 0,
A^T p0 = p1`` (``<p0, q0> = <p1, q1> = 1``, ``<p0, q1> = <p1, q0> = 0``). On the
parameter-dependent centre manifold ``x = x0 + H(w, beta)``, ``alpha = alpha0 +
K(beta)`` the flow is the smooth normal form

    w0' = w1,
    w1' = beta1 + beta2 w1 + a w0^2 + b w0 w1
          + d w0^3 + e w0^2 w1 + a1 beta2 w0^2 + b1 beta2 w0 w1 + ...,

``a = <p1, B(q0, q0)> / 2``, ``b = <p0, B(q0, q0)> + <p1, B(q0, q1)>`` with ``B``,
``C`` the second and third derivatives of the right-hand side
(:func:`thetabif.polish.derivative_tensors`).

First order (``order=1``). The homoclinic orbit of amplitude ``eps``
(Lindstedt-Poincare) is ``w0 = eps^2 u0(eps t) / a``, ``w1 = eps^3 v0(eps t) / a``,
``u0 = 2 - 6 sech^2``, ``v0 = u0'``, ``beta1 = -4 eps^4 / a``, ``beta2 = 10 b eps^2 / (7
a)``. The parameters come from Newton on ``f(x, alpha) = 0, det(Df - lambda I) = 0``
for the saddle's eigenvalues ``lambda^2 - sigma lambda - 4 eps^2 = 0``, ``sigma = 24 b
eps^2 / (7 a)`` (preserved by the smooth change of coordinates): within ``O(eps^6)``
of the homoclinic curve across it, ``O(eps^4)`` along it. The orbit ``x_s + eps^2 (u0
- 2) q0 / a + eps^3 v0 q1 / a`` (``x_s`` the saddle) is off by ``O(eps^4)``.

Second order (``order=2``, the default). Al-Hdaibat, Govaerts, Kuznetsov and Meijer
(SIAM J. Appl. Dyn. Syst. 15, 2016), with the time reparametrisation of Bosschaert
and Kuznetsov (2021). Collecting the terms ``w0^i w1^j beta1^k beta2^l`` of the
homological equation ``H_w G(w, beta) = f(x0 + H, alpha0 + K)`` (``H_ijkl`` their
coefficients, ``A^INV`` the solution orthogonal to ``q0`` of a system solvable by
``<p1, .> = 0``, ``J1 = f_alpha``, ``A1``, ``B1``, ``A2``, ``J2`` the parameter
derivatives of ``A``, ``B``, ``A``, ``J1``, central differences in the parameters):

- ``w0^2``, ``w0 w1``, ``w1^2``: ``H2000 = A^INV(2 a q1 - B(q0, q0)) + gamma q0`` with
  ``gamma`` such that the ``w1^2`` equation is solvable, ``H1100``, ``H0200``;
- ``beta1``, ``beta2`` (and the solvability of ``w0 beta_i``, ``w1 beta_i``, which
  keeps ``w0 beta1, w1 beta1, w0 beta2`` out of the normal form and makes the
  coefficient of ``w1 beta2`` one): ``A H0010 + J1 K10 = q1``, ``A H0001 + J1 K01 =
  0`` with two scalar conditions each, an ``(n + 2)``-square system;
- ``w0 beta2``, ``w1 beta2``: ``H1001``, ``H0101``;
- ``beta2^2`` (no constant term), ``w0 beta2^2`` and ``w1 beta2^2`` (none either):
  ``K02`` along ``K10`` then along ``K01``, ``H0002`` plus multiples of ``q0`` and
  ``H0001``; ``beta1 beta2``, ``beta2^3`` (no constant terms): ``K11``, ``K03``
  along ``K10``;
- ``w0^3``, ``w0^2 w1``, ``w0^2 beta2``, ``w0 w1 beta2``: the coefficients ``d``,
  ``e``, ``a1``, ``b1`` by the solvability (projection on ``p1``).

The normal form's homoclinic orbit to relative ``O(eps^2)`` (``s = eps t``):
``beta1 = -4 eps^4 / a``, ``beta2 = (b / a) (10/7 + tau2 eps^2) eps^2``,

    tau2 = (100 b1 / 49 - 4 e / b) / a + (288 b^2 / 2401 - 50 b a1 / 49 + 146 d / 49) / a^2,
    xi = s - (6 b / (7 a)) log(cosh s) eps + xi2(s) eps^2,
    xi2 = ((70 a1 b - 72 b^2 + 196 d) s + (90 b^2 - 441 d) tanh s
           + 144 b^2 log(cosh s) tanh s) / (196 a^2),
    w0 = eps^2 (u0(xi) + eps^2 u2(xi)) / a,  w1 = eps^3 (v0(xi) + eps v1(xi)) / a,
    u2 = 3 (70 a1 b - 6 b^2 - 49 d) sech^2 / (49 a^2) - 2 (5 a1 b + 7 d) / (7 a^2),
    v1 = -(6 b / (7 a)) tanh(xi) v0(xi).

Mapped back: ``alpha = alpha0 + K10 beta1 + K01 beta2 + K02 beta2^2 / 2 + K11 beta1
beta2 + K03 beta2^3 / 6``, exact to ``eps^6`` but for ``beta2``'s ``eps^6`` term, which
moves it along the curve (across it: ``O(eps^8)``). The ``eps^6`` terms matter: an
``O(eps^6)`` error in ``f`` along ``p1`` moves the saddle by ``O(eps^4)`` along
``q0`` (the Jordan block's inverse is ``O(eps^-2)`` there). The orbit ``x0 + q0 w0 +
q1 w1 + H0010 beta1 + H0001 beta2 + H2000 w0^2 / 2 + H1001 w0 beta2 + H0002 beta2^2 /
2`` is complete to ``eps^4`` (off by ``O(eps^5)``) and is shifted by the ``O(eps^6)``
between its end and the saddle found by Newton at ``alpha``, so that it ends on it.
The tests (tests/test_bt_predictor_order.py) measure both orders against the manifold
split. AUTO's HomCont corrects the predicted orbit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thetabif.errors import InputError
from thetabif.models import ThetaModel
from thetabif.polish import derivative_tensors

#: Relative step of the central differences in the parameters (error ~ step^2 ~ 1e-10).
PARAM_STEP = 1e-5


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
class BTUnfolding:
    """The parameter-dependent centre manifold to the order of the second-order
    predictor (see the module): the parameter map's ``K10``, ``K01``, ``K02`` (in the
    free parameters), the manifold's ``H`` coefficients used by the orbit, the cubic
    normal-form coefficients ``d``, ``e``, ``a1``, ``b1`` and ``tau2``."""

    free: tuple[str, ...]
    K10: np.ndarray
    K01: np.ndarray
    K02: np.ndarray
    K11: np.ndarray
    K03: np.ndarray
    H0010: np.ndarray
    H0001: np.ndarray
    H2000: np.ndarray
    H1001: np.ndarray
    H0002: np.ndarray
    d: float
    e: float
    a1: float
    b1: float
    tau2: float

    def betas(self, nf: BTNormalForm, eps: float) -> tuple[float, float]:
        """``(beta1, beta2)`` of the homoclinic orbit of amplitude ``eps``."""
        return (-4.0 * eps ** 4 / nf.a,
                (nf.b / nf.a) * (10.0 / 7.0 + self.tau2 * eps ** 2) * eps ** 2)

    def shift(self, nf: BTNormalForm, eps: float) -> np.ndarray:
        """``alpha - alpha0`` in the free parameters at amplitude ``eps``."""
        b1, b2 = self.betas(nf, eps)
        return (self.K10 * b1 + self.K01 * b2 + 0.5 * self.K02 * b2 ** 2
                + self.K11 * b1 * b2 + self.K03 * b2 ** 3 / 6)


def _sech2(xi: np.ndarray) -> np.ndarray:
    decay = np.exp(-2.0 * np.abs(xi))
    return 4.0 * decay / (1.0 + decay) ** 2  # sech(xi)^2 without overflow


def _logcosh(xi: np.ndarray) -> np.ndarray:
    return np.logaddexp(xi, -xi) - np.log(2.0)


@dataclass(frozen=True)
class HomoclinicPrediction:
    """A predicted homoclinic orbit near a BT point (see the module).

    ``params``: all parameters; ``saddle``: its state; ``lambda_s``, ``lambda_u``: the
    saddle's leading eigenvalues (order 1: the targets of Newton; order 2: those of the
    saddle at ``params``); ``eps``: the amplitude; ``order``: 1 or 2; ``unfolding``,
    ``bt_state``: the second-order data (order 2 only).
    """

    eps: float
    params: dict[str, float]
    saddle: np.ndarray
    lambda_s: float
    lambda_u: float
    normal_form: BTNormalForm
    order: int = 1
    unfolding: BTUnfolding | None = None
    bt_state: np.ndarray | None = None

    def orbit(self, t: np.ndarray) -> np.ndarray:
        """The predicted orbit at times ``t`` (0 at the orbit's far point), rows = times."""
        nf, e = self.normal_form, self.eps
        s = e * np.asarray(t, dtype=float)
        if self.unfolding is None:
            sech2 = _sech2(s)
            du = -6.0 * sech2  # u0 - 2
            v0 = 12.0 * sech2 * np.tanh(s)
            return (self.saddle[None, :] + (e ** 2 / nf.a) * du[:, None] * nf.q0[None, :]
                    + (e ** 3 / nf.a) * v0[:, None] * nf.q1[None, :])
        out = self._second_order(s)
        return out - self._second_order(np.array([np.inf]))[0] + self.saddle

    def _second_order(self, s: np.ndarray) -> np.ndarray:
        nf, un, e = self.normal_form, self.unfolding, self.eps
        a, b, d, a1 = nf.a, nf.b, un.d, un.a1
        finite = np.isfinite(s)
        ss = np.where(finite, s, 0.0)
        lc = _logcosh(ss)
        xi2 = ((70 * a1 * b - 72 * b ** 2 + 196 * d) * ss + (90 * b ** 2 - 441 * d)
               * np.tanh(ss) + 144 * b ** 2 * lc * np.tanh(ss)) / (196 * a ** 2)
        xi = ss - 6 * b / (7 * a) * lc * e + xi2 * e ** 2
        xi = np.where(finite, xi, s)
        sech2, tanh = _sech2(xi), np.tanh(xi)
        u0 = 2.0 - 6.0 * sech2
        v0 = 12.0 * sech2 * tanh
        u2 = (3 * (70 * a1 * b - 6 * b ** 2 - 49 * d) * sech2 / (49 * a ** 2)
              - 2 * (5 * a1 * b + 7 * d) / (7 * a ** 2))
        v1 = -6 * b / (7 * a) * tanh * v0
        w0 = e ** 2 * (u0 + e ** 2 * u2) / a
        w1 = e ** 3 * (v0 + e * v1) / a
        beta1, beta2 = un.betas(nf, e)
        const = (un.H0010 * beta1 + un.H0001 * beta2 + 0.5 * un.H0002 * beta2 ** 2)
        return (self.bt_state[None, :] + const[None, :] + np.outer(w0, nf.q0)
                + np.outer(w1, nf.q1) + 0.5 * np.outer(w0 ** 2, un.H2000)
                + np.outer(w0 * beta2, un.H1001))


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
    # the SVD's sign is LAPACK's choice: fix it (largest component > 0), so that a, b
    # (which change sign with the chains) do not depend on the platform
    q0 = q0 * np.sign(q0[np.argmax(np.abs(q0))])
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


class _Jet:
    """Derivatives of the right-hand side at ``(x, p)`` as multilinear maps (see the
    module): state derivatives from the symbolic tensors, parameter derivatives by
    central differences over the free parameters ``idx``."""

    def __init__(self, model: ThetaModel, x: np.ndarray, p: np.ndarray, idx: list[int]):
        self.num = model.numeric
        self.x, self.p, self.idx = x, p, idx
        self.Bf, self.Cf = derivative_tensors(model)
        self.Bt, self.Ct = self.Bf(*x, *p), self.Cf(*x, *p)
        self.A = self.num.jacobian(x, p)
        self.J1 = self.num.parameter_jacobian(x, p)[:, idx]
        self.h = [PARAM_STEP * max(1.0, abs(p[i])) for i in idx]

    def _at(self, k: np.ndarray, h: float) -> np.ndarray:
        # parameters moved by h along the free-parameter direction k
        q = self.p.copy()
        q[self.idx] += h * np.asarray(k, dtype=float)
        return q

    def _step(self, k: np.ndarray) -> float:
        return min(self.h) / max(1e-300, float(np.max(np.abs(k))))

    def B(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("kij,i,j->k", self.Bt, u, v)

    def C(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.einsum("kijl,i,j,l->k", self.Ct, u, v, w)

    def A1(self, u: np.ndarray, k: np.ndarray) -> np.ndarray:
        """d/ds A(x, alpha + s k) u."""
        h = self._step(k)
        jac = self.num.jacobian
        return (jac(self.x, self._at(k, h)) - jac(self.x, self._at(k, -h))) @ u / (2 * h)

    def A2(self, u: np.ndarray, k: np.ndarray) -> np.ndarray:
        """d^2/ds^2 A(x, alpha + s k) u."""
        h = 10 * self._step(k)  # second differences: a larger step against rounding
        jac = self.num.jacobian
        return ((jac(self.x, self._at(k, h)) - 2 * self.A + jac(self.x, self._at(k, -h)))
                @ u / h ** 2)

    def B1(self, u: np.ndarray, v: np.ndarray, k: np.ndarray) -> np.ndarray:
        """d/ds B(x, alpha + s k)(u, v)."""
        h = self._step(k)
        plus, minus = self.Bf(*self.x, *self._at(k, h)), self.Bf(*self.x, *self._at(k, -h))
        return np.einsum("kij,i,j->k", plus - minus, u, v) / (2 * h)

    def J2(self, k: np.ndarray, m: np.ndarray | None = None) -> np.ndarray:
        """d^2/ds^2 f(x, alpha + s k), or the mixed derivative along ``k`` and ``m``."""
        if m is not None:  # polarisation
            k, m = np.asarray(k, dtype=float), np.asarray(m, dtype=float)
            return 0.25 * (self.J2(k + m) - self.J2(k - m))
        h = 10 * self._step(k)
        rhs = self.num.rhs
        return ((rhs(self.x, self._at(k, h)) - 2 * rhs(self.x, self.p)
                 + rhs(self.x, self._at(k, -h))) / h ** 2)

    def J3(self, k: np.ndarray) -> np.ndarray:
        """d^3/ds^3 f(x, alpha + s k)."""
        h = 100 * self._step(k)
        f = [self.num.rhs(self.x, self._at(k, c * h)) for c in (2, 1, -1, -2)]
        return (f[0] - 2 * f[1] + 2 * f[2] - f[3]) / (2 * h ** 3)


def bt_unfolding(model: ThetaModel, state: Sequence[float], params: Mapping[str, float],
                 free: Sequence[str], nf: BTNormalForm | None = None) -> BTUnfolding:
    """The centre-manifold and parameter-map coefficients of the second-order
    predictor at the BT point ``(state, params)`` in the free parameters ``free``
    (see the module for the equations).

    Raises
    ------
    InputError
        Not a BT point (see :func:`bt_normal_form`), not two free parameters, or the
        unfolding is degenerate (the ``(n + 2)``-square system is singular, ``b = 0``).
    """
    names = model.parameter_names
    free = tuple(free)
    if len(free) != 2 or any(f not in names for f in free):
        raise InputError(f"free must be two of the parameters {names}, got {free}")
    nf = bt_normal_form(model, state, params) if nf is None else nf
    a, b, q0, q1, p0, p1 = nf.a, nf.b, nf.q0, nf.q1, nf.p0, nf.p1
    if abs(b) < 1e-12:
        raise InputError("b = 0 at this BT point (degenerate): no second-order predictor")
    x = np.asarray(state, dtype=float)
    jet = _Jet(model, x, model.numeric.parameter_vector(model.validate_params(params)),
                [names.index(f) for f in free])
    A, B, C, A1, J1 = jet.A, jet.B, jet.C, jet.A1, jet.J1
    n = len(x)
    border = np.zeros((n + 1, n + 1))
    border[:n, :n], border[:n, n], border[n, :n] = A, p1, q0

    def ainv(r: np.ndarray) -> np.ndarray:
        # A y = r (r in A's range) with <q0, y> = 0
        return np.linalg.solve(border, np.concatenate([r, [0.0]]))[:n]

    H2000 = ainv(2 * a * q1 - B(q0, q0))
    gamma = 0.5 * (-2 * p0 @ H2000 + 2 * p0 @ B(q0, q1) + p1 @ B(q1, q1))
    H2000 = H2000 + gamma * q0
    H1100 = ainv(b * q1 + H2000 - B(q0, q1))
    H0200 = ainv(2 * H1100 - B(q1, q1))
    # beta1, beta2: [A J1; r1 c1; r2 c2] [H; K] = rhs
    eye2 = np.eye(2)
    big = np.zeros((n + 2, n + 2))
    big[:n, :n], big[:n, n:] = A, J1
    big[n, :n] = np.einsum("kij,k,i->j", jet.Bt, p1, q0)
    big[n + 1, :n] = (np.einsum("kij,k,i->j", jet.Bt, p0, q0)
                      + np.einsum("kij,k,i->j", jet.Bt, p1, q1))
    for m in range(2):
        big[n, n + m] = p1 @ A1(q0, eye2[m])
        big[n + 1, n + m] = p0 @ A1(q0, eye2[m]) + p1 @ A1(q1, eye2[m])
    if abs(np.linalg.det(big)) < 1e-14 * max(1.0, float(np.max(np.abs(big)))) ** (n + 2):
        raise InputError("the BT point's unfolding is degenerate in "
                         f"{free} (singular parameter system): choose other free parameters")
    sol = np.linalg.solve(big, np.concatenate([q1, [p1 @ H1100, p0 @ H1100 + p1 @ H0200]]))
    H0010, K10 = sol[:n], sol[n:]
    sol = np.linalg.solve(big, np.concatenate([np.zeros(n), [0.0, 1.0]]))
    H0001, K01 = sol[:n], sol[n:]
    H1001 = -ainv(B(q0, H0001) + A1(q0, K01))
    H0101 = -ainv(B(q1, H0001) + A1(q1, K01) - H1001 - q1)
    # beta2^2: no constant term (K02 along K10: <p1, J1 K10> = 1) ...
    h = B(H0001, H0001) + 2 * A1(H0001, K01) + jet.J2(K01)
    K02 = -(p1 @ h) * K10
    H0002 = -ainv(J1 @ K02 + h)

    def w0_beta22(H0002: np.ndarray) -> np.ndarray:
        return (A1(q0, K02) + 2 * A1(H1001, K01) + B(q0, H0002) + 2 * B(H0001, H1001)
                + jet.A2(q0, K01) + 2 * jet.B1(q0, H0001, K01) + C(q0, H0001, H0001))

    # ... no w0 beta2^2 term (H0002 + xi q0) ...
    H0002 = H0002 - (p1 @ w0_beta22(H0002)) / (2 * a) * q0
    H1002 = -ainv(w0_beta22(H0002))
    # ... and no w1 beta2^2 term (K02 + delta K01, H0002 + delta H0001)
    w1 = (A1(q1, K02) + 2 * A1(H0101, K01) + B(q1, H0002) + 2 * B(H0001, H0101)
          + jet.A2(q1, K01) + 2 * jet.B1(q1, H0001, K01) + C(q1, H0001, H0001))
    delta = -(p1 @ (w1 - 2 * H0101 - H1002))
    K02, H0002 = K02 + delta * K01, H0002 + delta * H0001
    # beta1 beta2 and beta2^3: no constant terms either (along K10)
    K11 = (p1 @ (H0101 - A1(H0001, K10) - A1(H0010, K01) - B(H0010, H0001)
                 - jet.J2(K10, K01))) * K10
    K03 = -(p1 @ (3 * A1(H0002, K01) + 3 * A1(H0001, K02) + 3 * B(H0001, H0002)
                  + 3 * jet.J2(K01, K02) + 3 * jet.A2(H0001, K01)
                  + 3 * jet.B1(H0001, H0001, K01) + C(H0001, H0001, H0001)
                  + jet.J3(K01))) * K10
    # cubic normal-form coefficients
    h3 = C(q0, q0, q0) / 6 + B(q0, H2000) / 2 - a * H1100
    d = float(p1 @ h3)
    H3000 = ainv(-6 * (h3 - d * q1))
    e = float(p1 @ (0.5 * C(q0, q0, q1) + B(q0, H1100) + 0.5 * B(q1, H2000) - b * H1100
                    - a * H0200 - 0.5 * H3000))
    h21 = (0.5 * C(q0, q0, H0001) + 0.5 * jet.B1(q0, q0, K01) + B(q0, H1001)
           + 0.5 * B(H0001, H2000) + 0.5 * A1(H2000, K01) - a * H0101)
    a1 = float(p1 @ h21)
    H2001 = ainv(-2 * (h21 - a1 * q1))
    b1 = float(p1 @ (C(q0, q1, H0001) + jet.B1(q0, q1, K01) + B(q1, H1001)
                     + B(H0001, H1100) + B(q0, H0101) + A1(H1100, K01) - b * H0101
                     - H1100 - H2001))
    tau2 = ((100 * b1 / 49 - 4 * e / b) / a
            + (288 * b ** 2 / 2401 - 50 * b * a1 / 49 + 146 * d / 49) / a ** 2)
    return BTUnfolding(free, K10, K01, K02, K11, K03, H0010, H0001, H2000, H1001, H0002,
                       d, e, a1, b1, float(tau2))


def _leading(eig: np.ndarray) -> tuple[float, float]:
    re = eig.real
    return (float(max(re[re < 0], default=0.0)), float(min(re[re > 0], default=0.0)))


def predict(model: ThetaModel, state: Sequence[float], params: Mapping[str, float],
            free: Sequence[str], eps: float, *, order: int = 2,
            steps: int = 8) -> HomoclinicPrediction:
    """The homoclinic orbit of amplitude ``eps`` near the BT point ``(state, params)``.

    ``order=2`` (default): parameters and orbit from the second-order predictor, the
    saddle by Newton at those parameters. ``order=1``: the parameters and saddle from
    Newton on the eigenvalue conditions (see the module), continued in ``eps`` from
    ``eps / steps`` (where the leading-order guess is good) up to ``eps``.

    Raises
    ------
    InputError
        Not a BT point (see :func:`bt_normal_form`), a degenerate unfolding (see
        :func:`bt_unfolding`), ``order`` not 1 or 2, or Newton failed.
    """
    if order not in (1, 2):
        raise InputError(f"order must be 1 or 2, got {order!r}")
    if order == 1:
        return _predict_first(model, state, params, free, eps, steps=steps)
    nf = bt_normal_form(model, state, params)
    un = bt_unfolding(model, state, params, free, nf)
    num = model.numeric
    names = model.parameter_names
    full = dict(model.validate_params(params))
    for f, dv in zip(free, un.shift(nf, eps), strict=True):
        full[f] = float(full[f] + dv)
    x0 = np.asarray(state, dtype=float)
    pred = HomoclinicPrediction(eps, full, x0, 0.0, 0.0, nf, 2, un, x0)
    u = pred._second_order(np.array([np.inf]))[0]
    pv = num.parameter_vector(full)
    for _ in range(30):
        step = np.linalg.solve(num.jacobian(u, pv), -num.rhs(u, pv))
        u = u + step
        if np.max(np.abs(step)) < 1e-14 * max(1.0, float(np.max(np.abs(u)))):
            break
    if not np.max(np.abs(num.rhs(u, pv))) < 1e-10:
        raise InputError(f"Newton found no saddle at the predicted parameters for eps = "
                         f"{eps:.3g}: try a smaller eps")
    lam_s, lam_u = _leading(np.linalg.eigvals(num.jacobian(u, pv)))
    if not lam_s < 0 < lam_u:
        raise InputError(f"the equilibrium at the predicted parameters (eps = {eps:.3g}) "
                         "is no saddle: try a smaller eps")
    out = {n: float(full[n]) for n in names}
    return HomoclinicPrediction(eps, out, u, lam_s, lam_u, nf, 2, un, x0)


def _predict_first(model: ThetaModel, state: Sequence[float], params: Mapping[str, float],
                   free: Sequence[str], eps: float, *, steps: int = 8) -> HomoclinicPrediction:
    """The first-order prediction (see :func:`predict`)."""
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
