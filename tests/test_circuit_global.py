"""Global bifurcations of a circuit: the PING circuit's homoclinic curve and SNIC stretch.

At J_EE = 15 the PING circuit (thetabif/circuits/ping.toml, 8 states) has a subcritical
Hopf point on its upper branch whose cycles end at a homoclinic orbit of the middle
equilibrium (a saddle with one unstable eigenvalue). Everything AUTO and thetabif say
about it is checked against computations written here:

* the homoclinic point at fixed J_EE, by bisection on where the saddle's unstable
  manifold goes (scipy's DOP853 at rtol 1e-12): back to the lower node on one side of
  the homoclinic orbit, round to the upper state on the other;
* the SNIC stretch of the fold curve, by the period of the oscillation just past the
  fold, simulated with scipy, against the normal form's law ``T = C / sqrt(d)``;
* the saddle-node-loop point where the homoclinic curve ends on the fold, where
  HomCont's cut and the SNIC stretch's end (two different routes) meet.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from thetabif import Continuation, cli
from thetabif.equilibrium import find_equilibria
from thetabif.models.circuit_file import read_circuit
from thetabif.polish import polish
from thetabif.snic import classify_saddle_node, saddle_node_normal_form, snic_stretches

PING = read_circuit("ping")
NUM = PING.numeric
FREE = ("eta_E", "J_EE")
#: A small box around the homoclinic curve's start at J_EE = 15 (kept small: HomCont
#: on 8 states takes ~0.3 s a point).
BOX = {"eta_E": (-3.0, 0.0), "J_EE": (14.6, 15.4)}


def pvec(eta: float, J: float) -> np.ndarray:
    return NUM.parameter_vector(PING.validate_params({"eta_E": eta, "J_EE": J}))


def saddle(eta: float, J: float) -> np.ndarray:
    """The equilibrium with exactly one (real) unstable eigenvalue."""
    for e in find_equilibria(PING, {"eta_E": eta, "J_EE": J}):
        lam = np.linalg.eigvals(NUM.jacobian(np.asarray(e.state), pvec(eta, J)))
        if (lam.real > 0).sum() == 1:
            return np.asarray(e.state)
    raise AssertionError(f"no saddle at eta_E = {eta}, J_EE = {J}")


def split(eta: float, J: float, t_end: float = 200.0) -> tuple[float, float]:
    """The split between the saddle's manifolds: ``(signed, distance)``.

    Each branch of the saddle's one-dimensional unstable manifold is integrated from
    1e-8 off the saddle along the unstable eigenvector (on the manifold to 1e-16) with
    scipy's DOP853 at rtol 1e-12; the branch that comes back closest to the saddle after
    its excursion is the one near the homoclinic loop. At its closest return ``x``,
    ``signed = w_u . (x - x_s)`` (``w_u`` the left unstable eigenvector, normalised
    against the branch's direction) is the side of the stable manifold it passes on:
    it changes sign at the homoclinic orbit."""
    xs = saddle(eta, J)
    p = pvec(eta, J)
    A = NUM.jacobian(xs, p)
    lam, V = np.linalg.eig(A)
    vu = np.real(V[:, np.argmax(lam.real)])
    lw, W = np.linalg.eig(A.T)
    wu = np.real(W[:, np.argmax(lw.real)])
    best = None
    for sign in (1.0, -1.0):
        v = sign * vu / np.linalg.norm(vu)
        sol = solve_ivp(lambda t, x: NUM.rhs(x, p), (0.0, t_end), xs + 1e-8 * v,
                        method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
        X = sol.sol(np.linspace(0.0, sol.t[-1], 40001))
        d = np.linalg.norm(X - xs[:, None], axis=0)
        far = int(np.argmax(d > 0.5 * d.max()))
        j = far + int(np.argmin(d[far:]))
        if best is None or d[j] < best[1]:
            best = (float(wu @ (X[:, j] - xs) / (wu @ v)), float(d[j]))
    return best


def homoclinic_eta(J: float, lo: float, hi: float) -> float:
    """The homoclinic point in eta_E at this J_EE: the zero of the split (brentq, to
    1e-12 in eta_E; the split's rounding, ~1e-12 of its slope ~1e3, is below that)."""
    return brentq(lambda e: split(e, J)[0], lo, hi, xtol=1e-12)


@pytest.fixture(scope="module")
def cycles():
    cont = Continuation(PING, {"J_EE": 15.0})
    eq = cont.equilibria("eta_E", -10, 10)
    (hb,) = eq.special("HB")
    return cont, cont.cycles(hb, "eta_E", -10, 10)


@pytest.fixture(scope="module")
def homoclinic(cycles):
    cont, cyc = cycles
    return cont.homoclinic(cyc, FREE, BOX)


def test_cycles_end_at_the_homoclinic_orbit_with_nothing_labelled_past_it(cycles):
    _, cyc = cycles
    assert cyc.homoclinic is not None
    split = homoclinic_eta(15.0, -1.6185, -1.6178)
    # the estimate is the parameter of the longest orbit AUTO returned (period ~1e8,
    # converged to EPSL only): measured 2.1e-6 from the split here
    assert cyc.homoclinic["eta_E"] == pytest.approx(split, abs=5e-6)
    # AUTO labelled four LPs on the approach (periods 1.7e3 .. 1.3e8): past the
    # branch's cut, they are left out, and said so
    cut = cyc.homoclinic["cut_period"]
    assert all(p.period is None or p.period <= cut for p in cyc.special_points)
    assert not cyc.special("LP")
    assert any("left out" in m for m in cyc.messages)
    assert max(b.data["period"].max() for b in cyc.branches) <= 1.5 * cut


def test_homoclinic_curve_against_the_manifold_split(homoclinic):
    hom = homoclinic
    assert hom.kind == "homoclinic"
    checked = 0
    for b in hom.branches:
        for k, (lo, hi) in BOX.items():
            assert np.all((b.data[k] >= lo) & (b.data[k] <= hi))
        # the start and the far end of each branch, at their own J_EE (no interpolation)
        for i in (0, len(b) - 1):
            eta, J = float(b.data["eta_E"][i]), float(b.data["J_EE"][i])
            split = homoclinic_eta(J, eta - 2e-5, eta + 2e-5)
            # HomCont at fixed T: its error is ~exp(-min(lambda_u, -lambda_s) T) with
            # the product >= 100 along the kept curve, plus EPSL 1e-8 in the orbit;
            # measured <= 4e-9 on the single population; 1e-7 for 8 states
            assert eta == pytest.approx(split, abs=1e-7)
            # the saddle's rates in the branch columns are those of the saddle there
            lam = np.linalg.eigvals(NUM.jacobian(saddle(eta, J), pvec(eta, J))).real
            assert b.data["lambda_u"][i] == pytest.approx(lam.max(), abs=1e-6)
            checked += 1
    assert checked >= 3


def test_neutral_saddle_on_the_curve(homoclinic):
    """The NS point, polished along the curve (thetabif.continuation.homoclinic_split),
    against the split written here: on the homoclinic curve, and the saddle quantity
    (lambda_u plus the stable eigenvalue nearest 0) zero there."""
    (ns,) = homoclinic.special("NS")
    eta, J = ns.params["eta_E"], ns.params["J_EE"]
    assert BOX["J_EE"][0] <= J <= BOX["J_EE"][1]
    # polished to 1e-11 in J_EE; the split's zero is good to 1e-12: measured 1e-11 apart
    assert eta == pytest.approx(homoclinic_eta(J, eta - 1e-6, eta + 1e-6), abs=1e-9)
    lam = np.sort(np.linalg.eigvals(NUM.jacobian(saddle(eta, J), pvec(eta, J))).real)
    lam_u = lam[-1]
    lam_s = max(x for x in lam if x < 0)
    # the quantity changes by ~0.5 per unit of J_EE along the curve: 1e-9 is 2e-9 in J_EE
    assert abs(lam_u + lam_s) < 1e-9
    # AUTO's location (HomCont's psi1 = 0) is kept beside it, ~3e-7 away
    assert 0 < ns.polish_difference < 1e-5


@pytest.fixture(scope="module")
def fold_curve():
    cont = Continuation(PING, {"J_EE": 15.0})
    eq = cont.equilibria("eta_E", -10, 10)
    lp = max(eq.special("LP"), key=lambda p: p.params["eta_E"])
    return cont.curve(lp, FREE, {"eta_E": (-10.0, 10.0), "J_EE": (0.0, 30.0)})


def test_snic_stretch_of_the_fold_curve(fold_curve):
    (stretch,) = snic_stretches(fold_curve, samples=12)
    ends = sorted((stretch.start, stretch.end), key=lambda e: e.params["J_EE"])
    upper = ends[1]
    assert upper.kind == "saddle-node-loop"
    # the same point where HomCont's curve from the cycles meets the fold (the cut of
    # test_homoclinic_curve_against_the_manifold_split's curve in a larger box,
    # located by thetabif.continuation.snl): eta_E -1.2318691214, J_EE 13.8780196843
    assert upper.params["J_EE"] == pytest.approx(13.8780196843, abs=1e-6)
    assert upper.params["eta_E"] == pytest.approx(-1.2318691214, abs=1e-6)
    assert 10.0 < ends[0].params["J_EE"] < 10.01


def test_snic_period_law_against_simulation(fold_curve):
    """Inside the stretch (J_EE = 12) the fold is a SNIC: just past it the period is
    C / sqrt(d) + T0 + o(1); the slope between two distances d is the normal form's C."""
    b = fold_curve.branches[0]
    data = b.data
    k = int(np.argmin(np.abs(data["J_EE"] - 12.0) + 10 * (data["eta_E"] < -1.5)))
    state = [float(data[n][k]) for n in PING.state_names]
    pt = polish(PING, "LP", ("eta_E",), state, {"J_EE": 12.0, "eta_E": data["eta_E"][k]})
    cls = classify_saddle_node(PING, pt.params, pt.state, "eta_E")
    assert cls.kind == "snic", cls.detail
    nf = saddle_node_normal_form(PING, pt.params, pt.state, "eta_E")
    periods = []
    ds = (1e-3, 1e-4)
    for d in ds:
        eta = pt.params["eta_E"] + nf.side * d
        p = pvec(eta, 12.0)
        guess = nf.period(eta)
        sol = solve_ivp(lambda t, x, p=p: NUM.rhs(x, p), (0.0, 4 * guess), np.asarray(pt.state),
                        method="DOP853", rtol=1e-11, atol=1e-13, dense_output=True)
        t = np.linspace(guess, 4 * guess, 200000)
        x = sol.sol(t)[0]
        th = 0.5 * (x.max() + x.min())
        i = np.nonzero((x[:-1] < th) & (x[1:] >= th))[0]
        cross = t[i] + (th - x[i]) / (x[i + 1] - x[i]) * (t[i + 1] - t[i])
        # a spike of x_E rings (it crosses the level several times): one crossing per
        # cycle, the first after a quiet stretch of half the predicted period
        cross = cross[np.diff(cross, prepend=-np.inf) > 0.5 * guess]
        assert len(cross) >= 2
        periods.append(cross[-1] - cross[-2])
    slope = (periods[1] - periods[0]) / (ds[1] ** -0.5 - ds[0] ** -0.5)
    # measured 4.1e-4 from C: T0's drift between the two distances is O(sqrt(d)) and the
    # crossings are interpolated on a grid of 1.5e-5 periods; 3e-3 leaves room for both
    assert slope == pytest.approx(nf.C, rel=3e-3)


def test_homoclinic_command_on_a_circuit(capsys, tmp_path):
    out = tmp_path / "hom.json"
    code = cli.main(["homoclinic", "--circuit", "ping", "--set", "J_EE=15", "--from", "HB1",
                     "--free", "eta_E,J_EE", "--eq-free", "eta_E", "--eq-range=-10:10",
                     "--range=eta_E=-3:0", "--range", "J_EE=14.9:15.1", "--json",
                     "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["kind"] == "homoclinic"
    assert json.loads(out.read_text())["kind"] == "homoclinic"
    for branch in doc["branches"]:
        cols = branch["data"] if "data" in branch else branch
        J = np.asarray(cols["J_EE"], float)
        assert np.all((J >= 14.9) & (J <= 15.1))
    start = doc["branches"][0]
    cols = start["data"] if "data" in start else start
    eta0, J0 = cols["eta_E"][0], cols["J_EE"][0]
    assert J0 == pytest.approx(15.0, abs=1e-12)
    assert eta0 == pytest.approx(homoclinic_eta(15.0, -1.6185, -1.6178), abs=1e-7)


def test_snic_command_on_a_circuit(capsys):
    code = cli.main(["snic", "--circuit", "ping", "--set", "J_EE=15", "--from", "LP2",
                     "--free", "eta_E,J_EE", "--eq-free", "eta_E", "--eq-range=-10:10",
                     "--range=eta_E=-10:10", "--range", "J_EE=11:20", "--samples", "6",
                     "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["free"] == list(FREE)
    ends = [s[w] for s in doc["stretches"] for w in ("start", "end")]
    loops = [e for e in ends if e["kind"] == "saddle-node-loop"]
    assert len(loops) == 1
    assert loops[0]["params"]["J_EE"] == pytest.approx(13.8780196843, abs=1e-4)
