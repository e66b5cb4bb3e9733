"""Shared test helpers: an independent (r, v) form of every model variant."""

from __future__ import annotations

from math import factorial

import numpy as np
import pytest


def pulse_average(n: int | None, z: complex, tau: float) -> float:
    """Presynaptic activity p(z) by quadrature over the Ott-Antonsen density.

    The Poisson kernel rho(theta) = (1 - |z|^2) / (2 pi |e^{i theta} - z|^2) is the
    phase density with first moment z. The trapezoidal rule on 4096 points is
    exact to rounding for this periodic analytic integrand at |z| <= 0.99.
    """
    if n is None:
        return (1 - abs(z) ** 2) / (np.pi * tau * abs(1 + z) ** 2)
    th = np.linspace(-np.pi, np.pi, 4096, endpoint=False)
    rho = (1 - abs(z) ** 2) / (2 * np.pi * np.abs(np.exp(1j * th) - z) ** 2)
    a_n = 2**n * factorial(n) ** 2 / factorial(2 * n)
    h = np.mean(a_n * (1 - np.cos(th)) ** n * rho) * 2 * np.pi
    return h / (np.pi * tau)


def rv_rhs(model, params: dict):
    """Right-hand side in (a, v[, s]) with a = pi tau r, written from design.md.

    tau dW/dt = Delta + i (E - W^2) - L W with W = a + i v, E = eta + I_ext + S,
    S = s (current) or s v_s (conductance), L = s for conductance coupling else 0.
    """
    tau, Delta = params["tau"], params["Delta"]

    def z_of(a, v):
        w = a + 1j * v
        return np.conj((1 - w) / (1 + w))

    def f(t, u):
        a, v = u[0], u[1]
        p = pulse_average(model.n, z_of(a, v), tau)
        s = u[2] if model.synapse == "first-order" else params["J"] * p
        if model.coupling == "conductance":
            E, L = params["eta"] + params["I_ext"] + s * params["v_s"], s
        else:
            E, L = params["eta"] + params["I_ext"] + s, 0.0
        out = [(Delta + 2 * a * v - L * a) / tau, (E - a * a + v * v - L * v) / tau]
        if model.synapse == "first-order":
            out.append((-s + params["J"] * p) / params["tau_s"])
        return out

    return f, z_of


def z_to_w(z: complex) -> complex:
    zc = np.conj(z)
    return (1 - zc) / (1 + zc)


@pytest.fixture
def tutorial_input():
    """The tutorial's input array: T = 100, step 5e-4, I_ext = 3 on [20, 80)."""
    T, step_size, start, stop = 100.0, 5e-4, 20.0, 80.0
    steps = int(np.round(T / step_size))
    I_ext = np.zeros((steps,))
    I_ext[int(start / step_size):int(stop / step_size)] = 3.0
    return T, step_size, I_ext


__all__ = ["pulse_average", "rv_rhs", "z_to_w"]


def periodic_orbit_by_shooting(f, jac, u0, period, *, rtol=1e-11):
    """Periodic orbit of ``u' = f(u)`` by Newton shooting, for independent Floquet checks.

    Unknowns ``(u, T)``: ``u(T) = u(0)`` with the phase condition ``f(u0) . (u - u0) = 0``;
    the flow and the monodromy matrix come from the variational equations (DOP853 at
    ``rtol``). Returns the orbit's start ``u``, its period ``T`` and the Floquet
    multipliers (eigenvalues of the monodromy matrix).
    """
    from scipy.integrate import solve_ivp

    n = len(u0)

    def flow(u, T):
        def g(t, w):
            m = w[n:].reshape(n, n)
            return np.concatenate([f(w[:n]), (jac(w[:n]) @ m).ravel()])

        sol = solve_ivp(g, (0.0, T), np.concatenate([u, np.eye(n).ravel()]),
                        method="DOP853", rtol=rtol, atol=rtol * 0.1)
        assert sol.success
        return sol.y[:n, -1], sol.y[n:, -1].reshape(n, n)

    u, T = np.array(u0, dtype=float), float(period)
    f0 = f(u)
    for _ in range(12):
        uT, m = flow(u, T)
        res = np.concatenate([uT - u, [f0 @ (u - u0)]])
        a = np.zeros((n + 1, n + 1))
        a[:n, :n] = m - np.eye(n)
        a[:n, n] = f(uT)
        a[n, :n] = f0
        step = np.linalg.solve(a, -res)
        u, T = u + step[:n], T + step[n]
        if np.max(np.abs(step)) < 1e-12:
            break
    else:  # pragma: no cover
        raise AssertionError("shooting did not converge")
    uT, m = flow(u, T)
    assert np.max(np.abs(uT - u)) < 1e-9
    return u, T, np.linalg.eigvals(m)
