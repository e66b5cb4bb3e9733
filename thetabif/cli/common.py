"""What every ``thetabif`` command shares: model options, value types, output checks,
JSON, notes, the tool check, and :class:`CLIError`.

This module owns the conventions of the command line that each command module
(:mod:`thetabif.cli.simulate`, :mod:`thetabif.cli.continuation`, ...) builds on; it
knows no command. Every command that takes a model shares the options added by
:func:`add_model_options` (``--model``, ``--n``, ``--synapse``, ``--coupling``,
``--set NAME=VALUE``, and ``--circuit FILE|NAME`` where circuits work), turned into
a model in one place, :func:`model_from_args`.

Outputs (``--out``, ``--figure``) are checked by :func:`check_out` before the work,
and single files are written under a temporary name and renamed when complete
(:func:`write_file`), so an interrupted or failed command leaves no partial file.
``--json`` prints exactly one strict JSON document (:func:`print_json`, no ``NaN``)
on stdout; notes, warnings and progress bars go to stderr. What a failure means for
the exit status is :mod:`thetabif.cli.status`'s business.
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from thetabif.errors import InputError
from thetabif.models import COUPLINGS, SYNAPSES, Model, model_from_options
from thetabif.models.circuit_file import read_circuit, standard_circuits
from thetabif.records import json_text


class CLIError(InputError):
    """A bad command line, reported as one line ``thetabif: error: ...`` (exit status 2).

    An :class:`~thetabif.errors.InputError` (so also a ``ValueError``); the exit status
    comes from :data:`thetabif.cli.status.EXIT_STATUS` like every other failure's.

    Parameters
    ----------
    message : str
        What is wrong: the option, the value and what is allowed (or the remedy).
    """


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add the model options shared by every command that takes a model:
    :func:`model_from_args` builds the model from ``--circuit FILE|NAME`` or the
    single-population options (``--model``, ``--n``, ``--synapse``, ``--coupling``),
    with ``--set`` on top.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    """
    g = parser.add_argument_group("model")
    g.add_argument("--model", default="theta", choices=["theta"],
                   help="model family (default theta)")
    g.add_argument("--n", type=positive_int, default=None, metavar="N",
                   help="pulse sharpness (integer >= 1; default: delta pulses)")
    g.add_argument("--synapse", default=None, choices=SYNAPSES,
                   help="synaptic dynamics (default instant)")
    g.add_argument("--coupling", default=None, choices=COUPLINGS,
                   help="current or conductance-based coupling (default current)")
    g.add_argument("--circuit", default=None, metavar="FILE|NAME",
                   help="a circuit of theta populations: a TOML circuit file, or a shipped "
                        "circuit by name (" + ", ".join(standard_circuits()) + "; see "
                        "'thetabif circuit list'); not with --n, --synapse, --coupling")
    g.add_argument("--set", dest="settings", action="append", default=[],
                   metavar="NAME=VALUE", help="set a parameter (repeatable), e.g. --set J=-10"
                   + " (a circuit's names: --set eta_E=0.5; 'thetabif circuit show NAME' "
                     "lists them)")


def add_force_option(parser: argparse.ArgumentParser, what: str = "--out") -> None:
    """Add ``--force`` (overwrite existing outputs) to a command that writes files.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser (or argument group).
    what : str
        What ``--force`` overwrites, for the help: one option (``"--out"``,
        ``"--figure"``: "overwrite --out if it exists") or the files a folder option
        writes (``"existing outputs"``: "overwrite existing outputs").
    """
    text = f"overwrite {what}" if what.startswith("existing") else \
        f"overwrite {what} if it exists"
    parser.add_argument("--force", action="store_true",
                        help=f"{text} (a symbolic link counts as existing; default: refuse)")


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


def settings_from_args(settings: Sequence[str]) -> dict[str, str]:
    """The ``--set NAME=VALUE`` options as ``{NAME: VALUE}`` (the last one of a name wins).

    Raises
    ------
    CLIError
        An item that is not ``NAME=VALUE``.
    """
    given: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CLIError(f"--set expects NAME=VALUE, got {item!r}")
        given[name.strip()] = value.strip()
    return given


def model_from_args(args: argparse.Namespace) -> tuple[Model, dict[str, float]]:
    """The model and its validated parameters from parsed model options.

    The one place where the command line becomes a model: ``--circuit`` (a circuit
    file or a shipped circuit) or ``--model``, ``--n``,
    ``--synapse``, ``--coupling`` (a single population); then ``--set NAME=VALUE`` on
    top of the model's defaults.

    Raises
    ------
    CLIError
        ``--circuit`` with ``--n``, ``--synapse`` or ``--coupling``; a circuit that
        cannot be read (no such file or shipped name, invalid TOML, a schema error);
        a ``--set`` that is not ``NAME=VALUE``, names no parameter of the model (the
        message lists them) or gives a value outside the parameter's range.
    """
    source = getattr(args, "circuit", None)
    given = settings_from_args(args.settings)
    if source is None:
        model: Model = model_from_options(args.model, args.n, args.synapse or "instant",
                                          args.coupling or "current")
    else:
        clash = [opt for opt, value in (("--n", args.n), ("--synapse", args.synapse),
                                        ("--coupling", args.coupling)) if value is not None]
        if clash:
            raise CLIError(f"--circuit {source!r} cannot be combined with {', '.join(clash)}: "
                           "the circuit file sets the pulses of each population and the "
                           "synapse and coupling of each edge (edit a copy of the file; "
                           "change parameter values with --set NAME=VALUE)")
        try:
            model = read_circuit(source)
        except InputError as exc:
            where = "--circuit" if source in str(exc) else f"--circuit {source}"
            raise CLIError(f"{where}: {exc}") from None
    try:
        params = model.validate_params(given)
    except ValueError as exc:
        raise CLIError(f"--set: {exc}") from None
    return model, params


def _option_pattern(options: Mapping[str, str]) -> re.Pattern[str]:
    names = sorted(options, key=len, reverse=True)  # "dt_out" before "dt"
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")


def library_error(exc: Exception, options: Mapping[str, str]) -> CLIError:
    """``exc``, a bad value refused by the library, as a :class:`CLIError` naming options.

    The one place where the Python names in the library's messages become the options
    of the command line, so that every message names what the user typed
    (``--dt-out``, not ``dt_out``).

    Parameters
    ----------
    exc : Exception
        A ``ValueError`` or ``KeyError`` of the library.
    options : mapping of str to str
        The words of the library's messages (a Python argument name, possibly with the
        description the message gives it, such as ``"N (number of neurons)"``) and the
        option that sets them (``"--N"``). Whole words are replaced, longest first.

    Returns
    -------
    CLIError
    """
    message = str(exc).strip("'\"") if isinstance(exc, KeyError) else str(exc)
    if options:
        message = _option_pattern(options).sub(lambda m: options[m.group(1)], message)
    return CLIError(message)


@contextmanager
def options_named(options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Report a ``ValueError`` or ``KeyError`` of the library inside the block as a
    :class:`CLIError` (exit status 2) in the words of :func:`library_error`.

    A :class:`CLIError` passes unchanged; a failed computation
    (:class:`~thetabif.errors.NumericalError`, not a ``ValueError``) propagates to
    :func:`thetabif.cli.main.main`.
    """
    try:
        yield
    except CLIError:
        raise
    except (ValueError, KeyError) as exc:
        raise library_error(exc, options or {}) from None


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


def _input_name(model: Model, key: str, option: str) -> str:
    """The input parameter (``I_ext``, ``I_ext_E``) that ``key`` (it, or a population
    name) names."""
    names = model.input_names
    name = key if key in names else f"I_ext_{key}"
    if name not in names:
        pops = [p for p in model.population_names if p]
        allowed = ", ".join([*pops, *names])
        raise CLIError(f"{option}: {key!r} is not a population or input of {model.name!r}; "
                       f"allowed: {allowed}")
    return name


def step_inputs(model: Model, params: Mapping[str, float], steps: Sequence[str]
                ) -> dict[str, Any]:
    """The input protocols of ``--step [POP:]START:STOP:AMPLITUDE`` (repeatable).

    Each step adds AMPLITUDE to its population's ``I_ext`` parameter (``I_ext_POP``)
    on [START, STOP). POP (a population such as ``E`` or an input such as ``I_ext_E``)
    is required for a model with several inputs (a circuit) and may be left out for a
    single population. Returns ``{input name: Protocol}``.

    Raises
    ------
    CLIError
        A malformed step, an unknown population, or two steps on one population.
    """
    from thetabif.protocols import Protocol

    out: dict[str, Any] = {}
    for text in steps:
        parts = text.split(":")
        if len(parts) == 4:
            name = _input_name(model, parts[0].strip(), f"--step {text}")
            rest = ":".join(parts[1:])
        elif len(model.input_names) == 1:
            name, rest = model.input_names[0], text
        else:
            pops = [p for p in model.population_names if p]
            raise CLIError(f"--step {text}: {model.name!r} has several populations "
                           f"({', '.join(pops)}); name one as POP:START:STOP:AMPLITUDE, "
                           f"e.g. --step {pops[0]}:20:80:3")
        if name in out:
            raise CLIError(f"--step: two steps for {name}; give one step per population "
                           "(or an input time series with --inputs FILE.csv)")
        try:
            pulse = Protocol.parse_step(rest)
            base = params[name]
            out[name] = Protocol.step(*pulse.breaks, pulse.levels[1] + base, baseline=base)
        except ValueError as exc:
            raise CLIError(str(exc) if len(parts) != 4 else f"--step {text}: {exc}"
                           ) from None
    return out


def csv_inputs(model: Model, path: str) -> dict[str, Any]:
    """The input protocols of ``--inputs FILE.csv``: a column ``time`` and one column
    per input, named by its population (``E``) or its parameter (``I_ext_E``;
    ``I_ext`` for a single population).

    Each column is the input itself (it replaces the ``I_ext`` parameter), held
    constant from its row's time to the next (the last value to the end). Times
    increase strictly and the first is <= 0 (inputs are needed from ``t = 0``).
    Populations without a column keep their ``I_ext`` parameter. Returns
    ``{input name: Protocol}``.

    Raises
    ------
    CLIError
        A missing or unreadable file, no ``time`` column, an unknown or repeated
        column, a value that is not a finite number (with its line), or times that do
        not increase.
    """
    import csv

    import numpy as np

    from thetabif.protocols import Protocol

    where = f"--inputs {path!r}"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"{where}: cannot read it ({getattr(exc, 'strerror', None) or exc})"
                       ) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise CLIError(f"{where}: needs a header line (time and one column per input) and "
                       "at least one row of values")
    header = [c.strip() for c in rows[0]]
    if "time" not in header:
        raise CLIError(f"{where}: no 'time' column; the header is {', '.join(header)}")
    names = {}
    for col in header:
        if col == "time":
            continue
        name = _input_name(model, col, f"{where}: column")
        if name in names.values():
            raise CLIError(f"{where}: two columns for {name}")
        names[col] = name
    if not names:
        raise CLIError(f"{where}: no input column besides 'time'; name columns by "
                       f"population or input: {', '.join(model.input_names)}")
    data = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise CLIError(f"{where}, line {i + 2}: {len(row)} values for {len(header)} "
                           "columns")
        for j, cell in enumerate(row):
            try:
                data[i, j] = float(cell)
            except ValueError:
                data[i, j] = np.nan
            if not np.isfinite(data[i, j]):
                raise CLIError(f"{where}, line {i + 2}, column {header[j]!r}: must be a "
                               f"finite number, got {cell!r}")
    time = data[:, header.index("time")]
    if np.any(np.diff(time) <= 0):
        k = int(np.flatnonzero(np.diff(time) <= 0)[0])
        raise CLIError(f"{where}, line {k + 3}: times must increase strictly, got "
                       f"{time[k + 1]:g} after {time[k]:g}")
    if time[0] > 0:
        raise CLIError(f"{where}: the first time must be <= 0 (inputs are needed from "
                       f"t = 0), got {time[0]:g}")
    out: dict[str, Any] = {}
    for col, name in names.items():
        values = data[:, header.index(col)]
        change = np.flatnonzero(np.diff(values) != 0.0) + 1
        out[name] = Protocol(tuple(float(time[k]) for k in change),
                             (float(values[0]), *(float(values[k]) for k in change)))
    return out


def complex_value(text: str) -> complex:
    """argparse type: a complex number such as ``-0.6-0.8j`` (``i`` works as ``j``)."""
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
        Naming the option and the value: an extension
        not in ``suffixes``; a folder where a file is expected or a file where a
        folder is expected; a missing or unwritable folder; an existing output
        without ``force`` (a symbolic link is an existing output even when it points
        nowhere; a dangling link cannot be the folder of a folder output).
    """
    p = Path(path)
    what = f"{option} {path!r}"
    if not path:
        raise CLIError(f"{option} needs a path, got {path!r}")
    dangling = p.is_symlink() and not p.exists()
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
        if dangling and not force:
            raise CLIError(f"{what} exists (a symbolic link to {os.readlink(p)!r}, which "
                           "does not exist); pass --force to replace it by the output")
        if p.exists() and not force:
            raise CLIError(f"{what} exists; pass --force to overwrite it")
        return p
    # a folder of files
    if dangling:
        raise CLIError(f"{what} is a symbolic link to {os.readlink(p)!r}, which does not "
                       f"exist; create that folder or choose another {option}")
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
    clash = [t for t in targets if t.exists() or t.is_symlink()]
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
    thetabif.errors.AutoNotFoundError, thetabif.errors.CompilerNotFoundError
        With the remedy (install AUTO-07p, set ``AUTO_DIR``, install gfortran or set
        ``FC``); toolchain errors, exit status 1.
    """
    from thetabif.auto import find_auto, find_compiler

    find_auto()
    find_compiler()


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
