"""Time the set-up and one continuation of an 8-state circuit: thetabif against bare AUTO.

The circuit: PING (``thetabif/circuits/ping.toml``: populations E and I, four
first-order synapses; 8 states, 16 parameters). Variants, each in a fresh process:

* ``cold set-up``, empty ``THETABIF_CACHE_DIR``: the numeric module
  (``circuit.numeric``: right-hand side and Jacobian for Newton and the C integrator's
  callers), the C integrator (``thetabif.simulate`` of one time unit: generation and
  compilation of the Dormand-Prince kernel), the AUTO engine
  (``engine_executable``: Fortran, gfortran). Measured twice: for the shipped ``ping``
  (its Python and Fortran sources ship pregenerated in ``thetabif/_generated``; only
  the compilers run) and for the same circuit under another label (``pingb``: nothing
  shipped, sympy derives everything);
* ``thetabif warm``: ``Continuation(ping).equilibria("eta_E", -10, 10)`` with a filled
  cache (time inside the process, and the whole process with its imports);
* ``bare AUTO``: the executable compiled (untimed) from the exported equation file
  (``thetabif.export.export_model``) run twice from its ``STPNT`` (both directions)
  with the exported equilibrium constants; only the range is set to [-10, 10]
  (``UZSTOP``; the export continues in ``eta_E`` over [-20, 20]). Timed in the parent
  around the two executable runs: AUTO's own work and nothing else. Also with
  ``NPR = 1`` (every point stored in ``fort.8``): what thetabif asked of AUTO for models
  with more states than ``fort.7`` prints before their states came into ``fort.7``
  through PVLS (kept for comparison).

Runs alternate between the variants, ``--repeats`` times; medians are reported.
Targets: cold set-up under 5 s; the warm continuation within 2x of bare AUTO.

Run from the repository root::

    .venv/bin/python benchmarks/circuit.py [--repeats 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "circuit.json"
TARGET_COLD, TARGET_WARM_VS_BARE = 5.0, 2.0
RANGE = (-10.0, 10.0)

COLD_CHILD = r'''
import json, sys, time
t0 = time.perf_counter()
import thetabif
from thetabif.continuation.engine import engine_executable
from thetabif.models import Circuit
c = thetabif.read_circuit("ping")
if sys.argv[1] != "ping":  # the same circuit under another label: nothing shipped
    c = Circuit(c.populations, c.edges, label=sys.argv[1], readout="E")
t1 = time.perf_counter()
c.numeric.rhs
t2 = time.perf_counter()
thetabif.simulate(c, t_end=1.0, dt=0.1)
t3 = time.perf_counter()
engine_executable(c)
t4 = time.perf_counter()
print(json.dumps({"name": c.name, "import": t1 - t0, "numeric": t2 - t1,
                  "integrator": t3 - t2, "engine": t4 - t3, "set-up": t4 - t1}))
'''

WARM_CHILD = r'''
import json, time
t0 = time.perf_counter()
from thetabif import Continuation, read_circuit
c = read_circuit("ping")
t1 = time.perf_counter()
res = Continuation(c).equilibria("eta_E", -10.0, 10.0)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "continuation": t2 - t1,
                  "hopf": sorted(p.params["eta_E"] for p in res.special("HB")),
                  "points": sum(len(b) for b in res.branches)}))
'''

PREPARE_CHILD = r'''
import json, sys
from pathlib import Path
import thetabif
from thetabif.auto import compile_equations
from thetabif.export import export_model
c = thetabif.read_circuit("ping")
files = export_model(c, {}, sys.argv[1])
f90 = next(p for p in files if p.suffix == ".f90")
exe = compile_equations(f90.read_text(), c.name)
const = next(p for p in files if p.name.endswith(".eq_eta"))
print(json.dumps({"exe": str(exe), "constants": str(const), "name": c.name}))
'''


def last_json(proc: subprocess.CompletedProcess, what: str) -> dict:
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(code: str, env: dict, *args: str) -> tuple[float, dict]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=900)
    return time.perf_counter() - t, last_json(proc, "child")


def bare_constants(text: str, npr: int | None = None) -> str:
    """The exported equilibrium constants for eta_E in RANGE (see the module doc)."""
    text = text.replace("ICP=['eta', ", "ICP=['eta_E', ")
    text, found = re.subn(r"UZSTOP=\{'eta(?:_E)?': \[[^\]]*\]\}",
                          f"UZSTOP={{'eta_E': [{RANGE[0]}, {RANGE[1]}]}}", text)
    if found != 1 or "ICP=['eta_E', " not in text:
        raise RuntimeError(f"the exported constants are not as expected:\n{text}")
    if npr is not None:
        text = re.sub(r"NPR=\d+", f"NPR={npr}", text)
    return text


def bare_auto(exe: str, constants: str, work: Path) -> tuple[float, int]:
    """Both directions from STPNT: wall time of the two runs, points computed."""
    points = 0
    elapsed = 0.0
    for sign in (1, -1):
        d = Path(tempfile.mkdtemp(dir=work))
        c = constants if sign > 0 else re.sub(r"DS=([0-9.eE+-]+)", r"DS=-\1", constants)
        (d / "fort.2").write_text(c)
        t = time.perf_counter()
        proc = subprocess.run([exe], cwd=d, capture_output=True, text=True, timeout=300)
        elapsed += time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"bare AUTO failed: {proc.stdout[-1000:]}{proc.stderr[-1000:]}")
        points += sum(1 for line in (d / "fort.7").read_text().splitlines()
                      if re.match(r"^\s+-?\d+\s+-?\d+\s+\d+\s+", line))
        shutil.rmtree(d, ignore_errors=True)
    return elapsed, points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="thetabif-bench-circuit-"))
    base = {k: v for k, v in os.environ.items() if k != "THETABIF_CACHE_DIR"}
    base["PYTHONPATH"] = str(ROOT)
    try:
        warm_env = {**base, "THETABIF_CACHE_DIR": str(work / "warm-cache")}
        _, prep = child(PREPARE_CHILD, warm_env, str(work / "export"))
        exported = Path(prep["constants"]).read_text()
        child(WARM_CHILD, warm_env)  # fills the cache
        times: dict[str, list[float]] = {k: [] for k in (
            "cold set-up ping", "cold set-up pingb", "thetabif warm continuation",
            "thetabif warm process", "bare AUTO", "bare AUTO NPR=1")}
        stages: dict[str, list[dict]] = {"ping": [], "pingb": []}
        info: dict = {}
        for rep in range(args.repeats):
            for label in ("ping", "pingb"):
                env = {**base, "THETABIF_CACHE_DIR": str(work / f"cold-{label}-{rep}")}
                _, out = child(COLD_CHILD, env, label)
                stages[label].append(out)
                times[f"cold set-up {label}"].append(out["set-up"])
            dt, out = child(WARM_CHILD, warm_env)
            times["thetabif warm continuation"].append(out["continuation"])
            times["thetabif warm process"].append(dt)
            info["thetabif"] = out
            for key, npr in (("bare AUTO", None), ("bare AUTO NPR=1", 1)):
                dt, pts = bare_auto(prep["exe"], bare_constants(exported, npr), work)
                times[key].append(dt)
                info[key] = {"points": pts}
            print(f"repeat {rep + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s"
                                                     for k, v in times.items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    stage_med = {label: {k: statistics.median(s[k] for s in runs)
                         for k in ("import", "numeric", "integrator", "engine", "set-up")}
                 for label, runs in stages.items()}
    ratios = {"thetabif warm continuation / bare AUTO":
              med["thetabif warm continuation"] / med["bare AUTO"],
              "thetabif warm continuation / bare AUTO NPR=1":
              med["thetabif warm continuation"] / med["bare AUTO NPR=1"]}
    summary = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="minutes"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
                   f"Python {platform.python_version()}",
        "load_average": os.getloadavg(), "repeats": args.repeats, "times": times,
        "medians": med, "cold_stages": stage_med, "ratios": ratios, "info": info}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1, default=float))
    print(f"\nmedians over {args.repeats} alternating repeats:")
    for k, v in med.items():
        print(f"  {k:28s} {v:7.3f} s")
    for label, s in stage_med.items():
        print(f"  cold {label}: " + ", ".join(f"{k} {v:.3f} s" for k, v in s.items()))
    for k, v in ratios.items():
        print(f"  {k}: {v:.2f}")
    print(f"  points: thetabif {info['thetabif']['points']}, bare AUTO "
          f"{info['bare AUTO']['points']}; Hopf points (thetabif) {info['thetabif']['hopf']}")
    print(f"targets: cold set-up < {TARGET_COLD} s, warm continuation <= "
          f"{TARGET_WARM_VS_BARE}x bare AUTO")
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
