"""Complete phase diagrams: homoclinic curves, folds of cycles, SNIC stretches, checked.

The n = 2 model with Delta = 0.5 has a Bogdanov-Takens point (2.3718591990,
-13.0196297782) and a Bautin point near (8.7243, -24.7029) on its Hopf curve. Every
check is against something computed another way: the homoclinic curve's values were
found by the stable/unstable manifold split (scipy, tests/test_homoclinic.py), the
regions by simulating every grid cell, the hysteresis by simulating a step protocol,
the fold of cycles by simulation on either side of it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from thetabif import Continuation, Protocol, ThetaModel
from thetabif.global_curves import GlobalCurve, snic_curves
from thetabif.phase_diagram import REGIONS, compute, load_global_curves
from thetabif.simulation import simulate
from thetabif.verification import verify
from thetabif.verification.grid import BifurcationCurves, verify_grid

N2 = ThetaModel(n=2)
BASE = {"Delta": 0.5}
BOX = {"eta": (0.0, 20.0), "J": (-42.0, -8.0)}
#: eta of the homoclinic curve at J, by the manifold split (10 digits)
HOMOCLINIC = {-15.0: 3.2819996209, -25.0: 8.7250890592, -30.0: 11.5716086670,
              -40.0: 17.5226439940}
NEUTRAL_SADDLES = [(4.1431046622, -16.597881083), (15.787700136, -37.135920904)]


@pytest.fixture(scope="module")
def pdg():
    return compute(N2, {**BASE, "eta": 5.0, "J": -30.0}, box=BOX, grid_shape=(41, 35),
                   scan_J=(), j_diagram=False)


def _eta_on(curves: list[GlobalCurve], J: float) -> float:
    """eta where one of the curves crosses J (linear interpolation between points)."""
    for c in curves:
        s = np.sign(c.J - J)
        k = np.flatnonzero(s[:-1] * s[1:] <= 0)
        if k.size:
            i = int(k[0])
            w = (J - c.J[i]) / (c.J[i + 1] - c.J[i])
            return float(c.eta[i] + w * (c.eta[i + 1] - c.eta[i]))
    raise AssertionError(f"no curve crosses J = {J}")


def test_homoclinic_curve_against_manifold_split(pdg):
    hom = [c for c in pdg.global_curves if c.kind == "homoclinic"]
    assert hom and all(c.source == "BT1" for c in hom)
    for J, eta in HOMOCLINIC.items():
        # HomCont's points lie on the curve to ~1e-9; the straight segment between two
        # of them (dsmax 0.2 apart) misses the curve by at most ~1e-3 (its curvature)
        assert _eta_on(hom, J) == pytest.approx(eta, abs=2e-3)
    ns = sorted((p.params["eta"], p.params["J"]) for p in pdg.codim2 if p.type == "NS")
    # located by AUTO's psi1 = 0, polished on the curve (tests/test_homoclinic_ns.py)
    assert np.allclose(ns, NEUTRAL_SADDLES, atol=1e-6)
    assert {p.label for p in pdg.codim2} >= {"BT1", "CP1", "GH1", "NS1", "NS2"}


def test_nothing_outside_the_box(pdg):
    for c in pdg.global_curves:
        assert np.all((c.eta >= BOX["eta"][0]) & (c.eta <= BOX["eta"][1]))
        assert np.all((c.J >= BOX["J"][0]) & (c.J <= BOX["J"][1]))
    for p in pdg.codim2:
        assert BOX["eta"][0] <= p.params["eta"] <= BOX["eta"][1]
        assert BOX["J"][0] <= p.params["J"] <= BOX["J"][1]


def test_fold_of_cycles_from_bautin(pdg):
    (gh,) = [p for p in pdg.codim2 if p.type == "GH"]
    (lpc,) = [c for c in pdg.global_curves if c.kind == "cycle_fold"]
    # continued by AUTO (Continuation.cycle_fold), not sampled
    assert not lpc.sampled and lpc.source == "GH1" and len(lpc.eta) >= 20
    # it starts at GH and runs towards BT (where the Hopf point is subcritical)
    k = int(np.argmax(lpc.J))
    # it ends on GH itself (the point appended where AUTO's curve meets the Hopf curve);
    # AUTO's last point lies within 1e-5 of it (measured 3.3e-6: its step across GH)
    assert (lpc.eta[-1], lpc.J[-1]) == (gh.params["eta"], gh.params["J"])
    assert lpc.J.min() == pytest.approx(gh.params["J"], abs=1e-5)
    assert lpc.J[k] > gh.params["J"] + 3
    assert np.all(np.isfinite(lpc.period[:-1]))


def test_fold_of_cycles_by_simulation(pdg):
    """On the sample of the fold of cycles at J ~ -23 (eta_f): 0.004 below it a
    trajectory started on the fold's orbit grows onto a stable cycle, 0.004 above it the
    oscillation dies out (past the fold no cycle is left: the trajectory creeps past its
    ghost, then spirals into the focus).

    The start state is AUTO's orbit at the fold; whether the oscillation persists is
    the simulation's verdict. Amplitudes measured over [0, 100] and [1400, 1500]: below
    the fold it grew from 0.225 to 0.278, above it fell from 0.218 to 0.094 (when
    written); the thresholds leave room either side.
    """
    (lpc,) = [c for c in pdg.global_curves if c.kind == "cycle_fold"]
    i = int(np.argmin(np.abs(lpc.J + 23.0)))
    eta_f, J = float(lpc.eta[i]), float(lpc.J[i])
    c = Continuation(N2, {**BASE, "J": J, "eta": 0.0})
    hb = [p for p in c.equilibria("eta", 0, 20).special("HB") if p.l1 > 0][0]
    (lp,) = c.cycles(hb, "eta", hb.params["eta"] - 0.5, eta_f + 0.5).special("LP")
    # the fold of the cycle run at this J is the continued curve's point: both are
    # AUTO's, located to EPSL = 1e-7 (relative), so 1e-5 in eta
    assert lp.params["eta"] == pytest.approx(eta_f, abs=1e-5)
    z0 = complex(lp.state["x"], lp.state["y"])

    def amplitudes(eta: float) -> tuple[float, float]:
        ds = simulate(N2, {**BASE, "J": J, "eta": eta}, t_end=1500.0, dt=0.05, z0=z0,
                      rtol=1e-9, atol=1e-11)
        r, t = ds.r.to_numpy(), ds.time.to_numpy()
        return float(np.ptp(r[t < 100])), float(np.ptp(r[t > 1400]))

    first, last = amplitudes(eta_f - 0.004)
    assert last > first > 0.2          # onto the stable cycle
    first, last = amplitudes(eta_f + 0.004)
    assert last < 0.7 * first          # no cycle: it dies out


def test_region_labels_and_figure(pdg):
    g = pdg.grid
    assert REGIONS[5] == "stable equilibrium + stable cycle"
    # between the homoclinic curve (17.52) and the Hopf curve at J = -40
    assert int(g.region.sel(eta=18.0, J=-40.0, method="nearest")) == 5
    fig = pdg.figures()["phase"]
    names = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    for name in ("homoclinic curve (HomCont)", "fold of cycles (LPC)",
                 "neutral saddle (NS)", "Bautin (GH)", "stable equilibrium + stable cycle"):
        assert name in names


def test_global_curves_round_trip(pdg, tmp_path):
    for path in (pdg.save(tmp_path / "pd.nc"), pdg.save(tmp_path / "pd.json")):
        back = load_global_curves(path)
        assert [c.kind for c in back] == [c.kind for c in pdg.global_curves]
        for a, b in zip(back, pdg.global_curves, strict=True):
            assert np.array_equal(a.eta, b.eta) and np.array_equal(a.J, b.J)
            assert a.source == b.source and a.sampled == b.sampled
    d = json.loads((tmp_path / "pd.json").read_text())
    assert {c["kind"] for c in d["global_curves"]} == {"homoclinic", "cycle_fold"}


def test_snic_stretch_curve():
    """The first-order synapse (Delta 0.2, tau_s 0.2): the SNIC stretch of the upper
    fold lies below the saddle-node-loop point J = -14.1675 (tests/test_snic.py checks
    that point by simulation) and inside the box."""
    model = ThetaModel(n=2, synapse="first-order")
    base = {"Delta": 0.2, "tau_s": 0.2}
    cont = Continuation(model, {**base, "J": -25.0})
    lp = max(cont.equilibria("eta", -20, 40).special("LP"), key=lambda p: p.params["eta"])
    box = {"eta": (-5.0, 20.0), "J": (-40.0, 0.0)}
    # followed beyond the box (as phase diagrams do): the box must still hold
    fold = cont.curve(lp, ("eta", "J"), {"eta": (-5.0, 25.0), "J": (-45.0, 0.0)})
    stretches, curves = snic_curves(fold, box, "upper fold", samples=10)
    # one stretch per branch of the fold curve (its two directions from the start)
    assert len(stretches) == len(curves) >= 1
    ends = [e.params["J"] for s in stretches for e in (s.start, s.end)
            if e.kind == "saddle-node-loop"]
    assert ends == pytest.approx([-14.16755], abs=2e-4)
    for c in curves:
        assert c.kind == "snic"
        # the fold's points up to the bracket's end and one step (dsmax) beyond at most
        assert c.J.max() < -14.1675 + 0.1
        assert np.all((c.eta >= -5) & (c.eta <= 20) & (c.J >= -40) & (c.J <= 0))
    assert min(c.J.min() for c in curves) == pytest.approx(-40.0, abs=0.2)
    # the stretch's records never name a point outside the box
    for s in stretches:
        for e in (s.start, s.end):
            assert -5 <= e.params["eta"] <= 20 and -40 <= e.params["J"] <= 0


@pytest.fixture(scope="module")
def grid():
    """Cells between the homoclinic curve and the Hopf curve at J = -41..-33; the
    diagram over a box around BT and GH (the global curves start there)."""
    eta, J = np.linspace(15.0, 19.0, 17), np.linspace(-41.0, -33.0, 9)
    diagram = BifurcationCurves.compute(N2, BASE, (2.0, 19.0), (-41.0, -12.0))
    return verify_grid(N2, BASE, eta, J, diagram=diagram, progress=False)


def test_grid_around_bt_and_bautin(grid):
    """The whole box around BT1 (2.37, -13.02) and GH1 (8.72, -24.70), eta step 0.5 and J
    step 2 (592 cells): every cell agrees with its region but those within one grid
    step of a curve (measured: 15 mismatches, all within 0.29 steps)."""
    res = verify_grid(N2, BASE, np.linspace(1.0, 19.0, 37), np.linspace(-41.0, -11.0, 16),
                      diagram=grid.diagram, progress=False)
    assert res.passed, res.unexplained
    assert (res.mismatches["distance"] <= 1.0).all()
    # the regions include a predicted stable cycle beside the low state
    assert (res.cells.predicted == "1 stable eq + oscillation").sum() >= 5


def test_grid_matches_with_homoclinic_curve(grid):
    kinds = {c.kind for c in grid.diagram.curves}
    assert {"fold", "hopf", "homoclinic"} <= kinds
    assert grid.passed, grid.unexplained
    # mismatches only within one grid step of a curve (slow transients there)
    assert (grid.mismatches["distance"] <= 1.0).all()
    both = grid.cells[(grid.cells.predicted == "1 stable eq + oscillation") & grid.cells.match]
    assert len(both) >= 5


def test_grid_fails_without_homoclinic_curve(grid):
    """Leaving out the homoclinic curve merges the band of coexisting cycle and
    equilibrium with the region of the low state alone: cells there are unexplained."""
    bad = grid.against(grid.diagram.without("homoclinic")).unexplained
    assert len(bad) >= 5
    assert (bad.predicted == "1 stable eq").all()
    assert (bad.observed == "1 stable eq + oscillation").all()


def test_hysteresis_step_protocol():
    """J = -30: low state only below the homoclinic curve (11.5716); low state + cycle
    up to the Hopf point (11.9756); the high focus alone above the upper fold (12.488).
    eta = 11.8 is reached twice: from below it stays at the low equilibrium, from the
    high state it stays on the cycle; back below the homoclinic curve, at the low state.
    """
    prot = Protocol((100, 200, 300, 1100), (0.0, 0.8, 2.0, 0.8, 0.0),
                    ("low", "up", "high", "down", "below"))
    v = verify(N2, {**BASE, "J": -30.0, "eta": 11.0}, prot, z0=-0.6 - 0.8j, t_end=1200.0)
    assert v.passed, v.table()
    ph = {p.name: p for p in v.phases}
    assert ph["up"].predicted["kind"] == "equilibrium"
    assert ph["down"].predicted["kind"] == "cycle"
    assert ph["up"].predicted["n_stable_cycles"] == 1  # bistable: the history decides
    # observed: same eta, different attractors
    assert ph["up"].observed["r_end"] < 0.03
    assert ph["down"].observed["r_range_last_half"] > 0.3


def test_thin_band_survives_a_coarse_grid(grid):
    """On a grid with J step 2 the band between the Hopf curve and the upper fold is
    0.33 grid steps across: the region raster keeps it (it merged at 8 pixels a step)."""
    from thetabif.verification.grid import _regions

    eta, J = np.linspace(15.0, 19.0, 17), np.linspace(-41.0, -33.0, 5)
    region, refs, _, _ = _regions(grid.diagram.without("homoclinic"), eta, J)
    assert len(np.unique(region)) == 3
    merged, _, _, _ = _regions(grid.diagram.without("homoclinic"), eta, J, res=8)
    assert len(np.unique(merged)) == 2


def test_grid_result_round_trip(grid, tmp_path):
    from thetabif.verification.grid import GridResult

    back = GridResult.load(grid.save(tmp_path / "grid.json"))
    assert [c.kind for c in back.diagram.curves] == [c.kind for c in grid.diagram.curves]
    for a, b in zip(back.diagram.curves, grid.diagram.curves, strict=True):
        assert np.array_equal(a.eta, b.eta) and np.array_equal(a.J, b.J)
    assert back.summary() == grid.summary()


@pytest.mark.parametrize(("eta", "expected"), [(11.54, False), (11.60, True), (11.95, True),
                                                (12.00, False)])
def test_predicted_cycle_between_homoclinic_and_hopf(eta, expected):
    """J = -30: stable cycles exist between the homoclinic orbit at 11.5716086670 (the
    manifold split) and the supercritical Hopf point near 11.9756, where the high
    focus (Newton, thetabif.find_equilibria) turns from unstable to stable; the
    samples lie 0.025 to 0.03 either side of both ends."""
    from thetabif import find_equilibria
    from thetabif.verification.grid import predicted_cycle

    params = N2.validate_params(BASE)
    assert predicted_cycle(N2, params, eta, -30.0, (0.0, 20.0)) is expected
    if eta > 11.9:  # the Hopf end, independently: the focus's stability
        foci = [e for e in find_equilibria(N2, {**params, "eta": eta, "J": -30.0})
                if np.any(e.eigenvalues.imag != 0)]
        assert len(foci) == 1
        assert foci[0].stable is (not expected)


def test_snic_period_in_step_protocol():
    """A step just past the SNIC fold of the first-order synapse model (J = -25, fold
    at eta 9.6461445224): no equilibrium and no Hopf cycle is left there, the
    verification predicts the cycle through the saddle-node's ghost with the period
    C / sqrt(d) (d = 0.0139) and the simulation's period agrees (measured: 0.26 %
    apart; the judge allows Tolerances.snic_period_rel = 3 %). With a tolerance of
    1e-4 the same run fails: the comparison is made."""
    from thetabif.verification import Tolerances

    model = ThetaModel(n=2, synapse="first-order")
    params = {"Delta": 0.2, "tau_s": 0.2, "J": -25.0, "eta": 9.5}
    prot = Protocol.step(50, 350, 0.16)
    v = verify(model, params, prot, z0=-0.6 - 0.8j, t_end=400.0)
    assert v.passed, v.table()
    during = v.phases[1]
    assert during.predicted["type"] == "SNIC cycle"
    assert during.predicted["snic_eta"] == pytest.approx(9.6461445224, abs=1e-8)
    assert during.predicted["period"] == pytest.approx(during.observed["period"], rel=0.01)
    strict = verify(model, params, prot, z0=-0.6 - 0.8j, t_end=400.0,
                    tolerances=Tolerances(snic_period_rel=1e-4))
    assert strict.phases[1].verdict == "fail"


def test_homoclinic_curve_in_a_box_without_bt():
    """A zoom that holds GH1 but not BT1: the homoclinic curve still comes from the
    Hopf curve (one try from its middle) and crosses J = -25 at the manifold split's
    8.7250890592; the fold of cycles is sampled across the box."""
    box = {"eta": (4.5, 9.5), "J": (-25.5, -16.0)}
    zoom = compute(N2, {**BASE, "eta": 5.0, "J": -20.0}, box=box, grid_shape=(21, 21),
                   scan_J=(), j_diagram=False, cycles=False)
    assert not any(p.type == "BT" for p in zoom.codim2)
    hom = [c for c in zoom.global_curves if c.kind == "homoclinic"]
    assert hom and all(c.source.startswith("Hopf curve") for c in hom)
    assert _eta_on(hom, -25.0) == pytest.approx(HOMOCLINIC[-25.0], abs=2e-3)
    (lpc,) = [c for c in zoom.global_curves if c.kind == "cycle_fold"]
    assert lpc.J.max() > -19.0
    for c in zoom.global_curves:
        assert np.all((c.eta >= 4.5) & (c.eta <= 9.5) & (c.J >= -25.5) & (c.J <= -16.0))
