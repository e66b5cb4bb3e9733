"""Continuation.homoclinic from a Bogdanov-Takens point (the normal-form predictor).

Oracles: the stable/unstable manifold split of tests/test_homoclinic.py (scipy,
independent of AUTO), the homoclinic curve started from a long cycle orbit (another
start of HomCont), and the values of the earlier study (n = 2, Delta = 0.5: a BT
point at (2.3718591990, -13.0196297782), normal form a = -7.03668, b = -0.525041, the
curve at J = -40 at eta = 17.5226439940, neutral saddles (4.1431046622,
-16.597881083) and (15.787700136, -37.135920904)).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_homoclinic import split_eta

from thetabif import ThetaModel
from thetabif.continuation import Continuation, ContinuationFailed, StopReason
from thetabif.continuation.bt_predictor import bt_normal_form, orbit_restart, predict
from thetabif.continuation.records import LocatedBy
from thetabif.errors import InputError
from thetabif.polish import polish

MODEL = ThetaModel(n=2)
PARAMS = {"Delta": 0.5, "J": -21.99114857, "eta": 6.0}
BOX = {"eta": (-5, 25), "J": (-40, -5)}


@pytest.fixture(scope="module")
def runs():
    c = Continuation(MODEL, PARAMS)
    eq = c.equilibria("eta", -5, 20)
    bt = c.curve(eq.special("LP")[0], ("eta", "J"), BOX).special("BT")[0]
    cy = c.cycles(eq.special("HB")[0], "eta", 5, 10)
    return c, bt, c.homoclinic(bt, ("eta", "J"), BOX), c.homoclinic(cy, ("eta", "J"), BOX)


def _curve(res) -> np.ndarray:
    """(J, eta, x, y) of every branch point, sorted by J."""
    rows = np.concatenate([np.column_stack([b.data["J"], b.data["eta"], b.data["x"],
                                            b.data["y"]]) for b in res.branches])
    return rows[np.argsort(rows[:, 0])]


def test_normal_form_coefficients():
    """a, b against the study's values (same normalisation of the Jordan chains), and
    the chains themselves."""
    bt = polish(MODEL, "BT", ("eta", "J"), [0.11, -0.68], {**PARAMS, "eta": 2.37, "J": -13.02})
    assert bt.params["eta"] == pytest.approx(2.3718591990, abs=1e-9)
    assert bt.params["J"] == pytest.approx(-13.0196297782, abs=1e-9)
    nf = bt_normal_form(MODEL, bt.state, bt.params)
    # the study printed 6 digits
    assert nf.a == pytest.approx(-7.03668, abs=1e-5) and nf.b == pytest.approx(-0.525041,
                                                                             abs=1e-6)
    A = MODEL.numeric.jacobian(bt.state, MODEL.numeric.parameter_vector(bt.params))
    np.testing.assert_allclose(A @ nf.q0, 0, atol=1e-10)
    np.testing.assert_allclose(A @ nf.q1, nf.q0, atol=1e-10)
    np.testing.assert_allclose(A.T @ nf.p1, 0, atol=1e-10)
    np.testing.assert_allclose(A.T @ nf.p0, nf.p1, atol=1e-10)
    gram = [[nf.p0 @ nf.q0, nf.p0 @ nf.q1], [nf.p1 @ nf.q0, nf.p1 @ nf.q1]]
    np.testing.assert_allclose(gram, np.eye(2), atol=1e-12)


def test_first_order_predictor_parameters():
    """The first-order predictor (``order=1``; the second order: see
    tests/test_bt_predictor_order.py). Its parameters against the manifold split: at
    the predicted J, the error in eta relative to the distance between the homoclinic
    curve and the fold (which shrinks like eps^4) is O(eps^2). A first-order predictor (parameters
    linear in beta) is off by O(eps^4), i.e. by a relative O(1): halving eps would not
    shrink the relative error. Measured: 0.016 at eps = 0.1, 0.051 at 0.2."""
    bt = polish(MODEL, "BT", ("eta", "J"), [0.11, -0.68], {**PARAMS, "eta": 2.37, "J": -13.02})
    rel = []
    for eps in (0.1, 0.2):
        p = predict(MODEL, bt.state, bt.params, ("eta", "J"), eps, order=1)
        assert p.lambda_s * p.lambda_u == pytest.approx(-4 * eps ** 2)
        J = p.params["J"]
        eta = split_eta(J, p.params["eta"], p.saddle, width=0.2 * eps ** 4)
        fold = polish(MODEL, "LP", ("eta",), p.saddle, p.params).params["eta"]
        rel.append(abs(p.params["eta"] - eta) / abs(fold - eta))
        # the orbit ends on the saddle (within e^-(eps T / 2) of it)
        orbit = p.orbit(np.array([-400.0 / eps, 0.0, 400.0 / eps]))
        np.testing.assert_allclose(orbit[[0, 2]], [p.saddle, p.saddle], atol=1e-12)
        assert np.linalg.norm(orbit[1] - p.saddle) == pytest.approx(
            6 * eps ** 2 / abs(bt_normal_form(MODEL, bt.state, bt.params).a)
            * np.linalg.norm(bt_normal_form(MODEL, bt.state, bt.params).q0), rel=1e-12)
    assert rel[0] < 0.03 and rel[1] < 0.08
    # O(eps^2): ratio 4 expected; a first-order predictor gives ~1
    assert rel[1] / rel[0] > 2.5


def test_predicted_orbit_against_true_orbit():
    """The first-order predicted orbit against the homoclinic orbit at the predicted J (eta from
    the manifold split, the orbit = the saddle's unstable manifold integrated with
    scipy, aligned at its farthest point from the saddle). Measured: relative error
    (max distance over the amplitude) 0.49 % at eps = 0.1, 1.5 % at 0.2 (absolute
    4.2e-5 and 5.2e-4: the first-order orbit leaves O(eps^3..eps^4) out)."""
    from scipy.integrate import solve_ivp
    from test_homoclinic import _saddle

    num = MODEL.numeric
    bt = polish(MODEL, "BT", ("eta", "J"), [0.11, -0.68], {**PARAMS, "eta": 2.37, "J": -13.02})
    rel = []
    for eps in (0.1, 0.2):
        p = predict(MODEL, bt.state, bt.params, ("eta", "J"), eps, order=1)
        J = p.params["J"]
        eta = split_eta(J, p.params["eta"], p.saddle, width=0.2 * eps ** 4)
        u, lam, v = _saddle(eta, J, p.saddle)
        vu = v[:, 1] * np.sign(v[:, 1] @ (p.orbit(np.array([-6 / eps]))[0] - p.saddle))
        pv = num.parameter_vector(MODEL.validate_params({**p.params, "eta": eta}))
        # up to about the return to the saddle (from 1e-7 off it to ~1e-2 and back)
        sol = solve_ivp(lambda t, x, pv=pv: num.rhs(x, pv), (0, 2 * np.log(1e5) / lam[1]),
                        u + 1e-7 * vu, rtol=1e-12, atol=1e-14, dense_output=True,
                        method="DOP853")
        tt = np.linspace(0, sol.t[-1], 200001)
        far = tt[np.argmax(np.linalg.norm(sol.sol(tt).T - u, axis=1))]
        ts = np.linspace(-8 / eps, 8 / eps, 2001)
        ts = ts[(ts + far >= 0) & (ts + far <= sol.t[-1])]
        true = sol.sol(ts + far).T
        amp = np.max(np.linalg.norm(true - u, axis=1))
        rel.append(np.max(np.linalg.norm(true - p.orbit(ts), axis=1)) / amp)
    assert rel[0] < 0.01 and rel[1] < 0.03 and rel[0] < rel[1]


def test_orbit_restart_file():
    bt = polish(MODEL, "BT", ("eta", "J"), [0.11, -0.68], {**PARAMS, "eta": 2.37, "J": -13.02})
    p = predict(MODEL, bt.state, bt.params, ("eta", "J"), 0.5)
    from thetabif.auto import parse_fort8

    par = np.zeros(50)
    par[:5] = MODEL.numeric.parameter_vector(p.params)
    par[10] = 300.0
    (sol,) = parse_fort8(orbit_restart(p, 300.0, par, ntst=50))
    assert sol.ntst == 50 and sol.ncol == 4 and sol.u.shape == (201, 2)
    assert sol.par[10] == 300.0 and sol.par[0] == pytest.approx(p.params["eta"], abs=1e-15)
    np.testing.assert_allclose(sol.u, p.orbit((sol.t - 0.5) * 300.0), atol=1e-15)


@pytest.mark.parametrize("J", [-15.0, -25.0, -30.0])
def test_curve_from_bt_matches_manifold_split(runs, J):
    """Tolerance 1e-7: see tests/test_homoclinic.py (same oracle)."""
    pts = _curve(runs[2])
    Jb, eta, x, y = pts[np.argmin(np.abs(pts[:, 0] - J))]
    assert abs(Jb - J) < 0.3
    assert abs(eta - split_eta(Jb, eta, [x, y])) < 1e-7


def test_curve_from_bt_matches_curve_from_cycle(runs):
    """Both starts give one curve: the BT curve's eta(J), interpolated (cubic spline),
    at the cycle curve's points for J < -13.3 agrees to 1e-7 (measured 1.1e-8, the
    spline's error over steps of dsmax = 0.2; 2.1e-9 with dsmax = 0.05). Nearer BT,
    where eta(J) bends sharply, the spline alone is off by up to 9e-7 while both
    curves' points agree with the split to 1e-10. Both end on the box side J = -40 at
    the study's eta."""
    from scipy.interpolate import CubicSpline

    bt_pts, cy_pts = _curve(runs[2]), _curve(runs[3])
    spline = CubicSpline(bt_pts[:, 0], bt_pts[:, 1])
    inner = cy_pts[(cy_pts[:, 0] > bt_pts[0, 0]) & (cy_pts[:, 0] < -13.3)]
    assert len(inner) > 50
    assert np.max(np.abs(spline(inner[:, 0]) - inner[:, 1])) < 1e-7
    for pts in (bt_pts, cy_pts):
        assert pts[0, 0] == pytest.approx(-40.0, abs=1e-9)
        assert pts[0, 1] == pytest.approx(17.5226439940, abs=1e-8)


def test_neutral_saddles_from_bt(runs):
    ns_bt, ns_cy = runs[2].special("NS"), runs[3].special("NS")
    assert [p.label for p in ns_bt] == ["NS1", "NS2"]
    for p, q, (eta, J) in zip(ns_bt, ns_cy, [(4.1431046622, -16.597881083),
                                            (15.787700136, -37.135920904)], strict=True):
        # polished (tests/test_homoclinic_ns.py): the study's values to 5e-8 (its NS1
        # is 2.6e-8 off in J), both starts' points to 1e-9 (secant steps to 1e-11)
        assert abs(p.params["eta"] - eta) < 5e-8 and abs(p.params["J"] - J) < 5e-8
        assert abs(p.params["eta"] - q.params["eta"]) < 1e-9
        assert abs(p.params["J"] - q.params["J"]) < 1e-9
        assert abs(p.extra["saddle_quantity"]) < 1e-11
        assert p.extra["located_by"].by is LocatedBy.SADDLE_QUANTITY_ROOT
        # AUTO's psi1 = 0 point, kept: measured 4e-10 (NS1), 3e-10 (NS2) away
        assert p.polish_difference == max(abs(v) for v in p.extra["auto_difference"].values())
        assert 0 < p.polish_difference < 3e-9
        for n in ("eta", "J"):
            assert p.auto_params[n] - p.params[n] == p.extra["auto_difference"][n]
        assert abs(p.extra["auto_saddle_quantity"]) < 1e-8


def test_bt_start_branches(runs):
    _, bt, res, _ = runs
    # the result's parameters: those of the predicted start (fixed ones: the BT's)
    assert res.kind == "homoclinic" and res.params["Delta"] == bt.params["Delta"]
    assert 0 < bt.params["J"] - res.params["J"] < 0.3
    period = res.branches[0].data["period"][0]
    for b in res.branches:
        d = b.data
        assert np.all(d["period"] == period)
        sep = np.minimum(d["lambda_u"], -d["lambda_s"]) * d["period"]
        assert np.all(sep >= 100)
        assert np.all((d["J"] >= -40) & (d["J"] <= -5) & (d["eta"] >= -5) & (d["eta"] <= 25))
    # default period: 300 / the predicted saddle's slowest rate at eps = 0.25 (~0.5)
    assert 550 < period < 650
    cut = [m for m in res.messages if m.reason is StopReason.BT_APPROACH]
    assert len(cut) == 1
    js = _curve(res)[:, 0]
    assert js.min() == pytest.approx(-40.0) and -13.3 < js.max() < -13.0196


def test_bad_bt_starts(runs):
    c, bt, _, _ = runs
    far = replace(bt, params={**bt.params, "eta": bt.params["eta"] + 1.0,
                              "J": bt.params["J"] - 3.0})
    with pytest.raises(InputError, match="not a Bogdanov-Takens point"):
        c.homoclinic(far, bounds=BOX)
    with pytest.raises(InputError, match="too short"):
        c.homoclinic(bt, bounds=BOX, eps=0.5, period=50.0)
    with pytest.raises(InputError, match="BT point or a cycles"):
        c.homoclinic(replace(bt, type="GH"), bounds=BOX)
    with pytest.raises(InputError, match="other parameters"):
        Continuation(MODEL, {**PARAMS, "Delta": 0.4}).homoclinic(bt, bounds=BOX)
    # eps far beyond the normal form's range: HomCont does not converge from it
    with pytest.raises(ContinuationFailed, match="smaller eps"):
        c.homoclinic(bt, bounds=BOX, eps=2.0)


def test_bt_of_a_hopf_curve(runs):
    """The same BT point labelled on the Hopf curve starts the same curve."""
    c, bt, res, _ = runs
    hb = c.equilibria("eta", -5, 20).special("HB")[0]
    bt_h = c.curve(hb, ("eta", "J"), BOX).special("BT")[0]
    assert bt_h.kind == "hopf" and abs(bt_h.params["J"] - bt.params["J"]) < 1e-9
    other = c.homoclinic(bt_h, ("eta", "J"), BOX)
    for p, q in zip(other.special("NS"), res.special("NS"), strict=True):
        assert abs(p.params["eta"] - q.params["eta"]) < 1e-8
        assert abs(p.params["J"] - q.params["J"]) < 1e-8
