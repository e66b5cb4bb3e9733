"""Two-parameter curves and limit cycles of circuits, checked independently.

* the Hopf curve of the PING circuit in (eta_E, J_EI): every point inside the box, and
  points along it against Newton on the Hopf defining system written here in the
  (r, v) form (J_EI held at the curve's value, eta_E and the frequency solved for);
* the Hopf curve in (eta_E, J_EE) ends at two Bogdanov-Takens points, where the (r, v)
  Jacobian written here has a double zero eigenvalue, and which the fold curve (a
  different AUTO run, from a fold of the equilibria at J_EE = 15) meets too; the fold
  curve's points against Newton on the fold system in the (r, v) form;
* the PING cycles: period and range of r_E at eta_E = 1 against a simulation, which
  converges to the orbit (AUTO's Floquet multipliers say it is stable); the branch
  from one Hopf point ends at the other (``hopf_end``), with nothing labelled there.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import fsolve

import thetabif
from thetabif import Continuation
from thetabif.continuation.records import StopReason
from thetabif.errors import InputError
from thetabif.models.circuit_file import read_circuit
from thetabif.plotting import CYCLE_COLOR, bifurcation_diagram

PING = read_circuit("ping")
EDGES = ("EE", "EI", "IE", "II")


def rv_rhs(X: np.ndarray, p: dict) -> np.ndarray:
    """The PING circuit in the (r, v) form, written from the QIF mean field (delta
    pulses, current coupling, first-order synapses):
    ``tau r' = Delta/(pi tau) + 2 r v``, ``tau v' = v^2 + eta + s_tot - (pi tau r)^2``,
    ``tau_s s' = -s + J r_source``. ``X`` = (r_E, v_E, r_I, v_I, s_EE, s_EI, s_IE, s_II)."""
    r = {"E": X[0], "I": X[2]}
    v = {"E": X[1], "I": X[3]}
    s = dict(zip(EDGES, X[4:], strict=True))
    out = []
    for q in ("E", "I"):
        tau, delta = p[f"tau_{q}"], p[f"Delta_{q}"]
        out += [(delta / (math.pi * tau) + 2 * r[q] * v[q]) / tau,
                (v[q] ** 2 + p[f"eta_{q}"] + s[q + "E"] + s[q + "I"]
                 - (math.pi * tau * r[q]) ** 2) / tau]
    out += [(-s[k] + p[f"J_{k}"] * r[k[1]]) / p[f"tau_s_{k}"] for k in EDGES]
    return np.array(out)


def rv_jacobian(X: np.ndarray, p: dict) -> np.ndarray:
    """Exact Jacobian of :func:`rv_rhs` by complex steps (it is a polynomial in X)."""
    h = 1e-30
    return np.array([rv_rhs(X + 1j * h * e, p).imag / h for e in np.eye(len(X))]).T


def rv_state(state: dict, tau: float = 1.0) -> np.ndarray:
    """(r, v, s) from the circuit's (x, y, s) state: W = (1 - conj z)/(1 + conj z)."""
    X = []
    for q in ("E", "I"):
        z = complex(state[f"x_{q}"], state[f"y_{q}"])
        W = (1 - z.conjugate()) / (1 + z.conjugate())
        X += [W.real / (math.pi * tau), W.imag]
    return np.array(X + [state[f"s_{k}"] for k in EDGES])


def row(branch, i: int) -> dict:
    return {k: float(v[i]) for k, v in branch.data.items()
            if np.asarray(v).dtype.kind == "f"}


def newton_hopf(X: np.ndarray, p: dict, free: str) -> tuple[float, float]:
    """(free, omega) solving F = 0, (DF - i w) q = 0, q_0 = 1 from the point given."""
    lam, vec = np.linalg.eig(rv_jacobian(X, p))
    k = int(np.argmin(np.abs(lam.real) + 1e3 * (lam.imag <= 0)))
    w0, q0 = lam[k].imag, vec[:, k] / vec[0, k]
    n = len(X)

    def system(z):
        pp = {**p, free: z[n]}
        q = z[n + 2:2 * n + 2] + 1j * z[2 * n + 2:]
        res = (rv_jacobian(z[:n], pp) - 1j * z[n + 1] * np.eye(n)) @ q
        return np.concatenate([rv_rhs(z[:n], pp), res.real, res.imag,
                               [q[0].real - 1, q[0].imag]])

    # started 1e-3 off in the free parameter: Newton has to find it
    guess = np.concatenate([X, [p[free] + 1e-3, w0], q0.real, q0.imag])
    sol, info, ok, _ = fsolve(system, guess, xtol=1e-13, full_output=True)
    assert ok == 1 and np.max(np.abs(info["fvec"])) < 1e-11
    return float(sol[n]), float(sol[n + 1])


def newton_fold(X: np.ndarray, p: dict, free: str) -> float:
    """``free`` solving F = 0, DF q = 0, q_0 = 1 from the point given."""
    lam, vec = np.linalg.eig(rv_jacobian(X, p))
    k = int(np.argmin(np.abs(lam)))
    q0 = (vec[:, k] / vec[0, k]).real
    n = len(X)

    def system(z):
        pp = {**p, free: z[n]}
        return np.concatenate([rv_rhs(z[:n], pp), rv_jacobian(z[:n], pp) @ z[n + 1:],
                               [z[n + 1] - 1]])

    sol, info, ok, _ = fsolve(system, np.concatenate([X, [p[free] + 1e-3], q0]),
                              xtol=1e-13, full_output=True)
    assert ok == 1 and np.max(np.abs(info["fvec"])) < 1e-11
    return float(sol[n])


@pytest.fixture(scope="module")
def ping():
    cont = Continuation(PING)
    eq = cont.equilibria("eta_E", -10, 10)
    hb = sorted(eq.special("HB"), key=lambda q: q.params["eta_E"])
    assert [round(q.params["eta_E"], 8) for q in hb] == [0.36000629, 2.38729716]
    return cont, hb


# ------------------------------------------------------------------ Hopf curves
def test_hopf_curve_in_eta_E_and_J_EI_against_newton(ping):
    cont, hb = ping
    box = {"eta_E": (-5.0, 5.0), "J_EI": (-30.0, -2.0)}
    res = cont.curve(hb[0], ("eta_E", "J_EI"), box)
    assert res.kind == "hopf" and res.branches
    for b in res.branches:  # nothing outside the box
        for k, (lo, hi) in box.items():
            assert np.all((b.data[k] >= lo) & (b.data[k] <= hi))
    # the curve runs through both Hopf points of the equilibrium run at J_EI = -10
    pts = np.concatenate([np.column_stack([b.data["eta_E"], b.data["J_EI"]])
                          for b in res.branches])
    for h in hb:
        assert np.min(np.hypot(pts[:, 0] - h.params["eta_E"], pts[:, 1] + 10)) < 0.05
    checked = 0
    for b in res.branches:
        for i in np.linspace(0, len(b) - 1, 4).astype(int)[1:-1]:
            at = row(b, i)
            p = {**PING.defaults, "J_EI": at["J_EI"], "eta_E": at["eta_E"]}
            eta, w = newton_hopf(rv_state(at), p, "eta_E")
            # AUTO's curve points (not polished; Newton to EPSL = EPSU = 1e-7 per step,
            # quadratic, so far better): measured |AUTO - Newton| <= 2.1e-10 here
            assert eta == pytest.approx(at["eta_E"], abs=1e-8)
            assert w > 0
            checked += 1
    assert checked >= 2


@pytest.fixture(scope="module")
def hopf_j_ee(ping):
    cont, hb = ping
    box = {"eta_E": (-10.0, 10.0), "J_EE": (0.0, 20.0)}
    with warnings.catch_warnings():
        # one GH point may keep AUTO's location (a warning says so)
        warnings.simplefilter("ignore", RuntimeWarning)
        return cont.curve(hb[0], ("eta_E", "J_EE"), box), box


def test_hopf_curve_in_eta_E_and_J_EE_ends_at_bogdanov_takens(hopf_j_ee):
    res, box = hopf_j_ee
    bts = sorted(res.special("BT"), key=lambda q: q.params["J_EE"])
    assert len(bts) == 2
    for bt in bts:
        assert all(lo <= bt.params[k] <= hi for k, (lo, hi) in box.items())
        p = {**PING.defaults, **{k: bt.params[k] for k in ("eta_E", "J_EE")}}
        lam = np.sort(np.abs(np.linalg.eigvals(rv_jacobian(rv_state(bt.state), p))))
        # double zero eigenvalue: the pair is ~sqrt(the defining system's residual 1e-10)
        assert lam[1] < 1e-4 < lam[2]
    # one Bautin point between them: l1 in the (r, v) form (exact quadratic forms)
    # vanishes there and changes sign along the curve. AUTO's location stands (Newton
    # on the GH system, whose l1 comes from differences of the Jacobian, stalls at steps
    # ~1e-5); l1 changes by 0.07 per unit of J_EE: measured l1 = -7.9e-7 at the point
    (gh,) = res.special("GH")
    assert bts[0].params["J_EE"] < gh.params["J_EE"] < bts[1].params["J_EE"]
    p = {**PING.defaults, **{k: gh.params[k] for k in ("eta_E", "J_EE")}}
    assert abs(rv_l1(rv_state(gh.state), p)) < 1e-5
    signs = set()
    for b in res.branches:
        near = np.nonzero(np.abs(b.data["J_EE"] - gh.params["J_EE"]) < 0.3)[0]
        for i in near[[0, -1]] if len(near) else []:
            at = row(b, i)
            q = {**PING.defaults, "eta_E": at["eta_E"], "J_EE": at["J_EE"]}
            signs.add(np.sign(rv_l1(rv_state(at), q)) * np.sign(at["J_EE"]
                                                                  - gh.params["J_EE"]))
    assert signs == {1.0}  # l1 < 0 below the GH point, > 0 above it


def test_fold_curve_meets_the_hopf_curve_at_the_bt_points(hopf_j_ee):
    hopf, box = hopf_j_ee
    cont = Continuation(PING, {"J_EE": 15.0})
    eq = cont.equilibria("eta_E", -10, 10)
    lps = eq.special("LP")
    assert len(lps) == 2
    for lp in lps:  # the equilibrium run's folds against Newton on the fold system
        p = {**PING.defaults, "J_EE": 15.0, "eta_E": lp.params["eta_E"]}
        assert newton_fold(rv_state(lp.state), p, "eta_E") == pytest.approx(
            lp.params["eta_E"], abs=1e-8)  # polished to 1e-10
    fold = cont.curve(lps[0], ("eta_E", "J_EE"), box)
    assert fold.kind == "fold"
    for b in fold.branches:
        for k, (lo, hi) in box.items():
            assert np.all((b.data[k] >= lo) & (b.data[k] <= hi))
        for i in np.linspace(0, len(b) - 1, 4).astype(int)[1:-1]:
            at = row(b, i)
            p = {**PING.defaults, "J_EE": at["J_EE"], "eta_E": at["eta_E"]}
            assert newton_fold(rv_state(at), p, "eta_E") == pytest.approx(at["eta_E"],
                                                                            abs=1e-5)
    # the same BT points from two runs, each polished on the BT system to ~1e-9
    for bt in hopf.special("BT"):
        near = min(fold.special("BT"), key=lambda q: abs(q.params["J_EE"]
                                                          - bt.params["J_EE"]))
        for k in ("eta_E", "J_EE"):
            assert near.params[k] == pytest.approx(bt.params[k], abs=1e-6)
    assert fold.special("CP")  # the two folds meet in a cusp


# ------------------------------------------------------------------ cycles
def upward_crossings(t: np.ndarray, x: np.ndarray, level: float) -> np.ndarray:
    """Times where x crosses ``level`` upwards (cubic interpolation of 4 samples)."""
    out = []
    for i in np.nonzero((x[:-1] < level) & (x[1:] >= level))[0]:
        if 1 <= i < len(x) - 2:
            c = np.polyfit(t[i - 1:i + 3] - t[i], x[i - 1:i + 3] - level, 3)
            roots = [z.real for z in np.roots(c) if abs(z.imag) < 1e-12
                     and 0 <= z.real <= t[i + 1] - t[i]]
            out.append(t[i] + roots[0])
    return np.array(out)


def test_ping_cycle_at_eta_E_1_against_simulation(ping):
    cont, hb = ping
    cyc = cont.cycles(hb[0], "eta_E", -10, 1.0)
    (orbit,) = [o for o in cyc.orbits if o["type"] == "UZ"]  # at the range's end
    # AUTO locates a UZ to its EPSS (1e-5): measured 5.6e-7 off
    assert orbit["eta_E"] == pytest.approx(1.0, abs=1e-5)
    assert orbit["stable"]  # Floquet multipliers inside the unit circle
    ds = thetabif.simulate(PING, {"eta_E": orbit["eta_E"]}, t_end=600, dt=0.01)
    t, r = ds.time.values, ds.r_E.values
    late = t > 300  # transients decay as the second multiplier^(t/T), < 1e-10 by then
    level = 0.5 * (orbit["r_min"] + orbit["r_max"])
    ups = upward_crossings(t[late], r[late], level)
    period = float(np.mean(np.diff(ups)))
    # integration error ~1e-9, cubic interpolation of crossings ~1e-9 at dt = 0.01;
    # AUTO's collocation (NTST 80, NCOL 4) is good to ~1e-8 in the period; measured
    # |difference| 6e-11 (spread of single periods 4e-10)
    assert period == pytest.approx(orbit["period"], rel=1e-8)
    assert float(np.ptp(np.diff(ups))) < 1e-8  # on the orbit: every period the same
    # range of r_E: AUTO's profile is sampled at the collocation points (321 per period),
    # the simulation every 0.01 (~790 per period): both miss the extremum by up to
    # ~1e-5 (measured differences 4.9e-6)
    assert float(r[late].max()) == pytest.approx(orbit["r_max"], abs=2e-5)
    assert float(r[late].min()) == pytest.approx(orbit["r_min"], abs=2e-5)


def test_ping_cycles_run_from_one_hopf_point_to_the_other(ping):
    cont, hb = ping
    for start, end in ((hb[0], hb[1]), (hb[1], hb[0])):
        cyc = cont.cycles(start, "eta_E", -10, 10)
        (msg,) = [m for m in cyc.messages if m.reason is StopReason.HOPF_END]
        (b,) = cyc.branches
        # AUTO's last step before it turns back: within dsmax (0.5 in arclength) of the
        # Hopf point, where the period is 2 pi / omega
        assert b.data["eta_E"][-1] == pytest.approx(end.params["eta_E"], abs=0.05)
        assert b.data["period"][-1] == pytest.approx(2 * np.pi / end.extra["frequency"],
                                                     rel=0.01)
        assert np.all(b.data["stable"][1:])  # both Hopf points supercritical
        assert not cyc.special_points  # AUTO's LP/BP at the zero-amplitude end: not real
        # the branch goes once between the two, monotone in eta_E
        assert np.all(np.diff(b.data["eta_E"]) * np.sign(end.params["eta_E"]
                                                          - start.params["eta_E"]) > 0)
        assert "Hopf point" in msg


# ------------------------------------------------------------------ torus bifurcations
def modulation(t: np.ndarray, r: np.ndarray) -> tuple[float, float]:
    """(mean period, rotation per cycle) of the peaks of ``r``: the peak heights of an
    orbit at a torus bifurcation oscillate from one cycle to the next, turning by the
    angle of the critical Floquet multipliers per cycle (a periodogram of the heights
    on a fine frequency grid). Peaks refined by a parabola through three samples."""
    i = np.nonzero((r[1:-1] > r[:-2]) & (r[1:-1] >= r[2:]))[0] + 1
    a, b, c = r[i - 1], r[i], r[i + 1]
    d = 0.5 * (a - c) / (a - 2 * b + c)
    times, heights = t[i] + d * (t[1] - t[0]), b - 0.25 * (a - c) * d
    h = heights - heights.mean()
    k = np.arange(len(h))
    freqs = np.linspace(0.01, 0.5, 10000)
    power = np.abs(np.exp(-2j * np.pi * np.outer(freqs, k)) @ h)
    return float(np.mean(np.diff(times))), float(2 * np.pi * freqs[np.argmax(power)])


def test_ii_cycles_lose_stability_in_torus_bifurcations():
    ii = read_circuit("ii")
    cont = Continuation(ii)
    eq = cont.equilibria("J_I1I1", -40, 0)
    hb = max(eq.special("HB"), key=lambda q: q.params["J_I1I1"])
    assert hb.params["J_I1I1"] == pytest.approx(-3.8376, abs=1e-4)
    cyc = cont.cycles(hb, "J_I1I1", -40, 0, dsmax=0.1)
    trs = sorted(cyc.special("TR"), key=lambda q: q.params["J_I1I1"])
    assert [round(q.params["J_I1I1"], 3) for q in trs] == [-13.22, -7.281]
    (b,) = cyc.branches
    inner = (b.data["J_I1I1"] > trs[0].params["J_I1I1"] + 0.05) & (
        b.data["J_I1I1"] < trs[1].params["J_I1I1"] - 0.05)
    outer = (b.data["J_I1I1"] < trs[0].params["J_I1I1"] - 0.05) | (
        b.data["J_I1I1"] > trs[1].params["J_I1I1"] + 0.05)
    assert np.all(b.data["stable"][inner]) and not np.any(b.data["stable"][outer])
    z0 = {"I1": complex(-0.39, -0.01), "I2": complex(-0.3, 0.1)}
    for tr in trs:
        mu = [complex(*m) for m in tr.extra["multipliers"]]
        crit = [m for m in mu if abs(m.imag) > 1e-3 and abs(abs(m) - 1) < 1e-3]
        assert len(crit) == 2  # a complex pair on the unit circle
        theta = tr.extra["torus_angle"]
        assert abs(np.angle(crit[0])) == pytest.approx(theta, rel=1e-6)
        ds = thetabif.simulate(ii, {"J_I1I1": tr.params["J_I1I1"]}, t_end=2000, dt=0.01,
                               z0=z0)
        late = ds.time.values > 800  # the other multipliers (|mu| < 0.6) have decayed
        period, turn = modulation(ds.time.values[late], ds.r_I1.values[late])
        # at the bifurcation the perturbation neither grows nor decays (only
        # nonlinearly, slowly): the trajectory winds around the orbit, its peak heights
        # turning by theta per cycle. Measured: period to 2e-5 (the winding shifts the
        # peaks), rotation 0.07 % and 0.13 % off theta (the nonlinear frequency shift
        # at the remaining amplitude ~0.05 of the heights; resolution of the
        # periodogram over ~500 cycles ~0.1 %)
        assert period == pytest.approx(tr.period, rel=1e-4)
        assert turn == pytest.approx(theta, rel=0.01)


def test_diagram_of_circuit_cycles_reaches_both_hopf_points(ping):
    cont, hb = ping
    eq = cont.equilibria("eta_E", -10, 10)
    cyc = cont.cycles(hb[0], "eta_E", -10, 10)
    fig = bifurcation_diagram(eq, [cyc])
    green = [ln for ln in fig.axes[0].lines if ln.get_color() == CYCLE_COLOR]
    xs = np.concatenate([ln.get_xdata() for ln in green])
    ys = np.concatenate([ln.get_ydata() for ln in green])
    for h in hb:  # the envelope closes on the Hopf points (zero amplitude)
        i = int(np.argmin(np.abs(xs - h.params["eta_E"])))
        assert xs[i] == h.params["eta_E"] and ys[i] == pytest.approx(h.r, abs=1e-12)
    with pytest.raises(InputError, match="do not belong"):
        bifurcation_diagram(cont.equilibria("eta_I", -10, 10), [cyc])


# ------------------------------------------------------------------ l1 of circuits
def test_numerical_third_derivatives_agree_with_the_symbolic_ones(monkeypatch):
    """Circuits (> 3 states) take B and C by differences of the Jacobian; on the
    3-state model both ways exist. (The nested difference for C once took the inner
    derivative at the base point, giving C = 0 and l1 of the wrong sign on circuits.)"""
    import thetabif.polish as polish

    model = thetabif.ThetaModel(synapse="first-order")
    eq = Continuation(model, {"eta": 5.0, "J": -40.0}).equilibria("eta", -20, 40)
    (hb,) = eq.special("HB")
    state = [hb.state[k] for k in model.state_names]
    symbolic = polish.first_lyapunov_coefficient(model, state, hb.params)
    monkeypatch.setattr(polish, "SYMBOLIC_STATES", 0)
    numerical = polish.first_lyapunov_coefficient(model, state, hb.params)
    # C by nested central differences (step 1e-5): rounding ~1e-16/1e-10 relative
    # to its size; measured |difference| / |l1| = 2e-5
    assert numerical == pytest.approx(symbolic, rel=1e-4)
    assert symbolic < 0


def rv_l1(X: np.ndarray, p: dict) -> float:
    """l1 (Kuznetsov's formula) in the (r, v) form, which is quadratic: C = 0 and
    B(a, b) = F(X + a + b) - F(X + a) - F(X + b) + F(X) exactly."""
    n = len(X)
    X = X.astype(complex)

    def B(a, b):
        return rv_rhs(X + a + b, p) - rv_rhs(X + a, p) - rv_rhs(X + b, p) + rv_rhs(X, p)

    A = rv_jacobian(X.real, p)
    lam, vec = np.linalg.eig(A)
    k = int(np.argmin(np.abs(lam.real) + 1e3 * (lam.imag <= 0)))
    w, q = lam[k].imag, vec[:, k] / np.linalg.norm(vec[:, k])
    lam_t, vec_t = np.linalg.eig(A.T)
    pv = vec_t[:, int(np.argmin(np.abs(lam_t + 1j * w)))]
    pv = pv / np.conj(np.vdot(pv, q))
    h11 = np.linalg.solve(A, B(q, q.conj()))
    h20 = np.linalg.solve(2j * w * np.eye(n) - A, B(q, q))
    return float(np.vdot(pv, -2 * B(q, h11) + B(q.conj(), h20)).real / (2 * w))


@pytest.mark.parametrize("free", ["eta_E", "eta_I"])
def test_ping_hopf_criticality_against_the_rv_form(free):
    eq = Continuation(PING).equilibria(free, -10, 10)
    hbs = eq.special("HB")
    assert len(hbs) == 2
    for h in hbs:
        p = {**PING.defaults, free: h.params[free]}
        exact = rv_l1(rv_state(h.state), p)
        # l1's size depends on the coordinates (q normalised in each), its sign not;
        # all four are clearly supercritical (|l1| > 0.1 in the (r, v) form), and the
        # cycle branches between them are stable (test above, for eta_E)
        assert exact < -0.1 and h.l1 < -0.1 and h.criticality == "supercritical"


def test_ii_cycles_end_at_a_hopf_point_where_auto_stops():
    """With all tau_s = 2, the cycles of ii in eta_I1 join its two Hopf points; from the
    first one AUTO stops (MX) just past the second instead of turning there."""
    ii = read_circuit("ii")
    c = ii.with_defaults({k: 2.0 for k in ii.parameter_names if k.startswith("tau_s")})
    cont = Continuation(c)
    hb1, hb2 = sorted(cont.equilibria("eta_I1", 0, 15).special("HB"),
                      key=lambda q: q.params["eta_I1"])
    cyc = cont.cycles(hb1, "eta_I1", 0, 15, dsmax=0.1)
    assert [m.reason for m in cyc.messages] == [StopReason.HOPF_END]
    (b,) = cyc.branches
    # the last converged orbit: within AUTO's step (0.1) of the Hopf point
    assert b.data["eta_I1"][-1] == pytest.approx(hb2.params["eta_I1"], abs=0.1)
    assert b.data["period"][-1] == pytest.approx(2 * np.pi / hb2.extra["frequency"],
                                                 rel=0.01)


def test_fort8_numbers_fast_path_and_fallback():
    """fort.8 of an 8-state circuit stores every point (fort.7 prints only a few
    states): its blocks are read at once where blanks separate the numbers, number by
    number where they run together or lack the exponent's E."""
    from thetabif.auto.parse import _block_numbers, numbers

    plain = ["  1.0000000000E+00 -2.5000000000E-01", "  3.0D+00  4.0E-300"]
    assert _block_numbers(plain) == [1.0, -0.25, 3.0, 4.0e-300]
    joined = ["  1.0000000000E+00-2.5000000000E-01  1.0-100"]
    assert _block_numbers(joined) == numbers(joined[0]) == [1.0, -0.25, 1.0e-100]
