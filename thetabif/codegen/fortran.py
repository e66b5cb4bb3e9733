"""sympy -> AUTO-07p equation file (free-form Fortran 90, double precision throughout).

The file holds the six routines AUTO links against: ``FUNC`` (right-hand side with the
analytic state Jacobian ``DFDU`` and parameter Jacobian ``DFDP``, for ``JAC=1``),
``STPNT`` (a starting equilibrium found by Newton's method), ``PVLS`` (solution
measures: firing rate ``r`` and friends stored in otherwise unused parameters) and
stubs of ``BCND``, ``ICND`` and ``FOPT``.

Conventions of the generated code
---------------------------------
* ``IMPLICIT NONE`` in every routine; every variable ``DOUBLE PRECISION``.
* Every real literal has a ``d`` exponent (``0.5d0``, ``3.1415926535897931d0``); integer
  powers stay integer (``x**2``). No single precision anywhere.
* Model parameters occupy ``PAR(1..npar)`` in :attr:`ThetaModel.parameter_names` order;
  ``PAR(10)``-``PAR(14)`` are never touched (``PAR(11)`` is AUTO's period).
* The solution measures of :func:`output_indices` are written by ``PVLS`` into
  ``PAR(41)`` and following (clear of HomCont's PAR(12..) and PAR(21..36)); each
  state's maximum and minimum over the solution (AUTO's ``GETP``; an equilibrium's
  state itself) after the last parameter
  (:func:`thetabif.auto.constants.state_indices`), so that listing them in ``ICP``
  prints every state in ``fort.7`` (AUTO itself prints ``7 - len(ICP)`` of them).
* No line longer than :data:`MAX_LINE` characters (free-form limit is 132), so the
  file compiles with AUTO's own ``make`` rules and no special flags.
* Output is a pure function of the model and the parameter values (deterministic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from sympy.printing.fortran import FCodePrinter

from thetabif.auto.constants import FIRST_OUTPUT_PAR, parameter_indices, state_indices
from thetabif.auto.constants import output_indices as measure_indices

if TYPE_CHECKING:
    from thetabif.models import ThetaModel

#: Longest line written (free-form Fortran allows 132).
MAX_LINE = 100

#: PAR indices reserved by AUTO (PAR(11) is the period of periodic orbits).
RESERVED_PARS = range(10, 15)


def output_indices(model: ThetaModel) -> dict[str, int]:
    """PAR index of each solution measure that ``PVLS`` stores.

    ``r`` -> 41, ``v`` -> 42, ``abs_z`` -> 43 and, for instantaneous synapses, the
    synaptic drive ``s`` -> 44 (:func:`thetabif.auto.constants.output_indices`).
    """
    return measure_indices(model.output_names)


def fortran_double(value: float) -> str:
    """A Python float as a Fortran double precision literal with 17 significant digits.

    Examples
    --------
    >>> fortran_double(-5.0)
    '-5.0000000000000000d0'
    >>> fortran_double(0.1)
    '1.0000000000000001d-1'
    """
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"cannot write the non-finite value {value!r} as a Fortran literal")
    mantissa, _, exponent = f"{value:.16e}".partition("e")
    return f"{mantissa}d{int(exponent)}"


class AutoFortranPrinter(FCodePrinter):
    """Fortran 95 printer whose every real literal is double precision.

    Floats, rationals, integers (outside integer exponents) and ``pi`` are printed as
    ``d``-exponent literals with 17 significant digits.
    """

    def __init__(self, settings: dict | None = None) -> None:
        base = {"standard": 95, "source_format": "free", "precision": 17}
        base.update(settings or {})
        super().__init__(base)

    def _print_Float(self, expr: sp.Float) -> str:
        return fortran_double(float(expr))

    def _print_Integer(self, expr: sp.Integer) -> str:
        return f"{int(expr)}.0d0"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({int(expr.p)}.0d0/{int(expr.q)}.0d0)"

    def _print_Half(self, expr: sp.Rational) -> str:
        return self._print_Rational(expr)

    def _print_One(self, expr: sp.Integer) -> str:
        return "1.0d0"

    def _print_Zero(self, expr: sp.Integer) -> str:
        return "0.0d0"

    def _print_Pi(self, expr: sp.Expr) -> str:
        return fortran_double(float(sp.pi.evalf(20)))

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return fortran_double(float(sp.E.evalf(20)))

    def _print_Pow(self, expr: sp.Pow) -> str:
        base, exp = expr.base, expr.exp
        if exp.is_Integer:
            k = int(exp)
            b = self.parenthesize(base, sp.printing.precedence.PRECEDENCE["Pow"])
            if k == 1:
                return self._print(base)
            if k > 0:
                return f"{b}**{k}"
            if k == -1:
                return f"1.0d0/{b}"
            return f"1.0d0/{b}**{-k}"
        if exp == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exp == sp.Rational(-1, 2):
            return f"1.0d0/sqrt({self._print(base)})"
        return super()._print_Pow(expr)


_PRINTER = AutoFortranPrinter()


def print_expression(expr: sp.Expr) -> str:
    """One sympy expression as Fortran (no assignment, no wrapping)."""
    # ``_print`` rather than ``doprint``: the latter wraps lines at 72 columns itself.
    return _PRINTER._print(sp.sympify(expr))


def wrap_line(line: str, width: int = MAX_LINE) -> list[str]:
    """Split a free-form statement into continuation lines of at most ``width`` chars.

    Breaks fall on blanks (the printer puts them around binary ``+``/``-`` and never
    inside a literal) or, failing that, after ``*``, ``/`` or ``,``.
    """
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip())
    cont = " " * (indent + 4) + "& "
    out: list[str] = []
    rest = line
    first = True
    while True:
        prefix = "" if first else cont
        room = width - 2  # keep space for " &"
        if len(prefix) + len(rest) <= width:
            out.append(prefix + rest)
            return out
        limit = room - len(prefix)
        cut = rest.rfind(" ", indent + 1 if first else 1, limit)
        if cut <= 0:
            cut = max(rest.rfind(c, 1, limit) for c in "*/,")
            if cut <= 0:
                raise ValueError(f"cannot wrap Fortran line: {line[:60]}...")
            cut += 1
        out.append(prefix + rest[:cut].rstrip() + " &")
        rest = rest[cut:].lstrip()
        first = False


def _assignments(
    targets: Sequence[str], exprs: Sequence[sp.Expr], tmp_prefix: str, indent: str
) -> tuple[list[str], list[str]]:
    """Statements assigning ``exprs`` to ``targets`` after common subexpression elimination.

    Returns ``(statements, temporaries)``; temporaries need declarations.
    """
    exprs = [sp.sympify(e) for e in exprs]
    symbols = sp.numbered_symbols(tmp_prefix)
    replacements, reduced = sp.cse(exprs, symbols=symbols, optimizations="basic", order="canonical")
    lines: list[str] = []
    temps: list[str] = []
    for sym, sub in replacements:
        temps.append(str(sym))
        lines.extend(wrap_line(f"{indent}{sym} = {print_expression(sub)}"))
    for target, e in zip(targets, reduced, strict=True):
        lines.extend(wrap_line(f"{indent}{target} = {print_expression(e)}"))
    return lines, temps


def _declare(names: Sequence[str], indent: str) -> list[str]:
    """``DOUBLE PRECISION`` declarations, at most 8 names and :data:`MAX_LINE` characters
    per line (a circuit's names are long)."""
    lines: list[str] = []
    head = f"{indent}DOUBLE PRECISION :: "
    row: list[str] = []
    for name in names:
        if row and (len(row) == 8 or len(head) + len(", ".join([*row, name])) > MAX_LINE):
            lines.append(head + ", ".join(row))
            row = []
        row.append(name)
    if row:
        lines.append(head + ", ".join(row))
    return lines


def _unpack(model: ThetaModel, indent: str, with_params: bool = True) -> list[str]:
    sym = model.symbolic
    lines = [f"{indent}{u} = U({i})" for i, u in enumerate(sym.states, start=1)]
    if with_params:
        index = parameter_indices(model.parameter_names)
        lines += [f"{indent}{p} = PAR({index[str(p)]})" for p in sym.parameters]
    return lines


def _header(model: ThetaModel, params: Mapping[str, float], start_note: str) -> list[str]:
    sym = model.symbolic
    outs = output_indices(model)
    lines = [
        f"! {model.name}.f90 -- AUTO-07p equation file generated by thetabif (do not edit).",
        *_wrap_comment(f"! Model: {' '.join(model.description.split())}."),
        "! Complex Kuramoto order parameter z = x + i*y; firing rate",
        "!   r = (1 - |z|^2) / (pi*tau*|1 + z|^2).",
        "!",
        "! Equations (d/dt of the states):",
    ]
    for u, f in zip(sym.states, sym.rhs, strict=True):
        text = f"!   d{u}/dt = {sp.sstr(f)}"
        lines.extend(_wrap_comment(text))
    lines += ["!", "! State (U):"]
    lines += [f"!   U({i}) = {u}" for i, u in enumerate(model.state_names, start=1)]
    lines += ["! Parameters (PAR), with the values set by STPNT:"]
    index = parameter_indices(model.parameter_names)
    for p in model.parameters:
        lines.append(f"!   PAR({index[p.name]}) = {p.name} = {params[p.name]!r}  ({p.description})")
    lines.append("!   PAR(10)-PAR(14): reserved by AUTO (PAR(11) = period of periodic orbits)")
    lines.append("! Solution measures written by PVLS (list them last in ICP to print them):")
    for name, idx in outs.items():
        lines.append(f"!   PAR({idx}) = {name}")
    for (name, what), idx in state_indices(model.parameter_names, model.state_names).items():
        lines.append(f"!   PAR({idx}) = {what} of {name} over the solution (equilibria: {name})")
    lines += ["!", f"! {start_note}", "!", "! FUNC fills DFDU (IJAC >= 1) and DFDP (IJAC = 2) "
              "analytically: use JAC=1.", ""]
    return lines


def _wrap_comment(text: str, width: int = MAX_LINE) -> list[str]:
    lead = text[: text.index("!")] + "!     "
    out = []
    while len(text) > width:
        cut = text.rfind(" ", len(lead), width)
        if cut <= len(lead):
            cut = width
        out.append(text[:cut].rstrip())
        text = lead + text[cut:].lstrip()
    out.append(text)
    return out


def _names(symbols: Sequence[sp.Symbol]) -> list[str]:
    return [str(s) for s in symbols]


def equation_file(
    model: ThetaModel, params: Mapping[str, float], start: Sequence[float], start_note: str = ""
) -> str:
    """The complete ``NAME.f90`` text.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        Parameter values set by ``STPNT`` (validated, all names present).
    start : sequence of float
        The starting state set by ``STPNT`` (should be an equilibrium at ``params``).
    start_note : str
        One line describing the starting point, for the header comment.

    Returns
    -------
    str
        The file's text, ending in a newline.
    """
    params = model.validate_params(params)
    sym = model.symbolic
    ndim, npar = len(sym.states), len(sym.parameters)
    if len(start) != ndim:
        raise ValueError(f"start has {len(start)} components, model {model.name} has {ndim}")
    index = parameter_indices(model.parameter_names)
    I1, I2 = "  ", "    "
    states, pars = _names(sym.states), _names(sym.parameters)
    lines = _header(model, params, start_note or "STPNT: equilibrium found by Newton's method.")

    # ---------------------------------------------------------------- FUNC
    f_lines, f_tmp = _assignments([f"F({i})" for i in range(1, ndim + 1)], list(sym.rhs),
                                  "f_t", I2)
    jac = sym.jacobian
    j_targets = [f"DFDU({i + 1},{k + 1})" for i in range(ndim) for k in range(ndim)]
    j_lines, j_tmp = _assignments(j_targets, [jac[i, k] for i in range(ndim)
                                             for k in range(ndim)], "j_t", I2 + "  ")
    dfdp = sym.parameter_jacobian
    p_targets = [f"DFDP({i + 1},{index[str(sym.parameters[k])]})" for i in range(ndim)
                 for k in range(npar)]
    p_lines, p_tmp = _assignments(p_targets, [dfdp[i, k] for i in range(ndim)
                                             for k in range(npar)], "p_t", I2 + "  ")
    lines += [
        "SUBROUTINE FUNC(NDIM,U,ICP,PAR,IJAC,F,DFDU,DFDP)",
        f"{I1}! Right-hand side F(U, PAR); DFDU = dF/dU if IJAC >= 1; DFDP = dF/dPAR if IJAC = 2.",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM, ICP(*), IJAC",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: U(NDIM), PAR(*)",
        f"{I1}DOUBLE PRECISION, INTENT(OUT) :: F(NDIM)",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: DFDU(NDIM,NDIM), DFDP(NDIM,*)",
        *_declare(states + pars, I1),
        *_declare(f_tmp + j_tmp + p_tmp, I1),
        "",
        *_unpack(model, I2),
        "",
        *f_lines,
        "",
        f"{I2}IF (IJAC == 0) RETURN",
        "",
        *j_lines,
        "",
        f"{I2}IF (IJAC == 1) RETURN",
        "",
        f"{I2}! The columns of the model's parameters only.",
        *p_lines,
        "END SUBROUTINE FUNC",
        "",
    ]

    # --------------------------------------------------------------- STPNT
    lines += [
        "SUBROUTINE STPNT(NDIM,U,PAR,T)",
        f"{I1}! Starting point (used when IRS=0): parameter values and an equilibrium there.",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: U(NDIM), PAR(*)",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: T",
        "",
    ]
    for name in model.parameter_names:
        lines.append(f"{I2}PAR({index[name]}) = {fortran_double(params[name])}  ! {name}")
    lines.append("")
    for i, (name, value) in enumerate(zip(model.state_names, start, strict=True), start=1):
        lines.append(f"{I2}U({i}) = {fortran_double(value)}  ! {name}")
    lines += ["END SUBROUTINE STPNT", ""]

    # ---------------------------------------------------------------- PVLS
    outs = output_indices(model)
    o_lines, o_tmp = _assignments([f"PAR({idx})" for idx in outs.values()],
                                  [sym.outputs[k] for k in outs], "o_t", I2)
    extremes = state_indices(model.parameter_names, model.state_names)
    s_lines = [f"{I2}PAR({idx}) = GETP('{what.upper()}', {model.state_names.index(name) + 1}, U)"
               for (name, what), idx in extremes.items()]
    lines += [
        "SUBROUTINE PVLS(NDIM,U,PAR)",
        f"{I1}! Solution measures, stored in PAR({min(outs.values())})..PAR({max(outs.values())}):"
        f" {', '.join(f'{k} -> PAR({i})' for k, i in outs.items())}.",
        f"{I1}! For periodic orbits (IPS=2) they are evaluated at U = the orbit's first point.",
        f"{I1}! Then each state's maximum and minimum over the solution (AUTO's GETP; for an",
        f"{I1}! equilibrium both are the state) in PAR({min(extremes.values())})"
        f"..PAR({max(extremes.values())}).",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: U(NDIM)",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: PAR(*)",
        f"{I1}DOUBLE PRECISION, EXTERNAL :: GETP",
        *_declare(states + pars, I1),
        *_declare(o_tmp, I1),
        "",
        *_unpack(model, I2),
        *o_lines,
        "",
        *s_lines,
        "END SUBROUTINE PVLS",
        "",
        "SUBROUTINE BCND(NDIM,PAR,ICP,NBC,U0,U1,FB,IJAC,DBC)",
        f"{I1}! No boundary conditions (not used for equilibria and periodic orbits).",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM, ICP(*), NBC, IJAC",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: PAR(*), U0(NDIM), U1(NDIM)",
        f"{I1}DOUBLE PRECISION, INTENT(OUT) :: FB(NBC)",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: DBC(NBC,*)",
        "END SUBROUTINE BCND",
        "",
        "SUBROUTINE ICND(NDIM,PAR,ICP,NINT,U,UOLD,UDOT,UPOLD,FI,IJAC,DINT)",
        f"{I1}! No integral conditions.",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM, ICP(*), NINT, IJAC",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: PAR(*)",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: U(NDIM), UOLD(NDIM), UDOT(NDIM), UPOLD(NDIM)",
        f"{I1}DOUBLE PRECISION, INTENT(OUT) :: FI(NINT)",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: DINT(NINT,*)",
        "END SUBROUTINE ICND",
        "",
        "SUBROUTINE FOPT(NDIM,U,ICP,PAR,IJAC,FS,DFDU,DFDP)",
        f"{I1}! No objective functional.",
        f"{I1}IMPLICIT NONE",
        f"{I1}INTEGER, INTENT(IN) :: NDIM, ICP(*), IJAC",
        f"{I1}DOUBLE PRECISION, INTENT(IN) :: U(NDIM), PAR(*)",
        f"{I1}DOUBLE PRECISION, INTENT(OUT) :: FS",
        f"{I1}DOUBLE PRECISION, INTENT(INOUT) :: DFDU(NDIM), DFDP(*)",
        "END SUBROUTINE FOPT",
    ]
    wrapped: list[str] = []
    for ln in lines:
        if ln.lstrip().startswith("!") and len(ln) > MAX_LINE:
            wrapped.extend(_wrap_comment(ln))
        else:
            wrapped.append(ln)
    lines = wrapped
    too_long = [ln for ln in lines if len(ln) > MAX_LINE]
    if too_long:  # pragma: no cover - wrap_line guarantees this
        raise AssertionError(f"generated Fortran line longer than {MAX_LINE}: {too_long[0][:60]}")
    return "\n".join(lines) + "\n"


__all__ = [
    "AutoFortranPrinter",
    "FIRST_OUTPUT_PAR",
    "MAX_LINE",
    "equation_file",
    "fortran_double",
    "output_indices",
    "print_expression",
    "wrap_line",
]
