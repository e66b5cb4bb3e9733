"""Phase diagrams: curves and points agree with Continuation; regions; netCDF; CLI."""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
import xarray as xr

from thetabif import Continuation, ThetaModel, find_equilibria
from thetabif.equilibrium import find_equilibria_many
from thetabif.phase_diagram import REGIONS, classify_grid, compute

pytestmark = pytest.mark.filterwarnings("error::UserWarning")


@pytest.fixture(scope="module")
def theta():
    return compute(ThetaModel(), {"eta": -5, "J": 15}, grid_shape=(41, 31), scan_J=())


@pytest.fixture(scope="module")
def n2():
    return compute(ThetaModel(n=2), {"eta": 10, "J": -40}, grid_shape=(33, 25), scan_J=(),
                   j_diagram=False)


def test_theta_points_match_continuation(theta):
    ref = Continuation(ThetaModel(), {"eta": -5, "J": 15}).equilibria(
        "eta", -15.6, 3.6)
    mine = [p.params["eta"] for p in theta.fold_points()]
    assert mine == pytest.approx([p.params["eta"] for p in ref.special("LP")], abs=1e-9)
    assert mine == pytest.approx([-5.7435, -3.1361], abs=1e-4)
    (cp,) = theta.codim2
    assert cp.label == "CP1"
    assert cp.params["eta"] == pytest.approx(-math.sqrt(3), abs=1e-6)
    assert cp.params["J"] == pytest.approx(7.7962, abs=1e-4)
    # one fold curve, through the cusp, computed once
    assert [c.kind for c in theta.curves] == ["fold"]


def test_theta_regions(theta):
    g = theta.grid
    def at(e, j):
        return REGIONS[int(g.region.sel(eta=e, J=j, method="nearest"))]
    assert at(-5, 15) == "bistable"
    assert at(-10, 5) == "low activity"
    assert at(0, 20) == "high activity"
    assert not g.cycle.any()


def test_grid_equilibria_match_find_equilibria():
    rng = np.random.default_rng(0)
    for model, box in ((ThetaModel(), ((-8, 0), (5, 20))),
                       (ThetaModel(n=2), ((0, 25), (-50, -5)))):
        eta = rng.uniform(*box[0], 12)
        J = rng.uniform(*box[1], 12)
        ge = find_equilibria_many(model, {}, {"eta": eta, "J": J})
        for i in range(12):
            ref = find_equilibria(model, {"eta": eta[i], "J": J[i]})
            mine = ge.at(i)
            assert len(mine) == len(ref)
            for a, b in zip(ref, mine, strict=True):
                assert b.r == pytest.approx(a.r, abs=1e-9)
                assert b.stable == a.stable


def test_n2_hopf_bt_cycles(n2):
    sp = {p.label: p for p in n2.eq_eta.special_points}
    assert sp["HB1"].params["eta"] == pytest.approx(18.2469, abs=1e-4)
    assert sp["HB1"].l1 < 0
    assert sp["LP1"].params["eta"] == pytest.approx(11.5378, abs=1e-4)
    assert sp["LP2"].params["eta"] == pytest.approx(18.4548, abs=1e-4)
    cd = {p.label: p for p in n2.codim2}
    assert (cd["CP1"].params["eta"], cd["CP1"].params["J"]) == pytest.approx(
        (3.0202, -12.4147), abs=1e-3)
    assert (cd["BT1"].params["eta"], cd["BT1"].params["J"]) == pytest.approx(
        (4.9288, -18.2390), abs=1e-3)
    assert {c.kind for c in n2.curves} == {"fold", "hopf"}
    (cyc,) = n2.cycles
    assert any("homoclinic" in m for m in cyc.messages)
    etas = [o["eta"] for o in cyc.orbits]
    assert min(etas) == pytest.approx(17.4614, abs=1e-3)


def test_n2_cycle_coexists_with_low_state():
    box = {"eta": (17.7, 17.9), "J": (-40.1, -39.9)}
    g = classify_grid(ThetaModel(n=2), {}, box, (3, 3))
    assert (g.region == 5).all()  # equilibrium + cycle
    assert float(g.cycle_r_max.max()) == pytest.approx(0.7, abs=0.1)


def test_netcdf_round_trip(theta, tmp_path):
    path = theta.save(tmp_path / "theta.nc")
    with pytest.raises(FileExistsError):
        theta.save(path)
    ds = xr.open_dataset(path)
    lp = ds.special_eta.values[ds.special_type.values == "LP"]
    assert lp == pytest.approx([p.params["eta"] for p in theta.fold_points()], abs=1e-12)
    assert ds.codim2_label.values.tolist() == ["CP1"]
    assert ds.region.dims == ("J", "eta")
    assert set(np.unique(ds.curve_kind.values)) == {"fold"}
    assert ds.sizes["curve_point"] > 100
    ds.close()


def test_json_record(theta, tmp_path):
    d = theta.to_dict()
    assert theta.summary() == d  # the older name
    assert (d["model"], d["model_options"]) == ("theta", {"n": None, "synapse": "instant",
                                                          "coupling": "current"})
    assert d["params"] == theta.params
    path = theta.save(tmp_path / "theta.json")
    with pytest.raises(FileExistsError):
        theta.save(path)
    assert json.loads(path.read_text())["codim2"][0]["label"] == "CP1"


def test_compute_rejects_bad_box():
    with pytest.raises(ValueError, match="outside the box"):
        compute(ThetaModel(), {"eta": -5, "J": 15}, box={"eta": (0, 2), "J": (0, 20)})
    with pytest.raises(ValueError, match="lo < hi"):
        compute(ThetaModel(), box={"eta": (2, 0), "J": (0, 20)})


def _parser():
    from thetabif.cli.phase import add_phase_commands

    p = argparse.ArgumentParser(prog="thetabif")
    add_phase_commands(p.add_subparsers(dest="command"))
    return p


def test_cli_phase_diagram(tmp_path, capsys):
    from thetabif.cli import CLIError

    args = _parser().parse_args(["phase-diagram", "--out", str(tmp_path), "--grid", "21x17",
                                 "--eta-range=-10:0", "--J-range", "5:20"])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "CP1: eta=-1.73205" in text and "theta_phase.png" in text
    for name in ("theta_phase.png", "theta_phase.svg", "theta_eta.png", "theta_J.svg",
                 "theta.nc", "theta.json"):
        assert (tmp_path / name).stat().st_size > 500
    with pytest.raises(CLIError, match="--force"):
        args.func(args)
    with pytest.raises(SystemExit):
        _parser().parse_args(["phase-diagram", "--out", "x", "--eta-range", "3:1"])
