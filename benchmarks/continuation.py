"""Time and check one continuation analysis three ways: thetabif, PyCoBi, AUTO's own CLI.

The analysis (design.md, issue 4): generate the AUTO equation file of the delta-pulse
theta model (PyCoBi: of PyRates' ``qif`` template, the same model in (r, v)), compile
it, continue equilibria in ``eta`` at ``J = 15`` (``Delta = tau = 1``) in both
directions over ``eta`` in [-20, 20], and continue the first fold in ``(eta, J)``
through the cusp. Variants:

* ``thetabif cold``: ``Continuation(...).equilibria(...)`` and ``.curve(...)`` in a
  fresh process with an empty ``THETABIF_CACHE_DIR`` (Fortran generation, gfortran,
  sympy derivation of the polishing systems all happen);
* ``thetabif warm``: the same with a cache filled by an untimed run first;
* ``PyCoBi``: PyCoBi 1.1.0 / PyRates 1.2.3 in ``benchmarks/.venv-peers-pycobi``, its
  documented workflow (``ODESystem.from_yaml`` of the ``qif`` template, time
  integration to a steady state, ``eta`` continuation from it both ways, fold curve
  from ``LP1`` both ways) with the constants of its QIF example (``EPSL = EPSU = 1e-6``,
  ``EPSS = 1e-4``, ``DSMAX = 0.05``, ``JAC = 0``). AUTO's Python layer needs the fix
  of upstream issue #37 (``parseS.py``: ``fdata == []`` on an ndarray raises a
  broadcast error with numpy >= 1.25); it is applied to a private copy of
  ``/usr/lib/auto-07p`` made in a temporary folder (the system copy is not touched);
* ``AUTO CLI``: ``python3 .../interactiveBindings.py theta.auto`` (Debian's python3
  and numpy 1.24) in a fresh folder holding thetabif's exported files for
  ``J = 15``. The script compiles ``theta.f90``, continues equilibria both ways and
  the fold curve from *each* of the two LP points both ways (thetabif and PyCoBi
  follow one), then deletes the executable (``clean()``): every run compiles.

Each timed run is a fresh process started from here; the time is the parent's wall
time around ``subprocess.run``. Runs alternate between the variants, ``--repeats``
times; medians are reported. Errors are against the closed forms: folds where
``4 pi^4 r^4 - 2 pi^2 J r^3 + Delta^2 = 0`` at ``eta = pi^2 r^2 - J r -
Delta^2/(4 pi^2 r^2)``; cusp at ``r^4 = 3 Delta^2/(4 pi^4)``, ``J_c = 2 pi^2 r +
Delta^2/(2 pi^2 r^3)``.

Run from the repository root::

    .venv/bin/python benchmarks/continuation.py [--repeats 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
PYCOBI_VENV = BENCH / ".venv-peers-pycobi"
PYCOBI_PYTHON = PYCOBI_VENV / "bin" / "python"
SYSTEM_AUTO = Path("/usr/lib/auto-07p")
SYSTEM_PYTHON = "/usr/bin/python3"
DEFAULT_JSON = BENCH / "results" / "continuation.json"
J0, DELTA = 15.0, 1.0
ETA_RANGE, J_RANGE = (-20.0, 20.0), (-60.0, 60.0)
TARGET_VS_PYCOBI, TARGET_VS_FLOOR = 8.0, 3.0

THETABIF_CHILD = r'''
import json, time
t0 = time.perf_counter()
from thetabif import Continuation, ThetaModel
cont = Continuation(ThetaModel(), {"J": 15.0})
eq = cont.equilibria("eta", -20.0, 20.0)
fold = cont.curve(eq.point("LP1"), ("eta", "J"), {"eta": (-20.0, 20.0), "J": (-60.0, 60.0)})
print(json.dumps({
    "folds": sorted(p.params["eta"] for p in eq.special("LP")),
    "folds_auto": sorted(p.auto_params["eta"] for p in eq.special("LP")),
    "cusp": [[p.params["eta"], p.params["J"]] for p in fold.special("CP")],
    "cusp_auto": [[p.auto_params["eta"], p.auto_params["J"]] for p in fold.special("CP")],
    "t_inside": time.perf_counter() - t0}))
'''

PYCOBI_CHILD = r'''
import json, os, sys, time
t0 = time.perf_counter()
cfg = json.loads(sys.argv[1])
os.environ["AUTO_DIR"] = cfg["auto_dir"]
os.environ["PATH"] = f"{cfg['auto_dir']}/cmds:" + os.environ["PATH"]
sys.path.insert(0, os.path.join(cfg["auto_dir"], "python"))  # what auto.env.sh does
from pycobi import ODESystem
ode = ODESystem.from_yaml("model_templates.neural_mass_models.qif.qif", working_dir=cfg["workdir"],
                          auto_dir=cfg["auto_dir"], init_cont=False, auto_constants=("ivp", "eq"),
                          node_vars={"p/qif_op/eta": -5.0})
# PyCoBi's QIF example: integrate to a steady state (t = 8: r has converged to the
# printed digits), then continue from the UZ point
t_sols, t_cont = ode.run(c="ivp", name="t", DS=1e-4, DSMIN=1e-10, EPSL=1e-06, NMX=1000, NPR=1000,
                         UZR={14: 8.0}, STOP={"UZ1"})
common = dict(IPS=1, ILP=1, ISP=2, NTST=400, NCOL=4, IAD=3, IPLT=0, NBC=0, NINT=0, NMX=2000,
              NPR=10, MXBF=5, IID=2, ITMX=40, ITNW=40, NWTN=12, JAC=0, EPSL=1e-06, EPSU=1e-06,
              EPSS=1e-04, DS=1e-4, DSMIN=1e-8, DSMAX=5e-2, IADS=1, THL={}, THU={}, UZR={}, STOP={})
eta_sols, eta_cont = ode.run(origin=t_cont, starting_point="UZ1", name="eta", bidirectional=True,
                             ICP="p/qif_op/eta", RL0=-20.0, RL1=20.0, ISW=1, **common)
lp = eta_sols[eta_sols["bifurcation"] == "LP"]
folds = sorted(float(v) for v in lp["eta"].to_numpy().ravel())
fold_sols, fold_cont = ode.run(origin=eta_cont, starting_point="LP1", name="eta/J",
                               bidirectional=True, ICP=["p/qif_op/eta", "weight"], RL0=-20.0,
                               RL1=20.0, ISW=2, **common)
cp = fold_sols[fold_sols["bifurcation"] == "CP"]
cusps = [[float(a), float(b)] for a, b in zip(cp["eta"].to_numpy().ravel(),
                                              cp["weight"].to_numpy().ravel())]
ode.close_session(clear_files=True)
print(json.dumps({"folds": folds, "cusp": cusps, "t_inside": time.perf_counter() - t0}))
'''


def closed_form(J: float = J0, Delta: float = DELTA) -> dict:
    """Folds in eta at ``J`` and the cusp (eta_c, J_c), from the (r, v) form."""
    pi = np.pi
    roots = np.roots([4 * pi**4, -2 * pi**2 * J, 0, 0, Delta**2])
    rates = sorted(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0)

    def eta(r: float, JJ: float) -> float:
        return pi**2 * r**2 - JJ * r - Delta**2 / (4 * pi**2 * r**2)

    rc = (3 * Delta**2 / (4 * pi**4)) ** 0.25
    Jc = 2 * pi**2 * rc + Delta**2 / (2 * pi**2 * rc**3)
    return {"folds": sorted(eta(r, J) for r in rates), "cusp": [eta(rc, Jc), Jc]}


def errors(result: dict, exact: dict, fold_key: str = "folds", cusp_key: str = "cusp") -> dict:
    """Max |error| of the two folds (eta) and of the cusp (max over eta and J)."""
    out: dict = {}
    folds = result.get(fold_key) or []
    if len(folds) == 2:
        out["fold"] = max(abs(a - b) for a, b in zip(folds, exact["folds"], strict=True))
    else:
        out["fold"] = None
        out["fold_note"] = f"{len(folds)} LP points found"
    cusps = result.get(cusp_key) or []
    if cusps:
        out["cusp"] = min(max(abs(c[0] - exact["cusp"][0]), abs(c[1] - exact["cusp"][1]))
                          for c in cusps)
    else:
        out["cusp"] = None
    return out


def private_auto_copy(dest: Path) -> Path:
    """Copy /usr/lib/auto-07p to ``dest`` and apply the upstream #37 fix to the copy."""
    auto = dest / "auto-07p"
    shutil.copytree(SYSTEM_AUTO, auto, symlinks=True)
    path = auto / "python" / "auto" / "parseS.py"
    text = path.read_text()
    fixes = [
        ("if fdata == [] or len(fdata) != total:", "if len(fdata) == 0 or len(fdata) != total:"),
        ("fdata = N.array(map(parseB.AUTOatof,\n" + " " * 36 + "data.split()), 'd')",
         "fdata = N.array(list(map(parseB.AUTOatof,\n" + " " * 36 + "data.split())), 'd')"),
        ("fdata = N.array(map(float, data), 'd')", "fdata = N.array(list(map(float, data)), 'd')"),
        ("fdata = N.array(map(parseB.AUTOatof, data), 'd')",
         "fdata = N.array(list(map(parseB.AUTOatof, data)), 'd')"),
        ("nlinessmall = (((n-1)/7+1) * nrows + (self.__numFreeParameters+6)/7)",
         "nlinessmall = (((n-1)//7+1) * nrows + (self.__numFreeParameters+6)//7)"),
    ]
    for old, new in fixes:
        if old not in text:
            raise RuntimeError(f"parseS.py of {SYSTEM_AUTO} differs from 0.9.2: {old!r} not found")
        text = text.replace(old, new)
    path.write_text(text)
    return auto


def ensure_pycobi() -> None:
    if PYCOBI_PYTHON.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(PYCOBI_VENV)], check=True)
    subprocess.run([str(PYCOBI_PYTHON), "-m", "pip", "install", "-q", "pycobi"], check=True)


def timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
          timeout: float = 900.0) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - t0, proc


def last_json(proc: subprocess.CompletedProcess, what: str) -> dict:
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_auto_cli(folder: Path) -> dict:
    """LP etas and CP (eta, J) from the b. files the .auto script saved."""
    from thetabif.auto.parse import parse_fort7

    eq = parse_fort7((folder / "b.theta_eq").read_text())
    fold = parse_fort7((folder / "b.theta_fold").read_text())
    folds = sorted({round(p.columns["eta"], 12) for b in eq for p in b.points
                    if p.type == "LP"})
    cusps = sorted({(round(p.columns["eta"], 12), round(p.columns["J"], 12))
                    for b in fold for p in b.points if p.type == "CP"})
    return {"folds": list(folds), "cusp": [list(c) for c in cusps]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args()
    ensure_pycobi()
    exact = closed_form()
    work = Path(tempfile.mkdtemp(prefix="thetabif-bench-cont-"))
    try:
        auto_copy = private_auto_copy(work)
        # thetabif's exported files (untimed; what an AUTO user downloads)
        export_dir = work / "export"
        subprocess.run([sys.executable, "-c",
                        "from thetabif import ThetaModel; from thetabif.export import export_model;"
                        f"export_model(ThetaModel(), {{'J': {J0}}}, {str(export_dir)!r})"],
                       check=True)
        warm_cache = work / "warm-cache"
        env_warm = {**os.environ, "THETABIF_CACHE_DIR": str(warm_cache)}
        last_json(subprocess.run([sys.executable, "-c", THETABIF_CHILD], env=env_warm,
                                 capture_output=True, text=True), "thetabif priming run")
        times: dict[str, list[float]] = {k: [] for k in
                                         ("thetabif cold", "thetabif warm", "PyCoBi", "AUTO CLI")}
        results: dict[str, dict] = {}
        for rep in range(args.repeats):
            cold = work / f"cold-cache-{rep}"
            env_cold = {**os.environ, "THETABIF_CACHE_DIR": str(cold)}
            dt, proc = timed([sys.executable, "-c", THETABIF_CHILD], env=env_cold)
            times["thetabif cold"].append(dt)
            results["thetabif cold"] = last_json(proc, "thetabif cold")
            dt, proc = timed([sys.executable, "-c", THETABIF_CHILD], env=env_warm)
            times["thetabif warm"].append(dt)
            results["thetabif warm"] = last_json(proc, "thetabif warm")
            pdir = work / f"pycobi-{rep}"
            pdir.mkdir()
            cfg = json.dumps({"auto_dir": str(auto_copy), "workdir": str(pdir)})
            env_p = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTO_DIR")}
            dt, proc = timed([str(PYCOBI_PYTHON), "-c", PYCOBI_CHILD, cfg], cwd=pdir, env=env_p)
            times["PyCoBi"].append(dt)
            results["PyCoBi"] = last_json(proc, "PyCoBi")
            adir = work / f"auto-{rep}"
            shutil.copytree(export_dir, adir)
            env_a = {**os.environ, "AUTO_DIR": str(SYSTEM_AUTO),
                     "PATH": f"{SYSTEM_AUTO}/cmds:{os.environ['PATH']}"}
            env_a.pop("PYTHONPATH", None)
            bindings = str(SYSTEM_AUTO / "python/auto/interactiveBindings.py")
            dt, proc = timed([SYSTEM_PYTHON, bindings, "theta.auto"], cwd=adir, env=env_a)
            if proc.returncode != 0:
                raise RuntimeError(f"AUTO CLI failed:\n{proc.stdout[-2000:]}\n"
                                   f"{proc.stderr[-2000:]}")
            times["AUTO CLI"].append(dt)
            results["AUTO CLI"] = parse_auto_cli(adir)
            print(f"repeat {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s"
                                                     for k, v in times.items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    errs = {k: errors(r, exact) for k, r in results.items()}
    for k in ("thetabif cold", "thetabif warm"):
        errs[k + " (AUTO's own location)"] = errors(results[k], exact, "folds_auto", "cusp_auto")
    summary = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="minutes"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
                   f"Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "repeats": args.repeats, "times": times, "medians": med, "exact": exact,
        "results": results, "errors": errs,
        "ratios": {
            "PyCoBi / thetabif warm": med["PyCoBi"] / med["thetabif warm"],
            "PyCoBi / thetabif cold": med["PyCoBi"] / med["thetabif cold"],
            "thetabif warm / AUTO CLI": med["thetabif warm"] / med["AUTO CLI"],
            "thetabif cold / AUTO CLI": med["thetabif cold"] / med["AUTO CLI"],
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1, default=float))
    print(f"\nmedians over {args.repeats} alternating repeats (wall time of the whole process):")
    for k, v in med.items():
        e = errs[k]
        print(f"  {k:14s} {v:7.2f} s   fold error {e['fold']!s:>24}   cusp error {e['cusp']!s:>24}")
    for k, v in summary["ratios"].items():
        print(f"  {k}: {v:.2f}")
    for k in ("thetabif cold", "thetabif warm"):
        e = errs[k + " (AUTO's own location)"]
        print(f"  {k}, AUTO's location before polishing: fold {e['fold']}, cusp {e['cusp']}")
    print(f"targets: >= {TARGET_VS_PYCOBI}x faster than PyCoBi, <= {TARGET_VS_FLOOR}x the AUTO CLI")
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
