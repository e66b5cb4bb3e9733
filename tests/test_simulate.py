"""Time integration: accuracy on the tutorial protocol, protocols, errors, round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import rv_rhs, z_to_w
from scipy.integrate import solve_ivp

from thetabif import Protocol, SimulationError, ThetaModel, integrate, load_dataset, save_dataset
from thetabif import simulate as simulate_fn


def reference_tutorial(times: np.ndarray, method: str = "DOP853") -> np.ndarray:
    """The tutorial protocol in (r, v) coordinates, integrated piecewise with tight tolerances."""
    model = ThetaModel()
    z0 = -0.6 - 0.8j
    w = z_to_w(z0)
    u = np.array([w.real, w.imag])
    out = np.empty(len(times), dtype=complex)
    for a, b, level in ((0.0, 20.0, 0.0), (20.0, 80.0, 3.0), (80.0, 100.0, 0.0)):
        f, z_of = rv_rhs(model, model.validate_params(I_ext=level))
        sol = solve_ivp(f, (a, b), u, method=method, rtol=1e-13, atol=1e-14,
                        dense_output=True)
        sel = (times >= a) & ((times < b) | (b == 100.0))
        y = sol.sol(times[sel])
        out[sel] = z_of(y[0], y[1])
        u = sol.y[:, -1]
    return out


def test_tutorial_protocol_accuracy():
    """thetabif's default tolerances reproduce an independent (r, v) integration to 1e-7 in |z|."""
    ds = simulate_fn(ThetaModel(), t_end=100.0, dt=0.01, inputs=Protocol.step(20, 80, 3))
    ref = reference_tutorial(ds.time.to_numpy())
    err = np.max(np.abs(ds.abs_z.to_numpy() - np.abs(ref)))
    assert err < 1e-7, err
    # and the protocol's known outcome: low state before, high state during and after
    r = ds.r
    assert float(r.sel(time=19.9, method="nearest")) == pytest.approx(0.0811344, abs=1e-6)
    assert float(r.sel(time=100.0, method="nearest")) == pytest.approx(1.0299315, abs=1e-6)


def test_tutorial_call_verbatim(tutorial_input):
    T, step_size, I_ext = tutorial_input
    results = integrate("model_templates.neural_mass_models.theta.kmo_theta", step_size=step_size,
                        simulation_time=T, outputs={'z': 'p/theta_op/z'},
                        inputs={'p/theta_op/I_ext': I_ext}, clear=True, solver='scipy')
    assert isinstance(results, pd.DataFrame)
    assert list(results.columns) == ["z"]
    assert results["z"].dtype == np.complex128
    assert len(results) == len(I_ext)
    times = results.index.to_numpy()
    # PyRates 1.2.3's grid (benchmarks/README.md): 0, dt, ..., T - dt
    assert times[0] == 0.0 and times[-1] == pytest.approx(T - step_size)
    assert results["z"].iloc[0] == -0.6 - 0.8j
    # the imaginary part is kept: PyRates' own default call loses it
    assert np.max(np.abs(results["z"].to_numpy().imag)) > 0.1
    idx = np.arange(0, len(times), 500)
    ref = reference_tutorial(times[idx])
    assert np.max(np.abs(results["z"].to_numpy()[idx] - ref)) < 1e-7


@pytest.mark.parametrize("kwargs,needle", [
    (dict(circuit="model_templates.neural_mass_models.qif.qif"), "unsupported template.*kmo_theta"),
    (dict(solver="rk4"), "unsupported solver 'rk4'; supported: scipy, euler, heun"),
    (dict(outputs={"z": "p/theta_op/zz"}), "unsupported output.*p/theta_op/z"),
    (dict(inputs={"p/theta_op/eta": [0.0]}), "unsupported input.*p/theta_op/I_ext"),
    (dict(method="RK23"), "unsupported method 'RK23'"),
    (dict(node_values={"p/theta_op/eta": -3.0}), "node_values change the PyRates template"),
])
def test_tutorial_call_rejects_unsupported(kwargs, needle):
    call = dict(circuit="model_templates.neural_mass_models.theta.kmo_theta", step_size=0.01,
                simulation_time=1.0, outputs={"z": "p/theta_op/z"}, solver="scipy")
    call.update(kwargs)
    with pytest.raises(ValueError, match=needle):
        integrate(**call)


def test_protocol_from_array_is_exact_step():
    p = Protocol.from_array(np.r_[np.zeros(4), 3 * np.ones(6), np.zeros(2)], 0.5)
    assert p.breaks == (2.0, 5.0) and p.levels == (0.0, 3.0, 0.0)
    assert [ph.name for ph in p.phases(0, 6)] == ["before", "during", "after"]
    np.testing.assert_array_equal(p(np.array([1.99, 2.0, 4.99, 5.0])), [0, 3, 3, 0])


def test_switch_is_exact():
    """A step at a time that is not on the output grid is honoured exactly.

    With I_ext switched at t = 0.123, the state at 0.123 must equal a run of length 0.123
    with constant input; the two differ only by solver error (~1e-10).
    """
    m = ThetaModel()
    a = simulate_fn(m, t_end=1.0, dt=0.001, inputs=Protocol((0.1235,), (0.0, 4.0)))
    b = simulate_fn(m, t_end=1.0, dt=0.001)
    c = simulate_fn(m, t_end=1.0, dt=0.001, inputs=4.0)
    assert abs(complex(a.z.sel(time=0.123)) - complex(b.z.sel(time=0.123))) < 1e-9
    assert abs(complex(a.z[-1]) - complex(b.z[-1])) > 1e-3
    assert abs(complex(a.z[-1]) - complex(c.z[-1])) > 1e-3


def test_phase_sliver_at_the_end():
    """t_end a few ulps past a switch leaves a last phase shorter than any step.

    It used to stop the compiled integrator with "the step size became too small".
    """
    kw = dict(dt=0.01, inputs=Protocol.step(20, 80, 3))
    ref = simulate_fn(ThetaModel(), t_end=80.0, **kw)
    for t_end in (np.nextafter(80.0, 100.0), 80.0 + 1e-13):
        ds = simulate_fn(ThetaModel(), t_end=float(t_end), **kw)
        assert ds.sizes["time"] == ref.sizes["time"]
        assert float(abs(ds.z - ref.z).max()) < 1e-12


def test_first_order_synapse_dataset_has_s():
    ds = simulate_fn(ThetaModel(synapse="first-order"), dict(J=-10, eta=3), t_end=5, dt=0.1)
    assert set(ds.data_vars) >= {"z", "r", "v", "abs_z", "s", "I_ext"}
    assert ds.attrs["model"] == "theta_syn"
    assert ds.attrs["param_J"] == -10.0


@pytest.mark.parametrize("method", ["DOP853", "RK45"])
def test_blow_up_reported_with_time(method):
    """Absurd tolerances (0.1) with Delta ~ 0 push z out of the disk: a clear error."""
    with pytest.raises(SimulationError, match=r"stopped at t = [0-9.]+: z left the unit disk"):
        simulate_fn(ThetaModel(), dict(eta=5, Delta=1e-9), t_end=20, dt=0.1, z0=0.5,
                    rtol=0.1, atol=0.1, method=method)


@pytest.mark.parametrize("method", ["scipy-DOP853", "Radau"])
def test_scipy_methods_agree_with_compiled(method):
    """The compiled DOP853 and scipy's integrators give the same tutorial trajectory."""
    kw = dict(t_end=40.0, dt=0.05, inputs=Protocol.step(20, 80, 3))
    a = simulate_fn(ThetaModel(), **kw)
    b = simulate_fn(ThetaModel(), method=method, **kw)
    # both at rtol 1e-10; Radau's error is larger (order 5, ~1e-7 here)
    assert float(abs(a.z - b.z).max()) < (1e-8 if method == "scipy-DOP853" else 1e-5)


@pytest.mark.parametrize("kwargs,needle", [
    (dict(t_end=-1), "t_end must be finite and > 0, got -1"),
    (dict(dt=0), "dt must be finite and > 0, got 0"),
    (dict(rtol=float("nan")), "rtol must be finite and > 0"),
    (dict(z0=1.5), r"z0 must lie in the closed unit disk"),
    (dict(z0=-1), r"not at -1"),
    (dict(s0=0.3), "s0 is only meaningful with a first-order synapse"),
    (dict(method="Euler"), "method must be one of DOP853, scipy-DOP853"),
    (dict(inputs="3"), "inputs must be None, a number, a Protocol"),
    (dict(params=dict(Delta=-1)), "'Delta' must be > 0"),
])
def test_simulate_rejects_bad_input(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        simulate_fn(ThetaModel(), **kwargs)


def test_netcdf_and_csv_round_trip(tmp_path):
    ds = simulate_fn(ThetaModel(), t_end=2, dt=0.1, inputs=Protocol.step(0.5, 1.0, 2.0))
    path = save_dataset(ds, tmp_path / "run.nc")
    back = load_dataset(path)
    np.testing.assert_array_equal(back.z.to_numpy(), ds.z.to_numpy())
    np.testing.assert_array_equal(back.r.to_numpy(), ds.r.to_numpy())
    assert back.attrs["model"] == "theta"
    with pytest.raises(FileExistsError, match="exists"):
        save_dataset(ds, path)
    csv = save_dataset(ds, tmp_path / "run.csv")
    frame = pd.read_csv(csv, index_col="time")
    np.testing.assert_allclose(frame["z_imag"], ds.z.to_numpy().imag, rtol=1e-12)
    with pytest.raises(ValueError, match="must end in .nc or .csv"):
        save_dataset(ds, tmp_path / "run.txt")


def test_compiled_integrator_arrives_from_within_rounding_of_the_end():
    """A start (or a step's end) closer to t_end than the smallest step allowed, with
    |t_end| < 1: the integrator has arrived; it used to stop with 'step too small'."""
    model = ThetaModel()
    num = model.numeric
    p = num.parameter_vector(model.validate_params({}))
    u0 = np.array([-0.6, -0.8 + 1e-3])
    for t_end in (0.5, 1e-3, -0.25):
        t0 = t_end - 5e-15 * max(abs(t_end), 0.2)
        states, status, t_reached, _, _ = num.compiled.integrate(
            u0, p, t0, np.array([t_end, t_end]), 1e-10, 1e-12)
        assert status == 0 and t_reached == t_end
        # |f| ~ 1: over < 1e-14 of time the state moves by < 1e-14
        np.testing.assert_allclose(states, [u0, u0], atol=1e-13)
    # an ordinary phase of the same length scale still integrates (against scipy)
    states, status, _, _, _ = num.compiled.integrate(u0, p, 0.0, np.array([0.25, 0.5]),
                                                     1e-12, 1e-14)
    from scipy.integrate import solve_ivp

    ref = solve_ivp(lambda t, u: num.rhs(u, p), (0.0, 0.5), u0, method="DOP853",
                    rtol=1e-13, atol=1e-15, t_eval=[0.25, 0.5]).y.T
    assert status == 0
    np.testing.assert_allclose(states, ref, atol=1e-11)


def test_tutorial_call_rejects_unknown_keyword():
    """A keyword PyRates 1.2.3 does not accept either is a TypeError naming it."""
    with pytest.raises(TypeError, match="unexpected keyword argument.*solver_options"):
        integrate("model_templates.neural_mass_models.theta.kmo_theta", step_size=0.01,
                  simulation_time=1.0, outputs={"z": "p/theta_op/z"}, solver_options={})
