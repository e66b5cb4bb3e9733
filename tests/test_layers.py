"""The package is a house with floors: every import of a thetabif module points down.

:data:`LAYERS` lists the layers from the bottom up, each with the modules it holds
(a name stands for the module and, if it is a package, everything below it; the
longest name that matches decides). The checker parses every module of the package
with :mod:`ast` -- ``thetabif/_generated`` excluded, it is generated code importing
nothing of thetabif -- and collects every import of a thetabif module: at module
level and inside functions, ``import``, ``from ... import`` (relative ones resolved)
and ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name.
Imports under ``if TYPE_CHECKING:`` are left out: they never run, they only name
types for annotations.

It fails, naming module, line and target,

* on an import of a module of a higher layer, and
* on imports between modules of the same layer that form a cycle.

There is no allowlist. A module that no layer claims fails too, so a new module must
be placed on a floor (here and in the README's "Package layout").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import thetabif

PACKAGE = "thetabif"
ROOT = Path(thetabif.__file__).resolve().parent
EXCLUDED = ("thetabif._generated",)

#: The layers, lowest first: (name, modules). ``thetabif.continuation`` may be a module
#: or a package (``thetabif.continuation.*``): both are matched by its name.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("thetabif._version", "thetabif.errors", "thetabif.records")),
    ("auto", ("thetabif.auto",)),
    ("codegen", ("thetabif.codegen",)),
    ("models", ("thetabif.models",)),
    ("numerics", ("thetabif.protocols", "thetabif.equilibrium", "thetabif.polish",
                  "thetabif.branch_scan",
                  "thetabif.simulation", "thetabif.network", "thetabif.network_layout",
                  "thetabif.tutorial")),
    ("continuation", ("thetabif.continuation",)),
    ("plotting", ("thetabif.plotting",)),
    ("analysis", ("thetabif.phase_diagram", "thetabif.verification", "thetabif.export",
                  "thetabif.demo", "thetabif.generate", "thetabif.snic", "thetabif.snic_scan",
                  "thetabif.global_curves", "thetabif.cycle_band")),
    ("cli-common", ("thetabif.cli.status", "thetabif.cli.common")),
    ("cli-commands", ("thetabif.cli.simulate", "thetabif.cli.continuation",
                      "thetabif.cli.verify", "thetabif.cli.phase", "thetabif.cli.network",
                      "thetabif.cli.export", "thetabif.cli.demo", "thetabif.cli.snic",
                      "thetabif.cli.homoclinic")),
    ("cli", ("thetabif.cli", "thetabif.cli.main", "thetabif.__main__")),
    # the root package itself (its public names are imported lazily, by name)
    ("api", ("thetabif",)),
)


@dataclass(frozen=True)
class Import:
    """One import of a module of the package: where it is and what it imports."""

    module: str
    line: int
    target: str


# ------------------------------------------------------------------ the checker
def module_names(root: Path, package: str, excluded: Sequence[str] = ()) -> dict[str, Path]:
    """``{dotted name: file}`` of every module below ``root`` (the folder of ``package``)."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if "__pycache__" in path.parts or any(
                name == e or name.startswith(e + ".") for e in excluded):
            continue
        names[name] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str, path: Path, known: Iterable[str], package: str) -> list[Import]:
    """The imports of modules of ``package`` made by ``module`` (file ``path``)."""
    known = set(known)
    is_pkg = path.name == "__init__.py"
    here = module if is_pkg else module.rpartition(".")[0]
    found: list[Import] = []

    def add(node: ast.AST, target: str) -> None:
        if target == package or target.startswith(package + "."):
            found.append(Import(module, node.lineno, target))

    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                add(node, sub if sub in known else source)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name)
                    and node.func.id in ("import_module", "__import__"))
                   or (isinstance(node.func, ast.Attribute)
                       and node.func.attr == "import_module"))):
            add(node, node.args[0].value)
    return found


def layer_of(module: str, layers: Sequence[tuple[str, Sequence[str]]], package: str
             ) -> int | None:
    """Index of the layer of ``module``: the longest name of :data:`LAYERS` that is the
    module or a package above it (the root package matches only itself)."""
    best: tuple[int, int] | None = None
    for index, (_, names) in enumerate(layers):
        for name in names:
            if module == name or (name != package and module.startswith(name + ".")):
                if best is None or len(name) > best[0]:
                    best = (len(name), index)
    return None if best is None else best[1]


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def check_layers(root: Path, package: str, layers: Sequence[tuple[str, Sequence[str]]],
                 excluded: Sequence[str] = ()) -> list[str]:
    """Every breach of the layer rule in the package at ``root``, one line each."""
    modules = module_names(root, package, excluded)
    problems = [f"{m}: no layer claims this module; add it to LAYERS"
                for m in modules if layer_of(m, layers, package) is None]
    same_layer: dict[str, set[str]] = {}
    where: dict[tuple[str, str], int] = {}
    for module, path in modules.items():
        src = layer_of(module, layers, package)
        for imp in imports_of(module, path, modules, package):
            dst = layer_of(imp.target, layers, package)
            if src is None or dst is None or imp.target == module:
                continue
            if dst > src:
                problems.append(
                    f"{module}:{imp.line} imports {imp.target}: layer "
                    f"{layers[dst][0]!r} is above {module}'s layer {layers[src][0]!r}")
            elif dst == src:
                same_layer.setdefault(module, set()).add(imp.target)
                where.setdefault((module, imp.target), imp.line)
    for comp in _cycles(same_layer):
        links = ", ".join(f"{a}:{where[a, b]} imports {b}" for a in sorted(comp)
                          for b in sorted(same_layer[a] & comp))
        layer = layers[layer_of(min(comp), layers, package)][0]
        problems.append(f"import cycle in layer {layer!r}: {links}")
    return problems


# ------------------------------------------------------------------ thetabif itself
def test_thetabif_imports_point_down():
    problems = check_layers(ROOT, PACKAGE, LAYERS, EXCLUDED)
    assert not problems, "imports that break the layers:\n" + "\n".join(problems)


def test_the_checker_sees_the_package():
    """The walk reaches every floor and finds the imports we know are there."""
    modules = module_names(ROOT, PACKAGE, EXCLUDED)
    assert {"thetabif.errors", "thetabif.auto.records", "thetabif.cli.main",
            "thetabif.generate"} <= set(modules)
    assert not any(m.startswith("thetabif._generated") for m in modules)
    imports = imports_of("thetabif.cli.main", modules["thetabif.cli.main"], modules, PACKAGE)
    assert {"thetabif.cli.common", "thetabif.errors", "thetabif._version"} <= {
        i.target for i in imports}
    # an import inside a function (the model's lazy numeric form) is seen
    lazy = imports_of("thetabif.models.theta", modules["thetabif.models.theta"], modules,
                        PACKAGE)
    assert any(i.target == "thetabif.codegen.numeric" for i in lazy)
    used = {layer_of(m, LAYERS, PACKAGE) for m in modules}
    assert used == set(range(len(LAYERS)))


# ------------------------------------------------------------------ the checker on a toy
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "toy"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TOY_LAYERS = (("low", ("toy.low", "toy.sub")), ("mid", ("toy.mid", "toy.other")),
              ("top", ("toy.top", "toy")))


def test_checker_accepts_imports_pointing_down(tmp_path):
    root = _package(tmp_path, {
        "low.py": "import os\n",
        "sub/__init__.py": "from .leaf import x\n",
        "sub/leaf.py": "x = 1\n",
        "mid.py": "from toy import low\nfrom toy.sub.leaf import x\n",
        "other.py": "from toy.mid import low\n",
        "top.py": "def f():\n    import toy.mid\n",
    })
    assert check_layers(root, "toy", TOY_LAYERS) == []


def test_checker_fails_on_an_upward_import_inside_a_function(tmp_path):
    root = _package(tmp_path, {
        "low.py": "import os\n\n\ndef f():\n    from toy.mid import g\n    return g\n",
        "mid.py": "def g():\n    pass\n",
        "top.py": "",
    })
    problems = check_layers(root, "toy", TOY_LAYERS)
    assert len(problems) == 1
    assert problems[0].startswith("toy.low:5 imports toy.mid: layer 'mid' is above")


@pytest.mark.parametrize("text", [
    "from . import top\n",                       # relative, a module
    "from .top import thing\n",                  # relative, a name
    "import toy.top as t\n",
    "from importlib import import_module\nm = import_module('toy.top')\n",
    "if True:\n    from toy import top\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:  # runs\n"
    "    import toy.top\n",
])
def test_checker_fails_on_every_form_of_upward_import(tmp_path, text):
    root = _package(tmp_path, {"low.py": text, "mid.py": "", "top.py": "thing = 1\n"})
    problems = check_layers(root, "toy", TOY_LAYERS)
    assert [p.split(":")[0] for p in problems] == ["toy.low"]
    assert "imports toy.top" in problems[0]


def test_checker_skips_type_checking_imports(tmp_path):
    root = _package(tmp_path, {
        "low.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                  "    from toy.top import T\n",
        "mid.py": "import typing\nif typing.TYPE_CHECKING:\n    import toy.top\n",
        "top.py": "T = int\n",
    })
    assert check_layers(root, "toy", TOY_LAYERS) == []


def test_checker_fails_on_a_cycle_within_a_layer(tmp_path):
    root = _package(tmp_path, {
        "low.py": "",
        "mid.py": "import toy.other\n",
        "other.py": "\n\ndef f():\n    from toy import mid\n",
        "top.py": "",
    })
    problems = check_layers(root, "toy", TOY_LAYERS)
    assert problems == ["import cycle in layer 'mid': toy.mid:1 imports toy.other, "
                        "toy.other:4 imports toy.mid"]


def test_checker_fails_on_a_module_without_a_layer(tmp_path):
    root = _package(tmp_path, {"low.py": "", "mid.py": "", "top.py": "", "stray.py": ""})
    toy = (("low", ("toy.low",)), ("mid", ("toy.mid",)), ("top", ("toy.top", "toy")))
    assert check_layers(root, "toy", toy) == [
        "toy.stray: no layer claims this module; add it to LAYERS"]


def test_readme_package_layout_names_every_folder_and_module():
    """The README's "Package layout" section names every module and folder of the
    package (and each layer), so it cannot drift from the folders."""
    readme = (ROOT.parent / "README.md").read_text()
    start = readme.index("## Package layout")
    end = readme.find("\n## ", start + 1)
    section = readme[start:end if end >= 0 else None]
    names = sorted({p.name.removesuffix(".py") for p in ROOT.iterdir()
                    if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
                    and p.name not in ("__init__.py", "__main__.py", "_generated")})
    missing = [n for n in names if n not in section]
    assert not missing, f"README 'Package layout' does not mention {missing}"
    assert all(layer in section for layer, _ in LAYERS[:-1])
