"""The ``thetabif`` command line.

Every command that takes a model shares the options added by :func:`add_model_options`
(``--model``, ``--n``, ``--synapse``, ``--coupling``, ``--set NAME=VALUE``).
Heavy modules are imported inside the commands, so ``thetabif --help`` is instant.

Failures are one line on stderr, ``thetabif: error: ...``, never a traceback, with
the exit status saying what went wrong:

* 2 (:data:`BAD_INPUT`): the command line is wrong -- an option's value, an output
  path that cannot be written or would be overwritten without ``--force``, a size
  that would not fit in memory. Checked before any work starts.
* 1 (:data:`FAILED`): the work failed -- a continuation or simulation, or a tool it
  needs (AUTO-07p, gfortran). ``verify`` and ``verify-grid`` also exit 1 when a check
  does not pass.
* 130: interrupted (Ctrl-C); 141: stdout was closed (``| head``), quietly.

Outputs (``--out``, ``--figure``) are checked by :func:`check_out` before the work,
and single files are written under a temporary name and renamed when complete, so an
interrupted or failed command leaves no partial file. ``--json`` prints exactly one
strict JSON document (:func:`print_json`, no ``NaN``) on stdout; notes, warnings and
progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn

from thetabif.models import COUPLINGS, SYNAPSES, ThetaModel, model_from_options

#: Exit status of a bad command line (values, output paths, sizes).
BAD_INPUT = 2
#: Exit status of a failed computation or a missing tool.
FAILED = 1
#: Exit status after Ctrl-C (128 + SIGINT).
INTERRUPTED = 130
#: Exit status when stdout was closed early (128 + SIGPIPE).
BROKEN_PIPE = 141


class CLIError(Exception):
    """A failure reported as one line ``thetabif: error: ...``.

    Parameters
    ----------
    message : str
        What is wrong: the option, the value and what is allowed (or the remedy).
    status : int
        :data:`BAD_INPUT` (default) or :data:`FAILED`.
    """

    def __init__(self, message: str, status: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line in the common style."""

    def error(self, message: str) -> NoReturn:
        self.exit(BAD_INPUT, f"thetabif: error: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Like argparse's, but unknown options point at the command's own help."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            prog = getattr(ns, "command_prog", self.prog)
            self.exit(BAD_INPUT, f"thetabif: error: unrecognized arguments: {' '.join(extras)} "
                                 f"(see '{prog} --help')\n")
        return ns


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add the model options shared by every command that takes a model."""
    g = parser.add_argument_group("model")
    g.add_argument("--model", default="theta", choices=["theta"],
                   help="model family (default theta)")
    g.add_argument("--n", type=positive_int, default=None, metavar="N",
                   help="pulse sharpness (integer >= 1; default: delta pulses)")
    g.add_argument("--synapse", default="instant", choices=SYNAPSES,
                   help="synaptic dynamics (default instant)")
    g.add_argument("--coupling", default="current", choices=COUPLINGS,
                   help="current or conductance-based coupling (default current)")
    g.add_argument("--set", dest="settings", action="append", default=[],
                   metavar="NAME=VALUE", help="set a parameter (repeatable), e.g. --set J=-10")


def add_force_option(parser: argparse.ArgumentParser, what: str = "--out") -> None:
    """Add ``--force`` (overwrite existing outputs) to a command that writes files."""
    parser.add_argument("--force", action="store_true",
                        help=f"overwrite {what} if it exists (default: refuse)")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def model_from_args(args: argparse.Namespace) -> tuple[ThetaModel, dict[str, float]]:
    """The model and its validated parameters from parsed model options."""
    model = model_from_options(args.model, args.n, args.synapse, args.coupling)
    given: dict[str, Any] = {}
    for item in args.settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CLIError(f"--set expects NAME=VALUE, got {item!r}")
        given[name.strip()] = value.strip()
    try:
        params = model.validate_params(given)
    except ValueError as exc:
        raise CLIError(f"--set: {exc}") from None
    return model, params


def protocol_from_args(step: str | None, params: dict[str, float]):
    """The input protocol of ``--step START:STOP:AMPLITUDE`` on top of ``I_ext``.

    The step adds AMPLITUDE to the model's ``I_ext`` on [START, STOP). Returns None
    without ``--step`` (the constant ``I_ext`` parameter applies).
    """
    from thetabif.protocols import Protocol

    if not step:
        return None
    try:
        pulse = Protocol.parse_step(step)
        base = params["I_ext"]
        return Protocol.step(*pulse.breaks, pulse.levels[1] + base, baseline=base)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def _complex(text: str) -> complex:
    try:
        return complex(text.replace(" ", "").replace("i", "j"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a complex number such as -0.6-0.8j, got {text!r}") from None


# ------------------------------------------------------------ output checks
def _probe_writable(folder: Path) -> str | None:
    """None if a file can be created in ``folder``, else the reason (the probe is removed).

    Creating a file is the only honest test: ``os.access`` says yes to root on a
    read-only mount.
    """
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".thetabif-probe-")
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(name)
    return None


def check_out(path: str, force: bool, *, option: str = "--out",
              suffixes: Sequence[str] = (), files: Iterable[str] | None = None) -> Path:
    """Check an output path before the work starts; the one place every command uses.

    Parameters
    ----------
    path : str
        The value of the option.
    force : bool
        ``--force``: existing outputs may be overwritten.
    option : str
        The option's name, for the messages (``--out``, ``--figure``).
    suffixes : sequence of str
        For a file: the allowed extensions (``".nc"``, ...).
    files : iterable of str, optional
        For a folder: the names of the files the command writes into it. The folder
        is created by the command if missing.

    Returns
    -------
    Path

    Raises
    ------
    CLIError
        With status :data:`BAD_INPUT`, naming the option and the value: an extension
        not in ``suffixes``; a folder where a file is expected or a file where a
        folder is expected; a missing or unwritable folder; an existing output
        without ``force``.
    """
    p = Path(path)
    what = f"{option} {path!r}"
    if not path:
        raise CLIError(f"{option} needs a path, got {path!r}")
    if files is None:  # a single file
        if p.is_dir():
            raise CLIError(f"{what} is a folder; give a file name such as "
                           f"{str(p / ('result' + (suffixes[0] if suffixes else '')))!r}")
        if suffixes and p.suffix not in suffixes:
            raise CLIError(f"{what}: the file name must end in {', '.join(suffixes)} "
                           f"(the format written), got {p.suffix or 'no extension'!r}")
        folder = p.parent
        if not folder.exists():
            raise CLIError(f"{what}: folder {str(folder)!r} does not exist; create it first")
        if not folder.is_dir():
            raise CLIError(f"{what}: {str(folder)!r} is a file, not a folder")
        why = _probe_writable(folder)
        if why:
            raise CLIError(f"{what}: cannot write in folder {str(folder)!r} ({why})")
        if p.exists() and not force:
            raise CLIError(f"{what} exists; pass --force to overwrite it")
        return p
    # a folder of files
    if p.exists() and not p.is_dir():
        raise CLIError(f"{what} is a file; {option} names a folder (created if missing)")
    existing = p
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CLIError(f"{what}: {str(existing)!r} is a file, not a folder")
    why = _probe_writable(existing)
    if why:
        raise CLIError(f"{what}: cannot write in folder {str(existing)!r} ({why})")
    targets = [p / name for name in files]
    folders = [t for t in targets if t.is_dir()]
    if folders:
        raise CLIError(f"{what}: {str(folders[0])!r} is a folder where the command writes a "
                       "file; move it away")
    clash = [t for t in targets if t.exists()]
    if clash and not force:
        more = f" and {len(clash) - 1} more" if len(clash) > 1 else ""
        raise CLIError(f"{what}: {str(clash[0])!r}{more} exist(s); pass --force to "
                       "overwrite")
    return p


def write_file(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write one output file completely or not at all.

    ``write(tmp)`` writes to a temporary name in the same folder (same extension),
    which replaces ``path`` only when it is complete; on any failure or Ctrl-C the
    temporary file is removed.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# --------------------------------------------------------------------- JSON
def jsonable(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None and numpy values as Python ones (recursive)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, complex):
        return [jsonable(obj.real), jsonable(obj.imag)]
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return jsonable(obj.tolist())
    return obj


def json_text(obj: Any, **kwargs: Any) -> str:
    """Strict JSON (``allow_nan=False``) of ``obj`` after :func:`jsonable`."""
    return json.dumps(jsonable(obj), allow_nan=False, **kwargs)


def print_json(obj: Any, **kwargs: Any) -> None:
    """Print one strict JSON document on stdout (the only thing ``--json`` prints there)."""
    sys.stdout.write(json_text(obj, **kwargs) + "\n")


def note(message: str) -> None:
    """A note for the user on stderr (keeps stdout clean for ``--json``)."""
    print(f"thetabif: note: {message}", file=sys.stderr)


# ------------------------------------------------------------ environment
def require_auto() -> None:
    """Check that AUTO-07p and a working gfortran are there, before the work starts.

    Raises
    ------
    CLIError
        With status :data:`FAILED` and the remedy (install AUTO-07p, set ``AUTO_DIR``,
        install gfortran or set ``FC``).
    """
    from thetabif.auto import AutoNotFoundError, CompilerNotFoundError, find_auto, find_compiler

    try:
        find_auto()
        find_compiler()
    except (AutoNotFoundError, CompilerNotFoundError) as exc:
        raise CLIError(str(exc), FAILED) from None


def ensure_cache() -> None:
    """Use a temporary cache folder, and say so, when the configured one cannot be written.

    The cache is ``$THETABIF_CACHE_DIR`` (default ``~/.cache/thetabif``) and, for AUTO
    builds, :func:`thetabif.auto.build.configured_cache_dir`. The temporary folder
    is removed when the command ends.
    """
    from thetabif.auto.build import configured_cache_dir

    env = os.environ.get("THETABIF_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "thetabif"
    for folder in (root, configured_cache_dir()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            why = _probe_writable(folder)
        except OSError as exc:
            why = exc.strerror or str(exc)
        if why:
            tmp = tempfile.mkdtemp(prefix="thetabif-cache-")
            atexit.register(shutil.rmtree, tmp, ignore_errors=True)
            os.environ["THETABIF_CACHE_DIR"] = tmp
            note(f"cache folder {str(folder)!r} cannot be written ({why}); using the "
                 f"temporary folder {tmp} for this run (set THETABIF_CACHE_DIR to a "
                 "writable folder to keep compiled models)")
            return


# ------------------------------------------------------------------ simulate
def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="integrate the mean-field model in time",
                       description="Integrate the mean-field model under an input protocol.")
    add_model_options(p)
    p.add_argument("--t-end", type=positive_float, default=100.0, help="end time (default 100)")
    p.add_argument("--dt", type=positive_float, default=0.01,
                   help="output spacing, <= --t-end (default 0.01)")
    p.add_argument("--step", metavar="START:STOP:AMPLITUDE", default=None,
                   help="add AMPLITUDE to the I_ext parameter on [START, STOP) "
                        "(default: I_ext alone)")
    p.add_argument("--z0", type=_complex, default=complex(-0.6, -0.8),
                   help="initial z (default -0.6-0.8j); use --z0=-0.6-0.8j")
    p.add_argument("--rtol", type=positive_float, default=1e-10,
                   help="relative tolerance of the solver (default 1e-10)")
    p.add_argument("--atol", type=positive_float, default=1e-12,
                   help="absolute tolerance of the solver (default 1e-12)")
    p.add_argument("--out", default=None, metavar="FILE", help="write .nc or .csv")
    add_force_option(p)
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    from thetabif.protocols import Protocol
    from thetabif.simulation import check_simulation_size, save_dataset, simulate

    model, params = model_from_args(args)
    protocol = protocol_from_args(args.step, params)
    if args.out:
        check_out(args.out, args.force, suffixes=(".nc", ".csv"))
    try:
        check_simulation_size(model, args.t_end, args.dt)
        ds = simulate(model, params, t_end=args.t_end, dt=args.dt, inputs=protocol,
                      z0=args.z0, rtol=args.rtol, atol=args.atol)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"model: {model.name} ({model.description})")
    print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
    prot = protocol or Protocol.constant(params["I_ext"])
    print(f"input: {prot.describe()}")
    print(f"{'phase':<10} {'start':>8} {'stop':>8} {'I_ext':>7} {'r at end':>14}")
    for ph in prot.phases(0.0, float(ds.time[-1])):
        inside = ds.sel(time=(ds.time >= ph.start) & (ds.time <= ph.stop))
        r_end = float(inside.r[-1]) if inside.sizes["time"] else float("nan")
        print(f"{ph.name:<10} {ph.start:>8g} {ph.stop:>8g} {ph.value:>7g} {r_end:>14.8g}")
    last = ds.isel(time=-1)
    z = complex(last.z)
    final = f"final state at t={float(last.time):g}: z = {z.real:.10g}{z.imag:+.10g}j, " \
            f"|z| = {float(last.abs_z):.10g}, r = {float(last.r):.10g}, v = {float(last.v):.10g}"
    if "s" in ds:
        final += f", s = {float(last.s):.10g}"
    print(final)
    if args.out:
        path = write_file(args.out, lambda tmp: save_dataset(ds, tmp, overwrite=True))
        print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------- demo
def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the standard analysis and write its outputs",
                       description="Run the main job and write figures and data to --out.")
    p.add_argument("--out", default="out", metavar="DIR",
                   help="output folder, created if missing (default: out)")
    add_force_option(p, "existing outputs")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from thetabif.demo import OUTPUTS, run_demo

    check_out(args.out, args.force, files=OUTPUTS)
    require_auto()
    paths = run_demo(args.out, force=args.force)
    print("wrote:")
    for path in paths:
        print(f"  {path}")
    report = [p for p in paths if str(p).endswith("report.md")]
    if report:
        print(f"report: {report[0]}")
    return 0


# ----------------------------------------------------------------------- main
def _lazy(module: str, function: str) -> Callable[[argparse._SubParsersAction], None]:
    """A command registrar living in another module (imported when the parser is built)."""

    def add(sub: argparse._SubParsersAction) -> None:
        getattr(import_module(module), function)(sub)

    add.__name__ = function
    return add


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_simulate,
    _lazy("thetabif.cli_continuation", "add_continuation_commands"),
    _lazy("thetabif.cli_verify", "add_verify_commands"),
    _lazy("thetabif.cli_phase", "add_phase_commands"),
    _lazy("thetabif.cli_network", "add_network_command"),
    _lazy("thetabif.cli_export", "add_export_command"),
    _add_demo,
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (commands register themselves in :data:`COMMANDS`)."""
    parser = _Parser(
        prog="thetabif",
        description="Bifurcation analysis of the theta-neuron mean-field model.",
        epilog="Exit status: 0 success, 1 a computation failed (or a check did not pass), "
               "2 bad input, 130 interrupted.")
    from thetabif import __version__

    parser.add_argument("--version", action="version", version=f"thetabif {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in COMMANDS:
        add(sub)
    for command in sub.choices.values():
        command.set_defaults(command_prog=command.prog)
    return parser


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _failure(exc: Exception) -> tuple[int, str]:
    """Exit status and one-line message of an exception raised by a command."""
    # imported here, on failure only, to keep ``thetabif --help`` instant
    from thetabif.auto import AutoNotFoundError, CompileError, CompilerNotFoundError
    from thetabif.continuation import ContinuationFailed
    from thetabif.simulation import SimulationError

    if isinstance(exc, CLIError):
        return exc.status, str(exc)
    if isinstance(exc, (AutoNotFoundError, CompilerNotFoundError)):
        return FAILED, str(exc)
    if isinstance(exc, CompileError):
        first = next((ln.strip() for ln in exc.stderr.splitlines() if ln.strip()), "")
        return FAILED, (f"the Fortran compiler {exc.command[0]} failed to {exc.stage} the "
                        f"AUTO equations of {exc.source_name} (exit code {exc.returncode}"
                        f"{': ' + first if first else ''}); check that it works and is the "
                        "compiler that built AUTO-07p, or set FC to another one")
    if isinstance(exc, SimulationError):
        return FAILED, f"simulation failed: {exc}"
    if isinstance(exc, ContinuationFailed):
        return FAILED, f"continuation failed: {exc}"
    if isinstance(exc, FileExistsError):  # an output appeared while the command ran
        return BAD_INPUT, f"{exc}"
    if isinstance(exc, MemoryError):
        return FAILED, "out of memory; reduce the sizes of the run"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return FAILED, f"cannot access{where}: {exc.strerror or exc}"
    return FAILED, (f"internal error: {type(exc).__name__}: {exc} (please report it; "
                    "THETABIF_DEBUG=1 shows the traceback)")


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left in stdout to /dev/null, silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """Warnings during a command: one line on stderr, ``thetabif: warning: ...``."""
    print(f"thetabif: warning: {_one_line(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thetabif`` command.

    Returns the command's exit status (0, or 1 when ``verify`` finds a failing
    check). Errors are one line on stderr and raise :class:`SystemExit` with their
    status (see the module docstring); ``THETABIF_DEBUG=1`` re-raises unexpected
    exceptions with their traceback.
    """
    showwarning, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit:  # --help, --version, usage errors: flush here, not at exit
            sys.stdout.flush()
            raise
        try:
            ensure_cache()
            status = int(args.func(args) or 0)
        except BrokenPipeError:
            raise
        except Exception as exc:  # every failure: one line, no traceback
            if os.environ.get("THETABIF_DEBUG") and not isinstance(exc, CLIError):
                raise
            status, message = _failure(exc)
            sys.stdout.flush()
            print(f"thetabif: error: {_one_line(message)}", file=sys.stderr)
            raise SystemExit(status) from None
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        print("thetabif: interrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    except BrokenPipeError:
        _quiet_stdout()
        raise SystemExit(BROKEN_PIPE) from None
    finally:
        warnings.showwarning = showwarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
