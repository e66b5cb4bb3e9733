"""The continuation API: :class:`Continuation`, a thin front over the package's modules.

Owns the user's calls (:meth:`Continuation.equilibria`, :meth:`~Continuation.curve`,
:meth:`~Continuation.cycles`): it checks their arguments (:mod:`.options`), finds where
to start (:mod:`.seeding`), has AUTO follow the branches (:mod:`.engine`) and turns its
output into records (:mod:`.convert`, :mod:`.hopf`, :mod:`.cycles`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from thetabif.auto import RunResult
from thetabif.continuation import engine
from thetabif.continuation.convert import (
    account_for_notes,
    finish,
    inside,
    labelled,
)
from thetabif.continuation.cycle_fold import cycle_fold as _cycle_fold
from thetabif.continuation.cycles import end_at_hopf, finish_cycles
from thetabif.continuation.engine import (
    ContinuationFailed,
    Direction,
    concurrently,
    direction_coords,
    engine_executable,
    equilibrium_restart,
    follow,
)
from thetabif.continuation.homoclinic import homoclinic as _homoclinic
from thetabif.continuation.hopf import hopf_part, with_bautin_points
from thetabif.continuation.options import (
    PERIOD_PAR,
    CurveOptions,
    CycleOptions,
    EquilibriumOptions,
    check_bounds,
    check_free,
    check_steps,
    constants,
    is_positive,
    widened,
)
from thetabif.continuation.records import ContinuationResult, SpecialPoint
from thetabif.continuation.seeding import no_seed, on_branch, seed_sets, seeds_at
from thetabif.errors import InputError
from thetabif.models import Circuit, Model, ThetaModel


class Continuation:
    """Continuation of one model from one parameter set, on AUTO-07p.

    Parameters
    ----------
    model : ThetaModel or Circuit, optional
        Default: the delta-pulse theta model.
    params : mapping, optional
        Starting parameters (defaults fill the rest). The equilibrium branch starts
        on the lowest-rate stable equilibrium there (found by Newton).
    timeout : float
        Seconds allowed per AUTO run.

    Raises
    ------
    ValueError
        Invalid parameters, or no equilibrium at the starting parameters.
    thetabif.auto.AutoNotFoundError, thetabif.auto.CompilerNotFoundError
        AUTO-07p or gfortran missing (the message says how to install them).
    """

    def __init__(self, model: Model | None = None, params: Mapping[str, float] | None = None,
                 *, timeout: float = 120.0) -> None:
        if model is not None and not isinstance(model, (ThetaModel, Circuit)):
            raise TypeError(f"model must be a ThetaModel or a Circuit, got "
                            f"{type(model).__name__}")
        self.model = model or ThetaModel()
        self.params = self.model.validate_params(params)
        check_steps(timeout=timeout)
        self.timeout = float(timeout)
        self._exe: Path | None = None

    def _executable(self) -> Path:
        if self._exe is None:
            self._exe = engine_executable(self.model)
        return self._exe

    def _run(self, constants: Mapping[str, Any], restart: str | None = None,
             allow_mx: bool = False) -> RunResult:
        """One AUTO run of this model's engine (:func:`.engine.run`)."""
        return engine.run(self._executable(), self.model, constants, restart, allow_mx,
                          timeout=self.timeout)

    def _check_free(self, free: Sequence[str]) -> tuple[str, ...]:
        """``free`` checked against the model's parameters (:func:`.options.check_free`)."""
        return check_free(self.model, free)

    def _own_point(self, point: SpecialPoint, types: Sequence[str], use: str
                   ) -> SpecialPoint:
        """``point`` if it can restart a run of this continuation; a loaded point
        (no AUTO restart data) is found again by a short equilibrium run.

        Raises
        ------
        ValueError
            The point is of another type, another model, or was found at other values
            of the parameters that are not free on its run.
        ContinuationFailed
            A loaded point could not be found again.
        """
        if point.type not in types or point.kind != "equilibria":
            raise InputError(f"{use}() starts from an {' or '.join(types)} point of an "
                             f"equilibrium run, got {point.type} {point.label!r} "
                             f"({point.kind})")
        if point.model and point.model != self.model.name:
            raise InputError(f"{point.label} belongs to a run of model {point.model!r}, not "
                             f"{self.model.name!r}: start from a point of this continuation")
        other = [f"{k}={point.params.get(k, math.nan):g} (here {self.params[k]:g})"
                 for k in self.model.parameter_names if k not in point.free
                 and not math.isclose(point.params.get(k, math.nan), self.params[k],
                                      rel_tol=1e-12, abs_tol=1e-12)]
        if other:
            raise InputError(f"{point.label} was found at other parameters: "
                             f"{', '.join(other)}; continue it with a Continuation at its "
                             "parameters")
        if point._restart is not None:
            return point
        (free,) = point.free
        x = point.params[free]
        half = max(0.5, 0.05 * abs(x))
        lo = max(x - half, 0.5 * x) if is_positive(self.model, free) else x - half
        # started away from the point: AUTO detects no fold it starts on
        near = Continuation(self.model, {**self.params, free: x - 0.4 * (x - lo)},
                            timeout=self.timeout)
        found = [p for p in near.equilibria(free, lo, x + half).special_points
                 if p.type == point.type and all(
                     abs(p.params[k] - point.params[k]) <= 1e-6 * max(1.0, abs(point.params[k]))
                     for k in point.params)]
        if not found:
            raise ContinuationFailed(f"{point.label} (loaded, {free} = {x:.10g}) was not found "
                                     f"again by an equilibrium run in {lo:g}:{x + half:g}, so "
                                     "AUTO has no solution to restart from")
        return found[0]

    def equilibria(self, free: str = "eta", start: float = -20.0, stop: float = 20.0, *,
                   options: EquilibriumOptions | None = None, ds: float | None = None,
                   dsmax: float | None = None, nmx: int | None = None,
                   max_points: int | None = None) -> ContinuationResult:
        """Every piece of the equilibrium curve in one parameter inside a range.

        The branches are seeded from every equilibrium at the starting parameters
        (when the start lies in the range) and from every equilibrium at both ends
        of the range, and followed in both directions (inwards from an end) until they
        leave the range. A seed that lies on a branch already followed starts nothing,
        so an S-shaped curve through the start gives two branches (one per direction
        from the lowest-rate stable equilibrium), and a piece of the curve that
        re-enters the range past a fold outside it comes out as a branch of its own.
        Nothing outside ``[start, stop]`` is reported.

        Parameters
        ----------
        free : str
            The continuation parameter.
        start, stop : float
            The parameter range (runs stop at its ends). It must lie in the
            parameter's domain (``> 0`` for ``Delta``, ``tau``, ``tau_s``).
        options : EquilibriumOptions, optional
            Step controls, checked when made (default ``EquilibriumOptions()``).
        ds, dsmax, nmx, max_points
            Replace those of ``options`` (defaults 0.01, 0.02, 5000, 50 000): first and
            largest step (arclength), > 0 (a ``ds`` above ``dsmax`` starts with
            ``dsmax``; ``dsmax`` above ~0.05 lets AUTO step over the upper theta fold
            without detecting it, the branch scan then finds it); steps per AUTO run,
            >= 1 (a run that ends after ``nmx`` steps inside the range is restarted
            from its end point in the same direction); points per direction at most
            (a branch that has not left the range by then is returned with a
            ``step_limit`` message and a RuntimeWarning).

        Raises
        ------
        ValueError
            Bad arguments, or no equilibrium at the start nor at either end.
        ContinuationFailed
            AUTO could not follow any branch.
        """
        opts = EquilibriumOptions.given(options, ds=ds, dsmax=dsmax, nmx=nmx,
                                        max_points=max_points)
        (free,) = self._check_free([free])
        bounds = check_bounds(self.model, [free], {free: (start, stop)})
        lo, hi = bounds[free]
        sets, notes = seed_sets(self.params, free, lo, hi)
        model, names = self.model, self.model.state_names
        followed: list[np.ndarray] = []
        runs: list[tuple[Direction, int]] = []
        self._executable()  # compiled (or found) once, before the directions start

        def direction(u: np.ndarray, at: dict[str, float], sign: int) -> Direction:
            c = constants(model, IRS=1, ICP=[free, "r", "v"], DS=sign * opts.first_step,
                          DSMAX=opts.dsmax, NMX=opts.nmx, UZSTOP=bounds)
            return follow(self._run, c, equilibrium_restart(model, at, free, u), (free,),
                          names, max_points=opts.max_points)

        def record(done: Sequence[Direction], signs: Sequence[int]) -> None:
            for run, sign in zip(done, signs, strict=True):
                runs.append((run, sign))
                followed.append(direction_coords(run.results, (free,), names))

        # one Newton run seeds the start and both ends (batched: cheaper than apart)
        pending = seeds_at(model, self.params, free, sets)
        if not pending:
            raise no_seed(model, self.params, free, lo, hi)
        for u, at, signs in pending:
            if any(on_branch(coords, at[free], u) for coords in followed):
                continue
            # the directions from a seed are independent: their AUTO runs go at once
            # (each a thread waiting on its process)
            record(concurrently([partial(direction, u, at, s) for s in signs]), signs)
        return finish(self.model, self.params, "equilibria", (free,), runs, box=bounds,
                      notes=notes)

    def curve(self, point: SpecialPoint, free: Sequence[str] = ("eta", "J"),
              bounds: Mapping[str, tuple[float, float]] | None = None, *,
              options: CurveOptions | None = None, ds: float | None = None,
              dsmax: float | None = None, nmx: int | None = None,
              max_points: int | None = None, bautin: bool | None = None,
              margin: float | None = None) -> ContinuationResult:
        """Follow a fold (LP) or Hopf (HB) point in two parameters, both directions.

        The curve is followed until it leaves ``bounds`` (default eta in [-20, 20],
        J in [-60, 60]), ends where AUTO ends it (a Hopf curve at a BT point, where
        omega -> 0), or returns to its start: a closed curve is cut there, the other
        direction is not run, and a ``closed`` message says so. AUTO runs ``nmx``
        steps at a time and is restarted from the end of a run that stopped inside the
        box; a curve still inside after ``max_points`` points per direction comes back
        with a ``step_limit`` message and a RuntimeWarning. On Hopf curves,
        ``bautin=True`` also looks for sign changes of the first Lyapunov coefficient
        and adds the GH points found that way (``extra["detected_by"]``), polished by
        Newton on the GH system, to those AUTO labels.

        Only what lies inside ``bounds`` is reported. The curve is followed ``margin``
        times the box's width beyond each side (inside the parameters' domain), so a
        curve that leaves the box and comes back within that margin gives each of its
        pieces inside the box as a branch of its own.

        ``options`` (:class:`CurveOptions`, checked when made) hold the step controls,
        ``bautin`` and ``margin``; the keyword arguments of the same names replace
        theirs (defaults ds 0.01, dsmax 0.05, nmx 5000, max_points 50 000, bautin
        True, margin 0.5).

        Raises
        ------
        ValueError
            The point is not an LP/HB of an equilibrium run of this model at these
            parameters, lies outside ``bounds``, or a range is given for a parameter
            that is not free.
        """
        opts = CurveOptions.given(options, ds=ds, dsmax=dsmax, nmx=nmx,
                                  max_points=max_points, bautin=bautin, margin=margin)
        point = self._own_point(point, ("LP", "HB"), "curve")
        free = self._check_free(free)
        if len(free) != 2:
            raise InputError(f"a curve needs two free parameters, got {list(free)}")
        extra_names = sorted(set(bounds or {}) - set(free))
        if extra_names:
            raise InputError(f"a range is given for {', '.join(map(repr, extra_names))}, "
                             f"which is not free on this curve (free: {', '.join(free)})")
        default = {"eta": (-20.0, 20.0), "J": (-60.0, 60.0)}
        given = {**default, **(bounds or {})}
        for name in free:
            if name not in given:
                raise InputError(f"give a range for {name!r} in bounds")
        box = check_bounds(self.model, free, given)
        if not inside(point.params, box):
            raise InputError(f"{point.label} lies outside the box: "
                             + ", ".join(f"{k} = {point.params[k]:.10g} (range {lo:g}:{hi:g})"
                                         for k, (lo, hi) in box.items()))
        follow_box = widened(self.model, box, opts.margin)
        fort8, label, _ = point._restart
        kind = "fold" if point.type == "LP" else "hopf"
        runs: list[tuple[Direction, int]] = []
        for sign in (1, -1):
            # UZR: a point exactly where the curve crosses the box's sides
            c = constants(self.model, IRS=label, ISW=2, ICP=[*free, "r", "v"],
                          DS=sign * opts.first_step, DSMAX=opts.dsmax, NMX=opts.nmx,
                          UZSTOP=follow_box, UZR=box)
            runs.append((follow(self._run, c, fort8, free, self.model.state_names,
                                max_points=opts.max_points, closes=True), sign))
            if runs[-1][0].closed_at is not None:
                break  # the other direction is the same closed curve
        res = finish(self.model, self.params, kind, free, runs, box=box)
        results = [r for d, _ in runs for r in d.results]
        if kind == "hopf":
            res = hopf_part(self.model, self.params, res)
        if kind == "hopf" and opts.bautin:
            res = with_bautin_points(self.model, self.params, res, free, results)
        # points added from the branch (BT ends, GH by l1) are polished: keep those inside
        kept = tuple(p for p in res.special_points if inside(p.params, box))
        if len(kept) < len(res.special_points):
            res = replace(res, special_points=labelled(kept, free))
        if kind == "hopf":
            res = account_for_notes(res, results, box)
        return res

    def cycles(self, point: SpecialPoint, free: str = "eta", start: float = -20.0,
               stop: float = 20.0, *, options: CycleOptions | None = None,
               ds: float | None = None, dsmax: float | None = None, nmx: int | None = None,
               max_points: int | None = None, max_period: float | None = None,
               ntst: int | None = None) -> ContinuationResult:
        """Periodic orbits born at a Hopf point, continued in one parameter.

        AUTO runs ``nmx`` steps at a time, restarted from the end of a run that stopped
        inside the range, up to ``max_points`` points (then a ``step_limit`` message
        and a RuntimeWarning). The branch has each state's maximum (column ``NAME``) and
        minimum (``NAME_min``) over every orbit, from AUTO's own table (the engine's
        ``PVLS``); every tenth orbit is stored with its profile, giving min/max of r
        and |z|.
        When the period grows beyond ``max(5 T_Hopf, max_period / 5)``, the branch
        approaches a homoclinic orbit: a ``homoclinic_approach`` message is added, and
        AUTO's eventual non-convergence there (MX) is not an error.

        AUTO 0.9.2 misses a period doubling or torus bifurcation when the multiplier
        passes the unit circle within one step from far off (its PD test function is
        off while the flip multiplier is above -0.5). Where the Floquet multipliers
        show such a crossing (periods below 5 T_Hopf) and AUTO labelled no PD/TR
        there, that stretch is re-run with 1/20 of the step and AUTO's PD/TR taken
        from the rerun (``extra["detected_by"]``, and a message; if AUTO still labels
        none, it is placed by interpolation, ``extra["located_by"]``). Without such a
        crossing nothing is re-run.

        ``options`` (:class:`CycleOptions`, checked when made) hold the step controls,
        ``max_period`` and ``ntst``; the keyword arguments of the same names replace
        theirs (defaults ds 0.01, dsmax 0.5, nmx 400, max_points 4000, max_period 500,
        ntst 80).
        """
        opts = CycleOptions.given(options, ds=ds, dsmax=dsmax, nmx=nmx,
                                  max_points=max_points, max_period=max_period, ntst=ntst)
        point = self._own_point(point, ("HB",), "cycles")
        (free,) = self._check_free([free])
        box = check_bounds(self.model, [free], {free: (start, stop)})
        if not inside(point.params, box):
            lo, hi = box[free]
            raise InputError(f"{point.label} lies outside the range: {free} = "
                             f"{point.params[free]:.10g}, range {lo:g}:{hi:g}")
        fort8, label, _ = point._restart
        c = constants(self.model, IPS=2, IRS=label, ICP=[free, PERIOD_PAR], NTST=opts.ntst,
                      NPR=10, EPSL=1e-7, EPSU=1e-7, EPSS=1e-5, DS=opts.first_step,
                      DSMAX=opts.dsmax, NMX=opts.nmx,
                      THL={PERIOD_PAR: 0.0},
                      # AUTO does not stop a run at a range end it starts on: stop 1 %
                      # beyond it (inside the domain); the records are cut to the range,
                      # and UZ orbits lie exactly at its ends
                      UZSTOP=widened(self.model, box, 0.01), UZR=box)
        omega = point.extra.get("frequency")
        # beyond this period the branch approaches a homoclinic orbit (.cycles)
        limit = max(5 * 2 * np.pi / omega if omega else 0.0, 0.2 * opts.max_period)
        direction = follow(self._run, c, fort8, (free,), self.model.state_names,
                           max_points=opts.max_points, allow_mx=True, period_limit=limit,
                           ends=lambda d: end_at_hopf(self.model, self.params, d, free)[1]
                           is not None)
        return finish_cycles(self._run, self.model, self.params, direction, c, free, omega,
                             opts.max_period, box)

    def homoclinic(self, start: ContinuationResult | SpecialPoint,
                   free: Sequence[str] = ("eta", "J"),
                   bounds: Mapping[str, Sequence[float]] | None = None, *,
                   period: float | None = None, eps: float | None = None, ds: float = 0.02,
                   dsmax: float = 0.2, nmx: int = 2000, ntst: int = 120) -> ContinuationResult:
        """The homoclinic curve in two parameters (AUTO's HomCont), from a BT point or
        from the end of a cycle branch.

        ``start`` is a BT point (of a :meth:`curve` result; polished by Newton first)
        or a result of :meth:`cycles`. From a BT point HomCont starts from the
        homoclinic orbit of amplitude ``eps`` predicted by the BT normal form (saddle
        eigenvalues about +-2 eps; default: 0.25, then 0.125, 0.0625 until HomCont
        converges with its two directions running apart) over the period ``period``
        (default: 300 / the saddle's slowest rate). From cycles it starts from the
        stored orbit of largest period in 20..1000 (or the one nearest ``period``).
        The curve is followed both ways inside ``bounds`` (default: 10 either side of
        the start). The result, of kind ``homoclinic``, has one branch per direction
        (columns: the free parameters, the saddle's state, ``lambda_s``, ``lambda_u``,
        ``saddle_quantity``, ``period``, ``r``, ``abs_z``) and the neutral saddles as
        ``NS`` points (located by AUTO: ``psi1 = 0``, then polished on the curve). Five
        points of each branch are checked without AUTO (column ``split_difference``:
        the zero of the saddle's unstable-manifold return minus the branch's value;
        a ``checked`` message, a RuntimeWarning above 1e-6). Near a Bogdanov-Takens point
        the curve is cut (``bt_approach`` message) and the BT point it ends at is a
        ``BT`` point of the result (Newton from the cut); where it runs into a fold it is cut
        too (``snl_approach``) and its end on the fold, a saddle-node-loop point, is
        located (:mod:`thetabif.continuation.snl`) and reported as an ``SNL`` point; see
        :mod:`thetabif.continuation.homoclinic`.

        Raises
        ------
        ValueError
            Not a BT point (Newton on the BT system fails) or cycles result of this
            model and parameters, no stored orbit of a usable period, a period too
            short for ``eps``, bad free parameters or bounds.
        ContinuationFailed
            HomCont computed no point (with AUTO's message and what to change).
        """
        check_steps(ds=ds, dsmax=dsmax, nmx=nmx, ntst=ntst)
        return _homoclinic(self._run, self.model, self.params, start, free, bounds,
                           period=period, eps=eps, ds=ds, dsmax=dsmax, nmx=nmx, ntst=ntst)

    def cycle_fold(self, point: SpecialPoint, free: Sequence[str] = ("eta", "J"),
                   bounds: Mapping[str, Sequence[float]] | None = None, *, ds: float = 0.01,
                   dsmax: float = 0.1, nmx: int = 500, ntst: int = 80,
                   max_points: int = 3000) -> ContinuationResult:
        """The fold of cycles (LPC) through an LP of a :meth:`cycles` result, in two
        parameters (AUTO: ``IPS=2``, ``ISW=2``, the period free), both directions inside
        ``bounds`` (default: 10 either side of the point).

        ``free[0]`` must be the parameter of the cycles run. Each direction ends at the
        box, where the fold of cycles meets the Hopf curve (a Bautin point: ``hopf_end``
        message), or where AUTO stops converging (the cycles growing into a homoclinic
        orbit; AUTO's message). The result, of kind ``cycle_fold``, has one branch per
        direction (columns: the free parameters, ``period``); see
        :mod:`thetabif.continuation.cycle_fold`.

        Raises
        ------
        ValueError
            Not an LP of a cycles run of this continuation, bad free parameters or
            bounds, a point outside them.
        ContinuationFailed
            AUTO generated no starting data, or no point inside the box.
        """
        check_steps(ds=ds, dsmax=dsmax, nmx=nmx, ntst=ntst, max_points=max_points)
        free = self._check_free(free)
        if bounds is None:
            bounds = {n: (point.params[n] - 10.0, point.params[n] + 10.0) for n in free}
        missing = [n for n in free if n not in bounds]
        if missing:
            raise InputError(f"give a range for {', '.join(map(repr, missing))} in bounds")
        return _cycle_fold(self._run, self.model, self.params, point, free, bounds, ds=ds,
                           dsmax=dsmax, nmx=nmx, ntst=ntst, max_points=max_points)
