"""``thetabif homoclinic``: the homoclinic curve (HomCont) from the command line.

Real runs on the n = 2 model at Delta = 0.5, J = -21.99114857: its Hopf point HB1
(eta = 7.0947) has cycles that end at a homoclinic orbit (eta = 7.0605), whose curve
in (eta, J) is known from an independent study (the stable/unstable manifold split
integrated with scipy, see tests/test_homoclinic.py): it passes J = -25 at
eta = 8.7250890592 and J = -30 at eta = 11.5716086670, with neutral saddles at
(4.1431046622, -16.597881083) and (15.787700136, -37.135920904). Each run takes about
a second once the model is compiled.

Tolerances: HomCont and the manifold split agreed to 2e-11..4e-10 in eta
(tests/test_homoclinic.py) and AUTO prints 11 significant digits, so a point of the
curve is checked to 1e-7 (the fixed-period curve that is no homoclinic one, past BT,
differs by > 0.1). The box's side J = -30 ends the curve exactly (AUTO's UZSTOP), so
eta there is a point of the curve; at J = -25 eta is interpolated by a cubic through
the four nearest points (spacing ~0.17 in J: a cubic's error measured 1e-9, a straight
line's 1.4e-5, which 1e-7 would catch). Neutral saddles are located by AUTO
(psi1 = 0), checked to 1e-6 as in tests/test_homoclinic.py.

Bad inputs exit 2 with one line naming the culprit, no traceback and no file written;
the checks that need no continuation are made before it starts (the equilibrium run is
replaced by a stub that records being called).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import thetabif.continuation
from thetabif import Continuation, ThetaModel
from thetabif.cli import main
from thetabif.records import json_text

MODEL = ["--n", "2", "--set", "Delta=0.5", "--set", "J=-21.99114857"]
RUN = ["homoclinic", *MODEL, "--from", "HB1"]
#: The study's curve: eta at J, and the neutral saddles (eta, J).
ETA_AT = {-25.0: 8.7250890592, -30.0: 11.5716086670}
NS = [(4.1431046622, -16.597881083), (15.787700136, -37.135920904)]


def run_main(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def files(folder: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(folder)), p.read_bytes())
                  for p in folder.rglob("*") if p.is_file())


def _no_constant(name: str):
    raise AssertionError(f"non-strict JSON constant {name}")


def _eta_on_curve(doc: dict, J: float) -> float:
    """eta at J on the branch that spans J: a cubic through the four nearest points."""
    for b in doc["branches"]:
        js, etas = np.array(b["J"]), np.array(b["eta"])
        if js.min() <= J <= js.max():
            near = np.sort(np.argsort(np.abs(js - J))[:4])
            return float(np.polyval(np.polyfit(js[near], etas[near], 3), J))
    raise AssertionError(f"no branch reaches J = {J}")


@pytest.fixture(scope="module")
def direct():
    """The same curve from Python: equilibria, the cycles of HB1, homoclinic."""
    cont = Continuation(ThetaModel(n=2), {"Delta": 0.5, "J": -21.99114857})
    hb = cont.equilibria("eta", -20, 20).point("HB1")
    cycles = cont.cycles(hb, "eta", -20, 20)
    return cont.homoclinic(cycles, ("eta", "J"), {"eta": (-20, 20), "J": (-30, -5)})


def test_json_and_out_give_the_curve(direct, capsys, tmp_path):
    out_file = tmp_path / "hom.json"
    code, out, err = run_main(capsys, [*RUN, "--range", "J=-30:-5", "--json",
                                       "--out", str(out_file)])
    assert code == 0, err
    doc = json.loads(out, parse_constant=_no_constant)
    assert json.loads(out_file.read_text(), parse_constant=_no_constant) == doc
    assert f"wrote {out_file}" in err
    # the contract of curve: the record's to_dict(), every parameter by name
    # strict JSON both (NaN as null: split_difference is NaN where not checked)
    assert doc == json.loads(json_text(direct.to_dict()))
    assert doc["kind"] == "homoclinic" and doc["free"] == ["eta", "J"]
    assert doc["model_options"] == {"n": 2, "synapse": "instant", "coupling": "current"}
    assert len(doc["branches"]) == 2
    for b in doc["branches"]:
        for col in ("eta", "J", "x", "y", "r", "abs_z", "lambda_s", "lambda_u",
                    "saddle_quantity", "period"):
            assert len(b[col]) == b["points"] > 10, col
        assert min(b["J"]) >= -30 and max(b["J"]) <= -5  # nothing outside the box
        assert min(b["eta"]) >= -20 and max(b["eta"]) <= 20
        assert np.all(np.array(b["lambda_s"]) < 0) and np.all(np.array(b["lambda_u"]) > 0)
        np.testing.assert_allclose(b["saddle_quantity"],
                                   np.add(b["lambda_s"], b["lambda_u"]), rtol=1e-12)
        assert 20 <= b["period"][0] <= 1000
    # the box's side J = -30 ends the curve: eta there is a point of it
    last = min((b for b in doc["branches"]), key=lambda b: min(b["J"]))
    k = int(np.argmin(last["J"]))
    assert last["J"][k] == pytest.approx(-30.0, abs=1e-9)
    assert abs(last["eta"][k] - ETA_AT[-30.0]) < 1e-7
    assert abs(_eta_on_curve(doc, -25.0) - ETA_AT[-25.0]) < 1e-7
    # one neutral saddle in this box, with its saddle's rates, and the BT point where the
    # curve (cut before it) ends: the study's (2.3718591990, -13.0196297782), 1e-9
    (ns,) = [p for p in doc["special_points"] if p["type"] == "NS"]
    (bt,) = [p for p in doc["special_points"] if p["type"] == "BT"]
    assert abs(bt["eta"] - 2.3718591990) < 1e-9 and abs(bt["J"] - -13.0196297782) < 1e-9
    assert ns["type"] == "NS" and ns["label"] == "NS1"
    assert abs(ns["eta"] - NS[0][0]) < 1e-6 and abs(ns["J"] - NS[0][1]) < 1e-6
    assert ns["Delta"] == 0.5 and set(ns["state"]) == {"x", "y"} and ns["r"] > 0
    assert abs(ns["saddle_quantity"]) < 1e-6
    assert "bt_approach" in doc["message_reasons"]


def test_table_names_both_neutral_saddles(capsys, tmp_path):
    out_file = tmp_path / "hom.csv"
    code, out, err = run_main(capsys, [*RUN, "--out", str(out_file)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("homoclinic of theta_n2, free: eta, J; 2 branch(es)")
    assert lines[1].startswith("from the cycles of HB1 (eta = 7.09469")
    assert "homoclinic orbit at eta = 7.0605" in lines[1]
    rows = {ln.split()[0]: ln.split() for ln in lines if ln.startswith("NS")}
    assert list(rows) == ["NS1", "NS2"]
    for (eta, J), row in zip(NS, rows.values(), strict=True):
        assert abs(float(row[1]) - eta) < 1e-6 and abs(float(row[2]) - J) < 1e-6
        assert any(w.startswith("lambda_u=") for w in row)
    assert any(ln.startswith("note: bt_approach") for ln in lines)
    assert lines[-1] == f"wrote {out_file}"
    header = out_file.read_text().splitlines()[0].split(",")
    assert {"eta", "J", "lambda_s", "lambda_u", "saddle_quantity", "period",
            "branch"} <= set(header)


def test_from_bt_gives_the_same_curve(capsys):
    """``--from BT1`` (of the Hopf curve of HB1) goes through Continuation.homoclinic
    from the BT predictor: the same curve as from the cycles (the manifold split's
    value at J = -25 to 1e-7)."""
    code, out, err = run_main(capsys, ["homoclinic", *MODEL, "--from", "BT1",
                                       "--range", "J=-30:-5", "--json"])
    assert code == 0, err
    doc = json.loads(out, parse_constant=_no_constant)
    assert doc["kind"] == "homoclinic"
    assert abs(_eta_on_curve(doc, -25.0) - ETA_AT[-25.0]) < 1e-7


@pytest.fixture
def no_work(monkeypatch):
    """The equilibrium run replaced by a stub: the list records whether it started."""
    calls: list[str] = []

    def stub(*args, **kwargs):
        calls.append("equilibria")
        raise AssertionError("the work started")

    monkeypatch.setattr(thetabif.continuation.Continuation, "equilibria", stub)
    return calls


def check_fails(capsys, tmp_path: Path, argv: list[str], *culprits: str) -> str:
    before = files(tmp_path)
    code, out, err = run_main(capsys, argv)
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("thetabif: error: ") and err.count("\n") == 1, err
    for c in culprits:
        assert c in err, (c, err)
    assert out == ""
    assert files(tmp_path) == before
    return err


@pytest.mark.parametrize("extra,culprits", [
    (["--from", "LP1"], ("--from must name a Hopf point", "'LP1'")),
    (["--from", "HB1", "--free", "eta"], ("--free", "two parameters", "'eta'")),
    (["--from", "HB1", "--free", "eta,K"], ("--free", "'K'")),
    (["--from", "HB1", "--range", "J=5:1"], ("argument --range", "START must be < STOP")),
    (["--from", "HB1", "--range", "J=-30"], ("argument --range", "START:STOP", "'-30'")),
    (["--from", "HB1", "--range", "Delta=0.1:1"], ("--range Delta", "not one of the --free")),
    (["--from", "HB1", "--free", "eta,Delta"], ("--range Delta", "must be > 0")),
    (["--from", "HB1", "--free", "eta,Delta", "--range", "Delta=-1:1"],
     ("--range Delta", "START > 0", "-1:1")),
    (["--from", "HB1", "--eq-range", "3:2"], ("argument --eq-range", "'3:2'")),
    (["--from", "HB1", "--free", "J,I_ext", "--range", "I_ext=-1:1"],
     ("--eq-free eta", "must be one of the --free parameters J, I_ext")),
    (["--from", "HB1", "--period", "0"], ("argument --period", "'0'")),
    (["--from", "HB1", "--period", "2000"], ("--period 2000", "period 20..1000")),
    (["--from", "BT1", "--via", "BT2"], ("--from must name a fold or Hopf point", "--via",
                                         "'BT2'")),
    (["--from", "HB1", "--out", "{tmp}/hom.txt"], ("--out", "must end in .nc, .json, .csv")),
    (["--from", "HB1", "--out", "{tmp}/mine.json"], ("--out", "mine.json", "--force")),
])
def test_bad_inputs_are_one_line_before_the_work(extra, culprits, capsys, tmp_path, no_work):
    (tmp_path / "mine.json").write_text("user data")
    argv = ["homoclinic", *MODEL, *(a.format(tmp=tmp_path) for a in extra)]
    check_fails(capsys, tmp_path, argv, *culprits)
    assert no_work == []
    assert (tmp_path / "mine.json").read_text() == "user data"


def test_a_missing_point_is_one_line(capsys, tmp_path):
    out = tmp_path / "hom.json"
    check_fails(capsys, tmp_path, [*RUN[:-1], "HB2", "--out", str(out)],
                "--from", "'HB2'", "have: LP1, HB1, LP2")
    check_fails(capsys, tmp_path, ["homoclinic", *MODEL, "--from", "BT1", "--via", "HB3"],
                "--via", "'HB3'", "have: LP1, HB1, LP2")
    check_fails(capsys, tmp_path, ["homoclinic", *MODEL, "--from", "BT7"],
                "--from", "'BT7'", "have: BT1", "--via HB1")
    assert not out.exists()


def test_cycles_without_a_long_period_are_one_line(capsys, tmp_path):
    """Cycles cut by the range before their homoclinic end (eta = 7.0605 lies below
    7.07) have no long orbit for HomCont: exit 2, naming the point and the range."""
    out = tmp_path / "hom.json"
    err = check_fails(capsys, tmp_path, [*RUN, "--eq-range", "7.07:7.5", "--out", str(out)],
                      "--from HB1: its cycles do not approach a homoclinic orbit in eta "
                      "7.07:7.5", "no stored cycle orbit has a period in 20..1000")
    assert "longest period 2.0" in err
    assert not out.exists()
