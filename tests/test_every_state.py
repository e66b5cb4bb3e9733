"""Every state of every point from AUTO's fort.7, for models with more states than it
prints (the 8-state PING circuit), checked independently.

AUTO prints ``7 - len(ICP)`` states per point. The engine's ``PVLS`` stores each
state's maximum and minimum over the solution (an equilibrium's state itself) in PARs
after the last parameter (:func:`thetabif.auto.constants.state_indices`), and the engine
lists them in ``ICP`` (:func:`thetabif.continuation.engine.with_every_state`):

* the PAR layout: no clash with the model's parameters, AUTO's, HomCont's or the
  solution measures' PARs, and ``NPAR`` covers it;
* equilibria of PING along the whole branch against Newton (:mod:`thetabif.equilibrium`,
  on the reduced system), with no point stored in fort.8 for its state;
* a PING cycle branch: no NaN in any state's max or min column; at the orbit stored at
  the range's end (UZ) the columns are the extremes of AUTO's own profile there, and
  the extremes of a scipy integration of the circuit (rtol 1e-10) over one period from
  the orbit's first point;
* the eigenvalues and multipliers of those runs read from fort.9 by numpy equal those
  read line by line by the regex.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from thetabif import Continuation, ThetaModel
from thetabif.auto.constants import (
    FIRST_OUTPUT_PAR,
    HOMCONT_PSI_PARS,
    npar,
    output_indices,
    parameter_indices,
    state_indices,
)
from thetabif.auto.parse import _spectra_by_regex, _spectra_fast, parse_fort9
from thetabif.continuation.convert import min_column
from thetabif.equilibrium import newton
from thetabif.models.circuit_file import read_circuit

PING = read_circuit("ping")


@pytest.mark.parametrize("model", [ThetaModel(), PING], ids=["theta", "ping"])
def test_state_pars_clash_with_nothing_and_fit_in_npar(model):
    pars = parameter_indices(model.parameter_names)
    outs = output_indices(model.output_names)
    ext = state_indices(model.parameter_names, model.state_names)
    assert sorted(ext) == sorted((s, w) for s in model.state_names for w in ("max", "min"))
    taken = set(pars.values()) | set(outs.values())
    reserved = set(range(10, 37)) | set(HOMCONT_PSI_PARS.values())  # AUTO's, HomCont's
    assert not set(ext.values()) & (taken | reserved)
    assert len(set(ext.values())) == len(ext)
    assert set(outs.values()) <= set(range(FIRST_OUTPUT_PAR, 51))
    assert npar(model.parameter_names, model.state_names) == max(
        [50, *pars.values(), *ext.values()])


class Spy:
    """The engine's runner, keeping every AUTO run's result and constants."""

    def __init__(self, cont: Continuation) -> None:
        self.results: list = []
        self._run = cont._run
        cont._run = self

    def __call__(self, *args, **kwargs):
        result = self._run(*args, **kwargs)
        self.results.append(result)
        return result


@pytest.fixture(scope="module")
def ping_runs():
    cont = Continuation(PING)
    spy = Spy(cont)
    eq = cont.equilibria("eta_E", -10, 10)
    eq_results = list(spy.results)
    hb = min(eq.special("HB"), key=lambda q: q.params["eta_E"])
    spy.results.clear()
    cyc = cont.cycles(hb, "eta_E", -10, 1.0)
    return eq, eq_results, cyc, list(spy.results)


def test_equilibrium_states_of_ping_against_newton_without_fort8(ping_runs):
    eq, results, _, _ = ping_runs
    names = PING.state_names
    ext = state_indices(PING.parameter_names, names)
    for result in results:
        text = result.constants
        # the states' PARs are printed (ICP), no point is stored for its state (NPR=1)
        assert all(f"{ext[(n, 'max')]}" in text.split("ICP")[1].splitlines()[0]
                   for n in names)
        assert "NPR = 1\n" not in text
        points = [pt for b in result.branches for pt in b.points]
        assert len(result.solutions) < len(points) / 10  # only the labelled ones
        assert all(tuple(pt.state) == names and pt.state_measure == "value"
                   for pt in points)
    checked = 0
    for b in eq.branches:
        u = np.array([b.data[n] for n in names])
        for k in range(0, len(b), 5):
            at = {"eta_E": float(b.data["eta_E"][k])}
            ref = newton(PING, at, u[:, k])
            assert ref is not None
            # fort.7 prints 11 significant digits (|states| < 3: ~1e-10), AUTO's Newton
            # stops at EPSU = 1e-10 relative; measured max difference 7.9e-11
            assert np.max(np.abs(u[:, k] - ref)) < 1e-8
            checked += 1
    assert checked > 100


def test_ping_cycle_columns_complete_and_equal_to_the_orbit_and_a_simulation(ping_runs):
    _, _, cyc, results = ping_runs
    names = PING.state_names
    (b,) = cyc.branches
    for n in names:
        for col in (n, min_column(n)):
            assert not np.any(np.isnan(b.data[col])), col
        assert np.all(b.data[n] >= b.data[min_column(n)])
    # the orbit AUTO stored at the range's end (UZ), and its point in fort.7
    (pt, sol) = [(pt, res.solution(pt.label)) for res in results for br in res.branches
                 for pt in br.points if pt.type == "UZ"][:1][0]
    assert pt.state_measure == "max"
    prof = np.asarray(sol.u)[:, :len(names)]
    # GETP's extremes are over the profile's points, both printed with 11 significant
    # digits (measured: equal)
    assert np.allclose([pt.state[n] for n in names], prof.max(axis=0), rtol=0, atol=1e-9)
    assert np.allclose([pt.state_min[n] for n in names], prof.min(axis=0), rtol=0,
                       atol=1e-9)
    k = int(np.argmin(np.abs(b.data["eta_E"] - pt.parameters["eta_E"])))
    assert b.data["eta_E"][k] == pytest.approx(1.0, abs=1e-5)  # AUTO's UZ: to EPSS
    assert [b.data[n][k] for n in names] == [pt.state[n] for n in names]
    assert [b.data[min_column(n)][k] for n in names] == [pt.state_min[n] for n in names]

    # the circuit integrated over one period from the orbit's first point
    num = PING.numeric
    p = num.parameter_vector({**PING.validate_params({}), "eta_E": pt.parameters["eta_E"]})
    period = float(pt.parameters["period"])
    run = solve_ivp(lambda t, u: num.rhs(u, p), (0.0, period), prof[0], method="DOP853",
                    rtol=1e-10, atol=1e-12, dense_output=True)
    assert run.success
    # back where it started, and on AUTO's profile at its mesh times: the orbit is AUTO's
    # to its Newton tolerances on cycle runs (EPSL = EPSU = 1e-7) and the collocation's
    # error (NTST 80, NCOL 4, well below); measured 8e-11 (closure), 4e-9 (profile)
    assert np.max(np.abs(run.y[:, -1] - prof[0])) < 1e-7
    # so at AUTO's mesh times the simulation's extremes are the columns: measured 1.1e-9
    on_mesh = run.sol(np.asarray(sol.t) * period)
    cols_max = np.array([b.data[n][k] for n in names])
    cols_min = np.array([b.data[min_column(n)][k] for n in names])
    assert np.max(np.abs(on_mesh.T - prof)) < 1e-7
    assert np.max(np.abs(on_mesh.max(axis=1) - cols_max)) < 1e-7
    assert np.max(np.abs(on_mesh.min(axis=1) - cols_min)) < 1e-7
    # between mesh points the true extremes lie beyond AUTO's by at most h^2/8 |u''|
    # (h: the widest mesh interval, 0.044; |u''| from the simulation): bounds 7e-5 to
    # 7e-4 per state, measured 1.5e-7 to 3.1e-5
    dense_t = np.linspace(0.0, period, 200_001)
    dense = run.sol(dense_t)
    h = float(np.max(np.diff(sol.t))) * period
    upp = np.max(np.abs(np.gradient(np.gradient(dense, dense_t, axis=1), dense_t, axis=1)),
                 axis=1)
    bound = h**2 / 8 * upp + 1e-7
    assert np.all(dense.max(axis=1) >= cols_max - 1e-7)
    assert np.all(dense.max(axis=1) - cols_max <= bound)
    assert np.all(dense.min(axis=1) <= cols_min + 1e-7)
    assert np.all(cols_min - dense.min(axis=1) <= bound)


def test_fort9_spectra_by_numpy_equal_those_by_regex(ping_runs):
    _, eq_results, _, cyc_results = ping_runs
    for result in (*eq_results, *cyc_results):
        fast, slow = _spectra_fast(result.fort9), _spectra_by_regex(result.fort9)
        assert fast is not None
        for a, b in zip(fast, slow, strict=True):
            assert a.keys() == b.keys()
            assert all(np.array_equal(a[k], b[k]) for k in b)
    assert any(cyc_results[0].branches[0].points[3].multipliers)  # multipliers were read
    # numbers without E (AUTO's three-digit exponents): the regex path reads them
    odd = ("   1     2         Eigenvalue  1:  -2.0E+00  1.0-100\n"
           "   1     2         Eigenvalue  2:  -3.0E+00  0.0E+00\n")
    assert _spectra_fast(odd) is None
    eig = parse_fort9(odd).eigenvalues[(1, 2)]
    assert eig.tolist() == [complex(-2.0, 1e-100), complex(-3.0, 0.0)]


def test_equilibrium_runs_carry_the_spectra_of_labelled_points(ping_runs):
    """The engine reads the eigenvalues of labelled points only (the ones used: special
    points); they are those of the whole fort.9, by the numpy and the regex path."""
    _, eq_results, _, cyc_results = ping_runs
    for result in eq_results:
        full = parse_fort9(result.fort9).eigenvalues
        points = [pt for b in result.branches for pt in b.points]
        labelled = [pt for pt in points if pt.label]
        assert any(pt.type == "HB" for pt in labelled)
        for pt in points:
            if pt.label:
                np.testing.assert_array_equal(pt.eigenvalues, full[(pt.branch, pt.index)])
            else:
                assert pt.eigenvalues is None
        keys = {(pt.branch, pt.index) for pt in labelled}
        assert _spectra_fast(result.fort9, keys)[0].keys() == keys
        assert _spectra_by_regex(result.fort9, keys)[0].keys() == keys
    # cycles: every point's multipliers (the search for missed PD/TR crossings), but at
    # the Hopf point the branch starts from (AUTO prints none there)
    assert all(pt.multipliers is not None for r in cyc_results for b in r.branches
               for pt in b.points[1:])


def test_newton_step_solves_every_regular_jacobian_and_skips_singular_ones():
    """The seeding's batched Newton step (one solve for all columns; only when one
    Jacobian is exactly singular are they told apart): regular columns solved, a
    singular or non-finite one left NaN."""
    from thetabif.equilibrium import _newton_step

    rng = np.random.default_rng(1)
    jac = rng.normal(size=(5, 3, 3))
    F = rng.normal(size=(3, 5))
    expected = np.array([np.linalg.solve(jac[k], F[:, k]) for k in range(5)]).T
    np.testing.assert_allclose(_newton_step(jac, F), expected, rtol=1e-12)
    jac[1, 2] = jac[1, 0]  # exactly singular
    jac[3, 0, 0] = np.nan
    step = _newton_step(jac, F)
    assert np.all(np.isnan(step[:, [1, 3]]))
    np.testing.assert_allclose(step[:, [0, 2, 4]], expected[:, [0, 2, 4]], rtol=1e-12)
