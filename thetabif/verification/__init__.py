"""Verification of bifurcation diagrams by simulation.

- :func:`verify` -- per phase of an input protocol, the attractor the diagram predicts
  (equilibrium with node/focus, decay rate and frequency, or limit cycle with period
  and range of r; hysteresis by the separatrix rule), simulated and compared
  (:class:`VerificationResult`).
- :func:`verify_grid` -- brute-force check of a phase diagram in (eta, J)
  (:class:`GridResult`, :class:`BifurcationCurves`).

Both take circuits: :func:`verify` drives one population's input
(:func:`drive_parameters`), :func:`verify_grid` any two parameters (``axes``).
"""

from __future__ import annotations

from thetabif.verification.grid import BifurcationCurves, GridResult, verify_grid
from thetabif.verification.timecourse import (
    PhaseCheck,
    Tolerances,
    VerificationResult,
    diagram_equilibria,
    drive_parameters,
    verify,
)

__all__ = ["GridResult", "PhaseCheck", "BifurcationCurves", "Tolerances", "VerificationResult",
           "diagram_equilibria", "drive_parameters", "verify", "verify_grid"]
