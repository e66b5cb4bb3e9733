"""Circuits of theta populations: named populations coupled by edges.

A :class:`Circuit` is a model like :class:`thetabif.models.ThetaModel` (same
attributes, same symbolic form, so simulation, AUTO export, continuation, polishing
and verification take it unchanged), assembled from the same equations
(:mod:`thetabif.models.equations`). Its names say what they are:

* population ``P``: states ``x_P``, ``y_P`` (and ``a_P`` with adaptation);
  parameters ``eta_P``, ``Delta_P``, ``tau_P``, ``I_ext_P`` (and ``alpha_P``,
  ``tau_a_P``); outputs ``r_P``, ``v_P``, ``abs_z_P``;
* edge onto ``T`` from ``S`` (target first, as in most papers): weight ``J_TS``,
  synapse time constants ``tau_s_TS`` (first-order) or ``tau_r_TS``, ``tau_d_TS``
  (second-order), reversal potential ``v_s_TS`` (conductance coupling); states
  ``s_TS`` (and ``u_TS = ds_TS/dt`` for second-order synapses).

The outputs ``r`` and ``v`` are those of the *readout* population (default: the
first), and ``abs_z`` is the largest ``|z_P|`` (how close any population comes to
the unit circle).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any

from thetabif.errors import InputError
from thetabif.models.equations import (
    COUPLINGS,
    SYNAPSES,
    EdgeSymbols,
    PopulationSymbols,
    Reduction,
    SymbolicForm,
    assemble,
)
from thetabif.models.parameters import Parameter, complete

#: A population's name: a letter, then letters and digits (no ``_``: names are joined).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
#: A circuit's label (the first part of :attr:`Circuit.name`, a file stem for AUTO).
LABEL = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}\Z")
#: AUTO keeps at most this many populations' rates as solution measures (PAR(41..50)).
MAX_MEASURED = 7


def _positive(name: str, value: Any, what: str) -> float:
    return Parameter(name, 1.0, True, what).check(value)


def _real(name: str, value: Any, what: str) -> float:
    return Parameter(name, 0.0, False, what).check(value)


@dataclass(frozen=True)
class Population:
    """One theta population of a circuit, with its parameter values.

    Parameters
    ----------
    name : str
        A letter, then letters and digits (``E``, ``I``, ``I2``).
    n : int or None
        Pulse sharpness of its spikes as seen by its targets (None: delta pulses).
    eta, Delta, tau, I_ext : float
        Centre and half width (> 0) of the excitability distribution, membrane time
        constant (> 0), constant input.
    adaptation : bool
        Spike-frequency adaptation ``tau_a da/dt = -a + alpha r``, subtracted from the
        drive (adds the state ``a_P`` and the parameters ``alpha_P``, ``tau_a_P``).
    alpha, tau_a : float
        Adaptation strength and time constant (> 0); used with ``adaptation``.
    """

    name: str
    n: int | None = None
    eta: float = -5.0
    Delta: float = 1.0
    tau: float = 1.0
    I_ext: float = 0.0
    adaptation: bool = False
    alpha: float = 0.0
    tau_a: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise InputError(f"population name must be a letter followed by letters and "
                             f"digits (no '_'), got {self.name!r}")
        if self.n is not None:
            try:
                n = None if isinstance(self.n, bool) else operator.index(self.n)
            except TypeError:
                n = None
            if n is None or n < 1:
                raise InputError(f"population {self.name!r}: pulse sharpness 'n' must be a "
                                 f"positive integer (or None for delta pulses), got {self.n!r}")
            object.__setattr__(self, "n", n)
        if not isinstance(self.adaptation, bool):
            raise InputError(f"population {self.name!r}: 'adaptation' must be true or false, "
                             f"got {self.adaptation!r}")
        for key in ("eta", "I_ext", "alpha"):
            object.__setattr__(self, key, _real(f"{key}_{self.name}", getattr(self, key), key))
        for key in ("Delta", "tau", "tau_a"):
            object.__setattr__(self, key, _positive(f"{key}_{self.name}", getattr(self, key),
                                                    key))


@dataclass(frozen=True)
class Edge:
    """A synaptic edge onto ``target`` from ``source`` (population names).

    Parameters
    ----------
    target, source : str
        Population names (``source`` may equal ``target``: recurrent coupling).
    weight : float
        Coupling strength ``J_TS`` (negative: inhibitory for current coupling).
    synapse : {"instant", "first-order", "second-order"}
    coupling : {"current", "conductance"}
    tau_s : float
        First-order synaptic time constant (> 0).
    tau_r, tau_d : float
        Second-order rise and decay times (> 0).
    v_s : float
        Reversal potential of conductance coupling.
    """

    target: str
    source: str
    weight: float
    synapse: str = "instant"
    coupling: str = "current"
    tau_s: float = 1.0
    tau_r: float = 0.5
    tau_d: float = 2.0
    v_s: float = -10.0

    def __post_init__(self) -> None:
        tag = f"edge {self.target!s}<-{self.source!s}"
        if self.synapse not in SYNAPSES:
            raise InputError(f"{tag}: 'synapse' must be one of {', '.join(SYNAPSES)}, got "
                             f"{self.synapse!r}")
        if self.coupling not in COUPLINGS:
            raise InputError(f"{tag}: 'coupling' must be one of {', '.join(COUPLINGS)}, got "
                             f"{self.coupling!r}")
        object.__setattr__(self, "weight", _real(f"J ({tag})", self.weight, "weight"))
        object.__setattr__(self, "v_s", _real(f"v_s ({tag})", self.v_s, "reversal potential"))
        for key in ("tau_s", "tau_r", "tau_d"):
            object.__setattr__(self, key, _positive(f"{key} ({tag})", getattr(self, key),
                                                    "synaptic time"))

    @property
    def key(self) -> str:
        """``TS``: target then source, the suffix of the edge's names (``J_TS``)."""
        return f"{self.target}{self.source}"


def _population_parameters(p: Population) -> tuple[Parameter, ...]:
    s = p.name
    out = (
        Parameter(f"eta_{s}", p.eta, False, f"centre of the excitability distribution of {s}"),
        Parameter(f"Delta_{s}", p.Delta, True, f"half width of the excitability of {s}"),
        Parameter(f"tau_{s}", p.tau, True, f"membrane time constant of {s}"),
        Parameter(f"I_ext_{s}", p.I_ext, False, f"external input to {s}"),
    )
    if p.adaptation:
        out += (Parameter(f"alpha_{s}", p.alpha, False, f"adaptation strength of {s}"),
                Parameter(f"tau_a_{s}", p.tau_a, True, f"adaptation time constant of {s}"))
    return out


def _edge_parameters(e: Edge) -> tuple[Parameter, ...]:
    k, onto = e.key, f"onto {e.target} from {e.source}"
    out = (Parameter(f"J_{k}", e.weight, False, f"coupling weight {onto}"),)
    if e.synapse == "first-order":
        out += (Parameter(f"tau_s_{k}", e.tau_s, True, f"synaptic time constant {onto}"),)
    elif e.synapse == "second-order":
        out += (Parameter(f"tau_r_{k}", e.tau_r, True, f"synaptic rise time {onto}"),
                Parameter(f"tau_d_{k}", e.tau_d, True, f"synaptic decay time {onto}"))
    if e.coupling == "conductance":
        out += (Parameter(f"v_s_{k}", e.v_s, False, f"synaptic reversal potential {onto}"),)
    return out


@dataclass(frozen=True)
class Circuit:
    """Theta populations coupled by synaptic edges (see the module for the names).

    Parameters
    ----------
    populations : sequence of Population
    edges : sequence of Edge
    label : str
        Short name (a letter, then up to 15 letters and digits); :attr:`name` adds a
        digest of the structure and defaults, so two different circuits never share
        generated code.
    readout : str, optional
        The population whose ``r`` and ``v`` are the circuit's ``r`` and ``v``
        (default: the first).
    description : str
        One line on what the circuit is and where it comes from.

    Examples
    --------
    >>> from thetabif.models import Circuit, Edge, Population
    >>> c = Circuit([Population("E", eta=1.0), Population("I", eta=0.0)],
    ...             [Edge("E", "I", -10.0, "first-order"), Edge("I", "E", 10.0)],
    ...             label="ei")
    >>> c.state_names
    ('x_E', 'y_E', 'x_I', 'y_I', 's_EI')
    >>> c.parameter_names[:5]
    ('eta_E', 'Delta_E', 'tau_E', 'I_ext_E', 'eta_I')
    """

    populations: tuple[Population, ...]
    edges: tuple[Edge, ...] = ()
    label: str = "circuit"
    readout: str | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        pops = tuple(self.populations)
        edges = tuple(self.edges)
        if not pops:
            raise InputError("a circuit needs at least one population")
        for p in pops:
            if not isinstance(p, Population):
                raise InputError(f"populations must be Population objects, got {p!r}")
        for e in edges:
            if not isinstance(e, Edge):
                raise InputError(f"edges must be Edge objects, got {e!r}")
        if not isinstance(self.label, str) or not LABEL.match(self.label):
            raise InputError(f"circuit label must be a letter followed by at most 15 letters "
                             f"and digits, got {self.label!r}")
        names = [p.name for p in pops]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"duplicate population name(s): {', '.join(dup)}")
        for e in edges:
            for end, who in (("target", e.target), ("source", e.source)):
                if who not in names:
                    raise InputError(f"edge {e.target}<-{e.source}: {end} {who!r} is not a "
                                     f"population; populations: {', '.join(names)}")
        pairs = [(e.target, e.source) for e in edges]
        dup_e = sorted({f"{t}<-{s}" for t, s in pairs if pairs.count((t, s)) > 1})
        if dup_e:
            raise InputError(f"duplicate edge(s): {', '.join(dup_e)} (one edge per target "
                             "and source; add the weights)")
        readout = names[0] if self.readout is None else self.readout
        if readout not in names:
            raise InputError(f"readout {readout!r} is not a population; populations: "
                             f"{', '.join(names)}")
        object.__setattr__(self, "populations", pops)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "readout", readout)
        if not self.description:
            object.__setattr__(self, "description", (
                f"circuit {self.label} of theta populations {', '.join(names)} with "
                f"{len(edges)} edge(s)"))
        every = [*self.state_names, *self.parameter_names]
        clash = sorted({n for n in every if every.count(n) > 1})
        if clash:
            raise InputError(f"the names {', '.join(clash)} would mean two things: rename "
                             "populations so that target+source pairs are unambiguous")

    # ------------------------------------------------------------------ names
    def spec(self) -> dict[str, Any]:
        """The whole definition as plain data (:meth:`from_spec` rebuilds it)."""
        return {"label": self.label, "readout": self.readout,
                "description": self.description,
                "populations": [asdict(p) for p in self.populations],
                "edges": [asdict(e) for e in self.edges]}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Circuit:
        """The circuit of :meth:`spec` (as records and circuit files keep it)."""
        return cls(tuple(Population(**p) for p in spec["populations"]),
                   tuple(Edge(**e) for e in spec.get("edges", ())),
                   label=spec.get("label", "circuit"), readout=spec.get("readout"),
                   description=spec.get("description", ""))

    def __reduce__(self):  # pickles by definition, not by cached sympy/numeric objects
        return (Circuit.from_spec, (self.spec(),))

    @cached_property
    def name(self) -> str:
        """``label_digest``: a file stem for AUTO, unique to the structure and defaults."""
        spec = self.spec()
        spec.pop("description")
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
        return f"{self.label}_{digest}"

    def record_options(self) -> dict[str, Any]:
        """What records keep to rebuild the model (:func:`thetabif.models.model_from_record`)."""
        return {"circuit": self.spec()}

    @property
    def population_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.populations)

    @cached_property
    def state_names(self) -> tuple[str, ...]:
        """Names of the states: per population ``x_P``, ``y_P`` (``a_P``), then per edge
        ``s_TS`` (``u_TS``)."""
        out: list[str] = []
        for p in self.populations:
            out += [f"x_{p.name}", f"y_{p.name}"] + ([f"a_{p.name}"] if p.adaptation else [])
        for e in self.edges:
            out += {"instant": [], "first-order": [f"s_{e.key}"],
                    "second-order": [f"s_{e.key}", f"u_{e.key}"]}[e.synapse]
        return tuple(out)

    @cached_property
    def population_states(self) -> tuple[tuple[int, int], ...]:
        """Indices of each population's ``(x, y)`` in the state vector."""
        idx = {n: i for i, n in enumerate(self.state_names)}
        return tuple((idx[f"x_{p}"], idx[f"y_{p}"]) for p in self.population_names)

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """Per population, then per edge (see the module)."""
        out: tuple[Parameter, ...] = ()
        for p in self.populations:
            out += _population_parameters(p)
        for e in self.edges:
            out += _edge_parameters(e)
        return out

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.parameters}

    @property
    def input_names(self) -> tuple[str, ...]:
        """The parameters input protocols drive: ``I_ext_P`` of each population."""
        return tuple(f"I_ext_{p}" for p in self.population_names)

    @property
    def output_names(self) -> tuple[str, ...]:
        """AUTO's solution measures: ``r``, ``v``, ``abs_z`` and ``r_P`` of the first
        :data:`MAX_MEASURED` populations."""
        return ("r", "v", "abs_z") + tuple(f"r_{p}" for p in
                                           self.population_names[:MAX_MEASURED])

    def validate_params(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict:
        """Complete and check a parameter set (see :meth:`ThetaModel.validate_params`)."""
        given = dict(params or {})
        given.update(kwargs)
        return complete(self.parameters, self.name, given)

    def with_defaults(self, values: Mapping[str, Any]) -> Circuit:
        """The same circuit with other parameter values as its defaults (``--set``)."""
        full = self.validate_params(values)
        pops = [Population(**{**asdict(p), **{
            f.name: full[f"{f.name}_{p.name}"] for f in fields(Population)
            if f"{f.name}_{p.name}" in full}}) for p in self.populations]
        edge_keys = {"weight": "J", "tau_s": "tau_s", "tau_r": "tau_r", "tau_d": "tau_d",
                     "v_s": "v_s"}
        edges = [Edge(**{**asdict(e), **{
            attr: full[f"{pre}_{e.key}"] for attr, pre in edge_keys.items()
            if f"{pre}_{e.key}" in full}}) for e in self.edges]
        return Circuit(tuple(pops), tuple(edges), self.label, self.readout, self.description)

    # --------------------------------------------------------------- symbols
    @cached_property
    def symbolic(self) -> SymbolicForm:
        """The circuit's sympy expressions (see :class:`SymbolicForm`)."""
        return self._assemble(reduced=False)[0]

    def _assemble(self, reduced: bool) -> tuple[SymbolicForm, Any]:
        import sympy as sp

        par = {p.name: sp.Symbol(p.name, real=True) for p in self.parameters}
        st = {n: sp.Symbol(n, real=True) for n in self.state_names}
        index = {n: i for i, n in enumerate(self.population_names)}
        pops = []
        for p in self.populations:
            s = p.name
            kind = None if not p.adaptation else ("instant" if reduced else "first-order")
            pops.append(PopulationSymbols(
                st[f"x_{s}"], st[f"y_{s}"], par[f"eta_{s}"], par[f"Delta_{s}"],
                par[f"tau_{s}"], par[f"I_ext_{s}"], n=p.n, adaptation=kind,
                alpha=par.get(f"alpha_{s}"), tau_a=par.get(f"tau_a_{s}"), a=st.get(f"a_{s}")))
        edges = []
        for e in self.edges:
            k = e.key
            edges.append(EdgeSymbols(
                index[e.target], index[e.source], par[f"J_{k}"],
                "instant" if reduced else e.synapse, e.coupling,
                s=st.get(f"s_{k}"), u=st.get(f"u_{k}"), tau_s=par.get(f"tau_s_{k}"),
                tau_r=par.get(f"tau_r_{k}"), tau_d=par.get(f"tau_d_{k}"),
                v_s=par.get(f"v_s_{k}")))
        form = assemble(pops, edges)
        names = self.population_names
        if reduced:
            states = tuple(sym for p in pops for sym in (p.x, p.y))
        else:
            states = tuple(st[n] for n in self.state_names)
        r0 = index[self.readout]
        outputs: dict[str, sp.Expr] = {
            "r": form.rate[r0], "v": form.voltage[r0],
            "abs_z": form.abs_z[0] if len(pops) == 1 else sp.Max(*form.abs_z)}
        for i, s in enumerate(names):
            outputs[f"r_{s}"] = form.rate[i]
            outputs[f"v_{s}"] = form.voltage[i]
            outputs[f"abs_z_{s}"] = form.abs_z[i]
        for e, drive in zip(self.edges, form.drive, strict=True):
            outputs[f"s_{e.key}"] = drive
        for p, a in zip(self.populations, form.adaptation, strict=True):
            if a is not None:
                outputs[f"a_{p.name}"] = a
        sym = SymbolicForm(states=states, parameters=tuple(par.values()),
                           rhs=sp.Matrix([form.rhs[u] for u in states]), outputs=outputs)
        return sym, form

    @cached_property
    def equilibrium_reduction(self) -> Reduction:
        """The circuit with instantaneous synapses and adaptation (states: the
        populations' ``(x, y)``), whose equilibria are this one's; the other states
        follow: ``s_TS`` and ``a_P`` are outputs of it, ``u_TS = 0``."""
        reduced = _ReducedCircuit(self)
        fill = []
        for n in self.state_names:
            kind, _, rest = n.partition("_")
            if kind in ("x", "y"):
                pos = reduced.state_names.index(n)
                fill.append(("state", pos))
            elif kind == "u":
                fill.append(("zero",))
            else:
                fill.append(("output", n))
        return Reduction(reduced, tuple(fill))

    @cached_property
    def numeric(self):  # -> NumericModel (codegen is a lower layer)
        """Fast numeric functions derived from :attr:`symbolic` (cached)."""
        from thetabif.codegen.numeric import NumericModel

        return NumericModel.from_model(self)

    def equations_latex(self) -> str:
        """The right-hand side as LaTeX, one line per state (for documentation)."""
        import sympy as sp

        sym = self.symbolic
        return r" \\ ".join(rf"\dot {{{sp.latex(u)}}} = {sp.latex(f)}"
                            for u, f in zip(sym.states, sym.rhs, strict=True))


@dataclass(frozen=True, eq=False)
class _ReducedCircuit:
    """The equilibrium reduction of a circuit (:attr:`Circuit.equilibrium_reduction`):
    the same parameters, the populations' ``(x, y)`` as states."""

    full: Circuit

    @property
    def name(self) -> str:
        return f"{self.full.name}_eq"

    @property
    def description(self) -> str:
        return f"equilibrium reduction of {self.full.name}"

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(n for p in self.full.population_names for n in (f"x_{p}", f"y_{p}"))

    @property
    def population_states(self) -> tuple[tuple[int, int], ...]:
        return tuple((2 * i, 2 * i + 1) for i in range(len(self.full.populations)))

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return self.full.parameters

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return self.full.parameter_names

    def validate_params(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict:
        return self.full.validate_params(params, **kwargs)

    @cached_property
    def symbolic(self) -> SymbolicForm:
        return self.full._assemble(reduced=True)[0]

    @cached_property
    def numeric(self):
        from thetabif.codegen.numeric import NumericModel

        return NumericModel.from_model(self)

    @property
    def equilibrium_reduction(self) -> Reduction:
        return Reduction(self, tuple(("state", i) for i in range(len(self.state_names))))
