"""Verification by simulation: tutorial, limit cycle, wrong diagrams, grid check, CLI."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure

from thetabif import Continuation, Protocol, ThetaModel
from thetabif.verification import BifurcationCurves, Tolerances, verify, verify_grid
from thetabif.verification.grid import GridResult
from thetabif.verification.timecourse import PhaseCheck

CYCLE_MODEL = ThetaModel(synapse="first-order")
# inhibitory first-order synapse: supercritical Hopf at eta = 8.1201 (l1 < 0);
# the step I_ext = 7 puts the "during" phase at eta_eff = 12, on the stable cycle
CYCLE_PARAMS = {"eta": 5.0, "J": -10.0, "tau_s": 0.5}
CYCLE_PROTOCOL = Protocol.step(60.0, 120.0, 7.0)


@pytest.fixture(scope="module")
def tutorial():
    cont = Continuation(ThetaModel(), {"eta": -5.0, "J": 15.0})
    diagram = cont.equilibria("eta", -15.0, 8.0)
    res = verify(ThetaModel(), {"eta": -5.0, "J": 15.0}, Protocol.step(20, 80, 3),
                 z0=-0.6 - 0.8j, diagram=diagram, continuation=cont)
    return diagram, res


def test_tutorial_fully_predicted_and_confirmed(tutorial):
    _, res = tutorial
    assert res.passed, res.table()
    before, during, after = res.phases
    assert [p.name for p in res.phases] == ["before", "during", "after"]
    # the known equilibria: low state, high state during the pulse, high state after
    assert before.predicted["r"] == pytest.approx(0.0811344, abs=1e-7)
    assert before.predicted["type"] == "node"
    assert during.predicted["r"] == pytest.approx(1.3732457, abs=2e-6)
    assert during.predicted["type"] == "focus"
    assert after.predicted["r"] == pytest.approx(1.0305968, abs=1e-6)
    assert after.predicted["type"] == "focus"
    # hysteresis: bistable before and after; the saddle separates the low start from
    # the high state the pulse left behind
    assert before.predicted["n_stable_equilibria"] == 2
    assert after.predicted["n_stable_equilibria"] == 2
    assert after.predicted["rule"].startswith("separatrix")
    assert all(p.predicted["newton_agrees"] for p in res.phases)
    # observed: converged before/during; after t = 100 the transient (rate 0.309 over
    # 20 time units) leaves r = 1.0299315, within the predicted transient bound
    assert before.observed["r_end"] == pytest.approx(0.0811344, abs=1e-7)
    assert after.observed["r_end"] == pytest.approx(1.0299315, abs=1e-6)
    for p in res.phases:
        assert p.observed["decay_rate"] == pytest.approx(p.predicted["decay_rate"], rel=0.01)
    for p in (during, after):
        assert p.observed["frequency"] == pytest.approx(p.predicted["frequency"], rel=0.005)
    doc = json.loads(res.to_json())
    assert doc["pass"] is True and len(doc["phases"]) == 3
    assert {"name", "start", "stop", "predicted", "observed", "pass"} <= set(doc["phases"][0])
    assert "all phases pass" in res.table()
    assert isinstance(res.figure(), Figure)
    assert list(res.to_dataframe()["pass"]) == [True, True, True]


def test_limit_cycle_against_auto():
    res = verify(CYCLE_MODEL, CYCLE_PARAMS, CYCLE_PROTOCOL, t_end=180.0)
    assert res.passed, res.table()
    before, during, after = res.phases
    assert before.predicted["kind"] == after.predicted["kind"] == "equilibrium"
    cyc = during.predicted
    assert cyc["kind"] == "cycle" and cyc["l1"] < 0
    assert cyc["eta_eff"] == pytest.approx(12.0)
    # AUTO's orbit at eta = 12 (NTST = 80): period 1.32368, r in [0.29434, 1.71597]
    assert cyc["period"] == pytest.approx(1.32368, abs=1e-4)
    obs = during.observed
    assert obs["period"] == pytest.approx(cyc["period"], rel=1e-4)
    amp = cyc["r_max"] - cyc["r_min"]
    assert abs(obs["r_max"] - cyc["r_max"]) < 1e-3 * amp
    assert abs(obs["r_min"] - cyc["r_min"]) < 1e-3 * amp
    assert isinstance(res.figure(), Figure)


def test_history_selects_attractor(tutorial):
    from thetabif.equilibrium import find_equilibria

    diagram, _ = tutorial
    # start next to the high state instead: the separatrix rule now predicts the high
    # state already before the pulse, and the simulation stays there
    high = find_equilibria(ThetaModel(), {"eta": -5.0, "J": 15.0})[-1]
    res = verify(ThetaModel(), {"eta": -5.0, "J": 15.0}, diagram=diagram,
                 z0=high.z * 0.99)
    assert res.passed, res.table()
    assert res.phases[0].predicted["r"] == pytest.approx(high.r, abs=1e-9)
    assert res.phases[0].predicted["rule"].startswith("separatrix")


def test_cycle_coexisting_with_node():
    # n = 2, J = -40: a stable cycle (supercritical Hopf at eta = 18.2469) coexists
    # with the stable low node at eta = 18. From z0 = 0 the separatrix rule picks the
    # cycle; the inhibitory pulse leaves only the node, which the system keeps after
    # it (hysteresis between an oscillation and a quiescent state)
    model, params = ThetaModel(n=2), {"eta": 18.0, "J": -40.0}
    cont = Continuation(model, {**params, "eta": 10.0})
    diagram = cont.equilibria("eta", 6.0, 28.0)
    res = verify(model, params, Protocol.step(400, 460, -2), t_end=520.0, z0=0.0,
                 diagram=diagram, continuation=cont)
    assert res.passed, res.table()
    kinds = [p.predicted["kind"] for p in res.phases]
    assert kinds == ["cycle", "equilibrium", "equilibrium"]
    assert res.phases[0].predicted["n_stable_equilibria"] == 1
    assert res.phases[0].predicted["rule"].startswith("separatrix")
    assert res.phases[2].predicted["rule"].startswith("separatrix")
    # 60 time units are far too short for this weakly attracting cycle: not confirmed,
    # and the failure says why
    short = verify(model, params, Protocol.step(60, 120, -2), t_end=180.0, z0=0.0,
                   diagram=diagram, continuation=cont)
    assert not short.phases[0].passed and short.phases[0].verdict == "inconclusive"
    assert short.verdict == "inconclusive"
    assert any("attracts slowly" in f for f in short.phases[0].failures)


def _shift_diagram(diagram, d_eta):
    branches = tuple(replace(b, data={**b.data, "eta": np.asarray(b.data["eta"]) + d_eta})
                     for b in diagram.branches)
    return replace(diagram, branches=branches)


def test_wrong_diagram_is_caught(tutorial):
    diagram, _ = tutorial
    # folds moved by +1.5: the pulse (eta_eff = -2) now looks bistable, and the
    # separatrix rule keeps the system on the low branch -- the simulation disagrees
    wrong = _shift_diagram(diagram, 1.5)
    res = verify(ThetaModel(), {"eta": -5.0, "J": 15.0}, Protocol.step(20, 80, 3),
                 diagram=wrong, polish=False)
    assert not res.passed
    during = res.phases[1]
    assert not during.passed
    assert during.predicted["r"] < 0.5  # the (wrong) low state
    assert any("r at the phase end" in f for f in during.failures)
    assert "VERIFICATION FAILED" in res.table()
    # a too-strict tolerance is also reported as a failure, not hidden
    strict = verify(ThetaModel(), {"eta": -5.0, "J": 15.0}, diagram=diagram,
                    tolerances=Tolerances(rate_rel=1e-6))
    assert not strict.passed


def test_verify_rejects_bad_input(tutorial):
    diagram, _ = tutorial
    with pytest.raises(ValueError, match="ThetaModel"):
        verify("theta", {})
    with pytest.raises(ValueError, match="Protocol"):
        verify(ThetaModel(), {"J": 15.0}, 3.0, diagram=diagram)
    with pytest.raises(ValueError, match="dt"):
        verify(ThetaModel(), {"J": 15.0}, diagram=diagram, dt=0.5)
    with pytest.raises(ValueError, match="t_end"):
        verify(ThetaModel(), {"J": 15.0}, diagram=diagram, t_end=-1.0)
    with pytest.raises(ValueError, match="J = 15"):
        verify(ThetaModel(), {"J": 10.0}, diagram=diagram)
    with pytest.raises(ValueError, match="unit disk"):
        verify(ThetaModel(), {"J": 15.0}, diagram=diagram, z0=2.0)


def test_diagram_window_reaches_the_hopf_point_of_the_cycle():
    """`verify --n 2 --synapse first-order --set Delta=0.2 --set tau_s=0.2 --set J=-11.5
    --set eta=0 --step 20:80:5 --z0=0`: "during" (eta + I_ext = 5) failed because the
    diagram window, eta + I_ext +- 10, missed HB2, where the cycle there is born
    (issue 16, item 6)."""
    from thetabif.equilibrium import find_equilibria

    model = ThetaModel(n=2, synapse="first-order")
    params = {"Delta": 0.2, "tau_s": 0.2, "J": -11.5, "eta": 0.0}
    step = Protocol.step(20, 80, 5)
    # Newton, independent of AUTO: at eta + I_ext = 5 the one equilibrium is a focus
    # with an unstable complex pair, which regains stability between eta = 68.17 and
    # 68.27 (Re of the pair +1.6e-5 and -1.6e-5): a Hopf point 63 beyond the phase
    (focus,) = find_equilibria(model, {**params, "eta": 5.0})
    assert not focus.stable and np.max(focus.eigenvalues.real) > 0.2
    pair = [np.max(find_equilibria(model, {**params, "eta": e})[-1].eigenvalues.real)
            for e in (68.17, 68.27)]
    assert pair[0] > 0 > pair[1]
    res = verify(model, params, step, z0=0.0)
    assert res.passed, res.table()
    cyc = res.phases[1].predicted
    assert cyc["kind"] == "cycle" and cyc["eta_eff"] == 5.0
    assert 68.17 < cyc["hopf_eta"] < 68.27 and cyc["l1"] < 0
    assert "unstable_focus_open_at" not in cyc
    # the simulation, independent of the diagram, runs on the predicted orbit (the
    # tolerances of Tolerances: period 1e-3, range 5e-3 of the amplitude)
    obs = res.phases[1].observed
    assert obs["period"] == pytest.approx(cyc["period"], rel=1e-3)
    amp = cyc["r_max"] - cyc["r_min"]
    assert abs(obs["r_max"] - cyc["r_max"]) < 5e-3 * amp
    assert abs(obs["r_min"] - cyc["r_min"]) < 5e-3 * amp
    # a diagram given with the old window is not silently short: the failure says
    # the unstable focus runs out of it; one that misses the phase is an error
    cont = Continuation(model, {**params, "I_ext": 0.0})
    narrow = cont.equilibria("eta", -10.0, 15.0)
    short = verify(model, params, step, z0=0.0, diagram=narrow, continuation=cont)
    during = short.phases[1]
    assert not during.passed
    assert during.predicted["unstable_focus_open_at"] == [pytest.approx(15.0)]
    assert "still unstable where the diagram ends (eta = 15)" in during.failures[0]
    with pytest.raises(ValueError, match=r"the diagram covers eta in \[-10, 15\], phase "
                       r"'during' sits at eta \+ I_ext = 30"):
        verify(model, params, Protocol.step(20, 80, 30), z0=0.0, diagram=narrow,
               continuation=cont)


def test_zero_amplitude_step_sits_on_its_equilibrium(tutorial):
    """A zero-amplitude step: "during" and "after" start on the equilibrium "before"
    converged to, so there is no transient whose decay rate could be measured; that
    is not a failure, r still is judged (issue 16, item 6: both phases failed with "no
    linear-regime window")."""
    from thetabif.verification.timecourse import NOISE_FLOOR

    diagram, _ = tutorial
    eta, J, delta = -5.0, 15.0, 1.0
    # closed form, independent of thetabif: the Montbrio-Pazo-Roxin equations
    # r' = Delta/pi + 2 r v, v' = v^2 + eta + J r - pi^2 r^2 have equilibria at the
    # positive roots of pi^2 r^4 - J r^3 - eta r^2 - Delta^2/(4 pi^2) = 0 with
    # v = -Delta/(2 pi r), and eigenvalues 2 v +- sqrt(2 r (J - 2 pi^2 r))
    roots = np.roots([np.pi ** 2, -J, -eta, 0.0, -delta ** 2 / (4 * np.pi ** 2)])
    r_low = min(x.real for x in roots if abs(x.imag) < 1e-12 and x.real > 0)
    v_low = -delta / (2 * np.pi * r_low)
    rate_low = -(2 * v_low + np.sqrt(2 * r_low * (J - 2 * np.pi ** 2 * r_low)))
    res = verify(ThetaModel(), {"eta": eta, "J": J}, Protocol.step(20, 80, 0.0),
                 diagram=diagram)
    assert res.passed, res.table()
    for p in res.phases:
        # Newton-polished prediction vs the quartic's root: both ~1e-12 accurate
        assert p.predicted["r"] == pytest.approx(r_low, abs=1e-9)
        assert p.predicted["decay_rate"] == pytest.approx(rate_low, rel=1e-9)
        # the simulation (rtol 1e-10, global error ~1e-9) ends on the closed form
        assert p.observed["r_end"] == pytest.approx(r_low, abs=1e-8)
    before, during, after = res.phases
    # "before" decays from z0: its rate is measured, to the fit's 1 % (see tutorial)
    assert before.observed["decay_rate"] == pytest.approx(rate_low, rel=0.01)
    for p in (during, after):
        assert p.observed["distance_start"] < NOISE_FLOOR
        assert "decay_rate" not in p.observed
        assert any("starts" in n and "from its equilibrium" in n
                   for n in p.observed["notes"])
    # starting on the *predicted* state is not a free pass: with the folds moved by
    # 0.3 the predicted low state is off, and "during" (started on the true one) fails
    wrong = verify(ThetaModel(), {"eta": eta, "J": J}, Protocol.step(20, 80, 0.0),
                   diagram=_shift_diagram(diagram, 0.3), polish=False)
    assert not wrong.phases[1].passed
    assert any("r at the phase end" in f for f in wrong.phases[1].failures)


def test_phase_not_simulated_is_an_error(tutorial):
    """A step at or after t_end, or any protocol phase left empty, is a ValueError
    naming the argument, its value and what is allowed -- never a pass of the phases
    that remain (issue 16, item 6: --step 20:80:5 with --t-end 10 passed "all phases")."""
    diagram, _ = tutorial
    args = (ThetaModel(), {"eta": -5.0, "J": 15.0})
    for t_end, phase in ((10.0, "during"), (20.0, "during"), (50.0, "after"),
                         (80.0, "after"), (80.005, "after")):
        with pytest.raises(ValueError, match=rf"t_end = {t_end:g} leaves protocol phase "
                           rf"'{phase}' .* t_end must be >= 80.01"):
            verify(*args, Protocol.step(20, 80, 3), t_end=t_end, diagram=diagram)
    with pytest.raises(ValueError, match=r"switch time 0 leaves its first phase 'before' "
                       r".* must be >= dt = 0.01"):
        verify(*args, Protocol.step(0, 80, 3), diagram=diagram)
    with pytest.raises(ValueError, match=r"phase 'during' \[20, 20.005\) is 0.005 long, "
                       r"shorter than dt = 0.01; switch times must be at least dt"):
        verify(*args, Protocol.step(20, 20.005, 3), diagram=diagram)
    # the smallest allowed t_end (last switch + dt) simulates and judges every phase
    res = verify(*args, Protocol.step(20, 80, 3), t_end=80.01, diagram=diagram)
    assert [p.name for p in res.phases] == ["before", "during", "after"]
    # the CLI reports it as its one-line usage error (exit status 2), not as a pass
    out = run_cli("verify", "--set", "eta=-5", "--set", "J=15", "--step", "20:80:3",
                  "--t-end", "10")
    assert out.returncode == 2, out.stdout
    assert out.stderr.strip().splitlines() == [
        "thetabif: error: --t-end = 10 leaves protocol phase 'during' [20, 80) empty; "
        "--t-end must be >= 80.01 (the last switch time 80 + dt) so that every phase is "
        "simulated"]


# ------------------------------------------------------------------- grid check
ETA = np.linspace(-8.0, 0.0, 9)
JS = np.linspace(0.0, 20.0, 6)


@pytest.fixture(scope="module")
def grid():
    diagram = BifurcationCurves.compute(ThetaModel(), {}, (-8.0, 0.0), (0.0, 20.0), rows=2)
    return diagram, verify_grid(ThetaModel(), {}, ETA, JS, diagram=diagram, n_random=2,
                                max_workers=2, progress=False)


def test_grid_agrees_with_diagram(grid):
    diagram, res = grid
    assert [c.kind for c in diagram.curves] == ["fold", "fold"]
    cells = res.cells
    assert len(cells) == len(ETA) * len(JS)
    far = cells[cells["distance"] > res.near]
    assert far["match"].all()
    # both regions are present: bistable inside the cusp's wedge
    assert {"1 stable eq", "2 stable eq"} <= set(cells["observed"])
    assert (cells["initial_conditions"] >= 3).all()
    # every disagreement lies within `near` grid steps of a curve
    assert res.mismatches["explained"].all()
    assert res.passed
    assert res.summary()["pass"] is True


def test_grid_catches_perturbed_diagram(grid):
    diagram, res = grid
    # the cusp moved by two grid steps in each direction (eta + 2, J + 8): cells of
    # the true bistable wedge now lie in the monostable region, 1-2.3 steps away
    wrong = res.against(diagram.shifted(d_eta=2.0, d_J=8.0))
    assert not wrong.passed
    bad = wrong.unexplained
    assert len(bad) > 0 and (bad["distance"] > wrong.near).all()
    # the observations did not change, only the predictions
    assert (wrong.cells["observed"] == res.cells["observed"]).all()
    assert isinstance(wrong.figure(), Figure)


def test_grid_with_hopf_curve():
    # inhibitory first-order synapse: a supercritical Hopf curve bounds the region of
    # collective oscillations (no stable equilibrium there)
    model, params = ThetaModel(synapse="first-order"), {"tau_s": 0.5}
    eta, J = np.linspace(4.0, 12.0, 5), np.linspace(-16.0, -4.0, 4)
    diagram = BifurcationCurves.compute(model, params, (4.0, 12.0), (-16.0, -4.0), rows=2)
    assert {c.kind for c in diagram.curves} == {"hopf"}
    res = verify_grid(model, params, eta, J, diagram=diagram, n_random=1, t_end=120.0,
                      max_workers=2, progress=False)
    assert {"1 stable eq", "oscillation"} == set(res.cells["observed"])
    assert res.cells[res.cells["distance"] > res.near]["match"].all()
    assert res.passed, res.summary()


def test_grid_on_dask_local_cluster(grid):
    distributed = pytest.importorskip("distributed")
    diagram, res = grid
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        small = verify_grid(ThetaModel(), {}, ETA[3:5], JS[3:5], diagram=diagram,
                            n_random=2, client=client, progress=False)
    local = res.cells.set_index(["eta", "J"])
    for row in small.cells.to_dict("records"):
        assert row["observed"] == local.loc[(row["eta"], row["J"]), "observed"]


def test_grid_rejects_bad_input(grid):
    diagram, _ = grid
    with pytest.raises(ValueError, match="increasing"):
        verify_grid(ThetaModel(), {}, [0.0, -1.0], JS, diagram=diagram)
    with pytest.raises(ValueError, match="evenly"):
        verify_grid(ThetaModel(), {}, [0.0, 1.0, 3.0], JS, diagram=diagram)
    with pytest.raises(ValueError, match="n_random"):
        verify_grid(ThetaModel(), {}, ETA, JS, diagram=diagram, n_random=-1)
    with pytest.raises(ValueError, match="t_end"):
        verify_grid(ThetaModel(), {}, ETA, JS, diagram=diagram, t_end=10.0)
    with pytest.raises(ValueError, match="diagram"):
        verify_grid(ThetaModel(n=2), {}, ETA, JS, diagram=diagram)


def test_grid_write_refuses_overwrite(grid, tmp_path):
    _, res = grid
    paths = res.write(tmp_path / "out")
    assert all(p.exists() for p in paths)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["cells"] == len(ETA) * len(JS)
    assert summary["model_options"] == {"n": None, "synapse": "instant",
                                        "coupling": "current"}
    with pytest.raises(FileExistsError):
        res.write(tmp_path / "out")
    res.write(tmp_path / "out", overwrite=True)
    # the older call: save into a folder, force=
    with pytest.raises(FileExistsError):
        res.save(tmp_path / "out")
    assert res.save(tmp_path / "out", force=True) == paths
    # diagram.json is a BifurcationCurves record
    back = BifurcationCurves.load(tmp_path / "out" / "diagram.json")
    assert back.to_dict() == res.diagram.to_dict()


def test_grid_result_round_trip(grid, tmp_path):
    _, res = grid
    path = res.save(tmp_path / "grid.json")
    with pytest.raises(FileExistsError):
        res.save(path)
    back = GridResult.load(path)
    assert back.to_dict() == res.to_dict()
    assert back.passed == res.passed and len(back.cells) == len(res.cells)
    assert res.summary().items() <= res.to_dict().items()


def test_verification_record(tutorial, tmp_path):
    _, res = tutorial
    d = res.to_dict()
    assert (d["model"], d["model_options"]) == ("theta", {"n": None, "synapse": "instant",
                                                          "coupling": "current"})
    assert d["params"] == res.params
    path = res.save(tmp_path / "verify.json")
    with pytest.raises(FileExistsError):
        res.save(path)
    doc = json.loads(path.read_text())
    assert doc == json.loads(res.to_json())
    for phase, saved in zip(res.phases, doc["phases"], strict=True):
        back = PhaseCheck.from_dict(saved)
        assert back.to_dict() == phase.to_dict()
        assert back.verdict == phase.verdict and back.failures == phase.failures
    check = res.phases[0].save(tmp_path / "phase.json")
    assert PhaseCheck.load(check).to_dict() == res.phases[0].to_dict()


# -------------------------------------------------------------------------- CLI
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thetabif", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_verify_json():
    out = run_cli("verify", "--set", "eta=-5", "--set", "J=15", "--step", "20:80:3",
                  "--z0=-0.6-0.8j", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["pass"] is True
    assert [p["name"] for p in doc["phases"]] == ["before", "during", "after"]
    for p in doc["phases"]:
        assert {"name", "start", "stop", "predicted", "observed", "pass"} <= set(p)
    assert doc["phases"][2]["predicted"]["r"] == pytest.approx(1.0305968, abs=1e-6)


def test_cli_usage_errors(tmp_path):
    out = run_cli("verify", "--step", "20:80")
    assert out.returncode == 2 and "START:STOP:AMPLITUDE" in out.stderr
    out = run_cli("verify-grid", "--eta", "0:1", "--J", "0:1:2", "--out", str(tmp_path))
    assert out.returncode == 2 and "START:STOP:N" in out.stderr
    (tmp_path / "summary.json").write_text("{}")
    out = run_cli("verify-grid", "--eta=-8:-7:2", "--J", "0:1:2", "--out", str(tmp_path))
    assert out.returncode == 2 and "pass --force" in out.stderr
    assert (tmp_path / "summary.json").read_text() == "{}"


def test_add_verify_commands_registers_both():
    from thetabif.cli.verify import add_verify_commands

    parser = argparse.ArgumentParser()
    add_verify_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["verify-grid", "--eta=-8:0:9", "--J", "0:20:6",
                              "--out", "x"])
    assert args.eta == (-8.0, 0.0, 9) and args.J == (0.0, 20.0, 6)


def test_crossings_through_an_exact_zero():
    """A sample exactly at 0 must not hide a crossing (np.sign gives 0 there)."""
    from thetabif.verification.timecourse import _crossings

    t = np.arange(6.0)
    y = np.array([-1.0, 0.0, 1.0, 0.0, -1.0, 1.0])
    np.testing.assert_allclose(_crossings(t, y), [1.0, 3.0, 4.5])
    np.testing.assert_allclose(_crossings(t, y, upward_only=True), [1.0, 4.5])


def test_transient_bound_uses_the_sampled_time():
    """r_end is the last sample before the phase end: the decay allowed for runs over
    t_end - t_start of the samples, not the whole phase (up to dt longer)."""
    from thetabif.verification.timecourse import Tolerances, _judge

    tol = Tolerances()
    pred = {"kind": "equilibrium", "decay_rate": 1.0, "r": 0.0, "eigvec_cond": 1.0,
            "type": "node"}
    phase, dt = 5.0, 0.5
    # exactly what the linear transient leaves after the sampled 4.5 time units
    r_end = 0.999 * tol.transient_factor * np.exp(-(phase - dt))
    assert r_end > tol.r_abs  # so the transient bound, not r_abs, decides
    obs = {"r_start": 1.0, "r_end": r_end, "t_start": 0.0, "t_end": phase - dt,
           "decay_rate": 1.0}
    assert not [f for f in _judge(pred, obs, phase, tol)[1] if f.startswith("r at")]
    obs["t_end"] = phase + dt  # a longer stretch must have decayed further
    assert [f for f in _judge(pred, obs, phase, tol)[1] if f.startswith("r at")]


# ------------------------------------------- reviewer's failures F1-F4 (verify)
def test_phase_too_short_to_reach_its_equilibrium_is_inconclusive():
    """F1: a weakly damped focus (rate 0.0089) that the 60-unit phase never comes
    near (|u - u*| > 0.08 throughout, r swinging over 14) was passed on the transient
    bound alone. It is "inconclusive" now -- not a pass, exit status 3 -- as is the
    slowly attracting cycle of :func:`test_cycle_coexisting_with_node`. (Simulated for
    3000 time units at eta + I_ext = 200, r does settle at the predicted 4.401477.)"""
    from thetabif.verification.timecourse import LINEAR_REGIME

    args = ("verify", "--n", "2", "--synapse", "first-order", "--set", "Delta=0.2",
            "--set", "tau_s=0.2", "--set", "J=-11.5", "--set", "eta=0", "--z0=0", "--json")
    out = run_cli(*args, "--step", "20:80:200")
    assert out.returncode == 3, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["pass"] is False and doc["verdict"] == "inconclusive"
    before, during, after = doc["phases"]
    assert before["verdict"] == after["verdict"] == "pass"
    assert during["verdict"] == "inconclusive" and during["pass"] is False
    assert during["predicted"]["decay_rate"] == pytest.approx(0.0088949, rel=1e-4)
    # never in the linear regime (its closest approach: 0.087)
    assert during["observed"]["distance_min"] > LINEAR_REGIME
    assert any("did not reach the linear regime" in f for f in during["failures"])
    # the same model's slowly attracting cycle (rate ~0.076): the same verdict
    out = run_cli(*args, "--step", "20:80:30")
    assert out.returncode == 3, out.stdout + out.stderr
    during = json.loads(out.stdout)["phases"][1]
    assert during["predicted"]["kind"] == "cycle" and during["verdict"] == "inconclusive"
    assert any("attracts slowly" in f for f in during["failures"])


def _mpr_focus(r: float, J: float, delta: float = 1.0) -> tuple[float, float]:
    """Decay rate and frequency at an equilibrium ``r`` of the delta-pulse model, in
    closed form from the Montbrio-Pazo-Roxin equations (see
    :func:`test_zero_amplitude_step_sits_on_its_equilibrium`): the eigenvalues
    ``2 v +- sqrt(2 r (J - 2 pi^2 r))`` with ``v = -Delta / (2 pi r)``."""
    return delta / (np.pi * r), float(np.sqrt(2 * r * (2 * np.pi ** 2 * r - J)))


def test_strongly_damped_focus_frequency_not_measurable():
    """F2: J = -10 gives foci damped by exp(-2 pi 4.78 / 1.23) ~ 2e-11 per period: at
    most 1.5 zero crossings of r - r* lie between the linear regime and the noise
    floor, so the frequency is reported as not measurable, not as 0 (all three phases
    failed). The decay rate, fitted as the complex pair it is, matches the closed form
    to 1e-3 (it was 10 % off: a real exponential fitted to |u - u*| of a spiral)."""
    res = verify(ThetaModel(), {"J": -10.0})
    assert res.passed, res.table()
    for p in res.phases:
        rate, omega = _mpr_focus(p.observed["r_end"], -10.0)
        assert p.predicted["decay_rate"] == pytest.approx(rate, rel=1e-7)
        assert p.predicted["frequency"] == pytest.approx(omega, rel=1e-7)
        # weighted linear fit of the one-step map: measured 1e-4..1.1e-3 off
        assert p.observed["decay_rate"] == pytest.approx(rate, rel=3e-3)
        assert p.observed["frequency"] is None
        assert p.observed["observable_crossings"] < 2
        assert any("frequency not measurable" in n for n in p.observed["notes"])
    assert "w=n/a" in res.table()


def test_strongly_damped_focus_conductance_coupling():
    """F2, conductance coupling: damped by exp(-2 pi 7.3 / 3.1) per period; the rate
    differed by 7 % and the frequency was 'observed' as 0."""
    res = verify(ThetaModel(coupling="conductance"))
    assert res.passed, res.table()
    for p in res.phases:
        assert p.observed["decay_rate"] == pytest.approx(p.predicted["decay_rate"], rel=1e-2)
        assert p.observed["frequency"] is None


def test_frequency_judged_where_measurable():
    """The measurability rule must not pass a wrong frequency that is observable."""
    from thetabif.verification.timecourse import _judge

    pred = {"kind": "equilibrium", "type": "focus", "decay_rate": 0.25, "frequency": 5.0,
            "r": 1.0, "eigvec_cond": 1.0}
    obs = {"r_start": 1.0, "r_end": 1.0, "t_start": 0.0, "t_end": 50.0, "decay_rate": 0.25,
           "frequency": 4.0, "observable_crossings": 70.0, "zero_crossings": 70}
    verdict, why = _judge(pred, obs, 50.0, Tolerances())
    assert verdict == "fail" and any(f.startswith("frequency 4") for f in why)
    # predicted observable but no oscillation seen: a failure, not "not measurable"
    obs.update(frequency=None, zero_crossings=0)
    verdict, why = _judge(pred, obs, 50.0, Tolerances())
    assert verdict == "fail" and any("no oscillation" in f for f in why)


def test_node_with_noise_is_not_an_oscillation():
    """F3: the slow mode of this node lies almost along s; its r - r* (~5e-4 |u - u*|)
    falls below r's integration noise (~1e-8 at |z| = 0.9986) long before |u - u*|
    reaches the noise floor, and the noise's sign changes were counted as 30
    "oscillations" of frequency 23.8, an eigenvalue of nothing."""
    res = verify(ThetaModel(n=3, synapse="first-order", coupling="conductance"))
    assert res.passed, res.table()
    for p in res.phases:
        assert p.predicted["type"] == "node"
        assert p.observed["zero_crossings"] <= 2
        assert p.observed["decay_rate"] == pytest.approx(p.predicted["decay_rate"], rel=1e-3)


def test_crossings_ignore_noise_inside_the_band():
    from thetabif.verification.timecourse import _crossings

    t = np.linspace(0.0, 20.0, 2001)
    rng = np.random.default_rng(1)
    y = 1e-3 * np.exp(-t) + 1e-8 * rng.standard_normal(t.size)  # no real crossing
    assert len(_crossings(t, y)) > 10
    assert len(_crossings(t, y, band=1e-7)) == 0
    w = np.exp(-0.2 * t) * np.sin(3.0 * t) + 1e-8 * rng.standard_normal(t.size)
    cr = _crossings(t, w, band=1e-7)
    # linear interpolation across a zero of exp(-a t) sin(w t) is off by about
    # a dt^2 / 4 = 5e-6 (curvature y''/y' = -2a there), plus noise / slope < 1e-6
    np.testing.assert_allclose(cr, np.pi / 3 * np.arange(1, len(cr) + 1), atol=1e-5)
    assert len(cr) == 19


def test_diagram_of_another_model_or_parameter_is_rejected():
    """F4: a continuation or diagram of another model, or a diagram continued in
    another parameter, is an InputError naming the mismatch (the wrong model's
    diagram was used silently; a J-diagram gave KeyError 'eta')."""
    from thetabif.errors import InputError

    cont2 = Continuation(ThetaModel(n=2))
    with pytest.raises(InputError, match=r"continuation is of model 'theta_n2'.*'theta'"):
        verify(continuation=cont2)
    default = Continuation()
    with pytest.raises(InputError, match=r"diagram is of model 'theta'.*'theta_n2'"):
        verify(ThetaModel(n=2), diagram=default.equilibria("eta", -20.0, 20.0))
    with pytest.raises(InputError, match=r"diagram .* continued in J.* must be in eta"):
        verify(diagram=default.equilibria("J", -20.0, 20.0))
    with pytest.raises(InputError, match=r"continuation .* J = 15.* J = -10"):
        verify(ThetaModel(), {"J": -10.0}, continuation=default)
