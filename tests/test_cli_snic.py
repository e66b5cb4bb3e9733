"""``thetabif snic``: SNIC stretches of a fold curve from the command line.

One real run on the n = 2 model with a first-order synapse (Delta 0.2, tau_s 0.2,
J = -25; its upper fold LP2 holds a SNIC stretch ending at a saddle-node-loop point
near J = -14.17, see tests/test_snic.py), in a small box with few samples and a loose
``--tol`` (about a second), checked against :func:`thetabif.snic.snic_stretches`
called directly on the same curve. Bad inputs exit non-zero with one line naming the
culprit, no traceback and no file written; the checks that need no continuation are
made before it starts (the equilibrium run is replaced by a stub that records being
called).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import thetabif.continuation
from thetabif import Continuation, ThetaModel
from thetabif.cli import main
from thetabif.snic import snic_stretches

MODEL = ["--n", "2", "--synapse", "first-order", "--set", "Delta=0.2", "--set", "tau_s=0.2",
         "--set", "J=-25"]
BOX = ["--range", "eta=-5:20", "--range", "J=-30:-10"]
RUN = ["snic", *MODEL, "--from", "LP2", *BOX, "--samples", "3", "--tol", "1e-2"]


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


@pytest.fixture(scope="module")
def direct():
    """The same stretches from Python: equilibria, the fold curve, snic_stretches."""
    cont = Continuation(ThetaModel(n=2, synapse="first-order"),
                        {"Delta": 0.2, "tau_s": 0.2, "J": -25.0})
    lp = cont.equilibria("eta", -20, 20).point("LP2")
    fold = cont.curve(lp, ("eta", "J"), {"eta": (-5, 20), "J": (-30, -10)})
    return fold, snic_stretches(fold, samples=3, tol=1e-2)


def _same_end(got: dict, want) -> None:
    assert got["kind"] == want.kind and got["other"] == want.other
    assert got["params"] == pytest.approx(want.params, rel=1e-9, abs=1e-12)
    assert got["width"] == pytest.approx(want.width, rel=1e-9, abs=1e-12)


def test_json_and_out_match_snic_stretches(direct, capsys, tmp_path):
    fold, stretches = direct
    # the case the command is for: a SNIC stretch ending at a saddle-node-loop point
    ends = [e for s in stretches for e in (s.start, s.end) if e.kind == "saddle-node-loop"]
    assert len(ends) == 1 and ends[0].params["J"] == pytest.approx(-14.17, abs=1e-2)
    out_file = tmp_path / "snic.json"
    code, out, err = run_main(capsys, [*RUN, "--json", "--out", str(out_file)])
    assert code == 0, err
    doc = json.loads(out, parse_constant=_no_constant)
    assert json.loads(out_file.read_text(), parse_constant=_no_constant) == doc
    assert f"wrote {out_file}" in err
    assert doc["free"] == ["eta", "J"] and doc["from"] == "LP2"
    assert doc["samples"] == 3 and doc["tol"] == 1e-2
    assert doc["model_options"] == fold.model_options
    assert doc["branches"] == len(fold.branches)
    assert len(doc["stretches"]) == len(stretches) > 0
    for got, want in zip(doc["stretches"], stretches, strict=True):
        assert got["branch"] == want.branch and got["free"] == list(want.free)
        _same_end(got["start"], want.start)
        _same_end(got["end"], want.end)


def test_table_names_every_end(direct, capsys):
    _, stretches = direct
    code, out, err = run_main(capsys, RUN)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("SNIC stretches of the fold curve from LP2")
    rows = [ln.split() for ln in lines[2:]]
    assert len(rows) == 2 * len(stretches)
    assert [r[2] for r in rows] == ["start", "end"] * len(stretches)
    snl = [r for r in rows if r[3] == "saddle-node-loop"]
    assert len(snl) == 1 and float(snl[0][5]) == pytest.approx(-14.17, abs=1e-2)


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
    (["--from", "HB1"], ("--from must name a fold point", "'HB1'")),
    (["--from", "LP2", "--samples", "0"], ("argument --samples", "'0'")),
    (["--from", "LP2", "--samples", "1"], ("argument --samples", ">= 2")),
    (["--from", "LP2", "--tol", "-1"], ("argument --tol", "'-1'")),
    (["--from", "LP2", "--tol", "nan"], ("argument --tol", "'nan'")),
    (["--from", "LP2", "--free", "eta"], ("--free", "two parameters")),
    (["--from", "LP2", "--out", "{tmp}/snic.nc"], ("--out", "snic.nc", "must end in .json")),
    (["--from", "LP2", "--out", "{tmp}/snic"], ("--out", "must end in .json")),
    (["--from", "LP2", "--out", "{tmp}/mine.json"], ("--out", "mine.json", "--force")),
])
def test_bad_inputs_are_one_line_before_the_work(extra, culprits, capsys, tmp_path, no_work):
    (tmp_path / "mine.json").write_text("user data")
    argv = ["snic", *MODEL, *(a.format(tmp=tmp_path) for a in extra)]
    check_fails(capsys, tmp_path, argv, *culprits)
    assert no_work == []
    assert (tmp_path / "mine.json").read_text() == "user data"


def test_a_missing_point_is_one_line(capsys, tmp_path):
    out = tmp_path / "snic.json"
    check_fails(capsys, tmp_path, ["snic", *MODEL, "--from", "LP9", "--out", str(out)],
                "--from", "'LP9'", "have: LP1, LP2")
    assert not out.exists()


def test_force_overwrites(capsys, tmp_path):
    out = tmp_path / "snic.json"
    out.write_text("user data")
    code, _, err = run_main(capsys, [*RUN, "--samples", "2", "--out", str(out), "--force"])
    assert code == 0, err
    assert json.loads(out.read_text())["samples"] == 2
