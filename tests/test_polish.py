"""Newton polishing of special points against closed forms and independent checks."""

from __future__ import annotations

import numpy as np
import pytest

from thetabif import ThetaModel, find_equilibria
from thetabif.equilibrium import rate_to_state
from thetabif.polish import PolishError, polish

PI = np.pi


def eta_of_rate(r, J, Delta=1.0):
    """Equilibrium curve of the delta-pulse model (tau = 1): eta(r)."""
    return PI**2 * r**2 - J * r - Delta**2 / (4 * PI**2 * r**2)


def fold_rates(J, Delta=1.0):
    """Folds: d eta / dr = 0  <=>  4 pi^4 r^4 - 2 pi^2 J r^3 + Delta^2 = 0."""
    roots = np.roots([4 * PI**4, -2 * PI**2 * J, 0, 0, Delta**2])
    return sorted(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0)


def cusp(Delta=1.0):
    """Cusp: also d2 eta / dr2 = 0  <=>  r^4 = 3 Delta^2 / (4 pi^4)."""
    r = (3 / 4) ** 0.25 * np.sqrt(Delta) / PI
    J = 2 * PI**2 * r + Delta**2 / (2 * PI**2 * r**3)
    return r, J, eta_of_rate(r, J, Delta)


@pytest.mark.parametrize("J", [15.0, 9.0])
def test_folds_match_closed_form(J):
    model = ThetaModel()
    for r in fold_rates(J):
        guess = rate_to_state(1.05 * r, {"tau": 1.0, "Delta": 1.0})
        pt = polish(model, "LP", ["eta"], guess, {"eta": eta_of_rate(r, J) + 0.05, "J": J})
        # Newton converges quadratically; 1e-9 is the bar, rounding is ~1e-14
        assert pt.params["eta"] == pytest.approx(eta_of_rate(r, J), abs=1e-9)
        assert min(abs(pt.eigenvalues)) < 1e-9


def test_cusp_matches_closed_form():
    r, J, eta = cusp()
    guess = rate_to_state(1.03 * r, {"tau": 1.0, "Delta": 1.0})
    pt = polish(ThetaModel(), "CP", ["eta", "J"], guess, {"eta": eta + 0.1, "J": J + 0.2})
    assert pt.params["eta"] == pytest.approx(eta, abs=1e-9)
    assert pt.params["J"] == pytest.approx(J, abs=1e-9)


def test_hopf_point_n2():
    """A Hopf point of the n = 2 model at J = -40: purely imaginary pair, checked by numpy."""
    model = ThetaModel(n=2)
    eqs = find_equilibria(model, {"eta": 18.3, "J": -40.0})
    focus = max(eqs, key=lambda e: e.r)
    pt = polish(model, "HB", ["eta"], focus.state, {"eta": 18.3, "J": -40.0})
    num = model.numeric
    p = num.parameter_vector(pt.params)
    assert np.max(np.abs(num.rhs(pt.state, p))) < 1e-12
    eig = np.linalg.eigvals(num.jacobian(pt.state, p))
    assert np.max(np.abs(eig.real)) < 1e-10 and np.min(np.abs(eig.imag)) > 1.0
    assert pt.frequency == pytest.approx(np.max(eig.imag), rel=1e-12)
    # equilibria on either side: unstable focus before the Hopf point, stable after
    below = max(find_equilibria(model, {"eta": pt.params["eta"] - 0.01, "J": -40.0}),
                key=lambda e: e.r)
    above = max(find_equilibria(model, {"eta": pt.params["eta"] + 0.01, "J": -40.0}),
                key=lambda e: e.r)
    assert not below.stable and above.stable
    assert pt.l1 is not None and pt.l1 < 0  # supercritical: see test_hopf_cycle_is_stable


def test_bad_requests():
    model = ThetaModel()
    with pytest.raises(ValueError, match="kind must be one of LP, HB"):
        polish(model, "XX", ["eta"], [0, 0], {})
    with pytest.raises(ValueError, match="CP needs 2 free parameter"):
        polish(model, "CP", ["eta"], [0, 0], {})
    with pytest.raises(ValueError, match="unknown parameter"):
        polish(model, "LP", ["eta"], [0, 0], {"foo": 1})
    with pytest.raises(PolishError):
        # no Hopf point exists in the delta-pulse model: Newton cannot converge
        polish(model, "HB", ["eta"], [-0.5, -0.3], {"eta": -5.0}, max_iter=8)


def test_unsolved_or_out_of_domain_is_an_error():
    model = ThetaModel()
    r = fold_rates(15.0)[0]
    guess = rate_to_state(1.3 * r, {"tau": 1.0, "Delta": 1.0})
    # a huge step tolerance stops Newton after one step, far from solved
    with pytest.raises(PolishError, match="holds only to"):
        polish(model, "LP", ["eta"], guess, {"eta": eta_of_rate(r, 15.0) + 0.5, "J": 15.0},
               tol=1e3)
    # AUTO's "GH" at the BT end of a Hopf curve in (eta, tau_s) (l1 has its pole
    # there): Newton on the GH system steps to tau_s < 0
    syn = ThetaModel(n=2, synapse="first-order")
    with pytest.raises(PolishError, match="domain.*tau_s"):
        polish(syn, "GH", ("eta", "tau_s"),
               [-0.030288601939, -0.54474055894, -11.991070951],
               {"eta": 11.537791158, "J": -40.0, "tau_s": 0.9343340239})
