"""Phase diagrams, time-course verification and the grid check on circuits.

Everything runs through the command line with ``--circuit ping`` (JSON and netCDF
output parsed), and is checked against independent computations:

* the codimension-two points of the (eta_E, J_EE) diagram against the values that
  tests/test_circuit_analysis.py confirms by the (r, v) Jacobian written there, and
  the Hopf points of its eta_E diagram against Newton on the Hopf system (PING_HB);
* the attractor grid at cells in every region kind against scipy's ``solve_ivp`` of
  the PING circuit written here in the (r, v) form (not the generated code) from
  several initial states;
* ``verify`` of a step of E's input from a quiet equilibrium into the oscillating
  range between the Hopf points: the predicted cycle's period against the period of
  an (r, v)-form simulation, the quiet equilibrium against Newton on the (r, v) form;
* ``verify-grid`` on a small grid: no unexplained mismatch, and both attractor kinds
  present in it (a check that cannot pass on a grid of one region only).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

from thetabif import ThetaModel, cli
from thetabif.errors import InputError
from thetabif.models import Circuit, Edge, Population
from thetabif.models.circuit_file import read_circuit
from thetabif.phase_diagram import check_axes, default_axes, default_box, load_global_curves
from thetabif.verification import BifurcationCurves
from thetabif.verification.timecourse import drive_parameters

PING = read_circuit("ping")
EDGES = ("EE", "EI", "IE", "II")
#: tests/test_circuit_analysis.py: Bogdanov-Takens and Bautin points in (eta_E, J_EE)
BT = ((-2.99354, 18.02195), (-0.77632, 10.12563))
GH = ((-1.14061, 13.63306),)
#: Hopf points in eta_E at the defaults (Newton on the Hopf system, tests/test_circuits.py)
PING_HB = (0.36000628717, 2.38729715873)
BOX = {"eta_E": (-4.0, 4.0), "J_EE": (0.0, 20.0)}


def rv_rhs(t: float, X: np.ndarray, p: dict) -> np.ndarray:
    """PING in the (r, v) form (QIF mean field, delta pulses, current coupling,
    first-order synapses): ``tau r' = Delta/(pi tau) + 2 r v``, ``tau v' = v^2 + eta +
    I + s_tot - (pi tau r)^2``, ``tau_s s' = -s + J r_source``;
    ``X = (r_E, v_E, r_I, v_I, s_EE, s_EI, s_IE, s_II)``."""
    r = {"E": X[0], "I": X[2]}
    v = {"E": X[1], "I": X[3]}
    s = dict(zip(EDGES, X[4:], strict=True))
    out = []
    for q in ("E", "I"):
        tau, delta = p[f"tau_{q}"], p[f"Delta_{q}"]
        out += [(delta / (math.pi * tau) + 2 * r[q] * v[q]) / tau,
                (v[q] ** 2 + p[f"eta_{q}"] + p[f"I_ext_{q}"] + s[q + "E"] + s[q + "I"]
                 - (math.pi * tau * r[q]) ** 2) / tau]
    out += [(-s[k] + p[f"J_{k}"] * r[k[1]]) / p[f"tau_s_{k}"] for k in EDGES]
    return np.array(out)


def rv_start(p: dict, rE: float, vE: float, rI: float, vI: float) -> np.ndarray:
    """A state with the synapses at rest (``s = J r_source``)."""
    r = {"E": rE, "I": rI}
    return np.array([rE, vE, rI, vI] + [p[f"J_{k}"] * r[k[1]] for k in EDGES])


#: starts of :func:`rv_attractors`: low and high activity, and in between
STARTS = ((0.02, -2.0, 0.02, -2.0), (1.0, 0.5, 1.0, 0.5), (0.3, 0.0, 0.3, 0.0))


def rv_attractors(p: dict, t_end: float = 250.0, starts=STARTS
                  ) -> tuple[list[float], list[tuple]]:
    """(rates r_E of the distinct equilibria reached, (min, max, period) of r_E of the
    oscillations reached) from several starts, by solve_ivp (DOP853, rtol 1e-10)."""
    eqs: list[float] = []
    cycles: list[tuple] = []
    for s0 in starts:
        sol = solve_ivp(rv_rhs, (0, t_end), rv_start(p, *s0), args=(p,), method="DOP853",
                        rtol=1e-10, atol=1e-12, dense_output=True)
        assert sol.success
        t = np.linspace(t_end - 60, t_end, 12001)
        r = sol.sol(t)[0]
        if np.ptp(r) > 1e-4:  # sustained over the last 60 (the equilibria settle ~e^-100)
            mid = 0.5 * (r.max() + r.min())
            up = np.flatnonzero((r[:-1] < mid) & (r[1:] >= mid))
            tc = t[up] - (r[up] - mid) * (t[up + 1] - t[up]) / (r[up + 1] - r[up])
            cycles.append((float(r.min()), float(r.max()), float(np.mean(np.diff(tc)))))
        elif not any(abs(r[-1] - e) < 1e-6 for e in eqs):
            eqs.append(float(r[-1]))
    return sorted(eqs), cycles


@pytest.fixture(scope="module")
def phase(tmp_path_factory):
    """``thetabif phase-diagram --circuit ping`` in (eta_E, J_EE): its JSON and netCDF."""
    out = tmp_path_factory.mktemp("pd")
    status = cli.main(["phase-diagram", "--circuit", "ping", "--axes", "eta_E,J_EE",
                       "--range", "eta_E=-4:4", "--range", "J_EE=0:20", "--grid", "9x7",
                       "--no-cycles", "--out", str(out)])
    assert status == 0
    doc = json.loads((out / f"{PING.name}.json").read_text())
    with xr.open_dataset(out / f"{PING.name}.nc") as ds:
        grid = ds.load()
    return doc, grid, out


# ------------------------------------------------------------------ phase diagram
def test_phase_diagram_codim2_points(phase):
    doc, grid, out = phase
    assert doc["axes"] == ["eta_E", "J_EE"]
    assert doc["box"] == {"eta_E": [-4.0, 4.0], "J_EE": [0.0, 20.0]}
    pts = {t: sorted((p["eta_E"], p["J_EE"]) for p in doc["codim2"] if p["type"] == t)
           for t in ("BT", "GH")}
    # AUTO's points, against the values confirmed by the (r, v) Jacobian (given to 5
    # decimals there): measured 2e-6..5e-6 for the BT points, 2.7e-5 in J_EE for GH
    # (AUTO's Bautin point is not polished: Newton on the GH system fails there)
    assert np.allclose(pts["BT"], sorted(BT), atol=1e-4)
    assert np.allclose(pts["GH"], sorted(GH), atol=1e-4)
    for p in doc["codim2"]:  # nothing reported outside the box
        assert BOX["eta_E"][0] <= p["eta_E"] <= BOX["eta_E"][1]
        assert BOX["J_EE"][0] <= p["J_EE"] <= BOX["J_EE"][1]
    hb = sorted(p["eta_E"] for p in doc["special_points"]
                if p["diagram"] == "eta_E" and p["type"] == "HB")
    # AUTO's Hopf points against Newton on the Hopf system: measured 3e-12
    assert hb == pytest.approx(PING_HB, abs=1e-6)
    # global curves in the circuit's axes: the homoclinic curve from a BT point (its
    # values against an independent manifold split: tests/test_circuit_global.py,
    # eta_E = -1.6181836719 at J_EE = 15), every point inside the box
    hom = [c for c in doc["global_curves"] if c["kind"] == "homoclinic"]
    assert hom and all(c["axes"] == ["eta_E", "J_EE"] for c in hom)
    for c in hom:
        assert all(BOX[k][0] <= v <= BOX[k][1] for k in BOX for v in c[k])
    x = np.concatenate([c["eta_E"] for c in hom])
    y = np.concatenate([c["J_EE"] for c in hom])
    k = int(np.argmin(np.abs(y - 15.0)))
    # HomCont's points lie ~0.01 apart in J_EE there; the curve's slope is ~0.4
    assert abs(y[k] - 15.0) < 0.05 and x[k] == pytest.approx(-1.6181836719, abs=0.03)
    # the netCDF is keyed by the axes
    assert grid["region"].dims == ("J_EE", "eta_E")
    assert {"curve_eta_E", "curve_J_EE", "codim2_eta_E"} <= set(grid.data_vars)
    assert (out / f"{PING.name}_phase.png").stat().st_size > 0
    for suffix in (".nc", ".json"):  # read back in the circuit's axes
        back = load_global_curves(out / f"{PING.name}{suffix}")
        assert len(back) == len(doc["global_curves"])
        assert all(c.axes == ("eta_E", "J_EE") for c in back)
        for c, d in zip(back, doc["global_curves"], strict=True):
            np.testing.assert_allclose(c.x, d["eta_E"], rtol=0, atol=0)


@pytest.mark.parametrize("eta_E, J_EE", [(-3.0, 0.0), (3.0, 40 / 3), (-3.0, 20.0),
                                         (3.0, 0.0), (1.0, 20 / 3)])
def test_grid_regions_against_simulation(phase, eta_E, J_EE):
    """Cells of every region kind the box has: low and high activity, bistable, stable
    cycle; the (r, v)-form simulation finds the same attractors and rates."""
    _, grid, _ = phase
    cell = grid.sel(eta_E=eta_E, J_EE=J_EE, method="nearest")
    assert float(cell.eta_E) == pytest.approx(eta_E)
    assert float(cell.J_EE) == pytest.approx(J_EE)
    code = int(cell["region"])
    eqs, cycles = rv_attractors({**PING.defaults, "eta_E": eta_E, "J_EE": J_EE})
    observed = {0: "none", 1: "eq"}.get(len(eqs), "multi")
    expected = {1: ("eq", False), 2: ("eq", False), 3: ("multi", False),
                4: ("none", True), 5: ("eq", True)}[code]
    assert (observed, bool(cycles)) == expected, (code, eqs, cycles)
    if eqs:
        # the grid's rates are Newton's (1e-12); the simulation settles to ~1e-9
        assert float(cell["r_low"]) == pytest.approx(eqs[0], abs=1e-6)
        assert float(cell["r_high"]) == pytest.approx(eqs[-1], abs=1e-6)
    if cycles:
        # the grid's cycle range: RK4 (dt 0.05) samples over t in [80, 100]: the
        # extremes are missed by up to r'' dt^2 / 8 ~ 1e-4, the transient adds less
        lo, hi, _ = cycles[0]
        assert float(cell["cycle_r_min"]) == pytest.approx(lo, abs=2e-3)
        assert float(cell["cycle_r_max"]) == pytest.approx(hi, abs=2e-3)


def test_default_axes_and_box():
    assert default_axes(PING) == ("eta_E", "J_EE")
    assert default_box(PING) == {"eta_E": (-4.0, 6.0), "J_EE": (0.0, 10.0)}
    assert default_axes(ThetaModel()) == ("eta", "J")
    assert default_box(ThetaModel()) == {"eta": (-14.0, 2.0), "J": (0.0, 24.0)}
    assert drive_parameters(PING) == ("eta_E", "I_ext_E")
    assert drive_parameters(PING, "I") == ("eta_I", "I_ext_I")
    with pytest.raises(InputError, match="'J'.*allowed: eta_E"):
        check_axes(PING, ("eta_E", "J"))
    with pytest.raises(InputError, match="twice"):
        check_axes(PING, ("eta_E", "eta_E"))
    with pytest.raises(InputError, match="'X'.*allowed: E, I"):
        drive_parameters(PING, "X")
    # without a self-edge on the first population there is no default second axis
    ei = Circuit([Population("E"), Population("I")], [Edge("E", "I", -5.0),
                                                      Edge("I", "E", 5.0)], label="ei")
    with pytest.raises(InputError, match="no self-edge E<-E.*eta_E, Delta_E"):
        default_axes(ei)
    assert check_axes(ei, ("eta_E", "J_EI")) == ("eta_E", "J_EI")


# ------------------------------------------------------------------------ verify
def test_verify_step_into_oscillation(capsys):
    """E's input steps eta_E = -1 (quiet) to 1 (between the Hopf points) and back."""
    capsys.readouterr()
    status = cli.main(["verify", "--circuit", "ping", "--set", "eta_E=-1", "--step",
                       "E:40:140:2", "--t-end", "200", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["pass"] and doc["input"] == "I_ext_E"
    before, during, after = doc["phases"]
    assert during["predicted"]["kind"] == "cycle"
    assert before["predicted"]["kind"] == after["predicted"]["kind"] == "equilibrium"
    p = {**PING.defaults, "eta_E": 1.0}
    _, cycles = rv_attractors(p, t_end=300.0, starts=STARTS[2:])
    # AUTO's period against the (r, v) simulation's mean period (crossings
    # interpolated on a 0.005 grid): measured 2.6e-7 relative, observed 1.9e-7; the
    # range of r: 5e-6 (the simulation's extremes sampled on that grid)
    assert during["predicted"]["period"] == pytest.approx(cycles[0][2], rel=1e-4)
    assert during["observed"]["period"] == pytest.approx(cycles[0][2], rel=1e-3)
    assert during["predicted"]["r_min"] == pytest.approx(cycles[0][0], abs=1e-4)
    assert during["predicted"]["r_max"] == pytest.approx(cycles[0][1], abs=1e-4)
    # the quiet equilibrium against Newton on the (r, v) form
    q = {**PING.defaults, "eta_E": -1.0}
    X = fsolve(lambda X: rv_rhs(0.0, X, q), rv_start(q, 0.07, -1.0, 0.07, -1.0),
               xtol=1e-13)
    assert np.max(np.abs(rv_rhs(0.0, X, q))) < 1e-11
    for ph in (before, after):
        assert ph["predicted"]["r"] == pytest.approx(X[0], abs=1e-9)
        assert ph["observed"]["r_end"] == pytest.approx(X[0], abs=1e-6)
        # the observed decay is that of the slowest excited mode (the synapses from one
        # source with equal time constants keep their ratio: their own mode is silent);
        # measured 2.7e-4 relative, 5 % is Tolerances.rate_rel
        assert ph["observed"]["decay_rate"] == pytest.approx(ph["predicted"]["decay_rate"],
                                                             rel=0.05)
        assert [-0.5, 0.0] in ph["predicted"]["unexcited_eigenvalues"]


# ------------------------------------------------------------------- verify-grid
def test_verify_grid_on_ping(tmp_path, capsys):
    out = tmp_path / "grid"
    capsys.readouterr()
    status = cli.main(["verify-grid", "--circuit", "ping", "--axes", "eta_E,J_EE",
                       "--range", "eta_E=-2:3:6", "--range", "J_EE=0:10:3", "--random", "2",
                       "--t-end", "100", "--workers", "1", "--json", "--out", str(out)])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["pass"] and doc["unexplained"] == 0
    assert doc["axes"] == ["eta_E", "J_EE"] and doc["cells"] == 18
    cells = pd.read_csv(out / "cells.csv")
    assert {"eta_E", "J_EE"} <= set(cells.columns)
    # both kinds of attractor on the grid: a check of regions, not of one region
    assert cells["observed_oscillation"].any() and (cells["observed_stable"] > 0).any()
    diagram = BifurcationCurves.load(out / "diagram.json")
    assert diagram.axes == ("eta_E", "J_EE") and diagram.model == PING
    assert {c.kind for c in diagram.curves} >= {"hopf", "fold"}
