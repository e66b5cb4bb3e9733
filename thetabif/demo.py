"""The main job: the standard analysis, written to an output folder.

For now this is the tutorial's step protocol (eta = -5, J = 15, Delta = 1, I_ext = 3
on [20, 80), z(0) = -0.6-0.8j): its figure, its data and a summary.
"""

from __future__ import annotations

from pathlib import Path

from thetabif.models import ThetaModel
from thetabif.protocols import Protocol
from thetabif.simulation import save_dataset, simulate

TUTORIAL_PROTOCOL = Protocol.step(20.0, 80.0, 3.0)


def run_demo(out: str | Path, *, force: bool = False) -> list[Path]:
    """Run the tutorial protocol; write PNG, SVG, netCDF and CSV into ``out``.

    Refuses to overwrite existing outputs unless ``force``.
    """
    from thetabif.plotting import time_course

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / "tutorial_protocol"
    targets = [stem.with_suffix(s) for s in (".png", ".svg", ".nc", ".csv")]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{', '.join(map(str, existing))} exist(s); use --force to "
                              "overwrite")
    model = ThetaModel()
    ds = simulate(model, t_end=100.0, dt=0.01, inputs=TUTORIAL_PROTOCOL, z0=-0.6 - 0.8j)
    fig = time_course(ds, TUTORIAL_PROTOCOL,
                      title=r"theta mean field, $\eta=-5$, $J=15$, $\Delta=1$: step input")
    fig.savefig(targets[0], dpi=150)
    fig.savefig(targets[1])
    save_dataset(ds, targets[2], overwrite=True)
    save_dataset(ds, targets[3], overwrite=True)
    return targets
