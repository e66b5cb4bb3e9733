"""Exit statuses of the ``thetabif`` command and the one map from error class to status.

This module owns what a failure means for the shell: :data:`EXIT_STATUS` maps the
classes of :mod:`thetabif.errors` (and the few built-in ones a command can meet) to
an exit status, and :func:`failure` turns an exception into that status and the one
line printed after ``thetabif: error:``. :func:`thetabif.cli.main.main` is the only
place that calls it; commands raise and never choose a status themselves.

* 2 (:data:`BAD_INPUT`): :class:`~thetabif.errors.InputError` (``CLIError`` among
  them) -- the command line is wrong: a value, an output path, a size; also
  ``FileExistsError``, an output that appeared while the command ran;
* 1 (:data:`FAILED`): :class:`~thetabif.errors.ToolchainError` (AUTO-07p or gfortran
  missing or failing), :class:`~thetabif.errors.NumericalError` (a simulation,
  continuation or Newton polishing failed), ``MemoryError``, ``OSError``, and any
  other exception (reported as an internal error);
* 130 (:data:`INTERRUPTED`): ``KeyboardInterrupt`` (Ctrl-C);
* 141 (:data:`BROKEN_PIPE`): a ``BrokenPipeError`` that is not the command's stdout
  closing early; that one is no failure (:func:`thetabif.cli.main.main` discards the
  rest of the output and the command finishes with its own status).
"""

from __future__ import annotations

from thetabif.errors import (
    CompileError,
    ContinuationError,
    InputError,
    NumericalError,
    SimulationError,
    ToolchainError,
)

__all__ = ["BAD_INPUT", "BROKEN_PIPE", "EXIT_STATUS", "FAILED", "INTERRUPTED", "exit_status",
           "failure"]

#: Exit status of a bad command line (values, output paths, sizes).
BAD_INPUT = 2
#: Exit status of a failed computation or a missing tool.
FAILED = 1
#: Exit status after Ctrl-C (128 + SIGINT).
INTERRUPTED = 130
#: Exit status of a broken pipe other than stdout's (128 + SIGPIPE).
BROKEN_PIPE = 141

#: Exit status by exception class; an exception gets the entry of the first class of
#: its method resolution order found here (so the most specific one), else
#: :data:`FAILED`.
EXIT_STATUS: dict[type[BaseException], int] = {
    InputError: BAD_INPUT,
    FileExistsError: BAD_INPUT,
    ToolchainError: FAILED,
    NumericalError: FAILED,
    MemoryError: FAILED,
    OSError: FAILED,
    KeyboardInterrupt: INTERRUPTED,
    BrokenPipeError: BROKEN_PIPE,
}


def exit_status(exc: BaseException,
                table: dict[type[BaseException], int] | None = None) -> int:
    """The exit status of ``exc``: its most specific class in ``table`` (default
    :data:`EXIT_STATUS`), else :data:`FAILED`."""
    table = EXIT_STATUS if table is None else table
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return FAILED


def failure(exc: BaseException) -> tuple[int, str]:
    """Exit status (:func:`exit_status`) and one-line message of a command's failure."""
    if isinstance(exc, CompileError):
        first = next((ln.strip() for ln in exc.stderr.splitlines() if ln.strip()), "")
        return FAILED, (f"the Fortran compiler {exc.command[0]} failed to {exc.stage} the "
                        f"AUTO equations of {exc.source_name} (exit code {exc.returncode}"
                        f"{': ' + first if first else ''}); check that it works and is the "
                        "compiler that built AUTO-07p, or set FC to another one")
    if isinstance(exc, SimulationError):
        return FAILED, f"simulation failed: {exc}"
    if isinstance(exc, ContinuationError):  # thetabif.ContinuationFailed too
        return FAILED, f"continuation failed: {exc}"
    status = exit_status(exc)
    if isinstance(exc, (InputError, ToolchainError, NumericalError, FileExistsError)):
        return status, str(exc)
    if isinstance(exc, MemoryError):
        return status, "out of memory; reduce the sizes of the run"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return status, f"cannot access{where}: {exc.strerror or exc}"
    if isinstance(exc, KeyboardInterrupt):
        return status, "interrupted"
    return status, (f"internal error: {type(exc).__name__}: {exc} (please report it; "
                    "THETABIF_DEBUG=1 shows the traceback)")
