"""Two-photon excited fluorescence: integrated PL of sample and reference dye vs
fluence with their quadratic fits (integrated = coef · F²) and residual panels.

Reads :class:`~multiphoton.plotdata.TPEFPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ...plotdata import TPEFPlot, TPEFSpectraPlot
from ..style import DATA_COLOR, FIT_COLOR, MUTED_COLOR, PANEL_IN, panel_label, tidy_log_axis
from ._common import NoFigureData, figure_title, nonempty

__all__ = ["plot_tpef", "plot_tpef_spectra"]


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


def plot_tpef(plot: TPEFPlot) -> Figure:
    """Quadratic fluence dependence of sample and reference two-photon PL.

    Parameters
    ----------
    plot : TPEFPlot
        A panel is drawn for the sample when ``sample_fluence_mJ_cm2`` and
        ``sample_integrated`` are not empty, and for the reference likewise;
        ``sample_coef`` / ``reference_coef`` add the fit curve and a residual panel.
    """
    panels = []
    for f, y, coef, title in (
        (plot.sample_fluence_mJ_cm2, plot.sample_integrated, plot.sample_coef, f"Sample {plot.sample}"),
        (plot.reference_fluence_mJ_cm2, plot.reference_integrated, plot.reference_coef, "Reference dye"),
    ):
        if nonempty(f) is not None and nonempty(y) is not None:
            panels.append((f, y, coef, title))
    if not panels:
        raise NoFigureData(f"tpef {plot.sample!r}: neither sample nor reference data")
    fig = Figure(figsize=(PANEL_IN[0] * len(panels), PANEL_IN[1] * 1.2), layout="constrained")
    grid = fig.add_gridspec(2, len(panels), height_ratios=[3, 1])
    for k, (f, y, coef, title) in enumerate(panels):
        axes = (fig.add_subplot(grid[0, k]), fig.add_subplot(grid[1, k]))
        _panel(axes, "ab"[k], f, y, coef, title)
    fig.suptitle(figure_title(plot, "Two-photon excited PL"),
                 fontsize=9.5, x=0.01, ha="left")
    return fig


def plot_tpef_spectra(plot: TPEFSpectraPlot) -> Figure:
    """One- and two-photon emission spectra of a sample overlaid (paper Fig. 2d).

    Parameters
    ----------
    plot : TPEFSpectraPlot
        Both spectra normalised to their maximum; ``peak_shift_meV`` in the legend.
    """
    if nonempty(plot.counts_1p) is None or nonempty(plot.counts_2p) is None:
        raise NoFigureData(f"tpef_spectra {plot.sample!r}: a spectrum is empty")
    decays = nonempty(plot.decay_1p) is not None and nonempty(plot.decay_2p) is not None
    fig = Figure(figsize=(2 * PANEL_IN[0], PANEL_IN[1]) if decays else PANEL_IN, layout="constrained")
    ax = fig.add_subplot(1, 2 if decays else 1, 1)
    ax.plot(plot.energy_1p_eV, plot.counts_1p, "-", color=DATA_COLOR, label="one-photon")
    shift = "" if plot.peak_shift_meV is None else f" (peak {plot.peak_shift_meV:+.1f} meV)"
    ax.plot(plot.energy_2p_eV, plot.counts_2p, "--", color=FIT_COLOR, label=f"two-photon{shift}")
    ax.set(xlabel="Energy (eV)", ylabel="Normalised PL")
    ax.legend(loc="upper right")
    if decays:  # the lifetime half of η₂ = η₁: both decays, log scale
        bx = fig.add_subplot(1, 2, 2)
        for t, y, tau, style, color, label in (
                (plot.time_1p_ns, plot.decay_1p, plot.tau_1p_ns, "-", DATA_COLOR, "one-photon"),
                (plot.time_2p_ns, plot.decay_2p, plot.tau_2p_ns, "--", FIT_COLOR, "two-photon")):
            note = "" if tau is None else f" (τ {tau:.3g} ns)"
            bx.semilogy(t, np.where(y > 0, y, np.nan), style, color=color, lw=0.8, label=label + note)
        bx.set(xlabel="Time (ns)", ylabel="Normalised counts")
        tidy_log_axis(bx.yaxis)
        bx.legend(loc="upper right")
    fig.suptitle(figure_title(plot, "One- and two-photon emission"), fontsize=9.5, x=0.01, ha="left")
    return fig
