"""Figures: time courses, one-parameter bifurcation diagrams, (eta, J) phase diagrams.

Functions take result records (xarray Datasets, :class:`ContinuationResult`,
:class:`~thetabif.phase_diagram.PhaseDiagram`) and return matplotlib Figures built with
the object API (``matplotlib.figure.Figure``); they never call ``plt.show()`` and never
touch global style state.

Conventions: stable branches solid, unstable dashed; folds (LP) black circles, Hopf
points (HB) red squares; limit cycles as the min/max envelope of r (green); fold
curves black, Hopf curves red; codimension-two points as labelled markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from thetabif.errors import InputError

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from thetabif.continuation import ContinuationResult, SpecialPoint
    from thetabif.phase_diagram import PhaseDiagram
    from thetabif.protocols import Protocol

#: Symbols of parameters on axes.
SYMBOLS = {"eta": r"$\eta$", "J": r"$J$", "Delta": r"$\Delta$", "tau": r"$\tau$",
           "I_ext": r"$I_{ext}$", "tau_s": r"$\tau_s$", "v_s": r"$v_s$"}
MARKERS = {"LP": dict(marker="o", color="black"), "HB": dict(marker="s", color="C3"),
           "CP": dict(marker="^", color="C0"), "BT": dict(marker="D", color="C4"),
           "GH": dict(marker="*", color="C1"), "ZH": dict(marker="P", color="C5"),
           "PD": dict(marker="v", color="C2"), "TR": dict(marker="X", color="C2"),
           "NS": dict(marker="h", color="C9")}
#: Styles of the global curves of a phase diagram (thetabif.global_curves), and their
#: legend names.
GLOBAL_STYLES = {
    "homoclinic": (dict(color="C0", lw=1.6, ls="-."), "homoclinic curve (HomCont)"),
    "cycle_fold": (dict(color="C2", lw=1.3, ls="--"), "fold of cycles (LPC)"),
    "snic": (dict(color="C1", lw=4.0, alpha=0.6, solid_capstyle="butt"),
             "SNIC stretch of a fold curve"),
}
#: Region shades. Low and high activity share one shade: no bifurcation separates them
#: (the split is a rate threshold); their labels tell them apart.
REGION_COLORS = {0: "#ffffff", 1: "#dde7f3", 2: "#dde7f3", 3: "#cfe8c6", 4: "#f5c6cf",
                 5: "#e2cff0"}
CYCLE_COLOR = "C2"


def axis_label(name: str) -> str:
    """An axis label for a parameter: ``excitability $\\eta$`` and ``coupling $J$`` for
    the single population's ``eta`` and ``J``; a circuit's ``eta_E`` as
    ``excitability $\\eta_{E}$``, ``J_EI`` as ``coupling $J_{EI}$``, other names as
    they are."""
    if name in ("eta", "J"):
        return {"eta": r"excitability $\eta$", "J": r"coupling $J$"}[name]
    head, sep, tail = name.partition("_")
    if sep and head == "eta":
        return rf"excitability $\eta_{{{tail}}}$"
    if sep and head == "J":
        return rf"coupling $J_{{{tail}}}$"
    return SYMBOLS.get(name, name)


def time_course(ds: xr.Dataset, protocol: Protocol | None = None, title: str | None = None
                ) -> Figure:
    """Plot ``|z|`` and ``r`` over time, with the input phases shaded.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`thetabif.simulate`.
    protocol : Protocol, optional
        Shades phases where ``I_ext`` differs from its first level.
    title : str, optional
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.8), layout="constrained")
    ax_z, ax_r = fig.subplots(2, 1, sharex=True)
    t = ds.time.to_numpy()
    ax_z.plot(t, ds.abs_z.to_numpy(), color="C0", lw=1.5)
    ax_z.set_ylabel(r"$|z|$")
    ax_r.plot(t, ds.r.to_numpy(), color="C3", lw=1.5)
    ax_r.set_ylabel(r"firing rate $r$")
    ax_r.set_xlabel(r"time $t$ (units of $\tau$)")
    ax_r.set_xlim(t[0], t[-1])
    if protocol is not None:
        base = protocol.levels[0]
        for ph in protocol.phases(float(t[0]), float(t[-1])):
            if ph.value != base:
                for ax in (ax_z, ax_r):
                    ax.axvspan(ph.start, ph.stop, color="0.9", zorder=0)
                ax_z.annotate(rf"$I_{{ext}}={ph.value:g}$", xy=((ph.start + ph.stop) / 2, 1.0),
                              xycoords=("data", "axes fraction"), ha="center", va="bottom")
    for ax in (ax_z, ax_r):
        ax.grid(alpha=0.3)
        ymax = float(np.nanmax(ax.get_lines()[0].get_ydata()))
        ax.set_ylim(0, 1.1 * ymax if ymax > 0 else 1)
    if title:
        fig.suptitle(title)
    return fig


def _segments(x: np.ndarray, y: np.ndarray, stable: np.ndarray):
    """Split a branch into runs of equal stability (neighbouring runs share a point)."""
    stable = np.asarray(stable, dtype=bool)
    if len(x) == 0:
        return
    start = 0
    for i in range(1, len(x) + 1):
        if i == len(x) or stable[i] != stable[start]:
            stop = min(i + 1, len(x))
            yield x[start:stop], y[start:stop], bool(stable[start])
            start = i


def _label_points(ax: Axes, pts: Sequence[tuple[float, float, str]], xlim, ylim) -> None:
    """Annotate points; each label goes where it covers no other label or marker.

    Candidate places are tried nearest first (right/left, above/below, then farther
    out); a label set away from its point gets a leader line.
    """
    per_pt = ax.figure.dpi / 72.0
    bb = ax.get_window_extent()
    W, H = bb.width / per_pt, bb.height / per_pt  # axes size in points
    sx, sy = W / (xlim[1] - xlim[0]), H / (ylim[1] - ylim[0])
    where = [((x - xlim[0]) * sx, (y - ylim[0]) * sy) for x, y, _ in pts]
    boxes: list[tuple[float, float, float, float]] = []
    marker = 6.0  # half size of a marker, points

    def free(box, own):
        x0, y0, x1, y1 = box
        if x0 < 0 or y0 < 0 or x1 > W or y1 > H:
            return False
        if any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes):
            return False
        return not any(k != own and x0 - marker < px < x1 + marker and
                       y0 - marker < py < y1 + marker for k, (px, py) in enumerate(where))

    order = sorted(range(len(pts)), key=lambda k: pts[k][0])
    for k in order:
        x, y, text = pts[k]
        px, py = where[k]
        w, h = 4.9 * len(text) + 4.0, 11.0
        near = [(6.0, 4.0), (6.0, -4.0 - h), (-6.0 - w, 4.0), (-6.0 - w, -4.0 - h)]
        far = [(sx_ * d, sy_ * d - (h if sy_ < 0 else 0.0))
               for d in (18.0, 30.0, 44.0) for sx_, sy_ in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        far = [(dx if dx > 0 else dx - w, dy) for dx, dy in far]
        chosen = next(((dx, dy) for dx, dy in near + far
                       if free((px + dx, py + dy, px + dx + w, py + dy + h), k)), near[0])
        boxes.append((px + chosen[0], py + chosen[1], px + chosen[0] + w, py + chosen[1] + h))
        leader = (dict(arrowstyle="-", lw=0.6, color="0.25", shrinkA=0, shrinkB=5)
                  if chosen not in near else None)
        ax.annotate(text, (x, y), xytext=chosen, textcoords="offset points", fontsize=8,
                    ha="left", va="bottom", arrowprops=leader,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))


def cycle_envelope(cycles: ContinuationResult) -> list[dict]:
    """The orbits of a cycle continuation, from its Hopf point on, in branch order.

    The Hopf point itself (zero amplitude) is prepended when its location is known
    (``cycles.params["hopf_eta"]``, ``["hopf_r"]``, set by
    :func:`thetabif.phase_diagram.compute`). :func:`bifurcation_diagram` draws this
    envelope; :meth:`thetabif.phase_diagram.PhaseDiagram.to_xarray` stores it.
    """
    orbits = [dict(o) for o in cycles.orbits if np.isfinite(o["r_min"])]
    if "hopf_eta" in cycles.params:
        r = float(cycles.params["hopf_r"])
        orbits.insert(0, {cycles.free[0]: float(cycles.params["hopf_eta"]), "period":
                          float(cycles.params.get("hopf_period", np.nan)), "r_min": r,
                          "r_max": r, "stable": orbits[0]["stable"] if orbits else False})
    return orbits


def _closed_at_hopf_points(env: list[dict], cycles: ContinuationResult,
                           special: Sequence[SpecialPoint], free: str) -> list[dict]:
    """``env`` with zero-amplitude ends at the diagram's Hopf points where the cycle
    branch starts on one (its first point) or ends at one (a ``hopf_end`` message: AUTO's
    last step lies within its step of the Hopf point), so that the envelope reaches
    them (only every tenth orbit is stored)."""
    if not env or not cycles.branches:
        return env
    x = np.asarray(cycles.branches[0].data[free])
    hbs = [p for p in special if p.type == "HB"]
    if not hbs:
        return env
    out = list(env)

    def nearest(v: float) -> SpecialPoint:
        return min(hbs, key=lambda p: abs(p.params[free] - v))

    first = nearest(float(x[0]))
    if abs(first.params[free] - x[0]) <= 1e-6 * max(1.0, abs(x[0])) and \
            abs(out[0][free] - x[0]) > 0:
        out.insert(0, {free: first.params[free], "r_min": first.r, "r_max": first.r,
                       "stable": out[0]["stable"]})
    if any(m.startswith("hopf_end") for m in cycles.messages):
        last = nearest(float(x[-1]))
        out.append({free: last.params[free], "r_min": last.r, "r_max": last.r,
                    "stable": out[-1]["stable"]})
    return out


def bifurcation_diagram(result: ContinuationResult, cycles: Sequence[ContinuationResult] = (),
                        *, y: str = "r", ax: Axes | None = None, title: str | None = None,
                        xlim: tuple[float, float] | None = None) -> Figure:
    """One-parameter diagram: equilibria (stable solid, unstable dashed), LP/HB, cycles.

    Parameters
    ----------
    result : ContinuationResult
        An equilibrium run (:meth:`Continuation.equilibria`).
    cycles : sequence of ContinuationResult
        Cycle runs (:meth:`Continuation.cycles`), drawn as the min/max envelope of
        ``r`` from their stored orbits (the Hopf point prepended when known).
    y : str
        ``"r"`` or ``"abs_z"``.
    ax : Axes, optional
        Draw into this axes (its figure is returned) instead of a new figure.
    title : str, optional
    xlim : (float, float), optional
        Default: the range the special points and cycles need, with margins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if result.kind != "equilibria":
        raise InputError(f"bifurcation_diagram needs an equilibria run, got {result.kind!r}")
    free = result.free[0]
    if ax is None:
        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    ymax = 0.0
    for b in result.branches:
        x, yy = np.asarray(b.data[free]), np.asarray(b.data[y])
        for xs, ys, st in _segments(x, yy, b.data["stable"]):
            ax.plot(xs, ys, color="black", lw=1.6 if st else 1.2, ls="-" if st else "--")
    sp = [p for p in result.special_points if p.type in MARKERS]
    for c in cycles:
        if c.free[:1] != (free,):
            raise InputError(f"cycles continued in {c.free[0]!r} do not belong in a diagram "
                             f"in {free!r}")
    envs = [_closed_at_hopf_points(cycle_envelope(c), c, sp, free) for c in cycles]
    xs_needed = [p.params[free] for p in sp]
    for env in envs:
        if env:
            xs_needed += [o[free] for o in env]
    if xlim is None:
        allx = np.concatenate([np.asarray(b.data[free]) for b in result.branches])
        if xs_needed:
            lo, hi = min(xs_needed), max(xs_needed)
            span = max(hi - lo, 0.1 * (allx.max() - allx.min()), 1.0)
            xlim = (max(allx.min(), lo - 0.6 * span), min(allx.max(), hi + 0.6 * span))
        else:
            xlim = (float(allx.min()), float(allx.max()))
    hc: list[tuple[float, float, str]] = []
    for env in envs:
        if not env:
            continue
        ex = np.array([o[free] for o in env])
        st = np.array([o["stable"] for o in env])
        for key in ("r_max", "r_min"):
            ey = np.array([o[key] for o in env])
            for xs, ys, s in _segments(ex, ey, st):
                ax.plot(xs, ys, color=CYCLE_COLOR, lw=1.6 if s else 1.2, ls="-" if s else "--")
        ymax = max(ymax, max(o["r_max"] for o in env))
        last = env[-1]
        if any("homoclinic" in m for c in cycles for m in c.messages):
            ax.plot([last[free]] * 2, [last["r_min"], last["r_max"]], color=CYCLE_COLOR,
                    lw=0.8, ls=":")
            hc.append((last[free], last["r_max"], "homoclinic"))
    inside = []
    for b in result.branches:
        x, yy = np.asarray(b.data[free]), np.asarray(b.data[y])
        m = (x >= xlim[0]) & (x <= xlim[1]) & np.isfinite(yy)
        if m.any():
            inside.append(yy[m].max())
    ymax = max([ymax, *inside]) if inside else max(ymax, 1.0)
    ylim = (0.0, 1.12 * ymax)
    labels = []
    for p in sp:
        yv = p.r if y == "r" else p.abs_z
        ax.plot(p.params[free], yv, ls="none", ms=6, zorder=5, **MARKERS[p.type])
        labels.append((p.params[free], yv, p.label))
    labels += hc
    _label_points(ax, labels, xlim, ylim)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(axis_label(free))
    ax.set_ylabel(r"firing rate $r$" if y == "r" else r"$|z|$")
    handles = [Line2D([], [], color="black", lw=1.6, label="stable equilibria"),
               Line2D([], [], color="black", lw=1.2, ls="--", label="unstable equilibria")]
    types = {p.type for p in sp}
    names = {"LP": "fold (LP)", "HB": "Hopf (HB)"}
    for t in ("LP", "HB"):
        if t in types:
            handles.append(Line2D([], [], ls="none", ms=6, label=names[t], **MARKERS[t]))
    if any(envs):
        handles.append(Line2D([], [], color=CYCLE_COLOR, lw=1.6,
                              label=r"limit cycle: max/min $r$"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    ax.grid(alpha=0.25)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def _band_inset(ax: Axes, pdg: PhaseDiagram, bands: Sequence[Any]) -> None:
    """A zoom (upper right) onto the widest row of the widest band of region 5, which
    at the scale of the box is thinner than a line: the band, the Hopf and fold curves
    and the global curves there."""
    b = max(bands, key=lambda band: float(np.max(np.abs(band.x_fold - band.x_other))))
    i = int(np.argmax(np.abs(b.x_fold - b.x_other)))
    width = max(float(abs(b.x_fold[i] - b.x_other[i])), 1e-3)
    xc, yc = 0.5 * (b.x_fold[i] + b.x_other[i]), float(b.y[i])
    j0, j1 = max(i - 3, 0), min(i + 3, len(b.y) - 1)
    dyb = float(b.y[j1] - b.y[j0])
    slope = float(b.x_fold[j1] - b.x_fold[j0]) / dyb if dyb else 0.0
    dx = 6 * width
    dy = dx / max(abs(slope), 0.05)
    ins = ax.inset_axes([0.56, 0.56, 0.4, 0.4])
    ins.fill(*b.polygon().T, fc="#c9a7e6", ec="#9a6fc0", lw=1.0, zorder=1)
    ax_x, ax_y = getattr(pdg, "axes", ("eta", "J"))
    for cur in pdg.curves:
        for br in cur.branches:
            ins.plot(br.data[ax_x], br.data[ax_y], color="black" if cur.kind == "fold"
                     else "C3", lw=1.4, zorder=3)
    for gc in getattr(pdg, "global_curves", ()):
        if gc.kind in GLOBAL_STYLES and len(gc.x):
            ins.plot(gc.x, gc.y, zorder=4, **GLOBAL_STYLES[gc.kind][0])
    ins.set_xlim(xc - dx, xc + dx)
    ins.set_ylim(yc - dy, yc + dy)
    ins.tick_params(labelsize=6)
    ins.text(0.03, 0.03, "zoom: stable equilibrium\n+ stable cycle (shaded)",
             transform=ins.transAxes, fontsize=6.5, va="bottom",
             bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.indicate_inset_zoom(ins, edgecolor="0.3")


def phase_diagram(pdg: PhaseDiagram, *, ax: Axes | None = None, title: str | None = None,
                  marks: Sequence[tuple[float, float, str]] = ()) -> Figure:
    """The (eta, J) diagram: shaded attractor regions, fold/Hopf curves, the global
    curves (homoclinic, fold of cycles, SNIC stretches; :data:`GLOBAL_STYLES`),
    codim-2 points.

    Parameters
    ----------
    pdg : PhaseDiagram
        A result of :func:`thetabif.phase_diagram.compute`; drawn from its ``grid``,
        ``box``, ``curves``, ``codim2`` and the region names ``regions``.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
    marks : sequence of (eta, J, text)
        Extra points to mark (e.g. the tutorial's parameters).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from scipy import ndimage

    regions = pdg.regions
    if ax is None:
        fig = Figure(figsize=(6.8, 5.0), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    grid = pdg.grid
    a, b = getattr(pdg, "axes", ("eta", "J"))  # for a circuit, e.g. (eta_E, J_EE)
    eta = grid[a].to_numpy()
    J = grid[b].to_numpy()
    code = grid["region"].to_numpy()
    codes = sorted(regions)
    cmap = ListedColormap([REGION_COLORS[c] for c in codes])
    norm = BoundaryNorm(np.arange(len(codes) + 1) - 0.5, cmap.N)
    ax.pcolormesh(eta, J, code, cmap=cmap, norm=norm, shading="nearest", rasterized=True,
                  zorder=0)
    xlim, ylim = pdg.box[a], pdg.box[b]
    # region labels at the point of each large component farthest from its edge and
    # from the marked points
    E, JJ = np.meshgrid((eta - xlim[0]) / (xlim[1] - xlim[0]), (J - ylim[0]) / (ylim[1] - ylim[0]))
    free = np.ones(code.shape, dtype=bool)
    for e, j in [(p.params[a], p.params[b]) for p in pdg.codim2] + [
            (m[0], m[1]) for m in marks]:
        fe, fj = (e - xlim[0]) / (xlim[1] - xlim[0]), (j - ylim[0]) / (ylim[1] - ylim[0])
        free &= ~((np.abs(E - fe) < 0.22) & (np.abs(JJ - fj) < 0.08))
    bands = list(getattr(pdg, "bands", ()))
    if bands:  # the zoom onto the band (_band_inset) covers the upper right
        free &= ~((E > 0.52) & (JJ > 0.52))
    for c in np.unique(code):
        lab, n = ndimage.label(code == c)
        for k in range(1, n + 1):
            mask = lab == k
            if mask.sum() < 0.02 * code.size:
                continue
            dist = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
            if (dist * free).max() > 0:
                dist = dist * free
            i, j = np.unravel_index(np.argmax(dist), dist.shape)
            ax.text(eta[j], J[i], regions[int(c)], ha="center", va="center", fontsize=8.5,
                    style="italic", color="0.15", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.2", fc=REGION_COLORS[int(c)], ec="none",
                              alpha=0.85))
    # bands of region 5 the curves predict (often thinner than a grid cell): filled,
    # with an edge of the region's shade so that a thin one still shows
    for band in bands:
        ax.fill(*band.polygon().T, fc=REGION_COLORS[5], ec="#9a6fc0", lw=1.0, zorder=1)
    kinds_seen = set()
    for cur in pdg.curves:
        color = "black" if cur.kind == "fold" else "C3"
        for br in cur.branches:
            ax.plot(br.data[a], br.data[b], color=color, lw=1.6, zorder=3)
        kinds_seen.add(cur.kind)
    handles = []
    if "fold" in kinds_seen:
        handles.append(Line2D([], [], color="black", lw=1.6, label="fold (LP) curve"))
    if "hopf" in kinds_seen:
        handles.append(Line2D([], [], color="C3", lw=1.6, label="Hopf (HB) curve"))
    for kind, (style, name) in GLOBAL_STYLES.items():
        drawn_kind = sampled = False
        for gc in getattr(pdg, "global_curves", ()):
            if gc.kind == kind and len(gc.x):
                # a sampled curve (one AUTO run per point) shows its samples
                marks = dict(marker=".", ms=5) if gc.sampled else {}
                ax.plot(gc.x, gc.y, zorder=2 if kind == "snic" else 4, **style, **marks)
                drawn_kind = True
                sampled |= gc.sampled
        if drawn_kind:
            label = name[:-1] + ", sampled by cycle runs)" if sampled else name
            handles.append(Line2D([], [], label=label, **style,
                                  **(dict(marker=".", ms=5) if sampled else {})))
    names = {"CP": "cusp (CP)", "BT": "Bogdanov-Takens (BT)", "GH": "Bautin (GH)",
             "ZH": "zero-Hopf (ZH)", "NS": "neutral saddle (NS)"}
    pts = []
    drawn = set()
    for p in pdg.codim2:
        e, j = p.params[a], p.params[b]
        if not (xlim[0] <= e <= xlim[1] and ylim[0] <= j <= ylim[1]):
            continue
        ax.plot(e, j, ls="none", ms=8, mec="black", zorder=7, **MARKERS[p.type])
        pts.append((e, j, p.label))
        drawn.add(p.type)
    for t in ("CP", "BT", "GH", "ZH", "NS"):
        if t in drawn:  # in the legend only what the figure shows
            handles.append(Line2D([], [], ls="none", ms=8, mec="black", label=names[t],
                                  **MARKERS[t]))
    for e, j, text in marks:
        ax.plot(e, j, ls="none", marker="o", ms=6, mfc="white", mec="black", zorder=7)
        pts.append((e, j, text))
    _label_points(ax, pts, xlim, ylim)
    if bands:
        _band_inset(ax, pdg, bands)
    present = [c for c in codes if (code == c).any() or (c == 5 and bands)]
    if 1 in present and 2 in present:
        present.remove(2)
    names_r = {**regions, 1: "one stable equilibrium\n(low / high activity)"}
    handles += [Patch(fc=REGION_COLORS[c], ec="0.6", label=names_r[c] if c in (1, 2) and
                      1 in present else regions[c]) for c in present]
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(axis_label(a))
    ax.set_ylabel(axis_label(b))
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
