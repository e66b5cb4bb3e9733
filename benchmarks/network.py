"""Spiking-network speed and accuracy: thetabif's exact step against Brian2, side by side.

Both simulate the tutorial protocol (eta = -5, J = 15, Delta = 1, tau = 1,
``I_ext = 3`` on [20, 80), ``z0 = -0.6 - 0.8i``, so every neuron starts at
``V = -2``, ``theta = 2 atan(-2)``) with delta-pulse coupling ``s = J r`` through the
network's own spike rate, the same excitabilities (thetabif's tail-corrected
Lorentzian quantiles) and the same step ``dt``:

* thetabif: :func:`thetabif.network.simulate_network` (exact QIF step, numba,
  2 threads), in this interpreter;
* Brian2: the theta neuron ``dtheta/dt = (1 - cos theta) + (1 + cos theta)(eta + I + s)``
  with Euler (Brian2's method for this model), threshold ``theta > pi``, reset
  ``theta -= 2 pi``; the spikes of a step feed ``s = J count / (N dt)`` in the next
  (a synapse per neuron onto one hub, linear in N); ``cpp_standalone`` with OpenMP on
  2 threads. It runs in ``benchmarks/.venv-peers-brian2`` (Brian2 2.9.0, numpy < 2.4;
  the venv holds a ``.gitignore`` of ``*``, so git never sees it), created if missing.

Speed is neuron-updates per second of the simulation loop (thetabif: the kernel's
wall time; Brian2: ``device._last_run_time``, compilation excluded). Accuracy is the
phase-mean firing rate of each against the mean field (:func:`thetabif.simulate`).

Usage::

    .venv/bin/python benchmarks/network.py [--sizes 1e4 1e5 1e6] [--t-end 100]
        [--dt 1e-3] [--no-brian2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BRIAN_VENV = HERE / ".venv-peers-brian2"
PHASES = (("before", 0.0, 20.0), ("during", 20.0, 80.0), ("after", 80.0, 100.0))


# -------------------------------------------------------------- Brian2 child
def brian2_child(npz_in: str, npz_out: str) -> None:
    """Run one Brian2 simulation (inside the Brian2 venv); inputs and outputs as .npz."""
    import brian2 as b2

    cfg = np.load(npz_in)
    eta = cfg["eta"]
    N, dt, t_end, J = len(eta), float(cfg["dt"]), float(cfg["t_end"]), float(cfg["J"])
    workdir = str(cfg["workdir"])
    b2.set_device("cpp_standalone", directory=workdir)
    b2.prefs.devices.cpp_standalone.openmp_threads = 2
    b2.defaultclock.dt = dt * b2.ms
    stim = b2.TimedArray(np.array([0.0, 3.0, 3.0, 3.0, 0.0, 0.0]), dt=20 * b2.ms)
    G = b2.NeuronGroup(
        N,
        """dtheta/dt = ((1 - cos(theta)) + (1 + cos(theta)) * (eta + stim(t) + s)) / ms : 1
           eta : 1 (constant)
           s : 1 (linked)""",
        threshold="theta > pi", reset="theta -= 2*pi", method="euler",
        namespace={"stim": stim})
    hub = b2.NeuronGroup(1, "count : 1\ns_hub : 1")
    G.s = b2.linked_var(hub, "s_hub", index=np.zeros(N, dtype=int))
    S = b2.Synapses(G, hub, on_pre="count_post += 1")
    S.connect(i=np.arange(N), j=np.zeros(N, dtype=int))
    hub.run_regularly(f"s_hub = {J} * count / ({N} * {dt})\ncount = 0", when="end")
    G.eta = eta
    G.theta = 2 * np.arctan(-2.0)
    rate = b2.PopulationRateMonitor(G)
    b2.run(t_end * b2.ms)
    np.savez(npz_out, rate=np.asarray(rate.rate / b2.Hz) / 1000.0,
             t=np.asarray(rate.t / b2.ms), run_time=b2.device._last_run_time)


def ensure_brian2() -> Path:
    """The Brian2 venv's python, creating the venv if missing."""
    py = BRIAN_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BRIAN_VENV)], check=True)
        (BRIAN_VENV / ".gitignore").write_text("*\n")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "brian2==2.9.0", "numpy<2.4"],
                       check=True)
    return py


# --------------------------------------------------------------------- parent
def phase_means(t: np.ndarray, r: np.ndarray, t_end: float) -> dict[str, float]:
    """Mean of a per-step rate (values at step midpoints ``t``) over each phase."""
    out = {}
    for name, a, b in PHASES:
        sel = (t >= a) & (t < min(b, t_end))
        if sel.any():
            out[name] = float(np.mean(r[sel]))
    return out


def mean_field_phases(t_end: float) -> dict[str, float]:
    from thetabif import Protocol, ThetaModel, simulate

    mf = simulate(ThetaModel(), t_end=t_end, dt=0.001, inputs=Protocol.step(20, 80, 3))
    t, r = mf.time.to_numpy(), mf.r.to_numpy()
    out = {}
    for name, a, b in PHASES:
        sel = (t >= a) & (t <= min(b, t_end))
        if sel.sum() > 1:
            out[name] = float(np.trapezoid(r[sel], t[sel]) / (t[sel][-1] - t[sel][0]))
    return out


def run_thetabif(N: int, t_end: float, dt: float) -> dict:
    from thetabif import Protocol, ThetaModel
    from thetabif.network import simulate_network

    ds = simulate_network(ThetaModel(), N=N, t_end=t_end, dt=dt, dt_out=0.01,
                          inputs=Protocol.step(20, 80, 3), threads=2, progress=False)
    rate = ds.spike_count.to_numpy() / (N * dt)
    return {"updates_per_s": ds.attrs["neuron_updates_per_s"], "wall": ds.attrs["wall_time"],
            "phases": phase_means(ds.step_time.to_numpy(), rate, t_end)}


def run_brian2(N: int, t_end: float, dt: float) -> dict:
    from thetabif.network import lorentzian_quantiles

    py = ensure_brian2()
    with tempfile.TemporaryDirectory(prefix="brian2-net-") as tmp:
        cfg, res = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(cfg, eta=lorentzian_quantiles(N, -5.0, 1.0), dt=dt, t_end=t_end, J=15.0,
                 workdir=os.path.join(tmp, "standalone"))
        t0 = time.perf_counter()
        subprocess.run([str(py), __file__, "--brian2-child", cfg, res], check=True,
                       stdout=subprocess.DEVNULL)
        total = time.perf_counter() - t0
        out = np.load(res)
        run_time = float(out["run_time"])
        steps = round(t_end / dt)
        return {"updates_per_s": N * steps / run_time, "wall": run_time,
                "wall_with_compile": total,
                "phases": phase_means(out["t"] + 0.5 * dt, out["rate"], t_end)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    ap.add_argument("--t-end", type=float, default=100.0)
    ap.add_argument("--dt", type=float, default=1e-3)
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--brian2-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.brian2_child:
        brian2_child(*args.brian2_child)
        return
    mf = mean_field_phases(args.t_end)
    rows = []
    print(f"tutorial protocol, t_end={args.t_end:g}, dt={args.dt:g}, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'tool':<22} {'N':>9} {'updates/s':>11} {'run s':>8}  "
          + "  ".join(f"{n + ' r err':>13}" for n in mf))
    tools = [("thetabif exact", run_thetabif)]
    if not args.no_brian2:
        tools.append(("brian2 euler cpp/omp2", run_brian2))
    for size in args.sizes:
        N = int(size)
        for name, fn in tools:
            res = fn(N, args.t_end, args.dt)
            errs = {k: res["phases"][k] / mf[k] - 1 for k in mf if k in res["phases"]}
            res.update(tool=name, N=N, rel_error=errs, mean_field=mf)
            rows.append(res)
            print(f"{name:<22} {N:>9} {res['updates_per_s']:>11.3g} {res['wall']:>8.2f}  "
                  + "  ".join(f"{errs.get(k, math.nan):>+13.3%}" for k in mf), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
