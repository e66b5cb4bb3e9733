"""Continuation options: checked once when made, passed down a walk unchanged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import thetabif
from thetabif import Continuation, ThetaModel
from thetabif.continuation import options
from thetabif.continuation.options import (
    ContinuationOptions,
    CurveOptions,
    CycleOptions,
    EquilibriumOptions,
)


def test_defaults_are_those_of_the_methods():
    assert EquilibriumOptions() == EquilibriumOptions(ds=0.01, dsmax=0.02, nmx=5000,
                                                      max_points=50_000)
    assert CurveOptions() == CurveOptions(ds=0.01, dsmax=0.05, nmx=5000, max_points=50_000,
                                          bautin=True, margin=0.5)
    assert CycleOptions() == CycleOptions(ds=0.01, dsmax=0.5, nmx=400, max_points=4000,
                                          max_period=500.0, ntst=80)
    assert thetabif.CurveOptions is CurveOptions
    assert thetabif.ContinuationOptions is ContinuationOptions


@pytest.mark.parametrize(("kind", "name", "bad", "allowed"), [
    (EquilibriumOptions, "ds", 0.0, "a finite number > 0"),
    (EquilibriumOptions, "dsmax", np.inf, "a finite number > 0"),
    (EquilibriumOptions, "nmx", 0, "an integer >= 1"),
    (EquilibriumOptions, "max_points", 2.5, "an integer >= 2"),
    (EquilibriumOptions, "max_points", True, "an integer >= 2"),
    (CycleOptions, "max_period", -1.0, "a finite number > 0"),
    (CycleOptions, "ntst", 1, "an integer >= 2"),
    (CurveOptions, "margin", np.nan, "a finite number >= 0"),
])
def test_bad_values_are_refused_when_made(kind, name, bad, allowed):
    with pytest.raises(ValueError, match=f"{name} must be {allowed}, got {bad!r}"):
        kind(**{name: bad})


def test_numpy_numbers_become_plain_and_options_are_frozen():
    o = CycleOptions(ds=np.float32(0.5), dsmax=np.float64(0.1), nmx=np.int64(30))
    assert (type(o.ds), type(o.dsmax), type(o.nmx)) == (float, float, int)
    assert o.first_step == pytest.approx(0.1)  # ds above dsmax starts with dsmax
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.ds = 1.0  # type: ignore[misc]
    assert o.updated(ntst=None) is o
    assert o.updated(ntst=40) == dataclasses.replace(o, ntst=40)


def test_keywords_replace_options_and_kinds_do_not_mix():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.raises(ValueError, match="max_points must be an integer >= 2, got 1"):
        cont.equilibria("eta", -10.0, 5.0, options=EquilibriumOptions(), max_points=1)
    with pytest.raises(TypeError, match="options must be EquilibriumOptions, got CycleOptions"):
        cont.equilibria("eta", -10.0, 5.0, options=CycleOptions())
    given = EquilibriumOptions(max_points=300)
    with pytest.warns(RuntimeWarning, match="step_limit"):
        by_options = cont.equilibria("eta", -10.0, 5.0, options=given)
    with pytest.warns(RuntimeWarning, match="step_limit"):
        by_keyword = cont.equilibria("eta", -10.0, 5.0, max_points=300)
    assert [len(b) for b in by_options.branches] == [len(b) for b in by_keyword.branches]


def _counting(monkeypatch):
    """Count the calls of the validators: of the options and of the parameters, these
    by the function that calls them."""
    import sys
    from collections import Counter

    calls: Counter = Counter()
    check_steps, validate = options.check_steps, ThetaModel.validate_params

    def counted_steps(**values):
        calls["options"] += 1
        return check_steps(**values)

    def counted_params(self, *args, **kwargs):
        caller = sys._getframe(1).f_code
        calls[f"params:{caller.co_filename.rsplit('thetabif/', 1)[-1]}:{caller.co_name}"] += 1
        return validate(self, *args, **kwargs)

    monkeypatch.setattr(options, "check_steps", counted_steps)
    monkeypatch.setattr("thetabif.continuation.api.check_steps", counted_steps)
    monkeypatch.setattr(ThetaModel, "validate_params", counted_params)
    return calls


def test_a_walk_through_compute_validates_once(monkeypatch):
    """phase_diagram.compute -> Continuation -> equilibria/curve -> engine: the parameters
    are validated once (by the Continuation) and each options object once, when made.
    Before the options objects: 7 checks of the step controls (one per method call and
    one per direction followed) and 3 validations of the parameters on this walk."""
    from thetabif.phase_diagram import compute

    calls = _counting(monkeypatch)
    pdg = compute(ThetaModel(), {"J": 15}, scan_J=[], grid_shape=(3, 3), cycles=False,
                  j_diagram=False)
    assert [c.kind for c in pdg.curves] == ["fold"]
    # the timeout of the Continuation, then the three options objects
    assert calls["options"] == 4
    walk = {k: n for k, n in calls.items() if k.startswith("params:")
            and k.split(":")[1] in ("phase_diagram.py", "continuation/api.py")
            and not k.endswith(":grid_equilibria")}
    assert walk == {"params:continuation/api.py:__init__": 1}
