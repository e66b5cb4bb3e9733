"""Ranges, boxes, domains and points that belong to their run (issue: trust).

Every check runs AUTO for real and compares with an independent computation: the
equilibrium curve of the n = 2 model in closed form (eta as a function of the rate r,
from the (r, v) form with the pulse average by quadrature, conftest.pulse_average),
its folds as critical points of eta(r) and its Hopf points where the trace of a
finite-difference Jacobian of the (r, v) right-hand side vanishes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import pulse_average, rv_rhs
from scipy.optimize import brentq
from test_polish import eta_of_rate, fold_rates

from thetabif import Continuation, ContinuationFailed, ContinuationResult, ThetaModel
from thetabif.equilibrium import find_equilibria

N2 = ThetaModel(n=2)


def _z(a: float, v: float) -> complex:
    w = a + 1j * v
    return complex(np.conj((1 - w) / (1 + w)))


def eta_n2(r: float, J: float, Delta: float) -> float:
    """eta on the equilibrium curve of the n = 2 model at rate r (tau = 1).

    From the (r, v) form: dr = 0 gives v = -Delta / (2 pi r); dv = 0 gives
    eta = (pi r)^2 - v^2 - J p(z), with p the pulse average at z(a = pi r, v).
    """
    a, v = np.pi * r, -Delta / (2 * np.pi * r)
    return a * a - v * v - J * pulse_average(2, _z(a, v), 1.0)


def _deta(r: float, J: float, Delta: float) -> float:
    h = 1e-6 * r  # central difference: error ~h^2 |eta'''| ~ 1e-12 relative
    return (eta_n2(r + h, J, Delta) - eta_n2(r - h, J, Delta)) / (2 * h)


def _trace(r: float, J: float, Delta: float) -> float:
    """Trace of the (a, v) Jacobian at the equilibrium with rate r, by differences."""
    params = {"eta": eta_n2(r, J, Delta), "J": J, "Delta": Delta, "tau": 1.0, "I_ext": 0.0}
    f, _ = rv_rhs(N2, params)
    a, v = np.pi * r, -Delta / (2 * np.pi * r)
    h = 1e-6
    dfa = (f(0, [a + h, v])[0] - f(0, [a - h, v])[0]) / (2 * h)
    dfv = (f(0, [a, v + h])[1] - f(0, [a, v - h])[1]) / (2 * h)
    return dfa + dfv


def _roots(fun, rates: np.ndarray) -> list[float]:
    vals = [fun(r) for r in rates]
    return [brentq(fun, rates[i], rates[i + 1], xtol=1e-14)
            for i in range(len(rates) - 1) if np.sign(vals[i]) != np.sign(vals[i + 1])]


def n2_folds_and_hopfs(J: float, Delta: float) -> tuple[list[float], list[float]]:
    """eta of every fold and every Hopf point (trace 0, determinant > 0) of n = 2."""
    rates = np.geomspace(1e-3, 5.0, 800)
    folds = [eta_n2(r, J, Delta) for r in _roots(lambda r: _deta(r, J, Delta), rates)]
    hopfs = []
    for r in _roots(lambda r: _trace(r, J, Delta), rates):
        # det > 0 on the curve where d eta / dr > 0 (saddles where it is < 0)
        if _deta(r, J, Delta) > 0:
            hopfs.append(eta_n2(r, J, Delta))
    return sorted(folds), sorted(hopfs)


def _inside(res: ContinuationResult, lo: float, hi: float, name: str = "eta") -> None:
    for b in res.branches:
        assert np.all((b.data[name] >= lo - 1e-6) & (b.data[name] <= hi + 1e-6))
    for p in res.special_points:
        assert lo <= p.params[name] <= hi, p.label
    for o in res.orbits:
        assert lo - 1e-9 <= o[name] <= hi + 1e-9


def test_start_outside_the_range_is_moved_into_it():
    """The default start eta = -5 lies outside 0:20; the branches start at its ends."""
    J, Delta = -28.27, 0.5
    cont = Continuation(N2, {"Delta": Delta, "J": J})
    res = cont.equilibria("eta", 0.0, 20.0)
    assert any("outside the range" in m for m in res.messages)
    _inside(res, 0.0, 20.0)
    folds, hopfs = n2_folds_and_hopfs(J, Delta)
    # polished by Newton: 1e-8 covers the closed form's quadrature and brentq rounding
    np.testing.assert_allclose([p.params["eta"] for p in res.special("LP")],
                               [f for f in folds if 0 <= f <= 20], atol=1e-8)
    # Hopf: the trace by differences (h = 1e-6) is good to ~1e-9, its slope is O(1)
    np.testing.assert_allclose([p.params["eta"] for p in res.special("HB")],
                               [h for h in hopfs if 0 <= h <= 20], atol=1e-6)


def test_start_on_the_range_end():
    """Start eta = -5 = the range's upper end: the fold inside is found, none outside."""
    res = Continuation(ThetaModel(), {"J": 15.0}).equilibria("eta", -20.0, -5.0)
    expected = [e for e in (eta_of_rate(r, 15.0) for r in fold_rates(15.0)) if e <= -5.0]
    np.testing.assert_allclose([p.params["eta"] for p in res.special("LP")], expected,
                               atol=1e-9)
    _inside(res, -20.0, -5.0)


def test_every_piece_of_the_equilibrium_curve_in_the_range():
    """The upper branch re-enters 6:10 past a fold below 6 and carries a Hopf point."""
    J, Delta = -23.5619449, 0.5
    cont = Continuation(N2, {"Delta": Delta, "J": J, "eta": 7.0})
    res = cont.equilibria("eta", 6.0, 10.0)
    _inside(res, 6.0, 10.0)
    folds, hopfs = n2_folds_and_hopfs(J, Delta)
    np.testing.assert_allclose([p.params["eta"] for p in res.special("LP")],
                               [f for f in folds if 6 <= f <= 10], atol=1e-8)
    np.testing.assert_allclose([p.params["eta"] for p in res.special("HB")],
                               [h for h in hopfs if 6 <= h <= 10], atol=1e-6)
    assert any(abs(h - 8.0354) < 1e-3 for h in hopfs)  # the Hopf point
    # every equilibrium at eta = 6, 8, 10 (Newton) lies on a reported branch
    for eta in (6.0, 8.0, 10.0):
        for e in find_equilibria(N2, {"Delta": Delta, "J": J, "eta": eta}):
            dist = min(np.min(np.abs(b.data["eta"] - eta) + np.abs(b.data["x"] - e.state[0])
                              + np.abs(b.data["y"] - e.state[1])) for b in res.branches)
            assert dist < 0.02, (eta, e.state)  # DSMAX = 0.02: a point within a step


def test_curve_box_and_names():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    eq = cont.equilibria("eta", -10.0, 5.0)
    lp = eq.point("LP1")
    with pytest.raises(ValueError, match=r"LP1 lies outside the box: eta = -5.74"):
        cont.curve(lp, ("eta", "J"), {"eta": (0.0, 10.0), "J": (14.99, 15.01)})
    with pytest.raises(ValueError, match="'Delta', which is not free"):
        cont.curve(lp, ("eta", "J"), {"Delta": (0.5, 2.0)})
    box = {"eta": (-8.0, -4.0), "J": (12.0, 16.0)}
    fold = cont.curve(lp, ("eta", "J"), box)
    assert fold.branches and not fold.special_points  # the cusp (J = 7.8) is outside
    for b in fold.branches:
        for k, (lo, hi) in box.items():
            assert np.all((b.data[k] >= lo - 1e-6) & (b.data[k] <= hi + 1e-6))
    # the curve crosses the box's sides: UZ points exactly there (AUTO's UZR)
    for b in fold.branches:
        assert b.data["type"][-1] == "UZ"
        assert min(abs(b.data[k][-1] - v) for k in box for v in box[k]) < 1e-6
    # and agrees with the closed form of the folds along the way
    for b in fold.branches:
        for eta, J in zip(b.data["eta"][::10], b.data["J"][::10], strict=True):
            assert min(abs(eta_of_rate(r, J) - eta) for r in fold_rates(J)) < 1e-6


def test_cycles_range_must_hold_the_hopf_point():
    cont = Continuation(ThetaModel(synapse="first-order"), {"J": -40.0, "tau_s": 1.0})
    eq = cont.equilibria("eta", -10.0, 40.0)
    hb = eq.point("HB1")
    with pytest.raises(ValueError, match="HB1 lies outside the range"):
        cont.cycles(hb, "eta", hb.params["eta"] + 1.0, hb.params["eta"] + 5.0)


@pytest.mark.parametrize(("name", "lo", "hi"), [("tau", 0.0, 2.0), ("Delta", -1.0, 1.0),
                                                 ("tau_s", -0.5, 0.5)])
def test_ranges_outside_the_domain_are_refused(name, lo, hi):
    cont = Continuation(ThetaModel(synapse="first-order"), {"J": -40.0})
    with pytest.raises(ValueError, match=rf"range of '{name}' must lie in its domain"):
        cont.equilibria(name, lo, hi)


def test_delta_continuation_stays_positive():
    """Folds in Delta: the branch ends at the range, never at Delta <= 0."""
    cont = Continuation(ThetaModel(), {"J": 15.0, "eta": -5.0})
    res = cont.equilibria("Delta", 0.05, 3.0)
    _inside(res, 0.05, 3.0, "Delta")
    # folds in Delta at eta = -5, J = 15: from eta_of_rate(r, J, Delta) = eta, i.e.
    # Delta^2 = 4 pi^2 r^2 (pi^2 r^2 - J r - eta), and d(Delta^2)/dr = 0
    def d2(r):
        return 4 * np.pi**2 * r**2 * (np.pi**2 * r**2 - 15.0 * r + 5.0)
    rates = np.linspace(1e-3, 2.0, 4001)
    crit = _roots(lambda r: (d2(r + 1e-7) - d2(r - 1e-7)) / 2e-7, rates)
    expected = sorted(np.sqrt(d2(r)) for r in crit if d2(r) > 0)
    expected = [d for d in expected if 0.05 <= d <= 3.0]
    assert expected  # the range holds folds: the test can fail
    np.testing.assert_allclose(sorted(p.params["Delta"] for p in res.special("LP")),
                               expected, atol=1e-7)


def test_points_belong_to_their_run(tmp_path):
    cont = Continuation(ThetaModel(), {"J": 15.0})
    eq = cont.equilibria("eta", -10.0, 5.0)
    lp = eq.point("LP1")
    assert lp.model == "theta"
    with pytest.raises(ValueError, match="belongs to a run of model 'theta'"):
        Continuation(N2, {"J": 15.0}).curve(lp)
    with pytest.raises(ValueError, match=r"other parameters: J=15 \(here 10\)"):
        Continuation(ThetaModel(), {"J": 10.0}).curve(lp)
    with pytest.raises(ValueError, match="starts from an HB point"):
        cont.cycles(lp)
    # a saved and loaded point restarts: the same fold curve and cusp
    box = {"eta": (-20.0, 20.0), "J": (-40.0, 40.0)}
    ref = cont.curve(lp, ("eta", "J"), box)
    path = eq.save(tmp_path / "eq.nc")
    loaded = ContinuationResult.load(path).point("LP1")
    assert loaded.model == "theta" and loaded._restart is None
    again = Continuation(ThetaModel(), {"J": 15.0}).curve(loaded, ("eta", "J"), box)
    (cp_ref,), (cp,) = ref.special("CP"), again.special("CP")
    assert cp.params["J"] == pytest.approx(cp_ref.params["J"], abs=1e-9)
    # a loaded point whose fold is not there any more says why
    moved = type(loaded)(**{**{f: getattr(loaded, f) for f in (
        "type", "label", "params", "state", "r", "abs_z", "stable", "kind", "free",
        "auto_params")}, "params": {**loaded.params, "eta": 0.0}, "model": "theta"})
    with pytest.raises(ContinuationFailed, match="not found again"):
        Continuation(ThetaModel(), {"J": 15.0}).curve(moved, ("eta", "J"), box)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"ds": 0.0}, "ds must be a finite number > 0, got 0.0"),
    ({"dsmax": 0}, "dsmax must be a finite number > 0, got 0"),
    ({"nmx": 0}, "nmx must be an integer >= 1, got 0"),
    ({"nmx": 2.5}, "nmx must be an integer >= 1, got 2.5"),
    ({"ds": float("nan")}, "ds must be a finite number > 0"),
])
def test_step_arguments_are_checked(kwargs, match):
    cont = Continuation(ThetaModel(), {"J": 15.0})
    with pytest.raises(ValueError, match=match):
        cont.equilibria("eta", -10.0, 5.0, **kwargs)


def test_numpy_integers_and_cycle_arguments():
    cont = Continuation(ThetaModel(synapse="first-order"), {"J": -40.0, "tau_s": 1.0})
    eq = cont.equilibria("eta", -10.0, 40.0, nmx=np.int64(5000), max_points=np.int32(50_000))
    hb = eq.point("HB1")
    with pytest.raises(ValueError, match="max_period must be a finite number > 0, got -1"):
        cont.cycles(hb, "eta", -10.0, 40.0, max_period=-1.0)
    with pytest.raises(ValueError, match="ntst must be an integer >= 2"):
        cont.cycles(hb, "eta", -10.0, 40.0, ntst=1)


def test_stability_at_special_points_is_stated_as_critical():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    eq = cont.equilibria("eta", -10.0, 5.0)
    for lp in eq.special("LP"):
        # one zero eigenvalue (the fold), the other negative: a node meets a saddle
        assert not lp.stable
        assert lp.stability == ("critical: 1 zero eigenvalue(s) on the imaginary axis, "
                                "the others with Re < 0")
        jac = ThetaModel().numeric.jacobian(np.array(list(lp.state.values())),
                                            ThetaModel().numeric.parameter_vector(lp.params))
        lam = np.sort(np.linalg.eigvals(jac).real)
        assert abs(lam[1]) < 1e-8 and lam[0] < -0.1
    syn = Continuation(ThetaModel(synapse="first-order"), {"J": -40.0, "tau_s": 1.0})
    hb = syn.equilibria("eta", -10.0, 40.0).point("HB1")
    assert not hb.stable and hb.stability.startswith("critical: a pair +-")
    assert hb.to_dict()["stability"] == hb.stability


def _cycle_labels(J: float) -> tuple[list[tuple[str, float]], dict]:
    cont = Continuation(N2, {"Delta": 0.5, "J": J, "eta": 6.0})
    hb = cont.equilibria("eta", 5.0, 10.0).point("HB1")
    cyc = cont.cycles(hb, "eta", 5.0, 10.0)
    return [(p.type, p.params["eta"]) for p in cyc.special_points], cyc


def test_cycles_end_at_the_homoclinic_approach():
    """Test functions mean nothing at periods ~1e8: nothing is labelled past the cut,
    and what is labelled does not change with the eighth digit of J."""
    labels, cyc = _cycle_labels(-21.99114857)
    other, _ = _cycle_labels(-21.99114858)
    assert [t for t, _ in labels] == [t for t, _ in other]
    np.testing.assert_allclose([e for _, e in labels], [e for _, e in other], atol=1e-6)
    hom = cyc.homoclinic
    assert hom is not None and hom["period"] > 1e3
    # nothing labelled where the branch stands at eta_h (from period ~5 on), no orbit
    # and no branch point past the cut period
    assert all(p.period < hom["approach_period"] or abs(p.params["eta"] - hom["eta"]) > 1e-5
               for p in cyc.special_points)
    assert all(np.all(b.data["period"][:-1] <= hom["cut_period"]) for b in cyc.branches)
    assert all(o["period"] <= hom["cut_period"] for o in cyc.orbits)
    # the estimate: where the period of the stored orbits grows like -log|eta - eta_h|;
    # the last orbits before it lie within the branch's step of it
    assert any(m.startswith("homoclinic_approach") for m in cyc.messages)
    last = cyc.branches[-1].data["eta"][-1]
    assert abs(last - hom["eta"]) < 0.05
    assert 7.0 < hom["eta"] < 7.1


def test_auto_notes_are_accounted_for():
    """AUTO's raw 'Possible special point' note gives way to what became of it."""
    res = Continuation(ThetaModel(), {"J": 20.0, "Delta": 0.3}).equilibria("eta", -80.0, 20.0)
    assert not any("NOTE:" in m for m in res.messages)
    lp = min(res.special("LP"), key=lambda p: p.params["eta"])
    # the fold AUTO stepped over, against the closed form
    expected = min(eta_of_rate(r, 20.0, 0.3) for r in fold_rates(20.0, 0.3))
    assert lp.params["eta"] == pytest.approx(expected, abs=1e-9)
    assert any(m.startswith("AUTO flagged a possible special point at eta = -10.12")
               and f"{lp.label} (LP, polished by Newton)" in m for m in res.messages)


def test_no_hopf_near_tau_zero_and_the_unit_circle_is_an_edge():
    """The delta-pulse model has no Hopf point (its (r, v) trace is -2 Delta/(pi r tau)
    < 0); near tau -> 0 AUTO's Hopf test function labels two in noise (eigenvalues
    -0.2 +- 1.5e8 i). Newton on the Hopf system fails there and the branch shows no
    change of stability, so neither is reported; the branch is cut where |z| -> 1."""
    res = Continuation(ThetaModel(), {"J": 15.0}).equilibria("tau", 1e-9, 2.0)
    assert not res.special("HB")
    assert sum("HB labelled by AUTO" in m and "not reported" in m for m in res.messages) == 2
    assert any(m.startswith("unit_circle") for m in res.messages)
    assert all(np.all(b.data["abs_z"] < 1 - 1e-8) for b in res.branches)
    _inside(res, 1e-9, 2.0, "tau")


def test_cycles_from_a_hopf_point_on_the_range_end():
    """HB1 on the range's lower end, its cycles heading below it: AUTO is not stopped
    at an end it starts on; the branch is cut there instead of failing further out."""
    cont = Continuation(N2, {"Delta": 0.5, "J": -28.27})
    hb = cont.equilibria("eta", 0.0, 20.0).point("HB1")
    cyc = cont.cycles(hb, "eta", hb.params["eta"], 12.0)
    _inside(cyc, hb.params["eta"], 12.0)
    assert len(cyc.branches[0]) == 1 and not cyc.special_points
    # from a range reaching below it: the cycles of HB1 lie below, where its equilibrium
    # is unstable (supercritical, l1 < 0), so the range's end cut nothing inside
    assert hb.l1 < 0
    below = cont.cycles(hb, "eta", hb.params["eta"] - 0.2, 12.0)
    assert np.all(below.branches[0].data["eta"][1:] < hb.params["eta"])


def test_numpy_numbers_reach_auto_as_plain_numbers():
    cont = Continuation(ThetaModel(), {"J": 15.0})
    res = cont.equilibria("eta", -10.0, 5.0, max_points=np.int64(1000),
                          ds=np.float32(0.01), dsmax=np.float32(0.02))
    expected = sorted(eta_of_rate(r, 15.0) for r in fold_rates(15.0))
    np.testing.assert_allclose([p.params["eta"] for p in res.special("LP")], expected,
                               atol=1e-9)


def test_load_says_what_it_reads(tmp_path):
    res = Continuation(ThetaModel(), {"J": 15.0}).equilibria("eta", -10.0, 5.0)
    (tmp_path / "eq.csv").write_text("eta,x\n")
    with pytest.raises(ValueError, match=r"use the \.nc \(netCDF\) or \.json.*branch points"):
        ContinuationResult.load(tmp_path / "eq.csv")
    (tmp_path / "empty.nc").write_bytes(b"")
    with pytest.raises(ValueError, match="'.*empty.nc' is not a thetabif continuation record"):
        ContinuationResult.load(tmp_path / "empty.nc")
    # the JSON document (with null for NaN, as the CLI writes it) round-trips
    doc = json.dumps(res.to_json_dict()).replace("NaN", "null")
    (tmp_path / "eq.json").write_text(doc)
    back = ContinuationResult.load(tmp_path / "eq.json")
    assert [p.label for p in back.special_points] == [p.label for p in res.special_points]
    np.testing.assert_array_equal(back.branches[0].data["eta"], res.branches[0].data["eta"])
