"""The symbolic model family: names, validation, right-hand side and Jacobians."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import pulse_average, rv_rhs, z_to_w
from scipy.integrate import solve_ivp

from thetabif import ThetaModel
from thetabif.equilibrium import delta_pulse_rates, find_equilibria
from thetabif.models import pulse_coefficients

VARIANTS = [
    ThetaModel(),
    ThetaModel(n=1),
    ThetaModel(n=2),
    ThetaModel(n=5),
    ThetaModel(synapse="first-order"),
    ThetaModel(coupling="conductance"),
    ThetaModel(n=2, synapse="first-order"),
    ThetaModel(n=3, synapse="first-order", coupling="conductance"),
]


def test_names_and_defaults():
    m = ThetaModel()
    assert m.name == "theta" and m.state_names == ("x", "y")
    assert m.defaults == {"eta": -5.0, "J": 15.0, "Delta": 1.0, "tau": 1.0, "I_ext": 0.0}
    m2 = ThetaModel(n=2, synapse="first-order", coupling="conductance")
    assert m2.name == "theta_n2_cond_syn"
    assert m2.state_names == ("x", "y", "s")
    assert m2.parameter_names[-2:] == ("tau_s", "v_s")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_pulse_coefficients_match_quadrature(n):
    """H_n from the exact coefficients equals the average of P_n over the OA density."""
    a_n, A = pulse_coefficients(n)
    for z in (0.3 - 0.4j, -0.7 + 0.1j, 0.05j):
        h = float(a_n) * (float(A[0]) + sum(float(A[q]) * 2 * (z**q).real
                                            for q in range(1, n + 1)))
        # both sides are rounding-level accurate; 1e-12 leaves room for 4096-term sums
        assert h / np.pi == pytest.approx(pulse_average(n, z, 1.0), abs=1e-12)


def test_pulse_tends_to_rate():
    """As n grows, H_n/(pi tau) -> r (design.md): the error shrinks monotonically."""
    z = -0.2 + 0.3j
    r = pulse_average(None, z, 1.0)
    # the error falls like 1/n for large n (0.025, 0.014, 0.0045, 0.0012 at n=4..256)
    errors = [abs(pulse_average(n, z, 1.0) - r) for n in (4, 16, 64, 256)]
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] < 0.01 * r


@pytest.mark.parametrize("model", VARIANTS, ids=lambda m: m.name)
def test_z_form_matches_rv_form(model):
    """The z form and the independently written (r, v) form give the same trajectory."""
    params = model.validate_params(eta=-1.3, J=4.0, Delta=0.7, tau=1.3, I_ext=0.4)
    if "tau_s" in params:
        params["tau_s"] = 0.6
    if "v_s" in params:
        params["v_s"] = -3.0
    z0 = 0.2 - 0.5j
    num = model.numeric
    p = num.parameter_vector(params)
    u0 = [z0.real, z0.imag] + ([0.8] if model.synapse == "first-order" else [])
    t_eval = np.linspace(0, 6, 61)
    tol = dict(rtol=1e-12, atol=1e-13, method="DOP853")
    sol_z = solve_ivp(lambda t, u: num.rhs(u, p), (0, 6), u0, t_eval=t_eval, **tol)
    f_rv, z_of = rv_rhs(model, params)
    w0 = z_to_w(z0)
    sol_w = solve_ivp(f_rv, (0, 6), [w0.real, w0.imag] + u0[2:], t_eval=t_eval, **tol)
    z_rv = z_of(sol_w.y[0], sol_w.y[1])
    # both solutions carry ~1e-11 global error; the map W -> z is well conditioned here
    assert np.max(np.abs(sol_z.y[0] + 1j * sol_z.y[1] - z_rv)) < 1e-8
    if model.synapse == "first-order":
        assert np.max(np.abs(sol_z.y[2] - sol_w.y[2])) < 1e-8


@pytest.mark.parametrize("model", VARIANTS, ids=lambda m: m.name)
def test_jacobians_match_finite_differences(model):
    num = model.numeric
    rng = np.random.default_rng(1)
    params = model.validate_params()
    p = num.parameter_vector(params)
    for _ in range(3):
        u = np.array([*(rng.uniform(-0.6, 0.6, 2)), *rng.uniform(-2, 2, len(u0x(model)))])
        J = num.jacobian(u, p)
        h = 1e-6
        fd = np.column_stack([(num.rhs(u + h * e, p) - num.rhs(u - h * e, p)) / (2 * h)
                              for e in np.eye(len(u))])
        # central differences: error O(h^2 f''') ~ 1e-10 relative; 1e-6 is generous
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-6)
        Jp = num.parameter_jacobian(u, p)
        fdp = np.column_stack([(num.rhs(u, p + h * e) - num.rhs(u, p - h * e)) / (2 * h)
                               for e in np.eye(len(p))])
        np.testing.assert_allclose(Jp, fdp, rtol=1e-6, atol=1e-6)


def u0x(model):
    return [0.0] if model.synapse == "first-order" else []


@pytest.mark.parametrize("eta,J,Delta,tau", [(-5, 15, 1, 1), (-8, 15, 1, 1), (-4, 20, 0.5, 2),
                                             (2, -5, 1, 1)])
def test_equilibria_against_closed_form(eta, J, Delta, tau):
    """Newton on the z form reproduces the closed-form equilibria of the (r, v) form.

    At an equilibrium: v = -Delta/(2 pi tau r) and
    eta = (pi tau r)^2 - J r - (Delta / (2 pi tau r))^2.
    """
    model = ThetaModel()
    eqs = find_equilibria(model, dict(eta=eta, J=J, Delta=Delta, tau=tau))
    expected = delta_pulse_rates(dict(eta=eta, J=J, Delta=Delta, tau=tau))
    assert len(eqs) == len(expected)
    num = model.numeric
    p = num.parameter_vector(model.validate_params(eta=eta, J=J, Delta=Delta, tau=tau))
    for e in eqs:
        r = e.r
        v = float(num.output("v", e.state, p))
        pt = math.pi * tau
        assert v == pytest.approx(-Delta / (2 * pt * r), rel=1e-10)
        assert (pt * r) ** 2 - J * r - (Delta / (2 * pt * r)) ** 2 == pytest.approx(eta, abs=1e-9)
    np.testing.assert_allclose([e.r for e in eqs], expected, rtol=1e-10)


def test_bistability_count_and_stability():
    """At the tutorial's J = 15 there are three equilibria: stable, unstable, stable."""
    eqs = find_equilibria(ThetaModel(), dict(eta=-5.0))
    assert [e.stable for e in eqs] == [True, False, True]
    assert len(find_equilibria(ThetaModel(), dict(eta=5.0))) == 1


@pytest.mark.parametrize("kwargs,needle", [
    (dict(n=0), "'n' must be a positive integer"),
    (dict(n=-2), "got -2"),
    (dict(n=2.5), "got 2.5"),
    (dict(n=True), "got True"),
    (dict(synapse="second"), "'synapse' must be one of instant, first-order"),
    (dict(coupling="gap"), "'coupling' must be one of current, conductance"),
])
def test_invalid_model_options(kwargs, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        ThetaModel(**kwargs)


def test_numpy_integer_pulse_sharpness_is_an_int():
    model = ThetaModel(n=np.int64(2))
    assert model == ThetaModel(n=2) and type(model.n) is int and model.name == "theta_n2"
    with pytest.raises(ValueError, match=r"positive integer .* got np.float64\(2.0\)"):
        ThetaModel(n=np.float64(2.0))


@pytest.mark.parametrize("model,params,needle", [
    (ThetaModel(), dict(Delta=0.0), "'Delta' must be > 0"),
    (ThetaModel(), dict(Delta=-1.0), "got -1.0"),
    (ThetaModel(), dict(tau=0), "'tau' must be > 0"),
    (ThetaModel(synapse="first-order"), dict(tau_s=-0.1), "'tau_s' must be > 0"),
    (ThetaModel(), dict(eta=float("nan")), "'eta' must be finite, got nan"),
    (ThetaModel(), dict(J=float("inf")), "'J' must be finite, got inf"),
    (ThetaModel(), dict(J="abc"), "'J' must be a real number, got 'abc'"),
    (ThetaModel(), dict(tau_s=1.0), "unknown parameter.*'tau_s'.*allowed: eta, J"),
    (ThetaModel(), dict(v_s=1.0), "unknown parameter.*'v_s'"),
    (ThetaModel(), dict(Jx=1.0), "unknown parameter"),
])
def test_invalid_parameters(model, params, needle):
    with pytest.raises(ValueError, match=needle):
        model.validate_params(params)
