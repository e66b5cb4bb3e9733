"""Figures: time courses (and, later, bifurcation and phase diagrams).

Functions take result records (xarray Datasets) and return matplotlib Figures; they
never call ``plt.show()`` and never touch global style state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

    from thetabif.protocols import Protocol


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
