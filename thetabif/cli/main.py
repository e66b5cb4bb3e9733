"""The ``thetabif`` command line: the parser, the commands it registers, and ``main``.

This module owns the top of the command line: :data:`COMMANDS` (one registrar per
command module), :func:`build_parser` and :func:`main`, the one place where failures
are handled. A failure is one line on stderr, ``thetabif: error: ...``, never a
traceback, with the exit status that :data:`thetabif.cli.status.EXIT_STATUS` gives
its class:

* 2: the command line is wrong -- an option's value, an output path that cannot be
  written or would be overwritten without ``--force``, a size that would not fit in
  memory (:class:`~thetabif.errors.InputError`). Checked before any work starts.
* 1: the work failed -- a continuation or simulation
  (:class:`~thetabif.errors.NumericalError`), or a tool it needs, AUTO-07p or gfortran
  (:class:`~thetabif.errors.ToolchainError`). ``verify`` and ``verify-grid`` also exit
  1 when a check does not pass.
* 130: interrupted (Ctrl-C).

When the reader of stdout goes away (``thetabif simulate ... | head -1``), the rest of
the output is discarded quietly and the command still does all its work (``--out``
is written); its exit status is the one it would have had (0 on success), whether
the pipe closed before or after the last line, so ``set -o pipefail`` scripts do not
fail at random. (A ``BrokenPipeError`` from outside the command's output keeps status
141.)

Heavy modules are imported inside the commands, so ``thetabif --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from thetabif._version import __version__
from thetabif.cli.circuit import add_circuit_command
from thetabif.cli.common import ensure_cache
from thetabif.cli.continuation import add_continuation_commands
from thetabif.cli.demo import add_demo_command
from thetabif.cli.export import add_export_command
from thetabif.cli.homoclinic import add_homoclinic_command
from thetabif.cli.network import add_network_command
from thetabif.cli.phase import add_phase_commands
from thetabif.cli.simulate import add_simulate_command
from thetabif.cli.snic import add_snic_command
from thetabif.cli.status import BAD_INPUT, exit_status, failure
from thetabif.cli.verify import add_verify_commands
from thetabif.errors import InputError

__all__ = ["COMMANDS", "build_parser", "main"]


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


#: The registrars of the commands, in the order ``thetabif --help`` lists them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_simulate_command,
    add_continuation_commands,
    add_snic_command,
    add_homoclinic_command,
    add_verify_commands,
    add_phase_commands,
    add_network_command,
    add_export_command,
    add_circuit_command,
    add_demo_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (commands register themselves in :data:`COMMANDS`)."""
    parser = _Parser(
        prog="thetabif",
        description="Bifurcation analysis of the theta-neuron mean-field model.",
        epilog="Exit status: 0 success, 1 a computation failed (or a check did not pass), "
               "2 bad input, 130 interrupted.")
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


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left in stdout to /dev/null, silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class _ReaderMayLeave:
    """stdout that discards what is written after its reader has gone (``| head``).

    Writes and flushes that meet a closed pipe send stdout to /dev/null
    (:func:`_quiet_stdout`) instead of raising ``BrokenPipeError``, so the command
    runs to its end; everything else is the wrapped stream's.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self.reader_gone = True
        _quiet_stdout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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
        sys.stdout = _ReaderMayLeave(sys.stdout)
        try:
            ensure_cache()
            status = int(args.func(args) or 0)
        except BrokenPipeError:
            raise
        except Exception as exc:  # every failure: one line, no traceback
            if os.environ.get("THETABIF_DEBUG") and not isinstance(exc, InputError):
                raise
            status, message = failure(exc)
            sys.stdout.flush()
            print(f"thetabif: error: {_one_line(message)}", file=sys.stderr)
            raise SystemExit(status) from None
        sys.stdout.flush()
        return status
    except KeyboardInterrupt as exc:
        print("thetabif: interrupted", file=sys.stderr)
        raise SystemExit(exit_status(exc)) from None
    except BrokenPipeError as exc:
        _quiet_stdout()
        raise SystemExit(exit_status(exc)) from None
    finally:
        warnings.showwarning = showwarning
        if isinstance(sys.stdout, _ReaderMayLeave):
            sys.stdout = sys.stdout._stream


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
