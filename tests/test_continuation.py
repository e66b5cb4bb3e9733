"""Continuation on AUTO-07p (real runs) against closed forms and independent Newton solves."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import root
from test_polish import cusp, eta_of_rate, fold_rates

from thetabif import Continuation, ContinuationFailed, ContinuationResult, ThetaModel, simulate
from thetabif.equilibrium import find_equilibria


@pytest.fixture(scope="module")
def theta_eq():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    return cont, cont.equilibria("eta", -10.0, 5.0)


def test_folds_against_closed_form(theta_eq):
    _, eq = theta_eq
    lps = eq.special("LP")
    expected = sorted(eta_of_rate(r, 15.0) for r in fold_rates(15.0))
    assert [p.label for p in lps] == ["LP1", "LP2"]
    # polished by Newton: the bar is 1e-9; rounding leaves ~1e-14
    np.testing.assert_allclose([p.params["eta"] for p in lps], expected, atol=1e-9)
    for p in lps:
        assert p.polish_difference < 1e-5  # AUTO itself was close (EPSS = 1e-7)


def test_three_branches_stable_unstable_stable(theta_eq):
    _, eq = theta_eq
    df = eq.to_dataframe()
    near = df[np.abs(df["eta"] + 5.0) < 0.02].sort_values("r")
    # group the points near eta = -5 by r into the three sheets
    cuts = [0, *(np.flatnonzero(np.diff(near["r"].to_numpy()) > 0.05) + 1), len(near)]
    sheets = [near.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    assert len(sheets) == 3
    assert [bool(s["stable"].all()) for s in sheets] == [True, False, True]
    # and the branch agrees with Newton at eta = -5
    rates = [e.r for e in find_equilibria(ThetaModel(), {"eta": -5.0})]
    for sheet, r in zip(sheets, rates, strict=True):
        assert np.min(np.abs(sheet["r"] - r)) < 0.05


def test_cusp_on_fold_curve(theta_eq):
    cont, eq = theta_eq
    fold = cont.curve(eq.point("LP1"), ("eta", "J"), {"eta": (-20, 20), "J": (-40, 40)})
    (cp,) = fold.special("CP")
    _, J_c, eta_c = cusp()
    assert cp.params["eta"] == pytest.approx(eta_c, abs=1e-9)
    assert cp.params["J"] == pytest.approx(J_c, abs=1e-9)
    # the fold curve itself satisfies the closed form: eta(J) at the folds
    df = fold.to_dataframe()
    for _, row in df.iloc[:: max(1, len(df) // 20)].iterrows():
        if row["J"] > J_c + 0.05:
            folds = [eta_of_rate(r, row["J"]) for r in fold_rates(row["J"])]
            assert min(abs(f - row["eta"]) for f in folds) < 1e-6


def hopf_by_newton(model, params, guess_state, guess_eta):
    """Independent Hopf solve: f = 0, tr Df = 0 with a finite-difference Jacobian."""
    num = model.numeric

    def G(z):
        p = num.parameter_vector({**params, "eta": z[2]})
        u = z[:2]
        h = 1e-7
        tr = sum((num.rhs(u + h * e, p)[i] - num.rhs(u - h * e, p)[i]) / (2 * h)
                 for i, e in enumerate(np.eye(2)))
        return [*num.rhs(u, p), tr]

    sol = root(G, [*guess_state, guess_eta], tol=1e-12)
    # the FD trace carries ~1e-9 noise, so hybr may stop with "not making good
    # progress" at the noise floor: judge the result by its residual instead
    assert np.max(np.abs(G(sol.x))) < 1e-7, sol.message
    return sol.x


@pytest.fixture(scope="module")
def n2_run():
    model = ThetaModel(n=2)
    cont = Continuation(model, {"J": -40.0})
    return model, cont, cont.equilibria("eta", -20.0, 20.0)


def test_hopf_against_newton(n2_run):
    model, cont, eq = n2_run
    (hb,) = eq.special("HB")
    x = hopf_by_newton(model, model.validate_params(J=-40.0),
                       [hb.state["x"] + 1e-3, hb.state["y"]], hb.params["eta"] + 1e-3)
    # FD trace in the independent solve limits its accuracy to ~1e-8
    assert hb.params["eta"] == pytest.approx(x[2], abs=1e-7)
    assert hb.l1 < 0  # supercritical
    assert hb.extra["frequency"] > 0


def test_bt_on_fold_and_hopf_curves(n2_run):
    model, cont, eq = n2_run
    hopf = cont.curve(eq.special("HB")[0], ("eta", "J"))
    fold = cont.curve(eq.special("LP")[0], ("eta", "J"))
    (bt_h,) = hopf.special("BT")
    bt_f = fold.special("BT")
    assert any(abs(b.params["eta"] - bt_h.params["eta"]) < 1e-8 for b in bt_f)
    num = model.numeric
    p = num.parameter_vector(bt_h.params)
    eig = np.linalg.eigvals(num.jacobian(np.array(list(bt_h.state.values())), p))
    assert np.max(np.abs(eig)) < 1e-6  # double zero eigenvalue
    # the cusp of the n = 2 model is on the fold curve too
    assert fold.special("CP")
    # AUTO stops the Hopf curve at its BT: that end point is kept (its pair is real to
    # ~1e-6, like a neutral saddle's) and nothing is reported as dropped
    ends = [b for b in hopf.branches if b.data["type"][-1] == "BT"]
    assert len(ends) == 1 and ends[0].data["omega"][-1] < 1e-5
    assert abs(ends[0].data["eta"][-1] - bt_h.params["eta"]) < 1e-3
    assert not any(m.startswith("neutral_saddle") for m in hopf.messages)


def test_cycles_restarted_do_not_turn_back(n2_run):
    """Cycle runs restarted every 30 steps follow the branch as one run does.

    Close to the homoclinic orbit eta and the orbit stand still (to ~1e-10) while the
    period grows: a restart's heading must be judged with the period, else the branch
    is traced back towards the Hopf point.
    """
    model, cont, eq = n2_run
    hb = eq.special("HB")[0]
    one = cont.cycles(hb, "eta", 10.0, 20.0)
    cut = cont.cycles(hb, "eta", 10.0, 20.0, nmx=30)
    assert "EP" not in [o["type"] for o in cut.orbits[:-1]]  # joins are not ends
    # small steps: ~10 restarts before the period takes off
    slow = cont.cycles(hb, "eta", 10.0, 20.0, dsmax=0.001)
    period = np.concatenate([b.data["period"] for b in slow.branches])
    top = int(np.argmax(period > 5 * period[0]))
    assert top > 0 and np.all(period[top:] > 2 * period[0])  # never back down
    assert any(m.startswith("homoclinic_approach") for m in slow.messages)
    assert not any(m.startswith("step_limit") for m in slow.messages)
    # same trusted special points (those away from the homoclinic orbit)
    def trusted(res):
        return [(p.type, round(p.params["eta"], 5)) for p in res.special_points
                if not p.extra.get("near_homoclinic")]

    assert trusted(cut) == trusted(one)


def test_cycles_from_hopf(n2_run):
    model, cont, eq = n2_run
    hb = eq.special("HB")[0]
    cyc = cont.cycles(hb, "eta", 10.0, 20.0)
    orbits = cyc.orbits
    assert len(orbits) >= 3
    omega = hb.extra["frequency"]
    # the branch starts at the Hopf point: period -> 2 pi / omega (AUTO prints 11 digits)
    start = cyc.branches[0].data
    assert start["eta"][0] == pytest.approx(hb.params["eta"], abs=1e-8)
    assert start["period"][0] == pytest.approx(2 * np.pi / omega, rel=1e-7)
    # and the period grows monotonically away from it (towards the homoclinic orbit)
    assert start["period"][5] > start["period"][0]
    assert any("homoclinic_approach" in m for m in cyc.messages)
    # a stable orbit near the Hopf point against a long simulation: period and r range
    near = [o for o in orbits if o["stable"] and 0.02 < hb.params["eta"] - o["eta"] < 0.3]
    assert near
    o = near[0]
    eqs = find_equilibria(model, {"eta": o["eta"], "J": -40.0})
    focus = max(eqs, key=lambda e: e.r)
    # close to the Hopf point the cycle attracts slowly (rate ~ Re lambda ~ 0.01):
    # by t = 1200 the transient is below 1e-4 (checked up to t = 3000)
    ds = simulate(model, {"eta": o["eta"], "J": -40.0}, t_end=1300.0, dt=0.002,
                  z0=complex(focus.state[0] + 0.01, focus.state[1]))
    tail = ds.sel(time=ds.time > 1200.0)
    r = tail.r.to_numpy()
    t = tail.time.to_numpy()
    up = np.flatnonzero((r[:-1] < r.mean()) & (r[1:] >= r.mean()))
    period = np.mean(np.diff(t[up]))
    assert period == pytest.approx(o["period"], rel=0.01)
    assert r.max() == pytest.approx(o["r_max"], rel=0.01)
    assert r.min() == pytest.approx(o["r_min"], rel=0.01)


def test_round_trip(theta_eq, tmp_path):
    _, eq = theta_eq
    path = eq.save(tmp_path / "eq.nc")
    back = ContinuationResult.load(path)
    assert [p.label for p in back.special_points] == [p.label for p in eq.special_points]
    assert back.special_points[0].params == eq.special_points[0].params
    np.testing.assert_array_equal(back.to_dataframe()["eta"], eq.to_dataframe()["eta"])
    ds = eq.to_xarray()
    assert "special_label" in ds and ds.sizes["point"] == len(eq.to_dataframe())
    with pytest.raises(FileExistsError):
        eq.save(path)


def test_no_progress_is_an_error():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.raises(ContinuationFailed, match="never|NO_PROGRESS|progress|left"):
        cont.equilibria("eta", -10.0, 5.0, nmx=1)


def test_bad_arguments(theta_eq):
    cont, eq = theta_eq
    with pytest.raises(ValueError, match="free parameter 'zeta' is not a parameter"):
        cont.equilibria("zeta")
    with pytest.raises(ValueError, match="start < stop"):
        cont.equilibria("eta", 5.0, -10.0)
    with pytest.raises(KeyError, match="no special point 'HB1'.*have: LP1, LP2"):
        eq.point("HB1")


def test_cli_json_contract():
    proc = subprocess.run(
        [sys.executable, "-m", "thetabif", "curve", "--from", "LP1", "--free", "eta,J",
         "--range", "eta=-20:20", "--range", "J=-40:40", "--json"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (cp,) = [p for p in doc["special_points"] if p["type"] == "CP"]
    for key in ("label", "eta", "J", "Delta", "tau", "I_ext", "state", "r", "abs_z"):
        assert key in cp
    assert set(cp["state"]) == {"x", "y"}
    assert doc["branches"] and doc["branches"][0]["points"] > 10
    proc = subprocess.run([sys.executable, "-m", "thetabif", "cycles", "--from", "HB1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "no special point 'HB1'" in proc.stderr
    # a branch cut by --max-points says so in the document and on stderr
    proc = subprocess.run([sys.executable, "-m", "thetabif", "equilibria", "--range=-10:5",
                           "--max-points", "300", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    # the branch from the start is cut, and so is the one seeded at eta = 5 (which the
    # cut branch did not reach)
    assert {m[:10] for m in doc["messages"]} == {"step_limit"}
    assert "step_limit" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "thetabif", "equilibria", "--max-points",
                           "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "--max-points: must be an integer >= 2" in proc.stderr


def test_engine_executable_is_parameter_independent(theta_eq):
    """One executable per model: other starting parameters restart from fort.3 text."""
    cont, eq = theta_eq
    other = Continuation(ThetaModel(), {"J": 9.0, "eta": -4.0})
    assert other._executable() == cont._executable()
    # the restart file carries the parameters: the J = 9 folds come out right
    eq9 = other.equilibria("eta", -10.0, 5.0)
    expected = sorted(eta_of_rate(r, 9.0) for r in fold_rates(9.0))
    np.testing.assert_allclose([p.params["eta"] for p in eq9.special("LP")], expected,
                               atol=1e-9)


# ---------------------------------------------------------------------------
# n = 2 with first-order inhibitory synapses (3 states): tau_s = 1, J = -40.
# Scanned (find_equilibria over eta in [-10, 30], J in {-5, ..., -40}, tau_s in
# {0.5, 1, 2}): unstable foci for J = -40, tau_s = 1 between eta ~ 11.6 and 22.9.
SYN = {"J": -40.0, "tau_s": 1.0}


@pytest.fixture(scope="module")
def syn_run():
    model = ThetaModel(n=2, synapse="first-order")
    cont = Continuation(model, SYN)
    return model, cont, cont.equilibria("eta", -20.0, 40.0)


def hopf_by_hurwitz(model, params, guess_state, guess_eta):
    """Independent Hopf solve for 3 states: f = 0 and a1 a2 - a3 = 0 (Routh-Hurwitz).

    ``l^3 + a1 l^2 + a2 l + a3`` is the characteristic polynomial of a Jacobian taken
    by central differences of the right-hand side (not the analytic one).
    """
    num = model.numeric

    def G(z):
        p = num.parameter_vector({**params, "eta": z[3]})
        u = z[:3]
        h = 1e-6 * np.maximum(1.0, np.abs(u))
        A = np.column_stack([(num.rhs(u + hk * e, p) - num.rhs(u - hk * e, p)) / (2 * hk)
                             for hk, e in zip(h, np.eye(3), strict=True)])
        a1, a2, a3 = -np.trace(A), 0.5 * (np.trace(A) ** 2 - np.trace(A @ A)), -np.linalg.det(A)
        return [*num.rhs(u, p), a1 * a2 - a3]

    sol = root(G, [*guess_state, guess_eta], tol=1e-12)
    # MINPACK may stop at the noise floor of the differenced Hurwitz row (~1e-9)
    assert np.max(np.abs(G(sol.x))) < 1e-8
    return sol.x


def test_syn_hopf_points_against_hurwitz_newton(syn_run):
    model, cont, eq = syn_run
    hbs = eq.special("HB")
    assert len(hbs) == 2  # both ends of the unstable-focus interval
    full = model.validate_params(SYN)
    for hb in hbs:
        st = [hb.state[k] for k in model.state_names]
        x = hopf_by_hurwitz(model, full, [v * 1.001 for v in st], hb.params["eta"] + 1e-3)
        # central differences with h = 1e-6 limit the independent solve to ~1e-8
        assert hb.params["eta"] == pytest.approx(x[3], abs=1e-7)
        np.testing.assert_allclose(st, x[:3], atol=1e-7)
        eig = np.linalg.eigvals(model.numeric.jacobian(np.array(st),
                                                       model.numeric.parameter_vector(hb.params)))
        pair = eig[np.argsort(np.abs(eig.real))[:2]]
        assert np.max(np.abs(pair.real)) < 1e-9 and np.min(np.abs(pair.imag)) > 0.1
        assert hb.l1 < 0  # supercritical (a stable cycle is born)
        assert hb.polish_difference < 1e-5


def test_syn_bt_on_hopf_and_fold_curves_and_no_bautin(syn_run):
    """BT where the Hopf curve meets the fold curve; l1 < 0 all along: no GH at Delta = 1.

    (GH points appear for smaller Delta and faster synapses: see SYN_GH below.)
    """
    from thetabif.polish import first_lyapunov_coefficient, polish

    model, cont, eq = syn_run
    box = {"eta": (-40.0, 60.0), "J": (-100.0, 20.0)}
    hopf = cont.curve(eq.point("HB1"), ("eta", "J"), box)
    fold = cont.curve(eq.point("LP1"), ("eta", "J"), box)
    (bt,) = hopf.special("BT")
    # the same BT on the fold curve, both polished by Newton on the BT system
    assert any(abs(b.params["eta"] - bt.params["eta"]) < 1e-8
               and abs(b.params["J"] - bt.params["J"]) < 1e-8 for b in fold.special("BT"))
    u = np.array([bt.state[k] for k in model.state_names])
    eig = np.sort(np.abs(np.linalg.eigvals(
        model.numeric.jacobian(u, model.numeric.parameter_vector(bt.params)))))
    # double zero eigenvalue (a Jordan block: ~sqrt(eps) from rounding), third one not
    assert eig[1] < 1e-6 and eig[2] > 0.1
    assert bt.polish_difference < 1e-2  # AUTO's codimension-two estimate
    # AUTO labels no Bautin point; l1 stays negative along the curve (polished HB
    # points every ~200 curve points, away from the BT where omega -> 0).
    assert not hopf.special("GH")
    for b in hopf.branches:
        d = b.data
        for i in range(0, len(b), 200):
            if abs(d["eta"][i] - bt.params["eta"]) < 0.2:
                continue
            st = [d[k][i] for k in model.state_names]
            pp = polish(model, "HB", ["eta"], st, {**SYN, "J": d["J"][i], "eta": d["eta"][i]})
            assert first_lyapunov_coefficient(model, pp.state, pp.params) < 0


def test_syn_cycles_end_at_homoclinic_with_bistability(syn_run):
    """Cycles from HB2 grow towards a homoclinic orbit at eta_h; checked by simulation.

    Above eta_h the stable cycle coexists with the stable low-rate equilibrium
    (bistability); below it, the same initial state relaxes to the equilibrium.
    """
    model, cont, eq = syn_run
    hb = eq.point("HB2")
    cyc = cont.cycles(hb, "eta", -20.0, 40.0)
    assert any("homoclinic_approach" in m for m in cyc.messages)
    start = cyc.branches[0].data
    assert start["period"][0] == pytest.approx(2 * np.pi / hb.extra["frequency"], rel=1e-7)
    # AUTO labels LPs there, all at eta_h with periods from ~20 to ~1e8: artefacts of
    # the homoclinic approach. The branch ends where it arrives at eta_h; nothing on the
    # approach is labelled, and eta_h is reported as the estimate of the homoclinic point
    assert not cyc.special("LP")
    assert any("AUTO labelled on the approach" in m for m in cyc.messages)
    hom = cyc.homoclinic
    eta_h = hom["eta"]
    assert hom["period"] > 1e6  # AUTO's last orbits: periods ~1e7 at eta_h
    end = cyc.branches[-1].data
    # the branch ends at its first orbit past the cut period, within 1e-6 of eta_h
    assert abs(end["eta"][-1] - eta_h) < 1e-6 * eta_h
    assert end["period"][-1] > hom["cut_period"] > end["period"][-2]
    ref = max(cyc.orbits, key=lambda o: o["period"] if o["period"] < 50 else 0)
    z0, s0 = complex(-0.36, -0.75), -17.1
    above = simulate(model, {**SYN, "eta": eta_h + 0.05}, t_end=400.0, dt=0.01, z0=z0, s0=s0)
    r = above.r.to_numpy()[above.time.to_numpy() > 300.0]
    assert r.max() - r.min() > 0.5  # oscillating, r between ~0.1 and ~0.73
    assert r.max() == pytest.approx(ref["r_max"], rel=0.05)  # orbit's r_max, 5%: not at eta
    low = find_equilibria(model, {**SYN, "eta": eta_h + 0.05})[0]
    assert low.stable  # bistability: the low-rate equilibrium is stable too
    below = simulate(model, {**SYN, "eta": eta_h - 0.05}, t_end=400.0, dt=0.01, z0=z0, s0=s0)
    r = below.r.to_numpy()[below.time.to_numpy() > 300.0]
    low_b = find_equilibria(model, {**SYN, "eta": eta_h - 0.05})[0]
    assert np.max(np.abs(r - low_b.r)) < 1e-6  # relaxed onto the low-rate equilibrium


WARM_CHILD = """
import json, sys
from thetabif import Continuation, ThetaModel
cont = Continuation(ThetaModel(), {"J": 15.0})
eq = cont.equilibria("eta", -10.0, 5.0)
fold = cont.curve(eq.point("LP1"), ("eta", "J"), {"eta": (-20.0, 20.0), "J": (-40.0, 40.0)})
print(json.dumps({"heavy": sorted(m for m in ("sympy", "scipy") if m in sys.modules),
                  "cusp": [fold.special("CP")[0].params[k] for k in ("eta", "J")]}))
"""


def test_warm_run_imports_neither_sympy_nor_scipy(tmp_path):
    """Second process on a filled cache: no code generation, no sympy, no scipy.

    (The benchmark's "warm" variant; the first process fills a private cache.)
    """
    import os

    env = {**os.environ, "THETABIF_CACHE_DIR": str(tmp_path)}
    docs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", WARM_CHILD], capture_output=True,
                              text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        docs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert docs[1]["heavy"] == []
    _, J_c, eta_c = cusp()
    assert docs[1]["cusp"] == pytest.approx([eta_c, J_c], abs=1e-9)


# ---------------------------------------------------------------------------
# A Bautin (GH) point. At Delta = 1 none exists on the Hopf curves of the n = 2
# model with first-order inhibitory synapses (l1 < 0 along every curve computed for
# tau_s in [0.002, 5]; see test_syn_bt_..._no_bautin); for Delta <= 0.3 and fast
# synapses there are (test_syn_bautin_points_where_theory_puts_them). The
# conductance-based model with a first-order synapse has one on its Hopf curve in
# (eta, v_s), which AUTO 0.9 does not label: thetabif finds it from the sign change
# of l1 and polishes it on the GH system.


def l1_by_differences(model, state, params, h=1e-3):
    """First Lyapunov coefficient with multilinear forms from central differences of f.

    Independent of thetabif.polish (no symbolic derivatives): Kuznetsov's formula with
    ``B`` and ``C`` from polarization of second/third directional differences.
    Truncation error ~h^2 relative, rounding ~1e-16/h^3: ~1e-7 absolute here.
    """
    num = model.numeric
    p = num.parameter_vector(params)
    x = np.asarray(state, dtype=float)

    def f(y):
        return num.rhs(y, p)

    def b2(a, c):  # real bilinear form D2f[a, c]
        return (f(x + h * (a + c)) - f(x + h * (a - c)) - f(x - h * (a - c))
                + f(x - h * (a + c))) / (4 * h * h)

    def c3(a):  # real cubic form D3f[a, a, a]
        return (f(x + 2 * h * a) - 2 * f(x + h * a) + 2 * f(x - h * a) - f(x - 2 * h * a)) / (
            2 * h**3)

    def B(q1, q2):
        a1, b1, a2, b2_ = q1.real, q1.imag, q2.real, q2.imag
        return b2(a1, a2) - b2(b1, b2_) + 1j * (b2(a1, b2_) + b2(b1, a2))

    A = num.jacobian(x, p)
    eig, vecs = np.linalg.eig(A)
    k = int(np.argmax(eig.imag))
    w = eig[k].imag
    q = vecs[:, k]
    eig_t, vecs_t = np.linalg.eig(A.T)
    pv = vecs_t[:, int(np.argmin(np.abs(eig_t + 1j * w)))]
    pv = pv / np.conj(np.vdot(pv, q))
    a, b = q.real, q.imag
    # C(q, q, conj q) = C(a,a,a) + C(a,b,b) + i [C(a,a,b) + C(b,b,b)], mixed terms by
    # polarization of the cubic form c(v) = C(v, v, v)
    caab = (c3(a + b) - c3(a - b) - 2 * c3(b)) / 6
    cabb = (c3(a + b) + c3(a - b) - 2 * c3(a)) / 6
    cqqq = c3(a) + cabb + 1j * (caab + c3(b))
    n = len(x)
    h11 = np.linalg.solve(A, B(q, np.conj(q)))
    h20 = np.linalg.solve(2j * w * np.eye(n) - A, B(q, q))
    val = np.vdot(pv, cqqq) - 2 * np.vdot(pv, B(q, h11)) + np.vdot(pv, B(np.conj(q), h20))
    return float(val.real / (2 * w))


def test_bautin_point_found_and_polished():
    from thetabif.polish import first_lyapunov_coefficient, polish

    model = ThetaModel(synapse="first-order", coupling="conductance")
    cont = Continuation(model, {})
    eq = cont.equilibria("eta", -30.0, 60.0)
    hopf = cont.curve(eq.point("HB1"), ("eta", "v_s"), {"eta": (-100.0, 500.0),
                                                         "v_s": (-200.0, 200.0)},
                      dsmax=0.2, nmx=10000)
    (gh,) = hopf.special("GH")
    assert gh.extra["detected_by"].startswith("l1 sign change")
    # AUTO flagged a "Possible special point" there but did not locate it: its estimate
    # is 0.064 off in eta and 6.3e-3 in v_s (one step of DSMAX = 0.2)
    assert "Possible special point" in gh.extra["auto_note"]
    # the record round-trips (the note used to overwrite AUTO's location in the JSON)
    again = ContinuationResult.from_json_dict(json.loads(json.dumps(hopf.to_json_dict())))
    (gh2,) = again.special("GH")
    assert gh2.auto_params == gh.auto_params and gh2.l2 == gh.l2
    assert 1e-3 < gh.polish_difference < 0.2
    # the defining system (f = 0, Hurwitz = 0, l1 = 0) holds to 1e-9 at the polished point
    again = polish(model, "GH", ("eta", "v_s"), list(gh.state.values()), gh.params)
    assert again.residual < 1e-9
    assert again.params["eta"] == pytest.approx(gh.params["eta"], abs=1e-9)
    assert again.params["v_s"] == pytest.approx(gh.params["v_s"], abs=1e-9)
    u = np.array(list(gh.state.values()))
    p = model.numeric.parameter_vector(gh.params)
    assert np.max(np.abs(model.numeric.rhs(u, p))) < 1e-12
    eig = np.linalg.eigvals(model.numeric.jacobian(u, p))
    pair = eig[np.argsort(np.abs(eig.real))[:2]]
    assert np.max(np.abs(pair.real)) < 1e-9 and np.min(np.abs(pair.imag)) > 1.0
    # independently: l1 (by differences, not thetabif's symbolic tensors) has opposite
    # signs at polished Hopf points on either side of the GH point along the curve
    signs = []
    for dv in (-3.0, 3.0):
        v_s = gh.params["v_s"] + dv
        d = next(b.data for b in hopf.branches if np.min(np.abs(b.data["v_s"] - v_s)) < 0.2)
        i = int(np.argmin(np.abs(d["v_s"] - v_s)))
        st = [d[k][i] for k in model.state_names]
        hb = polish(model, "HB", ["eta"], st, {"eta": d["eta"][i], "v_s": d["v_s"][i]})
        l1_fd = l1_by_differences(model, hb.state, hb.params)
        l1_an = first_lyapunov_coefficient(model, hb.state, hb.params)
        assert l1_fd == pytest.approx(l1_an, rel=1e-2, abs=1e-6)
        signs.append(np.sign(l1_fd))
    assert signs[0] * signs[1] < 0


def test_fold_of_cycles_near_bautin_bistability():
    """Past the GH point (v_s = 9.345) the Hopf point is subcritical: the unstable
    cycles born there fold (LP, a Floquet multiplier at +1) into large stable ones.
    Between the fold and the Hopf point a stable equilibrium and a stable cycle coexist
    (checked by simulation); below the fold the same start relaxes to the equilibrium.
    """
    model = ThetaModel(synapse="first-order", coupling="conductance")
    P = {"v_s": 9.345}
    cont = Continuation(model, {**P, "eta": -5.0})
    eq = cont.equilibria("eta", -100.0, 60.0)
    (hb,) = eq.special("HB")
    assert hb.l1 > 0  # subcritical
    cyc = cont.cycles(hb, "eta", -100.0, 60.0)
    (lpc,) = cyc.special("LP")
    assert not lpc.extra.get("near_homoclinic")
    assert lpc.params["eta"] < hb.params["eta"]  # unstable cycles on the stable side
    # trivial and critical multipliers both at +1 (AUTO prints 6 digits)
    mult = sorted(abs(complex(*m) - 1.0) for m in lpc.extra["multipliers"])
    assert mult[1] < 1e-5 and mult[2] > 0.1
    orbits = cyc.orbits
    assert not orbits[0]["stable"] and any(o["stable"] for o in orbits)
    start = complex(lpc.state["x"], lpc.state["y"]), lpc.state["s"]

    def amplitude(eta, z0, s0, window):
        ds = simulate(model, {**P, "eta": eta}, t_end=window[1], dt=0.001, z0=z0, s0=s0)
        t, r = ds.time.to_numpy(), ds.r.to_numpy()
        sel = (t > window[0]) & (t <= window[1])
        return r[sel].min(), r[sel].max()

    eta_mid = 0.5 * (lpc.params["eta"] + hb.params["eta"])
    focus = min(find_equilibria(model, {**P, "eta": eta_mid}), key=lambda e: abs(e.r - hb.r))
    assert focus.stable
    lo, hi = amplitude(eta_mid, *start, (150.0, 160.0))
    assert hi - lo > 2.0  # on the large stable cycle (r ~ 0.5 to 4)
    lo, hi = amplitude(eta_mid, complex(focus.state[0] + 1e-3, focus.state[1]),
                       focus.state[2], (150.0, 160.0))
    assert max(abs(lo - focus.r), abs(hi - focus.r)) < 0.05  # stays at the focus
    below = lpc.params["eta"] - 0.5
    lo1, hi1 = amplitude(below, *start, (50.0, 60.0))
    lo2, hi2 = amplitude(below, *start, (190.0, 200.0))
    assert hi2 - lo2 < 0.2 * (hi1 - lo1)  # no cycle: relaxing onto the focus


def test_restart_text_is_a_solution_file():
    """thetabif's fort.3 parses as AUTO 0.9's solution format, digits intact."""
    from thetabif.auto.parse import parse_fort8
    from thetabif.continuation import restart_text

    u = np.array([-0.53717146985623, -0.72348389671812, 17.123456789012345])
    p = np.array([-5.0, 15.0, 1.0, 1.0, 0.0, 0.123456789012345678])
    (sol,) = parse_fort8(restart_text(u, p, 2, 0.6, [0.8, 0.0, 0.0]))
    assert (sol.label, sol.type, sol.ips, sol.ndim, sol.free_parameters) == (1, "EP", 1, 3, (2,))
    np.testing.assert_array_equal(sol.u[0], u)  # 17 significant digits: exact round trip
    np.testing.assert_array_equal(sol.par[:6], p)
    assert len(sol.par) == 36 and not np.any(sol.par[6:])


def test_unsolved_polish_falls_back_to_auto(monkeypatch):
    """A Newton result whose residual is not small is not reported as polished."""
    import thetabif.continuation.convert as convert  # polishes AUTO's special points

    real = convert.polish

    def unsolved(*args, **kwargs):
        from dataclasses import replace

        return replace(real(*args, **kwargs), residual=1e-3)

    monkeypatch.setattr(convert, "polish", unsolved)
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.warns(RuntimeWarning, match="residual 0.001"):
        eq = cont.equilibria("eta", -10.0, 5.0)
    for p in eq.special("LP"):
        assert p.polish_difference is None
        assert p.params["eta"] == pytest.approx(p.auto_params["eta"], abs=1e-12)


def test_bautin_on_the_n2_hopf_curve_at_smaller_delta():
    """The n = 2 model's Hopf curve carries a GH point for Delta = 0.5 (none at Delta = 1).

    Checked independently of the GH defining system: l1 (Kuznetsov's formula) of
    Newton-polished Hopf points on the curve just below and above the GH point in J
    has opposite signs.
    """
    from thetabif.polish import polish

    model = ThetaModel(n=2)
    cont = Continuation(model, {"J": -40.0, "Delta": 0.5, "eta": -5.0})
    eq = cont.equilibria("eta", -50.0, 100.0)
    hopf = cont.curve(eq.special("HB")[0], ("eta", "J"),
                      {"eta": (-100.0, 300.0), "J": (-400.0, 100.0)})
    (gh,) = hopf.special("GH")
    assert gh.extra["residual"] < 1e-9
    # AUTO's own estimate is a test-function location, ~1e-4 off here
    assert gh.polish_difference is not None and gh.polish_difference > 1e-6
    df = hopf.to_dataframe()
    signs = []
    for dJ in (-0.5, 0.5):
        row = df.iloc[int(np.argmin(np.abs(df["J"] - (gh.params["J"] + dJ))))]
        hb = polish(model, "HB", ["eta"], [row["x"], row["y"]],
                    {"eta": row["eta"], "J": row["J"], "Delta": 0.5})
        signs.append(np.sign(hb.l1))
    assert signs[0] == -signs[1]


# ---------------------------------------------------------------------------
# n = 2 with first-order inhibitory synapses: where theory puts BT and GH.
# The equilibria of this model are explicit in the rate r (MPR form: v = -Delta /
# (2 pi r), drive = pi^2 r^2 - v^2, s = J H_2(z) / pi), so its Hopf curve in (eta, J)
# is a curve r -> J(r) on which the Hurwitz determinant a1 a2 - a3 of the Jacobian
# vanishes with a2 = omega^2 > 0. BT: a2 = a3 = 0 (double zero); GH: l1 = 0. Both are
# computed below from that parametrization alone, with Jacobians and l1 by central
# differences of f, and compared with what thetabif + AUTO find by continuation.
# A scan of that parametrization (l1 along the Hopf curve for Delta in {0.05, ...,
# 2} x tau_s in {0.002, ..., 5}) finds GH points for Delta <= 0.3 with fast synapses
# (tau_s <= 0.2) and none for Delta >= 1 or tau_s >= 1. At Delta = 0.2, tau_s = 0.2
# the curve carries two: l1 goes - + - along it. AUTO 0.9 labels the first; thetabif
# finds the second from the sign change of l1.
SYN_GH = {"Delta": 0.2, "tau_s": 0.2}


def _h2(z):
    """H_2(z) = a_2 [3/2 - (z + conj z) + (z^2 + conj z^2) / 4], a_2 = 2/3 (design.md)."""
    return (2.0 / 3.0) * (1.5 - 2 * z.real + 0.5 * (z * z).real)


def _syn_equilibrium(r, J):
    """State (x, y, s) and eta of the equilibrium with rate r at coupling J (tau = 1)."""
    delta = SYN_GH["Delta"]
    v = -delta / (2 * np.pi * r)
    w = np.pi * r + 1j * v  # W = (1 - conj z) / (1 + conj z)
    z = np.conj((1 - w) / (1 + w))
    s = J * _h2(z) / np.pi
    eta = np.pi**2 * r**2 - v**2 - s
    return np.array([z.real, z.imag, s]), {**SYN_GH, "J": J, "eta": eta}


def _fd_jacobian(model, u, params, h=1e-6):
    p = model.numeric.parameter_vector(model.validate_params(params))
    return np.column_stack([(model.numeric.rhs(u + h * e, p) - model.numeric.rhs(u - h * e, p))
                            / (2 * h) for e in np.eye(len(u))])


def _char_coeffs(A):
    """l^3 + a1 l^2 + a2 l + a3 = det(l - A)."""
    return -np.trace(A), 0.5 * (np.trace(A) ** 2 - np.trace(A @ A)), -np.linalg.det(A)


def _hopf_J(model, r, J_lo, J_hi):
    """J on the Hopf curve at rate r: root of the Hurwitz determinant a1 a2 - a3."""
    from scipy.optimize import brentq

    def hurwitz(J):
        a1, a2, a3 = _char_coeffs(_fd_jacobian(model, *_syn_equilibrium(r, J)))
        return a1 * a2 - a3

    return brentq(hurwitz, J_lo, J_hi, xtol=1e-13)


@pytest.fixture(scope="module")
def syn_gh_run():
    model = ThetaModel(n=2, synapse="first-order")
    cont = Continuation(model, {**SYN_GH, "J": -11.5, "eta": 0.0})
    eq = cont.equilibria("eta", -20.0, 100.0)
    hopf = cont.curve(eq.special("HB")[0], ("eta", "J"), {"eta": (-50.0, 200.0),
                                                           "J": (-200.0, 50.0)})
    return model, eq, hopf


def test_syn_bt_where_theory_puts_it(syn_gh_run):
    model, _, hopf = syn_gh_run
    (bt,) = hopf.special("BT")

    def bt_system(v):  # a2 = a3 = 0 at the equilibrium of rate r, coupling J
        _, a2, a3 = _char_coeffs(_fd_jacobian(model, *_syn_equilibrium(*v)))
        return [a2, a3]

    u = np.array([bt.state[k] for k in model.state_names])
    sol = root(bt_system, [model.numeric.output(
        "r", u, model.numeric.parameter_vector(bt.params)), bt.params["J"] + 0.05], tol=1e-13)
    state, params = _syn_equilibrium(*sol.x)
    # differenced Jacobian (h = 1e-6): coefficients good to ~1e-9, the BT to ~1e-7
    assert np.max(np.abs(bt_system(sol.x))) < 1e-8
    assert bt.params["J"] == pytest.approx(params["J"], abs=1e-6)
    assert bt.params["eta"] == pytest.approx(params["eta"], abs=1e-6)
    np.testing.assert_allclose(u, state, atol=1e-6)


def test_syn_bautin_points_where_theory_puts_them(syn_gh_run):
    """Both GH points are where l1 (by differences) vanishes on the r-parametrized curve.

    AUTO labels the first; the second comes from thetabif's l1 sign-change scan. Both
    are polished on the GH system (residual < 1e-9).
    """
    from scipy.optimize import brentq

    model, _, hopf = syn_gh_run
    ghs = sorted(hopf.special("GH"), key=lambda p: p.params["eta"])
    assert len(ghs) == 2
    assert "detected_by" not in ghs[0].extra  # AUTO's label
    assert ghs[1].extra["detected_by"].startswith("l1 sign change")
    # l1 = 0 there: neither super- nor subcritical
    assert all(g.to_dict()["criticality"] == "degenerate" for g in ghs)
    num = model.numeric
    for gh in ghs:
        u = np.array([gh.state[k] for k in model.state_names])
        r_gh = float(num.output("r", u, num.parameter_vector(gh.params)))
        J0 = gh.params["J"]

        def l1_on_curve(r, J0=J0):
            J = _hopf_J(model, r, J0 - 0.3, J0 + 0.3)
            state, params = _syn_equilibrium(r, J)
            return l1_by_differences(model, state, model.validate_params(params))

        # l1 changes sign across the GH point along the curve (3% in r either side)
        lo, hi = l1_on_curve(0.97 * r_gh), l1_on_curve(1.03 * r_gh)
        assert lo * hi < 0
        r_star = brentq(l1_on_curve, 0.97 * r_gh, 1.03 * r_gh, xtol=1e-12)
        state, params = _syn_equilibrium(r_star, _hopf_J(model, r_star, J0 - 0.3, J0 + 0.3))
        # l1 by differences carries ~1e-7 absolute error and changes by ~2 per unit r
        # here: the independent GH is good to ~1e-6 in r, ~1e-5 in eta and J
        # (measured: 5e-7 and 2.5e-6 in J)
        assert gh.params["eta"] == pytest.approx(params["eta"], abs=2e-5)
        assert gh.params["J"] == pytest.approx(params["J"], abs=2e-5)
        np.testing.assert_allclose(u, state, atol=2e-5)
    # the first GH as AUTO placed it is a test-function estimate, ~1e-6 off here; the
    # second one AUTO does not label at all
    assert ghs[0].polish_difference is not None and ghs[0].polish_difference < 1e-3


# ---------------------------------------------------------------------------
# A branch is followed to the end of its range however many AUTO runs that takes:
# a run that stops after NMX steps inside the range is restarted from its last point.
def test_runs_stopped_by_nmx_are_continued(theta_eq):
    _, whole = theta_eq
    cont = Continuation(ThetaModel(), {"J": 15.0})
    eq = cont.equilibria("eta", -10.0, 5.0, nmx=150)  # ~1000 points per direction
    assert not eq.messages
    assert len(eq.branches) == 2  # one per direction, its runs joined
    ends = sorted(b.data["eta"][-1] for b in eq.branches)
    np.testing.assert_allclose(ends, [-10.0, 5.0], atol=1e-6)  # both left the range
    for b in eq.branches:
        assert b.data["type"][-1] == "UZ"
        assert "EP" not in b.data["type"].tolist()  # the joins are not ends
        d = b.data
        # joined without a gap or a repeated point: steps stay between 0 and DSMAX
        # (0.02, in AUTO's norm, which weighs r and v like eta)
        steps = np.hypot(np.diff(d["eta"]), np.diff(d["x"]))
        assert steps.min() > 0 and steps.max() < 0.05
        # every point is an equilibrium of the closed form
        np.testing.assert_allclose(d["eta"], eta_of_rate(d["r"], 15.0), atol=1e-9)
    assert [p.type for p in eq.special_points] == [p.type for p in whole.special_points]
    expected = sorted(eta_of_rate(r, 15.0) for r in fold_rates(15.0))
    np.testing.assert_allclose([p.params["eta"] for p in eq.special("LP")], expected,
                               atol=1e-9)


def test_step_limit_is_reported_not_silent():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.warns(RuntimeWarning, match="step_limit"):
        eq = cont.equilibria("eta", -10.0, 5.0, max_points=300)
    # downwards the branch leaves the range within 300 points; upwards, through both
    # folds, it does not, and says so (and so does the branch seeded at eta = 5)
    msg = eq.messages[0]
    assert all(m.startswith("step_limit") for m in eq.messages)
    up, down = eq.branches[:2]  # from the start: upwards first
    assert (up.direction, down.direction) == (1, -1)
    assert msg.startswith("step_limit") and f"eta={up.data['eta'][-1]:.6g}" in msg
    assert len(up) == 300 and up.data["type"][-1] == "EP" and -10 < up.data["eta"][-1] < 5
    assert down.data["type"][-1] == "UZ" and down.data["eta"][-1] == pytest.approx(-10.0)
    for bad in (0, 1, -5, 2.5, True):
        with pytest.raises(ValueError, match=f"max_points must be an integer >= 2, got {bad!r}"):
            cont.equilibria("eta", -10.0, 5.0, max_points=bad)


def test_polish_leaving_the_domain_falls_back_to_auto(monkeypatch):
    """Newton stepping out of a parameter's domain (seen: tau_s < 0 while polishing a GH
    point on a Hopf curve in (eta, tau_s)) costs the polish, not the whole curve."""
    import thetabif.continuation.convert as convert  # polishes AUTO's special points

    def leaves_domain(*args, **kwargs):
        raise ValueError("parameter 'tau_s' must be > 0, got -8.26")

    monkeypatch.setattr(convert, "polish", leaves_domain)
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.warns(RuntimeWarning, match="Newton polishing failed .*tau_s"):
        eq = cont.equilibria("eta", -10.0, 5.0)
    assert len(eq.special("LP")) == 2
    for p in eq.special("LP"):
        assert p.polish_difference is None
        assert p.params["eta"] == pytest.approx(p.auto_params["eta"], abs=1e-12)


def test_closure_detection_on_known_curves():
    """_closure_index cuts a closed curve at its first return, heading the same way.

    A circle traversed twice is cut after one turn; a lemniscate started at its
    crossing passes the start half-way round heading elsewhere (not closed there) and
    closes after the whole figure; a spiral that passes near its start does not close.
    """
    from thetabif.continuation.engine import _closure_index

    h = 0.01  # step along the curve (like DSMAX)
    t = np.arange(0.0, 4 * np.pi, h)
    circle = np.column_stack([np.cos(t), np.sin(t), np.zeros_like(t)])
    i = _closure_index(circle, 3 * h)
    assert i is not None and abs(t[i] - 2 * np.pi) <= h
    lem = np.column_stack([np.sin(t), np.sin(t) * np.cos(t), np.zeros_like(t)])
    i = _closure_index(lem, 3 * h)
    assert i is not None and abs(t[i] - 2 * np.pi) <= h  # not at t = pi
    spiral = (1 + 0.02 * t)[:, None] * circle
    assert _closure_index(spiral, 3 * h) is None
    assert _closure_index(circle[:100], 3 * h) is None  # never went away


def test_hopf_curve_ends_in_bt_not_on_the_neutral_saddle():
    """Past a BT point AUTO's Hopf continuation follows a neutral saddle (a real pair
    +-mu, no Hopf point). Here (n = 2, first-order synapse, HB2 in (eta, tau_s)) AUTO
    labels a GH at the turn, where l1 has its pole (omega -> 0): thetabif keeps only
    the Hopf stretch and reports the BT, polished on the BT system."""
    model = ThetaModel(n=2, synapse="first-order")
    cont = Continuation(model, {"J": -40.0, "tau_s": 1.0, "eta": -5.0})
    eq = cont.equilibria("eta", -50.0, 200.0)
    with pytest.warns(RuntimeWarning):  # AUTO's GH cannot be polished as a GH
        hopf = cont.curve(eq.point("HB2"), ("eta", "tau_s"),
                          {"eta": (-100.0, 300.0), "tau_s": (0.001, 20.0)},
                          max_points=20000)
    assert any(m.startswith("neutral_saddle") for m in hopf.messages)
    num = model.numeric
    for b in hopf.branches:  # every point kept has a complex critical pair
        d = b.data
        assert np.all((d["omega"] > 0) | (d["type"] == "BT"))
        i = int(np.argmin(d["omega"]))
        A = num.jacobian([d[k][i] for k in model.state_names], num.parameter_vector(
            {**cont.params, "eta": d["eta"][i], "tau_s": d["tau_s"][i]}))
        eig = np.linalg.eigvals(A)
        assert np.min(np.abs(eig.real)) < 1e-6 and np.max(np.abs(eig.imag)) > 0
    (bt,) = hopf.special("BT")
    assert bt.extra["auto_label"] == "GH" and not hopf.special("GH")
    # independently: a double zero eigenvalue (non-semisimple: ~sqrt(eps) apart after
    # rounding) and an equilibrium, at the polished point
    u = np.array([bt.state[k] for k in model.state_names])
    p = num.parameter_vector(bt.params)
    assert np.max(np.abs(num.rhs(u, p))) < 1e-12
    eig = np.sort(np.abs(np.linalg.eigvals(num.jacobian(u, p))))
    assert eig[1] < 1e-6 and eig[2] > 0.1
    # the end of the Hopf stretch lies next to it (one AUTO step)
    ends = [(b.data["eta"][k], b.data["tau_s"][k]) for b in hopf.branches for k in (0, -1)]
    assert min(np.hypot(e - bt.params["eta"], t - bt.params["tau_s"]) for e, t in ends) < 0.05
