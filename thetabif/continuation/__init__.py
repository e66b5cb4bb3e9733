"""The continuation API: equilibria, fold/Hopf curves and limit cycles, run on AUTO-07p.

Data flows one way: the model's generated Fortran is compiled once per model (cached
by the engine; :func:`engine_executable`), every equilibrium run starts from a restart
file (``fort.3``, :func:`restart_text`) holding the Newton equilibrium and the
parameters, so other starting parameters never recompile; each run happens in a
private directory, AUTO's records are converted to
:class:`Branch` and :class:`SpecialPoint` records, and every special point is polished
by Newton on its defining system (:mod:`thetabif.polish`). The difference between
AUTO's location and the polished one is kept, and a warning is issued when it exceeds
:data:`POLISH_WARN`. Points AUTO's test functions stepped over are added from a scan
of each branch (:mod:`thetabif.branch_scan`).

>>> from thetabif import Continuation, ThetaModel     # doctest: +SKIP
>>> cont = Continuation(ThetaModel(), {"J": 15})       # doctest: +SKIP
>>> eq = cont.equilibria("eta", start=-10, stop=5)     # doctest: +SKIP
>>> folds = cont.curve(eq.special("LP")[0], ("eta", "J"))   # doctest: +SKIP

Modules, each importing only those above it:

options
    Inputs checked once (the options of each kind of run, free parameters, ranges)
    and AUTO's constants.
records
    :class:`SpecialPoint`, :class:`Branch`, :class:`ContinuationResult` and their files.
engine
    The compiled engine, restart files, one AUTO run, one direction restarted.
seeding
    Equilibria to start branches from.
convert
    AUTO's output made into records: polishing, stability, the box, labels, notes.
hopf
    Hopf curves: neutral-saddle stretches, BT ends, Bautin points.
cycles
    Cycle branches: homoclinic end, missed PD/TR points, stored orbits.
api
    :class:`Continuation`.
scan
    Fold and Hopf curves from the LP/HB points of equilibrium runs at several ``J``
    (the one scan of phase diagrams and of the grid check).
"""

# The private helpers below stay importable from here, where tests have imported them.
from thetabif.continuation.api import Continuation
from thetabif.continuation.convert import POLISH_WARN
from thetabif.continuation.cycles import _crossing_brackets, _floquet_tests  # noqa: F401
from thetabif.continuation.engine import (
    ContinuationFailed,
    _closure_index,  # noqa: F401
    engine_executable,
    engine_source_file,
    restart_text,
)
from thetabif.continuation.options import (
    ContinuationOptions,
    CurveOptions,
    CycleOptions,
    EquilibriumOptions,
)
from thetabif.continuation.records import (
    Branch,
    ContinuationResult,
    Located,
    LocatedBy,
    Note,
    SpecialPoint,
    StopReason,
    bautin_kind,
)
from thetabif.continuation.seeding import start_equilibrium as _start_equilibrium  # noqa: F401

__all__ = [
    "POLISH_WARN",
    "Branch",
    "Continuation",
    "ContinuationFailed",
    "ContinuationOptions",
    "ContinuationResult",
    "CurveOptions",
    "CycleOptions",
    "EquilibriumOptions",
    "Located",
    "LocatedBy",
    "Note",
    "SpecialPoint",
    "StopReason",
    "bautin_kind",
    "engine_executable",
    "engine_source_file",
    "restart_text",
]
