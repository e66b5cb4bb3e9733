"""Global curves in every diagram: the homoclinic curve from the BT predictor, the fold
of cycles continued by AUTO, and ``global_curves`` in a named pair of axes.

Oracles (independent of AUTO):

* homoclinic points: the *return split* of the saddle's one-dimensional unstable
  manifold, integrated with scipy (DOP853, rtol 1e-11): after it leaves a ball of
  radius 0.05 around the saddle it comes back to a point of least distance, where its
  component along the unstable eigenvector (left eigenvector w_u . (u - u*)) has the
  sign of the side of the stable manifold it passes on; that component vanishes on the
  homoclinic orbit, and brentq in eta finds where. Any dimension (the synaptic model
  has three states) as long as the unstable manifold is one-dimensional.
* fold-of-cycles points (n = 2, two states): a planar cycle's nontrivial Floquet
  multiplier is ``exp(int_0^T div f dt)``, so a fold of cycles (that multiplier = 1,
  double) solves ``P(x) = x`` and ``int div f = 0`` for the return map ``P`` on the
  line through the focus: Newton (fsolve) in (x, eta) at the curve's J, with
  solve_ivp at rtol 1e-11.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, fsolve, minimize_scalar

from thetabif import Continuation, ThetaModel
from thetabif.continuation import StopReason
from thetabif.equilibrium import find_equilibria
from thetabif.errors import InputError
from thetabif.global_curves import GlobalCurve, global_curves
from thetabif.phase_diagram import compute

N2 = ThetaModel(n=2)
SYN = ThetaModel(n=2, synapse="first-order")


def _pvec(model, params):
    return model.numeric.parameter_vector(model.validate_params(params))


def _saddle(model, params):
    """The equilibrium with exactly one unstable eigenvalue (Newton of the package,
    not AUTO), its unstable eigenvalue's right and left eigenvectors (w . v = 1)."""
    num = model.numeric
    p = _pvec(model, params)
    for eq in find_equilibria(model, params):
        lam = np.linalg.eigvals(num.jacobian(eq.state, p))
        if np.sum(lam.real > 0) == 1 and np.all(np.abs(lam.real) > 1e-9):
            A = num.jacobian(eq.state, p)
            w, v = np.linalg.eig(A)
            k = int(np.argmax(w.real))
            wl, vl = np.linalg.eig(A.T)
            kl = int(np.argmin(np.abs(wl - w[k])))
            vu, wu = v[:, k].real, vl[:, kl].real
            return np.asarray(eq.state, float), vu, wu / (wu @ vu)
    raise AssertionError(f"no saddle with a one-dimensional unstable manifold at {params}")


def _return_split(model, params, sign):
    """w_u . (u - u*) at the unstable manifold's closest return to the saddle (None if
    it does not come back within 0.05)."""
    num = model.numeric
    p = _pvec(model, params)
    u0, vu, wu = _saddle(model, params)

    def rhs(t, u):
        return num.rhs(u, p)

    def leave(t, u):
        return np.linalg.norm(u - u0) - 0.05
    leave.terminal, leave.direction = True, 1

    def closest(t, u):
        d = u - u0
        return float(d @ num.rhs(u, p)) if np.linalg.norm(d) < 0.05 else -1.0
    closest.terminal, closest.direction = True, 1

    opts = dict(method="DOP853", rtol=1e-11, atol=1e-13)
    a = solve_ivp(rhs, (0, 500), u0 + sign * 1e-7 * vu, events=leave, **opts)
    if not a.t_events[0].size:
        return None
    b = solve_ivp(rhs, (0, 2000), a.y[:, -1], events=closest, **opts)
    if not b.t_events[0].size:
        return None
    return float(wu @ (b.y_events[0][0] - u0))


def split_eta(model, params, eta0, J, width=1e-4):
    """eta of the homoclinic orbit at J near eta0, by the return split."""
    for sign in (1.0, -1.0):
        f = [_return_split(model, {**params, "eta": e, "J": J}, sign)
             for e in (eta0 - width, eta0 + width)]
        if None not in f and f[0] * f[1] < 0:
            return brentq(lambda e, s=sign: _return_split(
                model, {**params, "eta": e, "J": J}, s), eta0 - width, eta0 + width,
                xtol=1e-12)
    raise AssertionError(f"no sign change of the split around eta = {eta0} at J = {J}")


CASES = {
    "n2_delta1": (N2, {"Delta": 1.0}),
    "first_order_synapse": (SYN, {"Delta": 0.2, "tau_s": 0.2}),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def diagram(request):
    model, base = CASES[request.param]
    return model, base, compute(model, base, grid_shape=(11, 11), j_diagram=False,
                                cycles=False, snic=False)


def test_homoclinic_curve_in_every_diagram(diagram):
    """Both variants have a BT point in their default box; the homoclinic curve starts
    there (the normal-form predictor) and its HomCont points agree with the return
    split to 1e-6 in eta: HomCont's fixed-period error is below e^-100 (the curve is
    cut where min(lambda_u, -lambda_s) T < 100), AUTO's tolerances (EPSL 1e-8) and the
    split's (rtol 1e-11, xtol 1e-12) are far smaller; 1e-6 still tells the curve from
    its neighbouring points (0.01..0.2 apart). Measured: <= 1.0e-10 (Delta = 1) and
    <= 7.8e-9 (first-order synapse, nearest its BT)."""
    model, base, pdg = diagram
    assert any(p.type == "BT" for p in pdg.codim2)
    hom = [c for c in pdg.global_curves if c.kind == "homoclinic"]
    assert hom, pdg.messages
    longest = max(hom, key=lambda c: len(c.eta))
    assert longest.source == "BT1" and len(longest.eta) > 20
    for q in (0.2, 0.5, 0.8):
        i = int(q * (len(longest.eta) - 1))
        eta, J = float(longest.eta[i]), float(longest.J[i])
        assert abs(eta - split_eta(model, pdg.params, eta, J)) < 1e-6


def test_missing_homoclinic_curve_is_said():
    """A BT point from which no start works is named in the messages (here: a box so
    narrow that HomCont's curve cannot move)."""
    c = Continuation(N2, {"Delta": 0.5, "J": -21.99114857, "eta": 6.0})
    eq = c.equilibria("eta", -5, 20)
    box = {"eta": (-5.0, 25.0), "J": (-40.0, -5.0)}
    curves = [c.curve(eq.special("HB")[0], ("eta", "J"), box)]
    bt = curves[0].special("BT")[0]
    tiny = {"eta": (bt.params["eta"] - 1e-4, bt.params["eta"] + 1e-4),
            "J": (bt.params["J"] - 1e-4, bt.params["J"] + 1e-4)}
    found = global_curves(N2, c.params, curves, [bt], tiny, snic=False)
    assert not [g for g in found.curves if g.kind == "homoclinic"]
    assert any(m.startswith(f"{bt.label}: the diagram has no homoclinic curve")
               for m in found.messages)


def test_cycle_start_when_the_predictor_fails(monkeypatch):
    """When HomCont from the BT predictor fails, the cycle start of a Hopf point away
    from BT gives the curve (real AUTO runs; only the BT start is made to fail), and it
    is the same curve: at J = -30 the split's 11.5716086670 (2e-3: chords)."""
    from thetabif.continuation import ContinuationFailed, ContinuationResult
    from thetabif.global_curves import homoclinic_from_bt

    real = Continuation.homoclinic

    def no_bt(self, start, *a, **k):
        if not isinstance(start, ContinuationResult):
            raise ContinuationFailed("made to fail for this test")
        return real(self, start, *a, **k)

    c = Continuation(N2, {"Delta": 0.5, "J": -21.99114857, "eta": 6.0})
    box = {"eta": (0.0, 20.0), "J": (-42.0, -8.0)}
    hopf = c.curve(c.equilibria("eta", 0, 20).special("HB")[0], ("eta", "J"), box)
    (bt,) = hopf.special("BT")
    monkeypatch.setattr(Continuation, "homoclinic", no_bt)
    hom = homoclinic_from_bt(N2, c.params, bt, hopf, box, (-2.0, 22.0))
    pts = np.concatenate([np.column_stack([b.data["J"], b.data["eta"]]) for b in hom.branches])
    pts = pts[np.argsort(pts[:, 0])]
    assert np.interp(-30.0, pts[:, 0], pts[:, 1]) == pytest.approx(11.5716086670, abs=2e-3)


# ------------------------------------------------------------------ fold of cycles
BASE = {"Delta": 0.5}
BOX = {"eta": (0.0, 20.0), "J": (-42.0, -8.0)}
GH = (8.7243, -24.7029)


@pytest.fixture(scope="module")
def lpc():
    c = Continuation(N2, {**BASE, "J": -23.0, "eta": 0.0})
    hb = [p for p in c.equilibria("eta", 0, 20).special("HB") if p.l1 > 0][0]
    lp = c.cycles(hb, "eta", hb.params["eta"] - 0.5, 20).special("LP")[0]
    return lp, c.cycle_fold(lp, ("eta", "J"), BOX)


def _return_map(eta, J, x, focus):
    """(P(x) - x, int div f dt) over one turn from (x, y_focus), and the period."""
    num = N2.numeric
    p = _pvec(N2, {**BASE, "eta": eta, "J": J})

    def rhs(t, u):
        f = num.rhs(u[:2], p)
        return [f[0], f[1], np.trace(num.jacobian(u[:2], p))]

    u0 = np.array([x, focus[1], 0.0])
    up = np.sign(rhs(0, u0)[1])

    def cross(t, u):
        return u[1] - focus[1] if t > 0.05 else up
    cross.terminal, cross.direction = True, up
    sol = solve_ivp(rhs, (0, 100), u0, method="DOP853", rtol=1e-11, atol=1e-13,
                    events=cross)
    if not sol.t_events[0].size:  # it did not come round (left for another attractor)
        return np.nan, np.nan, np.nan
    end = sol.y_events[0][0]
    return end[0] - x, end[2], sol.t_events[0][0]


def _shooting_fold(eta0, J, period0):
    """(eta, period) of the fold of cycles at J by Newton on (x, eta)."""
    (focus,) = [e.state for e in find_equilibria(N2, {**BASE, "eta": eta0, "J": J})
                if np.any(np.abs(e.eigenvalues.imag) > 0)]
    # the orbit's crossing of the line through the focus: where P(x) - x is least
    xs = np.linspace(focus[0] + 0.02, min(0.99, focus[0] + 0.9), 40)
    xs = xs[np.hypot(xs, focus[1]) < 0.995]
    d = [abs(_return_map(eta0, J, x, focus)[0]) for x in xs]
    k = int(np.nanargmin(d))
    x0 = minimize_scalar(lambda x: abs(_return_map(eta0, J, x, focus)[0]),
                         bounds=(xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)]),
                         method="bounded", options={"xatol": 1e-8}).x
    x, eta = fsolve(lambda v: _return_map(v[1], J, v[0], focus)[:2], [x0, eta0], xtol=1e-12,
                    factor=0.1)
    g, div, period = _return_map(eta, J, x, focus)
    assert abs(g) < 1e-9 and abs(div) < 1e-9
    assert abs(period - period0) < 0.05 * period0  # the same cycle as AUTO's
    return eta, period


def test_cycle_fold_continued_both_ways(lpc):
    lp, res = lpc
    assert res.kind == "cycle_fold" and {b.direction for b in res.branches} == {-1, 1}
    ends = {m.reason for m in res.messages}
    # one way ends on the Hopf curve at the Bautin point, the other where the cycles
    # grow towards the homoclinic orbit (near its neutral saddle NS1, J = -16.6)
    assert StopReason.HOPF_END in ends
    (up,) = [b for b in res.branches if any(
        m.reason is StopReason.HOPF_END and f"({b.direction:+d})" in m for m in res.messages)]
    assert np.hypot(up.data["eta"][-1] - GH[0], up.data["J"][-1] - GH[1]) < 0.01
    (down,) = [b for b in res.branches if b is not up]
    assert down.data["J"][-1] > -17.0 and down.data["period"][-1] > 5.0
    for b in res.branches:
        assert np.all((b.data["eta"] >= 0) & (b.data["eta"] <= 20))
        assert np.all((b.data["J"] >= -42) & (b.data["J"] <= -8))


@pytest.mark.parametrize("q", [0.1, 0.3, 0.5])
def test_cycle_fold_against_shooting(lpc, q):
    """AUTO's fold-of-cycles points against the shooting fold at the same J: eta to
    1e-8 and the period to 1e-8 relative. Measured: 7e-11, 6e-11, 1.8e-10 in eta and
    2e-11, 1e-10, 8e-10 in the period (J = -21.9, -18.7, -17.2): AUTO's collocation
    (NTST 80, NCOL 4) is exact to ~1e-10 on these smooth orbits (periods 2..5), its
    Newton (EPSL = EPSU = 1e-7 on the correction, quadratic) leaves far less than the
    tolerance, and the shooting (rtol 1e-11) is good to ~1e-10; 1e-8 leaves a factor
    12 over the worst measured value and is far below any other curve."""
    _, res = lpc
    (down,) = [b for b in res.branches if b.direction < 0]
    i = int(q * (len(down) - 1))
    eta0, J, t0 = (float(down.data[k][i]) for k in ("eta", "J", "period"))
    eta, period = _shooting_fold(eta0, J, t0)
    assert abs(eta - eta0) < 1e-8
    assert abs(period - t0) < 1e-8 * t0


def test_cycle_fold_record_round_trip(lpc, tmp_path):
    from thetabif.continuation import ContinuationResult

    _, res = lpc
    assert len(res.orbits) > 10 and all(len(o["state"]) == 2 for o in res.orbits)
    for name in ("lpc.json", "lpc.nc"):
        back = ContinuationResult.load(res.save(tmp_path / name))
        assert back.kind == "cycle_fold" and back.branches == res.branches
        assert back.messages == res.messages and len(back.orbits) == len(res.orbits)


def test_sampled_only_when_the_continuation_fails(monkeypatch):
    """A fold of cycles that AUTO cannot continue is sampled (one cycle run per J),
    flagged ``sampled`` and named in the messages; continued otherwise."""
    from thetabif.continuation import ContinuationFailed

    c = Continuation(N2, {**BASE, "J": -23.0, "eta": 0.0})
    hb = [p for p in c.equilibria("eta", 0, 20).special("HB") if p.l1 > 0][0]
    hopf = c.curve(hb, ("eta", "J"), BOX)
    (gh,) = hopf.special("GH")
    found = global_curves(N2, c.params, [hopf], [gh], BOX, snic=False)
    (lpc,) = [g for g in found.curves if g.kind == "cycle_fold"]
    assert not lpc.sampled and len(found.bands) == 1

    def fails(self, *a, **k):
        raise ContinuationFailed("made to fail for this test")

    monkeypatch.setattr(Continuation, "cycle_fold", fails)
    found = global_curves(N2, c.params, [hopf], [gh], BOX, snic=False, cycle_fold_samples=3)
    (lpc,) = [g for g in found.curves if g.kind == "cycle_fold"]
    assert lpc.sampled and 3 <= len(lpc.eta) <= 4 and not found.bands
    assert any("was not continued" in m and "sampled" in m for m in found.messages)


def test_cycle_fold_bad_starts(lpc):
    lp, _ = lpc
    c = Continuation(N2, {**BASE, "J": -23.0, "eta": 0.0})
    with pytest.raises(InputError, match="first free parameter"):
        c.cycle_fold(lp, ("J", "eta"), BOX)
    hb = c.equilibria("eta", 0, 20).special("HB")[0]
    with pytest.raises(InputError, match="LP point of a cycles"):
        c.cycle_fold(hb, ("eta", "J"), BOX)
    with pytest.raises(InputError, match="outside the box"):
        c.cycle_fold(lp, ("eta", "J"), {"eta": (0.0, 5.0), "J": (-42.0, -8.0)})


# ------------------------------------------------------------------------- axes
def test_global_curve_axes_round_trip():
    g = GlobalCurve("homoclinic", np.array([1.0, 2.0]), np.array([3.0, np.nan]), "BT1",
                    axes=("eta_E", "J_EI"))
    d = g.to_dict()
    assert d["axes"] == ["eta_E", "J_EI"] and d["eta_E"] == [1.0, 2.0]
    back = GlobalCurve.from_dict(d)
    assert back.axes == ("eta_E", "J_EI") and np.array_equal(back.x, g.x)
    assert np.isnan(back.y[1]) and back.eta is back.x and back.J is back.y
    old = GlobalCurve.from_dict({"kind": "snic", "eta": [0.0], "J": [1.0]})
    assert old.axes == ("eta", "J") and old.J[0] == 1.0


def test_global_curves_in_other_axes():
    """The curves in (J, eta) (the axes swapped): the homoclinic curve is the same
    set of points, named by the axes, its x now J."""
    c = Continuation(N2, {**BASE, "J": -21.99114857, "eta": 6.0})
    eq = c.equilibria("eta", -5, 20)
    box = {"eta": (-5.0, 25.0), "J": (-40.0, -5.0)}
    hopf = c.curve(eq.special("HB")[0], ("eta", "J"), box)
    (bt,) = hopf.special("BT")
    found = global_curves(N2, c.params, [hopf], [bt], box, snic=False, axes=("J", "eta"))
    (hom,) = [g for g in found.curves if g.kind == "homoclinic" and len(g.x) > 20]
    assert hom.axes == ("J", "eta") and hom.x.min() == pytest.approx(-40.0)
    with pytest.raises(InputError, match="axes must be two different parameters"):
        global_curves(N2, c.params, [hopf], [bt], box, axes=("eta", "eta"))
    with pytest.raises(InputError, match="box needs 'tau'"):
        global_curves(N2, c.params, [hopf], [bt], box, axes=("eta", "tau"))


# -------------------------------------------------------------------- thin band
def test_thin_band_cell_is_region_5(lpc):
    """Between the subcritical Hopf curve (eta 7.6978 at J = -23) and the fold of
    cycles (7.7101) a stable cycle surrounds the stable focus: the cell at eta = 7.705
    is region 5 only with the band (a run from the perturbed focus settles); plain
    simulation (scipy, rtol 1e-9) from the band's predicted cycle keeps oscillating
    (r's range over [1400, 1500] above 0.2: the stable cycle's is ~0.3) while from
    1e-3 off the focus it decays onto the focus."""
    from thetabif.cycle_band import cycle_band
    from thetabif.phase_diagram import classify_grid
    from thetabif.simulation import simulate

    _, res = lpc
    c = Continuation(N2, {**BASE, "J": -23.0, "eta": 0.0})
    hb = [p for p in c.equilibria("eta", 0, 20).special("HB") if p.l1 > 0][0]
    hopf = c.curve(hb, ("eta", "J"), BOX)
    band = cycle_band(res, [(b.data["eta"], b.data["J"]) for b in hopf.branches], "GH1")
    eta, J = 7.705, -23.0
    assert band is not None and band.start(eta, J) is not None
    assert band.start(7.69, J) is None and band.start(7.72, J) is None
    box = {"eta": (7.695, 7.715), "J": (-23.1, -22.9)}
    with_band = classify_grid(N2, c.params, box, (5, 3), bands=[band])
    without = classify_grid(N2, c.params, box, (5, 3))
    cell = dict(eta=eta, J=J, method="nearest")
    assert int(with_band.region.sel(**cell)) == 5 and int(with_band.cycle_from_band.sel(**cell))
    assert int(without.region.sel(**cell)) != 5

    def ranges(z0):
        ds = simulate(N2, {**BASE, "eta": eta, "J": J}, t_end=1500.0, dt=0.1, z0=z0,
                      rtol=1e-9, atol=1e-11)
        r, t = ds.r.to_numpy(), ds.time.to_numpy()
        return float(np.ptp(r[t < 100])), float(np.ptp(r[t > 1400]))

    u = band.start(eta, J)
    early, late = ranges(complex(u[0], u[1]))
    assert late > 0.2 and late > 0.9 * early
    (focus,) = [e for e in find_equilibria(N2, {**BASE, "eta": eta, "J": J})
                if np.any(np.abs(e.eigenvalues.imag) > 0)]
    assert np.all(focus.eigenvalues.real < 0)
    # the focus is barely stable (Re = -5.8e-4, 0.007 from the Hopf curve): the small
    # oscillation decays at that linear rate, exp(1400 Re) = 0.44 between the windows
    # (20 %: the windows' phases), far from the cycle's 0.3
    early, late = ranges(complex(focus.state[0] + 1e-3, focus.state[1]))
    decay = float(np.exp(1400 * focus.eigenvalues.real.max()))
    assert late < 1e-3 and late / early == pytest.approx(decay, rel=0.2)
