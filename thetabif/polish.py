"""Special points polished by Newton's method on their defining systems.

AUTO locates folds, Hopf points and codimension-two points by test functions along a
branch; their positions are accurate to the step-size control, not to machine
precision. Here each point is refined by Newton on an augmented system built
symbolically from the model (analytic derivatives from sympy):

=====  ===========================================  ==========================
type   equations                                    unknowns
=====  ===========================================  ==========================
LP     f = 0, det Df = 0                            state, 1 parameter
HB     f = 0, Hurwitz determinant of Df = 0         state, 1 parameter
CP     f = 0, det Df = 0, <w, D2f(v, v)> = 0        state, 2 parameters
BT     f = 0, last two char. poly coefficients = 0  state, 2 parameters
GH     f = 0, Hurwitz = 0, l1 = 0                   state, 2 parameters
=====  ===========================================  ==========================

Here ``v`` and ``w`` are the right and left null vectors of ``Df`` (columns and rows of
its adjugate) and ``l1`` is the first Lyapunov coefficient (Kuznetsov's formula, from
the analytic second and third derivatives). For two states the Hurwitz condition is
``tr Df = 0`` (with ``det Df > 0``); for three, ``a1 a2 - a3 = 0`` (with ``a2 > 0``)
for the characteristic polynomial ``l^3 + a1 l^2 + a2 l + a3``. The ``l1`` row of
the GH system is differentiated by central differences of the analytic ``l1``.

Models of more than :data:`SYMBOLIC_STATES` states (circuits) get the same systems
with numerical test functions instead of symbolic ones: for LP a bordered system
``[[Df, b], [c^T, 0]] (v, g) = (0, 1)``, ``g = 0`` (``b``, ``c`` the singular vectors
of the smallest singular value at the start); for HB the real part of the critical
complex pair; for BT the sum and product of the two eigenvalues nearest zero; for CP
also ``<w, D2f(v, v)>``; for GH also ``l1``. Their rows are differentiated by central
differences; the multilinear forms of the normal forms come from central differences
of the analytic Jacobian (:func:`multilinear_forms`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from thetabif.codegen.pregenerate import MODEL_SOURCES, cache_key, load_generated_module
from thetabif.errors import InputError, PolishError
from thetabif.models import Model, ThetaModel

if TYPE_CHECKING:
    import sympy as sp

KINDS = {"LP": 1, "HB": 1, "CP": 2, "BT": 2, "GH": 2}
#: Models with at most this many states get symbolic defining systems (see the module).
SYMBOLIC_STATES = 3
#: Relative step of the central differences of the numerical systems and forms:
#: error ~ h^2 |f'| ~ 1e-10 for the O(1) derivatives of the theta family.
_FD_STEP = 1e-5


@dataclass(frozen=True)
class PolishedPoint:
    """A special point after Newton refinement.

    Attributes
    ----------
    kind : str
        ``LP``, ``HB``, ``CP``, ``BT`` or ``GH``.
    state : ndarray
        The equilibrium state.
    params : dict
        All parameters (free ones refined).
    residual : float
        Max-norm of the defining system at the result.
    iterations : int
    eigenvalues : ndarray
        Eigenvalues of the Jacobian at the point.
    l1 : float or None
        First Lyapunov coefficient (Hopf points): < 0 supercritical, > 0 subcritical.
    l2 : float or None
        Second Lyapunov coefficient (GH points, :func:`second_lyapunov_coefficient`):
        < 0 the fold of cycles lies on the ``l1 > 0`` side, > 0 on the ``l1 < 0`` side.
    """

    kind: str
    state: np.ndarray
    params: dict
    residual: float
    iterations: int
    eigenvalues: np.ndarray = field(repr=False)
    l1: float | None = None
    l2: float | None = None

    @property
    def frequency(self) -> float | None:
        """Imaginary part of the critical pair at a Hopf point."""
        pairs = self.eigenvalues[np.abs(self.eigenvalues.imag) > 0]
        if self.kind not in ("HB", "GH") or not len(pairs):
            return None
        return float(abs(pairs[np.argmin(np.abs(pairs.real))].imag))


def _det(m: sp.Matrix) -> sp.Expr:
    """Determinant by cofactors, unsimplified (sympy's own det simplifies: slow)."""
    if m.shape[0] == 2:
        return m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    return sum((-1) ** j * m[0, j] * _det(m.minor_submatrix(0, j)) for j in range(m.shape[0]))


def _char_poly_coeffs(jac: sp.Matrix) -> list[sp.Expr]:
    """Coefficients a1..an of det(l I - J) = l^n + a1 l^(n-1) + ... + an."""
    n = jac.shape[0]
    if n == 2:
        return [-jac.trace(), _det(jac)]
    if n == 3:
        a1 = -jac.trace()
        a2 = sum(jac[i, i] * jac[j, j] - jac[i, j] * jac[j, i]
                 for i in range(3) for j in range(i + 1, 3))
        return [a1, a2, -_det(jac)]
    raise NotImplementedError("defining systems are implemented for 2 or 3 states")


def _hurwitz(coeffs: list[sp.Expr]) -> sp.Expr:
    if len(coeffs) == 2:
        return coeffs[0]  # -tr J
    a1, a2, a3 = coeffs
    return a1 * a2 - a3


def _filename(model: ThetaModel, tag: str) -> str:
    """File name of the generated module ``tag`` of ``model`` (holds the cache key)."""
    key = cache_key(("polish.py", *MODEL_SOURCES), "polish-v1", model.name, tag)
    return f"{model.name}_{tag.split('|')[0]}_{key}.py"


def _tag(kind: str, free: Sequence[str]) -> str:
    return "tensors" if kind == "tensors" else f"{kind}|{','.join(free)}"


def generated_file(model: ThetaModel, kind: str, free: Sequence[str]
                   ) -> tuple[str, Callable[[], str]]:
    """File name and (lazy) source of a generated module of ``model``.

    ``kind`` is a defining system of :data:`KINDS` (with its free parameters) or
    ``"tensors"`` (the derivative tensors; ``free`` is ignored). Used by the loaders
    and by :mod:`thetabif.codegen.pregenerate`.
    """
    free = tuple(free)
    if kind == "tensors":
        return _filename(model, "tensors"), lambda: _tensor_source(model)
    return _filename(model, _tag(kind, free)), lambda: _system_source(model, kind, free)


def _load_generated(model: ThetaModel, kind: str, free: Sequence[str]):
    """Import the generated module ``kind`` (``free``) of ``model``, writing it if missing.

    The module is taken from the package's shipped files
    (:mod:`thetabif.codegen.pregenerate`) when it is there; otherwise the symbolic
    derivation (sympy) runs once per model and system, and the generated Python source
    (math only) is kept in the user cache (``polish/``), so later processes load it without
    importing sympy. Files are published atomically.
    """
    name, source = generated_file(model, kind, free)
    return load_generated_module("polish", name, source)


@lru_cache(maxsize=64)
def _system(model: ThetaModel, kind: str, free: tuple[str, ...]) -> tuple[Callable, Callable]:
    """Defining system G(unknowns; all params) and its Jacobian, as Python functions."""
    mod = _load_generated(model, kind, free)
    return mod.g, mod.dg


def _function_source(name: str, args: Sequence[str], exprs: list, printer) -> list[str]:
    """``def name(*args)`` returning ``exprs`` (flat list) after shared subexpressions."""
    import sympy as sp

    lines = [f"def {name}({', '.join(args)}):"]
    reps, red = sp.cse(exprs, symbols=sp.numbered_symbols(f"{name}_t"))
    lines += [f"    {printer.doprint(v)} = {printer.doprint(e)}" for v, e in reps]
    lines.append("    return [" + ", ".join(printer.doprint(e) for e in red) + "]")
    return lines


def _system_source(model: ThetaModel, kind: str, free: tuple[str, ...]) -> str:
    """Python source of ``g`` and ``dg`` (common subexpressions shared)."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    G, DG, args = _build_system(model, kind, free)
    printer = PythonCodePrinter({"fully_qualified_modules": True})
    names = [printer.doprint(a) for a in args]
    lines = ["import math", "", "", f"def g({', '.join(names)}):"]
    reps, red = sp.cse(list(G), symbols=sp.numbered_symbols("g_t"))
    lines += [f"    {printer.doprint(v)} = {printer.doprint(e)}" for v, e in reps]
    lines.append("    return [" + ", ".join(printer.doprint(e) for e in red) + "]")
    lines += ["", "", f"def dg({', '.join(names)}):"]
    rows, cols = DG.shape
    reps, red = sp.cse(list(DG), symbols=sp.numbered_symbols("d_t"))
    lines += [f"    {printer.doprint(v)} = {printer.doprint(e)}" for v, e in reps]
    body = ["[" + ", ".join(printer.doprint(red[i * cols + j]) for j in range(cols)) + "]"
            for i in range(rows)]
    lines.append("    return [" + ", ".join(body) + "]")
    return "\n".join(lines) + "\n"


def _build_system(model: ThetaModel, kind: str, free: tuple[str, ...]):
    """Symbolic defining system, its Jacobian in the unknowns, and the argument symbols."""
    import sympy as sp

    sym = model.symbolic
    u = list(sym.states)
    pars = {str(p): p for p in sym.parameters}
    unknowns = u + [pars[name] for name in free]
    f = list(sym.rhs)
    jac = sym.jacobian
    coeffs = _char_poly_coeffs(jac)
    rows: list[sp.Expr] = list(f)
    if kind in ("LP", "CP"):
        rows.append(coeffs[-1])
    if kind in ("HB", "GH"):
        rows.append(_hurwitz(coeffs))
    if kind == "BT":
        rows += [coeffs[-1], coeffs[-2]]
    G = sp.Matrix(rows)
    if kind != "CP":
        return G, G.jacobian(unknowns), (*u, *sym.parameters)
    # CP: the last row <w, D2f(v, v)> is large once expanded; its gradient is taken by
    # the chain rule on its small factors (v, w, D2f), which sympy differentiates
    # much faster than the expanded product (the result is the same expression).
    quad, grad = _fold_quadratic_coefficient(sym.rhs, u, jac, unknowns)
    DG = G.jacobian(unknowns).col_join(sp.Matrix([grad]))
    return G.col_join(sp.Matrix([quad])), DG, (*u, *sym.parameters)


def _fold_quadratic_coefficient(rhs: sp.Matrix, u: list, jac: sp.Matrix, unknowns: list
                                ) -> tuple[sp.Expr, list[sp.Expr]]:
    """<w, D2f(v, v)> with v, w taken from the adjugate of the Jacobian, and its gradient.

    At a fold, adj(Df) has rank one: its columns span the right null vector and its
    rows the left one. The column/row used is the first one that does not vanish
    identically; the theta family's fold points never make it vanish. The gradient
    with respect to ``unknowns`` is assembled by the product rule (``D2f`` symmetric).
    """
    import sympy as sp

    adj = jac.adjugate(method="bareiss") if len(u) > 3 else _adjugate(jac)
    n = len(u)
    v = [adj[i, 0] for i in range(n)]
    w = [adj[0, k] for k in range(n)]
    B = [[[sp.diff(rhs[k], u[i], u[j]) for j in range(n)] for i in range(n)]
         for k in range(n)]
    T = [sum(B[k][i][j] * v[i] * v[j] for i in range(n) for j in range(n)) for k in range(n)]
    quad = sum(w[k] * T[k] for k in range(n))
    grad = []
    for z in unknowns:
        dv = [sp.diff(vi, z) for vi in v]
        dT = [sum(sp.diff(B[k][i][j], z) * v[i] * v[j] + 2 * B[k][i][j] * dv[i] * v[j]
                  for i in range(n) for j in range(n)) for k in range(n)]
        grad.append(sum(sp.diff(w[k], z) * T[k] + w[k] * dT[k] for k in range(n)))
    return quad, grad


def _adjugate(m: sp.Matrix) -> sp.Matrix:
    import sympy as sp

    n = m.shape[0]
    if n == 2:
        return sp.Matrix([[m[1, 1], -m[0, 1]], [-m[1, 0], m[0, 0]]])
    return sp.Matrix(n, n, lambda i, j: (-1) ** (i + j) * _det(m.minor_submatrix(j, i)))


@lru_cache(maxsize=32)
def derivative_tensors(model: ThetaModel) -> tuple[Callable, Callable]:
    """Second and third derivative tensors of the right-hand side, as functions.

    Each returns an array of shape ``(n, n, n)`` / ``(n, n, n, n)`` (output index
    first). Generated once per model and cached like the defining systems.
    """
    n = len(model.state_names)
    mod = _load_generated(model, "tensors", ())
    return (lambda *a: np.reshape(mod.B(*a), (n,) * 3),
            lambda *a: np.reshape(mod.C(*a), (n,) * 4))


@lru_cache(maxsize=32)
def _higher_derivative_tensors(model: ThetaModel) -> tuple[Callable, Callable]:
    """Fourth and fifth derivative tensors of the right-hand side, as functions.

    Shapes ``(n,) * 5`` and ``(n,) * 6`` (output index first); from the same generated
    module as :func:`derivative_tensors`.
    """
    n = len(model.state_names)
    mod = _load_generated(model, "tensors", ())
    return (lambda *a: np.reshape(mod.D(*a), (n,) * 5),
            lambda *a: np.reshape(mod.E(*a), (n,) * 6))


def _tensor_source(model: ThetaModel) -> str:
    """Python source of ``B``, ``C``, ``D``, ``E``: the 2nd to 5th derivatives, flattened."""
    import itertools

    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    sym = model.symbolic
    u = list(sym.states)
    n = len(u)
    printer = PythonCodePrinter({"fully_qualified_modules": True})
    names = [printer.doprint(a) for a in (*u, *sym.parameters)]
    lines = ["import math"]
    # order-k derivatives, computed once per sorted index tuple (they are symmetric)
    cache: dict[tuple[int, ...], sp.Expr] = {}

    def deriv(k: int, idx: tuple[int, ...]) -> sp.Expr:
        key = (k, *sorted(idx))
        if key not in cache:
            cache[key] = (sym.rhs[k] if not idx
                          else sp.diff(deriv(k, tuple(sorted(idx))[:-1]), u[max(idx)]))
        return cache[key]

    for name, order in (("B", 2), ("C", 3), ("D", 4), ("E", 5)):
        exprs = [deriv(k, idx) for k in range(n)
                 for idx in itertools.product(range(n), repeat=order)]
        lines += ["", ""] + _function_source(name, names, exprs, printer)
    return "\n".join(lines) + "\n"


def first_lyapunov_coefficient(model: ThetaModel, state: Sequence[float],
                               params: Mapping[str, float]) -> float:
    """First Lyapunov coefficient at a Hopf point (Kuznetsov, Elements, eq. 3.20 / 5.39).

    ``l1 = Re[<p, C(q,q,qb)> - 2<p, B(q, A^-1 B(q,qb))> + <p, B(qb, (2iw - A)^-1 B(q,q))>]
    / (2 w)`` with ``A q = i w q``, ``A^T p = -i w p``, ``<p, q> = 1``.
    Negative: supercritical (stable cycles); positive: subcritical.
    """
    num = model.numeric
    full = model.validate_params(params)
    p = num.parameter_vector(full)
    x = np.asarray(state, dtype=float)
    A = num.jacobian(x, p)
    nf = _cubic_normal_form(A, *multilinear_forms(model, x, p))
    return float(nf.G21.real / (2 * nf.omega))


def multilinear_forms(model: Model, x: np.ndarray, p: np.ndarray) -> list[Callable]:
    """``B(a, b)`` and ``C(a, b, c)``: the second and third derivatives of the
    right-hand side at ``(x, p)`` as multilinear forms.

    From the symbolic tensors (:func:`derivative_tensors`) for models of at most
    :data:`SYMBOLIC_STATES` states; for larger ones by central differences of the
    analytic Jacobian along the (complex) arguments, accurate to ~1e-10 (``B``) and
    ~1e-6 (``C``).
    """
    if len(model.state_names) <= SYMBOLIC_STATES:
        Bf, Cf = derivative_tensors(model)
        return _forms([Bf(*x, *p), Cf(*x, *p)])
    jac = model.numeric.jacobian

    def along(a: np.ndarray, m: Callable[[np.ndarray], np.ndarray], at: np.ndarray
              ) -> np.ndarray:
        # derivative of m at ``at`` along a complex direction: by linearity, real and
        # imaginary parts separately
        h = _FD_STEP

        def diff(d: np.ndarray) -> np.ndarray:
            if not np.any(d):
                return np.zeros((len(x), len(x)))
            s = h / max(1.0, float(np.max(np.abs(d))))
            return (m(at + s * d) - m(at - s * d)) / (2 * s)
        return diff(np.real(a)) + 1j * diff(np.imag(a))

    def B(a, b):
        return along(a, lambda y: jac(y, p), x) @ b

    def C(a, b, c):
        # the inner derivative taken at the outer's shifted points (not at x)
        return along(a, lambda y: along(b, lambda z: jac(z, p), y), x) @ c

    return [B, C]


class _CubicNormalForm(NamedTuple):
    """Third-order stage of the Hopf normal form (shared by l1 and the Bautin terms)."""

    omega: float
    q: np.ndarray
    p: np.ndarray
    h20: np.ndarray
    h11: np.ndarray
    r21: np.ndarray  # C(q,q,qb) + B(qb,h20) + 2B(q,h11); G21 = <p, r21>
    G21: complex


def _cubic_normal_form(A: np.ndarray, B: Callable, C: Callable) -> _CubicNormalForm:
    """``omega``, ``q``, ``p`` (:func:`_hopf_basis`), ``h20``, ``h11`` and ``G21``."""
    omega, q, pv = _hopf_basis(A)
    qb = np.conj(q)
    h20 = np.linalg.solve(2j * omega * np.eye(A.shape[0]) - A, B(q, q))
    h11 = np.linalg.solve(-A, B(q, qb))
    r21 = C(q, q, qb) + B(qb, h20) + 2 * B(q, h11)
    return _CubicNormalForm(omega, q, pv, h20, h11, r21, complex(np.vdot(pv, r21)))


def _hopf_basis(A: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``omega > 0``, ``q`` (unit norm) and ``p`` with ``A q = i omega q``,
    ``A^T p = -i omega p`` and ``<p, q> = conj(p) . q = 1``, for the complex pair
    nearest the imaginary axis."""
    eig, vecs = np.linalg.eig(A)
    if not np.any(eig.imag > 0):
        raise ValueError("no complex pair of eigenvalues: not a Hopf point")
    # the critical pair: of the eigenvalues with Im > 0, the one nearest the axis
    k = int(np.argmin(np.where(eig.imag > 0, np.abs(eig.real), np.inf)))
    omega = float(eig[k].imag)
    q = vecs[:, k]
    eig_t, vecs_t = np.linalg.eig(A.T)
    kt = int(np.argmin(np.abs(eig_t + 1j * omega)))
    pv = vecs_t[:, kt]
    return omega, q, pv / np.conj(np.vdot(pv, q))


def bautin_coefficients(A: np.ndarray, B: Callable, C: Callable, D: Callable, E: Callable
                        ) -> tuple[float, complex, complex]:
    """Normal-form coefficients ``G21``, ``G32`` at a Hopf point (Kuznetsov 1999).

    The restriction to the centre manifold, ``x = x0 + w q + conj(w q) + H(w, conj w)``,
    is brought to ``w' = i omega w + G21 w|w|^2 / 2 + G32 w|w|^4 / 12 + O(|w|^6)``.
    With ``h_jk`` the Taylor coefficients of ``H`` (``H = sum h_jk w^j conj(w)^k/(j! k!)``,
    ``h_kj = conj h_jk``) the homological equation order by order gives

    * ``h20 = (2iw - A)^-1 B(q,q)``, ``h11 = -A^-1 B(q,qb)``;
    * ``G21 = <p, C(q,q,qb) + B(qb,h20) + 2B(q,h11)>``;
    * ``h30 = (3iw - A)^-1 [C(q,q,q) + 3B(q,h20)]``;
    * ``h21``: ``(iw - A) h21 = C(q,q,qb) + B(qb,h20) + 2B(q,h11) - G21 q`` with
      ``<p, h21> = 0`` (bordered solve; ``iw - A`` is singular);
    * ``h31 = (2iw - A)^-1 [D(q,q,q,qb) + 3C(q,q,h11) + 3C(q,qb,h20) + 3B(h20,h11)
      + B(qb,h30) + 3B(q,h21) - 3 G21 h20]``;
    * ``h22 = -A^-1 [D(q,q,qb,qb) + 4C(q,qb,h11) + C(qb,qb,h20) + C(q,q,h02)
      + 2B(h11,h11) + 2B(q,h12) + 2B(qb,h21) + B(h20,h02) - 2(G21 + conj G21) h11]``;
    * ``G32 = <p, E(q,q,q,qb,qb) + D(q,q,q,h02) + 3D(q,qb,qb,h20) + 6D(q,q,qb,h11)
      + C(qb,qb,h30) + 3C(q,q,h12) + 6C(q,h11,h11) + 3C(q,h20,h02) + 6C(qb,h11,h20)
      + 6C(q,qb,h21) + 2B(qb,h31) + 3B(q,h22) + B(h30,h02) + 3B(h20,h12)
      + 6B(h11,h21)>`` (the normal-form terms ``(6 G21 + 3 conj G21) h21`` of this
      order drop out because ``<p, h21> = 0``).

    Parameters
    ----------
    A : ndarray, shape (n, n)
        Jacobian at the equilibrium; it must have a pair ``+-i omega``, ``omega > 0``
        (the pair nearest the imaginary axis is used).
    B, C, D, E : callable
        The symmetric multilinear forms of the 2nd to 5th derivatives of the
        right-hand side: ``B(a, b)``, ..., ``E(a, b, c, d, e)`` (complex vectors in,
        complex vector out).

    Returns
    -------
    omega : float
    G21, G32 : complex
        ``l1 = Re G21 / (2 omega)``, ``l2 = Re G32 / (12 omega)``.

    Raises
    ------
    ValueError
        No complex pair of eigenvalues.
    """
    omega, q, pv, h20, h11, r21, G21 = _cubic_normal_form(A, B, C)
    n = A.shape[0]
    eye = np.eye(n)

    def dot(v):  # <p, v>
        return complex(np.vdot(pv, v))

    qb = np.conj(q)
    h02 = np.conj(h20)
    h30 = np.linalg.solve(3j * omega * eye - A, C(q, q, q) + 3 * B(q, h20))
    border = np.zeros((n + 1, n + 1), dtype=complex)
    border[:n, :n] = 1j * omega * eye - A
    border[:n, n] = q
    border[n, :n] = np.conj(pv)
    h21 = np.linalg.solve(border, np.append(r21, 0.0))[:n]  # its last entry is G21
    h12 = np.conj(h21)
    h31 = np.linalg.solve(2j * omega * eye - A,
                          D(q, q, q, qb) + 3 * C(q, q, h11) + 3 * C(q, qb, h20)
                          + 3 * B(h20, h11) + B(qb, h30) + 3 * B(q, h21) - 3 * G21 * h20)
    h22 = np.linalg.solve(-A, D(q, q, qb, qb) + 4 * C(q, qb, h11) + C(qb, qb, h20)
                          + C(q, q, h02) + 2 * B(h11, h11) + 2 * B(q, h12) + 2 * B(qb, h21)
                          + B(h20, h02) - 4 * G21.real * h11)
    G32 = dot(E(q, q, q, qb, qb) + D(q, q, q, h02) + 3 * D(q, qb, qb, h20)
              + 6 * D(q, q, qb, h11) + C(qb, qb, h30) + 3 * C(q, q, h12)
              + 6 * C(q, h11, h11) + 3 * C(q, h20, h02) + 6 * C(qb, h11, h20)
              + 6 * C(q, qb, h21) + 2 * B(qb, h31) + 3 * B(q, h22) + B(h30, h02)
              + 3 * B(h20, h12) + 6 * B(h11, h21))
    return omega, G21, G32


def _forms(tensors: Sequence[np.ndarray]) -> list[Callable]:
    """Multilinear forms ``T(a, b, ...)`` contracting the trailing indices of tensors."""
    letters = "abcdefg"

    def make(T: np.ndarray) -> Callable:
        m = T.ndim - 1
        spec = "z" + letters[:m] + "," + ",".join(letters[:m]) + "->z"
        return lambda *v: np.einsum(spec, T, *v)

    return [make(np.asarray(T, dtype=float)) for T in tensors]


def second_lyapunov_coefficient(model: ThetaModel, state: Sequence[float],
                                params: Mapping[str, float]) -> float:
    """Second Lyapunov coefficient at a Bautin (GH) point.

    ``l2 = Re G32 / (12 omega)`` with ``G32`` the coefficient of ``w|w|^4 / 12`` in the
    normal form on the centre manifold (:func:`bautin_coefficients`; Kuznetsov 1999,
    SIAM J. Numer. Anal. 36:1104, and Elements of Applied Bifurcation Theory, 3rd ed.,
    Sec. 8.3). It is normalised like :func:`first_lyapunov_coefficient`
    (``l1 = Re G21 / (2 omega)``, eigenvector ``|q| = 1``, ``<p, q> = 1``), so that in
    the complex coordinate ``w`` (``x ~ x0 + 2 Re(w q)``, ``rho = |w|``) one turn
    changes the amplitude by ``2 pi (l1 rho^3 + l2 rho^5) + ...``.

    Meaningful where ``l1 = 0``. ``l2 < 0``: the cycles born subcritically on the
    ``l1 > 0`` side turn at a fold of cycles (stable big cycle); ``l2 > 0``: the fold of
    cycles lies on the ``l1 < 0`` side (unstable big cycle around the small stable one).

    Parameters
    ----------
    model : ThetaModel
    state : sequence of float
        The equilibrium.
    params : mapping
        Parameters (missing ones take the model's defaults).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        The Jacobian has no complex pair of eigenvalues.
    """
    num = model.numeric
    full = model.validate_params(params)
    p = num.parameter_vector(full)
    x = np.asarray(state, dtype=float)
    A = num.jacobian(x, p)
    Bf, Cf = derivative_tensors(model)
    Df, Ef = _higher_derivative_tensors(model)
    forms = _forms([Bf(*x, *p), Cf(*x, *p), Df(*x, *p), Ef(*x, *p)])
    omega, _, G32 = bautin_coefficients(A, *forms)
    return float(G32.real / (12 * omega))


def _central_rows(fn: Callable[[np.ndarray], np.ndarray], z: np.ndarray, rel: float
                  ) -> np.ndarray:
    """Jacobian of ``fn`` at ``z`` by central differences (steps ``rel * max(1, |z_j|)``)."""
    h = rel * np.maximum(1.0, np.abs(z))
    cols = []
    for j in range(len(z)):
        e = np.zeros(len(z))
        e[j] = h[j]
        cols.append((np.asarray(fn(z + e)) - np.asarray(fn(z - e))) / (2 * h[j]))
    return np.array(cols).T


def _numeric_system(model: Model, kind: str, unpack: Callable, idx: list[int],
                    x0: np.ndarray, p0: np.ndarray) -> tuple[Callable, Callable]:
    """Residual and Jacobian of the numerical defining system ``kind`` (see the module)."""
    num = model.numeric
    A0 = num.jacobian(x0, p0)
    n = len(x0)
    U, _, Vt = np.linalg.svd(A0)
    b, c = U[:, -1], Vt[-1]
    eig0 = np.linalg.eigvals(A0)
    pair = eig0[eig0.imag > 0]
    target = [complex(pair[np.argmin(np.abs(pair.real))]) if pair.size else 0j]

    def fold_test(A: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        M = np.zeros((n + 1, n + 1))
        M[:n, :n], M[:n, n], M[n, :n] = A, b, c
        sol = np.linalg.solve(M, np.append(np.zeros(n), 1.0))
        solt = np.linalg.solve(M.T, np.append(np.zeros(n), 1.0))
        return float(sol[n]), sol[:n], solt[:n]

    def tests(z: np.ndarray) -> np.ndarray:
        x, pv = unpack(z)
        A = num.jacobian(x, pv)
        if kind in ("LP", "CP"):
            g, v, w = fold_test(A)
            rows = [g]
            if kind == "CP":
                B = multilinear_forms(model, x, pv)[0]
                rows.append(float(np.dot(w, B(v, v).real)) / (np.linalg.norm(v) ** 2
                                                                * np.linalg.norm(w)))
            return np.array(rows)
        eig = np.linalg.eigvals(A)
        if kind == "BT":
            near = eig[np.argsort(np.abs(eig))[:2]]
            return np.array([float(np.sum(near).real), float(np.prod(near).real)])
        # HB, GH: the complex pair nearest the one at the start
        k = int(np.argmin(np.abs(eig - target[0])))
        rows = [float(eig[k].real)]
        if kind == "GH":
            rows.append(first_lyapunov_coefficient(
                model, x, dict(zip(model.parameter_names, pv, strict=True))))
        return np.array(rows)

    def residual(z: np.ndarray) -> np.ndarray:
        x, pv = unpack(z)
        return np.concatenate([num.rhs(x, pv), tests(z)])

    def jacobian(z: np.ndarray) -> np.ndarray:
        x, pv = unpack(z)
        top = np.hstack([num.jacobian(x, pv), num.parameter_jacobian(x, pv)[:, idx]])
        return np.vstack([top, _central_rows(tests, z, _FD_STEP)])

    return residual, jacobian


def polish(
    model: Model,
    kind: str,
    free: Sequence[str],
    state: Sequence[float],
    params: Mapping[str, float],
    *,
    tol: float = 1e-12,
    max_iter: int = 30,
    residual_tol: float = 1e-9,
) -> PolishedPoint:
    """Refine a special point by Newton on its defining system.

    Parameters
    ----------
    model : ThetaModel
    kind : {"LP", "HB", "CP", "BT", "GH"}
    free : sequence of str
        One free parameter for LP/HB, two for CP/BT/GH.
    state, params
        Starting guess (e.g. AUTO's location).
    tol : float
        Newton stops when its step is below ``tol`` (relative to the size of the
        unknowns).
    residual_tol : float
        The defining system must then hold to this (max-norm of the residual; the
        standard models reach 1e-16 to 1e-13), else the point is not accepted.

    Raises
    ------
    ValueError
        Unknown kind, wrong number of free parameters, unknown parameter names.
    PolishError
        Newton did not converge, stopped with a residual above ``residual_tol``, left
        the parameters' domain (e.g. ``tau_s <= 0``) or met a singular system.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    free = tuple(free)
    if len(free) != KINDS[kind]:
        raise InputError(f"{kind} needs {KINDS[kind]} free parameter(s), got {list(free)}")
    full = model.validate_params(params)
    for name in free:
        if name not in full:
            raise InputError(f"free parameter {name!r} is not a parameter of {model.name!r}")
    names = model.parameter_names
    idx = [names.index(nm) for nm in free]
    n = len(model.state_names)
    pvec = np.array([full[k] for k in names])
    z = np.concatenate([np.asarray(state, dtype=float), pvec[idx]])

    def unpack(z):
        pv = pvec.copy()
        pv[idx] = z[n:]
        return z[:n], pv

    if n <= SYMBOLIC_STATES:
        g, dg = _system(model, kind, free)

        def residual(z):
            x, pv = unpack(z)
            r = np.array(g(*x, *pv), dtype=float)
            if kind == "GH":
                r = np.append(r, first_lyapunov_coefficient(model, x, dict(zip(
                    names, pv, strict=True))))
            return r

        def jacobian(z):
            x, pv = unpack(z)
            D = np.array(dg(*x, *pv), dtype=float)
            if kind == "GH":
                D = np.vstack([D, _central_rows(lambda w: residual(w)[-1:], z, 1e-6)])
            return D
    else:
        residual, jacobian = _numeric_system(model, kind, unpack, idx,
                                             np.asarray(state, dtype=float), pvec)

    for it in range(1, max_iter + 1):  # noqa: B007 (it is the iteration count after the loop)
        try:
            r = residual(z)
            step = np.linalg.solve(jacobian(z), -r)
        except np.linalg.LinAlgError:
            raise PolishError(f"{kind}: singular defining system at {z}") from None
        except ValueError as exc:  # an iterate left a parameter's domain
            raise PolishError(f"{kind}: Newton left the parameters' domain ({exc})") from None
        z = z + step
        if not np.all(np.isfinite(z)):
            raise PolishError(f"{kind}: Newton diverged (non-finite iterate)")
        if np.max(np.abs(step)) <= tol * max(1.0, np.max(np.abs(z))):
            break
    else:
        raise PolishError(f"{kind}: Newton did not converge in {max_iter} iterations "
                          f"(last step {np.max(np.abs(step)):.3g})")
    x, pv = unpack(z)
    try:
        res = float(np.max(np.abs(residual(z))))
    except ValueError as exc:
        raise PolishError(f"{kind}: Newton left the parameters' domain ({exc})") from None
    if not res <= residual_tol:
        raise PolishError(f"{kind}: Newton's step became small but the defining system "
                          f"holds only to {res:.3g} > residual_tol = {residual_tol:g}")
    out_params = dict(zip(names, (float(v) for v in pv), strict=True))
    eig = np.linalg.eigvals(model.numeric.jacobian(x, pv))
    l1 = None
    if kind in ("HB",) and np.max(np.abs(eig.imag)) > 0:
        l1 = first_lyapunov_coefficient(model, x, out_params)
    l2 = None
    if kind == "GH":
        l1 = 0.0
        try:
            l2 = second_lyapunov_coefficient(model, x, out_params)
        except ValueError:  # Newton solved the system where omega = 0
            raise PolishError("GH: no complex pair of eigenvalues at the solution "
                              "(omega = 0: a Bogdanov-Takens point, not a GH)") from None
    return PolishedPoint(kind, x, out_params, res, it, eig, l1, l2)
