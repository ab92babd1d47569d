"""Two-photon excited fluorescence: integrated PL of sample and reference dye vs
fluence with their quadratic fits (integrated = coef · F²) and residual panels.

Reads ``tpef`` plot dicts (docs/plot-data.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..style import DATA_COLOR, FIT_COLOR, MUTED_COLOR, PANEL_IN, panel_label
from ._common import NoFigureData, array, number, figure_title

__all__ = ["plot_tpef"]


def _panel(fig_axes, letter, fluence, integrated, coef, title):
    ax, res = fig_axes
    ax.plot(fluence, integrated, "o", color=DATA_COLOR, label="data")
    ax.set(title=title, ylabel="Integrated PL (counts)")
    panel_label(ax, letter)
    if coef is None:
        ax.set_xlabel("Fluence (mJ cm⁻²)")
        res.set_visible(False)
        return
    x = np.linspace(0.0, np.nanmax(fluence) * 1.05, 100)
    ax.plot(x, coef * x**2, "--", color=FIT_COLOR, label=f"{coef:.3g} · F²")
    ax.legend(loc="upper left")
    res.axhline(0.0, color=MUTED_COLOR, lw=0.8)
    res.plot(fluence, integrated - coef * fluence**2, ".", color=DATA_COLOR)
    res.set(xlabel="Fluence (mJ cm⁻²)", ylabel="residual")
    res.set_xlim(ax.get_xlim())
    ax.tick_params(labelbottom=False)


def plot_tpef(plot: Mapping[str, Any]) -> Figure:
    """Quadratic fluence dependence of sample and reference two-photon PL.

    Parameters
    ----------
    plot : mapping
        A ``tpef`` plot dict. A panel is drawn for the sample when
        ``sample_fluence_mJ_cm2`` and ``sample_integrated`` are present, and for the
        reference likewise; ``sample_coef`` / ``reference_coef`` add the fit curve and
        a residual panel.
    """
    panels = []
    for who, title in (("sample", f"Sample {plot.get('sample')}"), ("reference", "Reference dye")):
        f = array(plot, f"{who}_fluence_mJ_cm2")
        if f is None:
            continue
        y = array(plot, f"{who}_integrated", length=f.size)
        if y is None:
            continue
        panels.append((f, y, number(plot, f"{who}_coef"), title))
    if not panels:
        raise NoFigureData(f"tpef {plot.get('sample')!r}: neither sample nor reference data")
    fig = Figure(figsize=(PANEL_IN[0] * len(panels), PANEL_IN[1] * 1.2), layout="constrained")
    grid = fig.add_gridspec(2, len(panels), height_ratios=[3, 1])
    for k, (f, y, coef, title) in enumerate(panels):
        axes = (fig.add_subplot(grid[0, k]), fig.add_subplot(grid[1, k]))
        _panel(axes, "ab"[k], f, y, coef, title)
    fig.suptitle(figure_title(plot, "Two-photon excited PL"),
                 fontsize=9.5, x=0.01, ha="left")
    return fig
