"""The second Lyapunov coefficient l2 at Bautin (GH) points, checked independently.

The formula (:func:`thetabif.polish.bautin_coefficients`, Kuznetsov 1999) is checked
against a measurement that does not use it: the Poincare return map of the flow.

Normal form on the centre manifold at a GH point (l1 = 0), ``x ~ x0 + 2 Re(w q)``,
``|q| = 1``, ``<p, q> = 1``, ``rho = |w|``:

    rho' = omega (l1 rho^3 + l2 rho^5) + O(rho^7),     theta' = omega + O(rho^2),

so one turn (time 2 pi / omega + O(rho^2)) moves the amplitude by
``2 pi l2 rho^5 (1 + O(rho^2))``. On the section ``Im <p, x - x0> = 0``,
``Re <p, x - x0> > 0`` the coordinate ``u = Re <p, x - x0>`` is a smooth function of
the normal-form amplitude, ``u = rho (1 + O(rho))`` (the centre manifold's quadratic
terms and the near-identity normal-form transformation), hence

    (u_{k+1} - u_k) / (2 pi u_mid^5) = l2 + c1 u + c2 u^2 + ...

with ``u_mid`` the mean of two consecutive crossings. The measured quotients at a few
``u`` are extrapolated to ``u = 0`` by a quadratic fit. l1 at a Newton-polished GH
point is ~1e-13, so its ``2 pi l1 rho^3`` share (~1e-13 / rho^2 relative to l2) does
not show. Integration: DOP853, rtol 1e-13, atol 1e-15; the crossings are located on
its dense output (7th order). The smallest displacement used (~1e-10 at rho = 0.01)
is ~1e4 times the accumulated integration error over one turn (~1e-14): the quotients
are good to ~1e-4 relative, and the fit's extrapolation error is set by the curvature
in u (see the tolerances at each test).
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from thetabif import ThetaModel, find_equilibria
from thetabif.continuation import Continuation, ContinuationResult, bautin_kind
from thetabif.polish import (
    bautin_coefficients,
    first_lyapunov_coefficient,
    polish,
    second_lyapunov_coefficient,
)

RHOS = (0.01, 0.015, 0.02, 0.03, 0.04)


def _centre_basis(A):
    """omega, q (|q| = 1) and p (<p, q> = 1) by numpy, independently of thetabif."""
    eig, vecs = np.linalg.eig(A)
    k = int(np.argmax(eig.imag))
    q = vecs[:, k] / np.linalg.norm(vecs[:, k])
    eig_t, vecs_t = np.linalg.eig(A.T)
    p = vecs_t[:, int(np.argmin(np.abs(eig_t + 1j * eig[k].imag)))]
    return float(eig[k].imag), q, p / np.conj(np.vdot(p, q))


def return_map_l2(f, x0, A, rhos=RHOS, turns=4, skip=1):
    """l2 measured from the amplitude change per turn of the flow of ``f``.

    Each trajectory starts at ``x0 + 2 Re(rho q)``; the first ``skip`` crossings are
    dropped (off the centre manifold, the stable directions decay first). Returns the
    extrapolated l2 and the (u_mid, quotient) samples.
    """
    omega, q, p = _centre_basis(A)

    def section(t, x):
        return np.vdot(p, x - x0).imag

    section.direction = 1.0
    period = 2 * np.pi / omega
    samples = []
    for rho in rhos:
        sol = solve_ivp(lambda t, x: f(x), (0.0, (turns + skip + 0.5) * period),
                        x0 + 2 * np.real(rho * q), method="DOP853", rtol=1e-13, atol=1e-15,
                        events=section)
        u = np.array([np.vdot(p, y - x0).real for y in sol.y_events[0]])
        u = u[u > 0][skip:]
        assert len(u) >= 2, "too few section crossings"
        mid = 0.5 * (u[1:] + u[:-1])
        samples += list(zip(mid, np.diff(u) / (2 * np.pi * mid**5), strict=True))
    samples = np.array(samples)
    fit = np.polyfit(samples[:, 0], samples[:, 1], 2)
    return float(fit[-1]), samples


def _gh_point(model, free, eta, J, **params):
    """Newton-polished GH point from an approximate (eta, J) location."""
    pars = {"eta": eta, "J": J, **params}
    full = model.validate_params(pars)
    pvec = model.numeric.parameter_vector(full)

    def distance(e):  # how far the equilibrium is from having a pure imaginary pair
        ev = np.linalg.eigvals(model.numeric.jacobian(e.state, pvec))
        pair = ev[np.abs(ev.imag) > 0]
        return np.min(np.abs(pair.real)) if len(pair) else np.inf

    focus = min(find_equilibria(model, pars), key=distance)
    pp = polish(model, "GH", free, focus.state, pars)
    assert pp.residual < 1e-9
    return pp


def _flow(model, pp):
    p = model.numeric.parameter_vector(pp.params)
    return (lambda x: model.numeric.rhs(x, p)), model.numeric.jacobian(pp.state, p)


# ------------------------------------------------------------------ real models
def test_l2_n2_model_matches_return_map():
    """n = 2 model, Delta = 0.5: the GH point near (eta, J) = (8.72428, -24.70286).

    Measured (rhos 0.01..0.04, 4 turns): the quotients run from -0.147856 (u = 0.01) to
    -0.146814 (u = 0.04); the fit extrapolates to -0.1482879 against l2 = -0.1482862
    (1.1e-5 relative).
    Tolerance 1e-3 relative: 100x that, far below anything a wrong coefficient in the
    formula would give.
    """
    model = ThetaModel(n=2)
    pp = _gh_point(model, ("eta", "J"), 8.72428, -24.70286, Delta=0.5)
    assert pp.params["eta"] == pytest.approx(8.72428, abs=1e-4)
    assert pp.params["J"] == pytest.approx(-24.70286, abs=1e-4)
    l2 = second_lyapunov_coefficient(model, pp.state, pp.params)
    assert pp.l2 == l2
    f, A = _flow(model, pp)
    measured, samples = return_map_l2(f, pp.state, A)
    assert np.all(np.sign(samples[:, 1]) == np.sign(l2))
    assert l2 < 0
    assert measured == pytest.approx(l2, rel=1e-3)


@pytest.mark.parametrize("eta, J", [(1.3184, -11.751), (1.4706, -11.112)])
def test_l2_synapse_model_matches_return_map(eta, J):
    """n = 2, first-order synapse (3 states), Delta = 0.2, tau_s = 0.2: both GH points.

    Start in the centre eigenplane: the fast direction (eigenvalue ~ -6.5, decay
    e^-37 per turn) is gone after the first crossing, which is dropped. Measured
    (rhos 0.005..0.03): quotients -0.7955 .. -0.8423, extrapolated -0.78767 against
    l2 = -0.78733 (4e-4 relative; the quotients bend more in u here), and -0.2642 ..
    -0.2598, extrapolated -0.265822 against -0.265769 (2e-4). Tolerance 5e-3 relative.
    """
    model = ThetaModel(n=2, synapse="first-order")
    pp = _gh_point(model, ("eta", "J"), eta, J, Delta=0.2, tau_s=0.2)
    assert pp.params["eta"] == pytest.approx(eta, abs=1e-3)
    assert pp.params["J"] == pytest.approx(J, abs=1e-3)
    f, A = _flow(model, pp)
    measured, _ = return_map_l2(f, pp.state, A, rhos=(0.005, 0.01, 0.015, 0.02, 0.03), turns=3)
    assert measured == pytest.approx(pp.l2, rel=5e-3)
    # both are of the kind whose fold of cycles lies on the subcritical side
    assert pp.l2 < 0


def test_synapse_model_l1_pattern_matches_l2_signs():
    """Along the synapse model's Hopf curve l1 goes - + - through the two GH points.

    With l2 < 0 at both, each GH point sends its fold of cycles into the l1 > 0 stretch
    between them (one fold-of-cycles curve can join them); the signs of l2 need not
    differ. Checked: l1 of Hopf points polished at J between and outside the two.
    """
    model = ThetaModel(n=2, synapse="first-order")
    ghs = [_gh_point(model, ("eta", "J"), e, j, Delta=0.2, tau_s=0.2)
           for e, j in [(1.3184, -11.751), (1.4706, -11.112)]]
    signs = []
    for J in (-11.9, -11.43, -10.95):
        # linear guess along the segment between the two GH points (extended)
        a, b = ghs
        t = (J - a.params["J"]) / (b.params["J"] - a.params["J"])
        guess = a.state + t * (b.state - a.state)
        eta = a.params["eta"] + t * (b.params["eta"] - a.params["eta"])
        hb = polish(model, "HB", ["eta"], guess, {"eta": eta, "J": J, "Delta": 0.2,
                                                    "tau_s": 0.2})
        signs.append(np.sign(hb.l1))
    assert signs == [-1, 1, -1]
    assert all(g.l2 < 0 for g in ghs)


# ------------------------------------------------------ a polynomial test system
def _symmetric(rng, n, order, scale):
    """A random tensor T[k, i1..i_order], symmetric in the i's."""
    raw = rng.normal(scale=scale, size=(n,) * (order + 1))
    perms = list(itertools.permutations(range(1, order + 1)))
    return sum(np.transpose(raw, (0, *pm)) for pm in perms) / len(perms)


def _form(T):
    m = T.ndim - 1
    spec = "z" + "abcde"[:m] + "," + ",".join("abcde"[:m]) + "->z"
    return lambda *v: np.einsum(spec, T, *v)


@pytest.mark.parametrize("seed, rhos, rel", [
    (3, (0.01, 0.015, 0.02, 0.03, 0.04), 1e-3),
    (7, (0.004, 0.006, 0.008, 0.01, 0.015), 5e-3),
])
def test_bautin_coefficients_on_a_polynomial_system(seed, rhos, rel):
    """All terms of G32, including the 4th and 5th derivatives (zero in the polynomial
    thetabif models above), on f(x) = A x + B(x,x)/2 + ... + E(x,x,x,x,x)/120 in R^3.

    Random symmetric tensors (seeded), a non-normal A with eigenvalues +-i omega and
    -4 (the start, off the centre manifold by O(rho^2), decays by e^-15 per turn; three
    crossings are dropped). The cubic term is tuned so that l1 = 0: Re G21 is affine in
    the coefficient c of an added symmetric cubic tensor. Measured: seed 3, l2 = 0.290802
    vs 0.290804 from the return map; seed 7, l2 = -0.15570 vs -0.15606 (its quotients
    bend more in u, so smaller amplitudes and a looser tolerance). A dropped or
    mis-weighted term of the formula changes l2 by O(1) here (e.g. omitting the 5th
    derivative moves seed 3's l2 from 0.2908 to 0.4101, the 4th to 0.3400).
    """
    rng = np.random.default_rng(seed)
    n, omega = 3, 1.7
    S = np.eye(n) + rng.normal(scale=0.3, size=(n, n))
    J0 = np.array([[0.0, -omega, 0.0], [omega, 0.0, 0.0], [0.0, 0.0, -4.0]])
    A = S @ J0 @ np.linalg.inv(S)
    B, C0, D, E = (_symmetric(rng, n, k, s) for k, s in ((2, 0.6), (3, 0.8), (4, 1.5), (5, 3.0)))
    Cadd = _symmetric(rng, n, 3, 1.0)

    def re_g21(c):
        forms = [_form(T) for T in (B, C0 + c * Cadd, D, E)]
        return bautin_coefficients(A, *forms)[1].real

    a0, a1 = re_g21(0.0), re_g21(1.0)
    C = C0 - a0 / (a1 - a0) * Cadd
    w, G21, G32 = bautin_coefficients(A, *(_form(T) for T in (B, C, D, E)))
    assert w == pytest.approx(omega, rel=1e-12)
    assert abs(G21.real) < 1e-12
    l2 = G32.real / (12 * omega)
    no_e = bautin_coefficients(A, *(_form(T) for T in (B, C, D, 0 * E)))[2].real / (12 * omega)
    assert abs(no_e - l2) > 20 * rel * abs(l2)  # the 5th derivative matters here

    def f(x):
        return (A @ x + np.einsum("kij,i,j->k", B, x, x) / 2
                + np.einsum("kijl,i,j,l->k", C, x, x, x) / 6
                + np.einsum("kijlm,i,j,l,m->k", D, x, x, x, x) / 24
                + np.einsum("kijlmo,i,j,l,m,o->k", E, x, x, x, x, x) / 120)

    measured, _ = return_map_l2(f, np.zeros(n), A, rhos=rhos, turns=3, skip=3)
    assert measured == pytest.approx(l2, rel=rel)


def test_l1_of_bautin_coefficients_is_the_shipped_l1():
    """Re G21 / (2 omega) is :func:`first_lyapunov_coefficient` (same normalisation)."""
    from thetabif.polish import _forms, _higher_derivative_tensors, derivative_tensors

    model = ThetaModel(n=2, synapse="first-order")
    pars = model.validate_params({"eta": 1.4, "J": -11.4, "Delta": 0.2, "tau_s": 0.2})
    pp = polish(model, "HB", ["eta"], find_equilibria(model, pars)[-1].state, pars)
    p = model.numeric.parameter_vector(pp.params)
    A = model.numeric.jacobian(pp.state, p)
    (Bf, Cf), (Df, Ef) = derivative_tensors(model), _higher_derivative_tensors(model)
    forms = _forms([T(*pp.state, *p) for T in (Bf, Cf, Df, Ef)])
    w, G21, _ = bautin_coefficients(A, *forms)
    assert G21.real / (2 * w) == pytest.approx(
        first_lyapunov_coefficient(model, pp.state, pp.params), rel=1e-10)


def test_bautin_kind_wording():
    assert "l1 > 0" in bautin_kind(-0.1)
    assert "l1 < 0" in bautin_kind(0.1)
    assert "degenerate" in bautin_kind(0.0)


# ------------------------------------------------- continuation records and I/O
@pytest.fixture(scope="module")
def syn_hopf():
    model = ThetaModel(n=2, synapse="first-order")
    cont = Continuation(model, {"Delta": 0.2, "tau_s": 0.2, "J": -11.5, "eta": 0.0})
    eq = cont.equilibria("eta", -20.0, 100.0)
    return cont.curve(eq.special("HB")[0], ("eta", "J"), {"eta": (-50.0, 200.0),
                                                         "J": (-200.0, 50.0)})


def test_gh_points_of_a_curve_carry_l2(syn_hopf, tmp_path):
    """Both GH points (one AUTO-labelled, one from the l1 scan) carry l2 and its kind;
    l2 survives the JSON document, netCDF and the special-point table."""
    model = ThetaModel(n=2, synapse="first-order")
    ghs = sorted(syn_hopf.special("GH"), key=lambda s: s.params["eta"])
    assert len(ghs) == 2
    for gh in ghs:
        state = [gh.state[k] for k in model.state_names]
        assert gh.l2 == pytest.approx(second_lyapunov_coefficient(model, state, gh.params),
                                      rel=1e-9)
        assert gh.l2 < 0
        assert gh.extra["bautin"] == bautin_kind(gh.l2)
        assert gh.to_dict()["l2"] == gh.l2
    for hb in syn_hopf.special("HB"):
        assert hb.l2 is None and "l2" not in hb.to_dict()
    doc = json.loads(json.dumps(syn_hopf.to_json_dict()))
    back = ContinuationResult.from_json_dict(doc)
    loaded = ContinuationResult.load(syn_hopf.save(tmp_path / "hopf.nc"))
    for res in (back, loaded):
        for a, b in zip(syn_hopf.special_points, res.special_points, strict=True):
            assert b.l2 == a.l2
            assert b.extra.get("bautin") == a.extra.get("bautin")
    table = syn_hopf.special_dataframe()
    gh_rows = table[table["type"] == "GH"]
    assert np.all(gh_rows["l2"].to_numpy() < 0)
    assert all(math.isnan(v) for v in table[table["type"] != "GH"]["l2"])
    ds = syn_hopf.to_xarray()
    assert "special_l2" in ds
