"""Saddle-nodes on invariant circles (SNIC): normal form, classification, stretches.

A fold (saddle-node) point ``u*`` of ``u' = f(u, p)`` at ``p = p*`` has a simple zero
eigenvalue with right and left null vectors ``v`` and ``w`` of the Jacobian ``A``
(``A v = 0``, ``w A = 0``, ``|v| = 1``, ``w . v = 1``). On its centre manifold,
``u = u* + x v + O(x^2, x d)``, the flow is, to leading order (Kuznetsov, *Elements of
applied bifurcation theory*, section 3.3),

    x' = g d + a x^2,     a = (1/2) w . B(v, v),     g = w . df/dp,

with ``d = p - p*`` and ``B`` the second derivative of ``f`` (the model's analytic
tensor, :mod:`thetabif.polish`). For ``a g d > 0`` there is no equilibrium near
``u*``; if the saddle-node lies on an invariant circle (a SNIC), the orbit that passes
the ghost of the saddle-node is a cycle whose period is dominated by the passage,

    T(d) = C / sqrt(|d|) + O(1),     C = pi / sqrt(|a g|).

:func:`classify_saddle_node` decides whether a fold point is a SNIC by following its
unstable branch (the half of the centre manifold the flow leaves) with the compiled
integrator, and :func:`snic_stretches` brackets the stretches of a fold curve where
it is, refining their ends (saddle-node-loop points) by bisection on the curve.

Accuracy: each classification reads the side of the saddle-node on which the branch
lands (no return ball, whose radius would bias the result), and the ends are bisected
until the bracket is narrower than ``tol`` (default 1e-4 in both free parameters; the
tests check the n = 2 model with a first-order synapse at that width against plain
simulation). Narrower brackets are not tested: near the point the landing distance
goes to zero, the passing cycle's period diverges and the transient left after the
settling time (``e^-10 eps``) competes with it. Saddle-node-loop points to 1e-6 need
the homoclinic continuation of AUTO-07p's HomCont, which thetabif does not run yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from thetabif.continuation.snl import saddle_node_loop_between
from thetabif.equilibrium import newton
from thetabif.errors import InputError, PolishError
from thetabif.models import ThetaModel, model_from_record
from thetabif.polish import derivative_tensors, polish
from thetabif.records import Record, model_options, strict

if TYPE_CHECKING:
    from thetabif.continuation.records import ContinuationResult

#: Tolerance of the refined saddle-node-loop points in the second free parameter.
SNL_XTOL = 1e-10

#: Classes of a saddle-node (:attr:`SaddleNodeClass.kind`).
CLASSES = ("snic", "equilibrium", "cycle", "unresolved", "not classified: saddle type")

#: A state is a fold point when ``max|f| <= _FOLD_TOL`` and its smallest eigenvalue
#: is at most ``_FOLD_TOL * max(1, max|eigenvalue|)`` in modulus. A polished LP
#: (thetabif.polish) meets both to 1e-13 or better; 1e-8 leaves room for a point
#: polished with a looser ``residual_tol`` while rejecting an AUTO point (1e-6 or so).
_FOLD_TOL = 1e-8


@dataclass(frozen=True)
class SaddleNodeNormalForm(Record):
    """The centre coefficients of a fold point (see the module's docstring).

    Attributes
    ----------
    model, model_options, params
        The model and all its parameters at the fold.
    free : str
        The parameter ``p`` of ``g = w . df/dp``.
    state : ndarray
        The fold point ``u*``.
    eigenvalues : ndarray
        Eigenvalues of the Jacobian there (the zero one first).
    v, w : ndarray
        Right and left null vectors, ``|v| = 1`` (largest component positive),
        ``w . v = 1``.
    a, g : float
        ``(1/2) w . B(v, v)`` and ``w . df/dp``.
    side : int
        ``sign(a g)``: the saddle-node has disappeared for ``(p - p*) * side > 0``.
    C : float
        ``pi / sqrt(|a g|)``, the coefficient of the SNIC period law there.
    """

    what: ClassVar[str] = "saddle-node normal form"

    model: str
    model_options: dict
    params: dict
    free: str
    state: np.ndarray
    eigenvalues: np.ndarray
    v: np.ndarray
    w: np.ndarray
    a: float
    g: float
    side: int
    C: float

    def period(self, value: float) -> float:
        """Leading term ``C / sqrt(|value - p*|)`` of the SNIC period at ``p = value``.

        Raises
        ------
        InputError
            ``value`` lies on the side where the saddle-node's equilibria exist
            (``(value - p*) * side <= 0``), where there is no such cycle.
        """
        d = float(value) - self.params[self.free]
        if d * self.side <= 0:
            where = ">" if self.side > 0 else "<"
            raise InputError(f"the SNIC period law holds for {self.free} {where} "
                             f"{self.params[self.free]:.12g} (a g = {self.a * self.g:.6g}); "
                             f"{self.free} = {value!r} is on the side of the equilibria")
        return self.C / np.sqrt(abs(d))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (complex eigenvalues as ``[re, im]``)."""
        return strict({
            "model": self.model, "model_options": self.model_options, "params": self.params,
            "free": self.free, "state": self.state,
            "eigenvalues": [complex(e) for e in self.eigenvalues],
            "v": self.v, "w": self.w, "a": self.a, "g": self.g, "side": self.side,
            "C": self.C})


@dataclass(frozen=True)
class SaddleNodeClass(Record):
    """Where the unstable branch of a saddle-node goes.

    Attributes
    ----------
    kind : str
        One of :data:`CLASSES`: ``snic`` (it returns to the saddle-node),
        ``equilibrium`` (it ends on another one, ``end``), ``cycle`` (it ends on a
        periodic orbit of period ``period``), ``unresolved`` (``detail`` says why) or
        ``not classified: saddle type`` (another eigenvalue has a positive real part).
    detail : str
        What was seen, in words.
    end : ndarray or None
        The last state integrated (the equilibrium for ``equilibrium``).
    time : float
        Time integrated.
    normal_form : SaddleNodeNormalForm
    period : float or None
        The cycle's period (``cycle`` only).
    passes : tuple of float
        Centre coordinates at which the orbit passed the saddle-node on its unstable
        side (no return): a branch that passes is not a SNIC, whatever it ends on.
    """

    what: ClassVar[str] = "saddle-node classification"

    kind: str
    detail: str
    end: np.ndarray | None
    time: float
    normal_form: SaddleNodeNormalForm = field(repr=False)
    period: float | None = None
    passes: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        nf = self.normal_form
        return strict({"model": nf.model, "model_options": nf.model_options,
                       "params": nf.params, "kind": self.kind, "detail": self.detail,
                       "end": self.end, "time": self.time, "period": self.period,
                       "passes": list(self.passes),
                       "normal_form": nf.to_dict()})


@dataclass(frozen=True)
class StretchEnd:
    """One end of a SNIC stretch.

    ``kind`` is ``saddle-node-loop`` (a change of class, bracketed: ``params`` is the
    middle of the bracket, ``width`` its width in each free parameter), ``curve end``
    (the stretch runs to the end of the computed branch; ``width`` 0) or ``last
    sample`` (the samples beyond it could not be classified).
    ``other`` names the class on the other side of a saddle-node-loop end.
    """

    kind: str
    params: dict
    width: dict
    other: str = ""

    def to_dict(self) -> dict[str, Any]:
        return strict({"kind": self.kind, "params": self.params, "width": self.width,
                       "other": self.other})


@dataclass(frozen=True)
class SnicStretch(Record):
    """A stretch of a fold curve whose saddle-nodes lie on an invariant circle."""

    what: ClassVar[str] = "SNIC stretch"

    model: str
    model_options: dict
    params: dict
    free: tuple[str, ...]
    branch: int
    start: StretchEnd
    end: StretchEnd

    def to_dict(self) -> dict[str, Any]:
        return strict({"model": self.model, "model_options": self.model_options,
                       "params": self.params, "free": list(self.free),
                       "branch": self.branch, "start": self.start.to_dict(),
                       "end": self.end.to_dict()})


# ------------------------------------------------------------------ normal form
def _null_vectors(A: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Index of the eigenvalue nearest 0, the eigenvalues, and normalised ``v``, ``w``."""
    ev, V = np.linalg.eig(A)
    i = int(np.argmin(np.abs(ev)))
    v = np.real(V[:, i])
    v = v / np.linalg.norm(v)
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    evl, W = np.linalg.eig(A.T)
    w = np.real(W[:, int(np.argmin(np.abs(evl)))])
    w = w / (w @ v)
    return i, ev, v, w


def saddle_node_normal_form(model: ThetaModel, params: Mapping[str, float],
                            state: Sequence[float], free: str) -> SaddleNodeNormalForm:
    """The centre coefficients ``a``, ``g`` and the SNIC period coefficient of a fold.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        Parameters at the fold (validated; defaults fill the rest).
    state : sequence of float
        The fold point, polished (e.g. by ``thetabif.polish.polish(model, "LP", ...)``):
        ``max|f|`` and the smallest eigenvalue must be below 1e-8.
    free : str
        The parameter that unfolds the fold (``g = w . df/dfree``).

    Raises
    ------
    InputError
        ``free`` is not a parameter of the model or does not unfold the fold
        (``g = 0``); ``state`` is not a fold point (the message gives ``max|f|`` and
        the smallest eigenvalue); ``a = 0`` (a cusp, not a simple fold).
    """
    full = model.validate_params(params)
    if free not in full:
        raise InputError(f"free parameter {free!r} is not a parameter of {model.name!r} "
                         f"(have {', '.join(model.parameter_names)})")
    num = model.numeric
    p = num.parameter_vector(full)
    x = np.asarray(state, dtype=float)
    if x.shape != (len(model.state_names),):
        raise InputError(f"state must have {len(model.state_names)} entries "
                         f"({', '.join(model.state_names)}), got {x.shape}")
    A = num.jacobian(x, p)
    i, ev, v, w = _null_vectors(A)
    resid = float(np.max(np.abs(num.rhs(x, p))))
    scale = max(1.0, float(np.max(np.abs(ev))))
    if not (resid <= _FOLD_TOL and abs(ev[i]) <= _FOLD_TOL * scale):
        raise InputError(f"state is not a fold point of {model.name}: max|f| = {resid:.3g}, "
                         f"smallest |eigenvalue| = {abs(ev[i]):.3g} (both must be <= "
                         f"{_FOLD_TOL:g}); polish it with thetabif.polish.polish(model, "
                         "'LP', ...)")
    B = derivative_tensors(model)[0](*x, *p)
    a = 0.5 * float(w @ np.einsum("kij,i,j->k", B, v, v))
    dfdp = num.parameter_jacobian(x, p)[:, model.parameter_names.index(free)]
    g = float(w @ dfdp)
    # relative to the sizes of w and df/dp: a value at round-off level is zero
    if abs(g) <= 1e-10 * max(1.0, np.linalg.norm(w) * np.linalg.norm(dfdp)):
        raise InputError(f"free parameter {free!r} does not unfold this fold "
                         f"(g = w . df/d{free} = {g:.3g}): choose a parameter f depends on")
    if abs(a) <= 1e-10 * max(1.0, np.linalg.norm(w) * np.max(np.abs(B))):
        raise InputError(f"a = w.B(v,v)/2 = {a:.3g} vanishes: a cusp point, not a simple fold")
    order = [i, *[k for k in range(len(ev)) if k != i]]
    return SaddleNodeNormalForm(
        model=model.name, model_options=model_options(model), params=full, free=free,
        state=x, eigenvalues=ev[order], v=v, w=w, a=a, g=g, side=int(np.sign(a * g)),
        C=float(np.pi / np.sqrt(abs(a * g))))


# ------------------------------------------------------------------ classification
def _recurrence(t: np.ndarray, X: np.ndarray, tol: float) -> float | None:
    """Period of a recurrence of the last state in the trajectory ``X`` (rows), or None.

    The last state is revisited within ``tol`` at an earlier time, after the orbit
    has been farther than ``tol`` from it in between.
    """
    d = np.linalg.norm(X - X[-1], axis=1)
    far = np.nonzero(d > tol)[0]
    if far.size == 0:
        return None
    before = np.nonzero(d[: far[-1]] <= tol)[0]
    if before.size == 0:
        return None
    # the closest approach in the last run of close samples before the final run
    run_end = before[-1]
    run_start = run_end
    while run_start > 0 and d[run_start - 1] <= tol:
        run_start -= 1
    k = run_start + int(np.argmin(d[run_start: run_end + 1]))
    return float(t[-1] - t[k])


#: Largest default time bound of :func:`classify_saddle_node` (2e5 time units: 4e6
#: samples at ``dt = 0.05``, ~100 MB for three states).
T_MAX_DEFAULT_CAP = 2e5


def classify_saddle_node(model: ThetaModel, params: Mapping[str, float],
                         state: Sequence[float], free: str, *, eps: float = 1e-2,
                         t_max: float | None = None, dt: float = 0.05,
                         rtol: float = 1e-11, atol: float = 1e-13) -> SaddleNodeClass:
    """Where the unstable branch of a (polished) saddle-node goes.

    The branch is started at ``u* + sign(a) eps v`` (the side the flow leaves:
    ``x' = a x^2``) and integrated forward with the compiled DOP853 integrator. The
    start is off the centre manifold by O(eps^2) in the stable directions, so it lies
    on the strong-stable fibre of a point of the unstable branch at ``x = eps +
    O(eps^2) > 0``, and its orbit converges to that branch exponentially fast: any
    small ``eps`` follows the same branch; a smaller one only costs the escape time
    ``1 / (|a| eps)``.

    Each time the orbit, having left the ball of radius ``5 eps`` around ``u*``,
    enters the ball of radius ``eps``, it is followed for ``10 / |Re l_s|`` more
    (``l_s`` the stable eigenvalue nearest 0: the transient off the centre manifold
    has then decayed by ``e^-10``) and its centre coordinate ``x = sign(a) w . (u -
    u*)`` is read (``w`` annihilates the stable eigenspace, so ``x`` is the position
    along the centre manifold). ``x < 0``: it has landed on the attracting half and
    converges to the saddle-node -- a return, ``snic``. ``x > 0``: it passes the
    saddle-node on the unstable side at distance ``x`` and goes round again. The sign
    decides however close the landing is (down to the ``e^-10 eps`` transient left),
    so no return ball biases the saddle-node-loop points of :func:`snic_stretches`.

    Parameters
    ----------
    model, params, state, free
        As for :func:`saddle_node_normal_form`.
    eps : float
        Initial displacement along ``v``; also the radius of the return ball.
    t_max : float, optional
        Time bound (default ``40 / (|a| eps)``, 40 escape times, at most
        :data:`T_MAX_DEFAULT_CAP`: near a cusp ``a`` vanishes and the escape time with it
        grows without bound; the samples kept would then fill the memory).
    dt : float
        Spacing of the samples checked for a return or a recurrence.
    rtol, atol : float
        Integrator tolerances.

    Returns
    -------
    SaddleNodeClass

    Raises
    ------
    InputError
        As :func:`saddle_node_normal_form`; ``eps``, ``dt`` not positive.
    """
    nf = saddle_node_normal_form(model, params, state, free)
    if not (eps > 0 and dt > 0):
        raise InputError(f"eps and dt must be positive, got eps = {eps!r}, dt = {dt!r}")
    others = nf.eigenvalues[1:]
    if np.any(others.real > 0):
        return SaddleNodeClass("not classified: saddle type",
                               f"eigenvalues {np.round(nf.eigenvalues, 6).tolist()}: another "
                               "one has a positive real part", None, 0.0, nf)
    r_in, r_out = eps, 5 * eps
    t_max = (min(40.0 / (abs(nf.a) * eps), T_MAX_DEFAULT_CAP) if t_max is None
             else float(t_max))
    t_settle = 10.0 / float(np.min(np.abs(others.real))) if others.size else 0.0
    num = model.numeric
    p = num.parameter_vector(nf.params)
    u = nf.state
    sign = np.sign(nf.a)
    x0 = u + sign * eps * nf.v
    chunk = max(100.0, 2.0 / (abs(nf.a) * eps))
    t0, left = 0.0, False
    passes: list[float] = []
    ts, xs = [np.array([0.0])], [x0[None, :]]

    def run(y0: np.ndarray, t_start: float, targets: np.ndarray) -> np.ndarray | str:
        X, status, t_reached, _, _ = num.compiled.integrate(y0, p, t_start, targets, rtol,
                                                            atol)
        if status != 0:
            why = num.compiled.STATUS.get(status, f"status {status}")
            return f"integration stopped at t = {t_reached:.6g}: {why}"
        return X

    while t0 < t_max - 0.5 * dt:
        targets = np.arange(t0 + dt, min(t0 + chunk, t_max) + 0.5 * dt, dt)
        X = run(x0, t0, targets)
        if isinstance(X, str):
            return SaddleNodeClass("unresolved", X, x0, t0, nf, passes=tuple(passes))
        d = np.linalg.norm(X - u, axis=1)
        hit = np.nonzero(d <= r_in)[0] if left else np.nonzero(d > r_out)[0]
        k = int(hit[0]) if hit.size else len(targets) - 1
        ts.append(targets[: k + 1])
        xs.append(X[: k + 1])
        x0, t0 = X[k], float(targets[k])
        if not hit.size:
            continue
        if not left:
            left = True
            continue
        settled = run(x0, t0, np.array([t0 + t_settle]))
        if isinstance(settled, str):
            return SaddleNodeClass("unresolved", settled, x0, t0, nf, passes=tuple(passes))
        xc = float(sign * (nf.w @ (settled[0] - u)))
        # still near (a fast pass would be gone) and on the attracting side
        if xc < 0 and np.linalg.norm(settled[0] - u) <= 2 * r_in:
            return SaddleNodeClass("snic", f"the unstable branch returns at t = {t0:.6g} to "
                                   f"the attracting side of the saddle-node (centre "
                                   f"coordinate {xc:.3g})", settled[0], t0 + t_settle, nf,
                                   passes=tuple(passes))
        passes.append(xc)
        left = False
    t = np.concatenate(ts)
    X = np.concatenate(xs)
    end = X[-1]
    speed = float(np.max(np.abs(num.rhs(end, p))))
    passed = (f"; it passed the saddle-node on its unstable side {len(passes)} time(s), "
              f"last at {passes[-1]:.3g}" if passes else "")
    if speed <= 1e-6:
        eq = newton(model, nf.params, end)
        if eq is not None and np.linalg.norm(eq - u) > r_in:
            return SaddleNodeClass("equilibrium", f"the unstable branch ends on the "
                                   f"equilibrium {np.round(eq, 8).tolist()}{passed}", eq, t0,
                                   nf, passes=tuple(passes))
        return SaddleNodeClass("unresolved", f"the orbit is slow (max|f| = {speed:.2g}) at "
                               f"t = {t0:.6g} but Newton finds no other equilibrium there"
                               f"{passed}: raise t_max", end, t0, nf, passes=tuple(passes))
    half = t >= 0.5 * t[-1]
    # a revisit within 1e-6, or within the distance the orbit covers in two samples
    # (a sample can miss the exact return by up to one)
    tol = max(1e-6, 2.0 * dt * speed)
    period = _recurrence(t[half], X[half], tol)
    if period is not None:
        closest = float(np.min(np.linalg.norm(X[half] - u, axis=1)))
        return SaddleNodeClass("cycle", f"the unstable branch ends on a cycle of period "
                               f"{period:.6g} (closest approach to the saddle-node "
                               f"{closest:.3g}){passed}", end, t0, nf, period,
                               tuple(passes))
    return SaddleNodeClass("unresolved", f"no return, equilibrium or cycle by t = {t0:.6g} "
                           f"(max|f| = {speed:.2g} at the end){passed}: raise t_max", end,
                           t0, nf, passes=tuple(passes))


# ------------------------------------------------------------------ along a fold curve
def _curve_point(data: Mapping[str, np.ndarray], names: Sequence[str], k: int,
                 s: float) -> dict[str, float]:
    """Columns ``names`` interpolated linearly between rows ``k`` and ``k + 1``."""
    return {c: float((1 - s) * data[c][k] + s * data[c][k + 1]) for c in names}


def _classify_on_curve(model: ThetaModel, base: Mapping[str, float], free: Sequence[str],
                       guess: Mapping[str, float], kwargs: Mapping[str, Any]
                       ) -> tuple[bool | None, str, dict[str, float]]:
    """Polish the fold near ``guess`` at fixed ``free[1]`` and classify it.

    Returns ``(snic, class, params)``: ``snic`` True, False, or None when undecided
    (polishing failed, or ``unresolved`` without a pass on the unstable side).
    """
    params = {**base, free[0]: guess[free[0]], free[1]: guess[free[1]]}
    state = [guess[c] for c in model.state_names]
    try:
        pt = polish(model, "LP", (free[0],), state, params)
    except PolishError as exc:
        return None, f"unresolved: polishing failed ({exc})", dict(guess)
    # the polished point must be the one the curve passes (not another fold at this
    # free[1]): 1e-2 is far more than the curve moves between two of its points
    if abs(pt.params[free[0]] - guess[free[0]]) > 1e-2 * max(1.0, abs(guess[free[0]])):
        return None, "unresolved: polishing moved to another fold", dict(guess)
    cls = classify_saddle_node(model, pt.params, pt.state, free[0], **kwargs)
    snic: bool | None = cls.kind == "snic"
    if cls.kind == "unresolved" and not cls.passes:
        snic = None
    return snic, cls.kind, {k: pt.params[k] for k in free}


def _refined(model: ThetaModel, base: Mapping[str, float], free: Sequence[str],
             data: Mapping[str, np.ndarray], names: Sequence[str], qa: float, qb: float,
             pa: Mapping[str, float], pb: Mapping[str, float], mid: dict[str, float],
             width: dict[str, float]) -> tuple[dict[str, float], dict[str, float], str]:
    """A bisected saddle-node-loop bracket refined by
    :func:`thetabif.continuation.snl.saddle_node_loop_between` (the landing coordinate
    brought to zero by brentq, xtol 1e-10); the bisection's result if that fails."""
    n = len(next(iter(data.values())))
    k = min(int(qa), n - 2)
    guess = _curve_point(data, names, k, qa - k)
    lo, hi = sorted((pa[free[1]], pb[free[1]]))
    try:
        snl = saddle_node_loop_between(
            model, free, {**base, **{c: guess[c] for c in free}},
            [guess[c] for c in model.state_names], lo, hi, xtol=SNL_XTOL)
    except (InputError, PolishError) as exc:
        return mid, width, f" (not refined: {exc})"
    point = {c: snl.params[c] for c in free}
    slope = abs(pa[free[0]] - pb[free[0]]) / max(abs(pa[free[1]] - pb[free[1]]), 1e-300)
    return (point, {free[1]: 2 * SNL_XTOL, free[0]: 2 * SNL_XTOL * slope},
            f" (refined: {snl.located_by}, xtol {snl.xtol:g} in {free[1]})")


def snic_stretches(fold: ContinuationResult, *, samples: int = 12, tol: float = 1e-4,
                   refine: bool = True, **classify: Any) -> list[SnicStretch]:
    """The stretches of a fold curve whose saddle-nodes are SNICs, with their ends.

    ``samples`` points evenly spaced (by index) along each branch of ``fold`` are
    polished (Newton on the LP system in ``fold.free[0]`` at fixed ``fold.free[1]``)
    and classified (:func:`classify_saddle_node`, ``classify`` passed on). Between two
    neighbours of which one is ``snic`` and the other not, the change is bisected on
    the curve (linear interpolation between the branch's points, then polished) until
    the bracket is narrower than ``tol`` in both free parameters. The ends are then
    saddle-node-loop points to about ``tol``, but no closer than the return ball of
    the classification allows (about 1e-4 for the n = 2 synaptic model); 1e-6 needs
    HomCont, which is not run here.

    Parameters
    ----------
    fold : ContinuationResult
        A ``fold`` curve from :meth:`Continuation.curve`.
    samples : int
        Points classified per branch (at least 2).
    tol : float
        Width of the bracket of a saddle-node-loop point.
    refine : bool
        Then bring the landing coordinate of :mod:`thetabif.continuation.snl` (the
        centre coordinate at which the saddle-node's leaving branch settles on its
        return) to zero inside the bracket by brentq (xtol :data:`SNL_XTOL` in the
        second free parameter; ``width`` then is that tolerance, and ``other`` says
        so). Where it fails the bisection's point is kept (``other`` says why).

    Raises
    ------
    InputError
        ``fold`` is not a fold curve in two parameters; ``samples < 2``; ``tol <= 0``.
    """
    if getattr(fold, "kind", None) != "fold" or len(getattr(fold, "free", ())) != 2:
        raise InputError("snic_stretches needs a fold curve in two parameters (a "
                         "ContinuationResult of kind 'fold' from Continuation.curve), got "
                         f"kind {getattr(fold, 'kind', type(fold).__name__)!r}")
    if samples < 2 or not tol > 0:
        raise InputError(f"samples must be >= 2 and tol > 0, got {samples!r}, {tol!r}")
    model = model_from_record(fold.model_options)
    free = tuple(fold.free)
    names = (*free, *model.state_names)
    stretches: list[SnicStretch] = []
    for b, branch in enumerate(fold.branches):
        data = {c: np.asarray(branch.data[c], dtype=float) for c in names}
        n = len(branch)
        if n < 2:
            continue
        # positions along the branch: row k + fraction s
        pos = np.linspace(0, n - 1, samples)
        found = []
        for q in pos:
            k = min(int(q), n - 2)
            guess = _curve_point(data, names, k, q - k)
            found.append((q, *_classify_on_curve(model, fold.params, free, guess, classify)))
        # undecided samples are left out: a change is bracketed between decided ones
        found = [f for f in found if f[1] is not None]
        if not found:
            continue
        is_snic = [f[1] for f in found]
        ends: list[StretchEnd] = []
        for i in range(len(found) - 1):
            (qa, sa, ca, pa), (qb, sb, cb, pb) = found[i], found[i + 1]
            if sa == sb:
                continue
            note = ""
            while max(abs(pa[c] - pb[c]) for c in free) > tol:
                qm = 0.5 * (qa + qb)
                k = min(int(qm), n - 2)
                sm, cm, pm = _classify_on_curve(model, fold.params, free,
                                                _curve_point(data, names, k, qm - k),
                                                classify)
                if sm is None:
                    note = f" (bisection stopped: {cm})"
                    break
                if sm == sa:
                    qa, ca, pa = qm, cm, pm
                else:
                    qb, cb, pb = qm, cm, pm
            mid = {c: 0.5 * (pa[c] + pb[c]) for c in free}
            width = {c: abs(pa[c] - pb[c]) for c in free}
            if refine and not note:
                mid, width, note = _refined(model, fold.params, free, data, names, qa, qb,
                                            pa, pb, mid, width)
            ends.append(StretchEnd("saddle-node-loop", mid, width,
                                   (cb if sa else ca) + note))
        # pair the ends into stretches, in order along the branch; a stretch that
        # reaches the first or last decided sample ends there ("curve end" if that
        # sample is the branch's end, else "last sample": the ones beyond were undecided)
        zero = dict.fromkeys(free, 0.0)
        bounds: list[StretchEnd] = []
        if is_snic[0]:
            q, _, _, pq = found[0]
            bounds.append(StretchEnd("curve end" if q == 0 else "last sample", pq, zero))
        bounds += ends
        if is_snic[-1]:
            q, _, _, pq = found[-1]
            bounds.append(StretchEnd("curve end" if q == n - 1 else "last sample", pq, zero))
        for s, e in zip(bounds[::2], bounds[1::2], strict=True):
            stretches.append(SnicStretch(model=fold.model, model_options=fold.model_options,
                                         params=dict(fold.params), free=free, branch=b,
                                         start=s, end=e))
    return stretches
