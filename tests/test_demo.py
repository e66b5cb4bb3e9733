"""The main job: every output exists, and its data agree with the continuation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from thetabif import Continuation, ThetaModel
from thetabif.demo import OUTPUTS


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run([sys.executable, "-W", "error::UserWarning", "-m", "thetabif",
                           "demo", "--out", str(out)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_all_outputs(demo_out):
    out, stdout = demo_out
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 200, name
        assert name in stdout


def test_folds_agree_with_continuation(demo_out):
    out, _ = demo_out
    ref = Continuation(ThetaModel(), {"eta": -5, "J": 15}).equilibria("eta", -10, 2)
    with xr.open_dataset(out / "theta.nc") as ds:
        lp = np.sort(ds.special_eta.values[ds.special_type.values == "LP"])
        cp = ds.codim2_eta.values[ds.codim2_type.values == "CP"]
        region = int(ds.region.sel(eta=-5, J=15, method="nearest"))
    assert lp == pytest.approx(sorted(p.params["eta"] for p in ref.special("LP")), abs=1e-9)
    assert cp == pytest.approx([-np.sqrt(3)], abs=1e-6)
    assert region == 3  # bistable at the tutorial's parameters


def test_oscillating_variant(demo_out):
    out, _ = demo_out
    with xr.open_dataset(out / "theta_syn.nc") as ds:
        assert "HB" in ds.special_type.values.tolist()
        assert (ds.region == 4).any()  # an oscillatory region
        assert ds.sizes["orbit"] > 5


def test_report(demo_out):
    out, _ = demo_out
    text = (out / "report.md").read_text()
    for fig in ("theta_phase.png", "theta_syn_phase.png", "tutorial_verification.png"):
        assert f"]({fig})" in text
    assert text.count("all phases pass") == 2


def test_refuses_to_overwrite(demo_out):
    out, _ = demo_out
    proc = subprocess.run([sys.executable, "-m", "thetabif", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--force" in proc.stderr
