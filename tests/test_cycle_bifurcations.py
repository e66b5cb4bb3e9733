"""A period doubling (PD) on a cycle branch of the theta model family, checked independently.

Found by a scan over the 3-state variants (pulse n in {None, 2, 3}, first-order synapse,
current and conductance coupling; Delta in {0.03, ..., 1}, tau_s in {0.1, ..., 5}, J of
both signs, v_s in {-10, 0, 10}, cycles from every Hopf point in eta): the n = 2 model with
conductance-based coupling, a first-order synapse and small heterogeneity has a supercritical
period doubling of the cycles born at its upper Hopf point, e.g. (used here)

    J = 8, tau_s = 0.3, Delta = 0.1, v_s = -10:  LP1 eta = 3.9449, HB1 eta = 6.6161
    (supercritical, l1 = -0.88); the cycles grow towards smaller eta, stable down to
    PD1 at eta = 5.83079 (period 2.36199), unstable beyond (a multiplier below -1).

(Neighbouring parameter sets with PDs: J in {5, 8}, tau_s in {0.2, 0.3},
Delta in {0.03, 0.05, 0.08, 0.1, 0.15}.) No torus (TR) point was found anywhere: in the
scan no nontrivial pair of complex Floquet multipliers ever appeared.

Independent checks, none of which uses thetabif's generated code or AUTO's multipliers:

* the right-hand side is written here from design.md (complex form; H_2 in closed form)
  with a hand-derived Jacobian;
* at AUTO's PD parameter the orbit is re-solved by Newton shooting (variational equations,
  DOP853, rtol 1e-11) from AUTO's state and period, and its monodromy matrix has an
  eigenvalue at -1; the PD parameter itself is re-located as the root of mu(eta) + 1;
* just past the PD a plain simulation settles on a period-2 orbit whose two loops differ
  by an amount growing like sqrt(eta_PD - eta) (supercritical flip normal form).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import periodic_orbit_by_shooting
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from thetabif import Continuation, ThetaModel
from thetabif.auto import AutoNotFoundError, CompilerNotFoundError, find_auto, find_compiler
from thetabif.continuation.convert import special_point

try:
    find_auto()
    find_compiler()
except (AutoNotFoundError, CompilerNotFoundError) as _exc:  # pragma: no cover
    pytest.skip(f"AUTO-07p/gfortran not available: {_exc}", allow_module_level=True)

MODEL = ThetaModel(n=2, synapse="first-order", coupling="conductance")
PARAMS = {"J": 8.0, "tau_s": 0.3, "Delta": 0.1, "v_s": -10.0}  # eta starts at -5
NAMES = ("x", "y", "s")


# ---------------------------------------------------------------------------
# the model, written independently from design.md (tau = 1, I_ext = 0)
#   dz/dt = [ (z+1)^2 (i (eta + s v_s) - Delta) - i (z-1)^2 - s (z^2 - 1) ] / 2
#   tau_s ds/dt = -s + J H_2(z) / pi,   H_2 = (2/3) <(1 - cos theta)^2>
#                                             = 1 - (4/3) Re z + (1/3) Re z^2


def rhs(u, eta, par=PARAMS):
    x, y, s = u
    z = complex(x, y)
    g = ((z + 1) ** 2 * (1j * (eta + s * par["v_s"]) - par["Delta"])
         - 1j * (z - 1) ** 2 - s * (z * z - 1)) / 2
    h2 = 1 - 4 * x / 3 + (x * x - y * y) / 3
    return np.array([g.real, g.imag, (-s + par["J"] * h2 / math.pi) / par["tau_s"]])


def jacobian(u, eta, par=PARAMS):
    """By hand: dz/dt is holomorphic in z, so its real 2x2 block is [[Re g', -Im g'], ...]."""
    x, y, s = u
    z = complex(x, y)
    gz = (2 * (z + 1) * (1j * (eta + s * par["v_s"]) - par["Delta"])
          - 2j * (z - 1) - 2 * s * z) / 2
    gs = ((z + 1) ** 2 * 1j * par["v_s"] - (z * z - 1)) / 2
    c = par["J"] / (math.pi * par["tau_s"])
    return np.array([[gz.real, -gz.imag, gs.real],
                     [gz.imag, gz.real, gs.imag],
                     [c * (-4 + 2 * x) / 3, -c * 2 * y / 3, -1 / par["tau_s"]]])


def shoot(u0, period, eta, par=PARAMS):
    """Periodic orbit, period and Floquet multipliers by Newton shooting (conftest)."""
    return periodic_orbit_by_shooting(lambda u: rhs(u, eta, par),
                                      lambda u: jacobian(u, eta, par), u0, period)


def flip_multiplier(mu):
    """The nontrivial real multiplier nearest -1."""
    return float(mu[np.argmin(np.abs(mu + 1))].real)


@pytest.fixture(scope="module")
def pd_run():
    cont = Continuation(MODEL, PARAMS)
    eq = cont.equilibria("eta", -10.0, 40.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cyc = cont.cycles(eq.point("HB1"), "eta", 0.0, 40.0)
    return eq, cyc


def test_model_written_here_matches_thetabif():
    """Guard: the hand-written equations are the same model as thetabif's."""
    num = MODEL.numeric
    rng = np.random.default_rng(1)
    for _ in range(5):
        u = np.array([*rng.uniform(-0.6, 0.6, 2), rng.uniform(0, 2)])
        eta = rng.uniform(0, 10)
        p = num.parameter_vector(MODEL.validate_params({**PARAMS, "eta": eta}))
        np.testing.assert_allclose(rhs(u, eta), num.rhs(u, p), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(jacobian(u, eta), num.jacobian(u, p), rtol=1e-13,
                                   atol=1e-13)


def test_period_doubling_is_labelled(pd_run):
    eq, cyc = pd_run
    hb, lp = eq.point("HB1"), eq.point("LP1")
    assert hb.params["eta"] == pytest.approx(6.61607, abs=1e-4) and hb.l1 < 0
    pds = [p for p in cyc.special("PD") if not p.extra.get("near_homoclinic")]
    assert len(pds) == 1
    (pd,) = pds
    assert pd.label == "PD1" and pd.kind == "cycles" and pd.free == ("eta",)
    assert cyc.point("PD1") is pd
    assert lp.params["eta"] < pd.params["eta"] < hb.params["eta"]
    assert pd.params["eta"] == pytest.approx(5.83079, abs=1e-4)
    assert pd.period == pytest.approx(2.36199, abs=1e-4)
    assert {k: pd.params[k] for k in PARAMS} == PARAMS
    assert set(pd.state) == set(NAMES)
    # orbit measures: r and |z| ranges along the orbit, the maxima as r / abs_z
    ex = pd.extra
    assert 0 < ex["r_min"] < ex["r_max"] == pd.r
    assert 0 < ex["abs_z_min"] < ex["abs_z_max"] == pd.abs_z < 1
    # AUTO's multipliers at the point: the trivial one, one at -1, one strongly contracting
    mu = np.array([complex(*m) for m in ex["multipliers"]])
    assert np.min(np.abs(mu - 1)) < 1e-4 and np.min(np.abs(mu + 1)) < 1e-4
    # the JSON record carries it
    d = pd.to_dict()
    assert d["type"] == "PD" and d["label"] == "PD1" and d["period"] == pd.period
    # stability along the branch flips at the PD: stable between HB1 and PD1, unstable
    # beyond (the flip multiplier leaves the unit circle through -1)
    b = cyc.branches[0].data
    eta_pd = pd.params["eta"]
    near = b["period"] < 3.0  # away from the homoclinic end of the branch
    near[0] = False  # the Hopf point itself (two multipliers at +1: flagged unstable)
    assert np.all(b["stable"][near & (b["eta"] > eta_pd + 1e-3)])
    assert not np.any(b["stable"][near & (b["eta"] < eta_pd - 1e-3)])
    stable_orbits = [o for o in cyc.orbits if o["period"] < 3.0 and o["eta"] > eta_pd]
    assert stable_orbits and all(o["stable"] for o in stable_orbits)


def test_floquet_multiplier_at_minus_one(pd_run):
    """Shooting at AUTO's PD parameter; PD re-located as the root of mu(eta) + 1."""
    _, cyc = pd_run
    (pd,) = [p for p in cyc.special("PD") if not p.extra.get("near_homoclinic")]
    eta_pd = pd.params["eta"]
    u0 = np.array([pd.state[k] for k in NAMES])
    u, T, mu = shoot(u0, pd.period, eta_pd)
    # AUTO's orbit (fort.8 keeps 11 digits) is the periodic orbit
    assert T == pytest.approx(pd.period, abs=1e-8)
    np.testing.assert_allclose(u, u0, atol=1e-8)
    trivial, flip, third = (mu[np.argmin(np.abs(mu - 1))], mu[np.argmin(np.abs(mu + 1))],
                            mu[np.argmin(np.abs(mu))])
    assert abs(trivial - 1) < 1e-8  # (accuracy of the integration)
    # the flip multiplier: d mu / d eta ~ -8.9 here, so AUTO's location (to ~1e-7 in eta
    # with EPSS = 1e-5) puts it within ~1e-6 of -1 (seen: -0.9999988)
    assert abs(flip + 1) < 1e-5 and abs(flip.imag) < 1e-12
    # strongly contracting; negative too (product of all = exp(int div f) > 0)
    assert -1e-4 < third.real < 0 and abs(third.imag) < 1e-12

    def g(eta):
        return flip_multiplier(shoot(u, T, eta)[2]) + 1.0

    lo, hi = eta_pd - 1e-3, eta_pd + 1e-3
    assert g(lo) < 0 < g(hi)  # -1 is crossed (transversally): unstable below, stable above
    eta_root = brentq(g, lo, hi, xtol=1e-10)
    assert eta_root == pytest.approx(eta_pd, abs=1e-6)


def _maxima_of_s(eta, u0, t_end=250.0, t_keep=150.0):
    sol = solve_ivp(lambda t, u: rhs(u, eta), (0.0, t_end), u0, method="DOP853",
                    rtol=1e-10, atol=1e-12, dense_output=True)
    assert sol.success
    t = np.linspace(t_keep, t_end, 100_001)
    s = sol.sol(t)[2]
    i = np.flatnonzero((s[1:-1] > s[:-2]) & (s[1:-1] > s[2:])) + 1
    return t[i], s[i]


def test_period_two_orbit_past_the_flip(pd_run):
    """Below eta_PD the simulation settles on a stable orbit of (about) twice the period."""
    _, cyc = pd_run
    (pd,) = [p for p in cyc.special("PD") if not p.extra.get("near_homoclinic")]
    eta_pd = pd.params["eta"]
    u0 = np.array([pd.state[k] for k in NAMES])
    split = {}
    for d in (0.01, 0.03):
        t, s = _maxima_of_s(eta_pd - d, u0)
        a, b = s[-6::2], s[-5::2]  # alternate maxima: the two loops of the orbit
        # converged: each loop repeats itself to 1e-6, the two loops differ by > 1e-2
        assert np.ptp(a) < 1e-6 and np.ptp(b) < 1e-6
        split[d] = abs(a[-1] - b[-1])
        assert split[d] > 1e-2
        # the full period is two loops of unequal length, close to twice the PD period
        gaps = np.diff(t[-5:])
        assert abs(gaps[0] - gaps[1]) > 1e-2
        assert gaps[0] + gaps[1] == pytest.approx(2 * pd.period, rel=0.03)
    # supercritical flip: the loops' separation grows like sqrt(eta_PD - eta)
    assert split[0.03] / split[0.01] == pytest.approx(math.sqrt(3.0), rel=0.1)
    # on the stable side of the PD the same simulation keeps period 1 (equal maxima)
    t, s = _maxima_of_s(eta_pd + 0.01, u0)
    assert np.ptp(s[-6:]) < 1e-6


# ---------------------------------------------------------------------------
# A period doubling that AUTO 0.9.2 steps over with cycles()' default step (DSMAX = 0.5).
#
# AUTO's PD/TR test function (periodic.f90: FNSPBV, type from TPSPBV) is |mu| - 1 of the
# nontrivial multiplier nearest the unit circle, but only while that multiplier is real
# and below -0.5 (PD) or complex (TR); otherwise it is 0. Here (subcritical HB1, a fold
# of cycles right next to it, then the stable cycles) one step of the default run takes
# the flip multiplier from -0.23 to -1.52 (eta 3.9035 -> 3.8817): the test function goes
# from 0 (not armed: -0.23 > -0.5) to +0.52, no sign change, no PD. The multipliers are
# in fort.9 all the same (Point.multipliers), and the stability flag flips there.
# With DSMAX = 0.02 AUTO labels it: PD1 at eta = 3.888418, period 3.01521.

MISSED = {"J": 5.0, "tau_s": 0.1, "Delta": 0.1, "v_s": -10.0}


@pytest.fixture(scope="module")
def missed_run():
    cont = Continuation(MODEL, MISSED)
    eq = cont.equilibria("eta", -10.0, 40.0)
    return cont, eq


def _regular_pds(cyc):
    return [p for p in cyc.special("PD") if not p.extra.get("near_homoclinic")]


def test_pd_located_with_small_steps(missed_run):
    cont, eq = missed_run
    hb = eq.point("HB1")
    assert hb.l1 > 0  # subcritical: the cycles fold (LP) just past the Hopf point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cyc = cont.cycles(hb, "eta", 0.0, 40.0, dsmax=0.02, nmx=2000)
    (pd,) = _regular_pds(cyc)
    assert pd.params["eta"] == pytest.approx(3.88842, abs=1e-4)
    assert pd.period == pytest.approx(3.01521, abs=1e-4)
    eta_pd = pd.params["eta"]
    u0 = np.array([pd.state[k] for k in NAMES])
    u, T, mu = shoot(u0, pd.period, eta_pd, MISSED)
    assert T == pytest.approx(pd.period, abs=1e-8)
    # d mu / d eta ~ -67 here: AUTO's location (~3e-6 off in eta) leaves ~2e-4
    assert flip_multiplier(mu) == pytest.approx(-1.0, abs=1e-3)

    def g(eta):
        return flip_multiplier(shoot(u, T, eta, MISSED)[2]) + 1.0

    assert g(eta_pd - 1e-3) < 0 < g(eta_pd + 1e-3)
    assert brentq(g, eta_pd - 1e-3, eta_pd + 1e-3, xtol=1e-10) == pytest.approx(eta_pd,
                                                                                abs=1e-5)


@pytest.fixture(scope="module")
def default_run(missed_run):
    cont, eq = missed_run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cyc = cont.cycles(eq.point("HB1"), "eta", 0.0, 40.0)
    return cyc


def test_pd_labelled_with_default_steps(default_run):
    """cycles() finds the crossing AUTO stepped over in its multipliers and re-runs it."""
    cyc = default_run
    # the crossing is there in AUTO's own output: consecutive points, stable at the first,
    # unstable at the second, bracket eta_PD
    b = cyc.branches[0].data
    flips = [i for i in range(len(b["eta"]) - 1) if b["stable"][i] and not b["stable"][i + 1]
             and b["eta"][i + 1] < 3.88842 < b["eta"][i]]
    assert len(flips) == 1
    (i,) = flips
    assert "PD" not in (b["type"][i], b["type"][i + 1])  # AUTO's default run labels none
    (pd,) = _regular_pds(cyc)
    assert pd.label == "PD1" and cyc.point("PD1") is pd
    assert round(pd.params["eta"], 4) == 3.8884
    assert pd.extra["detected_by"] == "multiplier crossing (thetabif)"
    assert pd.extra["bracket"] == [pytest.approx(b["eta"][i]), pytest.approx(b["eta"][i + 1])]
    # located by AUTO itself in the rerun (1/20 of the step of 0.048 across the crossing):
    # profile, period and multipliers as at any AUTO point
    assert pd.extra["located_by"].startswith("AUTO, rerun with DSMAX = 0.0024")
    mu = np.array([complex(*m) for m in pd.extra["multipliers"]])
    assert np.min(np.abs(mu - 1)) < 1e-4 and np.min(np.abs(mu + 1)) < 1e-4
    assert 0 < pd.extra["r_min"] < pd.extra["r_max"] == pd.r
    assert pd.period == pytest.approx(3.01521, abs=1e-4)
    assert any(m.startswith("PD at eta = 3.88841") and "stepped over" in m
               for m in cyc.messages)
    # labels stay consistent, sorted in eta: the fold of cycles LP1 at 3.98; AUTO's LP at
    # the homoclinic limit (eta 3.8131350, period > 10) is an artefact and left out
    assert [p.label for p in cyc.special_points] == ["PD1", "LP1"]
    assert cyc.homoclinic["eta"] == pytest.approx(3.8131350, abs=1e-6)


def test_missed_pd_agrees_with_shooting(default_run):
    """The rerun's PD against the root of mu(eta) + 1 by independent shooting.

    dmu/deta = +67 at the crossing; AUTO locates the zero of its test function |mu| - 1
    by secant iteration to roughly EPSS = 1e-5 (its own multiplier there: -0.999996),
    i.e. eta to ~1e-7; fort.8's 11 digits add ~1e-10. Seen: 7e-10 apart.
    """
    (pd,) = _regular_pds(default_run)
    eta_pd = pd.params["eta"]
    u0 = np.array([pd.state[k] for k in NAMES])
    u, T, mu = shoot(u0, pd.period, eta_pd, MISSED)
    assert T == pytest.approx(pd.period, abs=1e-8)
    np.testing.assert_allclose(u, u0, atol=1e-8)
    assert flip_multiplier(mu) == pytest.approx(-1.0, abs=1e-4)

    def g(eta):
        return flip_multiplier(shoot(u, T, eta, MISSED)[2]) + 1.0

    root = brentq(g, eta_pd - 1e-4, eta_pd + 1e-4, xtol=1e-12)
    assert root == pytest.approx(eta_pd, abs=1e-6)
    # the small-step run's location (test_pd_located_with_small_steps) agrees too
    assert root == pytest.approx(3.888418, abs=1e-5)


def test_refinement_only_where_auto_missed_the_crossing(pd_run, monkeypatch):
    """J = 8: AUTO labels the PD itself; the multiplier scan sees it and re-runs nothing."""
    import thetabif.continuation.cycles as tc

    eq, cyc = pd_run
    assert len(_regular_pds(cyc)) == 1
    assert not any("detected_by" in p.extra for p in cyc.special_points)
    assert not any("multiplier" in m for m in cyc.messages)
    # the same run again, watching the scan: no bracket, no rerun
    seen = []
    scan = tc._crossing_brackets

    def watch(tests, types, periods, max_period):
        out = scan(tests, types, periods, max_period)
        seen.append((tests, list(types), periods, max_period, out))
        return out

    def no_rerun(*args, **kwargs):
        raise AssertionError("no rerun expected")

    monkeypatch.setattr(tc, "_crossing_brackets", watch)
    monkeypatch.setattr(tc, "_refine_bracket", no_rerun)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        again = Continuation(MODEL, PARAMS).cycles(eq.point("HB1"), "eta", 0.0, 40.0)
    assert [p.label for p in again.special_points] == [p.label for p in cyc.special_points]
    ((tests, types, periods, max_period, out),) = seen
    assert out == []
    # the flip test does change sign at AUTO's PD; only AUTO's label there keeps it out
    (k,) = [i for i, ty in enumerate(types) if ty == "PD" and periods[i] < max_period]
    assert tests[k - 1][0] < 0 < tests[k + 1][0]
    unlabelled = [("" if i == k else ty) for i, ty in enumerate(types)]
    assert scan(tests[:k] + tests[k + 1:], unlabelled[:k] + unlabelled[k + 1:],
                periods[:k] + periods[k + 1:], max_period) == [(k - 1, "PD")]


def test_fallback_interpolation_when_rerun_fails(missed_run, monkeypatch):
    """If AUTO's rerun fails, the crossing is placed by interpolating |mu| - 1."""
    from thetabif.continuation import ContinuationFailed

    cont, eq = missed_run
    cont2 = Continuation(MODEL, MISSED)
    run = cont2._run
    calls = []

    def failing(constants, restart=None, allow_mx=False):
        if constants["IRS"] != eq.point("HB1")._restart[1]:  # the rerun (IRS: a label)
            calls.append(constants)
            raise ContinuationFailed("forced failure (test)")
        return run(constants, restart, allow_mx)

    monkeypatch.setattr(cont2, "_run", failing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cyc = cont2.cycles(eq.point("HB1"), "eta", 0.0, 40.0)
    assert len(calls) == 1 and calls[0]["DSMAX"] == pytest.approx(0.0024, abs=1e-4)
    (pd,) = _regular_pds(cyc)
    lo, hi = sorted(pd.extra["bracket"])
    assert lo < pd.params["eta"] < hi and lo < 3.888415 < hi
    assert pd.extra["located_by"] == "linear interpolation of |mu| - 1"
    fa, fb = pd.extra["test_bracket"]
    assert fa < 0 < fb
    assert math.isnan(pd.r) and pd.label == "PD1"
    assert any("the rerun failed" in m for m in cyc.messages)


def test_floquet_tests_and_brackets():
    """The test functions on made-up multipliers: PD, TR, AUTO's blind spot, guards."""
    from thetabif.continuation.cycles import _crossing_brackets, _floquet_tests

    f_pd, f_tr, triv = _floquet_tests(np.array([1.0, -0.23, 1e-12]))
    assert f_pd == pytest.approx(-0.77) and math.isnan(f_tr) and triv == 0
    f_pd, f_tr, _ = _floquet_tests(np.array([1.0, -1.52, 0.0]))
    assert f_pd == pytest.approx(0.52)  # AUTO 0.9.2's test: 0 at -0.23, 0.52 here
    a = 0.9 * np.exp(1j), 1.1 * np.exp(1j)
    inside = _floquet_tests(np.array([1.0, a[0], np.conj(a[0])]))
    outside = _floquet_tests(np.array([1.0, a[1], np.conj(a[1])]))
    assert math.isnan(inside[0]) and inside[1] == pytest.approx(-0.1)
    assert outside[1] == pytest.approx(0.1)
    tests = [_floquet_tests(np.array(m)) for m in
             ([1, -0.23, 0.0], [1, -1.52, 0.0], [1, -4.7, 0.0])]
    assert _crossing_brackets(tests, ["", "", ""], [3, 3, 3], 10) == [(0, "PD")]
    assert _crossing_brackets([inside, outside], ["", ""], [3, 3], 10) == [(0, "TR")]
    # left out: AUTO labelled it, near a homoclinic orbit, inaccurate trivial multiplier
    assert _crossing_brackets(tests, ["", "PD", ""], [3, 3, 3], 10) == []
    assert _crossing_brackets(tests, ["", "", ""], [3, 30, 3], 10) == []
    bad = [_floquet_tests(np.array([1.05, -0.23, 0.0])), tests[1]]
    assert _crossing_brackets(bad, ["", ""], [3, 3], 10) == []


def test_torus_angle_from_par12():
    """TR points carry AUTO's torus angle (PAR(12), set by FNSPBV at a TR)."""
    from types import SimpleNamespace

    cont = Continuation(MODEL, PARAMS)
    theta = 1.234
    par = np.zeros(36)
    par[10], par[11] = 2.5, theta
    sol = SimpleNamespace(u=np.full((5, 3), 0.1), par=par)
    mu = np.array([1.0, np.exp(1j * theta), np.exp(-1j * theta)])
    pt = SimpleNamespace(type="TR", label=3, type_number=8, stable=False,
                         parameters={"eta": 5.0, "period": 2.5},
                         state={k: 0.1 for k in NAMES}, multipliers=mu, eigenvalues=None)
    res = SimpleNamespace(solution=lambda label: sol, fort8="")
    sp = special_point(cont.model, cont.params, pt, res, "cycles", ("eta",))
    assert sp.type == "TR" and sp.extra["torus_angle"] == theta
    assert sp.period == 2.5
