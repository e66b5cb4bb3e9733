"""AUTO-07p constants files (``c.NAME.<scenario>``) and the ``NAME.auto`` script.

The constants files use AUTO 0.9's keyword format (as the demos' ``c.*`` files) and
name parameters and states through ``parnames`` / ``unames``, so scripts and
constants refer to ``'eta'`` and ``'J'`` rather than ``1`` and ``2``.

Scenarios (:data:`SCENARIOS`)
-----------------------------
For a circuit, ``eta`` and ``J`` below are the parameters of
:func:`scenario_parameters` (``eta_E`` and ``J_EE`` for the shipped ``ping``).

``eq_eta``
    Equilibria in ``eta`` from the ``STPNT`` equilibrium (``IRS=0``); folds (LP) and
    Hopf points (HB) are located (``ILP=1``, ``ISP=2``).
``fold``
    Fold curve in ``(eta, J)`` from an LP label (``ISW=2``, ``IRS='LP1'``).
``hopf``
    Hopf curve in ``(eta, J)`` from an HB label (``ISW=2``, ``IRS='HB1'``).
``cycles``
    Periodic orbits in ``eta`` from an HB label (``IPS=2``, ``ICP=['eta', 11]``, the
    period being ``PAR(11)``).
``hom`` (models with two states only, :func:`has_homcont`)
    The homoclinic curve in ``(eta, J)`` with HomCont (``IPS=9``), started from a
    cycle orbit of period :data:`MAX_PERIOD` (``ISTART=5``): the saddle is computed by
    AUTO and kept in ``PAR(12..13)`` (``IEQUIB=1``), one unstable and one stable
    eigenvalue (``NUNSTAB=1``, ``NSTAB=1``: every saddle of a planar system), the
    period fixed. HomCont's test functions ``psi1`` (``PAR(21)``, the saddle quantity
    ``lambda_s + lambda_u``: neutral saddles are its zeros, ``UZR``) and ``psi10``
    (``PAR(30)``, the unstable eigenvalue ``lambda_u``) are printed; the run stops where
    ``lambda_u * T`` falls below :data:`MIN_SEPARATION` (``UZSTOP`` on ``psi10``): nearer
    a Bogdanov-Takens point the orbit of fixed period is no longer close to the
    homoclinic orbit. These are the constants of
    :meth:`thetabif.Continuation.homoclinic`, which cuts its curve by the same rule.

The solution measures that ``PVLS`` stores (``r`` in ``PAR(41)``, ``v`` in
``PAR(42)``, see :func:`thetabif.codegen.fortran.output_indices`) are listed last in
``ICP`` of the equilibrium and fold/Hopf scenarios (AUTO's "parameter
overspecification"): AUTO then prints them as columns of ``fort.7`` / ``b.*`` and they
can stop a run through ``UZSTOP``. They are not continuation parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thetabif.auto.constants import (
    DEFAULTS,
    HOMCONT,
    HOMCONT_PSI_PARS,
    npar,
    parameter_indices,
    state_indices,
)
from thetabif.codegen.fortran import output_indices
from thetabif.errors import InputError

if TYPE_CHECKING:
    from thetabif.models import ThetaModel

#: Range of eta (and of J in two-parameter runs) beyond which AUTO stops.
ETA_RANGE = (-20.0, 20.0)
J_RANGE = (-60.0, 60.0)
#: Period beyond which a branch of periodic orbits stops (approach to a homoclinic);
#: the period of the orbit HomCont starts from (``hom``).
MAX_PERIOD = 500.0
#: Smallest ``lambda_u * T`` on the exported homoclinic curve: the curve stops where
#: HomCont's ``psi10`` (= ``lambda_u``) falls to ``MIN_SEPARATION / MAX_PERIOD``
#: (:data:`thetabif.continuation.homoclinic.MIN_SEPARATION` cuts the engine's curve
#: likewise, by ``min(lambda_u, -lambda_s) * T``).
MIN_SEPARATION = 100.0
#: PAR indices of HomCont's test functions printed on the homoclinic curve.
PSI_PARS = HOMCONT_PSI_PARS


@dataclass(frozen=True)
class Scenario:
    """One standard AUTO run: its constants and a one-line description."""

    name: str
    description: str
    constants: dict[str, Any] = field(hash=False)


def _common() -> dict[str, Any]:
    """:data:`thetabif.auto.constants.DEFAULTS`, with the keys each scenario sets."""
    return {**DEFAULTS, "ICP": None, "THL": {}, "THU": {}, "UZSTOP": None}


def scenario_parameters(model: ThetaModel) -> tuple[str, str]:
    """The parameters the scenarios call ``eta`` and ``J``: ``("eta", "J")`` for a
    single population; for a circuit, ``eta_P`` of its readout population ``P`` and
    the weight of the edge onto ``P`` from itself (else the first edge onto ``P``,
    else the first edge; ``Delta_P`` for a circuit without edges)."""
    names = model.parameter_names
    if "eta" in names and "J" in names:
        return "eta", "J"
    pop = getattr(model, "readout", None) or model.population_names[0]
    edges = list(getattr(model, "edges", ()))
    onto = [e for e in edges if e.target == pop]
    ranked = [e for e in onto if e.source == pop] + onto + edges
    return f"eta_{pop}", f"J_{ranked[0].key}" if ranked else f"Delta_{pop}"


def scenarios(model: ThetaModel) -> dict[str, Scenario]:
    """The standard scenarios of ``model``, by name (see the module docstring)."""
    measures = [k for k in ("r", "v") if k in output_indices(model)]
    eta, J = scenario_parameters(model)
    eta_stop = {eta: list(ETA_RANGE)}
    two_stop = {eta: list(ETA_RANGE), J: list(J_RANGE)}

    eq = _common()  # DSMAX: the table's 0.02 (the folds are sharp)
    eq.update(ICP=[eta, *measures], UZSTOP=eta_stop)

    fold = _common()
    fold.update(IRS="LP1", ISW=2, ICP=[eta, J, *measures], UZSTOP=two_stop,
                DSMAX=0.05)

    hopf = _common()
    hopf.update(IRS="HB1", ISW=2, ICP=[eta, J, *measures], UZSTOP=two_stop,
                DSMAX=0.05)

    cycles = _common()
    # Looser tolerances than for equilibria: collocation residuals at 1e-10 make AUTO
    # retry steps for seconds without changing the branch visibly.
    cycles.update(IPS=2, IRS="HB1", ICP=[eta, 11], NTST=50, NMX=1000, DSMAX=0.5,
                  EPSL=1e-07, EPSU=1e-07, EPSS=1e-05, THL={11: 0.0},
                  UZSTOP={eta: list(ETA_RANGE), 11: MAX_PERIOD})
    out = {
        "eq_eta": Scenario("eq_eta", f"equilibria in {eta} from the STPNT equilibrium", eq),
        "fold": Scenario("fold", f"fold (LP) curve in ({eta}, {J}) from label LP1", fold),
        "hopf": Scenario("hopf", f"Hopf (HB) curve in ({eta}, {J}) from label HB1", hopf),
        "cycles": Scenario("cycles", f"periodic orbits in {eta} from label HB1", cycles),
    }
    if has_homcont(model):
        hom = _common()
        # HomCont as thetabif.continuation.homoclinic runs it: looser tolerances (1e-8;
        # NTST=120 resolves the orbit's fast excursion), no fold or branch-point tests
        # (ILP=0, ISP=0: meaningless on a fixed-period orbit), the saddle computed by
        # AUTO from the start orbit (ISTART=5, IEQUIB=1).
        hom.update(IPS=9, IRS="UZ1", ILP=0,
                   ICP=[eta, J, *PSI_PARS, *measures], NTST=120, ISP=0, MXBF=0,
                   NMX=2000, NPR=100000, EPSL=1e-08, EPSU=1e-08, EPSS=1e-06, DS=0.02,
                   DSMAX=0.2, UZR={"psi1": 0.0},
                   UZSTOP={**two_stop, "psi10": MIN_SEPARATION / MAX_PERIOD},
                   NUNSTAB=1, NSTAB=1, **HOMCONT)
        out["hom"] = Scenario("hom", f"homoclinic curve in ({eta}, {J}) (HomCont) from a cycle "
                              f"orbit of period {MAX_PERIOD:g}", hom)
    return out


#: Scenario names of every model, in the order the script runs them.
SCENARIOS = ("eq_eta", "fold", "hopf", "cycles")
#: The scenario of the models with HomCont (:func:`has_homcont`), run last.
HOMCONT_SCENARIO = "hom"


def has_homcont(model: ThetaModel) -> bool:
    """Whether the export of ``model`` has the HomCont scenario: models with two states
    (instantaneous synapses), whose saddles have one stable and one unstable
    eigenvalue, the ``NSTAB=1``, ``NUNSTAB=1`` of its constants."""
    return len(model.state_names) == 2


def model_scenarios(model: ThetaModel) -> tuple[str, ...]:
    """The scenarios exported for ``model``, in the order its script runs them."""
    return SCENARIOS + ((HOMCONT_SCENARIO,) if has_homcont(model) else ())


def _value(value: Any) -> str:
    """A constant's value in AUTO's keyword syntax (Python-literal like)."""
    if isinstance(value, bool):
        raise TypeError("AUTO constants are never booleans")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_value(k)}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


_LAYOUT = (
    ("NDIM", "IPS", "IRS", "ILP"),
    ("ICP",),
    ("NTST", "NCOL", "IAD", "ISP", "ISW", "IPLT", "NBC", "NINT"),
    ("NMX", "NPR", "MXBF", "IID", "ITMX", "ITNW", "NWTN", "JAC"),
    ("EPSL", "EPSU", "EPSS"),
    ("DS", "DSMIN", "DSMAX", "IADS"),
    ("NPAR", "THL", "THU"),
    ("UZSTOP",),
)
#: Rows written only where a scenario sets them (HomCont's constants).
_OPTIONAL_LAYOUT = (
    ("UZR",),
    ("NUNSTAB", "NSTAB", "IEQUIB", "ITWIST", "ISTART"),
    ("IPSI",),
)


def constants_file(model: ThetaModel, scenario: str) -> str:
    """Text of ``c.NAME.<scenario>``.

    Parameters
    ----------
    model : ThetaModel
    scenario : str
        One of :func:`model_scenarios` of ``model``.
    """
    all_scen = scenarios(model)
    if scenario not in all_scen:
        raise InputError(f"unknown scenario {scenario!r} for {model.name}; allowed: "
                         f"{', '.join(all_scen)}")
    scen = all_scen[scenario]
    consts = dict(scen.constants, NDIM=len(model.state_names),
                  NPAR=npar(model.parameter_names, model.state_names))
    unames = {i: n for i, n in enumerate(model.state_names, start=1)}
    extremes = state_indices(model.parameter_names, model.state_names).values()
    lo, hi = min(extremes), max(extremes)
    parnames: dict[int, str] = {i: n for n, i in
                                parameter_indices(model.parameter_names).items()}
    if scenario == HOMCONT_SCENARIO:
        parnames.update({idx: name for name, idx in PSI_PARS.items()})
    parnames.update({idx: name for name, idx in output_indices(model).items()})
    lines = [
        f"# c.{model.name}.{scenario} -- AUTO-07p constants generated by thetabif (do not edit).",
        f"# {scen.description}; model: {' '.join(model.description.split())}.",
        f"# Use: run(e='{model.name}', c='{model.name}.{scenario}') (see {model.name}.auto).",
        "# PAR(41)... are solution measures set by PVLS (listed last in ICP: printed only).",
        f"# PAR({lo})..PAR({hi}): each state's maximum, then each state's minimum over the "
        "solution (equilibria: the state), set by PVLS; list them in ICP to print every state.",
        f"unames = {_value(unames)}",
        f"parnames = {_value(parnames)}",
    ]
    for group in _LAYOUT:
        lines.append(", ".join(f"{key}={_value(consts[key])}" for key in group))
    for group in _OPTIONAL_LAYOUT:
        if all(key in consts for key in group):
            lines.append(", ".join(f"{key}={_value(consts[key])}" for key in group))
    return "\n".join(lines) + "\n"


def auto_script(model: ThetaModel) -> str:
    """Text of ``NAME.auto``: the standard diagram under AUTO's own command line.

    Run as ``auto NAME.auto`` in the folder holding ``NAME.f90`` and the ``c.NAME.*``
    files. It continues equilibria in ``eta`` in both directions from the ``STPNT``
    equilibrium, then every fold curve (from each LP) and Hopf curve (from each HB) in
    ``(eta, J)`` in both directions, and the periodic orbits born at each Hopf point.
    For models with HomCont (:func:`has_homcont`) it also follows the cycles of each
    Hopf point to period :data:`MAX_PERIOD` and, from that orbit, the homoclinic curve
    in ``(eta, J)`` in both directions. Results are saved as ``b.``/``s.``/``d.``
    files named ``NAME_eq``, ``NAME_fold``, ``NAME_hopf``, ``NAME_cycles`` (and
    ``NAME_hom``).
    """
    n = model.name
    eta, J = scenario_parameters(model)
    hom = has_homcont(model)
    pad = "#" + " " * (len(n) + 12)
    hom_doc = (f"#   {n}_hom     homoclinic curves in ({eta}, {J}) (HomCont) from each HB whose\n"
               f"{pad}cycles reach period {MAX_PERIOD:g}, both directions; psi1 (PAR(21))\n"
               f"{pad}is lambda_s + lambda_u (UZ where 0: neutral saddles), psi10\n"
               f"{pad}(PAR(30)) is lambda_u\n") if hom else ""
    hom_block = f'''
# Homoclinic curves: the cycles of each Hopf point followed to period {MAX_PERIOD:g} (a UZ
# point; ILP=0, since with ILP=1 AUTO labels that stop LP and goes on), then HomCont
# from that orbit. The curve stops where lambda_u * T < {MIN_SEPARATION:g} (near a
# Bogdanov-Takens point the fixed-period orbit is no longer close to a homoclinic one).
if len(hopfs) > 0:
    hom = None
    for point in hopfs:
        long_orbits = run(point, e='{n}', c='{n}.cycles', ILP=0, UZSTOP={{11: {MAX_PERIOD!r}}})
        ends = long_orbits('UZ')
        if len(ends) == 0:
            print('{n}: the cycles of a Hopf point do not reach period {MAX_PERIOD:g}: '
                  'no homoclinic curve from it')
            continue
        curve = both_ways(ends[-1], '{n}.hom')
        hom = curve if hom is None else hom + curve
    if hom is not None:
        save(relabel(hom), '{n}_hom')
''' if hom else ""
    return f'''\
# {n}.auto -- AUTO-07p command-line script generated by thetabif (do not edit).
# Model: {' '.join(model.description.split())}.
# Run with AUTO-07p's Python command line, in this folder:  auto {n}.auto
# Needs only AUTO-07p and gfortran (no thetabif). Writes b./s./d. files:
#   {n}_eq      equilibria in {eta} (both directions from the STPNT equilibrium)
#   {n}_fold    fold (LP) curves in ({eta}, {J}), one per LP point, both directions
#   {n}_hopf    Hopf (HB) curves in ({eta}, {J}), one per HB point, both directions
#   {n}_cycles  periodic orbits in {eta} from each HB point
{hom_doc}# Columns r and v (PAR(41), PAR(42)) are the firing rate and mean voltage (set by PVLS).

def both_ways(start, constants):
    """Continue from start (a solution or None for STPNT) in both directions."""
    if start is None:
        forward = run(e='{n}', c=constants)
        backward = run(e='{n}', c=constants, DS='-')
    else:
        forward = run(start, e='{n}', c=constants)
        backward = run(start, e='{n}', c=constants, DS='-')
    return forward + backward

eq = relabel(both_ways(None, '{n}.eq_eta'))
save(eq, '{n}_eq')
folds = eq('LP')
hopfs = eq('HB')
print('{n}: %d fold (LP) and %d Hopf (HB) points on the equilibria' % (len(folds), len(hopfs)))

if len(folds) > 0:
    fold = None
    for point in folds:
        curve = both_ways(point, '{n}.fold')
        fold = curve if fold is None else fold + curve
    save(relabel(fold), '{n}_fold')

if len(hopfs) > 0:
    hopf = None
    cycles = None
    for point in hopfs:
        curve = both_ways(point, '{n}.hopf')
        hopf = curve if hopf is None else hopf + curve
        orbits = run(point, e='{n}', c='{n}.cycles')
        cycles = orbits if cycles is None else cycles + orbits
    save(relabel(hopf), '{n}_hopf')
    save(relabel(cycles), '{n}_cycles')
{hom_block}
clean()
'''


__all__ = ["HOMCONT_SCENARIO", "SCENARIOS", "Scenario", "auto_script", "constants_file",
           "has_homcont", "model_scenarios", "scenario_parameters", "scenarios"]
