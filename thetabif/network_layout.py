"""What the spiking network of a model is made of: populations, edges, their numbers.

:func:`network_layout` reads a model (:class:`thetabif.models.ThetaModel` or
:class:`thetabif.models.Circuit`) and a full parameter set and returns a
:class:`NetworkLayout`: one :class:`NetPopulation` per population (excitability
centre and width, membrane time constant, pulse sharpness of its spikes, input
parameter, adaptation) and one :class:`NetEdge` per synaptic edge (weight, synapse,
coupling), with the names of their variables in the model's state vector and in
results. A ``ThetaModel`` is one unnamed population with a self-edge, so
:mod:`thetabif.network` has a single code path for every model.

Each synapse with a state is advanced exactly over a step of length ``dt`` under a
presynaptic activity ``p`` held over the step: its deviation ``(s - J p, u)`` from the
fixed point ``(J p, 0)`` is multiplied by the propagator ``exp(A dt)``
(:meth:`NetEdge.propagator`), with ``A = [[-1/tau_s, 0], [0, 0]]`` (first order) or
``A = [[0, 1], [-1/(tau_r tau_d), -(tau_r + tau_d)/(tau_r tau_d)]]`` (second order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from thetabif.models import Circuit, Model, ThetaModel


@dataclass(frozen=True)
class NetPopulation:
    """One population of the network.

    Attributes
    ----------
    name : str
        ``""`` for a ThetaModel (its results are plain ``r``, ``z``), else the
        population's name (results ``r_E``, ``z_E``).
    n : int or None
        Pulse sharpness of its spikes as its targets see them (None: delta pulses).
    eta, Delta, tau : float
        Centre and half width of the Lorentzian excitabilities; time constant.
    input_name : str
        The parameter its input protocol drives (``I_ext`` or ``I_ext_P``).
    alpha, tau_a : float
        Adaptation ``tau_a da/dt = -a + alpha r`` (``tau_a`` None: no adaptation).
    adaptation_state : int or None
        Index of ``a_P`` in the model's state vector.
    """

    name: str
    n: int | None
    eta: float
    Delta: float
    tau: float
    input_name: str
    alpha: float = 0.0
    tau_a: float | None = None
    adaptation_state: int | None = None

    @property
    def suffix(self) -> str:
        """``""`` or ``_P``: what result names of this population end with."""
        return f"_{self.name}" if self.name else ""


@dataclass(frozen=True)
class NetEdge:
    """One synaptic edge of the network: ``source`` drives ``target`` (indices).

    Attributes
    ----------
    drive_name : str
        Name of its drive in results: ``s`` (ThetaModel) or ``s_TS``.
    J : float
        Weight.
    synapse : {"instant", "first-order", "second-order"}
    coupling : {"current", "conductance"}
    v_s : float
        Reversal potential (conductance coupling).
    tau_s, tau_r, tau_d : float
        Synaptic time constants (those the synapse uses; others are nan).
    s_state, u_state : int or None
        Indices of ``s`` and ``u = ds/dt`` in the model's state vector.
    """

    target: int
    source: int
    drive_name: str
    J: float
    synapse: str
    coupling: str
    v_s: float = 0.0
    tau_s: float = math.nan
    tau_r: float = math.nan
    tau_d: float = math.nan
    s_state: int | None = None
    u_state: int | None = None

    @property
    def kind(self) -> int:
        """0 instant, 1 first-order, 2 second-order (the kernel's code)."""
        return ("instant", "first-order", "second-order").index(self.synapse)

    def propagator(self, dt: float) -> np.ndarray:
        """``exp(A dt)``: the exact flow of ``(s - J p, u)`` over a step (see module).

        Zero for an instantaneous synapse (no state).
        """
        M = np.zeros((2, 2))
        if self.synapse == "first-order":
            M[0, 0] = math.exp(-dt / self.tau_s)
        elif self.synapse == "second-order":
            M = _second_order_flow(self.tau_r, self.tau_d, dt)
        return M


def _second_order_flow(tau_r: float, tau_d: float, dt: float) -> np.ndarray:
    """``exp(A dt)`` for ``tau_r tau_d s'' + (tau_r + tau_d) s' + s = 0`` in closed form.

    With ``a = 1/tau_r``, ``b = 1/tau_d`` the eigenvalues are ``-a``, ``-b``; for
    ``a != b`` the flow is ``(b e^{-a t} - a e^{-b t})/(b - a)`` etc.; as ``a -> b`` it
    tends to the critically damped ``(1 + a t) e^{-a t}`` form, used when the two
    differ by less than 1e-6 relatively (the divided difference then loses ~6 digits
    of 16, the limit form errs by O(1e-6 (a t)^2), both far below the O(dt) error of
    holding the input over the step).
    """
    a, b = 1.0 / tau_r, 1.0 / tau_d
    ea, eb = math.exp(-a * dt), math.exp(-b * dt)
    if abs(a - b) <= 1e-6 * max(a, b):
        c = 0.5 * (a + b)
        e = math.exp(-c * dt)
        return np.array([[(1 + c * dt) * e, dt * e],
                         [-c * c * dt * e, (1 - c * dt) * e]])
    d = b - a
    # s(t) = s0 (b ea - a eb)/d + u0 (ea - eb)/d; u = s'
    return np.array([[(b * ea - a * eb) / d, (ea - eb) / d],
                     [-a * b * (ea - eb) / d, (b * eb - a * ea) / d]])


@dataclass(frozen=True)
class NetworkLayout:
    """The populations and edges of a model's network (see the module)."""

    populations: tuple[NetPopulation, ...]
    edges: tuple[NetEdge, ...]


def network_layout(model: Model, params: Mapping[str, float]) -> NetworkLayout:
    """The network behind ``model`` at the (complete, validated) parameters ``params``.

    Parameters
    ----------
    model : ThetaModel or Circuit
    params : mapping
        All parameters (``model.validate_params``).

    Returns
    -------
    NetworkLayout
    """
    states = {n: i for i, n in enumerate(model.state_names)}
    if isinstance(model, ThetaModel):
        pop = NetPopulation("", model.n, params["eta"], params["Delta"], params["tau"],
                            "I_ext")
        edge = NetEdge(0, 0, "s", params["J"], model.synapse, model.coupling,
                       v_s=params.get("v_s", 0.0), tau_s=params.get("tau_s", math.nan),
                       s_state=states.get("s"))
        return NetworkLayout((pop,), (edge,))
    if not isinstance(model, Circuit):
        raise TypeError(f"the network needs a ThetaModel or a Circuit, got {model!r}")
    pops = []
    for p in model.populations:
        k = p.name
        pops.append(NetPopulation(
            k, p.n, params[f"eta_{k}"], params[f"Delta_{k}"], params[f"tau_{k}"],
            f"I_ext_{k}", alpha=params.get(f"alpha_{k}", 0.0),
            tau_a=params[f"tau_a_{k}"] if p.adaptation else None,
            adaptation_state=states.get(f"a_{k}")))
    index = {p.name: i for i, p in enumerate(model.populations)}
    edges = []
    for e in model.edges:
        k = e.key
        edges.append(NetEdge(
            index[e.target], index[e.source], f"s_{k}", params[f"J_{k}"], e.synapse,
            e.coupling, v_s=params.get(f"v_s_{k}", 0.0),
            tau_s=params.get(f"tau_s_{k}", math.nan), tau_r=params.get(f"tau_r_{k}", math.nan),
            tau_d=params.get(f"tau_d_{k}", math.nan), s_state=states.get(f"s_{k}"),
            u_state=states.get(f"u_{k}")))
    return NetworkLayout(tuple(pops), tuple(edges))


__all__ = ["NetEdge", "NetPopulation", "NetworkLayout", "network_layout"]
