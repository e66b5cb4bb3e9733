"""The main job (``make demo``, ``thetabif demo --out DIR``): the standard analysis.

1. The tutorial's step protocol on the theta model (eta = -5, J = 15, Delta = 1,
   I_ext = 3 on [20, 80), z(0) = -0.6-0.8j): time course figure and data.
2. The theta model's diagrams at the tutorial's parameters: equilibria in eta and J
   (folds), the (eta, J) phase diagram with the fold curve and its cusp.
3. An oscillating variant, the theta model with a first-order inhibitory synapse
   (J = -40, tau_s = 1): Hopf curve, limit cycles, oscillatory region.
4. Verification: the tutorial protocol, and a step into the oscillatory region of the
   variant, predicted from the diagrams and checked by simulation.
5. ``report.md``: the figures, special points and verification tables.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from thetabif.models import ThetaModel
from thetabif.protocols import Protocol
from thetabif.simulation import save_dataset, simulate

TUTORIAL_PROTOCOL = Protocol.step(20.0, 80.0, 3.0)
TUTORIAL_PARAMS = {"eta": -5.0, "J": 15.0}
#: The oscillating variant and its protocol: eta + I_ext = 16 lies in the oscillatory
#: region (beyond the Hopf point at eta ~ 10.05), eta = 5 on the stable-focus side.
OSC_MODEL = ThetaModel(synapse="first-order")
OSC_PARAMS = {"eta": 5.0, "J": -40.0}
OSC_PROTOCOL = Protocol.step(20.0, 60.0, 11.0)

#: Every file the demo writes, relative to ``out``.
OUTPUTS = (
    "tutorial_protocol.png", "tutorial_protocol.svg", "tutorial_protocol.nc",
    "tutorial_protocol.csv",
    "theta_eta.png", "theta_eta.svg", "theta_J.png", "theta_J.svg", "theta_phase.png",
    "theta_phase.svg", "theta.nc", "theta.json",
    "theta_syn_eta.png", "theta_syn_eta.svg", "theta_syn_phase.png", "theta_syn_phase.svg",
    "theta_syn.nc", "theta_syn.json",
    "tutorial_verification.png", "tutorial_verification.json",
    "oscillation_verification.png", "oscillation_verification.json",
    "report.md",
)


def _sp_table(pdg) -> list[str]:
    rows = ["| diagram | point | eta | J | r | note |", "|---|---|---|---|---|---|"]
    record = pdg.to_dict()
    for sp in record["special_points"]:
        note = sp.get("criticality", sp.get("stability", ""))
        rows.append(f"| {sp['diagram']} | {sp['label']} | {sp['eta']:.6g} | {sp['J']:.6g} | "
                    f"{sp['r']:.4g} | {note} |")
    for cp in record["codim2"]:
        rows.append(f"| (eta, J) | {cp['label']} | {cp['eta']:.6g} | {cp['J']:.6g} | "
                    f"{cp['r']:.4g} | codimension two |")
    return rows


def _write_verification(v: Any, out: Path, stem: str) -> list[Path]:
    fig = v.figure()
    paths = [out / f"{stem}.png", out / f"{stem}.json"]
    fig.savefig(paths[0], dpi=120)
    v.save(paths[1], overwrite=True)
    return paths


def run_demo(out: str | Path, *, force: bool = False, verbose: bool = False) -> list[Path]:
    """Run the standard analysis; write figures, data and ``report.md`` into ``out``.

    Parameters
    ----------
    out : path
        Output folder (created if missing).
    force : bool
        Overwrite existing outputs; without it, any existing output is an error.
    verbose : bool
        Print each stage's duration as it finishes.

    Returns
    -------
    list of Path
        Every file written (see :data:`OUTPUTS`).

    Raises
    ------
    FileExistsError
        Outputs exist and ``force`` is False.
    """
    from thetabif.phase_diagram import compute
    from thetabif.plotting import time_course

    out = Path(out)
    existing = [out / f for f in OUTPUTS if (out / f).exists()]
    if existing and not force:
        raise FileExistsError(f"{', '.join(map(str, existing))} exist(s); use --force to "
                              "overwrite")
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    written: list[Path] = []

    def tick(name: str, t0: float) -> None:
        timings[name] = time.perf_counter() - t0
        if verbose:
            print(f"  {name}: {timings[name]:.1f} s", flush=True)

    # 1. tutorial protocol
    t0 = time.perf_counter()
    model = ThetaModel()
    ds = simulate(model, TUTORIAL_PARAMS, t_end=100.0, dt=0.01, inputs=TUTORIAL_PROTOCOL,
                  z0=-0.6 - 0.8j)
    fig = time_course(ds, TUTORIAL_PROTOCOL,
                      title=r"theta mean field, $\eta=-5$, $J=15$, $\Delta=1$: step input")
    stem = out / "tutorial_protocol"
    fig.savefig(stem.with_suffix(".png"), dpi=150)
    fig.savefig(stem.with_suffix(".svg"))
    save_dataset(ds, stem.with_suffix(".nc"), overwrite=True)
    save_dataset(ds, stem.with_suffix(".csv"), overwrite=True)
    written += [stem.with_suffix(s) for s in (".png", ".svg", ".nc", ".csv")]
    tick("tutorial protocol", t0)

    # 2. theta diagrams
    t0 = time.perf_counter()
    theta = compute(model, TUTORIAL_PARAMS)
    eff = TUTORIAL_PARAMS["eta"] + TUTORIAL_PROTOCOL.levels[1]
    written += theta.write(out, overwrite=True, stem="theta", marks=[
        (TUTORIAL_PARAMS["eta"], TUTORIAL_PARAMS["J"], "tutorial"),
        (eff, TUTORIAL_PARAMS["J"], r"$\eta+I_{ext}$")])
    tick("theta diagrams", t0)

    # 3. oscillating variant
    t0 = time.perf_counter()
    osc = compute(OSC_MODEL, OSC_PARAMS, j_diagram=False)
    e2 = OSC_PARAMS["eta"] + OSC_PROTOCOL.levels[1]
    written += osc.write(out, overwrite=True, stem="theta_syn", marks=[
        (OSC_PARAMS["eta"], OSC_PARAMS["J"], "start"),
        (e2, OSC_PARAMS["J"], r"$\eta+I_{ext}$")])
    tick("oscillating variant diagrams", t0)

    # 4. verification
    t0 = time.perf_counter()
    verifications: dict[str, Any] = {}
    try:
        from thetabif.verification import verify
    except ImportError:  # pragma: no cover - verification not installed
        verify = None
    if verify is not None:
        v1 = verify(model, TUTORIAL_PARAMS, TUTORIAL_PROTOCOL, z0=-0.6 - 0.8j,
                    diagram=theta.eq_eta, continuation=theta.continuation)
        written += _write_verification(v1, out, "tutorial_verification")
        v2 = verify(OSC_MODEL, OSC_PARAMS, OSC_PROTOCOL, z0=-0.6 - 0.8j,
                    diagram=osc.eq_eta, continuation=osc.continuation)
        written += _write_verification(v2, out, "oscillation_verification")
        verifications = {"tutorial": v1, "oscillation": v2}
    tick("verification", t0)

    # 5. report
    report = out / "report.md"
    report.write_text(_report(theta, osc, verifications, timings))
    written.append(report)
    if verbose:
        print(f"  total: {sum(timings.values()):.1f} s")
    return written


def _report(theta, osc, verifications: dict[str, Any], timings: dict[str, float]) -> str:
    lines = [
        "# thetabif: standard analysis", "",
        "Produced by `thetabif demo` (`make demo`). Figures are PNG (SVG alongside); the "
        "data behind each diagram is in the netCDF file of the same stem "
        "(`xarray.open_dataset`), with a JSON summary.", "",
        "## 1. The tutorial's step protocol", "",
        "theta model (delta pulses), eta = -5, J = 15, Delta = 1, tau = 1, z(0) = -0.6-0.8i, "
        f"{TUTORIAL_PROTOCOL.describe()}.", "",
        "![tutorial protocol](tutorial_protocol.png)", "",
        "Data: `tutorial_protocol.nc`, `tutorial_protocol.csv`.", "",
        "## 2. Theta model: bifurcation diagrams", "",
        "Equilibria in eta at J = 15 (stable solid, unstable dashed) and in J at eta = -5:",
        "", "![eta diagram](theta_eta.png)", "", "![J diagram](theta_J.png)", "",
        "The (eta, J) plane: the fold curves meet at the cusp; between them the low- and "
        "high-activity states coexist (bistable). The open circles mark the tutorial's "
        "parameters and eta + I_ext during the step.", "",
        "![phase diagram](theta_phase.png)", "",
        *_sp_table(theta), "",
        "Data: `theta.nc` (curves, codimension-two points, region grid), `theta.json`.", "",
        "## 3. An oscillating variant: first-order inhibitory synapse", "",
        f"{OSC_MODEL.description}; eta = {OSC_PARAMS['eta']:g}, J = {OSC_PARAMS['J']:g}, "
        "tau_s = 1. The equilibrium loses stability in a supercritical Hopf bifurcation; "
        "the limit cycles (min/max of r, green) fill the oscillatory region.", "",
        "![eta diagram](theta_syn_eta.png)", "", "![phase diagram](theta_syn_phase.png)", "",
        *_sp_table(osc), "",
        "Data: `theta_syn.nc`, `theta_syn.json`.", "",
        "## 4. Verification: predicted vs simulated", "",
    ]
    if not verifications:
        lines += ["(thetabif.verification is not available in this installation.)", ""]
    for key, title in (("tutorial", "Tutorial protocol (theta model)"),
                       ("oscillation", f"Oscillating variant, {OSC_PROTOCOL.describe()}")):
        v = verifications.get(key)
        if v is None:
            continue
        stem = "tutorial_verification" if key == "tutorial" else "oscillation_verification"
        lines += [f"### {title}", "", "```", v.table(), "```", "",
                  f"![{key} verification]({stem}.png)", "", f"Record: `{stem}.json`.", ""]
    lines += ["## Timings", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    lines += ["", "Run details: " + json.dumps({"theta": theta.timings,
                                                 "theta_syn": osc.timings}), ""]
    return "\n".join(lines)
