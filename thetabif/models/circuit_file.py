"""Circuit files (TOML): read, check, write; and the circuits shipped with thetabif.

The schema (every key but ``populations`` optional; unknown keys are errors)::

    label = "ping"                 # letters and digits, at most 16
    description = "one line: what it is, where its equations and numbers come from"
    readout = "E"                  # whose r and v are the circuit's (default: first)

    [populations.E]                # one table per population, named by its key
    n = 2                          # pulse sharpness; leave out for delta pulses
    eta = 1.0                      # defaults: eta -5, Delta 1, tau 1, I_ext 0
    Delta = 0.05
    tau = 1.0
    I_ext = 0.0
    adaptation = false             # with alpha (default 0) and tau_a (default 10)

    [[edges]]                      # one entry per edge
    target = "E"                   # onto E ...
    source = "I"                   # ... from I: parameters J_EI, tau_s_EI, ...
    weight = -10.0                 # required
    synapse = "first-order"        # instant | first-order | second-order
    tau_s = 1.0                    # first-order; tau_r, tau_d for second-order
    coupling = "current"           # current | conductance (with v_s)

:func:`read_circuit` reads a file (or a shipped circuit by name, see
:func:`standard_circuits`); :func:`circuit_toml` writes one that reads back to the
same circuit.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from thetabif.errors import InputError
from thetabif.models.circuit import Circuit, Edge, Population

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Where the shipped circuit files live.
SHIPPED = Path(__file__).resolve().parent.parent / "circuits"

_TOP_KEYS = {"label", "description", "readout", "populations", "edges"}
_POP_KEYS = {f.name for f in fields(Population)} - {"name"}
_EDGE_KEYS = {f.name for f in fields(Edge)}
_TYPES: dict[str, tuple[type, ...]] = {
    "label": (str,), "description": (str,), "readout": (str,), "target": (str,),
    "source": (str,), "synapse": (str,), "coupling": (str,), "adaptation": (bool,),
    "n": (int,),
}


def standard_circuits() -> dict[str, Path]:
    """The circuits shipped with thetabif: ``{name: file}`` (``ping``, ``ii``, ...)."""
    return {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}


def _check_keys(where: str, got: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(got) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(allowed))}")
    for key, value in got.items():
        want = _TYPES.get(key, (int, float))
        ok = isinstance(value, want) and not (want == (int, float) and isinstance(value, bool))
        if key == "n" and isinstance(value, bool):
            ok = False
        if not ok:
            kind = {(str,): "a string", (bool,): "true or false", (int,): "an integer"}.get(
                want, "a number")
            raise InputError(f"{where}: {key!r} must be {kind}, got {value!r}")


def circuit_from_mapping(data: Mapping[str, Any], where: str = "circuit") -> Circuit:
    """The circuit a parsed circuit file describes (see the module for the schema).

    Raises
    ------
    InputError
        Any mistake, named with ``where`` and the offending key or value.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: a circuit must be a table, got {type(data).__name__}")
    _check_keys(where, {k: v for k, v in data.items() if k not in ("populations", "edges")},
                _TOP_KEYS)
    pops_in = data.get("populations")
    if not isinstance(pops_in, Mapping) or not pops_in:
        raise InputError(f"{where}: needs at least one population ([populations.NAME] "
                         "tables)")
    pops = []
    for name, table in pops_in.items():
        here = f"{where}: population {name!r}"
        if not isinstance(table, Mapping):
            raise InputError(f"{here}: must be a table of its parameters")
        _check_keys(here, table, _POP_KEYS)
        pops.append(Population(name=name, **table))
    edges_in = data.get("edges", [])
    if not isinstance(edges_in, list):
        raise InputError(f"{where}: 'edges' must be an array of tables ([[edges]])")
    edges = []
    for k, table in enumerate(edges_in, start=1):
        here = f"{where}: edge {k}"
        if not isinstance(table, Mapping):
            raise InputError(f"{here}: must be a table")
        _check_keys(here, table, _EDGE_KEYS)
        missing = [key for key in ("target", "source", "weight") if key not in table]
        if missing:
            raise InputError(f"{here} ({table.get('target', '?')}<-{table.get('source', '?')})"
                             f": missing {', '.join(missing)}")
        edges.append(Edge(**table))
    try:
        return Circuit(tuple(pops), tuple(edges), label=data.get("label", "circuit"),
                       readout=data.get("readout"), description=data.get("description", ""))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def read_circuit(source: str | Path) -> Circuit:
    """A circuit from a TOML file, or a shipped circuit by name (``"ping"``).

    Raises
    ------
    InputError
        No such file or shipped circuit, invalid TOML (with the line), or a circuit
        that breaks the schema.
    """
    shipped = standard_circuits()
    path = Path(source)
    if not path.exists() and str(source) in shipped:
        path = shipped[str(source)]
    if not path.is_file():
        raise InputError(f"circuit file {str(source)!r} does not exist (shipped circuits: "
                         f"{', '.join(shipped)})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return circuit_from_mapping(data, str(path))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def circuit_toml(circuit: Circuit) -> str:
    """The circuit as a circuit file (every value written; reads back equal)."""
    lines = [f"label = {_toml_value(circuit.label)}",
             f"description = {_toml_value(circuit.description)}",
             f"readout = {_toml_value(circuit.readout)}", ""]
    for p in circuit.populations:
        lines.append(f"[populations.{p.name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in asdict(p).items()
                  if k != "name" and v is not None]
        lines.append("")
    for e in circuit.edges:
        lines.append("[[edges]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in asdict(e).items()]
        lines.append("")
    return "\n".join(lines)


def write_circuit(circuit: Circuit, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write :func:`circuit_toml` to ``path``; an existing file only with ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    path.write_text(circuit_toml(circuit))
    return path
