"""Time-course verification: what the bifurcation diagram predicts, checked by simulation.

For every phase of an input protocol the diagram (a one-parameter continuation of
equilibria in ``eta``, plus the limit cycles born at its Hopf points) predicts the
attractor the system reaches, without simulating:

* ``I_ext`` and ``eta`` enter every model variant only as ``eta + I_ext``, so the phase
  with input ``I`` sits at ``eta_eff = eta + I`` on the diagram's ``eta`` axis; in a
  circuit the protocol drives one population ``P`` (``input_population``, default the
  first), whose ``I_ext_P`` enters only as ``eta_P + I_ext_P``, and the diagram is in
  ``eta_P`` (:func:`drive_parameters`; below, ``eta`` and ``I_ext`` stand for them);
* the equilibria there are the branch points interpolated at ``eta_eff`` (polished by
  Newton unless ``polish=False``), their eigenvalues give node/focus, the decay rate
  ``-max Re(lambda)`` and the frequency ``Im(lambda)`` of the slowest mode;
* stable limit cycles there come from continuing the cycles of each Hopf point up to
  ``eta_eff`` exactly (AUTO stops on the bound), giving their period and range of r.
  Every Hopf point that can give such a cycle lies on the stretch of unstable
  equilibria through the focus the cycle surrounds, so the default diagram
  (:func:`protocol_diagram`) is widened until that stretch ends inside it; a stretch
  that still runs out of a diagram is noted in the prediction;
* past a fold whose saddle-node lies on an invariant circle (SNIC), where no
  equilibrium is stable and no Hopf point gives a cycle, the cycle through the ghost
  of the saddle-node is predicted (:func:`snic_cycle`): the fold is polished,
  classified by :func:`thetabif.snic.classify_saddle_node`, and its normal form gives
  the period to leading order, ``C / sqrt(|eta_eff - eta_SN|)``; the range of r is not
  predicted.

**Hysteresis rule.** The attractor of a phase is the one whose basin contains the
state at the phase start: ``z0`` for the first phase, the previous phase's predicted
attractor afterwards. Where several stable equilibria coexist, the basins are
separated by the stable manifolds of the saddles (one unstable eigenvalue) between
them; each is replaced by its tangent hyperplane at the saddle, ``w . (u - u_s) = 0``
with ``w`` the left eigenvector of the unstable eigenvalue, and the predicted
attractor is the one on the same side of every such hyperplane as the start state
(a stable cycle is represented by the unstable focus it surrounds). Without a
saddle, or if the sides do not decide, the nearest stable equilibrium is taken. A
cycle persists when the previous phase ended on a cycle and a stable cycle exists.
The rule that decided is stored in ``predicted["rule"]``.

Then the protocol is simulated and each phase compared with its prediction, with the
tolerances of :class:`Tolerances`, to a verdict: pass, fail (the observation
contradicts the prediction) or inconclusive (nothing contradicts it, but the phase is
too short to confirm it; not a pass). A cycle near its Hopf point attracts at the rate
``~2 Re(lambda)`` of the focus inside, a weakly damped focus at its ``-Re(lambda)``; a
phase too short for that is inconclusive, with the phase length that would be needed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from thetabif.continuation import Continuation, ContinuationFailed, ContinuationResult
from thetabif.equilibrium import Equilibrium, find_equilibria, newton
from thetabif.errors import InputError, NumericalError
from thetabif.models import Model, ThetaModel
from thetabif.polish import polish as polish_point
from thetabif.protocols import Phase, Protocol
from thetabif.records import (
    LoadableRecord,
    Record,
    json_text,
    model_options,
    options_from_name,
    strict,
)
from thetabif.simulation import initial_state, simulate
from thetabif.snic import classify_saddle_node, saddle_node_normal_form

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure


#: eta margin of :func:`protocol_diagram` around the phases' eta + I_ext
DIAGRAM_MARGIN = 10.0
#: factor by which a side of that window grows while an unstable focus runs out of it
DIAGRAM_GROWTH = 4.0
#: the largest margin it grows to (two growths: 10, 40, 160)
DIAGRAM_MAX_MARGIN = 160.0
#: |u - u*| below which the decay from a phase's start state is linear (fit window top)
LINEAR_REGIME = 1e-2
#: |u - u*| below which the simulated state is noise, relative to max(1, |u*|): the
#: rtol = 1e-10 solution scatters by 1e-11..3e-9 (measured on the tutorial, |u*| ~ 1;
#: 2e-9 in the state of the n = 3 conductance model with a synapse, against a run at
#: rtol = 1e-12), and the solver's error scales with the size of the state
NOISE_FLOOR = 1e-7
#: samples a decay-rate fit needs between LINEAR_REGIME and NOISE_FLOOR
MIN_FIT_SAMPLES = 10
#: zero crossings of r - r* a frequency is measured from (two half periods)
FREQUENCY_CROSSINGS = 3
#: singular values of the normalised fit window kept by the decay-rate fit, relative to
#: the largest: a column normalised to |u - u*| = 1 carries noise up to 1e-9 / 1e-7 =
#: 1e-2 at the window's bottom, so weaker directions cannot be told from noise
FIT_RANK_TOL = 1e-2
#: verdicts of a phase (and of a verification: its worst phase's)
VERDICTS = ("pass", "inconclusive", "fail")


@dataclass(frozen=True)
class Tolerances:
    """Pass criteria of a phase.

    Attributes
    ----------
    r_abs : float
        Allowed ``|r_end - r*|`` once the predicted transient has died out. The
        simulation's global error is ~1e-9 (rtol 1e-10); 1e-6 leaves room for a phase
        that has converged to ~1e-7 without demanding more than the solver gives.
    transient_factor : float
        A phase that is too short to converge must still end within
        ``transient_factor * |r_start - r*| * cond(V) * exp(-rate * duration)`` of r*
        (linear theory with the eigenvector matrix ``V``); the factor 3 absorbs the
        nonlinear first part of the transient.
    rate_rel : float
        Relative tolerance of the measured decay rate. It is fitted (a linear map, so a
        complex pair is fitted as one) where ``NOISE_FLOOR < |u - u*| < LINEAR_REGIME``
        (1e-7 and 1e-2): the upper end still carries O(1e-2) nonlinear corrections to
        the rate, so 5 % (measured: 0.01..0.4 % on the tutorial and on strongly damped
        foci). A phase that starts within the noise floor of its equilibrium has no
        transient to fit; only its r is judged.
    frequency_rel : float
        Relative tolerance of the frequency of a damped oscillation, measured from
        the spacing of zero crossings of ``r - r*`` above r's noise band, which is
        exact for the linear flow; 2 % covers the same nonlinear corrections. A focus
        too strongly damped to show enough crossings above the noise band has its
        frequency reported as not measurable (see :func:`_judge_oscillation`).
    period_rel : float
        Relative tolerance of a limit cycle's period. AUTO's orbit (NTST=80, NCOL=4)
        is accurate to ~1e-7; crossing times interpolated on the 0.01 output grid and
        the remaining slow transient of the simulation stay below 1e-3.
    snic_period_rel : float
        Relative tolerance of the period of a cycle past a SNIC, predicted by the
        leading term ``C / sqrt(d)`` of the normal form: the time spent away from the
        saddle-node's ghost is O(1), left out, so the leading term is low by a fraction
        that grows with d. On the n = 2 first-order-synapse model (Delta 0.2, tau_s
        0.2, J = -25) it was low by 0.10, 0.26, 0.50, 0.78 and 1.3 % at d = 0.002,
        0.0139, 0.05, 0.1 and 0.2 (simulated periods 78.19 .. 7.91); 3 % covers that
        with room. Farther from the fold the law is not meant to hold.
    range_rel : float
        Tolerance of the cycle's min and max of r, relative to the predicted amplitude
        ``r_max - r_min`` (extrema refined by a parabola through the three samples).
    """

    r_abs: float = 1e-6
    transient_factor: float = 3.0
    rate_rel: float = 0.05
    frequency_rel: float = 0.02
    period_rel: float = 1e-3
    range_rel: float = 5e-3
    snic_period_rel: float = 0.03


@dataclass(frozen=True)
class PhaseCheck(LoadableRecord):
    """Prediction, observation and verdict of one protocol phase.

    Attributes
    ----------
    verdict : {"pass", "inconclusive", "fail"}
        ``"fail"``: the observation contradicts the prediction. ``"inconclusive"``:
        nothing contradicts it, but the phase is too short for the predicted attractor
        to be reached closely enough to confirm it (by linear theory); a longer phase
        decides. Only ``"pass"`` counts as a pass.
    failures : tuple of str
        Why the phase did not pass: the contradictions, or what could not be
        confirmed and the phase length that would be needed.
    """

    name: str
    start: float
    stop: float
    I_ext: float
    predicted: dict
    observed: dict
    verdict: str
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the verdict is ``"pass"``."""
        return self.verdict == "pass"

    what: ClassVar[str] = "phase check"

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON entry: name, start, stop, predicted, observed, pass, verdict."""
        return {"name": self.name, "start": self.start, "stop": self.stop,
                "I_ext": self.I_ext, "predicted": strict(self.predicted),
                "observed": strict(self.observed), "pass": self.passed,
                "verdict": self.verdict, "failures": list(self.failures)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PhaseCheck:
        """The check :meth:`to_dict` wrote (its ``null`` numbers as NaN)."""
        return cls(d["name"], d["start"], d["stop"], d["I_ext"], _nan(d["predicted"]),
                   _nan(d["observed"]), d["verdict"], tuple(d["failures"]))


@dataclass(frozen=True)
class VerificationResult(Record):
    """Per-phase predicted vs observed behaviour of one protocol run.

    Saved as JSON (:meth:`save`, the ``--json`` document); not loaded back, as the
    time course is not in it.

    Attributes
    ----------
    model : str
        The model's name.
    params : dict
    protocol : Protocol
    z0 : complex
    phases : tuple of PhaseCheck
    dataset : xarray.Dataset
        The simulated time course.
    tolerances : Tolerances
    model_options : dict
        The model's options n, synapse and coupling (from its name when not given).
    input : str
        The input parameter the protocol drives (``I_ext``, a circuit's ``I_ext_P``).
    """

    model: str
    params: dict
    protocol: Protocol
    z0: Any
    phases: tuple[PhaseCheck, ...]
    dataset: Any = field(repr=False)
    tolerances: Tolerances = field(default_factory=Tolerances)
    model_options: dict = field(default_factory=dict)
    input: str = "I_ext"

    what: ClassVar[str] = "verification"

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_options",
                           dict(self.model_options) or options_from_name(self.model))

    @property
    def passed(self) -> bool:
        """True when every phase passed."""
        return all(p.passed for p in self.phases)

    @property
    def verdict(self) -> str:
        """``"fail"`` if a phase failed, else ``"inconclusive"`` if one was, else
        ``"pass"``."""
        return max((p.verdict for p in self.phases), key=VERDICTS.index, default="pass")

    def to_dict(self) -> dict[str, Any]:
        """``{"phases": [...], "pass": bool, "verdict": str}`` plus model, parameters
        and tolerances."""
        z0 = ({k: [complex(v).real, complex(v).imag] for k, v in self.z0.items()}
              if isinstance(self.z0, Mapping) else [self.z0.real, self.z0.imag])
        return {"model": self.model, "model_options": self.model_options,
                "params": self.params, "protocol": self.protocol.describe(),
                "input": self.input, "z0": z0,
                "tolerances": asdict(self.tolerances),
                "phases": [p.to_dict() for p in self.phases], "pass": self.passed,
                "verdict": self.verdict}

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as strict JSON text (kept for older callers; :meth:`save`
        writes it to a file)."""
        return json_text(self.to_dict(), **kwargs)

    def to_dataframe(self):
        """One row per phase: the main predicted and observed numbers."""
        import pandas as pd

        rows = []
        for p in self.phases:
            pr, ob = p.predicted, p.observed
            rows.append({
                "phase": p.name, "start": p.start, "stop": p.stop, "I_ext": p.I_ext,
                "attractor": pr.get("kind"), "type": pr.get("type"),
                "r_pred": pr.get("r"), "r_obs": ob.get("r_end"),
                "rate_pred": pr.get("decay_rate"), "rate_obs": ob.get("decay_rate"),
                "freq_pred": pr.get("frequency"), "freq_obs": ob.get("frequency"),
                "period_pred": pr.get("period"), "period_obs": ob.get("period"),
                "rule": pr.get("rule"), "pass": p.passed, "verdict": p.verdict,
            })
        return pd.DataFrame(rows)

    def table(self) -> str:
        """A plain-text table, one line per phase, failures listed below."""
        lines = [f"model {self.model}; {self.protocol.describe()}; z0 = {self.z0}"]
        head = (f"{'phase':<8} {'t':>13} {'I':>5} {'attractor':<15} {'predicted':<36} "
                f"{'observed':<36} verdict")
        lines.append(head)
        for p in self.phases:
            pr, ob = p.predicted, p.observed
            if pr.get("kind") == "equilibrium":
                att = f"eq ({pr['type']})"
                pred = f"r={pr['r']:.7g} rate={pr['decay_rate']:.4g}"
                obs = f"r={ob.get('r_end', float('nan')):.7g} rate={_fmt(ob.get('decay_rate'))}"
                if pr["type"] == "focus":
                    pred += f" w={pr['frequency']:.4g}"
                    obs += f" w={_fmt(ob.get('frequency'))}"
            elif pr.get("kind") == "cycle" and pr.get("type") == "SNIC cycle":
                att = "SNIC cycle"
                pred = f"T={pr['period']:.6g} (C/sqrt(d), d={pr['snic_distance']:.3g})"
                obs = (f"T={_fmt(ob.get('period'))} r=[{_fmt(ob.get('r_min'))},"
                       f"{_fmt(ob.get('r_max'))}]")
            elif pr.get("kind") == "cycle":
                att = "limit cycle"
                pred = f"T={pr['period']:.6g} r=[{pr['r_min']:.4g},{pr['r_max']:.4g}]"
                obs = (f"T={_fmt(ob.get('period'))} r=[{_fmt(ob.get('r_min'))},"
                       f"{_fmt(ob.get('r_max'))}]")
            else:
                att, pred, obs = "none", "-", f"r={ob.get('r_end', float('nan')):.7g}"
            lines.append(f"{p.name:<8} {f'[{p.start:g},{p.stop:g})':>13} {p.I_ext:>5g} "
                         f"{att:<15} {pred:<36} {obs:<36} {_VERDICT_WORDS[p.verdict]}")
        for p in self.phases:
            for f in p.failures:
                lines.append(f"  {p.name}: {f}")
        lines.append(_VERDICT_LINES[self.verdict])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def figure(self) -> Figure:
        """Time course of r with the predicted levels (equilibria) and bands (cycles).

        Lower panel: the distance ``|u - u*|`` of the state from the predicted
        equilibrium on a log scale, with the predicted decay ``exp(-rate t)`` drawn
        from the first point of the fitted window.
        """
        from matplotlib.figure import Figure

        ds = self.dataset
        t, r = ds.time.to_numpy(), ds.r.to_numpy()
        U = _state_rows(ds)
        fig = Figure(figsize=(9, 6), layout="constrained")
        ax, ax2 = fig.subplots(2, 1, sharex=True)
        ax.plot(t, r, color="k", lw=1, label="simulated r")
        for k, p in enumerate(self.phases):
            colour = _VERDICT_COLOURS[p.verdict]
            if k % 2:
                ax.axvspan(p.start, p.stop, color="0.93", zorder=0)
                ax2.axvspan(p.start, p.stop, color="0.93", zorder=0)
            pr = p.predicted
            if pr.get("kind") == "equilibrium":
                ax.hlines(pr["r"], p.start, p.stop, colors=colour, linestyles="--",
                          label=f"{p.name}: r* = {pr['r']:.4g} ({pr['type']})")
                m = (t >= p.start) & (t <= p.stop)
                dev = np.linalg.norm(U[:, m] - np.array(pr["state"])[:, None], axis=0)
                ax2.semilogy(t[m], np.maximum(dev, 1e-16), color="k", lw=0.8)
                t0 = p.observed.get("fit_t0")
                if t0 is not None:
                    d0 = p.observed["fit_d0"]
                    tt = np.linspace(t0, p.stop, 50)
                    pred_d = d0 * np.exp(-pr["decay_rate"] * (tt - t0))
                    keep = pred_d > 1e-12
                    ax2.semilogy(tt[keep], pred_d[keep], color=colour, ls="--")
            elif pr.get("kind") == "cycle":
                ax.fill_between([p.start, p.stop], pr["r_min"], pr["r_max"], color=colour,
                                alpha=0.25, label=f"{p.name}: cycle T = {pr['period']:.4g}")
        ax.set_ylabel("r")
        ax.legend(fontsize="small", loc="upper left")
        ax.set_title(f"{self.model}: predicted vs simulated "
                     f"({_VERDICT_LINES[self.verdict].lower()})")
        ax2.set_ylabel("|u - u*| (state)")
        ax2.set_ylim(bottom=1e-12)
        ax2.set_xlabel("time")
        return fig


#: how the table, its last line and the figure show a verdict
_VERDICT_WORDS = {"pass": "yes", "inconclusive": "inconclusive", "fail": "NO"}
_VERDICT_LINES = {"pass": "all phases pass", "fail": "VERIFICATION FAILED",
                  "inconclusive": "VERIFICATION INCONCLUSIVE (not a pass): a phase is too "
                  "short to confirm its prediction"}
_VERDICT_COLOURS = {"pass": "tab:green", "inconclusive": "tab:orange", "fail": "tab:red"}


def drive_parameters(model: Model, input_population: str | None = None) -> tuple[str, str]:
    """``(eta, input)``: the diagram's parameter and the input a protocol drives.

    ``("eta", "I_ext")`` for a :class:`ThetaModel`; for a circuit ``("eta_P",
    "I_ext_P")`` of the population ``P`` named by ``input_population`` (its name, or
    its input's name ``I_ext_P``; default: the first population).

    Raises
    ------
    InputError
        ``input_population`` names no population of the model (the message lists them),
        or is given for a single population.
    """
    if isinstance(model, ThetaModel):
        if input_population not in (None, "", "I_ext"):
            raise InputError(f"input_population: {model.name!r} is a single population; "
                             f"got {input_population!r}, allowed: none")
        return "eta", "I_ext"
    pops = model.population_names
    pop = pops[0] if input_population is None else str(input_population)
    pop = pop.removeprefix("I_ext_")
    if pop not in pops:
        raise InputError(f"input_population: {input_population!r} is not a population of "
                         f"{model.name!r}; allowed: {', '.join(pops)}")
    return f"eta_{pop}", f"I_ext_{pop}"


def _state_rows(ds: Any) -> np.ndarray:
    """The state vector along a simulated time course (one row per state)."""
    if "z" in ds:  # a single population
        return np.array([ds.z.real.to_numpy(), ds.z.imag.to_numpy()]
                        + ([ds.s.to_numpy()] if "s" in ds else []))
    from thetabif.models import model_from_record

    rows = []
    for name in model_from_record(json.loads(ds.attrs["model_options"])).state_names:
        kind, _, pop = name.partition("_")
        if kind in ("x", "y"):
            z = ds[f"z_{pop}"].to_numpy()
            rows.append(z.real if kind == "x" else z.imag)
        else:
            rows.append(ds[name].to_numpy())
    return np.array(rows)


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.5g}"


def _nan(d: Mapping[str, Any]) -> dict[str, Any]:
    """``d`` read back from strict JSON: ``None`` values as NaN."""
    return {k: math.nan if v is None else v for k, v in d.items()}


# ----------------------------------------------------------------- predictions
def _eq_record(model: ThetaModel, params: Mapping[str, float], u: np.ndarray,
               source: str) -> dict[str, Any]:
    num = model.numeric
    p = num.parameter_vector(params)
    lam, vec = np.linalg.eig(num.jacobian(u, p))
    eq = Equilibrium(u, float(num.output("r", u, p)), lam)
    lead = eq.leading
    try:  # how far from normal the linearisation is (the decay fit's conditioning)
        cond = float(np.linalg.cond(vec))
    except np.linalg.LinAlgError:
        cond = float("inf")
    # |grad r| by central differences (h = 1e-6 relative: ~1e-10 accurate, and only
    # the scale matters) maps the state's noise floor onto r
    h = 1e-6 * max(1.0, float(np.max(np.abs(u))))
    grad_r = [(num.output("r", u + h * e, p) - num.output("r", u - h * e, p)) / (2 * h)
              for e in np.eye(len(u))]
    return {  # the JSON view of the Equilibrium, with what the judgement needs
        "kind": "equilibrium", "type": eq.kind, "stable": eq.stable,
        "r": eq.r, "abs_z": float(num.output("abs_z", u, p)),
        "state": [float(x) for x in u],
        "eigenvalues": [[float(e.real), float(e.imag)] for e in lam],
        "decay_rate": float(-lead.real), "frequency": float(abs(lead.imag)),
        "eigvec_cond": cond, "r_gradient_norm": float(np.linalg.norm(grad_r)),
        "source": source,
    }


@dataclass(frozen=True)
class _Path:
    """Points of the diagram in order along a branch: eta, states (one row each), flags."""

    eta: np.ndarray
    states: np.ndarray
    stable: np.ndarray


def _branch_paths(diagram: ContinuationResult, model: ThetaModel) -> list[_Path]:
    """The diagram's branches as paths; the two directions of one continuation, which
    leave the same start point, are joined into one path through it."""
    free = diagram.free[0]
    rows = [_Path(np.asarray(b.data[free], dtype=float),
                  np.array([np.asarray(b.data[n], dtype=float) for n in model.state_names]),
                  np.asarray(b.data["stable"], dtype=bool))
            for b in diagram.branches if len(b)]
    paths: list[_Path] = []
    while rows:
        a = rows.pop(0)
        for k, b in enumerate(rows):
            if (a.eta[0] == b.eta[0]
                    and np.max(np.abs(a.states[:, 0] - b.states[:, 0])) < 1e-12):
                rows.pop(k)
                a = _Path(np.concatenate([b.eta[::-1], a.eta[1:]]),
                          np.hstack([b.states[:, ::-1], a.states[:, 1:]]),
                          np.concatenate([b.stable[::-1], a.stable[1:]]))
                break
        paths.append(a)
    return paths


def _diagram_crossings(paths: list[_Path], eta_eff: float
                       ) -> list[tuple[_Path, int, np.ndarray]]:
    """``(path, i, u)`` for every segment ``[i, i+1]`` of a path that crosses
    ``eta_eff``, with the state ``u`` interpolated linearly at ``eta_eff``."""
    out = []
    for path in paths:
        e, U = path.eta, path.states
        for i in range(len(e) - 1):
            a, c = e[i] - eta_eff, e[i + 1] - eta_eff
            if a == c or a * c > 0:
                continue
            w = a / (a - c)
            out.append((path, i, (1 - w) * U[:, i] + w * U[:, i + 1]))
    return out


def _at_bound(eta: float, bound: float) -> bool:
    """Whether AUTO's last point ``eta`` is the range end ``bound``.

    AUTO stops at a range end to its tolerances (EPSL = EPSS-scale, 1e-7):
    14.999999899 was seen for a bound of 15, so match to 1e-6 relative.
    """
    return abs(eta - bound) < 1e-6 * max(1.0, abs(bound))


def _unstable_pair(eigenvalues: np.ndarray) -> bool:
    """A complex pair with positive real part: what a limit cycle can surround."""
    return bool(np.any((eigenvalues.real > 0) & (np.abs(eigenvalues.imag) > 1e-12)))


def unstable_focus_ends(model: ThetaModel, params: Mapping[str, float],
                        diagram: ContinuationResult, eta_eff: float) -> list[float]:
    """Ends of the diagram at which an unstable focus at ``eta_eff`` is still unstable.

    A stable cycle around an unstable focus comes from a Hopf point of the focus's
    branch: a supercritical one where the branch regains stability, or a subcritical
    one (its cycle turned stable at a fold of cycles) there or inside. All of them lie
    on the stretch of unstable equilibria through the focus, so the diagram must
    contain all of it. (Cycles born only in global bifurcations are beyond this rule.)
    For every equilibrium of the diagram at ``eta_eff`` with an unstable complex pair,
    its path is followed both ways while AUTO flags the points unstable; where that
    reaches the path's end, the eta there is returned.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        The phase's parameters (as for :func:`diagram_equilibria`).
    diagram : ContinuationResult
        Equilibria continued in ``eta``.
    eta_eff : float
        The phase's position on the diagram's ``eta`` axis.

    Returns
    -------
    list of float
        The eta of every path end reached while unstable (empty: every stretch of
        unstable foci through ``eta_eff`` ends inside the diagram).
    """
    num = model.numeric
    p = num.parameter_vector(params)
    ends = []
    for path, i, u in _diagram_crossings(_branch_paths(diagram, model), eta_eff):
        if not _unstable_pair(np.linalg.eigvals(num.jacobian(u, p))):
            continue
        up = i + 1 + int(np.argmax(np.append(path.stable[i + 1:], True)))
        down = i - int(np.argmax(np.append(path.stable[i::-1], True)))
        if up == len(path.eta):
            ends.append(float(path.eta[-1]))
        if down < 0:
            ends.append(float(path.eta[0]))
    return sorted(set(ends))  # eta_eff on a point of the path: two segments, one end


def diagram_equilibria(model: ThetaModel, params: Mapping[str, float],
                       diagram: ContinuationResult, eta_eff: float, *, polish: bool = True
                       ) -> list[dict[str, Any]]:
    """Equilibria at ``eta_eff`` read off the diagram's branches (sorted by r).

    Every branch segment that crosses ``eta_eff`` gives one equilibrium, its state
    interpolated linearly and, with ``polish``, refined by Newton at ``params``. A
    point whose Newton solve fails is kept unpolished with ``source`` saying so.
    """
    found: list[np.ndarray] = []
    sources: list[str] = []
    flags: list[bool] = []
    for path, i, u in _diagram_crossings(_branch_paths(diagram, model), eta_eff):
        src = "continuation"
        if polish:
            un = newton(model, params, u, tol=1e-10)
            if un is not None:
                u, src = un, "continuation+newton"
            else:
                src = "continuation (newton failed)"
        if any(np.max(np.abs(u - f)) < 1e-6 for f in found):
            continue
        found.append(u)
        sources.append(src)
        flags.append(bool(path.stable[i] and path.stable[i + 1]))
    recs = []
    for u, src, flag in zip(found, sources, flags, strict=True):
        rec = _eq_record(model, params, u, src)
        if src != "continuation+newton":
            # not an equilibrium at these parameters: the diagram's own stability
            # flag is the prediction (eigenvalues are only indicative here)
            rec["stable"] = flag
            if not flag and rec["type"] in ("node", "focus"):
                rec["type"] = "saddle"
            elif flag and rec["type"] in ("saddle", "repeller"):
                rec["type"] = "focus" if rec["frequency"] > 1e-12 else "node"
        recs.append(rec)
    return sorted(recs, key=lambda d: d["r"])


def _cycle_at(cont: Continuation, diagram: ContinuationResult, eta_eff: float,
              span: float = 40.0) -> tuple[list[dict[str, Any]], list[str]]:
    """Stable cycles at ``eta_eff`` from each Hopf point, by continuing up to it."""
    out, notes = [], []
    free = diagram.free[0]
    for hb in diagram.special("HB"):
        e_hb = hb.params[free]
        if abs(e_hb - eta_eff) < 1e-6:
            continue
        cyc = None
        # AUTO stops 1 % of the range's width beyond its ends: with a wide range that
        # can lie past the homoclinic end of the branch, where AUTO fails (MX); the
        # retry's range reaches 1 beyond the Hopf point only
        for reach in (span, 1.0):
            lo, hi = (eta_eff, e_hb + reach) if eta_eff < e_hb else (e_hb - reach, eta_eff)
            try:
                cyc = cont.cycles(hb, free, lo, hi)
                break
            except (ContinuationFailed, ValueError) as exc:
                notes.append(f"cycles from {hb.label} in {free} {lo:g}:{hi:g} failed: {exc}")
        if cyc is None:
            continue
        for o in cyc.orbits:
            if _at_bound(o[free], eta_eff) and o["stable"]:
                out.append({"kind": "cycle", "type": "limit cycle", "stable": True,
                            "period": o["period"], "r_min": o["r_min"], "r_max": o["r_max"],
                            "abs_z_min": o["abs_z_min"], "abs_z_max": o["abs_z_max"],
                            "hopf": hb.label, "hopf_eta": e_hb, "l1": hb.l1,
                            "source": "continuation (AUTO cycles)"})
                break
    return out, notes


def snic_cycle(model: ThetaModel, params: Mapping[str, float], diagram: ContinuationResult,
               eta_eff: float) -> tuple[dict[str, Any] | None, list[str]]:
    """The cycle past a SNIC at ``eta_eff``, if a fold of the diagram is one.

    The folds (LP) of ``diagram`` are tried nearest first: each is polished (Newton on
    the LP system at the diagram's parameters ``params``), and one whose equilibria
    have vanished at ``eta_eff`` (normal form: ``(eta_eff - eta_SN) a g > 0``) and whose
    saddle-node lies on an invariant circle (:func:`thetabif.snic.classify_saddle_node`)
    gives the prediction: ``period = C / sqrt(|eta_eff - eta_SN|)`` (leading order).
    Returns ``(prediction or None, notes)``.
    """
    notes: list[str] = []
    free = diagram.free[0]
    for lp in sorted(diagram.special("LP"), key=lambda p: abs(p.params[free] - eta_eff)):
        at = {**params, free: lp.params[free]}
        try:
            pp = polish_point(model, "LP", (free,), [lp.state[k] for k in model.state_names],
                              at)
            nf = saddle_node_normal_form(model, pp.params, pp.state, free)
        except (ValueError, NumericalError) as exc:
            notes.append(f"{lp.label} could not be polished for the SNIC check: {exc}")
            continue
        d = eta_eff - nf.params[free]
        if d * nf.side <= 0:
            continue  # its equilibria still exist at eta_eff
        cls = classify_saddle_node(model, nf.params, nf.state, free)
        if cls.kind != "snic":
            notes.append(f"{lp.label} at {free} = {nf.params[free]:.10g} is no SNIC "
                         f"({cls.kind})")
            continue
        return {"kind": "cycle", "type": "SNIC cycle", "stable": True,
                "period": float(nf.period(eta_eff)), "r_min": math.nan, "r_max": math.nan,
                "snic_eta": float(nf.params[free]), "snic_distance": float(abs(d)),
                "snic_C": float(nf.C), "snic_label": lp.label,
                "source": "saddle-node normal form (leading order C / sqrt(d))"}, notes
    return None, notes


#: a mode whose amplitude in the phase's start state is below this, relative to the
#: largest, is not excited: rounding (1e-16) times the eigenvector matrix's condition
UNEXCITED = 1e-8


def _excited_modes(model: Model, params: Mapping[str, float], pred: dict[str, Any],
                   u_start: np.ndarray) -> list[str]:
    """Set ``pred``'s decay rate, frequency and type by the slowest mode that the start
    state excites; returns notes on the modes it leaves out.

    In a circuit, two synapses from one source with equal kinetics obey one linear
    equation each, scaled by their weights, and start at rest (``s = J p(z)``): their
    ratio stays ``J_1 / J_2`` for ever, so the mode that changes it (eigenvalue
    ``-1/tau_s``) is never excited and the observed decay is that of the next mode.
    The modal amplitudes of ``u_start - u*`` (in the Jacobian's eigenvectors) tell:
    a mode below :data:`UNEXCITED` of the largest does not count. A start state on the
    equilibrium (closer than 1e-9) changes nothing.
    """
    u = np.asarray(pred["state"], float)
    d = np.asarray(u_start, float) - u
    if not np.linalg.norm(d) > 1e-9:
        return []
    num = model.numeric
    lam, vec = np.linalg.eig(num.jacobian(u, num.parameter_vector(params)))
    try:
        amp = np.abs(np.linalg.solve(vec, d))
    except np.linalg.LinAlgError:
        return []
    excited = amp > UNEXCITED * amp.max()
    if excited.all():
        return []
    lead = lam[excited][np.argmax(lam[excited].real)]
    left = sorted({complex(round(z.real, 12), round(abs(z.imag), 12)) for z in lam[~excited]},
                  key=lambda z: -z.real)
    pred.update(decay_rate=float(-lead.real), frequency=float(abs(lead.imag)),
                type="focus" if abs(lead.imag) > 1e-12 else "node",
                unexcited_eigenvalues=[[z.real, z.imag] for z in left])
    return [f"the mode(s) with eigenvalue {', '.join(f'{z:.6g}' for z in left)} are not "
            f"excited from the phase's start state (amplitude < {UNEXCITED:g} of the "
            f"largest): decay rate and frequency are the slowest excited mode's"]


def _cycle_centre(eqs: list[dict[str, Any]], cycle: Mapping[str, Any]) -> np.ndarray | None:
    """The unstable focus a cycle surrounds: complex unstable pair, r inside its range."""
    foci = []
    for e in eqs:
        lam = np.array([complex(a, b) for a, b in e["eigenvalues"]])
        if not e["stable"] and _unstable_pair(lam):
            mid = 0.5 * (cycle["r_min"] + cycle["r_max"])
            inside = cycle["r_min"] <= e["r"] <= cycle["r_max"]
            foci.append((not inside, abs(e["r"] - mid), e))
    if not foci:
        return None
    return np.array(min(foci, key=lambda f: f[:2])[2]["state"])


def _separatrix_choice(eqs: list[dict[str, Any]], cycles: list[dict[str, Any]],
                       model: ThetaModel, params: Mapping[str, float], u_start: np.ndarray
                       ) -> tuple[dict[str, Any] | None, str]:
    """The attractor on the start state's side of every saddle's linearized separatrix.

    Equilibria stand for themselves, a cycle for the unstable focus it surrounds.
    """
    candidates = [(e, np.array(e["state"])) for e in eqs if e["stable"]]
    for c in cycles:
        centre = _cycle_centre(eqs, c)
        if centre is not None:
            candidates.append((c, centre))
    num = model.numeric
    p = num.parameter_vector(params)
    planes = []
    for e in eqs:
        lam = np.array([complex(a, b) for a, b in e["eigenvalues"]])
        if e["type"] == "saddle" and np.sum(lam.real > 0) == 1:
            us = np.array(e["state"])
            lam_l, left = np.linalg.eig(num.jacobian(us, p).T)
            w = np.real(left[:, int(np.argmax(lam_l.real))])
            planes.append((us, w, e["r"]))
    if not planes:
        return None, "no saddle"

    def sides(u: np.ndarray) -> tuple[int, ...]:
        return tuple(int(np.sign(w @ (u - us))) for us, w, _ in planes)

    s0 = sides(u_start)
    ok = [c for c, rep in candidates if sides(rep) == s0]
    saddle_r = ", ".join(f"{r:.4g}" for _, _, r in planes)
    if len(ok) == 1:
        return ok[0], f"separatrix: start state on the side of the saddle(s) at r = {saddle_r}"
    return None, "separatrix undecided"


def _on_diagram(params: Mapping[str, float], phases: Sequence[Phase],
                diagram_params: Mapping[str, float],
                drive: tuple[str, str] = ("eta", "I_ext")
                ) -> list[tuple[Phase, dict[str, float], float]]:
    """``(phase, its parameters, its eta on the diagram)`` of every phase.

    ``I_ext`` enters every model only as ``eta + I_ext``: the phase with input ``I``
    sits at ``eta + I`` minus the diagram's own ``I_ext`` on the diagram's eta axis.
    ``drive``: the names of ``eta`` and ``I_ext`` (:func:`drive_parameters`).
    """
    eta, inp = drive
    base = diagram_params.get(inp, 0.0)
    return [(ph, {**params, inp: ph.value}, params[eta] + ph.value - base)
            for ph in phases]


def check_engine(model: Model, params: Mapping[str, float],
                 diagram: ContinuationResult | None = None,
                 continuation: Continuation | None = None, *,
                 input_population: str | None = None) -> None:
    """Raise unless ``diagram`` and ``continuation`` belong to ``model`` at ``params``.

    The diagram must be an equilibrium continuation in ``eta``; both must be of the
    same model (by name) and computed at the same parameters, ``eta`` and ``I_ext``
    apart (the phases are read off the diagram's eta axis). For a circuit these are
    ``eta_P`` and ``I_ext_P`` of the driven population (:func:`drive_parameters`).

    Raises
    ------
    InputError
        Naming the model, the free parameter or the parameter that differs.
    """
    eta, inp = drive_parameters(model, input_population)
    given: list[tuple[str, str, Mapping[str, float]]] = []
    if continuation is not None:
        given.append(("continuation", continuation.model.name, continuation.params))
    if diagram is not None:
        given.append(("diagram", diagram.model, diagram.params))
        if diagram.kind != "equilibria" or tuple(diagram.free) != (eta,):
            raise InputError(f"the diagram ({diagram.kind}) was continued in "
                             f"{', '.join(diagram.free)}; verify reads the phases off "
                             f"equilibria on its {eta} axis, so it must be in {eta}: "
                             f"Continuation(...).equilibria('{eta}', ...)")
    for what, name, their in given:
        if name != model.name:
            raise InputError(f"the {what} is of model {name!r}, the verification of "
                             f"model {model.name!r}; pass a {what} of the same model, or "
                             f"none to have one computed")
        for k, v in params.items():
            if k not in (eta, inp) and abs(their.get(k, v) - v) > 1e-12:
                raise InputError(f"the {what} was computed at {k} = {their[k]}, the "
                                 f"verification asks for {k} = {v}")


def protocol_diagram(model: Model, params: Mapping[str, float],
                     phases: Sequence[Phase], continuation: Continuation | None = None, *,
                     input_population: str | None = None
                     ) -> tuple[ContinuationResult, Continuation]:
    """The equilibrium diagram in eta that :func:`verify` predicts the phases from.

    It covers every phase's ``eta + I_ext`` with :data:`DIAGRAM_MARGIN` on each side.
    Where an unstable focus at one of them is still unstable at an end of that window
    (:func:`unstable_focus_ends`), a Hopf point beyond may give the phase's cycle, so
    that side's margin grows by :data:`DIAGRAM_GROWTH` until the stretch ends inside
    or the margin reaches :data:`DIAGRAM_MAX_MARGIN`; then (or when AUTO fails on the
    wider window) the last diagram is returned, and :func:`predict_phases` notes the
    open end in every prediction it concerns.

    Parameters
    ----------
    model : ThetaModel
    params : mapping
        Full parameters (``eta`` without the protocol's input).
    phases : sequence of Phase
        The protocol's phases.
    continuation : Continuation, optional
        The engine to run; by default one started at ``eta`` with ``I_ext = 0``, or --
        when no stable equilibrium exists there (e.g. on a limit cycle) -- low in the
        range, where the quiescent state is stable.
    input_population : str, optional
        A circuit's population the phases drive (default: the first); the diagram is
        in its ``eta_P`` (:func:`drive_parameters`).

    Returns
    -------
    (ContinuationResult, Continuation)
        The diagram and the engine that computed it (for the cycles at its Hopf points).
    """
    drive = drive_parameters(model, input_population)
    eta, inp = drive
    at = _on_diagram(params, phases, continuation.params if continuation else {}, drive)
    etas = [e for _, _, e in at]
    below = above = DIAGRAM_MARGIN
    lo, hi = min(etas) - below, max(etas) + above
    if continuation is not None:
        diagram = continuation.equilibria(eta, lo, hi)
    else:
        for start in (params[eta], lo + 5.0):
            try:
                continuation = Continuation(model, {**params, eta: start, inp: 0.0})
                diagram = continuation.equilibria(eta, lo, hi)
                break
            except (ValueError, ContinuationFailed):
                if start != params[eta]:
                    raise
    while True:
        ends = [x for _, pp, e in at for x in unstable_focus_ends(model, pp, diagram, e)]
        grow_lo = below < DIAGRAM_MAX_MARGIN and any(_at_bound(x, lo) for x in ends)
        grow_hi = above < DIAGRAM_MAX_MARGIN and any(_at_bound(x, hi) for x in ends)
        if not (grow_lo or grow_hi):
            return diagram, continuation
        if grow_lo:
            below = min(below * DIAGRAM_GROWTH, DIAGRAM_MAX_MARGIN)
        if grow_hi:
            above = min(above * DIAGRAM_GROWTH, DIAGRAM_MAX_MARGIN)
        lo, hi = min(etas) - below, max(etas) + above
        try:
            diagram = continuation.equilibria(eta, lo, hi)
        except ContinuationFailed:
            return diagram, continuation


def predict_phases(model: Model, params: Mapping[str, float], protocol: Protocol,
                   u0: np.ndarray, t_end: float, *, diagram: ContinuationResult,
                   continuation: Continuation | None = None, polish: bool = True,
                   input_population: str | None = None
                   ) -> list[tuple[Any, dict[str, Any]]]:
    """The predicted attractor of every phase, by the hysteresis rule of this module.

    Returns ``[(phase, prediction), ...]``; a prediction without a stable attractor
    has ``kind = "none"``. ``input_population``: a circuit's population the protocol
    drives (default: the first).
    """
    drive = drive_parameters(model, input_population)
    check_engine(model, params, diagram, continuation, input_population=input_population)
    base = dict(diagram.params)
    etas = np.concatenate([p.eta for p in _branch_paths(diagram, model)])
    lo, hi = float(etas.min()), float(etas.max())
    out = []
    u_start = np.asarray(u0, dtype=float)
    prev_kind = "start"
    for ph, pp, eta_eff in _on_diagram(params, protocol.phases(0.0, t_end), base, drive):
        if not (lo <= eta_eff <= hi or _at_bound(lo, eta_eff) or _at_bound(hi, eta_eff)):
            raise InputError(f"the diagram covers {drive[0]} in [{lo:g}, {hi:g}], phase "
                             f"{ph.name!r} sits at {drive[0]} + {drive[1]} = {eta_eff:g}; "
                             f"pass a diagram that covers every phase, or none to have "
                             f"one computed")
        eqs = diagram_equilibria(model, pp, diagram, eta_eff, polish=polish)
        stable = [e for e in eqs if e["stable"]]
        cycles, notes = ([], [])
        if continuation is not None and diagram.special("HB"):
            cycles, notes = _cycle_at(continuation, diagram, eta_eff)
        open_ends = unstable_focus_ends(model, pp, diagram, eta_eff)
        if open_ends:
            notes.append(f"an unstable focus at eta + I_ext = {eta_eff:g} is still unstable "
                         f"where the diagram ends (eta = "
                         f"{', '.join(f'{x:g}' for x in open_ends)}): a Hopf point beyond, if "
                         f"any, and the cycles born there are not on it")
        newton_n = len(find_equilibria(model, pp))
        if prev_kind == "cycle" and cycles:
            pred, rule = cycles[0], "cycle persists: the previous phase ended on a cycle"
        elif len(stable) + len(cycles) == 1:
            pred = (stable + cycles)[0]
            rule = "only attractor"
        elif not stable and not cycles:
            snic, snic_notes = snic_cycle(model, base, diagram, eta_eff)
            notes += snic_notes
            if snic is not None:
                pred, rule = snic, "only attractor: the cycle past a SNIC"
            else:
                pred, rule = {"kind": "none"}, "the diagram predicts no stable attractor"
        else:
            pred, rule = _separatrix_choice(eqs, cycles, model, pp, u_start)
            if pred is None and stable:
                d = [np.linalg.norm(np.array(e["state"]) - u_start) for e in stable]
                pred = stable[int(np.argmin(d))]
                rule = f"{rule}; nearest stable equilibrium to the start state"
            elif pred is None:
                pred, rule = cycles[0], f"{rule}; first of several cycles"
        pred = dict(pred)
        if pred["kind"] == "equilibrium" and pred["stable"]:
            notes += _excited_modes(model, pp, pred, u_start)
        pred.update(rule=rule, eta_eff=eta_eff, n_equilibria=len(eqs),
                    n_stable_equilibria=len(stable), n_stable_cycles=len(cycles),
                    newton_equilibria=newton_n, newton_agrees=newton_n == len(eqs))
        if notes:
            pred["notes"] = notes
        if open_ends:
            pred["unstable_focus_open_at"] = open_ends
        if pred["kind"] == "equilibrium":
            u_start = np.array(pred["state"])
        elif pred["kind"] == "cycle" and pred.get("type") != "SNIC cycle":
            centre = _cycle_centre(eqs, pred)
            if centre is not None:
                pred["centre_state"] = [float(x) for x in centre]
                u_start = centre
                # normal form of a supercritical Hopf: dA/dt = mu A + l1 A^3 contracts
                # onto the cycle at rate 2 mu, mu = Re(lambda) of the focus inside
                lam = _eq_record(model, pp, centre, "")["eigenvalues"]
                mu = max(a for a, _ in lam)
                pred["contraction_rate_estimate"] = 2.0 * mu
        prev_kind = pred["kind"]
        out.append((ph, pred))
    return out


# ------------------------------------------------------------------ observation
def _crossings(t: np.ndarray, y: np.ndarray, upward_only: bool = False,
               band: float = 0.0) -> np.ndarray:
    """Times at which ``y`` crosses 0, linearly interpolated between samples.

    With ``band > 0`` a crossing counts only when ``y`` goes from beyond ``+band`` to
    beyond ``-band`` or back (hysteresis): sign changes of noise inside the band are
    not crossings. The time given is that of the first sign change after the last
    sample outside the band, so a noise-free signal gives the same times as without.
    """
    # a sample exactly at 0 counts as positive, so a crossing through it is seen once
    # (np.sign would give 0 there and hide it)
    s = np.where(y >= 0, 1, -1)
    changes = np.flatnonzero(s[:-1] * s[1:] < 0)
    if band > 0:
        out = np.flatnonzero(np.abs(y) > band)
        so = s[out]
        flips = out[np.flatnonzero(so[:-1] * so[1:] < 0)]
        flips = flips[s[flips] < 0] if upward_only else flips
        idx = changes[np.searchsorted(changes, flips)]
    else:
        idx = changes[s[changes] < 0] if upward_only else changes
    return t[idx] - y[idx] * (t[idx + 1] - t[idx]) / (y[idx + 1] - y[idx])


def _extremum(t: np.ndarray, y: np.ndarray, k: int) -> float:
    """Value at the vertex of the parabola through samples k-1, k, k+1."""
    if k == 0 or k == len(y) - 1:
        return float(y[k])
    a, b, c = y[k - 1], y[k], y[k + 1]
    den = a - 2 * b + c
    if den == 0:
        return float(b)
    return float(b - (a - c) ** 2 / (8 * den))


def _slowest_rate(t: np.ndarray, X: np.ndarray) -> float:
    """Decay rate of the slowest mode of a linear decay sampled as ``X`` (one column a
    sample of ``u - u*``, evenly spaced times ``t``), fitted without the Jacobian.

    The one-step map ``x_{k+1} = M x_k`` is fitted by least squares (dynamic mode
    decomposition), each pair of columns divided by ``|x_k|`` so that every decade of
    the window weighs the same: unweighted, the samples near the window top (where the
    O(|x|) nonlinear corrections live) would dominate, and one slope fitted to
    ``log |u - u*|`` is biased by the non-constant factor a spiral's norm carries
    between its peaks (10 % off for a focus damped by exp(-24) per period). The fit is
    kept to the directions above :data:`FIT_RANK_TOL`; the slowest rate is
    ``-max Re(log mu) / dt`` over the eigenvalues ``mu`` of ``M``.
    """
    w = 1.0 / np.linalg.norm(X[:, :-1], axis=0)
    X0, X1 = X[:, :-1] * w, X[:, 1:] * w
    left, sv, right_h = np.linalg.svd(X0, full_matrices=False)
    k = int(np.sum(sv > FIT_RANK_TOL * sv[0]))
    m = left[:, :k].T @ X1 @ right_h[:k].T / sv[:k]
    mu = np.linalg.eigvals(m).astype(complex)
    return float(-np.max(np.log(mu).real) / (t[1] - t[0]))


def observe_equilibrium(t: np.ndarray, U: np.ndarray, r: np.ndarray, pred: Mapping[str, Any]
                        ) -> dict[str, Any]:
    """Distance to the predicted equilibrium, fitted decay rate and frequency.

    The window of the fits is the linear regime above the noise floor: from the first
    sample with ``|u - u*| < LINEAR_REGIME`` to the first below ``NOISE_FLOOR *
    max(1, |u*|)``. Zero crossings of ``r - r*`` are counted only outside r's own
    noise band, that floor times ``|grad r|`` at ``u*``; the frequency needs
    :data:`FREQUENCY_CROSSINGS` of them (else ``frequency`` is None). For a focus,
    ``observable_crossings`` is the number linear theory lets rise above the band in
    the window: ``omega / (pi * rate) * ln(A / band)``, ``A`` the largest
    ``|r - r*|`` there.
    """
    us = np.array(pred["state"])
    d = np.linalg.norm(U - us[:, None], axis=0)
    floor = NOISE_FLOOR * max(1.0, float(np.linalg.norm(us)))
    band = floor * pred["r_gradient_norm"]
    obs: dict[str, Any] = {"r_start": float(r[0]), "r_end": float(r[-1]),
                           "t_start": float(t[0]), "t_end": float(t[-1]),
                           "distance_start": float(d[0]), "distance_end": float(d[-1]),
                           "distance_min": float(d.min()), "noise_floor": floor,
                           "r_noise_band": band,
                           "r_range_last_20pct": float(np.ptp(r[int(0.8 * len(r)):]))}
    inside = np.flatnonzero(d < LINEAR_REGIME)
    i0 = int(inside[0]) if len(inside) else len(d)
    below = np.flatnonzero(d[i0:] < floor)
    i1 = i0 + int(below[0]) if len(below) else len(d) - 1
    if i0 == 0 and len(below) and i1 < MIN_FIT_SAMPLES:
        # the phase starts on its equilibrium (a zero-amplitude step, or a phase after
        # one that converged): no transient above the noise floor to measure
        obs["starts_at_equilibrium"] = True
    if i1 - i0 < MIN_FIT_SAMPLES:
        return obs
    tw, dw, rw = t[i0:i1 + 1], d[i0:i1 + 1], r[i0:i1 + 1] - pred["r"]
    obs["decay_rate"] = _slowest_rate(tw, U[:, i0:i1 + 1] - us[:, None])
    obs["fit_t0"], obs["fit_d0"] = float(tw[0]), float(dw[0])
    obs["fit_window"] = [float(tw[0]), float(tw[-1])]
    cr = _crossings(tw, rw, band=band)
    obs["zero_crossings"] = int(len(cr))
    obs["frequency"] = (float(np.pi / np.mean(np.diff(cr)))
                        if len(cr) >= FREQUENCY_CROSSINGS else None)
    amp = float(np.max(np.abs(rw)))
    if pred["type"] == "focus" and pred["decay_rate"] > 0 and amp > band:
        obs["observable_crossings"] = float(pred["frequency"] / (np.pi * pred["decay_rate"])
                                            * math.log(amp / band))
    return obs


def observe_cycle(t: np.ndarray, r: np.ndarray) -> dict[str, Any]:
    """Period and range of r over the last part of a phase."""
    obs: dict[str, Any] = {"r_start": float(r[0]), "r_end": float(r[-1])}
    half = len(r) // 2
    tw, rw = t[half:], r[half:]
    mid = 0.5 * (rw.max() + rw.min())
    up = _crossings(tw, rw - mid, upward_only=True)
    obs["r_range_last_half"] = float(np.ptp(rw))
    if len(up) < 4:
        return obs
    periods = np.diff(up)
    obs["period"] = float(np.mean(periods[-3:]))
    last = (t >= up[-3]) & (t <= up[-1])
    tl, rl = t[last], r[last]
    obs["r_max"] = _extremum(tl, rl, int(np.argmax(rl)))
    obs["r_min"] = _extremum(tl, rl, int(np.argmin(rl)))
    obs["cycles_seen"] = int(len(up) - 1)
    return obs


def _judge(pred: Mapping[str, Any], obs: dict[str, Any], duration: float,
           tol: Tolerances) -> tuple[str, list[str]]:
    """Verdict of a phase (one of :data:`VERDICTS`) and its reasons.

    A contradiction of the prediction fails the phase. A phase with none is
    inconclusive when linear theory says it is too short to have come close enough
    to the predicted attractor to confirm it: an equilibrium whose linear regime the
    trajectory never reached (so nothing but a wide transient bound was checked), a
    cycle whose period or range is off while its slow attraction needs longer.
    Notes on what could not be measured go to ``obs["notes"]``.
    """
    fails: list[str] = []
    unconfirmed: list[str] = []
    kind = pred.get("kind")
    if kind == "equilibrium":
        # linear-theory transient left at the phase end; none if no decay is predicted
        rate_p = pred["decay_rate"]
        # r_start and r_end are samples: the decay runs over their distance in time,
        # up to dt less than the phase
        if "t_end" in obs:
            duration = obs["t_end"] - obs["t_start"]
        res = (tol.transient_factor * abs(obs["r_start"] - pred["r"]) * pred["eigvec_cond"]
               * math.exp(-rate_p * duration)) if rate_p > 0 else 0.0
        allowed = max(tol.r_abs, res)
        err = abs(obs["r_end"] - pred["r"])
        if not err <= allowed:
            fails.append(f"r at the phase end is {obs['r_end']:.8g}, predicted {pred['r']:.8g} "
                         f"(|diff| {err:.3g} > allowed {allowed:.3g})")
        rate = obs.get("decay_rate")
        if rate is None and res > 1e-3 and rate_p > 0:
            # only the transient bound was checked: the approach is not confirmed. By
            # linear theory (with the same factor as the bound) the distance falls to
            # LINEAR_REGIME after ln(factor * cond * distance_start / LINEAR_REGIME) / rate
            reach = tol.transient_factor * pred["eigvec_cond"] * obs["distance_start"]
            need = math.log(max(reach / LINEAR_REGIME, 1.0)) / rate_p
            unconfirmed.append(
                f"the trajectory did not reach the linear regime |u - u*| < "
                f"{LINEAR_REGIME:g} of the predicted equilibrium (closest "
                f"{obs.get('distance_min', float('nan')):.3g}): at the predicted decay "
                f"rate {rate_p:.3g} a phase of ~{need:.0f} time units would be needed")
        elif rate is None and obs.get("starts_at_equilibrium"):
            obs.setdefault("notes", []).append(
                f"decay rate not measurable: the phase starts {obs['distance_start']:.2g} "
                f"from its equilibrium, and no transient rises above the noise floor "
                f"{obs.get('noise_floor', NOISE_FLOOR):.2g}")
        elif rate is None:
            fails.append("no linear-regime window to measure the decay rate in")
        elif abs(rate - pred["decay_rate"]) > tol.rate_rel * pred["decay_rate"]:
            fails.append(f"decay rate {rate:.5g}, predicted {pred['decay_rate']:.5g}")
        if rate is not None:
            fails += _judge_oscillation(pred, obs, tol)
    elif kind == "cycle":
        sigma = pred.get("contraction_rate_estimate")
        need = 2.0 * math.log(tol.transient_factor / tol.range_rel) / sigma \
            if sigma and sigma > 0 else 0.0
        if "period" not in obs:
            fails.append("predicted a limit cycle, observed no sustained oscillation "
                         f"(r range {obs['r_range_last_half']:.3g} over the last half)")
        elif pred.get("type") == "SNIC cycle":
            # leading-order period only (Tolerances.snic_period_rel); no range of r
            if abs(obs["period"] - pred["period"]) > tol.snic_period_rel * pred["period"]:
                fails.append(f"period {obs['period']:.6g}, predicted {pred['period']:.6g} "
                             f"(C / sqrt(d) to {tol.snic_period_rel:.0%})")
        else:
            if abs(obs["period"] - pred["period"]) > tol.period_rel * pred["period"]:
                fails.append(f"period {obs['period']:.6g}, predicted {pred['period']:.6g}")
            amp = pred["r_max"] - pred["r_min"]
            for k in ("r_min", "r_max"):
                if abs(obs[k] - pred[k]) > tol.range_rel * amp:
                    fails.append(f"{k} {obs[k]:.6g}, predicted {pred[k]:.6g}")
        if fails and need > duration:
            fails[-1] += (f" (near the Hopf point the cycle attracts slowly, at rate "
                          f"~{sigma:.3g}; a phase of ~{need:.0f} time units would be needed)")
            unconfirmed, fails = fails, []
    else:
        why = "; ".join(pred.get("notes", ()))
        fails.append("the diagram predicts no stable attractor for this phase"
                     + (f" ({why})" if why else ""))
    if fails:
        return "fail", fails + unconfirmed
    return ("inconclusive", unconfirmed) if unconfirmed else ("pass", [])


def _judge_oscillation(pred: Mapping[str, Any], obs: dict[str, Any], tol: Tolerances
                       ) -> list[str]:
    """Failures of the zero crossings of r - r* in the linear window (noise excluded).

    A focus's frequency is judged where it is measurable: at least
    ``FREQUENCY_CROSSINGS + 1`` crossings observable by linear theory
    (``observed["observable_crossings"]``). A window of length T holds
    ``floor(omega T / pi)`` or one more crossings, depending on the phase, and its
    ends are only estimated, hence the one crossing of margin. Below that the focus
    is too strongly damped for its oscillation to rise above the noise, and the
    frequency is noted as not measurable. A node may cross r* up to twice (r is a
    projection of two decaying modes); more crossings contradict it.
    """
    f = obs.get("frequency")
    n = obs.get("zero_crossings", 0)
    if pred["type"] == "node":
        return [f"predicted a node, observed {n} oscillations"] if n > 2 else []
    if pred["type"] != "focus":
        return []
    visible = obs.get("observable_crossings", 0.0)
    if visible < FREQUENCY_CROSSINGS + 1:
        obs.setdefault("notes", []).append(
            f"frequency not measurable: damped by exp(-2 pi rate / omega) = "
            f"{math.exp(-2 * math.pi * pred['decay_rate'] / pred['frequency']):.2g} a "
            f"period, the oscillation gives {visible:.2g} zero crossings above the noise "
            f"band {obs.get('r_noise_band', 0.0):.2g} of r in the linear window, fewer "
            f"than the {FREQUENCY_CROSSINGS + 1} needed")
        return []
    if f is None:
        return [f"predicted a focus with ~{visible:.0f} observable zero crossings of r - r*, "
                f"observed no oscillation ({n} crossings)"]
    if abs(f - pred["frequency"]) > tol.frequency_rel * pred["frequency"]:
        return [f"frequency {f:.5g}, predicted {pred['frequency']:.5g}"]
    return []


# ---------------------------------------------------------------------- driver
def check_phases_observed(protocol: Protocol, t_end: float, dt: float) -> None:
    """Raise unless every phase of ``protocol`` is simulated on ``[0, t_end]``.

    A phase is observed when it lasts at least one output interval ``dt`` inside the
    simulated time. A step that starts at or after ``t_end`` (or a protocol phase
    that would otherwise be empty) has no observation to judge, so it must be an
    error, not a verdict on the phases that remain.

    Parameters
    ----------
    protocol : Protocol
    t_end : float
        End of the simulation (it starts at ``t = 0``).
    dt : float
        Output spacing of the simulation.

    Raises
    ------
    ValueError
        Naming ``t_end`` when it cuts off a phase, the protocol's switch time when
        the first phase does not start after ``t = 0``, or the phase that is shorter
        than ``dt``.
    """
    last = protocol.breaks[-1] if protocol.breaks else 0.0
    for ph in protocol.phases(-math.inf, math.inf):
        a, b = max(ph.start, 0.0), min(ph.stop, t_end)
        if b - a >= dt:
            continue
        span = f"{ph.name!r} [{a:g}, {ph.stop:g})"
        what = "empty" if b <= a else f"{b - a:g} long, shorter than dt = {dt:g}"
        if ph.stop > t_end:
            raise InputError(f"t_end = {t_end:g} leaves protocol phase {span} {what}; "
                             f"t_end must be >= {last + dt:g} (the last switch time "
                             f"{last:g} + dt) so that every phase is simulated")
        if ph.start < 0.0:
            raise InputError(f"protocol switch time {ph.stop:g} leaves its first phase "
                             f"{span} {what}; the first switch time must be >= dt = "
                             f"{dt:g} (the simulation starts at t = 0)")
        raise InputError(f"protocol phase {span} is {what}; switch times must be at "
                         f"least dt = {dt:g} apart")


def verify(model: Model | None = None, params: Mapping[str, float] | None = None,
           protocol: Protocol | None = None, *, z0: complex | Mapping[str, complex] = -0.6 - 0.8j,
           s0: float | None = None, t_end: float | None = None, dt: float = 0.01,
           diagram: ContinuationResult | None = None,
           continuation: Continuation | None = None, polish: bool = True,
           tolerances: Tolerances | None = None,
           input_population: str | None = None) -> VerificationResult:
    """Predict each phase's attractor from the diagram, simulate, and compare.

    Parameters
    ----------
    model : ThetaModel or Circuit, optional
        Default: the delta-pulse theta model.
    params : mapping, optional
        Parameters (defaults fill the rest). ``I_ext`` is taken from the protocol.
    protocol : Protocol, optional
        Default: the tutorial's ``Protocol.step(20, 80, 3)``. For a circuit it drives
        the input ``I_ext_P`` of one population (``input_population``); the other
        inputs stay at their parameter values.
    z0, s0 : complex, float
        Initial state (as in :func:`thetabif.simulate`; a circuit's ``z0`` may be one
        per population, by name).
    t_end : float, optional
        Simulated time; default: last switch + 20 (100 for the tutorial). Every
        phase must last at least ``dt`` before it, so ``t_end >= last switch + dt``.
    dt : float
        Output spacing of the simulation (crossing times are interpolated on it).
    diagram : ContinuationResult, optional
        An equilibrium continuation in ``eta`` of the same model and parameters,
        covering every phase's ``eta + I_ext``. By default :func:`protocol_diagram`
        computes it on AUTO-07p: +- 10 around them, wider where an unstable focus
        there stays unstable beyond (so that the Hopf points its cycles come from are
        on it).
    continuation : Continuation, optional
        The engine used for limit cycles at Hopf points of the diagram (default: the
        one that computed the default diagram; no cycles if a diagram is given alone).
    polish : bool
        Refine the diagram's interpolated equilibria by Newton (False keeps the
        diagram's values exactly, e.g. to test that a wrong diagram is caught).
    tolerances : Tolerances, optional
    input_population : str, optional
        The circuit's population the protocol drives (its name, or ``I_ext_P``;
        default: the first). The diagram is in its ``eta_P``; the observed rate ``r``
        is the circuit's output ``r`` (its readout population's).

    Returns
    -------
    VerificationResult

    Raises
    ------
    ValueError
        Invalid model parameters, initial state, times, a protocol phase that would
        not be simulated (see :func:`check_phases_observed`); an
        :class:`~thetabif.errors.InputError` for a diagram or continuation of
        another model, at other parameter values, or (the diagram) not continued in
        ``eta`` (see :func:`check_engine`).
    """
    model = model or ThetaModel()
    if not hasattr(model, "population_names") or not hasattr(model, "input_names"):
        raise InputError(f"model must be a ThetaModel or a Circuit, got "
                         f"{type(model).__name__}")
    drive = drive_parameters(model, input_population)
    protocol = protocol if protocol is not None else Protocol.step(20.0, 80.0, 3.0)
    if not isinstance(protocol, Protocol):
        raise InputError(f"protocol must be a Protocol, got {type(protocol).__name__}")
    full = model.validate_params(params)
    if t_end is None:
        t_end = (protocol.breaks[-1] + 20.0) if protocol.breaks else 100.0
    if not (math.isfinite(t_end) and t_end > 0):
        raise InputError(f"t_end must be finite and > 0, got {t_end!r}")
    if not (math.isfinite(dt) and 0 < dt <= 0.05):
        raise InputError(f"dt must be in (0, 0.05] to resolve oscillations, got {dt!r}")
    check_phases_observed(protocol, t_end, dt)
    tol = tolerances or Tolerances()
    u0 = initial_state(model, {**full, drive[1]: protocol.levels[0]}, z0, s0)
    check_engine(model, full, diagram, continuation, input_population=input_population)
    if diagram is None:
        diagram, continuation = protocol_diagram(model, full, protocol.phases(0.0, t_end),
                                                 continuation,
                                                 input_population=input_population)
    preds = predict_phases(model, full, protocol, u0, t_end, diagram=diagram,
                           continuation=continuation, polish=polish,
                           input_population=input_population)

    ds: xr.Dataset = simulate(model, full, t_end=t_end, dt=dt, inputs={drive[1]: protocol},
                              z0=z0, s0=s0)
    if "r" not in ds:  # a circuit: its output r is its readout population's
        ds["r"] = ds[f"r_{model.readout}"]
    t = ds.time.to_numpy()
    U = _state_rows(ds)
    r = ds.r.to_numpy()
    checks = []
    for ph, pred in preds:
        last = ph.stop >= t_end
        m = (t >= ph.start - 1e-9) & ((t < ph.stop - 1e-9) | last)
        if pred.get("kind") == "equilibrium":
            obs = observe_equilibrium(t[m], U[:, m], r[m], pred)
        else:
            obs = observe_cycle(t[m], r[m])
        verdict, why = _judge(pred, obs, ph.stop - ph.start, tol)
        checks.append(PhaseCheck(ph.name, ph.start, ph.stop, ph.value, pred, obs, verdict,
                                 tuple(why)))
    z0 = dict(z0) if isinstance(z0, Mapping) else complex(z0)
    return VerificationResult(model.name, full, protocol, z0, tuple(checks), ds, tol,
                              model_options(model), drive[1])
