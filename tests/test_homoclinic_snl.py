"""Saddle-node-loop points: the homoclinic curve from the BT point of the n = 2 model with
a first-order synapse (Delta 0.2, tau_s 0.2) ends on the upper fold at the SNL point.

Oracles: plain long simulations (scipy LSODA, written here) from the saddle-node's
leaving centre branch on both sides of the located point: on the SNIC side the orbit
comes back and creeps into the saddle-node, on the other it comes back and leaves
again; and thetabif/snic.py's bracket from simulated returns, J = -14.16757 +- 1e-4
(eta 3.74171).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from thetabif import ThetaModel
from thetabif.continuation import Continuation, ContinuationResult, StopReason
from thetabif.continuation.records import LocatedBy
from thetabif.continuation.snl import _centre, landing_coordinate, locate_saddle_node_loop
from thetabif.polish import polish

MODEL = ThetaModel(n=2, synapse="first-order")
NUM = MODEL.numeric
BOX = {"eta": (-5, 20), "J": (-45, 0)}


@pytest.fixture(scope="module")
def run():
    c = Continuation(MODEL, {"Delta": 0.2, "tau_s": 0.2, "J": -25})
    eq = c.equilibria("eta", -20, 40)
    bt = c.curve(eq.point("LP2"), ("eta", "J"), BOX).special("BT")[0]
    return c, bt, c.homoclinic(bt, ("eta", "J"), BOX)


def _fold(J: float, near) -> tuple[np.ndarray, dict]:
    pt = polish(MODEL, "LP", ("eta",), near.state, {**near.params, "J": J})
    return np.asarray(pt.state), dict(pt.params)


def _leaves_again(J: float, near, t_end: float) -> float | None:
    """Plain simulation: start 1e-3 along the leaving centre direction (linear only),
    return into the ball of radius 0.02, then: the time it takes to leave the ball of
    radius 0.1 again (None: not by t_end)."""
    x, p = _fold(J, near)
    pv = NUM.parameter_vector(p)
    v, w, a, _ = _centre(MODEL, x, pv)
    u0 = x + np.sign(a) * 1e-3 * v

    def f(_t, u):
        return NUM.rhs(u, pv)

    def far(_t, u):
        return np.linalg.norm(u - x) - 0.1

    def near_again(_t, u):
        return np.linalg.norm(u - x) - 0.02

    far.terminal = near_again.terminal = True
    far.direction, near_again.direction = 1, -1
    opts = {"method": "LSODA", "rtol": 1e-11, "atol": 1e-13,
            "jac": lambda _t, u: NUM.jacobian(u, pv)}
    s1 = solve_ivp(f, (0, 1e5), u0, events=far, **opts)
    s2 = solve_ivp(f, (0, 1e4), s1.y[:, -1], events=near_again, **opts)
    assert s2.t_events[0].size  # it comes back on both sides
    s3 = solve_ivp(f, (0, t_end), s2.y[:, -1], events=far, **opts)
    return float(s3.t_events[0][0]) if s3.t_events[0].size else None


def test_curve_ends_at_snl(run):
    _, _, res = run
    (snl,) = res.special("SNL")
    assert snl.kind == "homoclinic" and snl.label == "SNL1"
    # snic.py's bracket (simulated returns, 1e-4)
    assert abs(snl.params["J"] - (-14.16757)) < 1e-4
    assert abs(snl.params["eta"] - 3.74171) < 1e-4
    assert abs(snl.extra["landing"]) < 1e-9
    # a fold point: one zero eigenvalue, the others stable
    re = sorted(e[0] for e in snl.extra["fold_eigenvalues"])
    assert abs(re[-1]) < 1e-9 and re[-2] < -1
    # saved and loaded (JSON) with its way of location
    back = ContinuationResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert back.special("SNL")[0].extra["located_by"].by is LocatedBy.LANDING_ROOT
    assert back.special("SNL")[0].params == snl.params
    msgs = [m for m in res.messages if m.reason is StopReason.SNL_APPROACH]
    assert len(msgs) == 1 and "spurious" in msgs[0] and "saddle-node-loop point" in msgs[0]
    # the curve runs towards it: J decreasing, lambda_u -> 0 while lambda_s stays
    b = max(res.branches, key=len)
    assert b.data["J"][-1] > snl.params["J"]
    assert b.data["lambda_u"][-1] < 0.2 and b.data["lambda_s"][-1] < -3


@pytest.mark.parametrize("dJ, leaves", [(-1e-5, False), (1e-5, True)])
def test_snl_against_simulation(run, dJ, leaves):
    """1e-5 either side of the located point the simulated orbit returns on the SNIC
    side (creeps into the saddle-node for good) or on the leaving side (it leaves
    again, after ~1/(|a| c) ~ 9e5 with the landing coordinate c ~ 3e-6 there)."""
    _, _, res = run
    (snl,) = res.special("SNL")
    near = type("P", (), {"state": np.array([snl.state[k] for k in MODEL.state_names]),
                          "params": snl.params})
    assert (_leaves_again(snl.params["J"] + dJ, near, 5e6) is not None) is leaves


def test_snl_from_simulated_leaving_times(run):
    """On the leaving side the time to leave again grows like K / (J - J_snl) + T0
    (the creep past the saddle-node, c' = a c^2 from c ~ J - J_snl). Three simulated
    times (J - J_located = 5e-5, 1e-4, 2e-4; 1.7e5 .. 4e4) determine J_snl, K, T0.
    Measured: J_snl - J_located = -2.3e-9, K = 8.696, T0 = -26. Asserted: 1e-7 (the
    brief asks 1e-6; the simulations' rtol 1e-11 over ~1e5 time units and the O(c^2)
    terms of the creep law leave ~1e-8)."""
    from scipy.optimize import fsolve

    _, _, res = run
    (snl,) = res.special("SNL")
    near = type("P", (), {"state": np.array([snl.state[k] for k in MODEL.state_names]),
                          "params": snl.params})
    d = np.array([5e-5, 1e-4, 2e-4])
    t = np.array([_leaves_again(snl.params["J"] + x, near, 1e6) for x in d])

    def law(z):
        e, k, t0 = z
        return k / (d - e * 1e-6) + t0 - t

    e, k, t0 = fsolve(law, [0.0, t[1] * 1e-4, 0.0], xtol=1e-13)
    assert np.max(np.abs(law([e, k, t0]))) < 1e-6 * t.max()
    assert abs(e) < 0.1  # e is in units of 1e-6 in J
    assert 8 < k < 10 and abs(t0) < 1000


def test_landing_coordinate_is_smooth_through_zero(run):
    """Linear through the point (slope ~0.2956: the 0.30 (J - J_snl) of snic.py's
    README); its zero does not move when the start offset and the ball change."""
    _, _, res = run
    (snl,) = res.special("SNL")
    x0 = np.array([snl.state[k] for k in MODEL.state_names])
    near = type("P", (), {"state": x0, "params": snl.params})
    vals = []
    for d in (-1e-4, 1e-4):
        x, p = _fold(snl.params["J"] + d, near)
        vals.append(landing_coordinate(MODEL, x, p))
    slope = (vals[1] - vals[0]) / 2e-4
    assert 0.29 < slope < 0.30
    assert abs(vals[0] + vals[1]) < 1e-3 * abs(vals[1])  # linear: symmetric about 0
    x, p = _fold(snl.params["J"] + 1e-6, near)
    moved = landing_coordinate(MODEL, x, p, delta=3e-3, radius=0.05) / slope
    assert abs(moved - 1e-6) < 1e-8  # the zero stays put to 1e-8 in J


def test_locate_needs_a_sign_change(run):
    _, _, res = run
    (snl,) = res.special("SNL")
    x0 = np.array([snl.state[k] for k in MODEL.state_names])
    x, p = _fold(-13.5, type("P", (), {"state": x0, "params": snl.params}))
    from thetabif.errors import InputError

    with pytest.raises(InputError, match="kept its sign"):
        locate_saddle_node_loop(MODEL, ("eta", "J"), p, x, 0.05, max_steps=3)


def test_snic_stretch_ends_at_the_same_point(run):
    """snic.py's stretch of the upper fold ends where the homoclinic curve does: its
    bisected bracket (simulated returns, 1e-4) refined by the same landing coordinate
    (started from another fold point: the bracket's end) lands on the same root."""
    from thetabif.snic import snic_stretches

    c, _, res = run
    (snl,) = res.special("SNL")
    lp = c.equilibria("eta", -20, 40).point("LP2")
    curve = c.curve(lp, ("eta", "J"), {"eta": (-5, 20), "J": (-45, 0)})
    ends = [e for s in snic_stretches(curve, samples=10) for e in (s.start, s.end)
            if e.kind == "saddle-node-loop"]
    assert len(ends) == 1 and "refined" in ends[0].other
    for name in ("eta", "J"):
        assert abs(ends[0].params[name] - snl.params[name]) < 1e-8
