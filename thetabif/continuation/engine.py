"""Running AUTO-07p: the compiled engine, its restart files, runs and restarted runs.

Owns the engine's executable and its cache (:func:`engine_executable`,
:func:`engine_source_file`), the restart files (``fort.3``) runs start from
(:func:`restart_text`, :func:`equilibrium_restart`, :func:`point_restart`), one AUTO
run (:func:`run`; every state printed in ``fort.7``: :func:`with_every_state`), one
direction of a continuation, restarted until it leaves its box, closes or reaches its
point limit (:func:`follow`, :class:`Direction`), and independent directions run at
once (:func:`concurrently`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from thetabif.auto import (
    RunResult,
    RunStatus,
    cache_dir,
    compile_equations,
    find_auto,
    run_auto,
)
from thetabif.auto.constants import npar, parameter_indices
from thetabif.auto.locate import compiler_stamp
from thetabif.auto.run import allow_runs, cancel_runs
from thetabif.codegen.pregenerate import (
    MODEL_SOURCES,
    cache_key,
    lookup,
    read_source_module,
    write_text_atomic,
)
from thetabif.continuation.options import PERIOD_PAR, auto_names, extremes
from thetabif.continuation.records import Note, StopReason
from thetabif.errors import ContinuationError as ContinuationFailed
from thetabif.models import Model, ThetaModel

#: Files whose content determines the engine's Fortran source (cache key of the index),
#: relative to the package's root.
_CODEGEN_SOURCES = (*MODEL_SOURCES, "codegen/fortran.py", "auto/constants.py")
_ENGINE_NOTE = ("STPNT is not used by thetabif's engine: every run starts from a restart "
                "file (fort.3) written by thetabif.")
_ENGINES: dict[str, Path] = {}

#: One AUTO run: ``(constants, restart text or None, allow_mx) -> RunResult``.
Runner = Callable[..., RunResult]


def _fmt(value: float) -> str:
    # leading blank: Fortran list-directed input needs a separator before a minus sign
    return f" {float(value):.17E}"


def restart_text(state: Sequence[float], pvec: Sequence[float], icp: int, rldot: float,
                 udot: Sequence[float], npar: int | None = None, *, itp: int = 9) -> str:
    """An AUTO-07p solution file (``fort.3``) holding one equilibrium, label 1.

    Parameters
    ----------
    state : sequence of float
        The equilibrium (``U``).
    pvec : sequence of float
        ``PAR(1)...`` (:func:`par_vector`; the rest are zero).
    icp : int
        The free parameter's index the direction refers to.
    rldot, udot
        Direction vector (parameter and state components), unit Euclidean norm.
    npar : int
        ``NPAR`` of the constants (default: the length of ``pvec``, at least 36).
    itp : int
        AUTO's point type: 9 (EP), or 2 (LP) / 3 (HB) for a fold or Hopf point that
        ``ISW=2`` or ``IPS=2`` runs start from (an HB needs its period in PAR(11)).

    Notes
    -----
    The header has AUTO 0.9's 16 integers: IBR, NTOT, ITP, LAB, NFPR, ISW,
    NTPL, NAR, NROWPR, NTST, NCOL, NPAR, NPARI, NDIM, IPS, IPRIV. Values are written with
    17 significant digits (AUTO's own ``fort.8`` keeps 11).
    """
    u = np.asarray(state, dtype=float)
    ndim = len(u)
    npar = max(36, len(pvec)) if npar is None else npar
    par = np.zeros(npar)
    par[: len(pvec)] = np.asarray(pvec, dtype=float)
    rows = ["  " + _fmt(0.0) + "".join(_fmt(v) for v in u), f"    {icp}",
            "  " + _fmt(rldot), "  " + "".join(_fmt(v) for v in udot)]
    rows += ["  " + "".join(_fmt(v) for v in par[i:i + 7]) for i in range(0, npar, 7)]
    head = (f"{1:6d}{1:6d}{itp:6d}{1:6d}{1:6d}{1:6d}{1:8d}{ndim + 1:6d}{len(rows):8d}"
            f"{1:5d}{0:5d}{npar:5d}{0:5d}{ndim:5d}{1:5d}{0:5d}")
    return head + "\n" + "\n".join(rows) + "\n"


def engine_source_file(model: ThetaModel) -> tuple[str, Callable[[], str]]:
    """File name (holding the source's cache key) and lazy text of the engine's Fortran.

    The name is the one :mod:`thetabif.codegen.pregenerate` ships the source under
    (as a Python module with the constant ``SOURCE``).
    """
    name = f"{model.name}_{cache_key(_CODEGEN_SOURCES, 'engine-v3', model.name, _ENGINE_NOTE)}.py"

    def text() -> str:
        from thetabif.codegen.fortran import equation_file  # sympy: cold path only

        defaults = model.validate_params({})
        return equation_file(model, defaults, [0.0] * len(model.state_names), _ENGINE_NOTE)

    return name, text


def engine_executable(model: ThetaModel) -> Path:
    """The compiled AUTO executable of ``model``, shared by all parameter values.

    The executable is a function of the model alone (its ``STPNT`` holds the default
    parameters and is never used by the engine). A small index file in the build cache
    maps (model, thetabif's code generator sources, AUTO installation, compiler) to the
    executable, so a warm start neither imports sympy nor generates Fortran. On a cold
    start the Fortran source of a standard model is read from the package's shipped
    files (:mod:`thetabif.codegen.pregenerate`), so only gfortran runs.
    """
    key = cache_key(_CODEGEN_SOURCES, "engine-v3", model.name, find_auto().fingerprint(),
                    compiler_stamp(), length=24)
    if key in _ENGINES and _ENGINES[key].is_file():
        return _ENGINES[key]
    index = cache_dir() / f"engine-{model.name}-{key}.path"
    try:
        exe = Path(index.read_text().strip())
    except OSError:
        exe = None
    if exe is None or not exe.is_file():
        name, text = engine_source_file(model)
        shipped = lookup("fortran", name)
        source = read_source_module(shipped) if shipped is not None else text()
        exe = compile_equations(source, model.name)
        write_text_atomic(index, str(exe))
    _ENGINES[key] = exe
    return exe


def _render_constants(c: Mapping[str, Any]) -> str:
    """Keyword-style AUTO constants text from a dict (repr of Python literals; numpy
    numbers, as accepted for steps and limits, become plain ones)."""
    return "\n".join(f"{k} = {_plain(v)!r}" for k, v in c.items()) + "\n"


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars replaced by Python numbers, in lists and dicts too."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def par_vector(model: Model, params: Mapping[str, float]) -> np.ndarray:
    """AUTO's ``PAR(1..NPAR)`` holding ``params`` where the model's parameters go
    (:func:`thetabif.auto.constants.parameter_indices`), zero elsewhere."""
    names = model.parameter_names
    par = np.zeros(npar(names, model.state_names))
    for name, idx in parameter_indices(names).items():
        par[idx - 1] = float(params[name])
    return par


def equilibrium_restart(model: Model, params: Mapping[str, float], free: str,
                        state: np.ndarray) -> str:
    """A ``fort.3`` holding an equilibrium, its parameters and the tangent.

    The engine's executable depends on the model only (its ``STPNT`` is never used);
    every equilibrium run starts from such a restart file with ``IRS=1``. The tangent's
    parameter component is positive: ``DS > 0`` increases ``free``.
    """
    num = model.numeric
    p = num.parameter_vector(params)
    u = np.asarray(state, dtype=float)
    k = model.parameter_names.index(free)
    jac = num.jacobian(u, p)
    try:
        udot = -np.linalg.solve(jac, num.parameter_jacobian(u, p)[:, k])
    except np.linalg.LinAlgError:  # singular: AUTO recomputes the tangent anyway
        udot = np.zeros(len(u))
    tangent = np.concatenate([[1.0], udot])
    tangent /= np.linalg.norm(tangent)
    icp = parameter_indices(model.parameter_names)[free]
    return restart_text(u, par_vector(model, params), icp, tangent[0], tangent[1:])


def point_restart(model: ThetaModel, ptype: str, state: np.ndarray,
                  params: Mapping[str, float], free: str, frequency: float | None = None
                  ) -> tuple[str, int, int]:
    """``SpecialPoint._restart`` of an LP or HB that AUTO did not label.

    A ``fort.8`` holding it as AUTO's own (type 2 or 3, label 1), so that curves and
    cycles start from it alike. An HB carries its period ``2 pi / frequency`` in
    PAR(11), from which AUTO's Hopf and cycle starts take omega; the tangent is left
    zero (AUTO computes its own when it switches to two parameters or to cycles).
    """
    itp = {"LP": 2, "HB": 3}[ptype]
    pv = par_vector(model, params)
    if ptype == "HB":
        pv[PERIOD_PAR - 1] = 2 * math.pi / float(frequency)
    icp = parameter_indices(model.parameter_names)[free]
    text = restart_text(state, pv, icp, 0.0, np.zeros(len(state)), itp=itp)
    return text, 1, itp


#: AUTO's ``fort.7`` has at most this many columns of ``ICP`` parameters and states.
PRINTED_COLUMNS = 7


def with_every_state(model: Model, constants: Mapping[str, Any]) -> dict[str, Any]:
    """``constants`` with ``ICP`` extended so that ``fort.7`` holds every state.

    AUTO prints only the first ``7 - len(ICP)`` states. Equilibrium runs (``IPS=1``,
    also of folds and Hopf points) of models with more states list the PARs in which
    the engine's ``PVLS`` stores each state; runs of periodic orbits (``IPS=2``) list
    those of each state's maximum and minimum over the orbit, whatever the model
    (:func:`thetabif.continuation.options.extremes`). Other runs are left as they are.
    """
    ips = constants.get("IPS", 1)
    icp = list(constants.get("ICP", ()))
    if ips == 1 and len(model.state_names) > PRINTED_COLUMNS - len(icp):
        wanted = [i for i, (_, what) in extremes(model).items() if what == "max"]
    elif ips == 2:
        wanted = list(extremes(model))
    else:
        return dict(constants)
    return {**constants, "ICP": icp + [i for i in wanted if i not in icp]}


def run(executable: Path, model: Model, constants: Mapping[str, Any],
        restart: str | None = None, allow_mx: bool = False, *, timeout: float) -> RunResult:
    """One AUTO run of ``model``'s engine.

    Every state of every point comes from ``fort.7``: ``ICP`` lists the PARs where
    ``PVLS`` stores the states (or, on periodic orbits, their maxima and minima) when
    AUTO would not print them all (:func:`with_every_state`).

    Raises
    ------
    ContinuationFailed
        AUTO failed (its status message and its own words), unless ``allow_mx`` and
        AUTO computed a branch before it stopped converging.
    """
    pars, states = auto_names(model)
    # equilibria: only labelled points' eigenvalues are used (special points); cycles
    # need every point's multipliers (missed PD/TR crossings)
    spectra = "labelled" if constants.get("IPS", 1) == 1 else "all"
    result = run_auto(executable, _render_constants(with_every_state(model, constants)),
                      restart, timeout=timeout, par_names=pars, state_names=states,
                      extremes=extremes(model), spectra=spectra)
    if allow_mx and result.status is RunStatus.NO_CONVERGENCE and result.branches:
        return result
    if not result.ok:  # AUTO's status and messages stay on the exception
        raise ContinuationFailed(result.status, result.message, result)
    return result


T = TypeVar("T")


def concurrently(calls: Sequence[Callable[[], T]]) -> list[T]:
    """The results of ``calls``, in order, run at once when there are several.

    For the directions of one branch: each waits on its own AUTO process (a thread
    that holds no lock while AUTO computes), so two directions take the time of one on
    two cores. The first call runs in this thread, the others in daemon threads (which
    never hold up the interpreter's exit). Every call runs to its end; then the first
    exception, in the order of ``calls``, is raised, as if they had run one after the
    other. An interrupt (Ctrl-C reaches this thread only) stops the other threads' AUTO
    runs (:func:`thetabif.auto.run.cancel_runs`) before it propagates.
    """
    if len(calls) < 2:
        return [call() for call in calls]
    outcomes: list[tuple[bool, Any]] = [(False, None)] * len(calls)

    def work(k: int) -> None:
        try:
            outcomes[k] = (True, calls[k]())
        except BaseException as exc:  # handed to the caller's thread below
            outcomes[k] = (False, exc)

    threads = [threading.Thread(target=work, args=(k,), daemon=True)
               for k in range(1, len(calls))]
    try:
        for t in threads:
            t.start()
        try:  # the first call here: an interrupt is not an outcome but goes up
            outcomes[0] = (True, calls[0]())
        except Exception as exc:
            outcomes[0] = (False, exc)
        for t in threads:
            t.join()
    except BaseException:
        cancel_runs()
        try:
            for t in threads:
                t.join(timeout=5.0)
        finally:
            allow_runs()
        raise
    results = []
    for ok, value in outcomes:
        if not ok:
            raise value
        results.append(value)
    return results


@dataclass
class Direction:
    """The AUTO runs that continue a branch in one direction, restarts chained.

    ``closed_at``: index of the point where the branch returned to its start (a
    closed curve); ``stopped``: why the direction ended inside the box, if it did.
    """

    results: list
    closed_at: int | None = None
    stopped: Note | None = None


def direction_coords(results: Sequence[Any], free: Sequence[str],
                      names: Sequence[str], period: bool = False) -> np.ndarray:
    """(free parameters, states[, log period]) along the first branch of chained runs.

    Cycle branches need the period: close to a homoclinic orbit the parameter and the
    stored states stand still to ~1e-10 while the period grows.
    """
    rows = []
    for k, result in enumerate(results):
        if not result.branches:
            continue
        pts = result.branches[0].points[1 if k else 0:]
        rows += [[pt.parameters[f] for f in free] + [pt.state.get(n, 0.0) for n in names]
                 + ([math.log(max(float(pt.parameters.get("period", 1.0)), 1e-300))]
                    if period else []) for pt in pts]
    return np.array(rows, dtype=float).reshape(len(rows),
                                               len(free) + len(names) + int(period))


def _closure_index(coords: np.ndarray, tol: float) -> int | None:
    """Index at which a branch first returns to its start point, else None.

    Returned: the nearest point of the first pass within ``tol`` of the start after
    the branch has been more than ``4 tol`` away, provided the branch passes there
    heading the way it started (so a branch crossing near its start, in projection or
    otherwise, is not taken for closed).
    """
    if len(coords) < 4:
        return None
    d = np.linalg.norm(coords - coords[0], axis=1)
    away = np.nonzero(d > 4 * tol)[0]
    if not len(away):
        return None
    t0 = coords[1] - coords[0]
    for i in away[0] + np.nonzero(d[away[0]:] < tol)[0]:
        j = int(i)
        while j + 1 < len(d) and d[j + 1] < d[j]:
            j += 1
        t = coords[min(j + 1, len(d) - 1)] - coords[j - 1]
        if np.dot(t, t0) > 0.5 * np.linalg.norm(t) * np.linalg.norm(t0):
            return j
    return None


def follow(run: Runner, constants: Mapping[str, Any], restart: str | None,
           free: tuple[str, ...], names: Sequence[str], *, max_points: int,
           closes: bool = False, allow_mx: bool = False,
           period_limit: float | None = None,
           ends: Callable[[Direction], bool] | None = None) -> Direction:
    """One direction of a continuation, NMX steps per AUTO run.

    A run that ends at NMX (an EP point) inside the box is restarted from that
    point in the same direction, until the branch leaves the box, ends at a special
    point where AUTO stops (BT on a Hopf curve, MX), closes on itself (``closes``:
    two-parameter curves), has ``max_points`` points (recorded in ``stopped``, so
    that it cannot pass for a complete branch) or, on cycle branches, a period
    above ``period_limit`` (a homoclinic orbit is near: nothing to restart for).
    ``ends``, when given, says whether the branch has come to an end of its own
    (cycles: at another Hopf point) so that no run follows.
    ``run`` runs AUTO once (:func:`run` with the engine bound); ``names``: the states;
    ``max_points``: an integer >= 2, checked by the caller's options
    (:class:`.options.ContinuationOptions`).
    """
    cyc = period_limit is not None
    constants = {**constants, "NMX": min(int(constants["NMX"]), max_points)}
    direction = Direction([run(constants, restart, allow_mx)])
    tol = 3.0 * float(constants.get("DSMAX", 0.1))
    box = constants.get("UZSTOP") or {}
    # (free parameters, states[, log period]) of the joined branch, grown per run
    coords = direction_coords(direction.results, free, names, cyc)
    while True:
        last = direction.results[-1]
        pts = last.branches[-1].points if last.branches else ()
        if len(pts) < 2 or pts[-1].type != "EP" or not pts[-1].label:
            break
        if any(not (lo <= pts[-1].parameters[k] <= hi) for k, (lo, hi) in box.items()):
            break  # outside the range: AUTO stepped out past a bound (e.g. a start on it)
        if cyc and float(pts[-1].parameters.get("period", 0.0)) > period_limit:
            break
        if ends is not None and ends(direction):
            break
        if closes:
            direction.closed_at = _closure_index(coords, tol)
            if direction.closed_at is not None:
                break
        if len(coords) >= max_points:
            where = ", ".join(f"{k}={pts[-1].parameters[k]:.6g}" for k in free)
            direction.stopped = StopReason.STEP_LIMIT.note(
                f"the branch stopped after {len(coords)} points at {where}, inside the "
                "range; raise max_points (or dsmax) to follow it further")
            break
        c = {**constants, "IRS": pts[-1].label, "DS": abs(float(constants["DS"])),
             "NMX": min(int(constants["NMX"]), max_points - len(coords) + 1)}
        heading = coords[-1] - coords[-2]
        piece = run(c, last.fort8, allow_mx)
        # AUTO's direction on a restart is not the branch's: turn round if needed
        first = direction_coords([piece], free, names, cyc)
        if len(first) > 1 and np.dot(first[1] - first[0], heading) < 0:
            piece = run({**c, "DS": -c["DS"]}, last.fort8, allow_mx)
            first = direction_coords([piece], free, names, cyc)
        direction.results.append(piece)
        coords = np.vstack([coords, first[1:]])
    return direction
