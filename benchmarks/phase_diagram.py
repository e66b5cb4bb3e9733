"""Time the complete phase diagram of the n = 2 model (Delta = 0.5), end to end.

The analysis is :func:`thetabif.phase_diagram.compute` over eta in [0, 20], J in
[-42, -8] with a 61 x 52 region grid: equilibria and cycles at J = -30, the fold and
Hopf curves (cusp, Bogdanov-Takens, Bautin), the homoclinic curve from BT (HomCont) with
its neutral saddles, the fold of cycles from GH (continued by AUTO), the region-5
band next to it, SNIC stretches of the fold curves (none here) and the attractor grid;
then its figures
(PNG) and its netCDF and JSON files. Variants:

* ``cold``: a fresh process with an empty ``THETABIF_CACHE_DIR`` (AUTO engine compiled
  with gfortran, polishing systems derived);
* ``warm``: a fresh process with the cache filled by an untimed run first.

Each timed run is a fresh process; the time is the parent's wall time around
``subprocess.run``; the child reports its own stage times
(``PhaseDiagram.timings``, plus import and writing). Runs alternate cold / warm,
``--repeats`` times; medians are reported. Each run's diagram is checked against the
values the tests check (BT, the homoclinic curve at J = -30 from the manifold split).

Run from the repository root::

    .venv/bin/python benchmarks/phase_diagram.py [--repeats 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "phase_diagram.json"
TARGET_WARM = 10.0  # seconds, the target for the warm run

CHILD = r'''
import json, sys, tempfile, time
t0 = time.perf_counter()
import numpy as np
from thetabif import ThetaModel
from thetabif.phase_diagram import compute
t_import = time.perf_counter() - t0
pdg = compute(ThetaModel(n=2), {"Delta": 0.5, "eta": 5.0, "J": -30.0},
              box={"eta": (0.0, 20.0), "J": (-42.0, -8.0)}, grid_shape=(61, 52),
              scan_J=(), j_diagram=False)
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as out:
    pdg.write(out)
t_write = time.perf_counter() - t1
hom = [c for c in pdg.global_curves if c.kind == "homoclinic"]
eta30 = None
for c in hom:
    s = np.sign(c.J + 30.0)
    k = np.flatnonzero(s[:-1] * s[1:] <= 0)
    if k.size:
        i = int(k[0]); w = (-30.0 - c.J[i]) / (c.J[i + 1] - c.J[i])
        eta30 = float(c.eta[i] + w * (c.eta[i + 1] - c.eta[i]))
bt = [p for p in pdg.codim2 if p.type == "BT"]
print(json.dumps({
    "timings": pdg.timings, "import": t_import, "write": t_write,
    "total_inside": time.perf_counter() - t0,
    "codim2": [p.label for p in pdg.codim2],
    "bt": [bt[0].params["eta"], bt[0].params["J"]] if bt else None,
    "homoclinic_eta_at_J-30": eta30,
    "global_curves": [c.kind for c in pdg.global_curves]}))
'''
BT = (2.3718591990, -13.0196297782)
HOM_30 = 11.5716086670


def run_child(cache: str) -> dict:
    env = {**os.environ, "THETABIF_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, cwd=tempfile.gettempdir(), check=False)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    # the diagram is checked, not only timed (the tests' values; 2e-3: a straight
    # segment between HomCont's points)
    out["bt_error"] = max(abs(a - b) for a, b in zip(out["bt"], BT, strict=True))
    out["homoclinic_error"] = abs(out["homoclinic_eta_at_J-30"] - HOM_30)
    if out["bt_error"] > 1e-6 or out["homoclinic_error"] > 2e-3:
        raise RuntimeError(f"wrong diagram: {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as warm_cache:
        run_child(warm_cache)  # untimed: fills the warm cache
        for k in range(args.repeats):
            with tempfile.TemporaryDirectory() as cold_cache:
                runs["cold"].append(run_child(cold_cache))
            runs["warm"].append(run_child(warm_cache))
            print(f"repeat {k + 1}: cold {runs['cold'][-1]['wall']:.2f} s, "
                  f"warm {runs['warm'][-1]['wall']:.2f} s", flush=True)
    summary = {}
    for name, rs in runs.items():
        stages = {s: statistics.median(r["timings"][s] for r in rs) for s in rs[0]["timings"]}
        summary[name] = {"wall_median": statistics.median(r["wall"] for r in rs),
                         "wall_all": [r["wall"] for r in rs],
                         "import_median": statistics.median(r["import"] for r in rs),
                         "write_median": statistics.median(r["write"] for r in rs),
                         "stage_medians": stages}
    print(f"{'variant':8s} {'wall':>7s} {'import':>7s} "
          + " ".join(f"{s:>14s}" for s in summary["warm"]["stage_medians"])
          + f" {'write':>7s}")
    for name, s in summary.items():
        print(f"{name:8s} {s['wall_median']:7.2f} {s['import_median']:7.2f} "
              + " ".join(f"{v:14.2f}" for v in s["stage_medians"].values())
              + f" {s['write_median']:7.2f}")
    met = summary["warm"]["wall_median"] < TARGET_WARM
    print(f"target warm < {TARGET_WARM:g} s: {'met' if met else 'NOT met'}")
    record = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="minutes"),
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(),
                          "load": os.getloadavg() if hasattr(os, "getloadavg") else None},
              "repeats": args.repeats, "summary": summary, "runs": runs,
              "checked": {"bt": BT, "homoclinic_eta_at_J-30": HOM_30}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2))
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
