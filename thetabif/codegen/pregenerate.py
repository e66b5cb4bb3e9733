"""Loader of the generated code of the standard models, shipped inside the package.

This module owns where generated modules live and how they are loaded: the shipped
folder ``thetabif/_generated`` (:data:`SHIPPED`), the user cache (:func:`user_cache`),
the cache keys that name the files (:func:`cache_key`, the one place they are
computed), atomic writes and one import per process (:func:`load_generated_module`),
and the Python wrapper of Fortran and C sources (:func:`source_module`). Writing the shipped
files is the job of :mod:`thetabif.generate`, at the top of the package (it needs the
continuation and export layers).

A cold start of a continuation spends seconds in sympy: deriving the numeric model,
the polishing systems and derivative tensors, the engine's Fortran and the C integrator.
For the standard models (:func:`thetabif.export.standard_models`) all of it is generated
ahead of time by :func:`thetabif.generate.write_all` into ``thetabif/_generated/`` and
shipped with the package. The loaders (:mod:`thetabif.codegen.numeric`, :mod:`thetabif.polish`,
:func:`thetabif.continuation.engine_executable`) look a file up there under the *same*
name, keyed by the same hash of the generating sources, before they try (and fill)
the user cache ``$THETABIF_CACHE_DIR``. A changed model definition or generator
changes the key, so a stale shipped file is never used; ``tests/test_pregenerated.py``
regenerates everything and fails on any difference, so the shipped files cannot
silently diverge from the definitions.

Every shipped file is a Python module (``.py`` files of a package are part of every
wheel and editable install without package-data declarations): the numeric and
polishing modules are the generated code itself, the Fortran and C sources are
string constants ``SOURCE``.

Regenerate with ``python -m thetabif.generate`` (default target: the package's
``_generated`` folder), i.e. ``make generated``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType

#: The package's folder ``thetabif/``.
PACKAGE = Path(__file__).resolve().parent.parent

#: Folder of the shipped files (a package: ``thetabif._generated``).
SHIPPED = PACKAGE / "_generated"

#: Kinds of generated files, one subpackage each.
KINDS = ("numeric", "polish", "fortran", "c")

#: First line of every generated Python file.
HEADER = "# ruff: noqa\n"


#: The files of the model layer, which determine every model's generated code.
MODEL_SOURCES = ("models/equations.py", "models/theta.py", "models/circuit.py")


@cache
def _source_digest(rel: str) -> bytes:
    return hashlib.sha256((PACKAGE / rel).read_bytes()).digest()


def cache_key(sources: Sequence[str], *parts: str, length: int = 20) -> str:
    """The key under which code generated from ``sources`` (or a build of it) is cached.

    Parameters
    ----------
    sources : sequence of str
        The files that determine the generated code, relative to the package folder
        (e.g. ``"codegen/fortran.py"``); a change to any of them changes the key.
    *parts : str
        What else determines it (a version tag, the model's name, a compiler...).
    length : int
        Number of hex digits.

    Returns
    -------
    str
        Hex digits of a SHA-256 over ``parts`` and the sources' contents.
    """
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    for rel in sources:
        h.update(rel.encode() + b"\0" + _source_digest(rel))
    return h.hexdigest()[:length]


def lookup(kind: str, filename: str) -> Path | None:
    """The shipped generated file ``filename`` of ``kind``, or None if there is none.

    Parameters
    ----------
    kind : {"numeric", "polish", "fortran", "c"}
    filename : str
        The file's name, the same as in the user cache (it holds the cache key).
    """
    path = SHIPPED / kind / filename
    return path if path.is_file() else None


def user_cache(sub: str) -> Path:
    """Folder ``sub`` of the user cache: ``$THETABIF_CACHE_DIR/sub``, default
    ``~/.cache/thetabif/sub`` (not created here)."""
    base = os.environ.get("THETABIF_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "thetabif"
    return root / sub


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a private temporary file and an atomic rename.

    Concurrent writers (processes or threads) never see or publish a partial file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def load_generated_module(kind: str, filename: str, make_text: Callable[[], str]
                          ) -> ModuleType:
    """Import the generated module ``filename`` of ``kind``.

    Taken from the shipped files when there, else from the user cache
    (:func:`user_cache`), where ``make_text()`` (sympy) writes it first if missing.
    Each module is imported once per process.
    """
    path = lookup(kind, filename) or user_cache(kind) / filename
    if not path.is_file():
        write_text_atomic(path, make_text())
    mod_name = f"thetabif_generated_{kind}_{Path(filename).stem}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    return module


def source_module(text: str, what: str) -> str:
    """A Python module holding ``text`` (Fortran or C source) as the constant ``SOURCE``."""
    if '"""' in text or "\\" in text or not text.endswith("\n"):
        literal = repr(text)
    else:
        literal = '"""\\\n' + text + '"""'
    return f'{HEADER}"""{what}; generated by thetabif, do not edit."""\n\nSOURCE = {literal}\n'


def read_source_module(path: Path) -> str:
    """The ``SOURCE`` constant of a module written by :func:`source_module`."""
    import ast

    tree = ast.parse(path.read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "SOURCE"):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} holds no SOURCE constant")


if __name__ == "__main__":  # the writer moved up the layers; say so rather than do nothing
    sys.exit("thetabif.codegen.pregenerate only loads generated code now; regenerate the "
             "shipped files with `python -m thetabif.generate` (make generated)")
