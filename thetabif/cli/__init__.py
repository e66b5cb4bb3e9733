"""The ``thetabif`` command line (a package: one module per command family).

Layers inside the package, imports pointing down only (``tests/test_layers.py``):

* :mod:`thetabif.cli.status` -- exit statuses and the one map from error class to
  status; :mod:`thetabif.cli.common` -- what every command shares (model options,
  value types, output checks, JSON, :class:`CLIError`);
* the commands: :mod:`~thetabif.cli.simulate`, :mod:`~thetabif.cli.continuation`
  (``equilibria``, ``curve``, ``cycles``), :mod:`~thetabif.cli.verify` (``verify``,
  ``verify-grid``), :mod:`~thetabif.cli.phase` (``phase-diagram``),
  :mod:`~thetabif.cli.network`, :mod:`~thetabif.cli.export` (``export``,
  ``export-standard``), :mod:`~thetabif.cli.demo`, :mod:`~thetabif.cli.snic`
  (``snic``), :mod:`~thetabif.cli.homoclinic` (``homoclinic``),
  :mod:`~thetabif.cli.circuit` (``circuit list|show|check``);
* :mod:`thetabif.cli.main` -- the parser and :func:`main`, the console entry point
  (``thetabif = "thetabif.cli:main"``; ``python -m thetabif``).

This package re-exports :func:`main`, :func:`build_parser` and the shared helpers
under the names ``thetabif.cli`` had when it was one module.
"""

from __future__ import annotations

from thetabif.cli.common import (
    CLIError,
    add_force_option,
    add_model_options,
    check_out,
    complex_value,
    ensure_cache,
    model_from_args,
    nonnegative_int,
    note,
    positive_float,
    positive_int,
    print_json,
    protocol_from_args,
    require_auto,
    write_file,
)
from thetabif.cli.main import COMMANDS, build_parser, main
from thetabif.cli.status import BAD_INPUT, BROKEN_PIPE, EXIT_STATUS, FAILED, INTERRUPTED
from thetabif.records import json_text
from thetabif.records import strict as jsonable

__all__ = [
    "BAD_INPUT",
    "BROKEN_PIPE",
    "COMMANDS",
    "EXIT_STATUS",
    "FAILED",
    "INTERRUPTED",
    "CLIError",
    "add_force_option",
    "add_model_options",
    "build_parser",
    "check_out",
    "complex_value",
    "ensure_cache",
    "json_text",
    "jsonable",
    "main",
    "model_from_args",
    "nonnegative_int",
    "note",
    "positive_float",
    "positive_int",
    "print_json",
    "protocol_from_args",
    "require_auto",
    "write_file",
]
