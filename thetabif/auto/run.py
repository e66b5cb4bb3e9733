"""Run a compiled AUTO executable in isolation and collect its results.

This module owns the execution of AUTO: each run gets a fresh private temporary
directory (``fort.2`` = constants, ``fort.3`` = restart solutions), the executable
is started there with ``cwd=`` (the calling process never changes directory), and
``fort.7``/``fort.8``/``fort.9`` plus standard output are read back, parsed and
classified into a :class:`~thetabif.auto.records.RunStatus`.  Runs in different
threads or processes therefore never see each other's files.

AUTO 0.9.2 reads the keyword-style constants of its demos' ``c.*`` files
(``NDIM= 2, IPS = 1, ...``, ``ICP = ['eta']``, ``parnames = {...}``,
``UZSTOP = {...}``) directly from ``fort.2``; they are passed through unchanged.

Some constants make AUTO 0.9.2 loop forever (e.g. ``ITNW = 1`` or
``DSMIN > |DS|``: it retries the same step without end, writing ``fort.9`` at
tens of MB/s).  Runs are therefore bounded in time (``timeout``) and in
output size (``max_output_bytes``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from thetabif.errors import InputError

from .parse import Diagnostics, NameMap, output_messages, parse_fort7, parse_fort8, parse_fort9
from .records import BranchData, Point, RunResult, RunStatus, Solution

__all__ = ["run_auto", "classify", "cancel_runs", "allow_runs"]

_OUTPUTS = ("fort.7", "fort.8", "fort.9", "stdout.txt", "stderr.txt")


def _read(path: Path, limit: int) -> str:
    if not path.exists():
        return ""
    with open(path, "rb") as fh:
        data = fh.read(limit)
    return data.decode("utf-8", errors="replace")


def _output_size(d: Path) -> int:
    total = 0
    for name in _OUTPUTS:
        try:
            total += (d / name).stat().st_size
        except FileNotFoundError:
            pass
    return total


#: AUTO processes running now (in any thread), and whether new runs are refused: an
#: interrupted caller (Ctrl-C in the main thread while other threads wait on AUTO)
#: stops them all with :func:`cancel_runs`.
_ACTIVE: set[subprocess.Popen] = set()
_ACTIVE_LOCK = threading.Lock()
_CANCELLED = threading.Event()


def cancel_runs() -> None:
    """Kill every AUTO process this process is running and refuse new runs (each raises
    KeyboardInterrupt) until :func:`allow_runs`: what an interrupt of the main thread
    does to runs that other threads wait on."""
    _CANCELLED.set()
    with _ACTIVE_LOCK:
        for proc in _ACTIVE:
            proc.kill()


def allow_runs() -> None:
    """Accept runs again after :func:`cancel_runs`."""
    _CANCELLED.clear()


#: Seconds between the watchdog's checks of a run's time and output size.
_WATCH_INTERVAL = 0.05


def _watchdog(proc: subprocess.Popen, workdir: Path, t0: float, timeout: float,
              max_bytes: int, done: threading.Event, why: list[str]) -> None:
    """Kill ``proc`` once it has run ``timeout`` seconds since ``t0`` or written more than
    ``max_bytes`` in ``workdir``, appending ``"timeout"`` or ``"output"`` to ``why``;
    return when ``done`` is set."""
    while not done.wait(_WATCH_INTERVAL):
        if time.monotonic() - t0 > timeout:
            why.append("timeout")
        elif _output_size(workdir) > max_bytes:
            why.append("output")
        else:
            continue
        proc.kill()
        return


def _never_left(branch: BranchData) -> bool:
    if len(branch.points) <= 1:
        return True
    data = np.array([list(p.columns.values()) for p in branch.points], dtype=float)
    first = data[0]
    # "Identical" up to the ~10 digits AUTO writes: relative 1e-9 of the column
    # scale (plus 1e-12 absolute for columns that are zero).
    scale = np.maximum(np.nanmax(np.abs(data), axis=0), 1.0)
    return bool(np.all(np.abs(data - first) <= 1e-9 * scale + 1e-12))


def _with_spectra(branch: BranchData, diag: Diagnostics) -> BranchData:
    """``branch`` with the eigenvalues and multipliers of ``diag`` on its labelled
    points."""
    points = tuple(
        replace(p, eigenvalues=diag.eigenvalues.get((p.branch, p.index)),
                multipliers=diag.multipliers.get((p.branch, p.index))) if p.label else p
        for p in branch.points)
    return replace(branch, points=points)


def _values(p: Point) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in {**p.parameters, **p.state}.items())


def _describe(p: Point) -> str:
    vals = _values(p)
    return f"branch {p.branch}, point {p.index}" + (f" ({vals})" if vals else "")


def classify(
    branches: list[BranchData] | tuple[BranchData, ...],
    returncode: int | None,
    timed_out: bool = False,
    output_limited: bool = False,
) -> tuple[RunStatus, str]:
    """Decide the status of a run from its parsed output.

    Parameters
    ----------
    branches : sequence of BranchData
        The parsed ``fort.7``.
    returncode : int or None
        Exit code of the executable (``None`` if it was killed).
    timed_out, output_limited : bool
        Whether the run was stopped by :func:`run_auto`'s limits.

    Returns
    -------
    status : RunStatus
    detail : str
        thetabif's own explanation (where it happened), "" on success.
    """
    if output_limited:
        return RunStatus.OUTPUT_LIMIT, "the AUTO process was killed"
    if timed_out:
        return RunStatus.TIMEOUT, "the AUTO process was killed"
    if returncode not in (0, None):
        return RunStatus.PROCESS_FAILED, f"exit code {returncode}"
    if returncode is None:
        return RunStatus.PROCESS_FAILED, "the AUTO process was killed"
    if not branches or not any(b.points for b in branches):
        return RunStatus.NO_OUTPUT, ""
    mx = [p for b in branches for p in b.points if p.type == "MX"]
    if mx:
        return RunStatus.NO_CONVERGENCE, "MX at " + "; ".join(_describe(p) for p in mx)
    stuck = [b for b in branches if _never_left(b)]
    if stuck:
        return RunStatus.NO_PROGRESS, "; ".join(
            f"branch {b.number} has {len(b.points)} point(s), all at ({_values(b.points[0])})"
            for b in stuck
        )
    return RunStatus.SUCCESS, ""


def run_auto(
    executable: str | os.PathLike[str],
    constants: str,
    restart: str | None = None,
    *,
    timeout: float = 120.0,
    par_names: Mapping[int, str] | None = None,
    state_names: Mapping[int, str] | None = None,
    extremes: Mapping[int, tuple[str, str]] | None = None,
    spectra: str = "all",
    threads: int = 1,
    max_output_bytes: int = 256 * 2**20,
) -> RunResult:
    """Run an AUTO executable once, in a private temporary directory.

    Parameters
    ----------
    executable : path-like
        An executable made by :func:`thetabif.auto.compile_equations`.
    constants : str
        Text of the constants file (``c.NAME``), written to ``fort.2``.  Both the
        keyword style of AUTO 0.9 and the old numeric style are accepted (AUTO
        reads them itself).
    restart : str, optional
        Text of a solutions file (``s.NAME``, e.g. :attr:`RunResult.fort8` of an
        earlier run), written to ``fort.3``; needed when ``IRS`` is nonzero.
    timeout : float, default 120
        Seconds after which the run is killed (status ``TIMEOUT``).
    par_names, state_names : Mapping[int, str], optional
        Names for ``PAR(i)`` and ``U(i)`` in the records.  Default: ``parnames``
        / ``unames`` of the constants, else ``PAR(i)`` / ``U(i)``.
    extremes : Mapping[int, tuple[str, str]], optional
        ``PAR(i)`` -> ``(state, "max" | "min")``: parameters holding a state's maximum
        or minimum over the solution (:attr:`thetabif.auto.parse.NameMap.extremes`);
        their ``fort.7`` columns become the points' states.
    spectra : {"all", "labelled"}, default "all"
        The points whose eigenvalues or Floquet multipliers are read from ``fort.9``:
        every point, or the labelled ones only (the others' are None; reading a
        spectrum per point is most of the time spent on ``fort.9``).
    threads : int, default 1
        ``OMP_NUM_THREADS`` for AUTO's OpenMP core.  One thread keeps concurrent
        runs from oversubscribing the machine and results bit-reproducible.
    max_output_bytes : int, default 256 MiB
        Kill the run if its output files grow beyond this (status
        ``OUTPUT_LIMIT``); protects against AUTO's endless retry loops.

    Returns
    -------
    RunResult
        Raw texts, parsed records and status.  Call
        :meth:`RunResult.raise_for_status` to turn failures into exceptions.

    Raises
    ------
    FileNotFoundError
        If ``executable`` does not exist.
    ValueError
        For invalid arguments.
    """
    exe = Path(executable).resolve()
    if not exe.is_file() or not os.access(exe, os.X_OK):
        raise FileNotFoundError(f"AUTO executable not found or not executable: {exe}")
    if not isinstance(constants, str) or not constants.strip():
        raise InputError("constants must be the non-empty text of an AUTO constants file")
    if timeout <= 0:
        raise InputError(f"timeout must be positive, got {timeout}")
    if threads < 1:
        raise InputError(f"threads must be >= 1, got {threads}")
    if spectra not in ("all", "labelled"):
        raise InputError(f"spectra must be 'all' or 'labelled', got {spectra!r}")

    workdir = Path(tempfile.mkdtemp(prefix="thetabif-auto-run-"))
    try:
        (workdir / "fort.2").write_text(constants if constants.endswith("\n") else constants + "\n")
        if restart is not None:
            (workdir / "fort.3").write_text(restart)
        env = dict(os.environ)
        env["OMP_NUM_THREADS"] = str(threads)
        t0 = time.monotonic()
        if _CANCELLED.is_set():
            raise KeyboardInterrupt("AUTO runs were cancelled")
        with open(workdir / "stdout.txt", "wb") as out, open(workdir / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                [str(exe)],
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                start_new_session=True,
            )
            # the main thread waits for AUTO without polling (no latency); a watchdog
            # thread kills it at the time or output limit
            done, why = threading.Event(), []
            dog = threading.Thread(target=_watchdog, args=(proc, workdir, t0, timeout,
                                                           max_output_bytes, done, why),
                                   daemon=True)
            dog.start()
            with _ACTIVE_LOCK:
                _ACTIVE.add(proc)
            try:
                proc.wait()
            except BaseException:  # Ctrl-C: AUTO runs in its own session, stop it too
                proc.kill()
                proc.wait()
                raise
            finally:
                with _ACTIVE_LOCK:
                    _ACTIVE.discard(proc)
                done.set()
                dog.join()
            if _CANCELLED.is_set():  # killed by cancel_runs while another thread waited
                raise KeyboardInterrupt("AUTO runs were cancelled")
            timed_out, limited = "timeout" in why, "output" in why
        elapsed = time.monotonic() - t0
        returncode: int | None = None if (timed_out or limited) else proc.returncode

        fort7 = _read(workdir / "fort.7", max_output_bytes)
        fort8 = _read(workdir / "fort.8", max_output_bytes)
        fort9 = _read(workdir / "fort.9", max_output_bytes)
        stdout = _read(workdir / "stdout.txt", max_output_bytes)
        stderr = _read(workdir / "stderr.txt", max_output_bytes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    names = NameMap.build(constants, par_names, state_names, extremes)
    if spectra == "labelled":
        branches = parse_fort7(fort7, names)
        diag = parse_fort9(fort9, {(p.branch, p.index) for b in branches
                                   for p in b.points if p.label})
        branches = [_with_spectra(b, diag) for b in branches]
    else:
        diag = parse_fort9(fort9)
        branches = parse_fort7(fort7, names, diag)
    messages = list(output_messages(stdout))
    for m in diag.messages:
        if m not in messages:
            messages.append(m)
    for line in stderr.splitlines():
        s = line.strip()
        if s and not s.startswith("Note: The following floating-point exceptions"):
            messages.append(s)
    solutions: list[Solution] = []
    try:
        solutions = parse_fort8(fort8, names)
    except ValueError as exc:
        if not (timed_out or limited):
            messages.append(f"fort.8 could not be parsed: {exc}")
    status, detail = classify(branches, returncode, timed_out, limited)
    if timed_out:
        messages.append(f"killed after {timeout:g} s")
    if limited:
        messages.append(f"killed after writing more than {max_output_bytes} bytes")
    if detail and not status.ok:
        messages.insert(0, detail)
    return RunResult(
        status=status,
        message="\n".join(messages),
        branches=tuple(branches),
        solutions=tuple(solutions),
        fort7=fort7,
        fort8=fort8,
        fort9=fort9,
        stdout=stdout,
        stderr=stderr,
        constants=constants,
        returncode=returncode,
        elapsed=elapsed,
    )
