"""Compile AUTO equation files into executables, once.

This module owns the build step: Fortran source text in, path of an executable
linked against the AUTO-07p core out.  Builds are cached on disk, keyed by the
SHA-256 of everything that determines the binary (source, compiler path and
version, flags, the AUTO installation and its object files), so a model is
compiled once per machine, not once per run.

Cache directory: ``$THETABIF_CACHE_DIR`` if set, else ``~/.cache/thetabif/auto``
(``$XDG_CACHE_HOME/thetabif/auto`` when ``XDG_CACHE_HOME`` is set); a temporary one,
with a warning, when that cannot be written.

Concurrency: every build happens in a private temporary directory inside the
cache directory and is published with :func:`os.replace`, which is atomic on
POSIX.  Two processes building the same model at the same time both succeed,
and readers only ever see complete executables.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from thetabif.errors import CompileError, InputError

from .locate import find_auto, find_compiler

__all__ = [
    "COMPILE_FLAGS",
    "LINK_FLAGS",
    "CompileError",
    "cache_dir",
    "compile_equations",
    "configured_cache_dir",
]

#: Flags for compiling the user's equation file (free-form Fortran 90, double
#: precision is declared in the source).  ``-fPIC`` and ``-O2`` as in AUTO's
#: ``cmds/cmds.make``.
COMPILE_FLAGS: tuple[str, ...] = ("-O2", "-fPIC", "-ffree-form")

#: Flags for linking against ``$AUTO_DIR/lib/*.o``.  The AUTO core is built with
#: ``-fopenmp -std=legacy`` (``cmds/cmds.make``), so the link needs ``-fopenmp``.
LINK_FLAGS: tuple[str, ...] = ("-O2", "-fopenmp", "-std=legacy")

_NAME_RE = re.compile(r"[^A-Za-z0-9_]+")


def configured_cache_dir() -> Path:
    """The configured build cache directory (not created, not checked).

    Returns
    -------
    Path
        ``$THETABIF_CACHE_DIR``, else ``$XDG_CACHE_HOME/thetabif/auto``, else
        ``~/.cache/thetabif/auto``.
    """
    env = os.environ.get("THETABIF_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "thetabif" / "auto"


#: The temporary build cache used when the configured one cannot be written, by value
#: of :func:`configured_cache_dir` (removed when the process exits).
_fallback: dict[Path, Path] = {}


def cache_dir() -> Path:
    """Return (and create) the directory that holds compiled executables.

    When the configured directory (:func:`configured_cache_dir`) cannot be created or
    written, a temporary directory is used for the rest of the process, with a
    :class:`RuntimeWarning` that names both and the remedy.

    Returns
    -------
    Path
        ``$THETABIF_CACHE_DIR``, else ``$XDG_CACHE_HOME/thetabif/auto``, else
        ``~/.cache/thetabif/auto``; or the temporary fallback.
    """
    path = configured_cache_dir()
    if path in _fallback:
        return _fallback[path]
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        tmp = Path(tempfile.mkdtemp(prefix="thetabif-auto-cache-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        _fallback[path] = tmp
        warnings.warn(
            f"the AUTO build cache {path} cannot be written ({exc.strerror or exc}); "
            f"using the temporary directory {tmp} for this session, so models are "
            "compiled again next time. Set THETABIF_CACHE_DIR to a writable directory.",
            RuntimeWarning, stacklevel=2)
        return tmp
    return path


def _safe_name(name: str) -> str:
    cleaned = _NAME_RE.sub("_", name).strip("_")
    return cleaned[:40] or "model"


def _cache_key(source: str, compiler_desc: str, auto_desc: str) -> str:
    h = hashlib.sha256()
    for part in (
        "thetabif-auto-build-v1",
        source,
        compiler_desc,
        " ".join(COMPILE_FLAGS),
        " ".join(LINK_FLAGS),
        auto_desc,
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _run_tool(cmd: list[str], cwd: Path, stage: str, name: str) -> None:
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CompileError(stage, cmd, -1, f"timed out after {exc.timeout} s", name) from exc
    if proc.returncode != 0:
        raise CompileError(stage, cmd, proc.returncode, proc.stderr or proc.stdout, name)


def compile_equations(source: str, name: str) -> Path:
    """Compile an AUTO equation file and link it against AUTO-07p.

    Parameters
    ----------
    source : str
        Free-form Fortran 90 text defining the AUTO user subroutines ``FUNC``,
        ``STPNT``, ``BCND``, ``ICND``, ``FOPT`` and ``PVLS``.
    name : str
        A human-readable name (used in file names and messages only; the cache
        key is the content).

    Returns
    -------
    Path
        Path of the executable in the build cache.  Run it with
        :func:`thetabif.auto.run_auto`.

    Raises
    ------
    CompileError
        If gfortran rejects the source or the link fails; carries gfortran's
        own messages.
    AutoNotFoundError, CompilerNotFoundError
        If AUTO-07p or gfortran cannot be found.
    """
    if not isinstance(source, str) or not source.strip():
        raise InputError("source must be non-empty Fortran source text")
    auto = find_auto()
    compiler = find_compiler()
    key = _cache_key(source, f"{compiler.path}\n{compiler.version}", auto.fingerprint())
    safe = _safe_name(name)
    root = cache_dir()
    final = root / f"{safe}-{key[:24]}.exe"
    if final.is_file() and os.access(final, os.X_OK):
        return final

    tmp = Path(tempfile.mkdtemp(prefix=f".build-{safe}-", dir=root))
    try:
        src = tmp / f"{safe}.f90"
        src.write_text(source)
        obj = tmp / f"{safe}.o"
        exe = tmp / f"{safe}.exe"
        fc = str(compiler.path)
        _run_tool([fc, *COMPILE_FLAGS, "-c", src.name, "-o", obj.name], tmp, "compile", name)
        _run_tool(
            [fc, *LINK_FLAGS, obj.name, *(str(p) for p in auto.objects), "-o", exe.name],
            tmp,
            "link",
            name,
        )
        # Keep the source next to the executable for debugging, then publish the
        # executable last: its presence means "complete build".
        os.replace(src, root / f"{safe}-{key[:24]}.f90")
        os.replace(exe, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
