"""Circuits on the command line: ``--circuit`` in every command that takes circuits,
``thetabif circuit list|show|check``, and the AUTO export of a circuit.

Numbers are checked against independent computations:

* the Hopf points of ``ping`` (``equilibria --json``) against Newton on the Hopf
  defining system in the (r, v) form (tests/test_circuits.py: eta_E = 0.36000628717
  and 2.38729715873);
* the exported script, run by AUTO-07p's own command line, against the same values;
* a simulation driven through ``--inputs FILE.csv`` against the equilibrium
  conditions of the (r, v) form written here;
* the Hopf curve of ``curve --circuit`` against the eigenvalues of the Jacobian.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from thetabif import cli
from thetabif.export import export_filenames
from thetabif.models.circuit_file import read_circuit, standard_circuits

#: The Hopf points of the shipped ping circuit in eta_E (tests/test_circuits.py: Newton
#: on the Hopf defining system in the (r, v) form, not AUTO).
PING_HB = (0.36000628717, 2.38729715873)
AUTO_DIR = Path(os.environ.get("AUTO_DIR", "/usr/lib/auto-07p"))
DEBIAN_PYTHON = "/usr/bin/python3"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``thetabif ARGV`` in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        status = cli.main(argv)
    except SystemExit as exc:
        status = int(exc.code)
    out, err = capsys.readouterr()
    return status, out, err


def refused(argv: list[str], capsys, *words: str) -> str:
    """Assert that ``thetabif ARGV`` exits 2 with an error naming every one of ``words``."""
    status, out, err = run(argv, capsys)
    assert status == 2, (status, out, err)
    assert err.startswith("thetabif: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)
    return err


# ------------------------------------------------------------------ model options
def test_circuit_option_errors(capsys, tmp_path):
    refused(["simulate", "--circuit", "ping", "--n", "2"], capsys, "--circuit", "--n")
    refused(["equilibria", "--circuit", "ping", "--synapse", "first-order"], capsys,
            "--synapse")
    refused(["export", "--circuit", "ping", "--coupling", "current", "--out",
             str(tmp_path / "x")], capsys, "--coupling")
    # an unknown name lists the circuit's parameters; a value outside its range names it
    refused(["simulate", "--circuit", "ping", "--set", "eta=1"], capsys, "'eta'", "eta_E",
            "J_EI", "tau_s_II")
    refused(["simulate", "--circuit", "ping", "--set", "Delta_E=-1"], capsys, "Delta_E",
            "> 0")
    refused(["simulate", "--circuit", "ping", "--set", "tau_s_EI=nan"], capsys, "tau_s_EI",
            "finite")
    refused(["simulate", "--circuit", "nosuch"], capsys, "nosuch", "ping", "ii")
    bad = tmp_path / "bad.toml"
    bad.write_text('[populations.E]\nDelta = -1\n')
    refused(["simulate", "--circuit", str(bad)], capsys, str(bad), "Delta_E", "> 0")
    # phase-diagram, verify and verify-grid take circuits: wrong axes are named, with
    # the allowed parameters listed, before anything is computed or written
    refused(["phase-diagram", "--circuit", "ping", "--axes", "eta,J_EE", "--out",
             str(tmp_path / "p")], capsys, "--axes", "'eta'", "eta_E", "J_EE", "tau_s_II")
    refused(["phase-diagram", "--circuit", "ping", "--axes", "eta_E", "--out",
             str(tmp_path / "p")], capsys, "--axes", "two parameter names")
    refused(["phase-diagram", "--circuit", "ping", "--range", "J_EI=-20:0", "--out",
             str(tmp_path / "p")], capsys, "--range", "J_EI", "eta_E, J_EE")
    refused(["verify-grid", "--circuit", "ping", "--axes", "eta_E,J_XX", "--range",
             "eta_E=-2:3:6", "--out", str(tmp_path / "p")], capsys, "J_XX", "J_EI")
    refused(["verify-grid", "--circuit", "ping", "--range", "eta_E=-2:3:6", "--out",
             str(tmp_path / "p")], capsys, "J_EE=A:B:N")
    refused(["verify", "--circuit", "ping"], capsys, "--step 20:80:3", "E:20:80:3")
    refused(["verify", "--circuit", "ping", "--step", "X:20:80:3"], capsys, "'X'", "E, I")
    assert not (tmp_path / "x").exists() and not (tmp_path / "p").exists()


def test_single_population_unchanged(capsys):
    """The defaults of --synapse and --coupling still apply without --circuit."""
    status, out, _ = run(["simulate", "--t-end", "1", "--dt", "0.5"], capsys)
    assert status == 0 and "model: theta " in out
    status, out, _ = run(["simulate", "--synapse", "first-order", "--set", "tau_s=2",
                          "--t-end", "1", "--dt", "0.5"], capsys)
    assert status == 0 and "tau_s=2" in out


# ----------------------------------------------------------------------- simulate
def test_simulate_step_per_population(capsys, tmp_path):
    out = tmp_path / "run.nc"
    status, text, err = run(["simulate", "--circuit", "ping", "--set", "I_ext_E=0.5",
                             "--step", "E:20:80:3", "--t-end", "100", "--dt", "0.5",
                             "--out", str(out)], capsys)
    assert status == 0, err
    assert "input I_ext_E: 0.5, 3.5 from t=20, 0.5 from t=80" in text
    assert "input I_ext_I: 0" in text
    assert "final state at t=100:" in text and "  E: z = " in text and "  I: z = " in text
    ds = xr.open_dataset(out)
    t = ds.time.values
    expect = np.where((t >= 20) & (t < 80), 3.5, 0.5)
    np.testing.assert_array_equal(ds.I_ext_E.values, expect)
    np.testing.assert_array_equal(ds.I_ext_I.values, 0.0)
    assert json.loads(ds.attrs["parameters"])["I_ext_E"] == 0.5
    for var in ("z_E_real", "z_E_imag", "r_E", "v_E", "abs_z_E", "z_I_real", "r_I", "s_EI",
                "s_IE"):
        assert var in ds


def test_simulate_step_errors(capsys, tmp_path):
    base = ["simulate", "--circuit", "ping", "--t-end", "10"]
    refused([*base, "--step", "20:80:3"], capsys, "--step", "E, I", "E:20:80:3")
    refused([*base, "--step", "X:20:80:3"], capsys, "'X'", "E, I, I_ext_E, I_ext_I")
    refused([*base, "--step", "E:20:80:3", "--step", "I_ext_E:1:2:3"], capsys, "I_ext_E",
            "one step per population")
    refused([*base, "--step", "E:80:20:3"], capsys, "start must be < stop")
    refused([*base, "--step", "E:1:x:3"], capsys, "START:STOP:AMPLITUDE")
    # a single population takes the population-less form, and its input by name
    status, text, _ = run(["simulate", "--step", "I_ext:1:2:3", "--t-end", "3"], capsys)
    assert status == 0 and "I_ext = 0, 3 from t=1, 0 from t=2" in text


def test_simulate_csv_inputs_reach_the_equilibrium(capsys, tmp_path):
    """A constant input column replaces I_ext_E: the run ends on the equilibrium of
    eta_E + I_ext_E = -3 + 2.5, checked by the (r, v) equilibrium conditions written
    here: Delta/(pi tau) + 2 r v = 0 and v^2 + eta + I_ext + sum_S J r_S - (pi tau r)^2
    = 0 for each population (tau = 1, first-order synapses: s_TS = J_TS r_S)."""
    csv = tmp_path / "drive.csv"
    csv.write_text("time,E\n0,2.5\n")
    out = tmp_path / "run.csv"
    status, _, err = run(["simulate", "--circuit", "ping", "--set", "eta_E=-3", "--inputs",
                          str(csv), "--t-end", "200", "--dt", "0.1", "--out", str(out)],
                         capsys)
    assert status == 0, err
    import pandas as pd

    last = pd.read_csv(out).iloc[-1]
    assert last["I_ext_E"] == 2.5 and last["I_ext_I"] == 0.0
    r = {p: last[f"r_{p}"] for p in "EI"}
    v = {p: last[f"v_{p}"] for p in "EI"}
    eta = {"E": -3 + 2.5, "I": -2.0}
    J = {"EE": 5.0, "EI": -10.0, "IE": 10.0, "II": -5.0}
    for p in "EI":
        drive = sum(J[p + q] * r[q] for q in "EI")
        # the decay rate (slowest eigenvalue -0.5 of the synapse with tau_s = 2) leaves
        # ~exp(-0.5 * 200) of the start after t = 200; the solver's 1e-10 dominates
        assert abs(0.5 / math.pi + 2 * r[p] * v[p]) < 1e-8
        assert abs(v[p] ** 2 + eta[p] + drive - (math.pi * r[p]) ** 2) < 1e-8


def test_simulate_csv_time_series_equals_steps(capsys, tmp_path):
    """A CSV holding each value to the next row is the step protocol it describes: the
    two runs are the same integration (same switch times), equal to rounding."""
    csv = tmp_path / "drive.csv"
    csv.write_text("time,E,I_ext_I\n0,0,0.25\n10,3,0.25\n30,0,-1\n")
    out_csv, out_step = tmp_path / "a.nc", tmp_path / "b.nc"
    status, text, err = run(["simulate", "--circuit", "ping", "--inputs", str(csv),
                             "--t-end", "40", "--dt", "0.5", "--out", str(out_csv)], capsys)
    assert status == 0, err
    assert "input I_ext_E: 0, 3 from t=10, 0 from t=30" in text
    assert "input I_ext_I: 0.25, -1 from t=30" in text
    only_i = tmp_path / "i.csv"
    only_i.write_text("time,I\n0,0.25\n30,-1\n")
    status, _, err = run(["simulate", "--circuit", "ping", "--step", "E:10:30:3", "--inputs",
                          str(only_i), "--t-end", "40", "--dt", "0.5", "--out",
                          str(out_step)], capsys)
    assert status == 0, err
    a, b = xr.open_dataset(out_csv), xr.open_dataset(out_step)
    for var in ("r_E", "r_I", "I_ext_E", "I_ext_I", "s_EI"):
        np.testing.assert_allclose(a[var].values, b[var].values, rtol=0, atol=1e-13)
    t = a.time.values
    np.testing.assert_array_equal(a.I_ext_I.values, np.where(t < 30, 0.25, -1.0))


def test_simulate_csv_errors(capsys, tmp_path):
    def csv(text: str) -> str:
        path = tmp_path / f"in{len(list(tmp_path.iterdir()))}.csv"
        path.write_text(text)
        return str(path)

    base = ["simulate", "--circuit", "ping", "--t-end", "10", "--inputs"]
    refused([*base, str(tmp_path / "none.csv")], capsys, "--inputs", "none.csv")
    refused([*base, csv("t,E\n0,1\n")], capsys, "'time'")
    refused([*base, csv("time,X\n0,1\n")], capsys, "'X'", "E, I, I_ext_E, I_ext_I")
    refused([*base, csv("time,E,I_ext_E\n0,1,1\n")], capsys, "two columns", "I_ext_E")
    refused([*base, csv("time,E\n0,1\n5,x\n")], capsys, "line 3", "'E'", "'x'")
    refused([*base, csv("time,E\n0,1\n5,inf\n")], capsys, "line 3", "finite")
    refused([*base, csv("time,E\n0,1\n5,2\n5,3\n")], capsys, "line 4", "increase")
    refused([*base, csv("time,E\n1,1\n")], capsys, "first time", "<= 0")
    refused([*base, csv("time,E\n")], capsys, "at least one row")
    refused([*base, csv("time\n0\n")], capsys, "no input column")
    refused([*base, csv("time,E\n0,1\n"), "--step", "E:1:2:3"], capsys, "--step",
            "--inputs", "I_ext_E")


# -------------------------------------------------------------------- continuation
def test_equilibria_of_ping(capsys):
    """The two Hopf points, polished, at Newton's values on the Hopf system (1e-8: the
    polished points agree with that Newton to ~1e-11, tests/test_circuits.py)."""
    for rng in (["--range=-10:10"], ["--range", "eta_E=-10:10"]):
        status, out, err = run(["equilibria", "--circuit", "ping", "--free", "eta_E", *rng,
                                "--json"], capsys)
        assert status == 0, err
        doc = json.loads(out)
        assert doc["free"] == ["eta_E"]
        hb = sorted(p["eta_E"] for p in doc["special_points"] if p["type"] == "HB")
        np.testing.assert_allclose(hb, PING_HB, rtol=0, atol=1e-8)
        for p in doc["special_points"]:
            assert "eta" not in p and "J" not in p
            assert set(p["state"]) == set(read_circuit("ping").state_names)
            assert p["J_EI"] == -10.0 and p["tau_s_EI"] == 2.0
            assert -10 <= p["eta_E"] <= 10
    # the default --free of a circuit is eta of its readout population
    status, out, _ = run(["equilibria", "--circuit", "ping", "--range=-10:10"], capsys)
    assert status == 0 and "free: eta_E" in out and "HB2" in out


def test_continuation_range_errors(capsys):
    refused(["equilibria", "--circuit", "ping", "--free", "eta_E", "--range", "eta_I=0:1"],
            capsys, "eta_I", "--free", "eta_E")
    refused(["equilibria", "--circuit", "ping", "--free", "eta"], capsys, "eta", "eta_E")
    refused(["equilibria", "--circuit", "ping", "--free", "Delta_I"], capsys, "--range",
            "Delta_I", "> 0")
    refused(["curve", "--circuit", "ping", "--from", "HB1", "--free", "eta_E,tau_E"],
            capsys, "--range", "tau_E")


def test_hopf_curve_of_ping(capsys):
    """``curve --circuit ping --from HB1``: default free (eta_E, J_EE), every point of
    the curve has a pair of eigenvalues on the imaginary axis (the Jacobian's
    eigenvalues; 1e-8: AUTO solves the extended system to 1e-10 and the largest real
    part measured on these samples is 4e-11)."""
    status, out, err = run(["curve", "--circuit", "ping", "--from", "HB1", "--json"], capsys)
    assert status == 0, err
    doc = json.loads(out)
    assert doc["free"] == ["eta_E", "J_EE"]
    circuit = read_circuit("ping")
    num = circuit.numeric
    states = circuit.state_names
    checked = 0
    for br in doc["branches"]:
        data = br  # the columns of a branch, by name
        n = len(data["eta_E"])
        for k in range(0, n, max(1, n // 10)):
            params = {**doc["params"], "eta_E": data["eta_E"][k], "J_EE": data["J_EE"][k]}
            u = np.array([data[s][k] for s in states])
            ev = np.linalg.eigvals(num.jacobian(u, num.parameter_vector(params)))
            near = ev[np.argsort(np.abs(ev.real))[:2]]
            if abs(near[0].imag) < 1e-3:  # at a BT end the pair meets at 0
                continue
            assert np.max(np.abs(near.real)) < 1e-8, (k, ev)
            assert -20 <= params["eta_E"] <= 20 and -60 <= params["J_EE"] <= 60
            checked += 1
    assert checked > 5


# ------------------------------------------------------------------ circuit command
def test_circuit_list_and_show(capsys):
    status, out, _ = run(["circuit", "list", "--json"], capsys)
    assert status == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == set(standard_circuits()) >= {"ping", "ii"}
    assert rows["ping"]["populations"] == ["E", "I"] and rows["ping"]["edges"] == 4
    status, out, _ = run(["circuit", "list"], capsys)
    assert status == 0 and "ping" in out and "ii" in out

    ping = read_circuit("ping")
    status, out, _ = run(["circuit", "show", "ping", "--json"], capsys)
    doc = json.loads(out)
    assert doc["name"] == ping.name and doc["readout"] == "E"
    assert doc["description"] == ping.description
    assert [(p["name"], p["default"], p["allowed"]) for p in doc["parameters"]] == [
        (p.name, p.default, p.allowed) for p in ping.parameters]
    assert doc["states"] == list(ping.state_names)
    status, out, _ = run(["circuit", "show", "ping"], capsys)
    assert status == 0
    for p in ping.parameters:
        assert p.name in out
    assert "Delta_E" in out and "finite, > 0" in out and "E <- I: first-order" in out


def test_circuit_show_toml_and_check(capsys, tmp_path):
    status, out, _ = run(["circuit", "show", "ii", "--toml"], capsys)
    assert status == 0
    copy = tmp_path / "copy.toml"
    copy.write_text(out)
    assert read_circuit(copy) == read_circuit("ii")
    status, out, _ = run(["circuit", "check", str(copy)], capsys)
    assert status == 0 and "a valid circuit" in out and "I1, I2" in out

    bad = tmp_path / "bad.toml"
    bad.write_text('[populations.E]\nspeed = 1\n')
    refused(["circuit", "check", str(bad)], capsys, str(bad), "speed", "allowed")
    bad.write_text('[populations.E\n')
    refused(["circuit", "check", str(bad)], capsys, "not valid TOML", "line 1")
    bad.write_text('[populations.E]\n[[edges]]\ntarget = "E"\nsource = "X"\nweight = 1\n')
    refused(["circuit", "check", str(bad)], capsys, "'X'", "is not a population")
    refused(["circuit", "check", str(tmp_path / "none.toml")], capsys, "does not exist")
    refused(["circuit"], capsys, "ACTION")


# ------------------------------------------------------------------------- export
def _auto_cli_problem() -> str | None:
    if shutil.which("gfortran") is None:
        return "gfortran not installed"
    if not (AUTO_DIR / "python" / "auto").is_dir():
        return f"AUTO-07p not found at {AUTO_DIR}"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import numpy"], capture_output=True,
                           check=False)
    return None if probe.returncode == 0 else f"{DEBIAN_PYTHON} has no numpy"


def test_export_ping_runs_under_auto_cli(capsys, tmp_path):
    """``thetabif export --circuit ping``: the parameters in PAR(1..9) then PAR(51..57),
    the 8 states' maxima and minima PVLS stores after them in PAR(58..73) (NPAR = 73),
    and the script, run by AUTO-07p's own command line, finds the Hopf
    points at Newton's values (1e-6: AUTO locates them to EPSS-ish accuracy and prints
    11 digits; they agree with the polished values to ~1e-10)."""
    problem = _auto_cli_problem()
    if problem:
        pytest.skip(problem)
    ping = read_circuit("ping")
    out = tmp_path / "ping"
    status, text, err = run(["export", "--circuit", "ping", "--out", str(out)], capsys)
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(export_filenames(ping))
    n = ping.name
    consts = (out / f"c.{n}.eq_eta").read_text()
    assert "NPAR=73" in consts and "ICP=['eta_E', 'r', 'v']" in consts
    assert "# PAR(58)..PAR(73): each state's maximum" in consts
    assert "9: 'J_EE', 51: 'tau_s_EE'" in consts and "57: 'tau_s_II'" in consts
    assert "ICP=['eta_E', 'J_EE', 'r', 'v']" in (out / f"c.{n}.hopf").read_text()
    refused(["export", "--circuit", "ping", "--out", str(out)], capsys, "--force")

    env = dict(os.environ, AUTO_DIR=str(AUTO_DIR))
    proc = subprocess.run(
        [DEBIAN_PYTHON, str(AUTO_DIR / "python" / "auto" / "interactiveBindings.py"),
         f"{n}.auto"], cwd=out, env=env, capture_output=True, text=True, timeout=600,
        check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in log, log[-3000:]
    assert f"{n}: 0 fold (LP) and 2 Hopf (HB) points" in log
    hb = [vals[0] for ty, vals in _b_rows(out / f"b.{n}_eq") if ty == 3]  # 3: HB
    np.testing.assert_allclose(sorted(hb), PING_HB, rtol=0, atol=1e-6)
    for stem in ("eq", "hopf", "cycles"):
        assert (out / f"b.{n}_{stem}").is_file()


def test_cycles_of_ping_start_at_the_hopf_period(capsys):
    """``cycles --circuit ping --from HB1``: every state's maximum and minimum along the
    branch (AUTO prints them all, from PVLS), and the first orbit's period is 2 pi /
    omega of the Hopf point (omega = 0.5907950002 from the linearisation; 1e-4
    relative: the branch's first step)."""
    status, out, err = run(["cycles", "--circuit", "ping", "--from", "HB1",
                            "--range=-10:10", "--json"], capsys)
    assert status == 0, err
    doc = json.loads(out)
    branch = doc["branches"][0]
    for name in read_circuit("ping").state_names:
        assert None not in branch[name] and None not in branch[f"{name}_min"], name
    period = branch["period"][0]
    np.testing.assert_allclose(period, 2 * math.pi / 0.5907950002, rtol=1e-4)


def test_scenario_parameters_of_circuits():
    """The exported scenarios (and the CLI's default --free) continue in eta of the
    readout population and the weight of its recurrent edge, else another edge onto it,
    else the first edge, else its Delta."""
    from thetabif.codegen.autofiles import scenario_parameters
    from thetabif.models import Circuit, Edge, Population, ThetaModel

    assert scenario_parameters(ThetaModel(n=2)) == ("eta", "J")
    assert scenario_parameters(read_circuit("ping")) == ("eta_E", "J_EE")
    assert scenario_parameters(read_circuit("ii")) == ("eta_I1", "J_I1I1")
    pops = [Population("A"), Population("B")]
    assert scenario_parameters(Circuit(pops, [Edge("A", "B", 1.0), Edge("B", "B", 1.0)],
                                       readout="B")) == ("eta_B", "J_BB")
    assert scenario_parameters(Circuit(pops, [Edge("B", "B", 1.0), Edge("A", "B", 1.0)])
                               ) == ("eta_A", "J_AB")
    assert scenario_parameters(Circuit(pops, [Edge("B", "A", 1.0)])) == ("eta_A", "J_BA")
    assert scenario_parameters(Circuit(pops, [])) == ("eta_A", "Delta_A")


def test_simulate_z0_per_population(capsys, tmp_path):
    """``--z0 Z`` starts every population at Z, ``--z0 POP=Z`` one of them; the run's
    first sample is the start."""
    out = tmp_path / "z.nc"
    status, _, err = run(["simulate", "--circuit", "ping", "--z0=0.1-0.2j", "--z0", "I=0.5j",
                          "--t-end", "1", "--dt", "0.5", "--out", str(out)], capsys)
    assert status == 0, err
    first = xr.open_dataset(out).isel(time=0)
    assert complex(float(first.z_E_real), float(first.z_E_imag)) == 0.1 - 0.2j
    assert complex(float(first.z_I_real), float(first.z_I_imag)) == 0.5j
    base = ["simulate", "--t-end", "1"]
    refused([*base, "--z0", "E=0.1"], capsys, "--z0 E=", "single population")
    refused([*base, "--circuit", "ping", "--z0", "X=0.1"], capsys, "'X'", "E, I")
    refused([*base, "--circuit", "ping", "--z0", "E=2"], capsys, "--z0['E']", "unit disk")


def _b_rows(path: Path) -> list[tuple[int, np.ndarray]]:
    """(point type, values) of every point row of an AUTO b. file."""
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[0] != "0":
            try:
                rows.append((int(parts[2]),
                             np.array([float(v.replace("D", "E")) for v in parts[4:]])))
            except ValueError:
                continue
    return rows


def test_export_of_a_one_population_circuit_finds_the_closed_form_folds(capsys, tmp_path):
    """A circuit of one population with an instantaneous self-edge is the theta model:
    its exported script (run by AUTO's CLI) continues in eta_E and follows the fold
    curves in (eta_E, J_EE), at the closed-form folds of the theta model (J = 15,
    Delta = 1): r solves 4 pi^4 r^4 - 2 pi^2 J r^3 + Delta^2 = 0 and eta = pi^2 r^2 -
    J r - Delta^2 / (4 pi^2 r^2). 1e-8: AUTO locates folds to ~1e-10 and prints 11
    digits (tests/test_export.py checks the theta model's own export to 1e-9)."""
    problem = _auto_cli_problem()
    if problem:
        pytest.skip(problem)
    path = tmp_path / "one.toml"
    path.write_text('label = "one"\n[populations.E]\neta = -5.0\n\n[[edges]]\n'
                    'target = "E"\nsource = "E"\nweight = 15.0\n')
    out = tmp_path / "one"
    status, _, err = run(["export", "--circuit", str(path), "--out", str(out)], capsys)
    assert status == 0, err
    name = read_circuit(path).name
    env = dict(os.environ, AUTO_DIR=str(AUTO_DIR))
    proc = subprocess.run(
        [DEBIAN_PYTHON, str(AUTO_DIR / "python" / "auto" / "interactiveBindings.py"),
         f"{name}.auto"], cwd=out, env=env, capture_output=True, text=True, timeout=600,
        check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in log, log[-3000:]
    pi, delta = np.pi, 1.0

    def fold_etas(J: float) -> np.ndarray:
        roots = np.roots([4 * pi**4, -2 * pi**2 * J, 0, 0, delta**2])
        r = roots[np.abs(roots.imag) < 1e-6 * np.abs(roots)].real
        r = r[r > 0]
        return np.sort(pi**2 * r**2 - J * r - delta**2 / (4 * pi**2 * r**2))

    lp = sorted(vals[0] for ty, vals in _b_rows(out / f"b.{name}_eq") if ty == 2)
    np.testing.assert_allclose(lp, fold_etas(15.0), rtol=0, atol=1e-8)
    # fold curve columns: eta_E, L2-norm, x_E, y_E, J_EE, ...
    fold = [vals for _, vals in _b_rows(out / f"b.{name}_fold")]
    assert len(fold) > 50
    for vals in fold:
        eta, J = vals[0], vals[4]
        assert np.min(np.abs(fold_etas(J) - eta)) < 1e-8 * (1 + abs(eta)), (eta, J)


def test_single_population_csv_inputs_equal_the_step(capsys, tmp_path):
    """For a single population the CSV column is ``I_ext``; a CSV describing the step
    5:10:3 gives the --step run (same switch times: the same integration)."""
    csv = tmp_path / "in.csv"
    csv.write_text("time,I_ext\n0,0\n5,3\n10,0\n")
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    for extra, out in ((["--inputs", str(csv)], a), (["--step", "5:10:3"], b)):
        status, _, err = run(["simulate", *extra, "--t-end", "20", "--dt", "0.5", "--out",
                              str(out)], capsys)
        assert status == 0, err
    da, db = xr.open_dataset(a), xr.open_dataset(b)
    for var in ("r", "v", "I_ext"):
        np.testing.assert_allclose(da[var].values, db[var].values, rtol=0, atol=1e-13)
    refused(["simulate", "--inputs", str(csv), "--step", "1:2:3"], capsys, "I_ext", "once")
