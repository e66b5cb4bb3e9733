"""Write the generated code of the standard models shipped in ``thetabif/_generated``.

This module owns the *build step* of the shipped generated code: which models and
defining systems are shipped (:func:`numeric_models`, :data:`POLISH_SYSTEMS`), their
texts (:func:`generated_files`) and writing them all (:func:`write_all`). Loading them
is the job of :mod:`thetabif.codegen.pregenerate`, low in the package; this module
sits at the top (analysis layer) because it calls every generator: the numeric
modules and C integrator (:mod:`thetabif.codegen.numeric`), the polishing systems
(:mod:`thetabif.polish`), the engine's Fortran (:mod:`thetabif.continuation`) and the
list of standard models (:mod:`thetabif.export`).

Regenerate with ``python -m thetabif.generate [DIR]`` (default target: the package's
``_generated`` folder), i.e. ``make generated``; ``tests/test_pregenerated.py`` checks
that the shipped files are what this writes, byte for byte.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import sympy

from thetabif import continuation, polish
from thetabif.codegen import numeric
from thetabif.codegen.pregenerate import HEADER, KINDS, SHIPPED, source_module, write_text_atomic
from thetabif.export import standard_models
from thetabif.models import ThetaModel

__all__ = ["POLISH_SYSTEMS", "generated_files", "main", "numeric_models", "write_all"]

#: Defining systems generated for every standard model: (kind, free parameters).
#: One-parameter systems polish equilibrium runs in ``eta`` or ``J``; two-parameter
#: ones the codimension-two points of curves in ``(eta, J)`` (either order).
POLISH_SYSTEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("LP", ("eta",)),
    ("HB", ("eta",)),
    ("LP", ("J",)),
    ("HB", ("J",)),
    *((kind, free) for free in (("eta", "J"), ("J", "eta")) for kind in ("CP", "BT", "GH")),
)


def numeric_models() -> list[ThetaModel]:
    """Models whose numeric modules are shipped: the standard ones and, for those with
    a first-order synapse, the instant-synapse model the start equilibrium is sought on."""
    models: dict[str, ThetaModel] = {}
    for model, _ in standard_models():
        models.setdefault(model.name, model)
        reduced = model.equilibrium_reduction.model
        models.setdefault(reduced.name, reduced)
    return list(models.values())


def generated_files() -> Iterator[tuple[str, str, Callable[[], str]]]:
    """``(kind, filename, text)`` of every shipped file (``text`` generates lazily)."""
    for model in numeric_models():
        yield "numeric", numeric.module_filename(model), (
            lambda m=model: HEADER + numeric.python_module_text(m))
        yield "c", numeric.c_filename(model), (
            lambda m=model: source_module(numeric.c_source(m), f"C integrator of {m.name}"))
    for model, _ in standard_models():
        for kind, free in POLISH_SYSTEMS:
            name, text = polish.generated_file(model, kind, free)
            yield "polish", name, (lambda t=text: HEADER + t())
        name, text = polish.generated_file(model, "tensors", ())
        yield "polish", name, (lambda t=text: HEADER + t())
        name, text = continuation.engine_source_file(model)
        yield "fortran", name, (
            lambda t=text, m=model: source_module(t(), f"AUTO engine of {m.name}"))


def _package_init(kind: str | None) -> str:
    """The ``__init__.py`` of the shipped folder (``kind`` None) or of one kind's folder."""
    if kind is None:
        return (f'"""Generated code of the standard models (``make generated``; do not edit).\n\n'
                f"See :mod:`thetabif.generate`.\n"
                f'"""\n\nSYMPY_VERSION = "{sympy.__version__}"\n')
    return f'"""Shipped generated {kind} files (see :mod:`thetabif.generate`)."""\n'


def write_all(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Generate every shipped file into ``directory`` (default: the package's own).

    The folder ends up holding exactly the generated files (stale ones are removed);
    each file is published atomically. The output is deterministic: the same sources
    and sympy version give byte-identical files.

    Returns
    -------
    list of Path
        The files written, sorted.
    """
    root = Path(directory) if directory is not None else SHIPPED
    texts: dict[Path, str] = {root / "__init__.py": _package_init(None)}
    for kind in KINDS:
        texts[root / kind / "__init__.py"] = _package_init(kind)
    for kind, name, text in generated_files():
        texts[root / kind / name] = text()
    for kind in KINDS:
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old not in texts:
                if old.is_dir():
                    shutil.rmtree(old)
                else:
                    old.unlink()
    for path, text in texts.items():
        write_text_atomic(path, text)
    return sorted(texts)


def main(argv: list[str] | None = None) -> int:
    """``python -m thetabif.generate [DIR]``: write every shipped file, print where."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=None,
                        help=f"target folder (default: {SHIPPED})")
    args = parser.parse_args(argv)
    files = write_all(args.directory)
    print(f"wrote {len(files)} files into {files[0].parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
