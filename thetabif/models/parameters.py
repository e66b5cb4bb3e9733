"""Model parameters: a name, a default, the allowed range and a meaning."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from thetabif.errors import InputError


@dataclass(frozen=True)
class Parameter:
    """One model parameter: name, default value, allowed range and meaning.

    Attributes
    ----------
    name : str
        Name used everywhere (Python, AUTO's ``parnames``, netCDF attrs, CLI).
    default : float
        Default value (the PyRates tutorial's values where they exist).
    positive : bool
        If True, only finite values > 0 are allowed; otherwise any finite value.
    description : str
        One-line meaning, used in docs and the CLI help.
    """

    name: str
    default: float
    positive: bool
    description: str

    def check(self, value: Any) -> float:
        """Return ``value`` as float, or raise ``InputError`` naming what is allowed."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"parameter {self.name!r} must be a real number, got {value!r}"
            ) from None
        if isinstance(value, complex):
            raise InputError(f"parameter {self.name!r} must be real, got {value!r}")
        if not math.isfinite(number):
            raise InputError(f"parameter {self.name!r} must be finite, got {value!r}")
        if self.positive and number <= 0.0:
            raise InputError(
                f"parameter {self.name!r} must be > 0 ({self.description}), got {value!r}"
            )
        return number

    @property
    def allowed(self) -> str:
        """Human-readable allowed range."""
        return "finite, > 0" if self.positive else "finite real"

    def with_default(self, default: float) -> Parameter:
        """The same parameter with another default (checked)."""
        return Parameter(self.name, self.check(default), self.positive, self.description)

    def renamed(self, name: str, description: str | None = None) -> Parameter:
        """The same parameter under another name."""
        return Parameter(name, self.default, self.positive, description or self.description)


def complete(parameters: tuple[Parameter, ...], model_name: str,
             given: dict[str, Any]) -> dict[str, float]:
    """All of ``parameters`` as floats, from ``given`` and the defaults.

    Raises
    ------
    InputError
        Unknown names, non-finite values, or values outside the allowed range.
    """
    specs = {p.name: p for p in parameters}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise InputError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for model "
            f"{model_name!r}; allowed: {', '.join(specs)}"
        )
    return {name: spec.check(given.get(name, spec.default)) for name, spec in specs.items()}
