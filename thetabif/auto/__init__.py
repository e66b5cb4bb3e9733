"""AUTO-07p engine: find AUTO, compile equation files, run them, parse the output.

This subpackage is model-independent.  It takes Fortran source text and
constants-file text and returns typed records:

>>> from thetabif.auto import compile_equations, run_auto   # doctest: +SKIP
>>> exe = compile_equations(fortran_source, "fold")           # doctest: +SKIP
>>> result = run_auto(exe, constants_text).raise_for_status()  # doctest: +SKIP
>>> result.find("LP")[0].parameters["p"]                      # doctest: +SKIP

Modules
-------
locate
    Where AUTO-07p (``AUTO_DIR``) and gfortran (``FC``) are.
build
    Compile + link equation files, cached by content hash.
run
    Run an executable in a private directory; status classification.
parse
    Parsers for constants, ``fort.7``, ``fort.8``, ``fort.9``.
records
    The immutable result records and AUTO's type table.
"""

from .build import COMPILE_FLAGS, LINK_FLAGS, CompileError, cache_dir, compile_equations
from .locate import (
    AutoInstallation,
    AutoNotFoundError,
    Compiler,
    CompilerNotFoundError,
    find_auto,
    find_compiler,
    reset_cache,
)
from .parse import (
    Diagnostics,
    NameMap,
    fortran_float,
    parse_constants,
    parse_fort7,
    parse_fort8,
    parse_fort9,
)
from .records import (
    TYPE_NAMES,
    BranchData,
    ContinuationError,
    Point,
    RunResult,
    RunStatus,
    Solution,
    type_code,
)
from .run import run_auto

__all__ = [
    "COMPILE_FLAGS",
    "LINK_FLAGS",
    "TYPE_NAMES",
    "AutoInstallation",
    "AutoNotFoundError",
    "BranchData",
    "CompileError",
    "Compiler",
    "CompilerNotFoundError",
    "ContinuationError",
    "Diagnostics",
    "NameMap",
    "Point",
    "RunResult",
    "RunStatus",
    "Solution",
    "cache_dir",
    "compile_equations",
    "find_auto",
    "find_compiler",
    "fortran_float",
    "parse_constants",
    "parse_fort7",
    "parse_fort8",
    "parse_fort9",
    "reset_cache",
    "run_auto",
    "type_code",
]
