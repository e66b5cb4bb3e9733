"""Circuits of theta populations, checked against independent computations.

* two identical, uncoupled populations are the single population, twice (symbolically
  and by simulation);
* identical, symmetrically coupled populations have the single population's
  equilibria on their synchronous subspace (with ``J = J_self + J_cross``);
* the Hopf points of the shipped PING circuit, found by AUTO and polished, agree with
  Newton on the Hopf defining system written here, independently, in the (r, v) form;
* circuit files: round trip, and a clear error for every mistake.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import fsolve

import thetabif
from thetabif import Continuation, Protocol
from thetabif.equilibrium import find_equilibria
from thetabif.errors import InputError
from thetabif.models import Circuit, Edge, Population, ThetaModel, model_from_record
from thetabif.models.circuit_file import (
    circuit_from_mapping,
    circuit_toml,
    read_circuit,
    standard_circuits,
    write_circuit,
)


def twin(j_self: float, j_cross: float = 0.0, **pop) -> Circuit:
    """Two identical populations A, B with self and cross coupling."""
    edges = [Edge("A", "A", j_self), Edge("B", "B", j_self)]
    if j_cross:
        edges += [Edge("A", "B", j_cross), Edge("B", "A", j_cross)]
    return Circuit((Population("A", **pop), Population("B", **pop)), tuple(edges), label="twin")


# ------------------------------------------------------------------ the model layer
def test_names_say_what_they_are():
    c = read_circuit("ping")
    assert c.state_names == ("x_E", "y_E", "x_I", "y_I", "s_EE", "s_EI", "s_IE", "s_II")
    assert "J_EI" in c.parameter_names and "tau_s_EI" in c.parameter_names
    assert c.defaults["J_EI"] == -10.0  # onto E from I: target first
    with pytest.raises(InputError, match=r"tau_s_EI.*> 0"):
        c.validate_params({"tau_s_EI": -1.0})
    with pytest.raises(InputError, match=r"'J_XY'.*allowed"):
        c.validate_params({"J_XY": 1.0})


def test_uncoupled_twins_are_the_single_population_symbolically():
    single, c = ThetaModel(n=2), Circuit(
        (Population("A", n=2), Population("B", n=2)),
        (Edge("A", "A", 15.0), Edge("B", "B", 15.0)), label="twin")
    sym, csym = single.symbolic, c.symbolic
    for pop in ("A", "B"):
        names = {"x": f"x_{pop}", "y": f"y_{pop}", "eta": f"eta_{pop}", "J": f"J_{pop}{pop}",
                 "Delta": f"Delta_{pop}", "tau": f"tau_{pop}", "I_ext": f"I_ext_{pop}"}
        subs = {sp.Symbol(k, real=True): sp.Symbol(v, real=True) for k, v in names.items()}
        i = c.state_names.index(f"x_{pop}")
        for k in range(2):  # exactly the same expressions, renamed
            assert sp.simplify(sym.rhs[k].subs(subs, simultaneous=True) - csym.rhs[i + k]) == 0


def test_uncoupled_twins_simulate_as_the_single_population():
    c = twin(15.0)
    step = Protocol.step(20, 80, 3)
    ds = thetabif.simulate(c, t_end=100, dt=0.05, inputs={"A": step, "B": step})
    one = thetabif.simulate(ThetaModel(), t_end=100, dt=0.05, inputs=step)
    # both at rtol 1e-10 (global error ~1e-9 on this protocol, tests/test_simulate.py);
    # the error control of a 4-state system takes other steps: agreement to 1e-8
    for pop in ("A", "B"):
        assert float(np.max(np.abs(ds[f"r_{pop}"] - one.r))) < 1e-8
    assert float(ds.r_A[-1]) > 0.9  # persistent high activity, as the tutorial's


def test_inputs_per_population_and_errors():
    c = twin(15.0)
    ds = thetabif.simulate(c, t_end=100, dt=0.1, inputs={"I_ext_A": Protocol.step(20, 80, 3)})
    assert float(ds.r_A[-1]) > 0.9 and float(ds.r_B[-1]) < 0.2  # only A switched up
    with pytest.raises(InputError, match="give them by name"):
        thetabif.simulate(c, t_end=10, inputs=Protocol.step(2, 8, 3))
    with pytest.raises(InputError, match="'C' is not an input"):
        thetabif.simulate(c, t_end=10, inputs={"C": 1.0})
    with pytest.raises(InputError, match=r"z0\['B'\]"):
        thetabif.simulate(c, t_end=10, z0={"A": 0.0, "B": 2.0})


def test_synchronous_equilibria_of_symmetric_twins():
    j_self, j_cross = 9.0, 6.0
    c = twin(j_self, j_cross, eta=-5.0)
    single = [e.r for e in find_equilibria(ThetaModel(), {"J": j_self + j_cross})]
    sync = sorted(e.r for e in find_equilibria(c)
                  if abs(e.state[0] - e.state[2]) + abs(e.state[1] - e.state[3]) < 1e-9)
    assert len(single) == 3
    np.testing.assert_allclose(sync, single, rtol=1e-10)  # Newton residual 1e-12


# ------------------------------------------------------------------ PING Hopf points
def rv_rhs(X: np.ndarray, eta_e: float, c: Circuit) -> np.ndarray:
    """The PING circuit in the (r, v) form, written here from the QIF mean field:
    ``tau r' = Delta/(pi tau) + 2 r v``, ``tau v' = v^2 + eta + I + s_tot - (pi tau r)^2``,
    ``tau_s s' = -s + J r_src`` (delta pulses, current coupling)."""
    d = c.defaults
    r = {"E": X[0], "I": X[2]}
    v = {"E": X[1], "I": X[3]}
    s = dict(zip(("EE", "EI", "IE", "II"), X[4:], strict=True))
    eta = {"E": eta_e, "I": d["eta_I"]}
    out = []
    for p in ("E", "I"):
        tau, delta = d[f"tau_{p}"], d[f"Delta_{p}"]
        total = s[p + "E"] + s[p + "I"]
        out += [(delta / (math.pi * tau) + 2 * r[p] * v[p]) / tau,
                (v[p] ** 2 + eta[p] + total - (math.pi * tau * r[p]) ** 2) / tau]
    for k in ("EE", "EI", "IE", "II"):
        out.append((-s[k] + d[f"J_{k}"] * r[k[1]]) / d[f"tau_s_{k}"])
    return np.array(out)


def rv_jacobian(X: np.ndarray, eta: float, c: Circuit) -> np.ndarray:
    """Exact Jacobian of :func:`rv_rhs` by complex steps (it is a polynomial)."""
    h = 1e-30
    return np.array([rv_rhs(X + 1j * h * e, eta, c).imag / h for e in np.eye(len(X))]).T


def rv_hopf(guess: np.ndarray, c: Circuit) -> np.ndarray:
    """Newton (fsolve) on F = 0, (DF - i w) q = 0, <e1, q> = 1: unknowns X, eta_E, w, q."""
    n = 8


    def system(z):
        X, eta, w = z[:n], z[n], z[n + 1]
        q = z[n + 2:2 * n + 2] + 1j * z[2 * n + 2:]
        res = (rv_jacobian(X, eta, c) - 1j * w * np.eye(n)) @ q
        return np.concatenate([rv_rhs(X, eta, c), res.real, res.imag, [q[0].real - 1,
                                                                       q[0].imag]])

    sol, info, _, _ = fsolve(system, guess, xtol=1e-12, full_output=True)
    assert np.max(np.abs(info["fvec"])) < 1e-12
    return sol


def test_ping_hopf_points_against_newton_in_rv_form():
    c = read_circuit("ping")
    res = Continuation(c).equilibria("eta_E", -10, 10)
    hb = sorted((p for p in res.special_points if p.type == "HB"),
                key=lambda p: p.params["eta_E"])
    assert len(hb) == 2
    for p in hb:
        st = p.state
        X = []
        for pop in ("E", "I"):
            z = complex(st[f"x_{pop}"], st[f"y_{pop}"])
            W = (1 - z.conjugate()) / (1 + z.conjugate())  # pi tau r + i v
            X += [W.real / math.pi, W.imag]
        X += [st[f"s_{k}"] for k in ("EE", "EI", "IE", "II")]
        w = p.extra["frequency"]
        # the eigenvector guess from the (r, v) Jacobian at the point
        lam, vec = np.linalg.eig(rv_jacobian(np.array(X), p.params["eta_E"], c))
        k = int(np.argmin(np.abs(lam - 1j * w)))
        q = vec[:, k] / vec[0, k]
        sol = rv_hopf(np.concatenate([X, [p.params["eta_E"] + 1e-3, w], q.real, q.imag]), c)
        # fsolve converges to ~1e-12; thetabif's polished HB holds its system to 1e-9
        assert sol[8] == pytest.approx(p.params["eta_E"], abs=1e-8)
        assert sol[9] == pytest.approx(w, rel=1e-7)
        assert p.l1 is not None and p.l1 < 0  # supercritical: the cycles are stable


# ------------------------------------------------------------------ circuit files
def test_circuit_file_round_trip(tmp_path):
    c = read_circuit("ping")
    path = write_circuit(c, tmp_path / "ping.toml")
    again = read_circuit(path)
    assert again == c and again.name == c.name
    with pytest.raises(FileExistsError):
        write_circuit(c, path)
    assert model_from_record(c.record_options()) == c
    assert pickle.loads(pickle.dumps(c)) == c


BASE = {"populations": {"E": {"eta": 1.0}, "I": {}},
        "edges": [{"target": "E", "source": "I", "weight": -2.0}]}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["edges"].append({"target": "X", "source": "E", "weight": 1.0}),
     r"target 'X' is not a population"),
    (lambda d: d["edges"].append({"target": "I", "source": "E"}), r"missing weight"),
    (lambda d: d["edges"].append({"target": "E", "source": "I", "weight": 1.0}),
     r"duplicate edge\(s\): E<-I"),
    (lambda d: d["populations"]["E"].update(eta="high"), r"'eta' must be a number"),
    (lambda d: d["populations"]["E"].update(spike=1), r"unknown key\(s\) spike"),
    (lambda d: d.update(colour="red"), r"unknown key\(s\) colour"),
    (lambda d: d["edges"][0].update(synapse="third-order"), r"'synapse' must be one of"),
    (lambda d: d["populations"].update({"E_1": {}}), r"no '_'"),
    (lambda d: d.update(populations={}), r"at least one population"),
])
def test_circuit_file_mistakes(change, message):
    data = {"populations": {k: dict(v) for k, v in BASE["populations"].items()},
            "edges": [dict(e) for e in BASE["edges"]]}
    change(data)
    with pytest.raises(InputError, match=message):
        circuit_from_mapping(data, "test.toml")


def test_duplicate_population_in_a_file(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text("[populations.E]\neta = 1.0\n[populations.E]\neta = 2.0\n")
    with pytest.raises(InputError, match="not valid TOML"):
        read_circuit(path)
    with pytest.raises(InputError, match="does not exist.*shipped circuits: .*ping"):
        read_circuit(tmp_path / "none.toml")


def test_shipped_circuits_read_and_have_notes():
    shipped = standard_circuits()
    assert {"ping", "ii"} <= set(shipped)
    for name in shipped:
        c = read_circuit(name)
        assert len(c.description) > 80  # says where it comes from
        assert circuit_toml(c)


# ------------------------------------------------------------------ synapses, adaptation
def test_adaptation_shifts_the_coupling_at_equilibrium():
    """``tau_a a' = -a + alpha r`` subtracts ``a* = alpha r*`` from the drive: with delta
    pulses the equilibria are those of the single population with ``J - alpha``."""
    c = Circuit((Population("A", eta=-5.0, adaptation=True, alpha=4.0, tau_a=20.0),),
                (Edge("A", "A", 15.0),), label="adapt")
    got = [e.r for e in find_equilibria(c)]
    want = [e.r for e in find_equilibria(ThetaModel(), {"J": 11.0})]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    for e in find_equilibria(c):  # the adaptation state sits at its target
        assert e.state[c.state_names.index("a_A")] == pytest.approx(4.0 * e.r, rel=1e-12)


def test_second_order_synapse_modes():
    """A second-order edge onto a population that drives nothing back is a linear filter
    with modes ``-1/tau_r`` and ``-1/tau_d``: they are eigenvalues of the Jacobian."""
    c = Circuit((Population("A", eta=-2.0), Population("B", eta=-1.0)),
                (Edge("B", "A", 3.0, "second-order", tau_r=0.5, tau_d=4.0),), label="filter")
    (eq,) = find_equilibria(c)
    for mode in (-2.0, -0.25):
        assert np.min(np.abs(eq.eigenvalues - mode)) < 1e-12
    # at rest the synapse equals its target, J r_A, and its derivative u is zero
    assert eq.state[c.state_names.index("s_BA")] == pytest.approx(
        3.0 * float(c.numeric.output("r_A", eq.state, c.numeric.parameter_vector(c.defaults))),
        rel=1e-12)
    assert eq.state[c.state_names.index("u_BA")] == 0.0
