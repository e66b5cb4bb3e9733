"""The equations of theta populations and their synapses, written once.

This module owns the sympy expressions every model of the package is assembled from
(design.md, section 1): the Ott-Antonsen equation of one theta population in real
coordinates ``z = x + i y``,

    tau dz/dt = [ (z+1)^2 (i D - Delta) - i (z-1)^2 - G (z^2 - 1) ] / 2,

with drive ``D = eta + I_ext + sum(current s) + sum(conductance s v_s) - a`` and
conductance ``G = sum(conductance s)``; its firing rate ``r``, mean voltage ``v`` and
presynaptic activity ``p`` (``r`` for delta pulses, ``H_n(z) / (pi tau)`` for pulses
of sharpness ``n``, Luke, Barreto & So 2013); and the synapses of an edge, whose
drive ``s`` is

* ``instant``: ``s = J p``,
* ``first-order``: ``tau_s ds/dt = -s + J p``,
* ``second-order``: ``tau_r tau_d s'' + (tau_r + tau_d) s' + s = J p`` (states ``s``
  and ``u = ds/dt``; the kernel of unit area with rise and decay times),

and spike-frequency adaptation ``tau_a da/dt = -a + alpha r`` of a population.
:class:`thetabif.models.ThetaModel` (one population, one self-edge) and
:class:`thetabif.models.Circuit` (named populations and edges) only choose names and
orders; both call :func:`assemble`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import sympy as sp

SYNAPSES = ("instant", "first-order", "second-order")
COUPLINGS = ("current", "conductance")
ADAPTATIONS = ("instant", "first-order")

Synapse = Literal["instant", "first-order", "second-order"]
Coupling = Literal["current", "conductance"]


def pulse_coefficients(n: int) -> tuple[sp.Rational, list[sp.Rational]]:
    """Exact Fourier coefficients of the pulse ``P_n(theta) = a_n (1 - cos theta)^n``.

    Returns ``(a_n, [A_0, ..., A_n])`` such that the Ott-Antonsen average is
    ``H_n(z) = a_n [A_0 + sum_q A_q (z^q + conj(z)^q)]``.
    """
    import sympy as sp

    a_n = sp.Rational(2**n * math.factorial(n) ** 2, math.factorial(2 * n))
    coeffs = []
    for q in range(n + 1):
        total = sp.Integer(0)
        for j in range(n + 1):
            for m in range(j + 1):
                if j - 2 * m == q:
                    total += sp.Rational(
                        math.factorial(n) * (-1) ** j,
                        2**j * math.factorial(n - j) * math.factorial(m) * math.factorial(j - m),
                    )
        coeffs.append(total)
    return a_n, coeffs


@dataclass(frozen=True)
class SymbolicForm:
    """The sympy expressions of one model (real coordinates).

    Attributes
    ----------
    states : tuple of sympy.Symbol
        State symbols, in the model's order.
    parameters : tuple of sympy.Symbol
        Parameter symbols, in the model's ``parameter_names`` order.
    rhs : sympy.Matrix
        Time derivatives of the states (column vector).
    outputs : dict of str to sympy.Expr
        Derived quantities: at least ``r``, ``v`` and ``abs_z`` (see the models).
    """

    states: tuple[sp.Symbol, ...]
    parameters: tuple[sp.Symbol, ...]
    rhs: sp.Matrix
    outputs: dict[str, sp.Expr] = field(hash=False)

    @cached_property
    def jacobian(self) -> sp.Matrix:
        """Analytic Jacobian of :attr:`rhs` with respect to the states."""
        return self.rhs.jacobian(self.states)

    @cached_property
    def parameter_jacobian(self) -> sp.Matrix:
        """Analytic derivatives of :attr:`rhs` with respect to the parameters."""
        return self.rhs.jacobian(self.parameters)


@dataclass(frozen=True)
class PopulationSymbols:
    """The symbols of one population, as :func:`assemble` takes them.

    ``adaptation`` is None, ``"instant"`` (``a = alpha r``, no state) or
    ``"first-order"`` (state ``a``); ``alpha``, ``tau_a`` and ``a`` are None when
    unused.
    """

    x: sp.Symbol
    y: sp.Symbol
    eta: sp.Symbol
    Delta: sp.Symbol
    tau: sp.Symbol
    I_ext: sp.Symbol
    n: int | None = None
    adaptation: str | None = None
    alpha: sp.Symbol | None = None
    tau_a: sp.Symbol | None = None
    a: sp.Symbol | None = None


@dataclass(frozen=True)
class EdgeSymbols:
    """The symbols of one edge (``source`` drives ``target``; indices of populations).

    ``s`` (and ``u`` for second-order synapses) are states; None for ``instant``.
    ``tau_s`` is the first-order time constant, ``tau_r``/``tau_d`` the second-order
    rise and decay times, ``v_s`` the reversal potential of conductance coupling.
    """

    target: int
    source: int
    J: sp.Symbol
    synapse: str = "instant"
    coupling: str = "current"
    s: sp.Symbol | None = None
    u: sp.Symbol | None = None
    tau_s: sp.Symbol | None = None
    tau_r: sp.Symbol | None = None
    tau_d: sp.Symbol | None = None
    v_s: sp.Symbol | None = None


@dataclass(frozen=True)
class Assembled:
    """What :func:`assemble` returns.

    Attributes
    ----------
    rhs : dict
        Time derivative of each state symbol.
    rate, voltage, abs_z : list of sympy.Expr
        Per population.
    drive : list of sympy.Expr
        Per edge: its synaptic drive ``s`` (the state, or ``J p`` for instant ones).
    adaptation : list of sympy.Expr or None
        Per population: ``a`` (the state, ``alpha r``, or None).
    """

    rhs: dict
    rate: list
    voltage: list
    abs_z: list
    drive: list
    adaptation: list


def firing_rate(x: sp.Expr, y: sp.Expr, tau: sp.Expr) -> sp.Expr:
    """``r = (1 - |z|^2) / (pi tau |1 + z|^2)``."""
    import sympy as sp

    return (1 - x**2 - y**2) / (sp.pi * tau * ((1 + x) ** 2 + y**2))


def mean_voltage(x: sp.Expr, y: sp.Expr) -> sp.Expr:
    """``v = 2 y / |1 + z|^2`` (``W = (1 - conj z)/(1 + conj z) = pi tau r + i v``)."""
    return 2 * y / ((1 + x) ** 2 + y**2)


def presynaptic_activity(x: sp.Expr, y: sp.Expr, tau: sp.Expr, n: int | None) -> sp.Expr:
    """``r`` for delta pulses (``n`` None), ``H_n(z) / (pi tau)`` otherwise."""
    import sympy as sp

    if n is None:
        return firing_rate(x, y, tau)
    a_n, A = pulse_coefficients(n)
    h = A[0]
    for q in range(1, n + 1):
        h += A[q] * 2 * sp.re(sp.expand((x + sp.I * y) ** q))
    return a_n * sp.expand(h) / (sp.pi * tau)


def population_rhs(x: sp.Expr, y: sp.Expr, drive: sp.Expr, leak: sp.Expr,
                   Delta: sp.Expr, tau: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``(dx/dt, dy/dt)`` of one population with the given drive and conductance."""
    # Complex arithmetic done by hand on (re, im) pairs keeps the expressions compact.
    pr, pim = (1 + x) ** 2 - y**2, 2 * (1 + x) * y  # (z + 1)^2
    qr, qim = (x - 1) ** 2 - y**2, 2 * (x - 1) * y  # (z - 1)^2
    wr, wim = x**2 - y**2 - 1, 2 * x * y  # z^2 - 1
    # (z+1)^2 (i drive - Delta) - i (z-1)^2 - leak (z^2 - 1)
    fr = -Delta * pr - pim * drive + qim - leak * wr
    fi = pr * drive - Delta * pim - qr - leak * wim
    return fr / (2 * tau), fi / (2 * tau)


def assemble(populations: list[PopulationSymbols], edges: list[EdgeSymbols]) -> Assembled:
    """The right-hand side of populations coupled by edges (see the module)."""
    import sympy as sp

    rate = [firing_rate(p.x, p.y, p.tau) for p in populations]
    voltage = [mean_voltage(p.x, p.y) for p in populations]
    abs_z = [sp.sqrt(p.x**2 + p.y**2) for p in populations]
    presyn = [presynaptic_activity(p.x, p.y, p.tau, p.n) for p in populations]
    rhs: dict = {}

    drive: list = []
    for e in edges:
        target = e.J * presyn[e.source]
        if e.synapse == "instant":
            drive.append(target)
        elif e.synapse == "first-order":
            drive.append(e.s)
            rhs[e.s] = (-e.s + target) / e.tau_s
        else:
            drive.append(e.s)
            rhs[e.s] = e.u
            rhs[e.u] = (target - e.s - (e.tau_r + e.tau_d) * e.u) / (e.tau_r * e.tau_d)

    adaptation: list = []
    for i, p in enumerate(populations):
        if p.adaptation == "instant":
            adaptation.append(p.alpha * rate[i])
        elif p.adaptation == "first-order":
            adaptation.append(p.a)
            rhs[p.a] = (-p.a + p.alpha * rate[i]) / p.tau_a
        else:
            adaptation.append(None)

    for i, p in enumerate(populations):
        total = p.eta + p.I_ext
        leak = sp.Integer(0)
        for e, s in zip(edges, drive, strict=True):
            if e.target != i:
                continue
            if e.coupling == "conductance":
                total += s * e.v_s
                leak += s
            else:
                total += s
        if adaptation[i] is not None:
            total -= adaptation[i]
        rhs[p.x], rhs[p.y] = population_rhs(p.x, p.y, total, leak, p.Delta, p.tau)
    return Assembled(rhs, rate, voltage, abs_z, drive, adaptation)


@dataclass(frozen=True)
class Reduction:
    """A model with the same equilibria in fewer states, and how to fill in the rest.

    At an equilibrium every synaptic and adaptation state equals its target (``s = J
    p``, ``u = 0``, ``a = alpha r``), so the equilibria of a model are those of the
    model with instantaneous synapses and adaptation, in the populations' ``(x, y)``.

    Attributes
    ----------
    model : ThetaModel or Circuit
        The reduced model (states: the populations' ``x``, ``y``).
    fill : tuple
        One entry per state of the full model: ``("state", i)`` (state ``i`` of the
        reduced model), ``("output", name)`` (an output of the reduced model) or
        ``("zero",)``.
    """

    model: object
    fill: tuple
