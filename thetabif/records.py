"""What every result record shares: how it names its model, strict JSON, save and load.

Owns the vocabulary of the records of every layer (continuation results, phase
diagrams, verifications, network comparisons): a record names its model by ``model``
(the name) and ``model_options`` (``{n, synapse, coupling}``, :func:`model_options`)
and its parameters by ``params``; it is written by ``to_dict()`` and
``save(path, *, overwrite=False)`` and, where a round trip makes sense, read back by
``load(path)`` (:class:`Record`, :class:`LoadableRecord`). Files are strict JSON: NaN
and infinities are written as ``null`` (:func:`strict`), and read back as NaN where a
record's ``from_dict`` expects a number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from thetabif.errors import InputError

if TYPE_CHECKING:
    from thetabif.models import Model

_R = TypeVar("_R", bound="LoadableRecord")


def model_options(model: Model) -> dict[str, Any]:
    """The options that make ``model`` (:func:`thetabif.models.model_from_record`), as
    records keep them."""
    return model.record_options()


def options_from_name(name: str) -> dict[str, Any]:
    """:func:`model_options` from a model's name (records written before options were
    kept)."""
    parts = name.split("_")[1:]
    n = next((int(p[1:]) for p in parts if p.startswith("n") and p[1:].isdigit()), None)
    return {"n": n, "synapse": "first-order" if "syn" in parts else "instant",
            "coupling": "conductance" if "cond" in parts else "current"}


def strict(value: Any) -> Any:
    """``value`` as strict JSON data, recursively: non-finite floats as None, numpy
    numbers and arrays as Python numbers and lists, tuples as lists, complex numbers as
    ``[real, imag]``, keys as strings."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, complex):
        return [strict(value.real), strict(value.imag)]
    if isinstance(value, Mapping):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def json_text(data: Any, **kwargs: Any) -> str:
    """``data`` as strict JSON text (:func:`strict`); ``kwargs`` go to :func:`json.dumps`."""
    return json.dumps(strict(data), allow_nan=False, **kwargs)


def writable(path: str | Path, overwrite: bool) -> Path:
    """``path``, which may be written.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    """
    (path,) = all_writable([path], overwrite)
    return path


def all_writable(paths: Iterable[str | Path], overwrite: bool) -> list[Path]:
    """``paths`` (the files of one output), which may all be written.

    Raises
    ------
    FileExistsError
        Naming those that exist, when ``overwrite`` is False.
    """
    paths = [Path(p) for p in paths]
    existing = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise FileExistsError(f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''}"
                              "; pass overwrite=True (--force) to replace "
                              f"{'it' if len(existing) == 1 else 'them'}")
    return paths


def overwriting(overwrite: bool, force: bool | None) -> bool:
    """``overwrite``, or ``force``: the older name of the same keyword."""
    return overwrite or bool(force)


class Record:
    """A result record: ``to_dict()`` and ``save(path, *, overwrite=False)``.

    Subclasses define :meth:`to_dict` (JSON-ready, naming ``model``, ``model_options``
    and ``params``) and, when they have another file format, :meth:`_write_other`.
    """

    #: what the record is called in messages
    what: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data."""
        raise NotImplementedError

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the record: strict JSON (NaN as ``null``) for a ``.json`` path, else
        the record's own format where it has one (netCDF).

        Raises
        ------
        FileExistsError
            ``path`` exists and ``overwrite`` is False.
        InputError
            A path of a kind this record is not written as.
        """
        path = writable(path, overwrite)
        if path.suffix.lower() == ".json":
            path.write_text(json_text(self.to_dict()))
        else:
            self._write_other(path)
        return path

    def _write_other(self, path: Path) -> None:
        """Write the record to ``path``, not a ``.json`` one (by default: refused)."""
        raise InputError(f"cannot save a {self.what} as {str(path)!r}: use a .json path")


class LoadableRecord(Record):
    """A :class:`Record` that :meth:`load` reads back, equal to what was saved."""

    @classmethod
    def from_dict(cls: type[_R], d: Mapping[str, Any]) -> _R:
        """The record :meth:`to_dict` wrote."""
        raise NotImplementedError

    @classmethod
    def load(cls: type[_R], path: str | Path) -> _R:
        """Read a record written by :meth:`save` (``.json``, or the record's own format).

        Raises
        ------
        FileNotFoundError
            No such file.
        InputError
            The file is of another kind, or not a record of this kind.
        """
        path = Path(path)
        try:
            if path.suffix.lower() == ".json":
                return cls.from_dict(json.loads(path.read_text()))
            return cls.from_dict(cls._read_other(path))
        except (FileNotFoundError, InputError):
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{str(path)!r} is not a thetabif {cls.what} record "
                             f"({type(exc).__name__}: {exc})") from None

    @classmethod
    def _read_other(cls, path: Path) -> Mapping[str, Any]:
        """The dict saved in ``path``, not a ``.json`` one (by default: refused)."""
        raise InputError(f"cannot load {str(path)!r} as a {cls.what}: use the .json file "
                         "written by save()")
