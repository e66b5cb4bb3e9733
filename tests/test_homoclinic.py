"""Continuation.homoclinic: HomCont from a long cycle orbit, against an independent
manifold-split computation.

The homoclinic curve of the n = 2, Delta = 0.5 model (the cycle branch from the Hopf
point at J = -21.99114857 ends at it) is checked point by point: at the J of a branch
point, the saddle's unstable manifold (forward) and stable manifold (backward) are
integrated with scipy to the section x = (x_saddle + max x on W^u) / 2, and the eta
where their y offset vanishes is found by brentq. The feasibility study found HomCont
and this split agreeing to 2e-11..4e-10 for J in [-40, -13.2] (both at tolerances
~1e-12); 1e-7 leaves room for the integrator's tolerances and the eps = 1e-6 start
off the saddle (its error is O(eps^2)) while still catching any other curve (the
fixed-T curve beyond BT differs by > 0.1 in eta).
Neutral saddles: where lambda_u + lambda_s = 0 along the split's curve (brentq in J),
to 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from thetabif import ThetaModel
from thetabif.continuation import Continuation, StopReason
from thetabif.continuation.homoclinic import start_orbit
from thetabif.errors import InputError

MODEL = ThetaModel(n=2)
NUM = MODEL.numeric
PARAMS = {"Delta": 0.5, "J": -21.99114857, "eta": 6.0}


def _p(eta: float, J: float) -> np.ndarray:
    return NUM.parameter_vector(MODEL.validate_params({**PARAMS, "eta": eta, "J": J}))


def _saddle(eta: float, J: float, guess) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = _p(eta, J)
    u = np.array(guess, dtype=float)
    for _ in range(50):
        u = u - np.linalg.solve(NUM.jacobian(u, p), NUM.rhs(u, p))
    assert np.max(np.abs(NUM.rhs(u, p))) < 1e-12
    w, v = np.linalg.eig(NUM.jacobian(u, p))
    order = np.argsort(w.real)
    return u, w.real[order], v[:, order].real


def _cross(eta, J, u0, sign, nth, xs):
    p = _p(eta, J)
    sol = solve_ivp(lambda t, u: sign * NUM.rhs(u, p), (0, 200), u0, method="DOP853",
                    rtol=1e-12, atol=1e-14, events=lambda t, u: u[0] - xs)
    return sol.y_events[0][nth - 1][1]


def _split(eta, J, guess, xs, eps=1e-6):
    """y offset of W^u (second crossing of x = xs) and W^s (first backward crossing)."""
    u, _lam, v = _saddle(eta, J, guess)
    vu = v[:, 1] * np.sign(v[0, 1])
    vs = v[:, 0] * np.sign(v[0, 0])
    return _cross(eta, J, u + eps * vu, 1, 2, xs) - _cross(eta, J, u + eps * vs, -1, 1, xs)


def split_eta(J: float, eta0: float, guess, width: float = 1e-3) -> float:
    """eta of the homoclinic orbit at J, by the manifold split (near eta0)."""
    u, lam, v = _saddle(eta0, J, guess)
    vu = v[:, 1] * np.sign(v[0, 1])
    p = _p(eta0, J)
    sol = solve_ivp(lambda t, x: NUM.rhs(x, p), (0, 60 / lam[1]), u + 1e-6 * vu,
                    rtol=1e-10, atol=1e-12, method="DOP853")
    xs = 0.5 * (u[0] + sol.y[0].max())
    return brentq(lambda e: _split(e, J, guess, xs), eta0 - width, eta0 + width, xtol=1e-13)


@pytest.fixture(scope="module")
def runs():
    c = Continuation(MODEL, PARAMS)
    eq = c.equilibria("eta", -5, 20)
    hb = eq.special("HB")[0]
    cy = c.cycles(hb, "eta", 5, 10)
    return c, cy, c.homoclinic(cy, ("eta", "J"), {"eta": (-5, 25), "J": (-40, -5)})


def _points(res):
    """(J, eta, x, y) of every branch point, both directions."""
    rows = [np.column_stack([b.data["J"], b.data["eta"], b.data["x"], b.data["y"]])
            for b in res.branches]
    return np.concatenate(rows)


@pytest.mark.parametrize("J", [-15.0, -25.0, -30.0])
def test_curve_matches_manifold_split(runs, J):
    _, _, res = runs
    pts = _points(res)
    Jb, eta, x, y = pts[np.argmin(np.abs(pts[:, 0] - J))]
    assert abs(Jb - J) < 0.3
    assert abs(eta - split_eta(Jb, eta, [x, y])) < 1e-7


def test_branch_columns_and_bt_cut(runs):
    _, _, res = runs
    assert res.kind == "homoclinic" and res.free == ("eta", "J")
    assert {b.direction for b in res.branches} == {-1, 1}
    for b in res.branches:
        d = b.data
        for col in ("eta", "J", "x", "y", "lambda_s", "lambda_u", "saddle_quantity",
                    "period", "r", "abs_z"):
            assert len(d[col]) == len(b)
        assert np.all(d["lambda_s"] < 0) and np.all(d["lambda_u"] > 0)
        np.testing.assert_allclose(d["saddle_quantity"], d["lambda_s"] + d["lambda_u"])
        sep = np.minimum(d["lambda_u"], -d["lambda_s"]) * d["period"]
        assert np.all(sep >= 100)
        assert np.all((d["J"] >= -40) & (d["J"] <= -5))
    js = np.concatenate([b.data["J"] for b in res.branches])
    # both ways: down to the box's J = -40 and up to the cut before BT (J = -13.0196)
    assert js.min() == pytest.approx(-40.0) and -13.3 < js.max() < -13.0196
    cut = [m for m in res.messages if m.reason is StopReason.BT_APPROACH]
    assert len(cut) == 1 and "< 100" in cut[0]
    # the curve's end: the BT point, by Newton on the BT system from the cut; a double
    # zero eigenvalue there (the pair ~sqrt of Newton's residual 1e-14)
    (bt,) = res.special("BT")
    assert bt.params["eta"] == pytest.approx(2.3718591990, abs=1e-9)
    assert bt.params["J"] == pytest.approx(-13.0196297782, abs=1e-9)
    lam = np.sort(np.abs(np.linalg.eigvals(NUM.jacobian(
        np.array([bt.state["x"], bt.state["y"]]), _p(bt.params["eta"], bt.params["J"])))))
    assert lam[1] < 1e-6


@pytest.mark.parametrize("k, eta, J, lam", [(0, 4.1431046763, -16.597881109, 2.46126),
                                            (1, 15.7877001350, -37.135920904, 4.00770)])
def test_neutral_saddles(runs, k, eta, J, lam):
    _, _, res = runs
    ns = res.special("NS")
    assert [p.label for p in ns] == ["NS1", "NS2"]
    p = ns[k]
    guess = [p.state["x"], p.state["y"]]

    def quantity(j):
        e = split_eta(j, p.params["eta"] + (j - p.params["J"]) * slope, guess, 2e-3)
        return _saddle(e, j, guess)[1].sum()

    # the curve's slope d eta / d J near the point, from the split itself
    e1, e2 = (split_eta(p.params["J"] + d, p.params["eta"], guess, 0.02) for d in (-0.01, 0.01))
    slope = (e2 - e1) / 0.02
    j_ns = brentq(quantity, p.params["J"] - 0.01, p.params["J"] + 0.01, xtol=1e-10)
    e_ns = split_eta(j_ns, p.params["eta"], guess)
    assert abs(p.params["J"] - j_ns) < 1e-6 and abs(p.params["eta"] - e_ns) < 1e-6
    assert abs(j_ns - J) < 1e-6 and abs(e_ns - eta) < 1e-6  # the study's values
    assert p.extra["eigenvalues"][1] == pytest.approx(lam, abs=1e-5)
    assert abs(p.extra["saddle_quantity"]) < 1e-6 and p.kind == "homoclinic"


def test_bad_starts(runs):
    c, cy, _ = runs
    with pytest.raises(InputError, match="outside"):
        c.homoclinic(cy, period=1.2e6)
    with pytest.raises(InputError, match="cycles"):
        c.homoclinic(c.equilibria("eta", -5, 20))
    with pytest.raises(InputError, match="eps"):  # an amplitude is for BT starts only
        c.homoclinic(cy, eps=0.1)
    # the run's own solution files hold every stored orbit, also without special points
    bare = type(cy)(**{**cy.__dict__, "special_points": tuple(
        p for p in cy.special_points if p._restart is None)})
    assert 20 <= start_orbit(bare)[2] <= 1000
    short = type(cy)(**{**bare.__dict__, "_fort8": ()})
    with pytest.raises(InputError, match="no stored cycle orbit"):
        c.homoclinic(short)
    _, _, t = start_orbit(cy)
    assert 20 <= t <= 1000


def test_cycles_range_ending_just_short_of_the_homoclinic_orbit(runs):
    """A range whose end lies just short of the homoclinic point: AUTO's stop
    (1 % of the range beyond its end) lies beyond the homoclinic orbit, so AUTO never
    stops there and fails (MX) on the approach, outside the range. Inside, the branch is
    complete: it runs from the Hopf point to the range's end, with a message saying
    where AUTO stopped, and nothing outside is reported."""
    c, cy, _ = runs
    e_hom = cy.homoclinic["eta"]
    eq = c.equilibria("eta", -5, 20)
    hb = eq.special("HB")[0]
    lo, hi = e_hom + 0.01, 20.0
    res = c.cycles(hb, "eta", lo, hi)
    assert res.homoclinic is None
    notes = [m for m in res.messages if m.reason is StopReason.OUTSIDE]
    assert notes and "MX" in notes[0]
    assert not any(m.startswith("MX at") for m in res.messages)
    eta = np.concatenate([b.data["eta"] for b in res.branches])
    # the branch's last point is AUTO's UZ on the range's end, located to AUTO's
    # accuracy there (measured 5e-7 short of it: the parameter barely moves along the
    # branch near the homoclinic orbit): the one kind of point allowed within 1e-7 of
    # the range's width beyond it (convert._BOX_SLACK); every other point is inside
    end = np.concatenate([b.data["type"] for b in res.branches]) == "UZ"
    assert eta[~end].min() >= lo and eta.min() >= lo - 1e-7 * (hi - lo)
    assert eta.min() < lo + 0.02  # the branch reaches the range's end (steps ~1e-3 there)
    assert all(lo <= o["eta"] <= hi or (o["type"] == "UZ" and o["eta"] >= lo - 1e-7 * (hi - lo))
               for o in res.orbits)
    assert all(lo <= p.params["eta"] <= hi for p in res.special_points)


def test_every_curve_checked_independently(runs):
    """The library checks CHECKED_POINTS points of each branch without AUTO (the
    manifold return of continuation/homoclinic_split.py); its differences agree with the
    split written here (a section between the manifolds, another method) to 1e-10, and
    are small (HomCont converged to EPSL = 1e-8: measured <= 1.7e-9)."""
    _, _, res = runs
    (note,) = [m for m in res.messages if m.reason is StopReason.CHECKED]
    assert "10 points" in note and "not checked" not in note
    for b in res.branches:
        d = b.data["split_difference"]
        checked = np.flatnonzero(np.isfinite(d))
        assert len(checked) == 5 and checked[0] == 0 and checked[-1] == len(b) - 1
        assert np.max(np.abs(d[checked])) < 1e-7
        k = checked[2]
        eta, J = b.data["eta"][k], b.data["J"][k]
        # the curve crosses J = const steeply here, so eta was solved for
        ours = split_eta(J, eta, [b.data["x"][k], b.data["y"][k]]) - eta
        assert d[k] == pytest.approx(ours, abs=1e-10)
