"""What every result record shares (thetabif.records): strict JSON, save, load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from thetabif import ThetaModel
from thetabif.errors import InputError
from thetabif.records import all_writable, json_text, model_options, strict, writable
from thetabif.verification.grid import BifurcationCurves, Curve


def _no_constant(name: str):
    raise AssertionError(f"not strict JSON: {name}")


def test_strict_json_has_null_for_nan():
    value = {"a": math.nan, "b": (np.float32("inf"), np.int64(2)), 3: 1 + 2j}
    assert strict(value) == {"a": None, "b": [None, 2], "3": [1.0, 2.0]}
    assert json.loads(json_text(value), parse_constant=_no_constant)["a"] is None


def test_writable_refuses_existing_files(tmp_path):
    (tmp_path / "a").write_text("")
    with pytest.raises(FileExistsError, match="a exists; pass overwrite=True"):
        writable(tmp_path / "a", False)
    assert writable(tmp_path / "a", True) == tmp_path / "a"
    with pytest.raises(FileExistsError, match="a exists"):
        all_writable([tmp_path / "b", tmp_path / "a"], False)


def _curves() -> BifurcationCurves:
    model = ThetaModel(n=2, synapse="first-order")
    return BifurcationCurves(model, model.validate_params({"J": -10.0}), (
        Curve("fold", np.array([0.0, 1.0, np.nan]), np.array([2.0, 3.0, 4.0]), "LP1 at J=2"),
        Curve("hopf", np.array([5.0]), np.array([-1.0]))))


def test_bifurcation_curves_round_trip(tmp_path):
    curves = _curves()
    d = curves.to_dict()
    assert (d["model"], d["model_options"]) == (curves.model.name,
                                                model_options(curves.model))
    path = curves.save(tmp_path / "diagram.json")
    with pytest.raises(FileExistsError):
        curves.save(path)
    curves.save(path, overwrite=True)
    json.loads(path.read_text(), parse_constant=_no_constant)  # NaN written as null
    back = BifurcationCurves.load(path)
    assert back.model == curves.model and back.params == curves.params
    assert json_text(back.to_dict()) == json_text(d)
    np.testing.assert_array_equal(back.curves[0].eta, curves.curves[0].eta)


def test_load_says_what_it_cannot_read(tmp_path):
    with pytest.raises(InputError, match="cannot load .* as a bifurcation curves"):
        BifurcationCurves.load(tmp_path / "x.nc")
    with pytest.raises(InputError, match="cannot save a bifurcation curves"):
        _curves().save(tmp_path / "x.nc")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputError, match="is not a thetabif bifurcation curves record"):
        BifurcationCurves.load(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        BifurcationCurves.load(tmp_path / "missing.json")
