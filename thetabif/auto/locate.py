"""Find the AUTO-07p installation and the Fortran compiler.

This module owns the answer to "where is AUTO, and which gfortran builds against
it?".  Nothing else in :mod:`thetabif.auto` looks at ``AUTO_DIR``, ``FC`` or
``PATH`` directly.

* AUTO-07p: ``$AUTO_DIR`` if set, else ``/usr/lib/auto-07p`` (Debian's package
  ``auto-07p``).  An installation is valid when ``lib/`` holds the compiled core,
  i.e. the object files ``lib/*.o`` (``main.o`` among them) that AUTO's own
  ``cmds/cmds.make`` links into every equation executable.
* Fortran compiler: ``$FC`` if set (a name looked up on ``PATH`` or a path), else
  ``gfortran`` on ``PATH``.

Lookups are cached per value of the environment variables involved, so changing
``AUTO_DIR`` or ``FC`` is picked up automatically; :func:`reset_cache` empties the
cache explicitly (tests use it after monkeypatching the environment).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from thetabif.errors import AutoNotFoundError, CompilerNotFoundError

__all__ = [
    "DEFAULT_AUTO_DIR",
    "AutoInstallation",
    "AutoNotFoundError",
    "Compiler",
    "CompilerNotFoundError",
    "find_auto",
    "find_compiler",
    "reset_cache",
]

#: Where Debian's ``auto-07p`` package installs AUTO.
DEFAULT_AUTO_DIR = Path("/usr/lib/auto-07p")

#: Object files that every AUTO-07p build has in ``lib/`` (a sanity check only;
#: all ``lib/*.o`` are linked).
_REQUIRED_OBJECTS = ("main.o",)


@dataclass(frozen=True)
class AutoInstallation:
    """A usable AUTO-07p installation.

    Attributes
    ----------
    auto_dir : Path
        The root directory (what ``AUTO_DIR`` points at).
    objects : tuple of Path
        The object files of the AUTO core, ``auto_dir/lib/*.o``, sorted by name;
        they are linked into every equation executable.
    """

    auto_dir: Path
    objects: tuple[Path, ...]

    def fingerprint(self) -> str:
        """Return a string that changes whenever the linked objects change.

        Returns
        -------
        str
            The resolved root plus name, size and modification time of every
            object file.  Used in the build cache key.
        """
        parts = [str(self.auto_dir.resolve())]
        for obj in self.objects:
            st = obj.stat()
            parts.append(f"{obj.name}:{st.st_size}:{st.st_mtime_ns}")
        return "\n".join(parts)


@dataclass(frozen=True)
class Compiler:
    """A Fortran compiler.

    Attributes
    ----------
    path : Path
        Absolute path of the executable.
    version : str
        The first line of ``<compiler> --version``.
    """

    path: Path
    version: str


_lock = threading.Lock()
_auto_cache: dict[str | None, AutoInstallation] = {}
_compiler_cache: dict[tuple[str | None, str | None], Compiler] = {}


def reset_cache() -> None:
    """Forget all cached lookups (of AUTO and of the compiler)."""
    with _lock:
        _auto_cache.clear()
        _compiler_cache.clear()


def _install_hint_auto() -> str:
    return (
        "Install it with `apt-get install auto-07p` (Debian/Ubuntu), or build "
        "AUTO-07p from source (https://github.com/auto-07p/auto-07p) and set the "
        "environment variable AUTO_DIR to the root of that build (the directory "
        "that contains lib/*.o)."
    )


def find_auto() -> AutoInstallation:
    """Locate AUTO-07p.

    Returns
    -------
    AutoInstallation
        The installation in ``$AUTO_DIR``, or in ``/usr/lib/auto-07p`` when
        ``AUTO_DIR`` is unset or empty.

    Raises
    ------
    AutoNotFoundError
        If the directory does not exist or its ``lib/`` holds no AUTO object
        files.  The message names the directory that was searched and how to
        install AUTO.
    """
    env = os.environ.get("AUTO_DIR") or None
    with _lock:
        cached = _auto_cache.get(env)
    if cached is not None:
        return cached

    if env is not None:
        root = Path(env).expanduser()
        where = f"AUTO_DIR={env!r} (from the environment variable AUTO_DIR)"
    else:
        root = DEFAULT_AUTO_DIR
        where = f"{root} (the default; the environment variable AUTO_DIR is not set)"

    if not root.is_dir():
        raise AutoNotFoundError(
            f"AUTO-07p not found: looked in {where}, which is not a directory. "
            + _install_hint_auto()
        )
    lib = root / "lib"
    objects = tuple(sorted(lib.glob("*.o"))) if lib.is_dir() else ()
    missing = [name for name in _REQUIRED_OBJECTS if not (lib / name).is_file()]
    if not objects or missing:
        found = ", ".join(p.name for p in objects) or "no object files"
        raise AutoNotFoundError(
            f"AUTO-07p not found: looked in {where}, but {lib} does not contain the "
            f"compiled AUTO core (need lib/*.o including {', '.join(_REQUIRED_OBJECTS)}; "
            f"found {found}). " + _install_hint_auto()
        )
    inst = AutoInstallation(auto_dir=root, objects=objects)
    with _lock:
        _auto_cache[env] = inst
    return inst


def compiler_stamp() -> str:
    """What identifies the Fortran compiler :func:`find_compiler` uses, without running
    it: its resolved path, size and modification time (a new compiler changes them).
    For cache keys of warm starts, where ``--version`` (a process) costs more than the
    rest of the look-up; the compiler itself is checked by :func:`find_compiler` when
    something is built.

    Raises
    ------
    CompilerNotFoundError
        The compiler is not found (as :func:`find_compiler` says it).
    """
    found = shutil.which(os.environ.get("FC") or "gfortran")
    if found is None:
        find_compiler()  # raises, saying where it looked
    path = Path(str(found)).resolve()
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def find_compiler() -> Compiler:
    """Locate the Fortran compiler used to build equation files.

    Returns
    -------
    Compiler
        ``$FC`` if set (looked up on ``PATH`` unless it is a path), else
        ``gfortran`` on ``PATH``.

    Raises
    ------
    CompilerNotFoundError
        If the compiler cannot be found or does not answer ``--version``.  The
        message says where thetabif looked and how to install gfortran.
    """
    fc_env = os.environ.get("FC") or None
    path_env = os.environ.get("PATH")
    key = (fc_env, path_env)
    with _lock:
        cached = _compiler_cache.get(key)
    if cached is not None:
        return cached

    name = fc_env or "gfortran"
    where = f"FC={fc_env!r} (environment variable)" if fc_env else "'gfortran' on PATH"
    hint = (
        "Install it with `apt-get install gfortran` (Debian/Ubuntu), or set the "
        "environment variable FC to the path of a Fortran compiler compatible with "
        "the one that built AUTO-07p."
    )
    found = shutil.which(name)
    if found is None:
        raise CompilerNotFoundError(
            f"Fortran compiler not found: looked for {where}; PATH is {path_env!r}. " + hint
        )
    try:
        proc = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompilerNotFoundError(
            f"Fortran compiler {found} (from {where}) cannot be run: {exc}. " + hint
        ) from exc
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split())
        raise CompilerNotFoundError(
            f"Fortran compiler {found} (from {where}) failed on --version "
            f"(exit code {proc.returncode}{': ' + said if said else ''}). " + hint
        )
    lines = proc.stdout.strip().splitlines()
    comp = Compiler(path=Path(found).resolve(), version=lines[0] if lines else "")
    with _lock:
        _compiler_cache[key] = comp
    return comp
