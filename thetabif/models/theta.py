"""The single theta population: the family of models the package started from.

:class:`ThetaModel` is one population with one self-edge, assembled from the shared
equations (:mod:`thetabif.models.equations`), with the plain names ``eta``, ``J``,
``Delta``, ... The complex Kuramoto order parameter ``z = x + i y`` obeys
(design.md, section 1)::

    tau dz/dt = [ (z+1)^2 (i (eta + I_ext + S) - Delta) - i (z-1)^2 - C s (z^2-1) ] / 2

with ``S = s`` for current coupling and ``S = s v_s``, ``C = 1`` for conductance
coupling (``C = 0`` otherwise). The synaptic drive ``s`` is either instantaneous,
``s = J p(z)``, or a state with ``tau_s ds/dt = -s + J p(z)``. The presynaptic
activity ``p(z)`` is the firing rate ``r`` for delta pulses, or
``H_n(z) / (pi tau)`` for pulses of sharpness ``n`` (Luke, Barreto & So 2013).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from thetabif.errors import InputError
from thetabif.models.equations import (
    COUPLINGS,
    EdgeSymbols,
    PopulationSymbols,
    Reduction,
    SymbolicForm,
    assemble,
)
from thetabif.models.parameters import Parameter, complete

#: The synapses of the single population (a circuit's edges also take "second-order").
SYNAPSES = ("instant", "first-order")

Synapse = Literal["instant", "first-order"]
Coupling = Literal["current", "conductance"]

_BASE_PARAMETERS = (
    Parameter("eta", -5.0, False, "centre of the Lorentzian excitability distribution"),
    Parameter("J", 15.0, False, "coupling strength (negative: inhibitory)"),
    Parameter("Delta", 1.0, True, "half width of the Lorentzian excitability distribution"),
    Parameter("tau", 1.0, True, "membrane time constant"),
    Parameter("I_ext", 0.0, False, "external input current"),
)
_TAU_S = Parameter("tau_s", 1.0, True, "synaptic time constant (first-order synapse)")
_V_S = Parameter("v_s", -10.0, False, "synaptic reversal potential (conductance coupling)")


@dataclass(frozen=True)
class ThetaModel:
    """A member of the theta mean-field model family.

    Parameters
    ----------
    n : int or None
        Pulse sharpness (integer >= 1); ``None`` means delta pulses (firing-rate
        coupling, PyRates' ``kmo_theta``).
    synapse : {"instant", "first-order"}
        Instantaneous synaptic drive ``s = J p(z)``, or a first-order synapse with
        time constant ``tau_s`` (adds the state ``s``).
    coupling : {"current", "conductance"}
        Current-based coupling, or conductance-based with reversal potential ``v_s``.

    Examples
    --------
    >>> from thetabif import ThetaModel
    >>> m = ThetaModel(n=2, synapse="first-order")
    >>> m.name, m.state_names
    ('theta_n2_syn', ('x', 'y', 's'))
    """

    n: int | None = None
    synapse: Synapse = "instant"
    coupling: Coupling = "current"

    def __post_init__(self) -> None:
        if self.n is not None:
            try:  # int or a numpy integer, stored as int
                n = None if isinstance(self.n, bool) else operator.index(self.n)
            except TypeError:
                n = None
            if n is None or n < 1:
                raise InputError(
                    f"pulse sharpness 'n' must be a positive integer (or None for delta "
                    f"pulses), got {self.n!r}"
                )
            object.__setattr__(self, "n", n)
        if self.synapse not in SYNAPSES:
            raise InputError(
                f"'synapse' must be one of {', '.join(SYNAPSES)}, got {self.synapse!r}"
            )
        if self.coupling not in COUPLINGS:
            raise InputError(
                f"'coupling' must be one of {', '.join(COUPLINGS)}, got {self.coupling!r}"
            )

    # ------------------------------------------------------------------ names
    @property
    def name(self) -> str:
        """Short identifier, e.g. ``theta``, ``theta_n2``, ``theta_cond_syn``.

        Also a valid Fortran/AUTO file stem.
        """
        parts = ["theta"]
        if self.n is not None:
            parts.append(f"n{self.n}")
        if self.coupling == "conductance":
            parts.append("cond")
        if self.synapse == "first-order":
            parts.append("syn")
        return "_".join(parts)

    @property
    def description(self) -> str:
        """One-line human description of the variant."""
        pulse = "delta pulses" if self.n is None else f"pulses of sharpness n={self.n}"
        return f"theta mean field, {pulse}, {self.synapse} synapse, {self.coupling} coupling"

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the real state variables."""
        return ("x", "y", "s") if self.synapse == "first-order" else ("x", "y")

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Parameter specifications, in a fixed order (also AUTO's PAR order)."""
        extra: tuple[Parameter, ...] = ()
        if self.synapse == "first-order":
            extra += (_TAU_S,)
        if self.coupling == "conductance":
            extra += (_V_S,)
        return _BASE_PARAMETERS + extra

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        return tuple(p.name for p in self.parameters)

    @property
    def defaults(self) -> dict[str, float]:
        """Default parameter values."""
        return {p.name: p.default for p in self.parameters}

    # ------------------------------------------------ what every model says of itself
    @property
    def population_names(self) -> tuple[str, ...]:
        """Names of the populations: one, unnamed (its outputs are plain ``r``, ``v``)."""
        return ("",)

    @property
    def population_states(self) -> tuple[tuple[int, int], ...]:
        """Indices of each population's ``(x, y)`` in the state vector."""
        return ((0, 1),)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The parameters an input protocol drives: ``I_ext``."""
        return ("I_ext",)

    @property
    def output_names(self) -> tuple[str, ...]:
        """The solution measures AUTO's ``PVLS`` stores (``r``, ``v``, ``abs_z`` and, for
        an instantaneous synapse, ``s``); known without sympy."""
        return ("r", "v", "abs_z") + (("s",) if self.synapse == "instant" else ())

    def record_options(self) -> dict[str, Any]:
        """What records keep to rebuild the model (:func:`thetabif.models.model_from_record`)."""
        return {"n": self.n, "synapse": self.synapse, "coupling": self.coupling}

    @property
    def equilibrium_reduction(self) -> Reduction:
        """The model whose equilibria are this one's in ``(x, y)`` (instant synapse), and
        how the other states follow from them (``s = J p(z)``)."""
        if self.synapse == "instant":
            return Reduction(self, (("state", 0), ("state", 1)))
        reduced = ThetaModel(n=self.n, synapse="instant", coupling=self.coupling)
        return Reduction(reduced, (("state", 0), ("state", 1), ("output", "s")))

    def validate_params(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict:
        """Complete and check a parameter set.

        Parameters
        ----------
        params, **kwargs
            Parameter values by name; missing ones take their defaults.

        Returns
        -------
        dict
            All parameters, in :attr:`parameter_names` order, as floats.

        Raises
        ------
        ValueError
            Unknown names, non-finite values, or values outside the allowed range.
        """
        given = dict(params or {})
        given.update(kwargs)
        return complete(self.parameters, self.name, given)

    # --------------------------------------------------------------- symbols
    @cached_property
    def symbolic(self) -> SymbolicForm:
        """The model's sympy expressions (see :class:`SymbolicForm`)."""
        import sympy as sp

        x, y = sp.symbols("x y", real=True)
        pars = {p.name: sp.Symbol(p.name, real=True) for p in self.parameters}
        s = sp.Symbol("s", real=True) if self.synapse == "first-order" else None
        pop = PopulationSymbols(x, y, pars["eta"], pars["Delta"], pars["tau"], pars["I_ext"],
                                n=self.n)
        edge = EdgeSymbols(0, 0, pars["J"], self.synapse, self.coupling, s=s,
                           tau_s=pars.get("tau_s"), v_s=pars.get("v_s"))
        form = assemble([pop], [edge])
        states = (x, y) if s is None else (x, y, s)
        outputs: dict[str, sp.Expr] = {"r": form.rate[0], "v": form.voltage[0],
                                       "abs_z": form.abs_z[0]}
        if s is None:
            outputs["s"] = form.drive[0]
        return SymbolicForm(
            states=states,
            parameters=tuple(pars.values()),
            rhs=sp.Matrix([form.rhs[u] for u in states]),
            outputs=outputs,
        )

    @cached_property
    def numeric(self):  # -> NumericModel (import cycle avoided)
        """Fast numeric functions derived from :attr:`symbolic` (cached)."""
        from thetabif.codegen.numeric import NumericModel

        return NumericModel.from_model(self)

    def equations_latex(self) -> str:
        """The right-hand side as LaTeX, one line per state (for documentation)."""
        import sympy as sp

        sym = self.symbolic
        lines = [
            rf"\dot {{{sp.latex(u)}}} = {sp.latex(sp.simplify(f))}"
            for u, f in zip(sym.states, sym.rhs, strict=True)
        ]
        return r" \\ ".join(lines)


def model_from_options(
    model: str = "theta",
    n: int | None = None,
    synapse: str = "instant",
    coupling: str = "current",
) -> ThetaModel:
    """Build a model from the command-line style options (``--model``, ``--n``, ...)."""
    if model != "theta":
        raise InputError(f"unknown model family {model!r}; allowed: 'theta'")
    return ThetaModel(n=n, synapse=synapse, coupling=coupling)  # type: ignore[arg-type]
