"""The theta-neuron mean-field model family, defined once, symbolically.

This module owns the *definition* of every model variant: its state and parameter
names, parameter defaults and allowed ranges, and the right-hand side in real
coordinates as sympy expressions. Everything else (Jacobians, fast numeric
functions, generated Fortran, equilibria) is derived from :attr:`ThetaModel.symbolic`.

The complex Kuramoto order parameter ``z = x + i y`` obeys (design.md, section 1)::

    tau dz/dt = [ (z+1)^2 (i (eta + I_ext + S) - Delta) - i (z-1)^2 - C s (z^2-1) ] / 2

with ``S = s`` for current coupling and ``S = s v_s``, ``C = 1`` for conductance
coupling (``C = 0`` otherwise). The synaptic drive ``s`` is either instantaneous,
``s = J p(z)``, or a state with ``tau_s ds/dt = -s + J p(z)``. The presynaptic
activity ``p(z)`` is the firing rate ``r`` for delta pulses, or
``H_n(z) / (pi tau)`` for pulses of sharpness ``n`` (Luke, Barreto & So 2013).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from thetabif.errors import InputError

if TYPE_CHECKING:
    import sympy as sp

SYNAPSES = ("instant", "first-order")
COUPLINGS = ("current", "conductance")

Synapse = Literal["instant", "first-order"]
Coupling = Literal["current", "conductance"]


@dataclass(frozen=True)
class Parameter:
    """One model parameter: name, default value, allowed range and meaning.

    Attributes
    ----------
    name : str
        Name used everywhere (Python, AUTO's ``parnames``, netCDF attrs, CLI).
    default : float
        Default value (the PyRates tutorial's values where they exist).
    positive : bool
        If True, only finite values > 0 are allowed; otherwise any finite value.
    description : str
        One-line meaning, used in docs and the CLI help.
    """

    name: str
    default: float
    positive: bool
    description: str

    def check(self, value: Any) -> float:
        """Return ``value`` as float, or raise ``ValueError`` naming what is allowed."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"parameter {self.name!r} must be a real number, got {value!r}"
            ) from None
        if isinstance(value, complex):
            raise InputError(f"parameter {self.name!r} must be real, got {value!r}")
        if not math.isfinite(number):
            raise InputError(f"parameter {self.name!r} must be finite, got {value!r}")
        if self.positive and number <= 0.0:
            raise InputError(
                f"parameter {self.name!r} must be > 0 ({self.description}), got {value!r}"
            )
        return number

    @property
    def allowed(self) -> str:
        """Human-readable allowed range."""
        return "finite, > 0" if self.positive else "finite real"


_BASE_PARAMETERS = (
    Parameter("eta", -5.0, False, "centre of the Lorentzian excitability distribution"),
    Parameter("J", 15.0, False, "coupling strength (negative: inhibitory)"),
    Parameter("Delta", 1.0, True, "half width of the Lorentzian excitability distribution"),
    Parameter("tau", 1.0, True, "membrane time constant"),
    Parameter("I_ext", 0.0, False, "external input current"),
)
_TAU_S = Parameter("tau_s", 1.0, True, "synaptic time constant (first-order synapse)")
_V_S = Parameter("v_s", -10.0, False, "synaptic reversal potential (conductance coupling)")


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
        State symbols, in order (``x``, ``y`` and, for first-order synapses, ``s``).
    parameters : tuple of sympy.Symbol
        Parameter symbols, in :attr:`ThetaModel.parameter_names` order.
    rhs : sympy.Matrix
        Time derivatives of the states (column vector).
    outputs : dict of str to sympy.Expr
        Derived quantities ``r``, ``v``, ``abs_z`` (and ``s`` for instant synapses).
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
        specs = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(specs))
        if unknown:
            raise InputError(
                f"unknown parameter(s) {', '.join(map(repr, unknown))} for model "
                f"{self.name!r}; allowed: {', '.join(specs)}"
            )
        return {name: spec.check(given.get(name, spec.default)) for name, spec in specs.items()}

    # --------------------------------------------------------------- symbols
    @cached_property
    def symbolic(self) -> SymbolicForm:
        """The model's sympy expressions (see :class:`SymbolicForm`)."""
        import sympy as sp

        x, y = sp.symbols("x y", real=True)
        pars = {p.name: sp.Symbol(p.name, real=True) for p in self.parameters}
        eta, J, Delta, tau, I_ext = (pars[k] for k in ("eta", "J", "Delta", "tau", "I_ext"))
        pi = sp.pi

        denom = (1 + x) ** 2 + y**2  # |1 + z|^2
        r = (1 - x**2 - y**2) / (pi * tau * denom)
        v = 2 * y / denom  # Im W, W = (1 - conj z)/(1 + conj z) = pi tau r + i v
        if self.n is None:
            presyn = r
        else:
            a_n, A = pulse_coefficients(self.n)
            h = A[0]
            for q in range(1, self.n + 1):
                zq = sp.expand((x + sp.I * y) ** q)
                h += A[q] * 2 * sp.re(zq)
            presyn = a_n * sp.expand(h) / (pi * tau)

        states = [x, y]
        if self.synapse == "first-order":
            s = sp.Symbol("s", real=True)
            states.append(s)
            s_expr: sp.Expr = s
        else:
            s_expr = J * presyn

        if self.coupling == "conductance":
            drive = eta + I_ext + s_expr * pars["v_s"]
            leak = s_expr
        else:
            drive = eta + I_ext + s_expr
            leak = sp.Integer(0)

        # Complex arithmetic done by hand on (re, im) pairs keeps the expressions compact.
        pr, pim = (1 + x) ** 2 - y**2, 2 * (1 + x) * y  # (z + 1)^2
        qr, qim = (x - 1) ** 2 - y**2, 2 * (x - 1) * y  # (z - 1)^2
        wr, wim = x**2 - y**2 - 1, 2 * x * y  # z^2 - 1
        # (z+1)^2 (i drive - Delta) - i (z-1)^2 - leak (z^2 - 1)
        fr = -Delta * pr - pim * drive + qim - leak * wr
        fi = pr * drive - Delta * pim - qr - leak * wim
        rhs = [fr / (2 * tau), fi / (2 * tau)]
        if self.synapse == "first-order":
            rhs.append((-s_expr + J * presyn) / pars["tau_s"])

        outputs: dict[str, sp.Expr] = {"r": r, "v": v, "abs_z": sp.sqrt(x**2 + y**2)}
        if self.synapse == "instant":
            outputs["s"] = s_expr
        return SymbolicForm(
            states=tuple(states),
            parameters=tuple(pars.values()),
            rhs=sp.Matrix(rhs),
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
