"""AUTO-07p constants files (``c.NAME.<scenario>``) and the ``NAME.auto`` script.

The constants files use AUTO 0.9's keyword format (as the demos' ``c.*`` files) and
name parameters and states through ``parnames`` / ``unames``, so scripts and
constants refer to ``'eta'`` and ``'J'`` rather than ``1`` and ``2``.

Scenarios (:data:`SCENARIOS`)
-----------------------------
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

The solution measures that ``PVLS`` stores (``r`` in ``PAR(41)``, ``v`` in
``PAR(42)``, see :func:`thetabif.codegen.fortran.output_indices`) are listed last in
``ICP`` of the equilibrium and fold/Hopf scenarios (AUTO's "parameter
overspecification"): AUTO then prints them as columns of ``fort.7`` / ``b.*`` and they
can stop a run through ``UZSTOP``. They are not continuation parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thetabif.auto.constants import DEFAULTS, npar, parameter_indices
from thetabif.codegen.fortran import output_indices
from thetabif.errors import InputError

if TYPE_CHECKING:
    from thetabif.models import ThetaModel

#: Range of eta (and of J in two-parameter runs) beyond which AUTO stops.
ETA_RANGE = (-20.0, 20.0)
J_RANGE = (-60.0, 60.0)
#: Period beyond which a branch of periodic orbits stops (approach to a homoclinic).
MAX_PERIOD = 500.0


@dataclass(frozen=True)
class Scenario:
    """One standard AUTO run: its constants and a one-line description."""

    name: str
    description: str
    constants: dict[str, Any] = field(hash=False)


def _common() -> dict[str, Any]:
    """:data:`thetabif.auto.constants.DEFAULTS`, with the keys each scenario sets."""
    return {**DEFAULTS, "ICP": None, "THL": {}, "THU": {}, "UZSTOP": None}


def scenarios(model: ThetaModel) -> dict[str, Scenario]:
    """The standard scenarios of ``model``, by name (see the module docstring)."""
    measures = [k for k in ("r", "v") if k in output_indices(model)]
    eta_stop = {"eta": list(ETA_RANGE)}
    two_stop = {"eta": list(ETA_RANGE), "J": list(J_RANGE)}

    eq = _common()  # DSMAX: the table's 0.02 (the folds are sharp)
    eq.update(ICP=["eta", *measures], UZSTOP=eta_stop)

    fold = _common()
    fold.update(IRS="LP1", ISW=2, ICP=["eta", "J", *measures], UZSTOP=two_stop,
                DSMAX=0.05)

    hopf = _common()
    hopf.update(IRS="HB1", ISW=2, ICP=["eta", "J", *measures], UZSTOP=two_stop,
                DSMAX=0.05)

    cycles = _common()
    # Looser tolerances than for equilibria: collocation residuals at 1e-10 make AUTO
    # retry steps for seconds without changing the branch visibly.
    cycles.update(IPS=2, IRS="HB1", ICP=["eta", 11], NTST=50, NMX=1000, DSMAX=0.5,
                  EPSL=1e-07, EPSU=1e-07, EPSS=1e-05, THL={11: 0.0},
                  UZSTOP={"eta": list(ETA_RANGE), 11: MAX_PERIOD})
    return {
        "eq_eta": Scenario("eq_eta", "equilibria in eta from the STPNT equilibrium", eq),
        "fold": Scenario("fold", "fold (LP) curve in (eta, J) from label LP1", fold),
        "hopf": Scenario("hopf", "Hopf (HB) curve in (eta, J) from label HB1", hopf),
        "cycles": Scenario("cycles", "periodic orbits in eta from label HB1", cycles),
    }


#: Scenario names, in the order the script runs them.
SCENARIOS = ("eq_eta", "fold", "hopf", "cycles")


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


def constants_file(model: ThetaModel, scenario: str) -> str:
    """Text of ``c.NAME.<scenario>``.

    Parameters
    ----------
    model : ThetaModel
    scenario : str
        One of :data:`SCENARIOS`.
    """
    all_scen = scenarios(model)
    if scenario not in all_scen:
        raise InputError(f"unknown scenario {scenario!r}; allowed: {', '.join(SCENARIOS)}")
    scen = all_scen[scenario]
    consts = dict(scen.constants, NDIM=len(model.state_names),
                  NPAR=npar(model.parameter_names))
    unames = {i: n for i, n in enumerate(model.state_names, start=1)}
    parnames: dict[int, str] = {i: n for n, i in
                                parameter_indices(model.parameter_names).items()}
    parnames.update({idx: name for name, idx in output_indices(model).items()})
    lines = [
        f"# c.{model.name}.{scenario} -- AUTO-07p constants generated by thetabif (do not edit).",
        f"# {scen.description}; model: {model.description}.",
        f"# Use: run(e='{model.name}', c='{model.name}.{scenario}') (see {model.name}.auto).",
        "# PAR(41)... are solution measures set by PVLS (listed last in ICP: printed only).",
        f"unames = {_value(unames)}",
        f"parnames = {_value(parnames)}",
    ]
    for group in _LAYOUT:
        lines.append(", ".join(f"{key}={_value(consts[key])}" for key in group))
    return "\n".join(lines) + "\n"


def auto_script(model: ThetaModel) -> str:
    """Text of ``NAME.auto``: the standard diagram under AUTO's own command line.

    Run as ``auto NAME.auto`` in the folder holding ``NAME.f90`` and the ``c.NAME.*``
    files. It continues equilibria in ``eta`` in both directions from the ``STPNT``
    equilibrium, then every fold curve (from each LP) and Hopf curve (from each HB) in
    ``(eta, J)`` in both directions, and the periodic orbits born at each Hopf point.
    Results are saved as ``b.``/``s.``/``d.`` files named ``NAME_eq``, ``NAME_fold``,
    ``NAME_hopf`` and ``NAME_cycles``.
    """
    n = model.name
    return f'''\
# {n}.auto -- AUTO-07p command-line script generated by thetabif (do not edit).
# Model: {model.description}.
# Run with AUTO-07p's Python command line, in this folder:  auto {n}.auto
# Needs only AUTO-07p and gfortran (no thetabif). Writes b./s./d. files:
#   {n}_eq      equilibria in eta (both directions from the STPNT equilibrium)
#   {n}_fold    fold (LP) curves in (eta, J), one per LP point, both directions
#   {n}_hopf    Hopf (HB) curves in (eta, J), one per HB point, both directions
#   {n}_cycles  periodic orbits in eta from each HB point
# Columns r and v (PAR(41), PAR(42)) are the firing rate and mean voltage (set by PVLS).

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

clean()
'''


__all__ = ["SCENARIOS", "Scenario", "auto_script", "constants_file", "scenarios"]
