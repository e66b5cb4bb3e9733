"""The exceptions of thetabif: one family under :class:`ThetabifError`.

This module owns every exception class thetabif raises for its own reasons; it is the
lowest layer of the package and imports nothing from it. The classes are re-exported
where they were first defined (``thetabif.simulation.SimulationError``,
``thetabif.polish.PolishError``, ``thetabif.auto.ContinuationError``,
``thetabif.auto.AutoNotFoundError``, ...), so older imports keep working.

Each class keeps a built-in base, so ``except ValueError`` and ``except RuntimeError``
clauses written before the family existed still catch what they caught::

    ThetabifError
    ├── InputError (ValueError)            a value given by the caller is wrong
    ├── ToolchainError (RuntimeError)      a tool thetabif needs is missing or failed
    │   ├── AutoNotFoundError              AUTO-07p is not installed where looked for
    │   ├── CompilerNotFoundError          no usable gfortran
    │   └── CompileError                   compiling/linking an equation file failed
    └── NumericalError (RuntimeError)      a computation did not succeed
        ├── SimulationError                a trajectory left the domain / solver failed
        ├── ContinuationError              a continuation could not be carried out
        └── PolishError                    Newton on a defining system did not converge

The command line maps these classes to its exit statuses (input 2, toolchain and
numerical 1; see :mod:`thetabif.cli.status`).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = [
    "AutoNotFoundError",
    "CompileError",
    "CompilerNotFoundError",
    "ContinuationError",
    "InputError",
    "NumericalError",
    "PolishError",
    "SimulationError",
    "ThetabifError",
    "ToolchainError",
]


class ThetabifError(Exception):
    """Base class of every exception thetabif raises for its own reasons."""


class InputError(ThetabifError, ValueError):
    """A value given by the caller is wrong (a parameter, an option, a path, a size).

    Also a :class:`ValueError`, so ``except ValueError`` catches it.
    """


class ToolchainError(ThetabifError, RuntimeError):
    """A tool thetabif needs (AUTO-07p, gfortran) is missing or failed."""


class AutoNotFoundError(ToolchainError):
    """AUTO-07p is not installed where thetabif looked for it."""


class CompilerNotFoundError(ToolchainError):
    """No usable Fortran compiler (gfortran) was found."""


class CompileError(ToolchainError):
    """Compiling or linking an equation file failed.

    Attributes
    ----------
    stage : str
        ``"compile"`` or ``"link"``.
    command : list of str
        The command that failed.
    returncode : int
        Its exit code.
    stderr : str
        The compiler's own diagnostic output (also part of the message).
    source_name : str
        The name the equation file was given.
    """

    def __init__(
        self, stage: str, command: list[str], returncode: int, stderr: str, source_name: str
    ) -> None:
        self.stage = stage
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.source_name = source_name
        super().__init__(
            f"{stage} of AUTO equation file {source_name!r} failed "
            f"(exit code {returncode}): {' '.join(command)}\n{stderr.rstrip()}"
        )


class NumericalError(ThetabifError, RuntimeError):
    """A computation (simulation, continuation, Newton polishing) did not succeed."""


class SimulationError(NumericalError):
    """A trajectory left the model's domain or the solver failed; says when and why."""


class PolishError(NumericalError):
    """Newton on a defining system did not converge."""


class _Status(Protocol):
    """What :class:`ContinuationError` needs of a status: its readable message
    (:class:`thetabif.auto.RunStatus` has it)."""

    @property
    def message(self) -> str: ...


class ContinuationError(NumericalError):
    """A continuation could not be carried out; carries AUTO's own status and message.

    Raised by an AUTO run that did not produce a usable branch
    (:meth:`thetabif.auto.RunResult.raise_for_status`, with the run's status) and by
    the continuation API when a branch cannot be started or continued (with a
    message only). ``thetabif.continuation.ContinuationFailed`` is another name of
    this class.

    Parameters
    ----------
    what : RunStatus or str
        AUTO's status of the run (its ``message`` starts the text), or the message.
    auto_message : str, optional
        AUTO's own messages (from its standard output and ``fort.9``).
    result : RunResult, optional
        The full result of the run, raw files included, for inspection.

    Attributes
    ----------
    status : RunStatus or None
        What went wrong, as AUTO's run status; None when the failure is not one AUTO
        run's.
    auto_message : str
        AUTO's own messages ("" if none).
    result : RunResult or None
        The full result, raw files included, for inspection.
    """

    def __init__(self, what: _Status | str = "", auto_message: str = "",
                 result: Any = None) -> None:
        self.status: _Status | None = None if isinstance(what, str) else what
        self.auto_message = auto_message
        self.result = result
        text = what if isinstance(what, str) else what.message
        if auto_message:
            text += f"; AUTO says: {auto_message}"
        super().__init__(text)
