"""Time and check the PyRates theta tutorial protocol: thetabif against PyRates.

The protocol is the one in PyRates' theta mean-field tutorial: template
``model_templates.neural_mass_models.theta.kmo_theta``, ``T = 100``,
``step_size = 5e-4``, ``I_ext = 3`` on samples ``[20/dt, 80/dt)`` and 0 elsewhere,
output ``z = p/theta_op/z``, ``solver='scipy'``. It is run two ways:

* thetabif: ``integrate`` (from ``thetabif``, else ``thetabif.tutorial``) with the
  tutorial's exact call, in this interpreter's environment;
* PyRates: its own ``integrate`` with the same call plus ``float_precision``
  (``complex64``; ``complex128`` is tried too), in ``benchmarks/.venv-peers``, which is
  created with ``python3 -m venv`` and ``benchmarks/requirements-peers.txt`` if missing.

Every timed run is a fresh Python process started from here; the parent times the
whole process (``time.perf_counter`` around ``subprocess.run``) and the child times
its import and the ``integrate`` call and writes ``(times, z)`` to an ``.npz`` file.
Runs alternate between the tools, ``--repeats`` times; medians and the ratio
PyRates / thetabif are reported.

Accuracy is measured against a reference computed here, independently of both tools:
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-13, atol 1e-15) on the (r, v) form
``r' = Delta/pi + 2 r v``, ``v' = v^2 + eta + I_ext + J r - pi^2 r^2`` (tau = 1,
eta = -5, J = 15, Delta = 1), started from ``z0 = -0.6 - 0.8j`` via
``W = (1 - conj z)/(1 + conj z) = pi r + i v`` and mapped back with
``z = conj((1 - W)/(1 + W))``, piecewise over the phases of the input. Two inputs are
integrated: the protocol as written (``I_ext = 3`` on ``[20, 80)``, which is how
thetabif reads the samples) and the input PyRates actually applies (samples placed at
``k T/(N-1)`` and linearly interpolated, see ``pyrates_input_segments``). Errors are
taken on each tool's own output grid.

A probe phase (untimed, before the repeats) also runs PyRates' default call (no
``float_precision``), PyRates with tight tolerances (to pin down its time grid and
input convention), and records the lines of PyRates' source that define them.

Run from the repository root::

    .venv/bin/python benchmarks/seed_protocol.py [--repeats 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
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
from scipy.integrate import solve_ivp

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
PEERS_VENV = BENCH / ".venv-peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
REQUIREMENTS = BENCH / "requirements-peers.txt"
DEFAULT_JSON = BENCH / "results" / "seed_protocol.json"

TEMPLATE = "model_templates.neural_mass_models.theta.kmo_theta"
T_END = 100.0
STEP = 5e-4
START, STOP, AMP = 20.0, 80.0, 3.0
ETA, J, DELTA, TAU = -5.0, 15.0, 1.0, 1.0
Z0 = -0.6 - 0.8j
REF_RTOL, REF_ATOL = 1e-13, 1e-15
TARGET_SPEEDUP, TARGET_ERROR = 25.0, 1e-8

# The child process: imports one tool, builds the tutorial's input, times the call,
# writes times, z and metadata. Configuration comes as one JSON argument.
DRIVER = r'''
import json, sys, time
t_start = time.perf_counter()
cfg = json.loads(sys.argv[1])
import numpy as np
if cfg["tool"] == "thetabif":
    try:
        from thetabif import integrate
        source = "thetabif.integrate"
    except ImportError:
        from thetabif.tutorial import integrate
        source = "thetabif.tutorial.integrate"
    from importlib.metadata import version
    tool_version = version("thetabif")
else:
    from pyrates import integrate
    source = "pyrates.integrate"
    from importlib.metadata import version
    tool_version = version("pyrates")
import_s = time.perf_counter() - t_start

T, dt, start, stop = cfg["T"], cfg["step_size"], cfg["start"], cfg["stop"]
steps = int(np.round(T / dt))
I_ext = np.zeros((steps,))
I_ext[int(start / dt):int(stop / dt)] = cfg["amp"]
kwargs = dict(cfg.get("extra", {}))
if cfg.get("float_precision"):
    kwargs["float_precision"] = cfg["float_precision"]
t0 = time.perf_counter()
results = integrate(cfg["template"], step_size=dt, simulation_time=T,
                    outputs={"z": "p/theta_op/z"}, inputs={"p/theta_op/I_ext": I_ext},
                    clear=True, solver="scipy", **kwargs)
call_s = time.perf_counter() - t0
meta = {"source": source, "version": tool_version, "import_s": import_s, "call_s": call_s,
        "column_dtype": str(results["z"].dtype), "n_rows": int(len(results)),
        "index_name": results.index.name, "python": sys.version.split()[0]}
evidence = {}
if cfg.get("evidence"):
    import inspect
    from pyrates.backend.base.base_backend import BaseBackend
    from pyrates.frontend.template import circuit
    for label, obj in (("BaseBackend.run", BaseBackend.run),
                       ("BaseBackend._solve_scipy", BaseBackend._solve_scipy),
                       ("pyrates.frontend.template.circuit", circuit)):
        lines = inspect.getsource(obj).splitlines()
        keep = [ln.strip() for ln in lines
                if "linspace" in ln or "t_eval" in ln or "interp(t, time" in ln
                or "solve_ivp(" in ln]
        evidence[label] = keep
meta["evidence"] = evidence
np.savez(cfg["out"], t=results.index.to_numpy(dtype=float), z=results["z"].to_numpy(),
         meta=np.array(json.dumps(meta)))
'''

# Variants: name -> (tool, float_precision, extra kwargs).
THETABIF = "thetabif"
PR64 = "pyrates complex64"
PR128 = "pyrates complex128"
PR_DEFAULT = "pyrates default"
PR_TIGHT = "pyrates complex64 tight"
VARIANTS = {
    THETABIF: ("thetabif", None, {}),
    PR64: ("pyrates", "complex64", {}),
    PR128: ("pyrates", "complex128", {}),
    PR_DEFAULT: ("pyrates", None, {}),
    # Tight tolerances make PyRates' own discretisation error small, so what is left
    # against each reference shows which input and time grid it really uses. (With
    # complex64 its state is single precision: rtol 1e-11 never finishes; 1e-9 takes ~4 s.)
    PR_TIGHT: ("pyrates", "complex64", {"method": "DOP853", "rtol": 1e-9, "atol": 1e-11}),
}


# --------------------------------------------------------------------- environment
def ensure_peers_venv() -> str:
    """Create benchmarks/.venv-peers with the pinned PyRates if it is missing."""
    if not PEERS_PYTHON.exists():
        python3 = shutil.which("python3") or sys.executable
        print(f"creating {PEERS_VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([python3, "-m", "venv", str(PEERS_VENV)], check=True)
    probe = subprocess.run([str(PEERS_PYTHON), "-c",
                            "from importlib.metadata import version; print(version('pyrates'))"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} into the peers venv ...", flush=True)
        subprocess.run([str(PEERS_PYTHON), "-m", "pip", "install", "-q", "-r",
                        str(REQUIREMENTS)], check=True)
        probe = subprocess.run([str(PEERS_PYTHON), "-c",
                                "from importlib.metadata import version; "
                                "print(version('pyrates'))"],
                               capture_output=True, text=True, check=True)
    return probe.stdout.strip()


def python_for(tool: str) -> str:
    return sys.executable if tool == "thetabif" else str(PEERS_PYTHON)


# --------------------------------------------------------------------------- runs
def run_once(variant: str, workdir: Path, evidence: bool = False) -> dict:
    """One fresh process for ``variant``; returns timings, output arrays and metadata."""
    tool, precision, extra = VARIANTS[variant]
    rundir = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))  # PyRates writes to cwd
    out = rundir / "result.npz"
    cfg = {"tool": tool, "float_precision": precision, "extra": extra, "template": TEMPLATE,
           "T": T_END, "step_size": STEP, "start": START, "stop": STOP, "amp": AMP,
           "out": str(out), "evidence": evidence}
    driver = workdir / "driver.py"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter()
    proc = subprocess.run([python_for(tool), str(driver), json.dumps(cfg)], cwd=rundir,
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    result = {"variant": variant, "wall_s": wall, "returncode": proc.returncode,
              "stderr_tail": proc.stderr.strip().splitlines()[-3:]}
    if proc.returncode == 0 and out.exists():
        with np.load(out) as data:
            result["t"] = data["t"]
            result["z"] = data["z"]
            result["meta"] = json.loads(str(data["meta"]))
        warnings = sorted({ln.strip() for ln in proc.stderr.splitlines() if "Warning" in ln})
        result["warnings"] = warnings
    shutil.rmtree(rundir, ignore_errors=True)
    return result


# ---------------------------------------------------------------------- reference
def tutorial_input() -> np.ndarray:
    steps = int(np.round(T_END / STEP))
    values = np.zeros((steps,))
    values[int(START / STEP):int(STOP / STEP)] = AMP
    return values


def step_segments() -> list[tuple[float, float, float, float]]:
    """The protocol as written: (a, b, I(a), I(b)) with I held on [20, 80)."""
    return [(0.0, START, 0.0, 0.0), (START, STOP, AMP, AMP), (STOP, T_END, 0.0, 0.0)]


def pyrates_input_segments(values: np.ndarray) -> list[tuple[float, float, float, float]]:
    """The input PyRates 1.2.3 applies to ``values``.

    ``CircuitTemplate`` places sample k at ``k T/(N-1)`` (``np.linspace(0, T, N)``)
    and the generated vector field evaluates ``np.interp(t, time, I_ext_input)``: linear
    between samples, so each switch is a ramp over one (slightly stretched) sample gap.
    """
    n = len(values)
    nodes = np.linspace(0.0, T_END, n)
    change = np.flatnonzero(np.diff(values) != 0.0)  # ramp between k and k + 1
    segments, a, level = [], 0.0, float(values[0])
    for k in change:
        ta, tb = float(nodes[k]), float(nodes[k + 1])
        if ta > a:
            segments.append((a, ta, level, level))
        segments.append((ta, tb, float(values[k]), float(values[k + 1])))
        a, level = tb, float(values[k + 1])
    if T_END > a:
        segments.append((a, T_END, level, level))
    return segments


def z_to_w(z: complex) -> complex:
    return (1 - np.conj(z)) / (1 + np.conj(z))


def w_to_z(w: np.ndarray) -> np.ndarray:
    return np.conj((1 - w) / (1 + w))


def reference(segments, rtol: float = REF_RTOL, atol: float = REF_ATOL):
    """Integrate the (r, v) form over ``segments``; returns a function ``t -> z(t)``."""
    w0 = z_to_w(Z0)
    y = np.array([w0.real / math.pi, w0.imag])
    pieces = []
    for a, b, ia, ib in segments:
        slope = (ib - ia) / (b - a)

        def rhs(t, u, a=a, ia=ia, slope=slope):
            r, v = u
            i_ext = ia + slope * (t - a)
            return [DELTA / (math.pi * TAU) + 2 * r * v / TAU,
                    (v * v + ETA + i_ext + J * TAU * r - (math.pi * TAU * r) ** 2) / TAU]

        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=rtol, atol=atol,
                        dense_output=True)
        if sol.status != 0:
            raise RuntimeError(f"reference failed on [{a}, {b}]: {sol.message}")
        pieces.append((a, b, sol.sol))
        y = sol.y[:, -1]
    bounds = np.array([p[1] for p in pieces])

    def z_of(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        idx = np.minimum(np.searchsorted(bounds, t, side="left"), len(pieces) - 1)
        out = np.empty(t.shape, dtype=complex)
        for k, (a, b, sol) in enumerate(pieces):
            sel = idx == k
            if np.any(sel):
                r, v = sol(np.clip(t[sel], a, b))
                out[sel] = w_to_z(math.pi * r + 1j * v)
        return out

    return z_of


def errors(t: np.ndarray, z: np.ndarray, ref) -> dict:
    zr = ref(t)
    return {"max_abs_modulus_error": float(np.max(np.abs(np.abs(z) - np.abs(zr)))),
            "max_complex_error": float(np.max(np.abs(z - zr)))}


# ------------------------------------------------------------------------ report
def grid_summary(t: np.ndarray) -> dict:
    d = np.diff(t)
    return {"n_rows": int(len(t)), "first": float(t[0]), "second": float(t[1]),
            "last": float(t[-1]), "spacing_min": float(d.min()), "spacing_max": float(d.max())}


def accuracy(run: dict, refs: dict) -> dict:
    t, z = run["t"], run["z"]
    acc = {"grid": grid_summary(t), "column_dtype": run["meta"]["column_dtype"],
           "first_row_z": [float(np.real(z[0])), float(np.imag(z[0]))]}
    for name, ref in refs.items():
        acc[f"vs_{name}"] = errors(t, z, ref)
        # Grid hypothesis check: what if row k were really the state one step later?
        acc[f"vs_{name}_if_shifted_by_plus_dt"] = errors(t + STEP, z, ref)
    return acc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--json", default=str(DEFAULT_JSON),
                        help=f"where to write results (default {DEFAULT_JSON.relative_to(ROOT)};"
                             " '-' for stdout only)")
    parser.add_argument("--skip-probes", action="store_true",
                        help="skip the untimed PyRates default/tight-tolerance probes")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    pyrates_version = ensure_peers_venv()
    print(f"PyRates {pyrates_version} in {PEERS_VENV.relative_to(ROOT)}; "
          f"thetabif from {sys.executable}", flush=True)

    print("computing references ...", flush=True)
    t0 = time.perf_counter()
    refs = {"ref_step": reference(step_segments()),
            "ref_pyrates_input": reference(pyrates_input_segments(tutorial_input()))}
    ref_s = time.perf_counter() - t0
    grid = STEP * np.arange(int(round(T_END / STEP)) + 1)
    loose = reference(step_segments(), rtol=1e-11, atol=1e-13)
    ref_self = float(np.max(np.abs(loose(grid) - refs["ref_step"](grid))))
    input_effect = float(np.max(np.abs(refs["ref_pyrates_input"](grid) - refs["ref_step"](grid))))
    print(f"  references in {ref_s:.2f} s; reference vs rtol=1e-11 rerun: {ref_self:.2e}; "
          f"PyRates' input vs the step input changes z by up to {input_effect:.2e}", flush=True)

    with tempfile.TemporaryDirectory(prefix="seed-protocol-") as tmp:
        workdir = Path(tmp)
        (workdir / "driver.py").write_text(DRIVER)

        # Untimed probes (also warm the file cache for both environments).
        probes, probe_runs = {}, {}
        names = [THETABIF, PR64, PR128]
        if not args.skip_probes:
            names += [PR_DEFAULT, PR_TIGHT]
        for name in names:
            print(f"probe: {name} ...", flush=True)
            run = run_once(name, workdir, evidence=(name == PR64))
            probe_runs[name] = run
            info = {"returncode": run["returncode"], "wall_s": run["wall_s"]}
            if "z" in run:
                info.update(meta={k: v for k, v in run["meta"].items() if k != "evidence"},
                            warnings=run["warnings"], accuracy=accuracy(run, refs))
                if run["meta"].get("evidence"):
                    info["pyrates_source_evidence"] = run["meta"]["evidence"]
            else:
                info["error"] = run["stderr_tail"]
            probes[name] = info
        timed = [THETABIF, PR64] + ([PR128] if probe_runs[PR128]["returncode"] == 0 else [])

        # Timed, alternating runs.
        runs: dict[str, list[dict]] = {name: [] for name in timed}
        for rep in range(args.repeats):
            for name in timed:
                run = run_once(name, workdir)
                if run["returncode"] != 0:
                    raise RuntimeError(f"{name} failed: {run['stderr_tail']}")
                runs[name].append(run)
                print(f"  repeat {rep + 1}/{args.repeats} {name:<20s} process "
                      f"{run['wall_s']:7.3f} s  call {run['meta']['call_s']:7.3f} s  "
                      f"import {run['meta']['import_s']:6.3f} s", flush=True)

    summary = {}
    for name, rs in runs.items():
        first = rs[0]
        spread = max(float(np.max(np.abs(r["z"] - first["z"]))) for r in rs)
        summary[name] = {
            "process_s_median": statistics.median(r["wall_s"] for r in rs),
            "call_s_median": statistics.median(r["meta"]["call_s"] for r in rs),
            "import_s_median": statistics.median(r["meta"]["import_s"] for r in rs),
            "process_s_all": [r["wall_s"] for r in rs],
            "call_s_all": [r["meta"]["call_s"] for r in rs],
            "source": first["meta"]["source"], "version": first["meta"]["version"],
            "max_diff_between_repeats": spread,
            "accuracy": accuracy(first, refs),
        }

    # thetabif against PyRates at the times both report.
    tb = runs[THETABIF][0]
    comparison = {}
    for name in timed[1:]:
        pr = runs[name][0]
        common, i_tb, i_pr = np.intersect1d(np.round(tb["t"] / STEP).astype(np.int64),
                                            np.round(pr["t"] / STEP).astype(np.int64),
                                            return_indices=True)
        comparison[name] = {
            "common_rows": int(len(common)),
            "only_in_thetabif": sorted(set(np.round(tb["t"] / STEP).astype(int).tolist())
                                       - set(common.tolist()))[:5],
            "only_in_pyrates": sorted(set(np.round(pr["t"] / STEP).astype(int).tolist())
                                      - set(common.tolist()))[:5],
            "max_abs_z_diff": float(np.max(np.abs(tb["z"][i_tb] - pr["z"][i_pr]))),
            "max_abs_modulus_diff": float(np.max(np.abs(np.abs(tb["z"][i_tb])
                                                        - np.abs(pr["z"][i_pr])))),
        }

    tb_s = summary[THETABIF]
    ratios = {name: {"process": summary[name]["process_s_median"] / tb_s["process_s_median"],
                     "call": summary[name]["call_s_median"] / tb_s["call_s_median"]}
              for name in timed[1:]}

    # ------------------------------------------------------------------ table
    print()
    print(f"{'variant':<20s} {'process s':>10s} {'call s':>8s} {'import s':>9s} "
          f"{'max||z|-|zref||':>16s} {'max|z-zref|':>12s} {'vs PyRates input':>17s}")
    for name, s in summary.items():
        a = s["accuracy"]
        print(f"{name:<20s} {s['process_s_median']:10.3f} {s['call_s_median']:8.3f} "
              f"{s['import_s_median']:9.3f} {a['vs_ref_step']['max_abs_modulus_error']:16.3e} "
              f"{a['vs_ref_step']['max_complex_error']:12.3e} "
              f"{a['vs_ref_pyrates_input']['max_complex_error']:17.3e}")
    for name, r in ratios.items():
        print(f"ratio {name} / thetabif: process {r['process']:.2f}x, call {r['call']:.2f}x")
    for name, p in probes.items():
        if name in summary:
            continue
        if p["returncode"] != 0:
            print(f"probe {name}: FAILED: {' | '.join(p['error'])}")
        else:
            a = p["accuracy"]
            print(f"probe {name}: dtype {a['column_dtype']}, call {p['meta']['call_s']:.3f} s, "
                  f"max|z-zref| {a['vs_ref_step']['max_complex_error']:.3e} (step input), "
                  f"{a['vs_ref_pyrates_input']['max_complex_error']:.3e} (PyRates' input)")
    g = summary[PR64]["accuracy"]["grid"]
    print(f"PyRates grid: {g['n_rows']} rows, {g['first']} .. {g['last']}; "
          f"thetabif grid: {tb_s['accuracy']['grid']['n_rows']} rows, "
          f"{tb_s['accuracy']['grid']['first']} .. {tb_s['accuracy']['grid']['last']}")
    tb_err = tb_s["accuracy"]["vs_ref_step"]["max_complex_error"]
    best = max(r["call"] for r in ratios.values())
    met = best >= TARGET_SPEEDUP and tb_err <= TARGET_ERROR
    print(f"target (thetabif >= {TARGET_SPEEDUP:g}x faster than PyRates' call at error <= "
          f"{TARGET_ERROR:g}): {'met' if met else 'NOT met'} "
          f"(call ratio {best:.2f}x, error {tb_err:.2e})")

    report = {
        "benchmark": "seed_protocol",
        "command": " ".join([".venv/bin/python", "benchmarks/seed_protocol.py",
                             *(argv if argv is not None else sys.argv[1:])]),
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "protocol": {"template": TEMPLATE, "T": T_END, "step_size": STEP,
                     "I_ext": f"{AMP} on samples [{START}/dt, {STOP}/dt), else 0",
                     "params": {"eta": ETA, "J": J, "Delta": DELTA, "tau": TAU},
                     "z0": [Z0.real, Z0.imag]},
        "reference": {"method": "DOP853", "rtol": REF_RTOL, "atol": REF_ATOL,
                      "form": "(r, v), piecewise over input segments",
                      "seconds": ref_s, "self_check_vs_rtol_1e-11": ref_self,
                      "pyrates_input_vs_step_input_max_z_diff": input_effect},
        "repeats": args.repeats,
        "summary": summary, "ratios_pyrates_over_thetabif": ratios,
        "thetabif_vs_pyrates_same_times": comparison, "probes": probes,
        "target": {"speedup": TARGET_SPEEDUP, "error": TARGET_ERROR, "met": met},
    }
    text = json.dumps(report, indent=2)
    if args.json == "-":
        print(text)
    else:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
