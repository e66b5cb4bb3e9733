"""The one table of AUTO-07p constants thetabif runs with (model-independent).

Both the engine behind :class:`thetabif.continuation.Continuation`
(:func:`thetabif.continuation.options.constants`) and the exported constants files
(:mod:`thetabif.codegen.autofiles`, ``thetabif export``) start from :data:`DEFAULTS`;
each states where it departs from it, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

#: AUTO-07p constants shared by every run (the keyword names of AUTO 0.9's ``c.*``
#: files). Tolerances: EPSL = EPSU = 1e-10 let Newton polishing start from AUTO's
#: points; EPSS = 1e-7 locates special points to ~1e-7 in arclength. DSMAX = 0.02: the
#: folds of theta are sharp in (x, y), and with 0.05 AUTO steps across the upper fold
#: at J = 15 without locating it (every caller sets its own step anyway).
DEFAULTS: MappingProxyType[str, Any] = MappingProxyType({
    "IPS": 1, "IRS": 0, "ILP": 1,
    "NTST": 50, "NCOL": 4, "IAD": 3, "ISP": 2, "ISW": 1, "IPLT": 0, "NBC": 0, "NINT": 0,
    "NMX": 3000, "NPR": 5000, "MXBF": 10, "IID": 2, "ITMX": 8, "ITNW": 7, "NWTN": 3,
    "JAC": 1,
    "EPSL": 1e-10, "EPSU": 1e-10, "EPSS": 1e-07,
    "DS": 0.01, "DSMIN": 1e-06, "DSMAX": 0.02, "IADS": 1,
    "NPAR": 50,
})


#: Where a model's parameters go: PAR(1..9), then PAR(51..). AUTO keeps PAR(10..14)
#: (PAR(11): the period), HomCont PAR(12..) (the saddle) and PAR(21..36) (its test
#: functions), the engine its solution measures in PAR(41..50) and the states' maxima
#: and minima after the last parameter (:func:`state_indices`).
FIRST_PARAMETER_SLOTS = 9
EXTRA_PARAMETER_PAR = 51


def parameter_indices(names: Sequence[str]) -> dict[str, int]:
    """The PAR index of each model parameter, in order (see :data:`FIRST_PARAMETER_SLOTS`)."""
    return {name: k + 1 if k < FIRST_PARAMETER_SLOTS
            else EXTRA_PARAMETER_PAR + k - FIRST_PARAMETER_SLOTS
            for k, name in enumerate(names)}


def state_indices(names: Sequence[str], states: Sequence[str]) -> dict[tuple[str, str], int]:
    """The PAR index of each state's maximum and minimum over the solution, which the
    engine's ``PVLS`` stores (AUTO's ``GETP('MAX'/'MIN', i, U)``; for an equilibrium
    both are the state itself).

    ``(state, "max")`` of state ``i`` (from 0) goes to ``first + i``, ``(state, "min")``
    to ``first + len(states) + i``, where ``first`` follows the last parameter's PAR
    (:func:`parameter_indices` of ``names``), at least 51: clear of AUTO's, HomCont's
    and the measures' PARs. AUTO's ``fort.7`` prints only ``7 - len(ICP)`` states; the
    engine lists these PARs in ``ICP`` to have every state printed.

    Examples
    --------
    >>> state_indices(["eta", "J"], ["x", "y"])
    {('x', 'max'): 51, ('y', 'max'): 52, ('x', 'min'): 53, ('y', 'min'): 54}
    """
    first = max([EXTRA_PARAMETER_PAR - 1, *parameter_indices(names).values()]) + 1
    n = len(states)
    out = {(s, "max"): first + i for i, s in enumerate(states)}
    out.update({(s, "min"): first + n + i for i, s in enumerate(states)})
    return out


def npar(names: Sequence[str], states: Sequence[str]) -> int:
    """``NPAR`` for a model with these parameters and states: at least :data:`DEFAULTS`'
    50, and room for the states' maxima and minima (:func:`state_indices`)."""
    return max([DEFAULTS["NPAR"], *parameter_indices(names).values(),
                *state_indices(names, states).values()])


#: First PAR index of the solution measures the engine's ``PVLS`` stores.
FIRST_OUTPUT_PAR = 41


def output_indices(names: Sequence[str]) -> dict[str, int]:
    """The PAR index of each solution measure (a model's ``output_names``), from
    :data:`FIRST_OUTPUT_PAR` on."""
    return {name: FIRST_OUTPUT_PAR + i for i, name in enumerate(names)}


#: HomCont (``IPS=9``) as thetabif runs it, in the engine and in exported scripts:
#: the saddle computed by AUTO from the start orbit (``ISTART=5``, ``IEQUIB=1``), no
#: orientation test (``ITWIST=0``), the test functions psi1 (neutral saddle) and psi10
#: (the unstable rate) active.
HOMCONT: MappingProxyType[str, Any] = MappingProxyType({
    "IEQUIB": 1, "ITWIST": 0, "ISTART": 5, "IPSI": [1, 10],
})
#: HomCont's PAR indices of the test functions psi1 and psi10.
HOMCONT_PSI_PARS: MappingProxyType[str, int] = MappingProxyType({"psi1": 21, "psi10": 30})
