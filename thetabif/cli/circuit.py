"""The ``thetabif circuit`` command: list, show and check circuit files.

* ``thetabif circuit list``: the circuits shipped with thetabif (``--circuit NAME``);
* ``thetabif circuit show NAME|FILE``: populations, edges, states, every parameter
  with its default and allowed range, and the description (``--json``: one JSON
  document; ``--toml``: the circuit as a complete circuit file, to copy and edit);
* ``thetabif circuit check FILE``: reads and validates a circuit file; exit status 0
  when it is a valid circuit, 2 with the schema error otherwise.
"""

from __future__ import annotations

import argparse
from typing import Any

from thetabif.cli.common import CLIError, print_json
from thetabif.errors import InputError


def add_circuit_command(sub: argparse._SubParsersAction) -> None:
    """Add ``circuit`` (with ``list``, ``show``, ``check``) to ``sub``."""
    p = sub.add_parser("circuit", help="list, show and check circuit files (--circuit)",
                       description="Circuits of theta populations, as used by --circuit: "
                                   "the shipped ones, their parameters, and checks of "
                                   "circuit files (TOML).")
    actions = p.add_subparsers(dest="action", metavar="ACTION",
                               help="list, show NAME|FILE or check FILE")
    actions.required = True

    a = actions.add_parser("list", help="the circuits shipped with thetabif",
                           description="List the circuits shipped with thetabif (use them "
                                       "as --circuit NAME).")
    a.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    a.set_defaults(func=cmd_circuit_list)

    a = actions.add_parser("show", help="populations, edges and parameters of a circuit",
                           description="Show a circuit: populations, edges, states, every "
                                       "parameter (the names --set and --free take) with "
                                       "its default and allowed range, and the description.")
    a.add_argument("circuit", metavar="NAME|FILE", help="a shipped circuit or a TOML file")
    form = a.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    form.add_argument("--toml", action="store_true",
                      help="print the circuit as a complete circuit file (every value "
                           "written), e.g. to copy a shipped circuit and edit it")
    a.set_defaults(func=cmd_circuit_show)

    a = actions.add_parser("check", help="validate a circuit file",
                           description="Read and validate a circuit file. Exit status 0 "
                                       "when it is a valid circuit, 2 with the error "
                                       "(the key or value, and what is allowed) otherwise.")
    a.add_argument("circuit", metavar="FILE", help="the TOML circuit file")
    a.set_defaults(func=cmd_circuit_check)
    for action in actions.choices.values():
        action.set_defaults(command_prog=action.prog)


def _read(source: str):
    """The circuit of a file or shipped name; its error names the file."""
    from thetabif.models.circuit_file import read_circuit, standard_circuits

    try:
        return read_circuit(source)
    except InputError as exc:
        message = str(exc)
        path = str(standard_circuits().get(source, source))
        raise CLIError(message if path in message or source in message
                       else f"{source}: {message}") from None


def circuit_summary(circuit) -> dict[str, Any]:
    """What ``circuit show --json`` prints: the circuit's structure and parameters."""
    return {
        "label": circuit.label,
        "name": circuit.name,
        "description": circuit.description,
        "readout": circuit.readout,
        "populations": [{"name": p.name, "pulses": "delta" if p.n is None else p.n,
                         "adaptation": p.adaptation} for p in circuit.populations],
        "edges": [{"target": e.target, "source": e.source, "synapse": e.synapse,
                   "coupling": e.coupling} for e in circuit.edges],
        "states": list(circuit.state_names),
        "inputs": list(circuit.input_names),
        "outputs": list(circuit.output_names),
        "parameters": [{"name": p.name, "default": p.default, "allowed": p.allowed,
                        "description": p.description} for p in circuit.parameters],
    }


def cmd_circuit_list(args: argparse.Namespace) -> int:
    """Run ``thetabif circuit list``."""
    from thetabif.models.circuit_file import standard_circuits

    rows = []
    for name, path in standard_circuits().items():
        c = _read(str(path))
        rows.append({"name": name, "file": str(path), "populations": list(c.population_names),
                     "edges": len(c.edges), "parameters": len(c.parameters),
                     "description": c.description})
    if args.json:
        print_json(rows)
        return 0
    print(f"{'name':<8} {'populations':<12} {'edges':>5} {'params':>6}  description")
    for r in rows:
        first = r["description"].split(". ", 1)[0]
        first = first if len(first) <= 70 else first[:67] + "..."
        print(f"{r['name']:<8} {','.join(r['populations']):<12} {r['edges']:>5} "
              f"{r['parameters']:>6}  {first}")
    print("show one with: thetabif circuit show NAME; use it with --circuit NAME")
    return 0


def cmd_circuit_show(args: argparse.Namespace) -> int:
    """Run ``thetabif circuit show``."""
    from thetabif.models.circuit_file import circuit_toml

    c = _read(args.circuit)
    if args.toml:
        print(circuit_toml(c), end="")
        return 0
    s = circuit_summary(c)
    if args.json:
        print_json(s)
        return 0
    print(f"circuit {s['label']} (model name {s['name']})")
    print(f"description: {s['description']}")
    print(f"readout (r, v): {s['readout']}")
    print("populations:")
    for p in s["populations"]:
        pulses = "delta pulses" if p["pulses"] == "delta" else f"pulse sharpness n={p['pulses']}"
        print(f"  {p['name']}: {pulses}" + (", adaptation" if p["adaptation"] else ""))
    print("edges (target <- source):")
    for e in s["edges"] or []:
        print(f"  {e['target']} <- {e['source']}: {e['synapse']} synapse, {e['coupling']} "
              "coupling")
    if not s["edges"]:
        print("  none")
    print(f"states: {', '.join(s['states'])}")
    print(f"inputs: {', '.join(s['inputs'])}")
    print("parameters (--set NAME=VALUE, --free NAME):")
    width = max(len(p["name"]) for p in s["parameters"])
    for p in s["parameters"]:
        print(f"  {p['name']:<{width}} {p['default']:>10g}  {p['allowed']:<11}  "
              f"{p['description']}")
    return 0


def cmd_circuit_check(args: argparse.Namespace) -> int:
    """Run ``thetabif circuit check``: exit status 0 (valid) or 2 (the error)."""
    c = _read(args.circuit)
    print(f"{args.circuit}: a valid circuit: {c.label} (model name {c.name}), populations "
          f"{', '.join(c.population_names)}, {len(c.edges)} edge(s), {len(c.state_names)} "
          f"states, {len(c.parameters)} parameters")
    return 0


__all__ = ["add_circuit_command", "circuit_summary", "cmd_circuit_check", "cmd_circuit_list",
           "cmd_circuit_show"]
