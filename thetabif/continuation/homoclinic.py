"""Homoclinic curves: AUTO's HomCont (``IPS=9``) from a BT point or a long cycle orbit.

Starts. From a Bogdanov-Takens point (a ``BT`` special point of a fold or Hopf curve)
the orbit predicted by the BT normal form (:mod:`.bt_predictor`) is written as AUTO's
start solution over the period ``T``; AUTO's first point is that uncorrected
prediction and is left out. A start from which HomCont does not converge, or whose
two directions run the same way (a start too far off the curve), is dropped for the
next amplitude of :data:`EPS_TRIES`. From a cycle branch (:meth:`Continuation.cycles`)
that ends at a homoclinic orbit, one of its stored orbits of period in
:data:`PERIOD_RANGE` starts HomCont. Either way the curve is followed in two free
parameters both ways inside the box, with ``NSTAB``/``NUNSTAB`` counted at the saddle.

Cuts. HomCont keeps the period ``T`` fixed, so the curve is only a good approximation
of the homoclinic orbit while the saddle's slowest rate times ``T``,
``min(lambda_u, -lambda_s) * T``, stays large: the curve is cut where it falls below
:data:`MIN_SEPARATION`. Near a Bogdanov-Takens point both rates go to zero
(``bt_approach`` message); where the saddle runs into a fold only one does
(:data:`FOLD_RATIO`; ``snl_approach``): the homoclinic curve ends on the fold at a
saddle-node-loop point, located along the fold by :mod:`.snl` and reported as an
``SNL`` point. HomCont is not continued towards it (its output past a non-central
saddle-node homoclinic point is spurious).

Neutral saddles (``lambda_u + lambda_s = 0``) are HomCont's test function ``psi1 = 0``
(``IPSI``): AUTO locates them (``UZR`` on ``psi1``, stored in ``PAR(21)``); they are
reported as special points of type ``NS``, as located by AUTO (``|lambda_u +
lambda_s| <= 1e-9`` there for the n = 2 model; not polished further). The engine's
solution measures therefore live in ``PAR(41..)``, clear of HomCont's
``PAR(12..11+NDIM)`` (the saddle, ``IEQUIB=1``) and ``PAR(21..30)`` (``psi``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from thetabif.auto import RunStatus, parse_fort8
from thetabif.auto.constants import HOMCONT, HOMCONT_PSI_PARS, parameter_indices
from thetabif.continuation.bt_predictor import orbit_restart, predict
from thetabif.continuation.convert import inside, outputs
from thetabif.continuation.engine import ContinuationFailed, Runner, par_vector
from thetabif.continuation.homoclinic_split import (
    homoclinic_branch,
    homoclinic_parameter,
    polish_neutral_saddle,
    saddle_at,
)
from thetabif.continuation.options import PERIOD_PAR, auto_names, check_bounds, check_free
from thetabif.continuation.options import constants as auto_constants
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    LocatedBy,
    Note,
    SpecialPoint,
    StopReason,
)
from thetabif.continuation.snl import locate_saddle_node_loop
from thetabif.equilibrium import newton
from thetabif.errors import InputError, PolishError
from thetabif.models import ThetaModel
from thetabif.polish import polish

#: Periods of a start orbit HomCont accepts here: shorter orbits are not close to the
#: homoclinic orbit; much longer ones (1e6) gave a wrong curve in AUTO 0.9.2.
PERIOD_RANGE = (20.0, 1000.0)
#: Smallest ``min(lambda_u, -lambda_s) * T`` kept on the curve (see the module). From a
#: start orbit of period 509 the fixed-T curve of the n = 2, Delta = 0.5 model turns
#: near BT with this product at 34 and runs back along a curve that is no homoclinic
#: one (with a spurious psi1 = 0): 20 does not cut it there, 100 does (at J = -13.03,
#: lambda_u = 0.19); the curve agrees with the manifold split to 1e-9 down to 500.
MIN_SEPARATION = 100.0
#: ``min(lambda_u, -lambda_s) * T`` of the predicted orbit a BT start gets by default:
#: three times :data:`MIN_SEPARATION`, so the curve can run some way towards BT before
#: it is cut, while T stays moderate (300 / lambda, ~600 at eps = 0.25).
START_SEPARATION = 300.0
#: Amplitudes ``eps`` of the BT predictor tried in turn (saddle eigenvalues ~ +-2 eps).
#: Second-order predictor, eta off the curve at the predicted J (relative to the
#: curve's distance to the fold; first order in brackets): n = 2, Delta = 0.5: 8.8e-6,
#: 0.6 % (9.7e-5, 6.8 %) at 0.25, 4.4e-8 (2.3e-6) at 0.125; first-order synapse model
#: (Delta 0.2, tau_s 0.2; small b / a = -0.019, so the normal form's range is small):
#: 2.9e-3, 139 % (4.4e-3, 922 %) at 0.25, 6.3e-6, 2.1 % (2.6e-5, 9.1 %) at 0.125. A
#: start whose two directions run the same way, or from which HomCont does not
#: converge, is rejected and the next eps tried.
EPS_TRIES = (0.25, 0.125, 0.0625)
#: Ratio of the saddle's leading rates beyond which a cut curve is taken to run into a
#: fold (one rate -> 0) rather than into BT (both -> 0, ratio -> 1; 1.0 to 1.1 measured
#: at the BT cuts of the n = 2 models, 19 to 33 at the fold cuts of the synaptic model).
FOLD_RATIO = 3.0
#: Step along the fold (a fraction of the box's width in the second free parameter)
#: over which the saddle-node-loop point is bracketed (:func:`.snl.locate_saddle_node_loop`).
SNL_STEP = 0.01
#: Largest |AUTO - polished| of a neutral saddle in the free parameters before a
#: warning (AUTO's psi1 = 0 was within 5e-10 of the polished points of the n = 2,
#: Delta = 0.5 model).
NS_POLISH_WARN = 1e-6
#: Points of each branch checked independently (:func:`_checked`): its two ends and
#: evenly spaced ones between.
CHECKED_POINTS = 5
#: Largest |HomCont - manifold return| of a checked point, in the parameter solved for,
#: before a warning (measured: <= 1e-8 for the n = 2 model and PING, HomCont's orbits
#: converged to EPSL = 1e-8 at min(lambda_u, -lambda_s) T >= 100).
CHECK_WARN = 1e-6
#: HomCont's PAR indices of the test functions psi1 (neutral saddle) and psi10.
PSI_PARS = HOMCONT_PSI_PARS


def start_orbit(cycles: ContinuationResult, period: float | None = None) -> tuple[str, int, float]:
    """The stored cycle orbit HomCont starts from: ``(fort8 text, label, period)``.

    The orbit of largest period in :data:`PERIOD_RANGE` among the orbits AUTO stored in
    the run (its solution files, also past the branch's homoclinic cut, where AUTO's
    labels are left out), or the one closest to ``period`` if given.

    Raises
    ------
    InputError
        No stored orbit has a period in :data:`PERIOD_RANGE` (or ``period`` is
        outside it).
    """
    lo, hi = PERIOD_RANGE
    if period is not None and not lo <= period <= hi:
        raise InputError(f"period {period:g} is outside {lo:g}..{hi:g}: HomCont starts "
                         "from an orbit of such a period")
    texts = {p._restart[0] for p in cycles.special_points if p._restart is not None}
    texts |= set(cycles._fort8)
    found = []
    for text in sorted(texts):
        for s in parse_fort8(text):
            found.append((float(s.par[PERIOD_PAR - 1]), s.label, text))
    good = [f for f in found if lo <= f[0] <= hi]
    if not good:
        periods = ", ".join(f"{f[0]:.4g}" for f in sorted(found)) or "none"
        raise InputError(f"no stored cycle orbit has a period in {lo:g}..{hi:g} (stored: "
                         f"{periods}): HomCont needs a long orbit near the homoclinic end "
                         "of the cycle branch, and periods far beyond gave wrong curves")
    key = (lambda f: -f[0]) if period is None else (lambda f: abs(f[0] - period))
    t, label, text = min(good, key=key)
    return text, label, t


def saddle(model: ThetaModel, guess: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """The equilibrium near ``guess``, by the package's one Newton
    (:func:`thetabif.equilibrium.newton`; residual <= 1e-10 accepted)."""
    u = newton(model, params, guess, tol=1e-10)
    if u is None:
        raise ContinuationFailed(f"the saddle was lost along the homoclinic curve at {params}")
    return u


def _saddle_on_orbit(model: ThetaModel, orbit: np.ndarray, params: Mapping[str, float]
                     ) -> np.ndarray:
    """The saddle a long orbit lingers at: Newton from its slowest point."""
    num = model.numeric
    p = num.parameter_vector(params)
    u = np.asarray(orbit, dtype=float).reshape(-1, len(model.state_names))
    slowest = u[np.argmin([np.linalg.norm(num.rhs(x, p)) for x in u])]
    return saddle(model, slowest, params)


def saddle_rates(model: ThetaModel, state: np.ndarray, params: Mapping[str, float]
                 ) -> tuple[float, float]:
    """``(lambda_s, lambda_u)``: the saddle's leading (nearest to 0) stable and unstable
    eigenvalues' real parts (for two states: its two eigenvalues). A side without
    eigenvalues gives ``0.0`` there (no saddle)."""
    num = model.numeric
    eig = np.linalg.eigvals(num.jacobian(np.asarray(state, float), num.parameter_vector(params)))
    re = eig.real
    return (float(max(re[re < 0], default=0.0)), float(min(re[re > 0], default=0.0)))


def saddle_dimensions(model: ThetaModel, state: np.ndarray, params: Mapping[str, float]
                      ) -> tuple[int, int]:
    """``(NUNSTAB, NSTAB)``: the numbers of unstable and stable eigenvalues."""
    num = model.numeric
    eig = np.linalg.eigvals(num.jacobian(np.asarray(state, float), num.parameter_vector(params)))
    return int(np.sum(eig.real > 0)), int(np.sum(eig.real < 0))


class _Start(NamedTuple):
    """Where HomCont starts: the solution file, its label, the fixed period, all
    parameters there, a guess of the saddle, and whether AUTO's first point is the
    uncorrected start (a predicted orbit) to be left out."""

    fort8: str
    label: int
    period: float
    params: dict[str, float]
    saddle: np.ndarray
    predicted: bool
    note: str


def _from_cycles(model: ThetaModel, params: Mapping[str, float], cycles: ContinuationResult,
                 free: tuple[str, ...], period: float | None) -> _Start:
    """The start on the longest stored orbit of a cycles result (see :func:`start_orbit`)."""
    if cycles.model != model.name:
        raise InputError(f"the cycles belong to model {cycles.model!r}, not {model.name!r}")
    fort8, label, t_start = start_orbit(cycles, period)
    start = next(s for s in parse_fort8(fort8) if s.label == label)
    at_start = {**params, **{n: float(start.par[i - 1]) for n, i in
                             parameter_indices(model.parameter_names).items()}}
    other = [n for n in model.parameter_names if n not in free
             and abs(at_start[n] - params[n]) > 1e-12 * max(1.0, abs(params[n]))]
    if other:
        raise InputError(f"the cycles were computed at other parameters ({', '.join(other)}): "
                         "continue them with a Continuation at their parameters")
    return _Start(fort8, label, t_start, at_start, _saddle_on_orbit(model, start.u, at_start),
                  False, f"cycle orbit of period {t_start:.6g}")


def _bt_point(model: ThetaModel, params: Mapping[str, float], point: SpecialPoint,
              free: tuple[str, ...]) -> tuple[np.ndarray, dict[str, float]]:
    """The BT point polished by Newton on the BT system in ``free``.

    Raises
    ------
    InputError
        Another model or other fixed parameters, or Newton finds no BT point near it.
    """
    if point.model and point.model != model.name:
        raise InputError(f"{point.label} belongs to model {point.model!r}, not {model.name!r}")
    other = [f"{n} = {point.params.get(n, np.nan):g} (here {params[n]:g})"
             for n in model.parameter_names if n not in free
             and not abs(point.params.get(n, np.nan) - params[n])
             <= 1e-12 * max(1.0, abs(params[n]))]
    if other:
        raise InputError(f"{point.label} was found at other parameters: {', '.join(other)}; "
                         "use a Continuation at its parameters")
    state = [point.state[n] for n in model.state_names]
    try:
        bt = polish(model, "BT", free, state, {**params, **point.params})
    except PolishError as exc:
        where = ", ".join(f"{n} = {point.params[n]:.10g}" for n in free)
        raise InputError(f"{point.label} at {where} is not a Bogdanov-Takens point: Newton "
                         f"on the BT system failed ({exc})") from None
    moved = max(abs(bt.params[n] - point.params[n]) for n in free)
    if moved > 1e-4 * max(1.0, *(abs(point.params[n]) for n in free)):
        raise InputError(f"{point.label} is not a Bogdanov-Takens point: the nearest one is "
                         f"at {', '.join(f'{n} = {bt.params[n]:.10g}' for n in free)}")
    return np.asarray(bt.state, dtype=float), dict(bt.params)


def _from_bt(model: ThetaModel, state: np.ndarray, bt_params: Mapping[str, float],
             free: tuple[str, ...], eps: float, period: float | None) -> _Start:
    """The predicted orbit of amplitude ``eps`` (:mod:`.bt_predictor`) as a start."""
    try:
        pred = predict(model, state, bt_params, free, eps)
    except InputError as exc:  # an eps beyond the normal form's range
        raise ContinuationFailed(f"the BT predictor failed at eps = {eps:g} ({exc})") from None
    rate = min(pred.lambda_u, -pred.lambda_s)
    if period is None:
        period = START_SEPARATION / rate
    elif rate * period < MIN_SEPARATION:
        raise InputError(f"period {period:g} is too short for eps = {eps:g}: the saddle's "
                         f"slowest rate there is {rate:.4g}, and min(lambda_u, -lambda_s) * "
                         f"period must be >= {MIN_SEPARATION:g} (period >= "
                         f"{MIN_SEPARATION / rate:.4g}; {START_SEPARATION / rate:.4g} is used "
                         "by default)")
    # the model's parameters where the engine keeps them, PAR(11) the period
    par = par_vector(model, pred.params)
    par[PERIOD_PAR - 1] = period
    fort8 = orbit_restart(pred, period, par)
    return _Start(fort8, 1, float(period), dict(pred.params), pred.saddle, True,
                  f"BT predictor, eps = {eps:g}, period {period:.6g}")


def homoclinic(run: Runner, model: ThetaModel, params: Mapping[str, float],
               start: ContinuationResult | SpecialPoint, free: Sequence[str] = ("eta", "J"),
               bounds: Mapping[str, Sequence[float]] | None = None, *,
               period: float | None = None, eps: float | None = None, ds: float = 0.02,
               dsmax: float = 0.2, nmx: int = 2000, ntst: int = 120,
               polish: bool = True, check: bool = True) -> ContinuationResult:
    """The homoclinic curve through the end of a cycle branch or from a BT point.

    ``start``: a result of ``cycles()`` (HomCont starts from its longest stored orbit
    of period in :data:`PERIOD_RANGE`, or the one nearest ``period``) or a BT point
    (HomCont starts from the orbit of amplitude ``eps`` predicted from the BT normal
    form, :mod:`.bt_predictor`; default ``eps``: :data:`EPS_TRIES` in turn until HomCont
    converges; default ``period``: ``START_SEPARATION / min(lambda_u, -lambda_s)``).
    ``bounds``: the box of the two free parameters (default: 10 either side of the
    start). Returns a result of kind ``homoclinic``: one branch per direction with
    columns the free parameters, the saddle's state, ``lambda_s``, ``lambda_u``,
    ``saddle_quantity`` (their sum), ``period`` (HomCont's fixed T), ``r``, ``abs_z``
    of the saddle; neutral saddles as ``NS`` points, located by AUTO and (``polish``)
    polished on the curve (:mod:`.homoclinic_split`; AUTO's location in
    ``auto_params``, the difference in ``polish_difference`` and
    ``extra["auto_difference"]``). With ``check``, :data:`CHECKED_POINTS` points of
    each branch are checked independently of AUTO (:func:`_checked`: the zero of the
    saddle's unstable-manifold return, :mod:`.homoclinic_split`): column
    ``split_difference`` (NaN at the points not checked), a message with the largest,
    and a RuntimeWarning above :data:`CHECK_WARN`.

    Raises
    ------
    InputError
        A start of the wrong kind, model or parameters; a BT point that is not one; no
        usable stored orbit; a period too short for ``eps``; bad free parameters or
        bounds; a start outside the bounds.
    ContinuationFailed
        HomCont computed no point (AUTO's message and what to change).
    """
    free = check_free(model, free)
    if len(free) != 2:
        raise InputError(f"homoclinic() follows a curve in two parameters, got {free}")
    if isinstance(start, SpecialPoint):
        if start.type != "BT":
            raise InputError(f"homoclinic() starts from a BT point or a cycles() result, got "
                             f"a {start.type} point ({start.label})")
        state, bt_params = _bt_point(model, params, start, free)
        tries = EPS_TRIES if eps is None else (float(eps),)
        if not all(e > 0 for e in tries):
            raise InputError(f"eps must be > 0, got {eps!r}")
        center = dict(bt_params)
    elif isinstance(start, ContinuationResult) and start.kind == "cycles":
        if eps is not None:
            raise InputError("eps is for a start at a BT point; a cycles() start has none")
        tries = (None,)
        center = None
    else:
        raise InputError("homoclinic() starts from the result of cycles() or from a BT "
                         "point of curve()")
    failures = []
    for e in tries:
        try:
            begin = (_from_cycles(model, params, start, free, period) if e is None
                     else _from_bt(model, state, bt_params, free, e, period))
        except ContinuationFailed as exc:
            failures.append(str(exc))
            continue
        if center is None:
            center = begin.params
        if bounds is None:
            bounds = {n: (center[n] - 10.0, center[n] + 10.0) for n in free}
        box = check_bounds(model, free, bounds)
        if not inside(center, box) or not inside(begin.params, box):
            where = (f"the start ({', '.join(f'{n} = {begin.params[n]:.6g}' for n in free)}"
                     f"; {begin.note}) lies outside the bounds")
            if begin.predicted and len(tries) > 1 and inside(center, box):
                failures.append(where)  # a smaller amplitude starts nearer the BT point
                continue
            raise InputError(where)
        result = _follow(run, model, begin, free, box, ds=ds, dsmax=dsmax, nmx=nmx, ntst=ntst,
                         polish_ns=polish, check=check)
        if begin.predicted and _same_way(result, begin, free):
            failures.append(f"from the {begin.note}: both directions ran the same way (the "
                            "start is too far from the curve)")
            continue
        if any(len(b) for b in result.branches):
            return result
        failures.append("; ".join(result.messages))
    hint = ("a smaller eps (or a period nearer the default)" if tries != (None,)
            else "another start orbit (period=) or a larger ntst")
    raise ContinuationFailed("HomCont computed no usable piece of the homoclinic curve ("
                             + " | ".join(failures) + f"); try {hint}")


def _meets_fold(lam_s: float, lam_u: float) -> bool:
    """Whether a cut curve runs into a fold rather than into BT: one of the saddle's
    leading eigenvalues has gone to 0 while the other has not (at BT both go to 0
    alike, their ratio -> 1)."""
    small, large = sorted((lam_u, -lam_s))
    return large > FOLD_RATIO * max(small, 0.0)


def _saddle_node_loop(model: ThetaModel, free: tuple[str, ...],
                      box: Mapping[str, tuple[float, float]], p: Mapping[str, float],
                      state: np.ndarray, prev: Mapping[str, float] | None,
                      found: Sequence[SpecialPoint]) -> tuple[SpecialPoint | None, str]:
    """The SNL point where the curve cut at ``p`` ends on the fold (:mod:`.snl`), and a
    sentence on it; ``None`` when it is not found, lies outside the box or is one of
    ``found`` already."""
    if prev is None:
        return None, "the saddle-node-loop point was not located (no curve to follow)"
    lo, hi = box[free[1]]
    direction = 1.0 if p[free[1]] >= prev[free[1]] else -1.0
    try:
        snl = locate_saddle_node_loop(model, free, p, state,
                                      direction * SNL_STEP * (hi - lo))
    except InputError as exc:
        return None, f"the saddle-node-loop point was not located ({exc})"
    where = ", ".join(f"{n} = {snl.params[n]:.10g}" for n in free)
    if not inside(snl.params, box):
        return None, f"the saddle-node-loop point lies outside the box ({where})"
    for q in found:
        if all(abs(q.params[n] - snl.params[n]) < 1e-8 * max(1.0, abs(q.params[n]))
               for n in free):
            return None, f"the curve ends at the saddle-node-loop point found already ({where})"
    r, abs_z = outputs(model, snl.state, snl.params)
    eig = np.linalg.eigvals(model.numeric.jacobian(
        snl.state, model.numeric.parameter_vector(snl.params)))
    point = SpecialPoint(
        type="SNL", label="", params=dict(snl.params),
        state={n: float(snl.state[i]) for i, n in enumerate(model.state_names)},
        r=r, abs_z=abs_z, stable=False, kind="homoclinic", free=free,
        auto_params={n: snl.params[n] for n in free}, period=None,
        # "eigenvalues" of an NS point are its saddle's (lambda_s, lambda_u); here the
        # saddle-node's, as [re, im] pairs, under a name of their own
        extra={"fold_eigenvalues": [[float(e.real), float(e.imag)] for e in eig],
               "landing": snl.landing, "bracket": list(snl.bracket), "xtol": snl.xtol,
               "located_by": snl.located_by},
        stability="saddle-node (fold) with a non-central homoclinic orbit")
    return point, f"the curve ends on the fold at a saddle-node-loop point ({where})"


def _same_way(result: ContinuationResult, begin: _Start, free: tuple[str, ...]) -> bool:
    """Whether both directions first moved the same way from the start (in the free
    parameters): the second point of each branch, seen from the start."""
    steps = []
    for b in result.branches:
        if len(b) < 2:
            return False
        steps.append(np.array([b.data[n][1] - begin.params[n] for n in free]))
    return len(steps) == 2 and float(steps[0] @ steps[1]) > 0


def _slope(branches: Sequence[Branch], free: tuple[str, ...], at: Mapping[str, float]
           ) -> float:
    """``d free[0] / d free[1]`` of the curve at its point nearest ``at`` (its
    neighbours on the branch; 0 when it has none)."""
    best = None
    for b in branches:
        x, y = np.asarray(b.data[free[0]]), np.asarray(b.data[free[1]])
        if len(x) < 2:
            continue
        k = int(np.argmin(np.hypot(x - at[free[0]], y - at[free[1]])))
        i, j = max(k - 1, 0), min(k + 1, len(x) - 1)
        dist = float(np.hypot(x[k] - at[free[0]], y[k] - at[free[1]]))
        if y[j] != y[i] and (best is None or dist < best[0]):
            best = (dist, float((x[j] - x[i]) / (y[j] - y[i])))
    return 0.0 if best is None else best[1]


def _polish_neutral_saddle(model: ThetaModel, free: tuple[str, ...], point: SpecialPoint,
                           branches: Sequence[Branch]) -> SpecialPoint:
    """AUTO's neutral saddle polished on the homoclinic curve
    (:func:`.homoclinic_split.polish_neutral_saddle`); AUTO's point with
    ``extra["unpolished"]`` (and a warning) when that fails."""
    state = [point.state[n] for n in model.state_names]
    where = ", ".join(f"{n} = {point.params[n]:.10g}" for n in free)
    try:
        ns = polish_neutral_saddle(model, point.params, free, state,
                                   _slope(branches, free, point.params))
    except PolishError as exc:
        warnings.warn(f"NS at {where}: not polished ({exc}); AUTO's location stands",
                      RuntimeWarning, stacklevel=4)
        return replace(point, extra={**point.extra, "unpolished": str(exc)})
    diff = max(abs(ns.params[n] - point.params[n]) for n in free)
    if diff > NS_POLISH_WARN:
        warnings.warn(f"NS at {where}: AUTO's location differs from the polished one by "
                      f"{diff:.3g}", RuntimeWarning, stacklevel=4)
    r, abs_z = outputs(model, ns.state, ns.params)
    return replace(
        point, params=dict(ns.params), r=r, abs_z=abs_z, polish_difference=diff,
        state={n: float(ns.state[i]) for i, n in enumerate(model.state_names)},
        extra={**point.extra, "eigenvalues": [ns.lambda_s, ns.lambda_u],
               "saddle_quantity": ns.lambda_s + ns.lambda_u,
               "auto_saddle_quantity": point.extra["saddle_quantity"],
               "auto_difference": {n: point.params[n] - ns.params[n] for n in free},
               "bracket": list(ns.bracket), "xtol": ns.xtol,
               "located_by": LocatedBy.SADDLE_QUANTITY_ROOT.text()})


def _checked(model: ThetaModel, params: Mapping[str, float], free: tuple[str, ...],
             branches: Sequence[Branch]) -> tuple[list[Branch], Note | None]:
    """The branches with the column ``split_difference``: at :data:`CHECKED_POINTS`
    points of each (its ends and evenly spaced ones), the homoclinic point found without
    AUTO -- the zero of the saddle's unstable-manifold return
    (:func:`.homoclinic_split.homoclinic_parameter`) in the free parameter the curve
    crosses most steeply there, the other held -- minus the branch's value (NaN
    elsewhere, and where the check fails: said in the note). A RuntimeWarning when a
    difference exceeds :data:`CHECK_WARN`."""
    out, diffs, failed, worst = [], [], [], None
    for b in branches:
        n = len(b)
        col = np.full(n, np.nan)
        for k in sorted(set(np.linspace(0, n - 1, min(CHECKED_POINTS, n)).astype(int))):
            i, j = max(k - 1, 0), min(k + 1, n - 1)
            dx, dy = (abs(float(b.data[f][j] - b.data[f][i])) for f in free)
            name = free[0] if dx <= dy else free[1]  # solved for: crossing the curve steeply
            p = {f: float(b.data[f][k]) for f in free}
            at = {**params, **p}
            guess = [float(b.data[s_][k]) for s_ in model.state_names]
            try:
                sign = homoclinic_branch(model, at, saddle_at(model, at, guess))
                col[k] = homoclinic_parameter(model, at, name, guess, sign) - p[name]
            except (PolishError, np.linalg.LinAlgError, ValueError) as exc:
                failed.append(f"{', '.join(f'{f} = {p[f]:.8g}' for f in free)} ({exc})")
                continue
            diffs.append(abs(col[k]))
            if worst is None or abs(col[k]) > worst[0]:
                worst = (abs(col[k]), name, p)
        out.append(replace(b, data={**b.data, "split_difference": col}))
    if not diffs and not failed:
        return out, None
    text = (f"independent check of {len(diffs)} points by the saddle's unstable-manifold "
            "return (not AUTO)")
    if worst is not None:
        where = ", ".join(f"{f} = {v:.8g}" for f, v in worst[2].items())
        text += f": largest difference {worst[0]:.2g} in {worst[1]} (at {where})"
        if worst[0] > CHECK_WARN:
            warnings.warn(f"homoclinic curve: {text}, above {CHECK_WARN:g}", RuntimeWarning,
                          stacklevel=4)
    if failed:
        text += "; not checked: " + "; ".join(failed)
    return out, StopReason.CHECKED.note(text)


def _bt_end(model: ThetaModel, free: tuple[str, ...], box: Mapping[str, tuple[float, float]],
            p: Mapping[str, float], state: np.ndarray) -> SpecialPoint | None:
    """The Bogdanov-Takens point where a homoclinic curve cut before it (``bt_approach``)
    ends: Newton on the BT system from the cut (``p``, the saddle ``state``); None when
    Newton fails or the point lies outside the box."""
    try:
        bt = polish(model, "BT", free, list(state), dict(p))
    except (PolishError, InputError, np.linalg.LinAlgError):
        return None
    if not inside(bt.params, box):
        return None
    x = np.asarray(bt.state, dtype=float)
    r, abs_z = outputs(model, x, bt.params)
    return SpecialPoint(
        type="BT", label="", params=dict(bt.params),
        state={n: float(x[i]) for i, n in enumerate(model.state_names)}, r=r, abs_z=abs_z,
        stable=False, kind="homoclinic", free=free, auto_params={},
        extra={"end": "the homoclinic curve ends here; HomCont's fixed-period curve is cut "
                      "before it (bt_approach)",
               "located_by": LocatedBy.BT_END.text()},
        stability="critical: a double zero eigenvalue (Bogdanov-Takens)")


def _follow(run: Runner, model: ThetaModel, begin: _Start, free: tuple[str, ...],
            box: Mapping[str, tuple[float, float]], *, ds: float, dsmax: float, nmx: int,
            ntst: int, polish_ns: bool = True, check: bool = True) -> ContinuationResult:
    """HomCont from ``begin`` both ways inside ``box``, as a result (maybe empty)."""
    pars, _ = auto_names(model)
    nunstab, nstab = saddle_dimensions(model, begin.saddle, begin.params)
    if nunstab + nstab != len(model.state_names):
        raise ContinuationFailed(f"the start's equilibrium is not hyperbolic (at {begin.note})")
    c = auto_constants(
        model, IPS=9, IRS=begin.label, ILP=0, ICP=[*free, "psi1", "psi10", "r"], NTST=ntst,
        NCOL=4, ISP=0, ISW=1, MXBF=0, IID=2, NMX=nmx, NPR=100000, EPSL=1e-8, EPSU=1e-8,
        EPSS=1e-6, DS=ds, DSMIN=1e-6, DSMAX=dsmax,
        parnames={**pars, **{i: n for n, i in PSI_PARS.items()}},
        UZR={"psi1": 0.0}, UZSTOP={**{n: list(box[n]) for n in free}, "psi10": 0.0},
        NUNSTAB=nunstab, NSTAB=nstab, **HOMCONT)
    at_start = begin.params
    t = begin.period  # HomCont keeps the period fixed (PAR(11) is not free)
    branches, specials, messages = [], [], []
    snls: list[SpecialPoint] = []
    bts: list[SpecialPoint] = []
    for sign in (-1, 1):
        try:
            res = run({**c, "DS": sign * ds}, begin.fort8, allow_mx=True)
        except ContinuationFailed as exc:
            messages.append(StopReason.AUTO.note(f"HomCont ({'+' if sign > 0 else '-'}) from "
                                                 f"the {begin.note}: {exc}"))
            continue
        data: dict[str, list] = {k: [] for k in (
            *free, *model.state_names, "lambda_s", "lambda_u", "saddle_quantity",
            "period", "r", "abs_z", "stable", "type")}
        cut = None
        state = begin.saddle
        way = "+" if sign > 0 else "-"
        # an MX point repeats the last converged one
        points = [pt for pt in (res.branches[0].points if res.branches else ())
                  if pt.type != "MX"]
        if begin.predicted:  # AUTO's first point is the uncorrected prediction
            points = points[1:]
        if res.status is RunStatus.NO_CONVERGENCE:
            first = res.message.strip().splitlines()[0] if res.message.strip() else ""
            messages.append(StopReason.AUTO.note(
                f"HomCont ({way}) stopped converging after {len(points)} point(s) from the "
                f"{begin.note}: {first}"))
        p: dict[str, float] | None = None
        for k, pt in enumerate(points):
            prev, p = p, {**at_start, **{n: float(pt.parameters[n]) for n in free}}
            state = saddle(model, state, p)
            lam_s, lam_u = saddle_rates(model, state, p)
            if (k or begin.predicted) and (lam_s >= 0 or lam_u <= 0
                                           or min(lam_u, -lam_s) * t < MIN_SEPARATION):
                cut = (p, lam_s, lam_u, state, prev)
                break
            if not inside(p, box):
                break
            r, abs_z = outputs(model, state, p)
            for n in free:
                data[n].append(p[n])
            for i, n in enumerate(model.state_names):
                data[n].append(float(state[i]))
            data["lambda_s"].append(lam_s)
            data["lambda_u"].append(lam_u)
            data["saddle_quantity"].append(lam_s + lam_u)
            data["period"].append(t)
            data["r"].append(r)
            data["abs_z"].append(abs_z)
            data["stable"].append(False)
            ns = pt.type == "UZ" and abs(float(pt.parameters.get("psi1", np.inf))) < 1e-6
            data["type"].append("NS" if ns else "")
            if ns:
                specials.append(SpecialPoint(
                    type="NS", label="", params=p,
                    state={n: float(state[i]) for i, n in enumerate(model.state_names)},
                    r=r, abs_z=abs_z, stable=False, kind="homoclinic", free=free,
                    auto_params={n: p[n] for n in free}, period=t,
                    extra={"eigenvalues": [lam_s, lam_u], "saddle_quantity": lam_s + lam_u,
                           "located_by": LocatedBy.HOMCONT_PSI1.text()},
                    stability="saddle: neutral (lambda_u + lambda_s = 0)"))
        if cut is not None and _meets_fold(*cut[1:3]):
            p, lam_s, lam_u, state, prev = cut
            snl, note = _saddle_node_loop(model, free, box, p, state, prev, snls)
            if snl is not None:
                snls.append(snl)
            messages.append(StopReason.SNL_APPROACH.note(
                f"the curve was cut at {', '.join(f'{n} = {p[n]:.6g}' for n in free)}, where "
                f"the saddle meets a fold (lambda_u = {lam_u:.3g}, lambda_s = {lam_s:.3g}; "
                f"min(lambda_u, -lambda_s) * T = {min(lam_u, -lam_s) * t:.3g} < "
                f"{MIN_SEPARATION:g}): {note}; HomCont is not continued towards the fold "
                "(its output past a non-central saddle-node homoclinic point is spurious)"))
        elif cut is not None:
            p, lam_s, lam_u, state, _ = cut
            bt = _bt_end(model, free, box, p, state)
            if bt is not None and not any(
                    max(abs(bt.params[n] - q.params[n]) for n in free) < 1e-6 for q in bts):
                bts.append(bt)
            messages.append(StopReason.BT_APPROACH.note(
                f"the curve was cut at {', '.join(f'{n} = {p[n]:.6g}' for n in free)}, where "
                f"min(lambda_u, -lambda_s) * T = {min(lam_u, -lam_s) * t:.3g} < "
                f"{MIN_SEPARATION:g} (T = {t:.4g}): nearer the Bogdanov-Takens point the "
                "fixed-period orbit is no longer close to the homoclinic orbit"))
        data_arr = {k: np.array(v, dtype=object if k == "type" else
                                (bool if k == "stable" else float)) for k, v in data.items()}
        data_arr["type"] = np.array(data["type"], dtype=str)
        branches.append(Branch(kind="homoclinic", free=free, data=data_arr, direction=sign))
    if polish_ns:
        specials = [_polish_neutral_saddle(model, free, sp, branches) for sp in specials]
    if check:
        branches, note = _checked(model, at_start, free, branches)
        if note is not None:
            messages.append(note)
    specials.sort(key=lambda sp: sp.params[free[0]])
    specials = [replace(sp, label=f"NS{i + 1}") for i, sp in enumerate(specials)]
    specials += [replace(sp, label=f"SNL{i + 1}") for i, sp in enumerate(snls)]
    specials += [replace(sp, label=f"BT{i + 1}") for i, sp in enumerate(bts)]
    return ContinuationResult(kind="homoclinic", model=model.name, free=free,
                              params=dict(at_start), branches=tuple(branches),
                              special_points=tuple(specials), messages=tuple(messages))
