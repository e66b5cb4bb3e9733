"""Figures: produced without warnings, as PNG and SVG, with the expected artists."""

from __future__ import annotations

import pytest

from thetabif import Continuation, Protocol, ThetaModel, simulate
from thetabif.plotting import bifurcation_diagram, phase_diagram, time_course

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def eq_theta():
    return Continuation(ThetaModel(), {"eta": -5, "J": 15}).equilibria("eta", -10, 2)


def _save(fig, path):
    fig.savefig(path.with_suffix(".png"), dpi=80)
    fig.savefig(path.with_suffix(".svg"))
    assert path.with_suffix(".png").stat().st_size > 1000


def test_time_course(tmp_path):
    prot = Protocol.step(2.0, 5.0, 3.0)
    ds = simulate(ThetaModel(), t_end=8.0, dt=0.05, inputs=prot)
    fig = time_course(ds, prot, title="step")
    _save(fig, tmp_path / "tc")


def test_bifurcation_diagram(eq_theta, tmp_path):
    fig = bifurcation_diagram(eq_theta, title="J = 15")
    ax = fig.axes[0]
    assert ax.get_xlabel() == r"excitability $\eta$"
    assert ax.get_ylabel() == r"firing rate $r$"
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--"} <= styles
    texts = [t.get_text() for t in ax.texts]
    assert "LP1" in texts and "LP2" in texts
    lo, hi = ax.get_xlim()
    assert lo < -5.7435 and hi > -3.1361
    assert ax.get_legend() is not None
    _save(fig, tmp_path / "bd")
    with pytest.raises(ValueError, match="equilibria run"):
        lp = eq_theta.special("LP")[0]
        bifurcation_diagram(Continuation(ThetaModel(), {"eta": -5, "J": 15}).curve(
            lp, ("eta", "J"), {"eta": (-8, 0), "J": (10, 20)}))


def test_phase_diagram_figure(tmp_path):
    from thetabif.phase_diagram import compute

    pdg = compute(ThetaModel(), {"eta": -5, "J": 15}, box={"eta": (-8, 0), "J": (5, 20)},
                  grid_shape=(21, 16), scan_J=(), j_diagram=False)
    fig = phase_diagram(pdg, title="theta", marks=[(-5, 15, "tutorial")])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "CP1" in texts and "tutorial" in texts and "bistable" in texts
    assert ax.get_xlim() == (-8, 0) and ax.get_ylim() == (5, 20)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "fold (LP) curve" in labels and "cusp (CP)" in labels
    _save(fig, tmp_path / "pd")


def test_crowded_labels_cover_no_label_or_marker():
    """BT1, GH1 and GH2 of the n = 2 synapse model lie within a few points of each
    other on a phase diagram: every label gets a place of its own, off the markers."""
    import matplotlib.pyplot as plt

    from thetabif.plotting import _label_points

    fig, ax = plt.subplots(figsize=(6, 5))
    xlim, ylim = (0.0, 4.0), (-14.0, -6.0)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    pts = [(1.206, -11.923, "BT1"), (1.318, -11.751, "GH1"), (1.471, -11.112, "GH2"),
           (1.25, -11.85, "start")]
    _label_points(ax, pts, xlim, ylim)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == len(pts)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    marks = ax.transData.transform([(x, y) for x, y, _ in pts])
    for k, box in enumerate(boxes):
        for m, (mx, my) in enumerate(marks):
            if m != k:
                assert not (box.x0 < mx < box.x1 and box.y0 < my < box.y1)
    plt.close(fig)
