"""The ``thetabif`` command line: simulate and demo."""

from __future__ import annotations

import subprocess
import sys

import pytest

from thetabif import load_dataset
from thetabif.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thetabif", *args], capture_output=True,
                          text=True, timeout=300)


def test_simulate_tutorial_summary(tmp_path):
    out = tmp_path / "run.nc"
    proc = run("simulate", "--step", "20:80:3", "--z0=-0.6-0.8j", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "before" in text and "during" in text and "after" in text
    # r at the end of each phase: low state, driven high state, persistent high state
    rows = {line.split()[0]: float(line.split()[-1]) for line in text.splitlines()
            if line.split() and line.split()[0] in ("before", "during", "after")}
    assert rows["before"] == pytest.approx(0.0811344, abs=1e-6)
    assert rows["during"] == pytest.approx(1.3732457, abs=1e-6)
    assert rows["after"] == pytest.approx(1.0299315, abs=1e-6)
    assert "final state at t=100" in text
    ds = load_dataset(out)
    assert ds.attrs["model"] == "theta"
    # refuses to overwrite without --force
    proc = run("simulate", "--t-end", "1", "--out", str(out))
    assert proc.returncode == 2 and "exists; pass --force" in proc.stderr
    assert run("simulate", "--t-end", "1", "--out", str(out), "--force").returncode == 0


def test_simulate_variant_and_csv(tmp_path, capsys):
    out = tmp_path / "run.csv"
    code = main(["simulate", "--n", "2", "--synapse", "first-order", "--coupling", "conductance",
                 "--set", "J=2", "--set", "tau_s=0.5", "--t-end", "3", "--dt", "0.5",
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "theta_n2_cond_syn" in text and "tau_s=0.5" in text and "s = " in text
    header = out.read_text().splitlines()[0]
    assert header.startswith("time,") and "z_real" in header and "s" in header.split(",")


@pytest.mark.parametrize("args,needle", [
    (["--set", "Jx=3"], "unknown parameter(s) 'Jx'"),
    (["--set", "J"], "--set expects NAME=VALUE"),
    (["--set", "Delta=-1"], "'Delta' must be > 0"),
    (["--set", "tau_s=1"], "unknown parameter(s) 'tau_s'"),
    (["--n", "0"], "must be a positive integer, got '0'"),
    (["--synapse", "slow"], "invalid choice: 'slow'"),
    (["--step", "20:80"], "--step must be START:STOP:AMPLITUDE"),
    (["--step", "80:20:3"], "step start must be < stop"),
    (["--out", "x.txt"], "the file name must end in .nc, .csv"),
    (["--z0", "2"], "z0 must lie in the closed unit disk"),
])
def test_simulate_errors(args, needle):
    proc = run("simulate", "--t-end", "1", *args)
    assert proc.returncode == 2
    assert needle in proc.stderr


def test_demo_refuses_to_overwrite(tmp_path):
    # the full demo run and its outputs are tested in tests/test_demo.py
    (tmp_path / "tutorial_protocol.png").write_bytes(b"user file")
    proc = run("demo", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert (tmp_path / "tutorial_protocol.png").read_bytes() == b"user file"
